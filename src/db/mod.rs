//! The data layer: connecting and migrating ([`connect`], [`migrate`], [`backup`]); the one
//! write path every service uses ([`begin_write`], or [`write_at_once`] for a write that needs
//! no answer), with SQLite's group commit behind it (`group`); rows under optimistic
//! concurrency ([`save_version`]); statements built once and bound anew ([`Reused`]); and the
//! SQL text builder the indicator rules and histories write with ([`Sql`]). No query of a
//! feature lives here.

mod group;
mod reuse;
mod rows;
mod sql;
mod transactions;

pub use reuse::Reused;
pub use rows::{Versioned, find, lock_key, save, save_version, unique};
pub use sql::Sql;
pub use transactions::{WriteTxn, begin_snapshot, begin_write, write_at_once};

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// The file a SQLite URL names, as sqlx opens it (percent-decoded), `None` for another
/// database or an in-memory one.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    let options = url.parse::<sea_orm::sqlx::sqlite::SqliteConnectOptions>();
    (!memory).then(|| options.ok().map(|o| o.get_filename().to_owned()))?
}

/// Opens a pool. SQLite gets WAL, `synchronous=NORMAL`, a 5 s busy timeout and foreign keys;
/// an in-memory SQLite database gets a single connection (more would each see their own).
pub async fn connect(
    url: &str,
    pool_size: u32,
    schema: Option<&str>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // SeaORM pings a pooled connection at every checkout by default: one more round trip
        // per statement outside a transaction (a third of an authenticated read's time,
        // docs/benchmarks.md). A connection that was used within the last 30 s is alive; only
        // one idle longer, which a server, proxy or firewall may have dropped, is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        opts.max_connections(if memory { 1 } else { pool_size.max(1) })
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(WRITE_WAIT)
                    .foreign_keys(true)
            });
    } else {
        opts.max_connections(pool_size.max(1))
            // The registry's queries are short. PostgreSQL's JIT compiler, triggered by the
            // cost estimates of the indicator query's subplans, spent 0.9 s of a 1.1 s report
            // on 100,000 subjects compiling it (docs/benchmarks.md); without it the report takes
            // 0.4 s. And prepared statements are planned at each execution: a generic plan made
            // while a table was small (a sync filling `listing`) kept scanning it whole as it
            // grew, which made a 100,000-listing sync take 191 s instead of 12.
            .map_sqlx_postgres_opts(|o| {
                o.options([("jit", "off"), ("plan_cache_mode", "force_custom_plan")])
            });
        if let Some(schema) = schema {
            opts.set_schema_search_path(schema.to_owned());
        }
    }
    Database::connect(opts).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `"sqlite"` or `"postgres"`, as `/health` reports it.
pub fn backend_name(db: &impl ConnectionTrait) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// How long a writer waits for its turn: SQLite's busy timeout, and the same for the queue in
/// front of it ([`begin_write`]). A wait this long means a stuck writer; the request fails.
const WRITE_WAIT: Duration = Duration::from_secs(5);

/// Writes a consistent copy of a live SQLite database to `to` (`VACUUM INTO`: one snapshot,
/// while others go on reading and writing). PostgreSQL has its own tools; the error says which.
pub async fn backup(db: &DatabaseConnection, to: &std::path::Path) -> Result<(), String> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Err(
            "on PostgreSQL, back up with pg_dump (pg_dump -Fc -f FILE DATABASE_URL); \
             restore with pg_restore (README, \"Backup and restore\")"
                .to_owned(),
        );
    }
    if to.exists() {
        return Err(format!(
            "{} exists already; choose a new file (a backup never overwrites)",
            to.display()
        ));
    }
    let target = to
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", to.display()))?;
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .map_err(|e| format!("the copy to {} failed: {e}", to.display()))?;
    Ok(())
}

//! Connecting, migrating and loading reference data; and the write transaction every service
//! uses. No queries of the features live here.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

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
                    .busy_timeout(Duration::from_secs(5))
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

/// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction that
/// reads and then writes fails with "database is locked" under concurrency, an immediate one
/// waits its turn (busy timeout) instead. Explicit transactions also let the WAL checkpoint.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Writes every column of `model` (an edited copy of a row read in the same transaction).
/// Services edit plain models, compare views to skip no-op writes, then save.
pub async fn save<M, A>(db: &impl ConnectionTrait, model: M) -> Result<M, DbErr>
where
    M: sea_orm::ModelTrait + sea_orm::IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = M::Entity> + sea_orm::ActiveModelBehavior + Send,
    <M::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Into<M>,
{
    let am = model.into_active_model().reset_all();
    Ok(am.update(db).await?.into())
}

/// A row under optimistic concurrency: each saved edit is its next version (the ETag) and
/// carries the time of the edit.
pub trait Versioned {
    fn next_version(&mut self);
}

macro_rules! versioned {
    ($($model:path),* $(,)?) => {
        $(impl Versioned for $model {
            fn next_version(&mut self) {
                self.version += 1;
                self.updated_at = crate::clock::now();
            }
        })*
    };
}

versioned!(
    entity::certification::Model,
    entity::certification_scheme::Model,
    entity::listing::Model,
    entity::product::Model,
    entity::raw_material_area::Model,
    entity::recognition::Model,
    entity::sales_channel::Model,
    entity::subject::Model,
);

/// Saves an edited copy of a row as the row's next version.
pub async fn save_version<M, A>(db: &impl ConnectionTrait, mut model: M) -> Result<M, DbErr>
where
    M: Versioned + sea_orm::ModelTrait + sea_orm::IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = M::Entity> + sea_orm::ActiveModelBehavior + Send,
    <M::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Into<M>,
{
    model.next_version();
    save(db, model).await
}

/// Starts a read-only transaction that sees one snapshot of the data throughout: PostgreSQL
/// `REPEATABLE READ READ ONLY`; on SQLite (WAL) a deferred read transaction already does.
/// Reports read in it agree with their subject lists even while others write.
pub async fn begin_snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_options(TransactionOptions {
                isolation_level: Some(sea_orm::IsolationLevel::RepeatableRead),
                access_mode: Some(sea_orm::AccessMode::ReadOnly),
                ..Default::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// Loads a record by id (404 naming `entity` when absent), locking it for a write when asked
/// (PostgreSQL `FOR UPDATE`; SQLite write transactions are exclusive already).
pub async fn find<E>(
    db: &impl ConnectionTrait,
    entity: &'static str,
    id: uuid::Uuid,
    lock: bool,
) -> crate::error::AppResult<E::Model>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    use sea_orm::QuerySelect;
    let mut q = E::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    unique(db, q)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found(entity, id))
}

/// The row a filter on a unique key selects (at most one). SeaORM's `one()` adds `LIMIT ?`, and
/// SQLite treats a bound LIMIT as a constant of the plan: the statement is prepared again at
/// every execution (a fifth of an import's time went to re-preparing lookups by id). A unique
/// key needs no limit.
pub async fn unique<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}

/// Serialises the writers of one natural key (such as a shop) until the transaction ends, so a
/// check for an overlapping claim and the write after it cannot interleave with another's:
/// PostgreSQL takes a transaction-scoped advisory lock on the key's hash; SQLite write
/// transactions are exclusive already.
pub async fn lock_key(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

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

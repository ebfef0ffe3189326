//! Connecting, migrating and loading reference data; and the write transaction every service
//! uses. No queries of the features live here.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

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

/// A write transaction ([`begin_write`]): the transaction, and on SQLite this process's turn at
/// the database's one write lock, held until it commits or is dropped.
pub struct WriteTxn {
    // Declared first so that it is dropped (rolled back) before the turn passes on.
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
    /// Where to checkpoint after the commit (SQLite).
    writers: Option<(std::sync::Arc<Writers>, DatabaseConnection)>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        let WriteTxn {
            txn,
            _turn,
            writers,
        } = self;
        txn.commit().await?;
        drop(_turn);
        if let Some((writers, db)) = writers {
            writers.checkpoint_soon(&db);
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// This process's writers of one SQLite file: the turn at its write lock (one holder at a
/// time, in order of arrival) and the writes waiting to be made together
/// ([`write_at_once`]). One per file, shared by every pool opened on it (an in-memory
/// database's name is unique to its pool). `None` for PostgreSQL: row locks, no single writer.
fn writers(db: &DatabaseConnection) -> Option<std::sync::Arc<Writers>> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Arc, LazyLock, Mutex};
    static WRITERS: LazyLock<Mutex<HashMap<PathBuf, Arc<Writers>>>> =
        LazyLock::new(Default::default);
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename();
    if file.as_os_str().is_empty() {
        return None;
    }
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    let mut all = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
    Some(all.entry(file).or_default().clone())
}

struct Writers {
    turn: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::Mutex<Vec<Job>>,
    next_job: std::sync::atomic::AtomicU64,
    /// A checkpoint is coming ([`Writers::checkpoint_soon`]).
    checkpointing: std::sync::atomic::AtomicBool,
}

impl Default for Writers {
    fn default() -> Self {
        Writers {
            turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            waiting: Default::default(),
            next_job: Default::default(),
            checkpointing: Default::default(),
        }
    }
}

/// How often, at most, this process checkpoints the WAL of a file it writes.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// A write waiting in [`Writers`]: its statements, and where its outcome goes.
struct Job {
    id: u64,
    statements: Vec<Statement>,
    done: tokio::sync::oneshot::Sender<Result<(), DbErr>>,
}

impl Writers {
    /// After a commit: a passive checkpoint (the WAL's pages copied into the database file,
    /// without waiting for readers or blocking writers) on a task of its own, once the writes
    /// of the next [`CHECKPOINT_EVERY`] have joined it. SQLite's automatic checkpoint (at 1,000
    /// pages) runs inside the commit that crosses the threshold, while this process's turn to
    /// write is held and every other writer waits behind it — the longest waits of a creation
    /// (docs/benchmarks.md); checkpointing here first keeps the WAL under that threshold. The
    /// automatic one stays, for writers that do not pass here.
    fn checkpoint_soon(self: &std::sync::Arc<Self>, db: &DatabaseConnection) {
        use std::sync::atomic::Ordering;
        if self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let (writers, db) = (self.clone(), db.clone());
        tokio::spawn(async move {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if let Err(e) = db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                tracing::debug!(error = %e, "checkpoint left to SQLite's automatic one");
            }
            writers.checkpointing.store(false, Ordering::Release);
        });
    }

    /// Waits for the turn at the write lock; a wait of [`WRITE_WAIT`] fails.
    async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, DbErr> {
        tokio::time::timeout(WRITE_WAIT, self.turn.clone().acquire_owned())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed))
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Group commit: the job joins the waiting ones; whichever writer gets the turn makes every
    /// waiting job in one transaction, and each learns its outcome. Under load one transaction
    /// (three round trips to SQLite) carries dozens of writes.
    async fn write(
        self: &std::sync::Arc<Self>,
        db: &DatabaseConnection,
        statements: Vec<Statement>,
    ) -> Result<(), DbErr> {
        use std::sync::atomic::Ordering;
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        let (done, mut outcome) = tokio::sync::oneshot::channel();
        self.waiting().push(Job {
            id,
            statements,
            done,
        });
        loop {
            tokio::select! {
                biased;
                result = &mut outcome => {
                    return result.unwrap_or_else(|_| Err(DbErr::Custom(
                        "the write was interrupted before it was made".to_owned(),
                    )));
                }
                turn = self.turn() => match turn {
                    Ok(turn) => {
                        let jobs = std::mem::take(&mut *self.waiting());
                        if !jobs.is_empty() {
                            // On a task of its own, holding the turn: were this future dropped
                            // mid-way, the others' writes would neither be lost nor left unsure.
                            let (db, writers) = (db.clone(), self.clone());
                            let _ = tokio::spawn(async move {
                                write_jobs(&db, jobs).await;
                                drop(turn);
                                writers.checkpoint_soon(&db);
                            })
                            .await;
                        }
                    }
                    Err(e) => {
                        // Taken by a writer that is making it: its outcome is coming. Still
                        // waiting: withdrawn, so that a write refused is never made.
                        let mut waiting = self.waiting();
                        if let Some(i) = waiting.iter().position(|j| j.id == id) {
                            waiting.swap_remove(i);
                            return Err(e);
                        }
                    }
                },
            }
        }
    }
}

/// Makes `jobs` in one transaction; when it fails (one job's constraint, say), each again in a
/// transaction of its own, so that only the job at fault fails.
async fn write_jobs(db: &DatabaseConnection, jobs: Vec<Job>) {
    async fn write_one(
        db: &DatabaseConnection,
        statement: Result<Statement, DbErr>,
    ) -> Result<(), DbErr> {
        let statement = statement?;
        let txn = begin_immediate(db).await?;
        txn.execute_raw(statement).await?;
        txn.commit().await
    }
    crate::telemetry::metrics().group_commit(jobs.len());
    let backend = db.get_database_backend();
    let together = jobs.iter().flat_map(|j| &j.statements);
    match write_one(db, one_text(backend, together)).await {
        Ok(()) => {
            for job in jobs {
                let _ = job.done.send(Ok(()));
            }
        }
        Err(e) if jobs.len() == 1 => {
            let _ = jobs.into_iter().next().map(|job| job.done.send(Err(e)));
        }
        Err(_) => {
            for job in jobs {
                let outcome = write_one(db, one_text(backend, &job.statements)).await;
                let _ = job.done.send(outcome);
            }
        }
    }
}

/// A statement whose text sea-query builds once per backend and which each use binds anew.
/// Building and dropping the statement tree was a tenth of the CPU time of the hot read
/// (docs/benchmarks.md, "Request path"); its text never changes, only its values. `build` is
/// given marker ids, and each value of the built statement equal to a marker becomes that
/// parameter; every other value is kept as built.
pub struct Reused<const N: usize> {
    build: fn(DbBackend, [uuid::Uuid; N]) -> Statement,
    texts: [std::sync::OnceLock<Result<Text, String>>; 3],
}

/// A [`Reused`] statement's text and where each of its values comes from.
type Text = (String, Vec<Slot>);

/// Where a value of a [`Reused`] statement comes from.
enum Slot {
    Param(usize),
    Fixed(sea_orm::Value),
}

impl<const N: usize> Reused<N> {
    pub const fn new(build: fn(DbBackend, [uuid::Uuid; N]) -> Statement) -> Self {
        Reused {
            build,
            texts: [const { std::sync::OnceLock::new() }; 3],
        }
    }

    /// The statement with `params` in place of the markers.
    pub fn statement(
        &self,
        backend: DbBackend,
        params: [uuid::Uuid; N],
    ) -> Result<Statement, DbErr> {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            _ => 2,
        };
        let (sql, slots) = self.texts[slot]
            .get_or_init(|| self.text(backend))
            .as_ref()
            .map_err(|e| DbErr::Custom(e.clone()))?;
        let values = slots.iter().map(|s| match s {
            Slot::Param(i) => params[*i].into(),
            Slot::Fixed(v) => v.clone(),
        });
        Ok(Statement::from_sql_and_values(
            backend,
            sql.as_str(),
            values,
        ))
    }

    fn text(&self, backend: DbBackend) -> Result<Text, String> {
        // Ids no record has: the version and variant bits of a random id are never all zero.
        let markers: [uuid::Uuid; N] =
            std::array::from_fn(|i| uuid::Uuid::from_u128(0x6f63_6f70_0000_0000 + i as u128));
        let built = (self.build)(backend, markers);
        let slots: Vec<Slot> = built
            .values
            .map(|v| v.0)
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                sea_orm::Value::Uuid(Some(u)) if markers.contains(&u) => {
                    Slot::Param(markers.iter().position(|m| *m == u).unwrap_or_default())
                }
                other => Slot::Fixed(other),
            })
            .collect();
        // A marker written into the text instead of bound would be read back as itself.
        for (i, m) in markers.iter().enumerate() {
            let bound = slots.iter().any(|s| matches!(s, Slot::Param(j) if *j == i));
            if !bound
                || built.sql.contains(&m.to_string())
                || built.sql.contains(&m.simple().to_string())
            {
                return Err(format!(
                    "parameter {i} of a reused statement is not bound: {}",
                    built.sql
                ));
            }
        }
        Ok((built.sql, slots))
    }
}

/// Several statements as one text to send at once. sqlx runs a text's statements in turn,
/// giving each the next of the values for its `?` markers, so numbered markers (`?3`, which
/// [`crate::indicators::engine::Sql`] writes) become plain ones with their values in text order.
/// A marker without a value is an error, never a panic in the writer holding the turn.
fn one_text<'a>(
    backend: DbBackend,
    statements: impl IntoIterator<Item = &'a Statement>,
) -> Result<Statement, DbErr> {
    let mut sql = String::new();
    let mut values = Vec::new();
    for statement in statements {
        let own = statement
            .values
            .as_ref()
            .map(|v| v.0.as_slice())
            .unwrap_or_default();
        let mut next = 0;
        let mut quote = None;
        let mut chars = statement.sql.chars().peekable();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, '?') => {
                    let mut digits = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        digits.push(d);
                    }
                    let index = match digits.parse::<usize>() {
                        Ok(n) => n.checked_sub(1),
                        Err(_) => {
                            next += 1;
                            Some(next - 1)
                        }
                    };
                    let value = index.and_then(|i| own.get(i)).ok_or_else(|| {
                        DbErr::Custom(format!(
                            "marker ?{digits} of a batched statement has no value: {}",
                            statement.sql
                        ))
                    })?;
                    values.push(value.clone());
                }
                _ => {}
            }
            sql.push(c);
        }
        sql.push_str(";\n");
    }
    Ok(Statement::from_sql_and_values(backend, sql, values))
}

/// Makes a write whose statements need no answer (inserts of rows built in full, their
/// versions and audit record), atomically. On SQLite it joins the other writes waiting
/// ([`Writers::write`]); on PostgreSQL it is one transaction of its own.
pub async fn write_at_once(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
) -> Result<(), DbErr> {
    match writers(db) {
        Some(writers) => writers.write(db, statements).await,
        None => {
            let txn = begin_write(db).await?;
            for statement in statements {
                txn.execute_raw(statement).await?;
            }
            txn.commit().await
        }
    }
}

/// `BEGIN IMMEDIATE` on SQLite: a deferred transaction that reads and then writes fails with
/// "database is locked" under concurrency, an immediate one waits its turn instead.
async fn begin_immediate(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Starts a write transaction (on SQLite `BEGIN IMMEDIATE`; explicit transactions also let the
/// WAL checkpoint).
///
/// SQLite has one writer at a time, and a connection that finds the lock taken sleeps in its
/// busy handler (1, 2, 5, 10 … 100 ms) and retries: under load the lock sat idle between
/// sleepers while fifty waited (p99 ~100 ms, docs/benchmarks.md). So this process's writers
/// first queue, in order, for their turn ([`writers`]) and the next one starts the moment the
/// last commits; the busy handler remains for other processes on the same file.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let (turn, writers) = match writers(db) {
        Some(writers) => (Some(writers.turn().await?), Some((writers, db.clone()))),
        None => (None, None),
    };
    let txn = begin_immediate(db).await?;
    Ok(WriteTxn {
        txn,
        _turn: turn,
        writers,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
    }

    fn pair(backend: DbBackend, [a, b]: [uuid::Uuid; 2]) -> Statement {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let q = Query::select()
            .expr(Expr::val(7))
            .from(Alias::new("t"))
            .and_where(Expr::col(Alias::new("b")).eq(b))
            .and_where(Expr::col(Alias::new("a")).eq(a))
            .and_where(Expr::col(Alias::new("c")).eq(b))
            .to_owned();
        backend.build(&q)
    }

    #[test]
    fn a_reused_statement_binds_each_use_its_own_values_where_the_markers_were() {
        static PAIR: Reused<2> = Reused::new(pair);
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            for n in 1..=2u128 {
                let (a, b) = (uuid::Uuid::from_u128(n), uuid::Uuid::from_u128(100 + n));
                let reused = PAIR.statement(backend, [a, b]).unwrap();
                assert_eq!(reused, pair(backend, [a, b]), "{backend:?}");
                assert_eq!(
                    reused.values.unwrap().0,
                    vec![7.into(), b.into(), a.into(), b.into()]
                );
            }
        }
    }

    #[test]
    fn a_reused_statement_refuses_a_parameter_written_into_its_text_or_left_out() {
        fn inline(backend: DbBackend, [a]: [uuid::Uuid; 1]) -> Statement {
            Statement::from_sql_and_values(backend, format!("SELECT '{a}' WHERE x = ?"), [a.into()])
        }
        fn unused(backend: DbBackend, [_]: [uuid::Uuid; 1]) -> Statement {
            Statement::from_sql_and_values(backend, "SELECT ?", [1.into()])
        }
        for build in [inline as fn(_, _) -> _, unused] {
            let reused = Reused::new(build);
            let Err(DbErr::Custom(e)) = reused.statement(DbBackend::Sqlite, [uuid::Uuid::nil()])
            else {
                panic!("accepted");
            };
            assert!(e.contains("is not bound"), "{e}");
        }
    }

    #[test]
    fn batched_statements_take_their_values_in_text_order() {
        let a = statement(
            "INSERT INTO t VALUES (?2, ?1, '?')",
            vec![1.into(), 2.into()],
        );
        let b = statement("INSERT INTO u VALUES (?, ?)", vec![3.into(), 4.into()]);
        let one = one_text(DbBackend::Sqlite, [&a, &b]).unwrap();
        assert_eq!(
            one.sql,
            "INSERT INTO t VALUES (?, ?, '?');\nINSERT INTO u VALUES (?, ?);\n"
        );
        let values = one.values.unwrap().0;
        assert_eq!(values, vec![2.into(), 1.into(), 3.into(), 4.into()]);
    }

    #[test]
    fn a_marker_without_a_value_is_an_error() {
        for sql in ["SELECT ?3", "SELECT ?0", "SELECT ?, ?"] {
            let one = one_text(DbBackend::Sqlite, [&statement(sql, vec![1.into()])]);
            let Err(DbErr::Custom(e)) = one else {
                panic!("{sql}: {one:?}");
            };
            assert!(e.contains("has no value"), "{e}");
        }
    }
}

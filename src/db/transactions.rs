//! The write path: every write is a [`WriteTxn`] ([`begin_write`]) or, when it needs no
//! answer, one [`write_at_once`]; and the read snapshot reports use ([`begin_snapshot`]).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use super::group::{Writers, writers};

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
pub(super) async fn begin_immediate(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
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

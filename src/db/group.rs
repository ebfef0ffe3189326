//! SQLite's one writer: this process's writers of a file take turns in order of arrival, and
//! writes that need no answer are made many to a transaction (group commit).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

use super::WRITE_WAIT;
use super::transactions::begin_immediate;

/// This process's writers of one SQLite file: the turn at its write lock (one holder at a
/// time, in order of arrival) and the writes waiting to be made together
/// ([`write_at_once`]). One per file, shared by every pool opened on it (an in-memory
/// database's name is unique to its pool). `None` for PostgreSQL: row locks, no single writer.
pub(super) fn writers(db: &DatabaseConnection) -> Option<std::sync::Arc<Writers>> {
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

pub(super) struct Writers {
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
    pub(super) fn checkpoint_soon(self: &std::sync::Arc<Self>, db: &DatabaseConnection) {
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
    pub(super) async fn turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, DbErr> {
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
    pub(super) async fn write(
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

/// Several statements as one text to send at once. sqlx runs a text's statements in turn,
/// giving each the next of the values for its `?` markers, so numbered markers (`?3`, which
/// [`super::Sql`] writes) become plain ones with their values in text order.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
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

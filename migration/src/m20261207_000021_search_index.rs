//! Indexes for the public's accent-free search (issue 34): every word a person types is looked
//! for inside the folded names (`tra` finds "Trà sâm", "Bánh tráng"), which a B-tree cannot
//! serve. Trigram indexes can, on both databases:
//!
//! - PostgreSQL: `pg_trgm`'s GIN operator class on the folded columns; the search's own
//!   `LIKE '%…%'` uses them as they are. The extension is created if the server has it (it is a
//!   trusted extension: the database's owner may); without it the search still works, by scan.
//! - SQLite: an FTS5 table with the trigram tokenizer per folded column, holding the row's id
//!   and its text, kept by triggers (so every write path, present or future, keeps it), read by
//!   the search with the same `LIKE` (FTS5 answers it from its index).

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, folded column, index)`: the three texts the search reads.
const INDEXED: [(&str, &str, &str); 3] = [
    ("product", "name_folded", "product_name_search"),
    ("subject", "search_text", "subject_text_search"),
    ("unit", "name_folded", "unit_name_search"),
];

/// The schema pg_trgm is installed in, creating it in `public` when the server offers it and
/// nobody has yet (one migrator at a time: concurrent `CREATE EXTENSION`s collide).
async fn trigram_schema(db: &SchemaManagerConnection<'_>) -> Result<Option<String>, DbErr> {
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let installed = "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = \
         e.extnamespace WHERE e.extname = 'pg_trgm'";
    if let Some(row) = db.query_one_raw(pg(installed)).await? {
        return Ok(Some(row.try_get("", "schema")?));
    }
    let offered = db
        .query_one_raw(pg(
            "SELECT 1 AS one FROM pg_available_extensions WHERE name = 'pg_trgm'",
        ))
        .await?;
    if offered.is_none() {
        return Ok(None);
    }
    db.execute_raw(pg("SELECT pg_advisory_xact_lock(7340117)"))
        .await?;
    db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        .await?;
    let row = db.query_one_raw(pg(installed)).await?;
    row.map(|r| r.try_get("", "schema")).transpose()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                let Some(schema) = trigram_schema(db).await? else {
                    return Ok(());
                };
                for (table, column, index) in INDEXED {
                    db.execute_unprepared(&format!(
                        "CREATE INDEX \"ix_{index}\" ON \"{table}\" USING gin \
                         (\"{column}\" \"{schema}\".gin_trgm_ops)"
                    ))
                    .await?;
                }
            }
            _ => {
                for (table, column, index) in INDEXED {
                    for sql in [
                        format!(
                            "CREATE VIRTUAL TABLE \"{index}\" USING fts5(id UNINDEXED, text, \
                             tokenize = 'trigram')"
                        ),
                        format!(
                            "INSERT INTO \"{index}\" (id, text) SELECT id, \"{column}\" FROM \
                             \"{table}\""
                        ),
                        format!(
                            "CREATE TRIGGER \"{index}_insert\" AFTER INSERT ON \"{table}\" BEGIN \
                             INSERT INTO \"{index}\" (id, text) VALUES (new.id, new.\"{column}\"); \
                             END"
                        ),
                        format!(
                            "CREATE TRIGGER \"{index}_update\" AFTER UPDATE OF \"{column}\" ON \
                             \"{table}\" WHEN old.\"{column}\" IS NOT new.\"{column}\" BEGIN \
                             DELETE FROM \"{index}\" WHERE id = old.id; \
                             INSERT INTO \"{index}\" (id, text) VALUES (new.id, new.\"{column}\"); \
                             END"
                        ),
                        format!(
                            "CREATE TRIGGER \"{index}_delete\" AFTER DELETE ON \"{table}\" BEGIN \
                             DELETE FROM \"{index}\" WHERE id = old.id; END"
                        ),
                    ] {
                        db.execute_unprepared(&sql).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (_, _, index) in INDEXED {
            let sql = match m.get_database_backend() {
                DbBackend::Postgres => format!("DROP INDEX IF EXISTS \"ix_{index}\""),
                _ => format!("DROP TABLE IF EXISTS \"{index}\""),
            };
            db.execute_unprepared(&sql).await?;
            if m.get_database_backend() == DbBackend::Sqlite {
                for t in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS \"{index}_{t}\""))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

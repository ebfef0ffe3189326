//! Recorded time beside effective time (domain.md §8): every fact the indicators read keeps its
//! past versions, each with the interval of server time in which it was the registry's
//! knowledge, so a report can be recomputed "as known at" any past instant.
//!
//! - `<table>_version` mirrors a counted table column for column (same declared types, all
//!   nullable, no constraints) plus `vid`, `recorded_at` and `superseded_at`. The mirror is
//!   read from the live schema so that the copy cannot drift from the table it copies; a later
//!   migration that adds a column to a mirrored table must add it to the mirror too (the
//!   registry's snapshots name every column of the entity and fail loudly otherwise). The
//!   registry fills the mirrors (existing rows once, at start-up).
//! - Listing spans grow while a listing stays active: each span records when it was first
//!   recorded, and `listing_span_extension` when its end moved to a later day.
//! - A frozen report records the knowledge time it was computed at.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

/// The tables whose rows the indicators read and users change.
pub const MIRRORED: &[&str] = &[
    "subject",
    "recognition",
    "certification",
    "certification_scheme",
    "raw_material_area",
    "sales_channel",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Column names and declared types of a table, in order.
async fn columns(m: &SchemaManager<'_>, table: &str) -> Result<Vec<(String, String)>, DbErr> {
    let db = m.get_connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => format!(
            "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS ty \
             FROM pg_attribute a WHERE a.attrelid = '{table}'::regclass \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        _ => format!("SELECT name, type AS ty FROM pragma_table_info('{table}') ORDER BY cid"),
    };
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get("", "name")?, r.try_get("", "ty")?)))
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let postgres = m.get_database_backend() == sea_orm::DbBackend::Postgres;
        let (uuid_ty, time_ty) = if postgres {
            ("uuid", "timestamp with time zone")
        } else {
            ("uuid_text", "timestamp_with_timezone_text")
        };
        for table in MIRRORED {
            let cols = columns(m, table).await?;
            if cols.is_empty() {
                return Err(DbErr::Migration(format!("table {table} not found")));
            }
            let body: Vec<String> = cols
                .iter()
                .map(|(name, ty)| format!("\"{name}\" {ty} NULL"))
                .collect();
            m.get_connection()
                .execute_unprepared(&format!(
                    "CREATE TABLE \"{table}_version\" (\"vid\" {uuid_ty} NOT NULL PRIMARY KEY, \
                     \"recorded_at\" {time_ty} NOT NULL, \"superseded_at\" {time_ty} NULL, {})",
                    body.join(", ")
                ))
                .await?;
            index(
                m,
                &format!("{table}_version"),
                &["id", "superseded_at"],
                false,
            )
            .await?;
            index(m, &format!("{table}_version"), &["recorded_at"], false).await?;
        }
        index(m, "recognition_version", &["subject_id"], false).await?;
        index(m, "certification_version", &["subject_id"], false).await?;
        index(m, "raw_material_area_version", &["subject_id"], false).await?;
        index(m, "sales_channel_version", &["subject_id"], false).await?;

        m.alter_table(
            Table::alter()
                .table("listing_span")
                .add_column(timestamp_with_time_zone_null("recorded_at"))
                .to_owned(),
        )
        .await?;
        // Spans written before this release: known from their start, their end when reached.
        m.get_connection()
            .execute_unprepared("UPDATE listing_span SET recorded_at = from_at")
            .await?;
        m.create_table(
            Table::create()
                .table("listing_span_extension")
                .col(pk_uuid("id"))
                .col(uuid("span_id"))
                .col(timestamp_with_time_zone("to_at"))
                .col(timestamp_with_time_zone("recorded_at"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "listing_span_extension",
            &["span_id", "recorded_at"],
            false,
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO listing_span_extension (id, span_id, to_at, recorded_at) \
                 SELECT id, id, to_at, to_at FROM listing_span WHERE to_at > from_at",
            )
            .await?;

        m.alter_table(
            Table::alter()
                .table("indicator_report")
                .add_column(timestamp_with_time_zone_null("known_at"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE indicator_report SET known_at = computed_at")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("indicator_report")
                .drop_column("known_at")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("listing_span_extension").to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("listing_span")
                .drop_column("recorded_at")
                .to_owned(),
        )
        .await?;
        for table in MIRRORED {
            m.drop_table(Table::drop().table(format!("{table}_version")).to_owned())
                .await?;
        }
        Ok(())
    }
}

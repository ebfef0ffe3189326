//! Areas and linkage contracts are evidence (domain.md §7, policy version 3).
//!
//! - `status` on raw-material areas (and their history mirror): the certification lifecycle.
//!   Areas written before this migration were never verified: they start `submitted`, which
//!   is what they were.
//! - `document_id` on status events: the document a move rests on (optional).
//! - `verify_areas` on indicator policies: whether an area counts only once an auditor
//!   verified it or a verified certification is scoped to it (off for every earlier version).
//! - `validity_caps` on indicator policies: each scheme's maximum validity, as policy data (a
//!   JSON object of scheme code → months). Earlier versions that capped read the caps from the
//!   scheme catalogue; they get the catalogue's caps as they stand now, so their figures stay.

use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn add(m: &SchemaManager<'_>, table: &str, col: ColumnDef) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .add_column(col)
            .to_owned(),
    )
    .await
}

async fn drop(m: &SchemaManager<'_>, table: &str, col: &str) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .drop_column(Alias::new(col))
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["raw_material_area", "raw_material_area_version"] {
            add(
                m,
                table,
                string_len("status", 16).default("submitted").to_owned(),
            )
            .await?;
        }
        index(m, "raw_material_area", &["status"], false).await?;
        // The document an auditor's move rests on (an inspection report, a contract seen).
        add(m, "status_event", uuid_null("document_id").to_owned()).await?;
        add(
            m,
            "indicator_policy",
            boolean("verify_areas").default(false).to_owned(),
        )
        .await?;
        add(
            m,
            "indicator_policy",
            text("validity_caps").default("{}").to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let mut caps = serde_json::Map::new();
        for row in db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT code, max_validity_months FROM certification_scheme \
                 WHERE max_validity_months IS NOT NULL",
            ))
            .await?
        {
            let code: String = row.try_get("", "code")?;
            let months: i32 = row.try_get("", "max_validity_months")?;
            caps.insert(code, months.into());
        }
        let mut update = Query::update();
        update
            .table("indicator_policy")
            .value("validity_caps", serde_json::Value::Object(caps).to_string())
            .and_where(Expr::col("cap_certificate_validity").eq(true));
        db.execute(&update).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop(m, "indicator_policy", "validity_caps").await?;
        drop(m, "indicator_policy", "verify_areas").await?;
        drop(m, "status_event", "document_id").await?;
        m.drop_index(
            Index::drop()
                .name("ix_raw_material_area_status")
                .table(Alias::new("raw_material_area"))
                .to_owned(),
        )
        .await?;
        for table in ["raw_material_area", "raw_material_area_version"] {
            drop(m, table, "status").await?;
        }
        Ok(())
    }
}

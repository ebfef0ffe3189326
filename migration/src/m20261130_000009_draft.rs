//! Drafts (domain.md §9): records that arrived incomplete, kept apart from the registry's records
//! until completed, so that no query of the records — counting, public lookup, an owner's view —
//! can see one by mistake.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("draft")
                .col(pk_uuid("id"))
                .col(string_len("entity", 32))
                // The record it belongs under (a recognition's product), when it has one.
                .col(uuid_null("parent_id"))
                // The most precise unit known (a commune, or a district when the commune is not).
                .col(uuid("unit_id"))
                .col(json("data"))
                .col(json("missing"))
                .col(uuid_null("record_id"))
                .col(uuid_null("created_by_id"))
                .col(string_len("created_by", 255))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(integer("version"))
                .foreign_key(&mut fk("draft", "unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "draft", &["unit_id"], false).await?;
        index(m, "draft", &["completed_at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("draft").to_owned()).await
    }
}

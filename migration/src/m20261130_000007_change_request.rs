//! Change requests: an owner asks for a change of its subject's identity fields (name, legal
//! form, tax code, commune) with the day it takes effect; an auditor of its unit or an
//! administrator decides, with a reason (domain.md §7).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("change_request")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                // JSON object of the requested values.
                .col(text("changes"))
                .col(date("effective_on"))
                .col(text("reason"))
                .col(string_len("status", 16))
                .col(string_len("requested_by", 255))
                .col(timestamp_with_time_zone("requested_at"))
                .col(string_len_null("decided_by", 255))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(text_null("decision_reason"))
                .col(integer("version"))
                .foreign_key(&mut fk("change_request", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "change_request", &["subject_id", "status"], false).await?;
        index(m, "change_request", &["status", "requested_at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("change_request").to_owned())
            .await
    }
}

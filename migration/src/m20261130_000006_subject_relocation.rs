//! A subject's commune is a history (domain.md §8): each relocation is kept with the day it takes
//! effect and the time it was recorded, so a report for a date places the subject where it was
//! then, whatever was recorded later.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("subject_relocation")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                // Order of recording among a subject's relocations (ties of effective day).
                .col(integer("seq"))
                .col(uuid("from_commune_id"))
                .col(uuid("to_commune_id"))
                .col(date("effective_on"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(string_len("recorded_by", 255))
                .col(text_null("reason"))
                .foreign_key(&mut fk("subject_relocation", "subject_id", "subject"))
                .foreign_key(&mut fk("subject_relocation", "from_commune_id", "unit"))
                .foreign_key(&mut fk("subject_relocation", "to_commune_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "subject_relocation", &["subject_id", "seq"], true).await?;
        index(m, "subject_relocation", &["effective_on"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("subject_relocation").to_owned())
            .await
    }
}

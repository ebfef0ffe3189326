//! Failed sign-ins counted per name given, known or unknown (issue 30): the lock-out answers
//! alike for a real user name and a made-up one. The per-account counters it replaces go.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sign_in_failure")
                .col(string_len("name_hash", 64).primary_key())
                .col(integer("failures"))
                .col(timestamp_with_time_zone("last_failed_at"))
                .to_owned(),
        )
        .await?;
        for col in ["failed_sign_ins", "last_failed_sign_in_at"] {
            m.alter_table(
                Table::alter()
                    .table("app_user")
                    .drop_column(Alias::new(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("app_user")
                .add_column(integer("failed_sign_ins").default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("app_user")
                .add_column(timestamp_with_time_zone_null("last_failed_sign_in_at"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("sign_in_failure").to_owned())
            .await
    }
}

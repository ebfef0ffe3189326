//! Sign-in sessions of the pages (issue 11), and the count of failed sign-ins per account.
//!
//! Sessions live in the database, not in a signed cookie, so that every process sees a
//! sign-out, a disabled account or an expiry at once, and a session can be revoked.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("user_session")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                // SHA-256 of the cookie's secret: a copy of the table signs nobody in.
                .col(string_len("token_hash", 64))
                .col(string_len("csrf_token", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .foreign_key(&mut fk("user_session", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;
        index(m, "user_session", &["token_hash"], true).await?;
        index(m, "user_session", &["user_id"], false).await?;
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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("user_session").to_owned())
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
}

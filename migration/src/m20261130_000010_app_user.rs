//! People who sign in to the pages (issue 11): a user name, a display name, the role and scope a
//! token would have, an Argon2id password hash, whether the password is still the one-time
//! password given at creation, and whether the account is disabled.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("app_user")
                .col(pk_uuid("id"))
                .col(string_len("username", 64))
                .col(string_len("display_name", 255))
                .col(string_len("role", 16))
                .col(uuid_null("unit_id"))
                .col(uuid_null("subject_id"))
                .col(string_len("password_hash", 255))
                .col(boolean("must_change_password"))
                .col(timestamp_with_time_zone_null("disabled_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk("app_user", "unit_id", "unit"))
                .foreign_key(&mut fk("app_user", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "app_user", &["username"], true).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("app_user").to_owned())
            .await
    }
}

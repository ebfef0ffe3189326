//! Problems the public reports about rated products (issue 34): each waits in the queue of the
//! product's unit until the department answers or closes it. `app_secret` keeps random keys the
//! processes of a deployment share (the report form's signing key), made by the first to need one.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("problem_report")
                .col(uuid("id").primary_key())
                .col(uuid("product_id"))
                .col(uuid("subject_id"))
                .col(string_len("kind", 20))
                .col(text("text"))
                .col(string_len_null("contact", 200))
                .col(string_len("sender_key", 64))
                .col(string_len("status", 20))
                .col(text_null("answer"))
                .col(boolean("answer_published").default(false))
                .col(date_null("answered_on"))
                .col(uuid_null("linked_recognition_id"))
                .col(uuid_null("linked_certification_id"))
                .col(text_null("close_reason"))
                .col(date_null("closed_on"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("problem_report", "product_id", "product"))
                .foreign_key(&mut fk("problem_report", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "problem_report", &["product_id", "status"], false).await?;
        index(m, "problem_report", &["subject_id", "status"], false).await?;
        index(m, "problem_report", &["sender_key", "created_at"], false).await?;
        m.create_table(
            Table::create()
                .table("app_secret")
                .col(string_len("name", 40).primary_key())
                .col(string_len("value", 128))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("app_secret").to_owned())
            .await?;
        m.drop_table(Table::drop().table("problem_report").to_owned())
            .await
    }
}

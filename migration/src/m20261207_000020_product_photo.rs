//! Product photos for the public page (issue 34): each shows once its review window has passed
//! unless an auditor rejected it; the queue of a unit lists those still waiting.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("product_photo")
                .col(uuid("id").primary_key())
                .col(uuid("product_id"))
                .col(uuid("subject_id"))
                .col(string_len("status", 20))
                .col(timestamp_with_time_zone("public_from"))
                .col(integer("width"))
                .col(integer("height"))
                .col(string_len("uploaded_by", 255))
                .col(string_len_null("decided_by", 255))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(text_null("reason"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("product_photo", "product_id", "product"))
                .foreign_key(&mut fk("product_photo", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "product_photo", &["product_id", "created_at"], false).await?;
        index(m, "product_photo", &["subject_id", "status"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("product_photo").to_owned())
            .await
    }
}

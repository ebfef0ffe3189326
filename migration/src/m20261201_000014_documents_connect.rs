//! Owners' documents and shop connections (issue 13).
//!
//! - `document`: an uploaded file (certificate scan, linkage contract, photo) of one subject,
//!   stored through the object store under a key named by its SHA-256; the row holds what the
//!   registry checked (type sniffed from the content, size, hash) and who uploaded it.
//! - `evidence_document_id` on certifications, raw-material areas and channels: the document
//!   that evidences them. These tables are mirrored (history), so the mirrors gain it too.
//! - `connection_grant`: a pending marketplace authorization. Its state parameter is stored
//!   hashed, expires and is used once; any process can finish the flow.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const EVIDENCED: &[&str] = &["certification", "raw_material_area", "sales_channel"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("document")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                .col(string_len("sha256", 64))
                .col(string_len("content_type", 64))
                .col(big_integer("size"))
                .col(string_len("file_name", 255))
                .col(string_len("storage_key", 255))
                .col(string_len("uploaded_by", 255))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("document", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "document", &["subject_id"], false).await?;
        for table in EVIDENCED {
            for t in [(*table).to_owned(), format!("{table}_version")] {
                m.alter_table(
                    Table::alter()
                        .table(t)
                        .add_column(uuid_null("evidence_document_id"))
                        .to_owned(),
                )
                .await?;
            }
        }
        m.create_table(
            Table::create()
                .table("connection_grant")
                .col(pk_uuid("id"))
                .col(string_len("state_hash", 64))
                .col(uuid("channel_id"))
                .col(string_len("connector", 16))
                // Who started it: the callback acts for them, if they may still act.
                .col(uuid_null("token_id"))
                .col(uuid_null("user_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut fk("connection_grant", "channel_id", "sales_channel"))
                .to_owned(),
        )
        .await?;
        index(m, "connection_grant", &["state_hash"], true).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("connection_grant").to_owned())
            .await?;
        for table in EVIDENCED {
            for t in [(*table).to_owned(), format!("{table}_version")] {
                m.alter_table(
                    Table::alter()
                        .table(t)
                        .drop_column(Alias::new("evidence_document_id"))
                        .to_owned(),
                )
                .await?;
            }
        }
        m.drop_table(Table::drop().table("document").to_owned())
            .await
    }
}

//! Drafts of products and recognitions are found by their parent (the subject, the product)
//! on every row of an imported list that names a registered producer: an index, not a scan of
//! every draft.

use sea_orm_migration::prelude::*;

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        index(m, "draft", &["parent_id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_draft_parent_id")
                .table("draft")
                .to_owned(),
        )
        .await
    }
}

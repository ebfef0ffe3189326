//! A report from the public may carry a photo (issue 34): kept, re-encoded without metadata, as
//! `reports/<id>.jpg` in the document store; shown to staff only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("problem_report")
                .add_column(boolean("has_photo").default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("problem_report")
                .drop_column("has_photo")
                .to_owned(),
        )
        .await
    }
}

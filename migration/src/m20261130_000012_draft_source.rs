//! Where a draft came from (issue 12): the rows of an imported list it stands for, as the list
//! wrote them, so a clerk completing it sees the source and what else the rows said (a product,
//! its stars, a year without a decision date).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("draft")
                .add_column(json_null("source"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("draft")
                .drop_column(Alias::new("source"))
                .to_owned(),
        )
        .await
    }
}

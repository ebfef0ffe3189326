//! A report form's token is used once (issue 34, review): the report keeps the token's nonce,
//! unique, so a reloaded page or a script replaying one form files one report.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("problem_report")
                .add_column(string_len_null("form_nonce", 32))
                .to_owned(),
        )
        .await?;
        index(m, "problem_report", &["form_nonce"], true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_problem_report_form_nonce")
                .table("problem_report")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("problem_report")
                .drop_column("form_nonce")
                .to_owned(),
        )
        .await
    }
}

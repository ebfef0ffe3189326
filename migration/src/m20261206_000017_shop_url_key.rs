//! A shop's address is an identity of its own (issue 30): a channel that gives both a shop id
//! and a shop URL holds both, so another subject's shop URL with a made-up id is still that
//! shop. `shop_key` keeps the id (or, without one, the URL); `shop_url_key` keeps the URL.
//! Keys are filled by the program at start-up (`channels::service::backfill_shop_keys`), which
//! also brings keys written before the canonical form up to it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sales_channel", "sales_channel_version"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .add_column(string_len_null("shop_url_key", 300))
                    .to_owned(),
            )
            .await?;
        }
        index(m, "sales_channel", &["shop_url_key"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_sales_channel_shop_url_key")
                .table(Alias::new("sales_channel"))
                .to_owned(),
        )
        .await?;
        for table in ["sales_channel", "sales_channel_version"] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .drop_column(Alias::new("shop_url_key"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

//! Trust boundary and integrity (domain.md §7): who manages a connection, whether an observed
//! listing is trusted evidence, the parameters of policy version 2 (untrusted listings, capped
//! certificates, verifications that go stale, empty units not applicable), one shop one subject,
//! and webhook event ids deduplicated per channel.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn add(m: &SchemaManager<'_>, table: &str, col: ColumnDef) -> Result<(), DbErr> {
    m.alter_table(
        Table::alter()
            .table(Alias::new(table))
            .add_column(col)
            .to_owned(),
    )
    .await
}

async fn drop_index(m: &SchemaManager<'_>, table: &str, name: &str) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Who set a connection is not known for rows written before this migration: they are
        // treated as the owner's (untrusted), the cautious reading.
        add(
            m,
            "channel_connection",
            string_len("managed_by", 16).default("owner").to_owned(),
        )
        .await?;
        add(m, "listing", boolean("trusted").default(false).to_owned()).await?;
        add(
            m,
            "listing_span",
            boolean("trusted").default(false).to_owned(),
        )
        .await?;
        // The integrity rules of policy version 2 (domain.md §7). Versions made before they
        // existed keep their meaning: every listing counted, certificates counted to their
        // expiry whatever they claimed, a verification never went stale, an empty unit "met"
        // its target.
        add(
            m,
            "indicator_policy",
            boolean("count_owner_managed_listings")
                .default(true)
                .to_owned(),
        )
        .await?;
        add(
            m,
            "indicator_policy",
            boolean("cap_certificate_validity")
                .default(false)
                .to_owned(),
        )
        .await?;
        add(
            m,
            "indicator_policy",
            integer_null("verification_valid_months").to_owned(),
        )
        .await?;
        add(
            m,
            "indicator_policy",
            boolean("empty_units_not_applicable")
                .default(false)
                .to_owned(),
        )
        .await?;
        // The shop's identity (platform + shop id, or the normalised shop URL), filled by the
        // program for existing rows at start-up.
        add(
            m,
            "sales_channel",
            string_len_null("shop_key", 300).to_owned(),
        )
        .await?;
        index(m, "sales_channel", &["shop_key"], false).await?;

        // One shop, one connection: pushes find exactly one.
        drop_index(
            m,
            "channel_connection",
            "ix_channel_connection_connector_shop_id",
        )
        .await?;
        index(m, "channel_connection", &["connector", "shop_id"], true).await?;

        // Event ids are the sender's per channel: one channel's ids never shadow another's.
        drop_index(m, "webhook_event", "ux_webhook_event_platform_event_key").await?;
        index(m, "webhook_event", &["channel_id", "event_key"], true).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_index(m, "webhook_event", "ux_webhook_event_channel_id_event_key").await?;
        index(m, "webhook_event", &["platform", "event_key"], true).await?;
        drop_index(
            m,
            "channel_connection",
            "ux_channel_connection_connector_shop_id",
        )
        .await?;
        index(m, "channel_connection", &["connector", "shop_id"], false).await?;
        drop_index(m, "sales_channel", "ix_sales_channel_shop_key").await?;
        for (t, c) in [
            ("sales_channel", "shop_key"),
            ("indicator_policy", "empty_units_not_applicable"),
            ("indicator_policy", "verification_valid_months"),
            ("indicator_policy", "cap_certificate_validity"),
            ("indicator_policy", "count_owner_managed_listings"),
            ("listing_span", "trusted"),
            ("listing", "trusted"),
            ("channel_connection", "managed_by"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(t))
                    .drop_column(Alias::new(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

//! Channel sync: per-channel connections (credentials encrypted, never served), sync runs, and
//! the durable queue of received webhook events.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("channel_connection")
                .col(uuid("channel_id").primary_key())
                .col(string_len("connector", 16))
                .col(text("base_url"))
                .col(text_null("auth_base_url"))
                .col(string_len_null("partner_id", 128))
                .col(string_len_null("shop_id", 128))
                .col(text_null("app_secret"))
                .col(text_null("access_token"))
                .col(text_null("refresh_token"))
                .col(timestamp_with_time_zone_null("token_expires_at"))
                .col(text_null("webhook_secret"))
                .col(integer("rate_limit_per_minute"))
                .col(integer("sync_interval_minutes"))
                .col(timestamp_with_time_zone_null("watermark"))
                .col(timestamp_with_time_zone_null("last_full_at"))
                .col(timestamp_with_time_zone_null("next_sync_at"))
                .col(string_len_null("lease_owner", 64))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("channel_connection", "channel_id", "sales_channel"))
                .to_owned(),
        )
        .await?;
        index(m, "channel_connection", &["connector", "shop_id"], false).await?;
        index(m, "channel_connection", &["next_sync_at"], false).await?;

        m.create_table(
            Table::create()
                .table("sync_run")
                .col(pk_uuid("id"))
                .col(uuid("channel_id"))
                .col(string_len("trigger", 16))
                .col(string_len("status", 16))
                .col(boolean("full_pass"))
                .col(boolean("complete"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(integer("pages"))
                .col(big_integer("items_seen"))
                .col(big_integer("added"))
                .col(big_integer("changed"))
                .col(big_integer("removed"))
                .col(big_integer("item_errors"))
                .col(text("errors"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone_null("watermark_from"))
                .col(string_len("claimed_by", 64))
                .foreign_key(&mut fk("sync_run", "channel_id", "sales_channel"))
                .to_owned(),
        )
        .await?;
        index(m, "sync_run", &["channel_id", "started_at"], false).await?;

        m.create_table(
            Table::create()
                .table("webhook_event")
                .col(pk_uuid("id"))
                .col(string_len("platform", 32))
                .col(string_len("event_key", 128))
                .col(uuid_null("channel_id"))
                .col(timestamp_with_time_zone("received_at"))
                .col(text("body"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(string_len_null("lease_owner", 64))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(timestamp_with_time_zone_null("processed_at"))
                .col(text_null("error"))
                .foreign_key(&mut fk("webhook_event", "channel_id", "sales_channel"))
                .to_owned(),
        )
        .await?;
        // Duplicate deliveries of one event collide here, whichever process receives them.
        index(m, "webhook_event", &["platform", "event_key"], true).await?;
        index(m, "webhook_event", &["status", "received_at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["webhook_event", "sync_run", "channel_connection"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

//! How the registry reaches a channel's shop on its marketplace (or feed), and the state of its
//! sync. Secrets are encrypted at rest and never served by the API.

use sea_orm::entity::prelude::*;

/// A channel's connection to its marketplace.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel_id: Uuid,
    /// `shopee`, `lazada` or `feed`.
    pub connector: crate::enums::ConnectorKind,
    pub base_url: String,
    /// Lazada's token host (`https://auth.lazada.com/rest`), when different.
    pub auth_base_url: Option<String>,
    /// Shopee partner id, Lazada app key.
    pub partner_id: Option<String>,
    /// The shop (Shopee shop id, Lazada seller id).
    pub shop_id: Option<String>,
    /// Encrypted: Shopee partner key, Lazada app secret, feed bearer token.
    pub app_secret: Option<String>,
    /// Encrypted.
    pub access_token: Option<String>,
    /// Encrypted.
    pub refresh_token: Option<String>,
    pub token_expires_at: Option<DateTimeUtc>,
    /// Encrypted: the shared secret of the registry's own webhook scheme.
    pub webhook_secret: Option<String>,
    pub rate_limit_per_minute: i32,
    pub sync_interval_minutes: i32,
    /// Items updated since this instant are fetched by the next incremental pass.
    pub watermark: Option<DateTimeUtc>,
    pub last_full_at: Option<DateTimeUtc>,
    pub next_sync_at: Option<DateTimeUtc>,
    /// The process running a sync of this channel, and until when its claim holds.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `registry` (set by an administrator or auditor, or obtained through the registry's
    /// own marketplace app) or `owner` (credentials the measured subject wrote itself).
    pub managed_by: crate::enums::ManagedBy,
}

impl ActiveModelBehavior for ActiveModel {}

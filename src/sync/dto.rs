//! Channel-sync shapes.

use chrono::{DateTime, Utc};
use entity::{channel_connection, sync_run};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::validate as v;

pub use entity::enums::{ConnectorKind, EventStatus, ManagedBy, RunStatus};

fn secret(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() || s.len() > 4096 {
        return Err(v::err("secret", "must be 1-4096 characters"));
    }
    Ok(())
}

fn identifier(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() || s.len() > 128 {
        return Err(v::err("identifier", "must be 1-128 characters"));
    }
    Ok(())
}

/// `PUT /api/v1/channels/{id}/connection`. Secrets left out keep their stored value; they are
/// never served back.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "connection_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    pub connector: ConnectorKind,
    /// The feed's URL (`feed` only; required there). Marketplace connections always call the
    /// hosts the operator configured, never one sent here. A URL written by an owner must be
    /// `https` and reach public addresses only.
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub base_url: Option<String>,
    /// Shopee partner id, Lazada or TikTok app key.
    #[validate(custom(function = "identifier"))]
    #[schema(schema_with = crate::schema::identifier_or_null)]
    pub partner_id: Option<String>,
    /// Shopee shop id, Lazada seller id, TikTok shop id.
    #[validate(custom(function = "identifier"))]
    #[schema(schema_with = crate::schema::identifier_or_null)]
    pub shop_id: Option<String>,
    /// Shopee partner key, Lazada or TikTok app secret, or the feed's bearer token.
    #[validate(custom(function = "secret"))]
    #[schema(schema_with = crate::schema::secret_or_null)]
    pub app_secret: Option<String>,
    #[validate(custom(function = "secret"))]
    #[schema(schema_with = crate::schema::secret_or_null)]
    pub access_token: Option<String>,
    #[validate(custom(function = "secret"))]
    #[schema(schema_with = crate::schema::secret_or_null)]
    pub refresh_token: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Shared secret of the registry's own webhook scheme (`feed`).
    #[validate(custom(function = "secret"))]
    #[schema(schema_with = crate::schema::secret_or_null)]
    pub webhook_secret: Option<String>,
    /// Calls per minute the registry allows itself to this shop (default 60).
    #[validate(range(min = 1, max = 6000, message = "must be between 1 and 6000"))]
    #[schema(minimum = 1, maximum = 6000)]
    pub rate_limit_per_minute: Option<i32>,
    /// Minutes between scheduled syncs (default 60).
    #[validate(range(min = 1, max = 10080, message = "must be between 1 and 10080"))]
    #[schema(minimum = 1, maximum = 10080)]
    pub sync_interval_minutes: Option<i32>,
}

fn connection_rules(c: &ConnectionInput) -> Result<(), ValidationError> {
    if c.connector.is_marketplace() && c.base_url.is_some() {
        return Err(v::err(
            "base_url",
            "is not accepted for a marketplace connection: the registry calls the marketplace's \
             host set by the operator",
        ));
    }
    if !c.connector.is_marketplace() && c.base_url.is_none() {
        return Err(v::err("base_url", "is required for a feed connection"));
    }
    if c.connector.is_marketplace() {
        if c.partner_id.is_none() {
            return Err(v::err(
                "partner_id",
                "is required for a marketplace connection (partner id or app key)",
            ));
        }
        if c.shop_id.is_none() {
            return Err(v::err(
                "shop_id",
                "is required for a marketplace connection (the shop or seller id)",
            ));
        }
    }
    Ok(())
}

/// A channel's connection as served: which secrets are set, never their values.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ConnectionView {
    pub channel_id: Uuid,
    pub connector: ConnectorKind,
    /// The feed's URL; for marketplaces, the configured host is used and this is empty.
    pub base_url: Option<String>,
    /// `registry`: its listings are trusted evidence; `owner`: shown, but they count only
    /// under a policy that says so.
    pub managed_by: ManagedBy,
    pub partner_id: Option<String>,
    pub shop_id: Option<String>,
    pub has_app_secret: bool,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub has_webhook_secret: bool,
    pub rate_limit_per_minute: i32,
    pub sync_interval_minutes: i32,
    /// Changes since this instant are read by the next incremental pass.
    pub watermark: Option<DateTime<Utc>>,
    pub last_full_at: Option<DateTime<Utc>>,
    pub next_sync_at: Option<DateTime<Utc>>,
    /// Whether a process holds the channel's sync claim now.
    pub running: bool,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<channel_connection::Model> for ConnectionView {
    fn from(m: channel_connection::Model) -> Self {
        ConnectionView {
            channel_id: m.channel_id,
            base_url: Some(m.base_url)
                .filter(|u| !u.is_empty() && m.connector == ConnectorKind::Feed),
            connector: m.connector,
            managed_by: m.managed_by,
            partner_id: m.partner_id,
            shop_id: m.shop_id,
            has_app_secret: m.app_secret.is_some(),
            has_access_token: m.access_token.is_some(),
            has_refresh_token: m.refresh_token.is_some(),
            token_expires_at: m.token_expires_at,
            has_webhook_secret: m.webhook_secret.is_some(),
            rate_limit_per_minute: m.rate_limit_per_minute,
            sync_interval_minutes: m.sync_interval_minutes,
            watermark: m.watermark,
            last_full_at: m.last_full_at,
            next_sync_at: m.next_sync_at,
            running: m.lease_until.is_some_and(|t| t > crate::clock::now()),
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// Options of `POST /api/v1/channels/{id}/sync`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SyncOptions {
    /// Read every listing (and mark the ones no longer there removed) instead of only the
    /// changes since the last complete pass.
    pub full: Option<bool>,
}

/// Filters of `GET /api/v1/sync-runs`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SyncRunQuery {
    pub channel_id: Option<Uuid>,
    pub status: Option<RunStatus>,
}

/// A sync run.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct SyncRunView {
    pub id: Uuid,
    pub channel_id: Uuid,
    /// `api`, `scheduler`, `cli` or `webhook`.
    pub trigger: crate::domain::RunTrigger,
    pub status: RunStatus,
    /// Whether the run read every listing rather than the changes since the last one.
    pub full_pass: bool,
    /// Whether it read to the end.
    pub complete: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: i32,
    pub items_seen: i64,
    pub added: i64,
    pub changed: i64,
    /// Listings marked deleted because a complete full pass no longer saw them.
    pub removed: i64,
    /// Items that could not be read (the run went on).
    pub item_errors: i64,
    /// Item errors and retries, capped at 100.
    pub errors: Vec<String>,
    /// Why the run failed.
    pub reason: Option<String>,
    pub watermark_from: Option<DateTime<Utc>>,
}

/// What an owner or a channel partner is told of a failed run: the detail (which host
/// answered what) stays with the department, so a URL cannot be used to probe networks.
pub const GENERIC_FAILURE: &str = "the sync failed; the department's auditors can see the details";

impl SyncRunView {
    /// The run as `role` may see it: administrators and auditors get every detail, others
    /// the outcome and counts.
    pub fn for_role(mut self, role: crate::domain::Role) -> Self {
        use crate::domain::Role;
        if !matches!(role, Role::Admin | Role::Auditor) {
            if self.reason.is_some() {
                self.reason = Some(GENERIC_FAILURE.to_owned());
            }
            self.errors.clear();
        }
        self
    }
}

impl From<sync_run::Model> for SyncRunView {
    fn from(m: sync_run::Model) -> Self {
        SyncRunView {
            id: m.id,
            channel_id: m.channel_id,
            trigger: m.trigger,
            // Written by this program only; an unreadable value reads as failed.
            status: m.status,
            full_pass: m.full_pass,
            complete: m.complete,
            started_at: m.started_at,
            finished_at: m.finished_at,
            pages: m.pages,
            items_seen: m.items_seen,
            added: m.added,
            changed: m.changed,
            removed: m.removed,
            item_errors: m.item_errors,
            errors: serde_json::from_str(&m.errors).unwrap_or_default(),
            reason: m.reason,
            watermark_from: m.watermark_from,
        }
    }
}

/// The answer to a webhook delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    /// `accepted` (stored, processed shortly) or `duplicate` (already received).
    pub status: String,
    /// The stored event.
    pub event_id: Option<Uuid>,
}

/// `PATCH /api/v1/listings/{id}`: match a listing to one of the subject's products.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchListing {
    /// The product (of the same subject), or `null` to unmatch.
    pub product_id: Option<Uuid>,
}

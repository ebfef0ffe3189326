//! One home per marketplace (`shopee.rs`, `lazada.rs`, `tiktok.rs`, and `feed.rs` for the
//! registry's own listing feed), each behind the [`Marketplace`] trait: its request signing, its
//! consent page and code exchange, its push verification and what a push does, and its
//! [`Connector`], which reads a shop's listings page by page with the marketplace's pagination,
//! statuses and token refresh. The generic parts — the sync run (`runs.rs`), the consent flow
//! (`authorize.rs`) and the webhook store (`webhooks.rs`) — ask [`of`] once for the
//! marketplace of a connection and never match on its kind again.

use chrono::{DateTime, Utc};
use entity::{channel_connection, webhook_event};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

use super::client::{HttpClient, SyncError};
pub use super::dto::ConnectorKind;
use super::settings::{App, SyncSettings};
use crate::channels::observe::Observation;
use crate::error::{AppError, AppResult};

pub mod feed;
pub mod lazada;
pub mod push;
pub mod shopee;
pub mod tiktok;

/// A marketplace, or the registry's own feed: everything the registry does with it.
#[async_trait::async_trait]
pub trait Marketplace: Sync {
    /// The reader of a connection's listings.
    fn connector(
        &self,
        conn: &channel_connection::Model,
        hosts: &Hosts,
        creds: Credentials,
        pass: Pass,
    ) -> Result<Box<dyn Connector>, SyncError>;

    /// The marketplace's consent page for the registry's `app`, sending the seller back to
    /// `callback` with `state`. Only the marketplaces have one.
    fn consent_url(
        &self,
        _settings: &SyncSettings,
        _app: &App,
        _callback: &str,
        _state: &str,
    ) -> AppResult<String> {
        Err(AppError::invalid(
            "platform",
            "only Shopee, Lazada and TikTok Shop shops connect through the marketplace's authorization",
        ))
    }

    /// Exchanges a consent code for the shop's first tokens (`shop_id`: what the marketplace
    /// sent back beside the code, if anything).
    async fn exchange(
        &self,
        _settings: &SyncSettings,
        _http: &HttpClient,
        _app: &App,
        _code: &str,
        _shop_id: Option<&str>,
    ) -> Result<Granted, SyncError> {
        Err(SyncError::Auth(
            "no consent flow for this source".to_owned(),
        ))
    }

    /// Verifies a push on its raw bytes: the channel it is for and its event key (two
    /// deliveries of one event share it); refused with [`push::refuse`] otherwise.
    async fn verify_push(
        &self,
        db: &sea_orm::DatabaseConnection,
        settings: &SyncSettings,
        d: &push::Delivery<'_>,
    ) -> AppResult<(Uuid, String)>;

    /// What a verified, stored push does, in the transaction that marks it processed.
    async fn apply_push(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        ev: &webhook_event::Model,
        channel_id: Uuid,
    ) -> AppResult<()>;
}

/// Exchanges a consent code for the shop's first tokens on marketplace `kind`.
pub async fn exchange(
    settings: &SyncSettings,
    kind: ConnectorKind,
    app: &App,
    code: &str,
    shop_id: Option<&str>,
) -> Result<Granted, SyncError> {
    let http = HttpClient::new(
        settings.timeout,
        settings.policy.clone(),
        0,
        super::client::Reach::Any,
    )?;
    of(kind).exchange(settings, &http, app, code, shop_id).await
}

/// The marketplace of a connector kind: the one place that dispatches on it.
pub fn of(kind: ConnectorKind) -> &'static dyn Marketplace {
    match kind {
        ConnectorKind::Shopee => &shopee::SHOPEE,
        ConnectorKind::Lazada => &lazada::LAZADA,
        ConnectorKind::TiktokShop => &tiktok::TIKTOK,
        ConnectorKind::Feed => &feed::FEED,
    }
}

/// A shop's first tokens, from a consent code.
pub struct Granted {
    pub shop_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A field of a marketplace's answer as text (they send ids as strings or numbers).
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut m = mac(key);
    m.update(message);
    hex::encode(m.finalize().into_bytes())
}

/// Whether `signature_hex` (either case) is the HMAC-SHA256 of `message` under `key`, compared
/// in constant time.
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut m = mac(key);
    m.update(message);
    m.verify_slice(&given).is_ok()
}

/// Verifies a Lazada (or TikTok Shop) push: `Authorization` = hex HMAC(app secret, app key +
/// raw body).
pub fn verify_app_key_push(
    app_key: &str,
    app_secret: &str,
    body: &[u8],
    authorization: &str,
) -> bool {
    let mut message = Vec::with_capacity(app_key.len() + body.len());
    message.extend_from_slice(app_key.as_bytes());
    message.extend_from_slice(body);
    verify_hex(app_secret.as_bytes(), &message, authorization)
}

/// Which listings a run reads.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    /// Every listing (only a complete full pass may mark unseen listings removed).
    pub full: bool,
    /// Incremental passes read what changed since then.
    pub since: Option<DateTime<Utc>>,
    /// When the run started.
    pub until: DateTime<Utc>,
}

/// One page of listings, and the items that could not be read (recorded, not fatal).
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<Observation>,
    pub bad: Vec<String>,
}

/// Fresh tokens obtained during a run, to store.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Decrypted credentials of a connection.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub app_secret: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
}

impl Credentials {
    /// The secret values themselves, to scrub from anything recorded.
    pub fn values(&self) -> Vec<String> {
        [&self.app_secret, &self.access_token, &self.refresh_token]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// A source of listing pages.
#[async_trait::async_trait]
pub trait Connector: Send {
    /// The next page, or `None` when the pass is complete.
    async fn next_page(&mut self, http: &HttpClient) -> Result<Option<Page>, SyncError>;
    /// Tokens refreshed since the last call, if any.
    fn take_refreshed(&mut self) -> Option<Tokens>;
}

fn required(value: Option<String>, what: &str) -> Result<String, SyncError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SyncError::Failed(format!("the connection has no {what}")))
}

/// The marketplaces' API hosts, from the operator's configuration: a marketplace connection
/// never calls a host its writer chose.
#[derive(Debug, Clone)]
pub struct Hosts {
    pub shopee: String,
    pub lazada: String,
    pub lazada_auth: String,
}

/// The connector of a connection.
pub fn build(
    conn: &channel_connection::Model,
    hosts: &Hosts,
    creds: Credentials,
    pass: Pass,
) -> Result<Box<dyn Connector>, SyncError> {
    of(conn.connector).connector(conn, hosts, creds, pass)
}

/// What a marketplace's push does: it says that something changed, and the listing API says
/// what, so the channel's next sync is brought forward.
async fn sync_soon(txn: &sea_orm::DatabaseTransaction, channel_id: Uuid) -> AppResult<()> {
    use entity::channel_connection as connection;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    connection::Entity::update_many()
        .col_expr(
            connection::Column::NextSyncAt,
            Expr::value(crate::clock::now()),
        )
        .filter(connection::Column::ChannelId.eq(channel_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A host as configured, without its trailing slash.
fn host(h: &str) -> String {
    h.trim_end_matches('/').to_owned()
}

/// A whole number of đồng from a marketplace's price (they send VND as floats).
pub fn vnd(v: &Value) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        Value::Number(n) => {
            let f = n.as_f64()?;
            (0.0..1e15).contains(&f).then(|| Some(f.round() as i64))
        }
        Value::String(s) => crate::validate::parse_vnd(s)
            .ok()
            .and_then(|d| rust_decimal::prelude::ToPrimitive::to_i64(&d))
            .map(Some),
        _ => None,
    }
}

/// Token lifetime as an instant: seconds from now, or an epoch when it looks like one (Shopee's
/// documented samples use both).
pub fn expiry(seconds_or_epoch: Option<i64>) -> Option<DateTime<Utc>> {
    let v = seconds_or_epoch?;
    if v > 100_000_000 {
        DateTime::from_timestamp(v, 0)
    } else {
        Some(Utc::now() + chrono::Duration::seconds(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazada_and_tiktok_push_examples_l6_t5_t6() {
        let l6 = br#"{"seller_id":"200123456","message_type":4,"data":{"item_id":1760954113,"sku_list":[{"shop_sku":"1760954113_VNAMZ-8975502010","seller_sku":"CAFE-ROBUSTA-500G","sku_id":8975502010}],"action":"EDITED_UPDATED","status_update_time":1700000000123},"timestamp":1700000000,"site":"lazada_vn"}"#;
        assert!(verify_app_key_push(
            "123456",
            "3412gyo124goi3124",
            l6,
            "ef83f9ecd295b2fa9ca7936a3a9c160074f81de69ca8db5df0e2701bf5bc5fb9"
        ));
        assert!(!verify_app_key_push(
            "123456",
            "wrong",
            l6,
            "ef83f9ecd295b2fa9ca7936a3a9c160074f81de69ca8db5df0e2701bf5bc5fb9"
        ));
        let t5 = br#"{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}"#;
        assert!(verify_app_key_push(
            "fake_app_key",
            "fake_app_secret",
            t5,
            "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
        ));
        let t6 = br#"{"type":15,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1700000100,"data":{"product_id":"1729592969712207008","change_source":"SELLER_CENTER","changed_fields":["title"],"update_time":1700000090}}"#;
        assert!(verify_app_key_push(
            "29a39d",
            "e59af819cc",
            t6,
            "1d47419c206760cbaad4edf7a534ac440e77df5ba9ffa85f7ec51fac12aa1aef"
        ));
    }
}

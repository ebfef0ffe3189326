//! Marketplace connectors behind one trait: each reads a shop's listings page by page, with its
//! marketplace's signing, pagination, statuses and token refresh. The sync run drives them and
//! writes each page as it comes, so memory does not grow with the shop.

use chrono::{DateTime, Utc};
use entity::channel_connection;
use serde_json::Value;

use super::client::{HttpClient, SyncError};
pub use super::dto::ConnectorKind;
use crate::channels::observe::Observation;

pub mod feed;
pub mod lazada;
pub mod shopee;

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
    let kind = conn.connector;
    let host = |h: &str| h.trim_end_matches('/').to_owned();
    Ok(match kind {
        ConnectorKind::Feed => Box::new(feed::Feed::new(
            host(&conn.base_url),
            creds.app_secret,
            pass,
        )),
        ConnectorKind::Shopee => Box::new(shopee::Shopee::new(
            host(&hosts.shopee),
            required(conn.partner_id.clone(), "partner id")?,
            required(creds.app_secret, "partner key")?,
            required(conn.shop_id.clone(), "shop id")?,
            required(creds.access_token, "access token")?,
            creds.refresh_token,
            pass,
        )),
        ConnectorKind::Lazada => Box::new(lazada::Lazada::new(
            host(&hosts.lazada),
            host(&hosts.lazada_auth),
            required(conn.partner_id.clone(), "app key")?,
            required(creds.app_secret, "app secret")?,
            required(creds.access_token, "access token")?,
            creds.refresh_token,
            pass,
        )),
        ConnectorKind::TiktokShop => {
            return Err(SyncError::Failed(
                "TikTok Shop channels are updated by their pushes only; there is no listing API to read"
                    .to_owned(),
            ));
        }
    })
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

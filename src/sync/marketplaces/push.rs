//! What every push shares before its marketplace reads it: the delivery as received, and the
//! refusal that leaves no trace but a log line.

use std::collections::HashMap;

use entity::channel_connection as connection;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ConnectorKind, verify_app_key_push};
use crate::error::{AppError, AppResult};
use crate::sync::settings::SyncSettings;

/// One delivery as received.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub platform: &'a str,
    /// Header names in lowercase.
    pub headers: HashMap<String, String>,
    pub body: &'a [u8],
    /// The URL as called (Shopee signs it).
    pub url: String,
}

pub fn refuse(platform: &str, why: &str) -> AppError {
    // The only trace of a refused push; the sender learns nothing about which check failed.
    tracing::warn!(%platform, reason = %why, "webhook refused");
    AppError::Unauthorized("the push could not be verified".into())
}

pub fn header<'a>(d: &'a Delivery<'_>, name: &str) -> Result<&'a str, AppError> {
    d.headers
        .get(name)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refuse(d.platform, &format!("missing header {name}")))
}

pub async fn connection_by_shop(
    db: &impl ConnectionTrait,
    connector: ConnectorKind,
    shop: &str,
) -> AppResult<Option<connection::Model>> {
    Ok(connection::Entity::find()
        .filter(connection::Column::Connector.eq(connector))
        .filter(connection::Column::ShopId.eq(shop))
        .one(db)
        .await?)
}

pub fn body_hash(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

pub fn shop_in(body: &[u8], field: &str) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A push signed with the app key (Lazada, TikTok Shop): the shop named in the body's
/// `shop_field` must be connected, and `Authorization` must be its app's signature of the body.
/// Answers the shop's channel and the body's hash.
pub async fn verify_app_key(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    d: &Delivery<'_>,
    kind: ConnectorKind,
    shop_field: &str,
) -> AppResult<(Uuid, String)> {
    let shop = shop_in(d.body, shop_field)
        .ok_or_else(|| refuse(d.platform, &format!("no {shop_field} in the body")))?;
    let conn = connection_by_shop(db, kind, &shop)
        .await?
        .ok_or_else(|| refuse(d.platform, "unknown shop"))?;
    let app_key = conn.partner_id.clone().unwrap_or_default();
    let secret = settings
        .app_secret_of(&conn)?
        .ok_or_else(|| refuse(d.platform, "the shop's connection has no app secret"))?;
    if !verify_app_key_push(&app_key, &secret, d.body, header(d, "authorization")?) {
        return Err(refuse(d.platform, "bad signature"));
    }
    Ok((conn.channel_id, body_hash(d.body)))
}

//! Signed pushes: verified on the raw bytes in constant time, stored durably before the answer,
//! processed after — by whichever process claims the event first, exactly once. A forged or
//! stale push leaves no trace but a log line; a duplicate is acknowledged and ignored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{channel_connection as connection, sales_channel as channel, webhook_event as event};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::connectors::{ConnectorKind, feed};
use super::dto::{EventStatus, ManagedBy};
use super::settings::SyncSettings;
use super::signing::{verify_app_key_push, verify_feed, verify_shopee_push};
use crate::channels::observe;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::{clock, ids};

/// Pushes older or newer than this (the registry's own scheme) are refused.
pub const REPLAY_WINDOW_SECS: i64 = 300;
/// Largest push accepted.
pub const MAX_BODY: u64 = 256 * 1024;
/// Attempts before an event is set aside as failed.
const MAX_ATTEMPTS: i32 = 5;
/// How long a claim on an event holds.
const EVENT_LEASE: chrono::Duration = chrono::Duration::minutes(5);

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

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Accepted(Uuid),
    Duplicate,
}

fn refuse(platform: &str, why: &str) -> AppError {
    // The only trace of a refused push; the sender learns nothing about which check failed.
    tracing::warn!(%platform, reason = %why, "webhook refused");
    AppError::Unauthorized("the push could not be verified".into())
}

fn header<'a>(d: &'a Delivery<'_>, name: &str) -> Result<&'a str, AppError> {
    d.headers
        .get(name)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refuse(d.platform, &format!("missing header {name}")))
}

async fn connection_by_shop(
    db: &impl ConnectionTrait,
    connector: &str,
    shop: &str,
) -> AppResult<Option<connection::Model>> {
    Ok(connection::Entity::find()
        .filter(connection::Column::Connector.eq(connector))
        .filter(connection::Column::ShopId.eq(shop))
        .one(db)
        .await?)
}

fn body_hash(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

fn shop_in(body: &[u8], field: &str) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Verifies a delivery and stores it; `Unauthorized` when it cannot be verified.
#[tracing::instrument(skip_all, fields(platform = %d.platform))]
pub async fn receive(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    d: Delivery<'_>,
) -> AppResult<Received> {
    let secrets = &settings.secrets;
    let kind: ConnectorKind = d
        .platform
        .parse()
        .map_err(|_| AppError::not_found("webhook platform", d.platform))?;
    let (channel_id, event_key) = match kind {
        ConnectorKind::Feed => {
            let channel: Uuid = header(&d, "x-ocop-channel")?
                .parse()
                .map_err(|_| refuse(d.platform, "X-Ocop-Channel is not a channel id"))?;
            let event_id = header(&d, "x-ocop-event-id")?;
            if event_id.len() > 120 {
                return Err(refuse(
                    d.platform,
                    "X-Ocop-Event-Id is longer than 120 characters",
                ));
            }
            let ts = header(&d, "x-ocop-timestamp")?;
            let signature = header(&d, "x-ocop-signature")?;
            let conn = crate::db::unique(db, connection::Entity::find_by_id(channel))
                .await?
                .filter(|c| c.connector == ConnectorKind::Feed)
                .ok_or_else(|| refuse(d.platform, "no feed connection for that channel"))?;
            let secret = conn
                .webhook_secret
                .as_deref()
                .map(|s| secrets.open(s))
                .transpose()?
                .ok_or_else(|| refuse(d.platform, "the channel has no webhook secret"))?;
            if !verify_feed(&secret, ts, event_id, d.body, signature) {
                return Err(refuse(d.platform, "bad signature"));
            }
            let sent: i64 = ts
                .parse()
                .map_err(|_| refuse(d.platform, "X-Ocop-Timestamp is not Unix seconds"))?;
            if (Utc::now().timestamp() - sent).abs() > REPLAY_WINDOW_SECS {
                return Err(refuse(d.platform, "timestamp outside the 300 s window"));
            }
            (channel, event_id.to_owned())
        }
        ConnectorKind::Shopee => {
            let shop = shop_in(d.body, "shop_id")
                .ok_or_else(|| refuse(d.platform, "no shop_id in the body"))?;
            let conn = connection_by_shop(db, ConnectorKind::Shopee.code(), &shop)
                .await?
                .ok_or_else(|| refuse(d.platform, "unknown shop"))?;
            let key = settings
                .app_secret_of(&conn)?
                .ok_or_else(|| refuse(d.platform, "the shop's connection has no partner key"))?;
            if !verify_shopee_push(&key, &d.url, d.body, header(&d, "authorization")?) {
                return Err(refuse(d.platform, "bad signature"));
            }
            (conn.channel_id, body_hash(d.body))
        }
        ConnectorKind::Lazada | ConnectorKind::TiktokShop => {
            let field = if kind == ConnectorKind::Lazada {
                "seller_id"
            } else {
                "shop_id"
            };
            let shop = shop_in(d.body, field)
                .ok_or_else(|| refuse(d.platform, &format!("no {field} in the body")))?;
            let conn = connection_by_shop(db, d.platform, &shop)
                .await?
                .ok_or_else(|| refuse(d.platform, "unknown shop"))?;
            let app_key = conn.partner_id.clone().unwrap_or_default();
            let secret = settings
                .app_secret_of(&conn)?
                .ok_or_else(|| refuse(d.platform, "the shop's connection has no app secret"))?;
            if !verify_app_key_push(&app_key, &secret, d.body, header(&d, "authorization")?) {
                return Err(refuse(d.platform, "bad signature"));
            }
            (conn.channel_id, body_hash(d.body))
        }
    };
    let id = ids::new_id();
    let body = String::from_utf8_lossy(d.body).into_owned();
    let txn = begin_write(db).await?;
    // Two deliveries of one event collide on (channel, event key), in any process; one
    // channel's event ids never shadow another's.
    let inserted = event::Entity::insert(event::ActiveModel {
        id: Set(id),
        platform: Set(crate::domain::Platform::parse(d.platform)),
        event_key: Set(event_key),
        channel_id: Set(Some(channel_id)),
        received_at: Set(clock::now()),
        body: Set(body),
        status: Set(EventStatus::Pending),
        attempts: Set(0),
        lease_owner: Set(None),
        lease_until: Set(None),
        processed_at: Set(None),
        error: Set(None),
    })
    .on_conflict(
        OnConflict::columns([event::Column::ChannelId, event::Column::EventKey])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(if inserted == 1 {
        Received::Accepted(id)
    } else {
        Received::Duplicate
    })
}

/// The pushes waiting to be processed: how many, and when the oldest arrived.
pub async fn queue(db: &DatabaseConnection) -> AppResult<(i64, Option<DateTime<Utc>>)> {
    use sea_orm::sea_query::Func;
    let row: Option<(i64, Option<DateTime<Utc>>)> = event::Entity::find()
        .select_only()
        .expr(Func::count(Expr::col(event::Column::Id)))
        .expr(Func::min(Expr::col(event::Column::ReceivedAt)))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.unwrap_or((0, None)))
}

/// Processes pending events (at most `limit`); returns how many this process completed.
#[tracing::instrument(skip(db, settings))]
pub async fn process_pending(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    limit: u64,
) -> AppResult<usize> {
    let now = clock::now();
    let candidates: Vec<Uuid> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(
            Condition::any()
                .add(event::Column::LeaseUntil.is_null())
                .add(event::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(event::Column::ReceivedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut done = 0;
    for id in candidates {
        if !claim(db, settings, id).await? {
            continue;
        }
        match apply(db, settings, id).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(event = %id, error = %e, "webhook event processing failed");
                let txn = begin_write(db).await?;
                let ev = crate::db::unique(&txn, event::Entity::find_by_id(id)).await?;
                if let Some(ev) = ev {
                    let status = if ev.attempts >= MAX_ATTEMPTS {
                        EventStatus::Failed
                    } else {
                        EventStatus::Pending
                    };
                    event::Entity::update_many()
                        .col_expr(event::Column::Status, Expr::value(status.code()))
                        .col_expr(event::Column::Error, Expr::value(e.to_string()))
                        .col_expr(
                            event::Column::LeaseOwner,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(
                            event::Column::LeaseUntil,
                            Expr::value(Option::<DateTime<Utc>>::None),
                        )
                        .filter(event::Column::Id.eq(id))
                        .filter(event::Column::LeaseOwner.eq(settings.instance.clone()))
                        .exec(&txn)
                        .await?;
                }
                txn.commit().await?;
            }
        }
    }
    Ok(done)
}

/// Takes an event for this process (`false`: another has it).
async fn claim(db: &DatabaseConnection, settings: &SyncSettings, id: Uuid) -> AppResult<bool> {
    let now = clock::now();
    let txn = begin_write(db).await?;
    let res = event::Entity::update_many()
        .col_expr(
            event::Column::LeaseOwner,
            Expr::value(settings.instance.clone()),
        )
        .col_expr(event::Column::LeaseUntil, Expr::value(now + EVENT_LEASE))
        .col_expr(
            event::Column::Attempts,
            Expr::col(event::Column::Attempts).add(1),
        )
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(
            Condition::any()
                .add(event::Column::LeaseUntil.is_null())
                .add(event::Column::LeaseUntil.lt(now)),
        )
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(res.rows_affected == 1)
}

/// Applies an event and marks it processed in one transaction: either both happen or neither,
/// and only while this process still holds it.
async fn apply(db: &DatabaseConnection, settings: &SyncSettings, id: Uuid) -> AppResult<bool> {
    let txn = begin_write(db).await?;
    let now = clock::now();
    let marked = event::Entity::update_many()
        .col_expr(
            event::Column::Status,
            Expr::value(EventStatus::Processed.code()),
        )
        .col_expr(event::Column::ProcessedAt, Expr::value(now))
        .col_expr(
            event::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            event::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(event::Column::Error, Expr::value(Option::<String>::None))
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(event::Column::LeaseOwner.eq(settings.instance.clone()))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        // Taken over by another process meanwhile: leave it to that one.
        return Ok(false);
    }
    let ev = crate::db::unique(&txn, event::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::Internal("webhook event vanished".to_owned()))?;
    let channel_id = ev
        .channel_id
        .ok_or_else(|| AppError::Internal("webhook event without channel".to_owned()))?;
    let kind = ev.platform.connector().ok_or_else(|| {
        AppError::Internal(format!(
            "webhook event of platform {} without a connector",
            ev.platform
        ))
    })?;
    match kind {
        ConnectorKind::Feed => {
            let body: Value = serde_json::from_str(&ev.body).map_err(|e| {
                AppError::bad_request(None, format!("the event body is not JSON: {e}"))
            })?;
            let items = body
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| AppError::bad_request(None, "the event has no \"items\" array"))?;
            let page = feed::page(items);
            let ch = crate::db::unique(&txn, channel::Entity::find_by_id(channel_id))
                .await?
                .ok_or_else(|| AppError::not_found("channel", channel_id))?;
            // Trusted only from a registry-managed connection that has not changed hands since
            // the push was verified with its secret.
            let trusted = crate::db::unique(&txn, connection::Entity::find_by_id(channel_id))
                .await?
                .is_some_and(|c| {
                    c.managed_by == ManagedBy::Registry && c.updated_at <= ev.received_at
                });
            observe::observe(&txn, &ch, ev.received_at, trusted, &page.items).await?;
            if !page.bad.is_empty() {
                event::Entity::update_many()
                    .col_expr(event::Column::Error, Expr::value(page.bad.join("; ")))
                    .filter(event::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
        }
        // Marketplace pushes say that something changed; the listing API says what. Bring the
        // channel's next sync forward.
        ConnectorKind::Shopee | ConnectorKind::Lazada => {
            connection::Entity::update_many()
                .col_expr(connection::Column::NextSyncAt, Expr::value(now))
                .filter(connection::Column::ChannelId.eq(channel_id))
                .exec(&txn)
                .await?;
        }
        // No listing API to re-read yet: the event is kept as received.
        ConnectorKind::TiktokShop => {}
    }
    txn.commit().await?;
    Ok(true)
}

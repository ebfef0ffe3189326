//! The registry's own listing feed, for partners without a marketplace API (postal
//! marketplaces, a department's own feed): its reader, its push scheme (`docs/webhooks.md`:
//! HMAC-SHA256 over timestamp, event id and body, in a 300 s window) and what a push does (its
//! items observed at once). The format is documented in the README:
//!
//! `GET {base_url}?limit=100[&cursor=C][&updated_since=RFC3339]` with
//! `Authorization: Bearer {token}` answers
//! `{"items": [{"id", "title", "price_vnd", "status", "updated_at"}], "next_cursor": C | null}`.

use chrono::Utc;
use entity::{channel_connection as connection, sales_channel as channel, webhook_event as event};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use super::push::{Delivery, header, refuse};
use super::{
    Connector, ConnectorKind, Credentials, Hosts, Marketplace, Page, Pass, Tokens, hmac_hex, host,
    verify_hex, vnd,
};
use crate::channels::observe::{self, Observation};
use crate::domain::ListingStatus;
use crate::error::{AppError, AppResult};
use crate::sync::client::{HttpClient, SyncError, Verdict};
use crate::sync::dto::ManagedBy;
use crate::sync::settings::SyncSettings;

/// Pushes older or newer than this are refused.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Page size asked of feeds.
pub const PAGE_SIZE: usize = 100;

/// A feed reader.
pub struct Feed {
    url: String,
    token: Option<String>,
    cursor: Option<String>,
    done: bool,
    pass: Pass,
}

impl Feed {
    /// A reader of `url`.
    pub fn new(url: String, token: Option<String>, pass: Pass) -> Self {
        Feed {
            url,
            token,
            cursor: None,
            done: false,
            pass,
        }
    }
}

/// Reads one feed item (also used for pushes of the registry's own scheme).
pub fn item(i: usize, v: &Value) -> Result<Observation, String> {
    let id = match v.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 128 => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(format!("item {i}: no id (a string of 1-128 characters)")),
    };
    let title = match v.get("title") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => return Err(format!("item {id}: no title")),
    };
    let price_vnd = vnd(v.get("price_vnd").unwrap_or(&Value::Null))
        .ok_or_else(|| format!("item {id}: price_vnd must be a whole number of đồng"))?;
    let status = match v.get("status").and_then(Value::as_str) {
        Some("active") => ListingStatus::Active,
        Some("unlisted") => ListingStatus::Unlisted,
        Some("deleted") => ListingStatus::Deleted,
        other => return Err(format!("item {id}: unknown status {other:?}")),
    };
    Ok(Observation {
        external_id: id,
        title,
        price_vnd,
        status,
    })
}

/// Reads a page of feed items, keeping the bad ones apart.
pub fn page(items: &[Value]) -> Page {
    let mut page = Page::default();
    for (i, v) in items.iter().enumerate() {
        match item(i, v) {
            Ok(o) => page.items.push(o),
            Err(e) => page.bad.push(e),
        }
    }
    page
}

#[async_trait::async_trait]
impl Connector for Feed {
    async fn next_page(&mut self, http: &HttpClient) -> Result<Option<Page>, SyncError> {
        if self.done {
            return Ok(None);
        }
        let mut query = vec![("limit".to_owned(), PAGE_SIZE.to_string())];
        if let Some(c) = &self.cursor {
            query.push(("cursor".to_owned(), c.clone()));
        }
        if let (false, Some(since)) = (self.pass.full, self.pass.since) {
            query.push(("updated_since".to_owned(), since.to_rfc3339()));
        }
        let json = http
            .call(
                "feed page",
                |c| {
                    let mut r = c.get(&self.url).query(&query);
                    if let Some(t) = &self.token {
                        r = r.bearer_auth(t);
                    }
                    r
                },
                |status, body| match status {
                    200..=299 => Verdict::Done,
                    401 | 403 => Verdict::Auth(format!("the feed answered HTTP {status}")),
                    _ => Verdict::Fail(format!(
                        "HTTP {status}: {}",
                        body.get("error")
                            .map_or_else(|| body.to_string(), Value::to_string)
                    )),
                },
            )
            .await?;
        let items = json.get("items").and_then(Value::as_array).ok_or_else(|| {
            SyncError::Failed("feed page: malformed answer: no \"items\" array".to_owned())
        })?;
        let next = match json.get("next_cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::String(_)) => None,
            Some(other) => {
                return Err(SyncError::Failed(format!(
                    "feed page: malformed answer: next_cursor is {other}"
                )));
            }
        };
        self.done = next.is_none();
        self.cursor = next;
        Ok(Some(page(items)))
    }

    fn take_refreshed(&mut self) -> Option<Tokens> {
        None
    }
}

/// The registry's own feed.
pub struct FeedSource;

/// The one feed.
pub static FEED: FeedSource = FeedSource;

#[async_trait::async_trait]
impl Marketplace for FeedSource {
    fn connector(
        &self,
        conn: &connection::Model,
        _hosts: &Hosts,
        creds: Credentials,
        pass: Pass,
    ) -> Result<Box<dyn Connector>, SyncError> {
        Ok(Box::new(Feed::new(
            host(&conn.base_url),
            creds.app_secret,
            pass,
        )))
    }

    async fn verify_push(
        &self,
        db: &DatabaseConnection,
        settings: &SyncSettings,
        d: &Delivery<'_>,
    ) -> AppResult<(Uuid, String)> {
        let channel: Uuid = header(d, "x-ocop-channel")?
            .parse()
            .map_err(|_| refuse(d.platform, "X-Ocop-Channel is not a channel id"))?;
        let event_id = header(d, "x-ocop-event-id")?;
        if event_id.len() > 120 {
            return Err(refuse(
                d.platform,
                "X-Ocop-Event-Id is longer than 120 characters",
            ));
        }
        let ts = header(d, "x-ocop-timestamp")?;
        let signature = header(d, "x-ocop-signature")?;
        let conn = crate::db::unique(db, connection::Entity::find_by_id(channel))
            .await?
            .filter(|c| c.connector == ConnectorKind::Feed)
            .ok_or_else(|| refuse(d.platform, "no feed connection for that channel"))?;
        let secret = conn
            .webhook_secret
            .as_deref()
            .map(|s| settings.secrets.open(s))
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
        Ok((channel, event_id.to_owned()))
    }

    /// The push carries the listings themselves: they are observed at once.
    async fn apply_push(
        &self,
        txn: &DatabaseTransaction,
        ev: &event::Model,
        channel_id: Uuid,
    ) -> AppResult<()> {
        let body: Value = serde_json::from_str(&ev.body)
            .map_err(|e| AppError::bad_request(None, format!("the event body is not JSON: {e}")))?;
        let items = body
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| AppError::bad_request(None, "the event has no \"items\" array"))?;
        let page = page(items);
        let ch = crate::db::unique(txn, channel::Entity::find_by_id(channel_id))
            .await?
            .ok_or_else(|| AppError::not_found("channel", channel_id))?;
        // Trusted only from a registry-managed connection that has not changed hands since the
        // push was verified with its secret.
        let trusted = crate::db::unique(txn, connection::Entity::find_by_id(channel_id))
            .await?
            .is_some_and(|c| c.managed_by == ManagedBy::Registry && c.updated_at <= ev.received_at);
        observe::observe(txn, &ch, ev.received_at, trusted, &page.items).await?;
        if !page.bad.is_empty() {
            event::Entity::update_many()
                .col_expr(event::Column::Error, Expr::value(page.bad.join("; ")))
                .filter(event::Column::Id.eq(ev.id))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

/// The registry's own scheme: lowercase hex HMAC-SHA256 of `"{timestamp}.{event id}.{raw body}"`
/// keyed with the channel's shared secret. The event id is signed, so a captured delivery
/// cannot be replayed under a new id.
pub fn feed_signature(secret: &str, timestamp: &str, event_id: &str, body: &[u8]) -> String {
    hmac_hex(secret.as_bytes(), &feed_message(timestamp, event_id, body))
}

fn feed_message(timestamp: &str, event_id: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + event_id.len() + 2 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(event_id.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

/// Verifies the registry's own scheme in constant time.
pub fn verify_feed(
    secret: &str,
    timestamp: &str,
    event_id: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    verify_hex(
        secret.as_bytes(),
        &feed_message(timestamp, event_id, body),
        signature,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registrys_own_scheme_round_trips() {
        let body = b"{\"items\":[]}";
        // docs/webhooks.md: printf '%s' '1700000000.evt-42.{"items":[]}' |
        //   openssl dgst -sha256 -hmac 's3cret'
        let known = "c1daf47c71b6b805dd9a21e9b84130388aecbef74c67a2bc69c2b1ce2b328e8d";
        assert_eq!(
            feed_signature("s3cret", "1700000000", "evt-42", body),
            known
        );
        assert!(verify_feed("s3cret", "1700000000", "evt-42", body, known));
        assert!(verify_feed(
            "s3cret",
            "1700000000",
            "evt-42",
            body,
            &known.to_uppercase()
        ));
        assert!(!verify_feed("s3cret", "1700000001", "evt-42", body, known));
        assert!(!verify_feed("s3cret", "1700000000", "evt-43", body, known));
        assert!(!verify_feed("other", "1700000000", "evt-42", body, known));
        assert!(!verify_feed("s3cret", "1700000000", "evt-42", body, "zz"));
    }
}

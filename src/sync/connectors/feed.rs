//! The generic JSON listing feed, for partners without a marketplace API (postal marketplaces, a
//! department's own feed). The format is documented in the README:
//!
//! `GET {base_url}?limit=100[&cursor=C][&updated_since=RFC3339]` with
//! `Authorization: Bearer {token}` answers
//! `{"items": [{"id", "title", "price_vnd", "status", "updated_at"}], "next_cursor": C | null}`.

use serde_json::Value;

use super::{Connector, Page, Pass, Tokens, vnd};
use crate::channels::observe::Observation;
use crate::domain::ListingStatus;
use crate::sync::client::{HttpClient, SyncError, Verdict};

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

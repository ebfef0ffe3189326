//! Lazada's listing reader (`marketplaces.md` §2.4, §2.5): `/products/get` with signed, sorted
//! parameters, pages of at most 50, and time windows (`update_after`) instead of offsets past
//! 10,000; one token refresh per run on the auth host. Success is `code == "0"`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::super::{Connector, Page, Pass, Tokens, expiry, vnd};
use super::lazada_sign;
use crate::channels::observe::Observation;
use crate::domain::ListingStatus;
use crate::sync::client::{HttpClient, SyncError, Verdict};

const PRODUCTS: &str = "/products/get";
const REFRESH: &str = "/auth/token/refresh";
/// Lazada's largest page.
pub const LIMIT: i64 = 50;
/// Lazada refuses offsets beyond this; the reader moves its time window instead.
pub const MAX_OFFSET: i64 = 10_000;

/// A Lazada seller reader.
pub struct Lazada {
    base: String,
    auth_base: String,
    app_key: String,
    app_secret: String,
    access_token: String,
    refresh_token: Option<String>,
    offset: i64,
    window_from: Option<DateTime<Utc>>,
    newest_seen: Option<DateTime<Utc>>,
    done: bool,
    refreshed_once: bool,
    fresh: Option<Tokens>,
}

impl Lazada {
    /// A reader of one seller.
    pub fn new(
        base: String,
        auth_base: String,
        app_key: String,
        app_secret: String,
        access_token: String,
        refresh_token: Option<String>,
        pass: Pass,
    ) -> Self {
        Lazada {
            base,
            auth_base,
            app_key,
            app_secret,
            access_token,
            refresh_token,
            offset: 0,
            window_from: if pass.full { None } else { pass.since },
            newest_seen: None,
            done: false,
            refreshed_once: false,
            fresh: None,
        }
    }

    fn signed(
        &self,
        path: &str,
        mut params: Vec<(String, String)>,
        token: bool,
    ) -> Vec<(String, String)> {
        params.push(("app_key".to_owned(), self.app_key.clone()));
        params.push((
            "timestamp".to_owned(),
            Utc::now().timestamp_millis().to_string(),
        ));
        params.push(("sign_method".to_owned(), "sha256".to_owned()));
        if token {
            params.push(("access_token".to_owned(), self.access_token.clone()));
        }
        let sign = lazada_sign(&self.app_secret, path, &params);
        params.push(("sign".to_owned(), sign));
        params
    }

    async fn page(&mut self, http: &HttpClient) -> Result<Page, SyncError> {
        let products = self.products(http).await?;
        let mut page = Page::default();
        for (i, p) in products.iter().enumerate() {
            let id = match p.get("item_id") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                _ => {
                    page.bad
                        .push(format!("product {i} of the page has no item_id"));
                    continue;
                }
            };
            if let Some(t) = updated_time(p)
                && self.newest_seen.is_none_or(|n| t > n)
            {
                self.newest_seen = Some(t);
            }
            match observation(id, p) {
                Ok(o) => page.items.push(o),
                Err(bad) => page.bad.push(bad),
            }
        }
        self.advance(products.len())?;
        Ok(page)
    }

    /// One page of `/products/get` at the reader's offset, updated after its window's start.
    async fn products(&self, http: &HttpClient) -> Result<Vec<Value>, SyncError> {
        let url = format!("{}{PRODUCTS}", self.base);
        let mut params = vec![
            ("filter".to_owned(), "all".to_owned()),
            ("limit".to_owned(), LIMIT.to_string()),
            ("offset".to_owned(), self.offset.to_string()),
        ];
        if let Some(from) = self.window_from {
            // Lazada's documented form, in Vietnam's offset.
            let local = from.with_timezone(&crate::clock::VIETNAM);
            params.push((
                "update_after".to_owned(),
                local.format("%Y-%m-%dT%H:%M:%S%z").to_string(),
            ));
        }
        let json = http
            .call(
                &format!("lazada /products/get at offset {}", self.offset),
                |c| {
                    c.get(&url)
                        .query(&self.signed(PRODUCTS, params.clone(), true))
                },
                classify,
            )
            .await?;
        let products = match json.pointer("/data/products") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(SyncError::Failed(
                    "lazada /products/get: malformed answer: products is not a list".to_owned(),
                ));
            }
        };
        if json.get("data").is_none() {
            return Err(SyncError::Failed(
                "lazada /products/get: malformed answer: no data".to_owned(),
            ));
        }
        Ok(products)
    }

    /// Moves to the next page after one of `read` products.
    fn advance(&mut self, read: usize) -> Result<(), SyncError> {
        if (read as i64) < LIMIT {
            self.done = true;
        } else if self.offset + 2 * LIMIT > MAX_OFFSET {
            // Deep offsets are refused: continue from the newest update seen, from offset 0.
            // Items at the window's edge may come twice; writes are idempotent.
            match self.newest_seen {
                Some(t) if Some(t) != self.window_from => {
                    self.window_from = Some(t);
                    self.offset = 0;
                }
                _ => {
                    return Err(SyncError::Failed(
                        "lazada: more than 10,000 products updated in the same instant; cannot page further".to_owned(),
                    ));
                }
            }
        } else {
            self.offset += LIMIT;
        }
        Ok(())
    }

    async fn refresh(&mut self, http: &HttpClient) -> Result<(), SyncError> {
        let refresh_token = self.refresh_token.clone().ok_or_else(|| {
            SyncError::Auth("the access token was refused and there is no refresh token".to_owned())
        })?;
        let url = format!("{}{REFRESH}", self.auth_base);
        let json = http
            .call(
                "lazada token refresh",
                |c| {
                    c.get(&url).query(&self.signed(
                        REFRESH,
                        vec![("refresh_token".to_owned(), refresh_token.clone())],
                        false,
                    ))
                },
                |_, body| match code(body) {
                    "0" => Verdict::Done,
                    "ApiCallLimit" | "901" | "ServiceTimeout" => {
                        Verdict::Retry(error_text(body), None)
                    }
                    _ => Verdict::Auth(format!(
                        "the token refresh was refused: {}",
                        error_text(body)
                    )),
                },
            )
            .await
            .map_err(|e| match e {
                SyncError::Auth(m) | SyncError::Failed(m) => SyncError::Auth(m),
            })?;
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                SyncError::Auth("the token refresh answered no access_token".to_owned())
            })?;
        self.access_token = token.to_owned();
        if let Some(r) = json.get("refresh_token").and_then(Value::as_str) {
            self.refresh_token = Some(r.to_owned());
        }
        self.fresh = Some(Tokens {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: expiry(json.get("expires_in").and_then(Value::as_i64)),
        });
        Ok(())
    }
}

/// When product `p` was last updated, as Lazada says (milliseconds, as a number or a string).
fn updated_time(p: &Value) -> Option<DateTime<Utc>> {
    p.get("updated_time")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .or_else(|| v.as_i64())
        })
        .and_then(DateTime::from_timestamp_millis)
}

/// Product `p` (item `id`) as the registry observes it; or why it cannot be read.
fn observation(id: String, p: &Value) -> Result<Observation, String> {
    let Some(title) = p
        .pointer("/attributes/name")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return Err(format!("item {id}: no attributes.name"));
    };
    let status = match p
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("active" | "live") => ListingStatus::Active,
        Some("inactive" | "pending" | "rejected" | "sold-out" | "suspended") => {
            ListingStatus::Unlisted
        }
        Some("deleted") => ListingStatus::Deleted,
        other => return Err(format!("item {id}: unknown status {other:?}")),
    };
    let sku = p.pointer("/skus/0");
    let special = sku
        .and_then(|s| s.get("special_price"))
        .and_then(vnd)
        .flatten()
        .filter(|v| *v > 0);
    let price = match special {
        Some(v) => Some(Some(v)),
        None => vnd(sku.and_then(|s| s.get("price")).unwrap_or(&Value::Null)),
    };
    let Some(price_vnd) = price else {
        return Err(format!("item {id}: price is not a number of đồng"));
    };
    Ok(Observation {
        external_id: id,
        title: title.trim().to_owned(),
        price_vnd,
        status,
    })
}

fn code(body: &Value) -> &str {
    match body.get("code") {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) if n.as_i64() == Some(0) => "0",
        _ => "",
    }
}

fn error_text(body: &Value) -> String {
    format!(
        "{} ({})",
        code(body),
        body.get("message").and_then(Value::as_str).unwrap_or("")
    )
}

/// Lazada's answers: `code` decides, whatever the HTTP status.
fn classify(_status: u16, body: &Value) -> Verdict {
    match code(body) {
        "0" => Verdict::Done,
        "ApiCallLimit" | "901" | "ServiceTimeout" => Verdict::Retry(error_text(body), None),
        "IllegalAccessToken" => Verdict::Auth(error_text(body)),
        "" => Verdict::Fail("malformed answer: no code".to_owned()),
        _ => Verdict::Fail(format!("lazada answered {}", error_text(body))),
    }
}

#[async_trait::async_trait]
impl Connector for Lazada {
    async fn next_page(&mut self, http: &HttpClient) -> Result<Option<Page>, SyncError> {
        if self.done {
            return Ok(None);
        }
        let page = match self.page(http).await {
            Err(SyncError::Auth(why)) if !self.refreshed_once => {
                self.refreshed_once = true;
                self.refresh(http).await?;
                self.page(http).await.map_err(|e| match e {
                    SyncError::Auth(again) => SyncError::Auth(format!(
                        "{why}; refreshed the token once and it was refused again: {again}"
                    )),
                    other => other,
                })?
            }
            other => other?,
        };
        Ok(Some(page))
    }

    fn take_refreshed(&mut self) -> Option<Tokens> {
        self.fresh.take()
    }
}

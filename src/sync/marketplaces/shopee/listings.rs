//! Shopee's listing reader (`marketplaces.md` §1.4, §1.5): `product/get_item_list` (offset pages
//! of 100, every item status, `update_time_from` for incremental passes) and
//! `get_item_base_info` (titles and prices, 50 ids a call), with one access-token refresh per
//! run. Success is judged by the `error` field, whatever the HTTP status.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{Value, json};

use super::super::{Connector, Page, Pass, Tokens, expiry, vnd};
use super::{shopee_public_sign, shopee_shop_sign};
use crate::channels::observe::Observation;
use crate::domain::ListingStatus;
use crate::sync::client::{HttpClient, SyncError, Verdict};

const LIST: &str = "/api/v2/product/get_item_list";
const INFO: &str = "/api/v2/product/get_item_base_info";
const REFRESH: &str = "/api/v2/auth/access_token/get";
/// Every item status, so deletions and unlistings are seen too.
const STATUSES: [&str; 6] = [
    "NORMAL",
    "BANNED",
    "UNLIST",
    "REVIEWING",
    "SELLER_DELETE",
    "SHOPEE_DELETE",
];

/// A Shopee shop reader.
pub struct Shopee {
    base: String,
    partner_id: String,
    partner_key: String,
    shop_id: String,
    access_token: String,
    refresh_token: Option<String>,
    offset: i64,
    done: bool,
    pass: Pass,
    refreshed_once: bool,
    fresh: Option<Tokens>,
}

impl Shopee {
    /// A reader of one shop.
    pub fn new(
        base: String,
        partner_id: String,
        partner_key: String,
        shop_id: String,
        access_token: String,
        refresh_token: Option<String>,
        pass: Pass,
    ) -> Self {
        Shopee {
            base,
            partner_id,
            partner_key,
            shop_id,
            access_token,
            refresh_token,
            offset: 0,
            done: false,
            pass,
            refreshed_once: false,
            fresh: None,
        }
    }

    fn common(&self, path: &str) -> Vec<(String, String)> {
        let ts = Utc::now().timestamp();
        let sign = shopee_shop_sign(
            &self.partner_key,
            &self.partner_id,
            path,
            ts,
            &self.access_token,
            &self.shop_id,
        );
        vec![
            ("partner_id".to_owned(), self.partner_id.clone()),
            ("timestamp".to_owned(), ts.to_string()),
            ("access_token".to_owned(), self.access_token.clone()),
            ("shop_id".to_owned(), self.shop_id.clone()),
            ("sign".to_owned(), sign),
        ]
    }

    async fn page(&self, http: &HttpClient) -> Result<(Page, Option<i64>), SyncError> {
        let (listed, next) = self.item_list(http).await?;
        let mut page = Page::default();
        let mut ids = Vec::new();
        let mut statuses = HashMap::new();
        for (i, it) in listed.iter().enumerate() {
            match (
                it.get("item_id").and_then(Value::as_i64),
                it.get("item_status").and_then(Value::as_str),
            ) {
                (Some(id), Some(st)) => {
                    ids.push(id);
                    statuses.insert(id, st.to_owned());
                }
                _ => page.bad.push(format!(
                    "item {i} of the page has no item_id or item_status"
                )),
            }
        }
        let info = self.base_info(http, &ids).await?;
        for id in ids {
            match observation(id, statuses.get(&id).map(String::as_str), info.get(&id)) {
                Ok(o) => page.items.push(o),
                Err(bad) => page.bad.push(bad),
            }
        }
        Ok((page, next))
    }

    async fn refresh(&mut self, http: &HttpClient) -> Result<(), SyncError> {
        let refresh_token = self.refresh_token.clone().ok_or_else(|| {
            SyncError::Auth("the access token was refused and there is no refresh token".to_owned())
        })?;
        let url = format!("{}{REFRESH}", self.base);
        let body = json!({
            "refresh_token": refresh_token,
            "partner_id": self.partner_id.parse::<i64>().unwrap_or_default(),
            "shop_id": self.shop_id.parse::<i64>().unwrap_or_default(),
        });
        let json = http
            .call(
                "shopee token refresh",
                |c| {
                    let ts = Utc::now().timestamp();
                    let sign = shopee_public_sign(&self.partner_key, &self.partner_id, REFRESH, ts);
                    c.post(&url)
                        .query(&[
                            ("partner_id", self.partner_id.clone()),
                            ("timestamp", ts.to_string()),
                            ("sign", sign),
                        ])
                        .json(&body)
                },
                |_, body| match error_code(body) {
                    "" => Verdict::Done,
                    "error_rate_limit" | "error_system_busy" | "error_inner" | "error_server" => {
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
                SyncError::Auth(m) => SyncError::Auth(m),
                SyncError::Failed(m) => SyncError::Auth(m),
            })?;
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                SyncError::Auth("the token refresh answered no access_token".to_owned())
            })?;
        self.access_token = token.to_owned();
        // Refresh tokens are single-use: keep the new one.
        self.refresh_token = json
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.fresh = Some(Tokens {
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: expiry(json.get("expire_in").and_then(Value::as_i64)),
        });
        Ok(())
    }
}
impl Shopee {
    /// One page of `get_item_list` at the reader's offset: its items, and the next page's offset
    /// (none after the last).
    async fn item_list(&self, http: &HttpClient) -> Result<(Vec<Value>, Option<i64>), SyncError> {
        let url = format!("{}{LIST}", self.base);
        let json = http
            .call(
                &format!("shopee get_item_list at offset {}", self.offset),
                |c| {
                    let mut q = self.common(LIST);
                    q.push(("offset".to_owned(), self.offset.to_string()));
                    q.push(("page_size".to_owned(), "100".to_owned()));
                    for s in STATUSES {
                        q.push(("item_status".to_owned(), s.to_owned()));
                    }
                    if let (false, Some(since)) = (self.pass.full, self.pass.since) {
                        q.push(("update_time_from".to_owned(), since.timestamp().to_string()));
                        q.push((
                            "update_time_to".to_owned(),
                            self.pass.until.timestamp().to_string(),
                        ));
                    }
                    c.get(&url).query(&q)
                },
                classify,
            )
            .await?;
        let response = json.get("response").ok_or_else(|| {
            SyncError::Failed("shopee get_item_list: malformed answer: no response".to_owned())
        })?;
        let listed = match response.get("item") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(SyncError::Failed(
                    "shopee get_item_list: malformed answer: item is not a list".to_owned(),
                ));
            }
        };
        let has_next = response
            .get("has_next_page")
            .and_then(Value::as_bool)
            .ok_or_else(|| {
                SyncError::Failed(
                    "shopee get_item_list: malformed answer: no has_next_page".to_owned(),
                )
            })?;
        let next_offset = response.get("next_offset").and_then(Value::as_i64);
        let next = if has_next {
            next_offset.or(Some(self.offset + 100))
        } else {
            None
        };
        Ok((listed, next))
    }

    /// `get_item_base_info` of items `ids`, 50 a call, by id.
    async fn base_info(
        &self,
        http: &HttpClient,
        ids: &[i64],
    ) -> Result<HashMap<i64, Value>, SyncError> {
        let mut info: HashMap<i64, Value> = HashMap::new();
        for chunk in ids.chunks(50) {
            let url = format!("{}{INFO}", self.base);
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let json = http
                .call(
                    "shopee get_item_base_info",
                    |c| {
                        let mut q = self.common(INFO);
                        q.push(("item_id_list".to_owned(), list.clone()));
                        c.get(&url).query(&q)
                    },
                    classify,
                )
                .await?;
            let items = json
                .pointer("/response/item_list")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    SyncError::Failed(
                        "shopee get_item_base_info: malformed answer: no item_list".to_owned(),
                    )
                })?;
            for it in items {
                if let Some(id) = it.get("item_id").and_then(Value::as_i64) {
                    info.insert(id, it.clone());
                }
            }
        }
        Ok(info)
    }
}

/// Item `id` of status `status` as the registry observes it, from its base info; or why it
/// cannot be read.
fn observation(id: i64, status: Option<&str>, base: Option<&Value>) -> Result<Observation, String> {
    let status = match status {
        Some("NORMAL") => ListingStatus::Active,
        Some("BANNED" | "UNLIST" | "REVIEWING") => ListingStatus::Unlisted,
        Some("SELLER_DELETE" | "SHOPEE_DELETE") => ListingStatus::Deleted,
        other => return Err(format!("item {id}: unknown item_status {other:?}")),
    };
    let Some(base) = base else {
        return Err(format!("item {id}: get_item_base_info did not return it"));
    };
    let Some(title) = base
        .get("item_name")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return Err(format!("item {id}: no item_name"));
    };
    // Items with variants carry their prices on the models; the listing keeps none.
    let price = match base.pointer("/price_info/0/current_price") {
        None => Some(None),
        Some(v) => vnd(v),
    };
    let Some(price_vnd) = price else {
        return Err(format!("item {id}: price is not a number of đồng"));
    };
    Ok(Observation {
        external_id: id.to_string(),
        title: title.trim().to_owned(),
        price_vnd,
        status,
    })
}

fn error_code(body: &Value) -> &str {
    body.get("error").and_then(Value::as_str).unwrap_or("")
}

fn error_text(body: &Value) -> String {
    format!(
        "{} ({})",
        error_code(body),
        body.get("message").and_then(Value::as_str).unwrap_or("")
    )
}

/// Shopee's answers: the `error` field decides, whatever the HTTP status.
fn classify(_status: u16, body: &Value) -> Verdict {
    let code = error_code(body);
    let message = body.get("message").and_then(Value::as_str).unwrap_or("");
    match code {
        "" => Verdict::Done,
        "error_rate_limit" | "error_system_busy" | "error_inner" | "error_server" => {
            Verdict::Retry(error_text(body), None)
        }
        "invalid_acceess_token" | "invalid_access_token" => Verdict::Auth(error_text(body)),
        "error_auth" if message.to_lowercase().contains("access_token") => {
            Verdict::Auth(error_text(body))
        }
        _ => Verdict::Fail(format!("shopee answered {}", error_text(body))),
    }
}

#[async_trait::async_trait]
impl Connector for Shopee {
    async fn next_page(&mut self, http: &HttpClient) -> Result<Option<Page>, SyncError> {
        if self.done {
            return Ok(None);
        }
        let (page, next) = match self.page(http).await {
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
        match next {
            Some(offset) => self.offset = offset,
            None => self.done = true,
        }
        Ok(Some(page))
    }

    fn take_refreshed(&mut self) -> Option<Tokens> {
        self.fresh.take()
    }
}

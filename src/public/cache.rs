//! Serving the public at QR scale: every public answer carries validators (`ETag`,
//! `Last-Modified`) and `Cache-Control: public`, so browsers, proxies and a CDN can keep it; a
//! client that already has the current answer gets `304` without touching its allowance; and
//! each process keeps what it rendered for a few seconds, so a crowd scanning the same package
//! costs one rendering per process per interval rather than one per scan.
//!
//! The kept answers are this process's alone: nothing is shared between processes and nothing
//! depends on another's (each may lag a change by at most `public_cache_seconds`, well inside
//! the `max-age` every answer already allows any cache on the way).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use sha2::{Digest, Sha256};

use crate::config::AppConfig;
use crate::error::AppResult;
use crate::limits::Limits;

/// What every public answer allows caches: five minutes fresh, then served while revalidated
/// for another ten (a crowd never waits on the registry for a page it already has).
pub const CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=600";

/// An answer ready to send again: its body and validators.
pub struct Rendered {
    pub body: Vec<u8>,
    pub content_type: ContentType,
    /// Strong validator: a digest of the body.
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

impl Rendered {
    pub fn new(
        body: impl Into<Vec<u8>>,
        content_type: ContentType,
        last_modified: Option<DateTime<Utc>>,
    ) -> Self {
        let body = body.into();
        let digest = Sha256::digest(&body);
        Rendered {
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            body,
            content_type,
            last_modified,
        }
    }
}

/// The answers this process rendered recently, by request.
pub struct PublicCache(Option<moka::sync::Cache<String, Arc<Rendered>>>);

impl PublicCache {
    /// From the configuration: `public_cache_seconds` (0: render every request), at most
    /// 64 MiB of bodies.
    pub fn from_config(c: &AppConfig) -> Self {
        PublicCache((c.public_cache_seconds > 0).then(|| {
            moka::sync::Cache::builder()
                .time_to_live(Duration::from_secs(c.public_cache_seconds))
                .weigher(|k: &String, v: &Arc<Rendered>| {
                    u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(64 * 1024 * 1024)
                .build()
        }))
    }

    fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        self.0.as_ref()?.get(key)
    }

    fn keep(&self, key: String, r: &Arc<Rendered>) {
        if let Some(c) = &self.0 {
            c.insert(key, r.clone());
        }
    }
}

/// A public request: its client's allowance, the validators it sent, the cache of this
/// process and the key its answer is kept under (method-less: only `GET`s come here).
pub struct PublicRequest<'r> {
    limits: Option<&'r Limits>,
    cache: Option<&'r PublicCache>,
    ip: std::net::IpAddr,
    if_none_match: Option<&'r str>,
    if_modified_since: Option<&'r str>,
    key: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PublicRequest<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, Self::Error> {
        let lang = crate::i18n::Lang::public(req);
        rocket::outcome::Outcome::Success(PublicRequest {
            limits: req.rocket().state::<Limits>(),
            cache: req.rocket().state::<PublicCache>(),
            ip: crate::limits::client_ip(req),
            if_none_match: req.headers().get_one("If-None-Match"),
            if_modified_since: req.headers().get_one("If-Modified-Since"),
            // Today is part of the key: what a page says (in force, expired) turns at midnight.
            key: format!("{} {} {}", lang.code(), crate::clock::today(), req.uri()),
        })
    }
}

impl PublicRequest<'_> {
    /// Whether the client's copy is `r` (RFC 9110 §13.1: `If-None-Match` decides when sent).
    fn has(&self, r: &Rendered) -> bool {
        if let Some(tags) = self.if_none_match {
            return tags
                .split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == r.etag);
        }
        match (self.if_modified_since, r.last_modified) {
            (Some(since), Some(modified)) => DateTime::parse_from_rfc2822(since)
                .is_ok_and(|since| modified.timestamp() <= since.timestamp()),
            _ => false,
        }
    }

    /// Counts a full answer against the client's allowance (`429` once over it).
    pub fn charge(&self) -> AppResult<()> {
        match self.limits.map(|l| l.public.check(self.ip)) {
            Some(Err(wait)) => Err(crate::limits::too_many_public(wait)),
            _ => Ok(()),
        }
    }

    /// The answer to this request: the kept one or a new one from `render`, `304` when the
    /// client has it already (free), else counted against the client's allowance — before
    /// rendering, when the client sent no validator that a rendering could match.
    pub async fn answer<F>(&self, render: F) -> AppResult<Cached>
    where
        F: AsyncFnOnce() -> AppResult<Rendered>,
    {
        let conditional = self.if_none_match.is_some() || self.if_modified_since.is_some();
        let kept = self.cache.and_then(|c| c.get(&self.key));
        let charged = kept.is_none() && !conditional;
        if charged {
            self.charge()?;
        }
        let r = match kept {
            Some(r) => r,
            None => {
                let r = Arc::new(render().await?);
                if let Some(c) = self.cache {
                    c.keep(self.key.clone(), &r);
                }
                r
            }
        };
        if self.has(&r) {
            return Ok(Cached { r, full: false });
        }
        if !charged {
            self.charge()?;
        }
        Ok(Cached { r, full: true })
    }
}

/// A public answer with its validators: the body, or `304` without one.
pub struct Cached {
    r: Arc<Rendered>,
    full: bool,
}

impl<'r> Responder<'r, 'static> for Cached {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.header(Header::new("ETag", self.r.etag.clone()))
            .header(Header::new("Cache-Control", CACHE_CONTROL))
            // Public pages are in Vietnamese unless the reader chose English (cookie or link).
            .header(Header::new("Vary", "Cookie"));
        if let Some(m) = self.r.last_modified {
            res.header(Header::new(
                "Last-Modified",
                m.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
        if self.full {
            let body = self.r.body.clone();
            res.header(self.r.content_type.clone())
                .sized_body(body.len(), std::io::Cursor::new(body));
        } else {
            res.status(Status::NotModified);
        }
        res.ok()
    }
}

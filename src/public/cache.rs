//! Serving the public at QR scale: every public answer carries validators (`ETag`,
//! `Last-Modified`) and `Cache-Control: public`, so browsers, proxies and a CDN can keep it; a
//! client that already has the current answer gets `304` without touching its allowance; and
//! each process keeps what it rendered for a few seconds, so a crowd scanning the same package
//! costs one rendering per process per interval rather than one per scan.
//!
//! When a kept answer expires under a crowd, one request renders it again and the others wait
//! for that one (moka's `try_get_with`): the interval's first requests do not all render.
//!
//! The kept answers are this process's alone: nothing is shared between processes and nothing
//! depends on another's (each may lag a change by at most `public.cache_seconds`, well inside
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
    /// When it was rendered: never earlier than anything it shows (a published answer, a
    /// midnight that expired a rating), so a client's `If-Modified-Since` is never answered
    /// with a stale `304`.
    pub last_modified: DateTime<Utc>,
    /// A file's `Content-Disposition` (`attachment; filename="…"`), for a download.
    pub disposition: Option<String>,
}

impl Rendered {
    pub fn new(body: impl Into<Vec<u8>>, content_type: ContentType) -> Self {
        let body = body.into();
        let digest = Sha256::digest(&body);
        Rendered {
            etag: format!("\"{}\"", hex::encode(&digest[..12])),
            body,
            content_type,
            last_modified: crate::clock::now(),
            disposition: None,
        }
    }

    /// The answer as a file named `name` (ASCII): saved at once (`attachment`), or shown and
    /// saved under that name.
    pub fn file(self, name: &str, attachment: bool) -> Self {
        let how = if attachment { "attachment" } else { "inline" };
        Rendered {
            disposition: Some(format!("{how}; filename=\"{name}\"")),
            ..self
        }
    }
}

/// The answers this process rendered recently, by request.
pub struct PublicCache(Option<moka::future::Cache<String, Arc<Rendered>>>);

impl PublicCache {
    /// From the configuration: `public.cache_seconds` (0: render every request), at most
    /// 64 MiB of bodies.
    pub fn from_config(c: &AppConfig) -> Self {
        PublicCache((c.public.cache_seconds > 0).then(|| {
            moka::future::Cache::builder()
                .time_to_live(Duration::from_secs(c.public.cache_seconds))
                .weigher(|k: &String, v: &Arc<Rendered>| {
                    u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(64 * 1024 * 1024)
                .build()
        }))
    }
}

/// An error one rendering gave to every request waiting on it, as each request's own.
fn shared(e: Arc<crate::error::AppError>) -> crate::error::AppError {
    use crate::error::AppError;
    Arc::try_unwrap(e).unwrap_or_else(|e| match &*e {
        AppError::NotFound { entity, id } => AppError::NotFound {
            entity,
            id: id.clone(),
        },
        AppError::Invalid { fields } => AppError::Invalid {
            fields: fields.clone(),
        },
        AppError::Conflict(m) => AppError::Conflict(m.clone()),
        other => AppError::Internal(other.to_string()),
    })
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
        self.if_modified_since.is_some_and(|since| {
            DateTime::parse_from_rfc2822(since)
                .is_ok_and(|since| r.last_modified.timestamp() <= since.timestamp())
        })
    }

    /// Counts a full answer against the client's allowance (`429` once over it).
    pub fn charge(&self) -> AppResult<()> {
        match self.limits.map(|l| l.public.check(self.ip)) {
            Some(Err(wait)) => Err(crate::limits::too_many_public(wait)),
            _ => Ok(()),
        }
    }

    /// The answer to this request: the kept one, `304` when the client has it already (free:
    /// a crowd revalidating costs nothing but a lookup), else counted against the client's
    /// allowance; a new one from `render` is always counted first, whatever the client sent, so
    /// that no request makes the registry render past the allowance.
    pub async fn answer<F>(&self, render: F) -> AppResult<Cached>
    where
        F: AsyncFnOnce() -> AppResult<Rendered>,
    {
        let Some(cache) = self.cache.and_then(|c| c.0.as_ref()) else {
            self.charge()?;
            let r = Arc::new(render().await?);
            let full = !self.has(&r);
            return Ok(Cached { r, full });
        };
        if let Some(r) = cache.get(&self.key).await {
            if self.has(&r) {
                return Ok(Cached { r, full: false });
            }
            self.charge()?;
            return Ok(Cached { r, full: true });
        }
        self.charge()?;
        // Renders once for everyone asking for it now; an error is kept by none.
        let r = cache
            .try_get_with(self.key.clone(), async { render().await.map(Arc::new) })
            .await
            .map_err(shared)?;
        let full = !self.has(&r);
        Ok(Cached { r, full })
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
        if let Some(d) = &self.r.disposition {
            res.header(Header::new("Content-Disposition", d.clone()));
        }
        let modified = self.r.last_modified.format("%a, %d %b %Y %H:%M:%S GMT");
        res.header(Header::new("Last-Modified", modified.to_string()));
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

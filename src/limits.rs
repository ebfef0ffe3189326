//! Abuse limits and the headers every answer carries.
//!
//! Limits are per client address and per process (each process of a deployment counts its own;
//! a load balancer that spreads one client over several processes multiplies the allowance by
//! their number). Failed authentications are limited, not requests: a department behind one
//! address keeps working with its valid tokens while a scanner is slowed to a trickle.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::{Request, Response};

use crate::config::AppConfig;
use crate::error::{AppError, stash};

/// A limiter per client address; `None` when the configured rate is 0 (off).
pub struct Limiter {
    inner: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

impl Limiter {
    fn per_minute(n: u32) -> Self {
        Self::with_burst(n, n)
    }

    /// `n` per minute on average, up to `burst` at once: a token bucket holding `burst`
    /// tokens, refilled at `n` a minute (`n` = 0: off).
    fn with_burst(n: u32, burst: u32) -> Self {
        Limiter {
            inner: NonZeroU32::new(n).map(|n| {
                let burst = NonZeroU32::new(burst).unwrap_or(n);
                RateLimiter::keyed(Quota::per_minute(n).allow_burst(burst))
            }),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one event for `ip`; `Err(wait)` once over the limit.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        // Forget idle clients now and then, so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The limits of one process.
pub struct Limits {
    /// Failed authentications (unknown, revoked or malformed tokens) per client.
    pub auth_failures: Limiter,
    /// Full answers to the public (pages and `/api/v1/public/...`) per client; `304`s are free.
    pub public: Limiter,
}

impl Limits {
    /// From the configuration.
    pub fn from_config(c: &AppConfig) -> Self {
        Limits {
            auth_failures: Limiter::per_minute(c.quotas.auth_failures_per_minute),
            public: Limiter::with_burst(c.quotas.public_requests_per_minute, c.quotas.public_burst),
        }
    }
}

/// The address a request came from: the socket's, unless the operator named the header its
/// proxy writes (`ROCKET_IP_HEADER`), and then the header's last hop — the address the
/// operator's own proxy saw; anything before it was written by the client.
pub fn client_ip(req: &Request<'_>) -> IpAddr {
    let proxied = req.rocket().config().ip_header.as_ref().and_then(|name| {
        let value = req.headers().get(name.as_str()).last()?;
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    proxied
        .or_else(|| req.remote().map(|r| r.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client's address as a guard ([`client_ip`]).
pub struct ClientIp(pub IpAddr);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientIp {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, Self::Error> {
        Outcome::Success(ClientIp(client_ip(req)))
    }
}

/// Rocket trusts `X-Real-IP` by default, which any client can send: the registry trusts no
/// proxy header until the operator names one (`ROCKET_IP_HEADER`, or `ip_header` in
/// `Rocket.toml`).
pub fn trust_no_proxy_header_by_default(
    figment: rocket::figment::Figment,
) -> rocket::figment::Figment {
    use rocket::figment::Provider;
    let rocket_default = rocket::Config::default().metadata().name;
    match figment.find_metadata("ip_header") {
        Some(m) if m.name != rocket_default => figment,
        _ => figment.merge(("ip_header", false)),
    }
}

/// The uploads this process reads at a time ([`UploadSlot`]).
pub struct UploadSlots(std::sync::Arc<tokio::sync::Semaphore>);

impl UploadSlots {
    pub fn from_config(c: &AppConfig) -> Self {
        UploadSlots(std::sync::Arc::new(tokio::sync::Semaphore::new(
            c.quotas.max_concurrent_uploads.max(1) as usize,
        )))
    }
}

/// A request guard held by every handler that reads an upload, before its body is read: a
/// file is bounded in size, but each one read can take hundreds of MB and seconds of CPU, so
/// a burst of them must not add up past what the machine has. A request waits up to 15
/// seconds for a slot, then gets `503` (try again).
pub struct UploadSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UploadSlot {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        let Some(UploadSlots(slots)) = req.rocket().state::<UploadSlots>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        match tokio::time::timeout(Duration::from_secs(15), slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Outcome::Success(UploadSlot(permit)),
            _ => Outcome::Error((
                stash(req, AppError::Unavailable(crate::msg!("uploads-busy"))),
                (),
            )),
        }
    }
}

/// How long a refused client should wait, for the `Retry-After` header.
#[derive(Default)]
struct RetryAfter(std::sync::Mutex<Option<u64>>);

/// The 429 for a client over a limit, remembered for the `Retry-After` header.
pub fn too_many(req: &Request<'_>, wait: Duration, what: &'static str) -> Status {
    let err = too_many_error(wait, what);
    remember_wait(req, &err);
    stash(req, err)
}

/// The 429 of a public request over its client's allowance.
pub fn too_many_public(wait: Duration) -> AppError {
    too_many_error(wait, "too-many-public-requests")
}

/// A 429 naming how long to wait.
fn too_many_error(wait: Duration, what: &'static str) -> AppError {
    let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    AppError::TooManyRequests(crate::i18n::Msg::Coded {
        key: std::borrow::Cow::Borrowed(what),
        args: vec![(std::borrow::Cow::Borrowed("seconds"), secs.to_string())],
    })
}

/// Remembers a 429's wait (its message's `seconds`) for the `Retry-After` header, whichever
/// responder answers it.
pub fn remember_wait(req: &Request<'_>, err: &AppError) {
    if let (Some(secs), Ok(mut slot)) =
        (wait_of(err), req.local_cache(RetryAfter::default).0.lock())
    {
        *slot = Some(secs);
    }
}

/// The seconds a 429 asks to wait (its message's `seconds`).
pub fn wait_of(err: &AppError) -> Option<u64> {
    let AppError::TooManyRequests(crate::i18n::Msg::Coded { args, .. }) = err else {
        return None;
    };
    args.iter()
        .find(|(k, _)| k == "seconds")
        .and_then(|(_, v)| v.parse::<u64>().ok())
}

/// A page answering a refusal, with the wait a 429 asks for as `Retry-After`.
pub struct Waited<R>(pub R, pub Option<u64>);

impl<'r, R: rocket::response::Responder<'r, 'static>> rocket::response::Responder<'r, 'static>
    for Waited<R>
{
    fn respond_to(self, req: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut res = self.0.respond_to(req)?;
        if let Some(secs) = self.1 {
            res.set_raw_header("Retry-After", secs.to_string());
        }
        Ok(res)
    }
}

/// Counts a refused token against its client's allowance of failed authentications: the 429
/// to answer instead once the client is over it. Every refusal counts, whether the guard
/// refused the token or the statement that read the record found it revoked
/// (`auth::Caller`); a scanner learns nothing faster one way than the other.
pub fn failed_authentication(req: &Request<'_>) -> Option<AppError> {
    let limits = req.rocket().state::<Limits>()?;
    let wait = limits.auth_failures.check(client_ip(req)).err()?;
    let err = too_many_error(wait, "too-many-failed-authentications");
    remember_wait(req, &err);
    Some(err)
}

/// Headers on every answer: a Content-Security-Policy for the pages (no inline script or
/// style, nothing from elsewhere), no MIME sniffing, no framing, no referrer; `no-store` on
/// everything but the public's answers and the style sheet (answers and pages carry secrets and
/// personal data); `Retry-After` on a 429.
pub struct SecurityHeaders {
    /// The operator's map tiles' origin: the one other source of images (web/map.rs).
    pub map_tiles: Option<String>,
    /// The marketplaces' consent pages the owner's "connect the shop" form leads to
    /// (`SyncSettings::consent_origins`), space-separated.
    pub consent_origins: String,
}

/// The policy: this origin only, no inline script or style, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Swagger UI (`/docs/`, third-party) sets inline styles at run time; its scripts still come
/// from this origin only.
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let path = req.uri().path();
        // A scan is shown inside the registry's own pages (the queue, a subject's file), beside
        // what it proves: framed by this origin, never by another.
        let scan = path.starts_with("/documents/");
        let policy = if path.starts_with("/docs") {
            DOCS_POLICY.to_owned()
        } else if scan {
            CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        } else if path.starts_with("/me") {
            // The owner's "connect the shop" form leads to the marketplace's consent page:
            // those origins, and no other, may receive it.
            format!("{CONTENT_SECURITY_POLICY} {}", self.consent_origins)
                .trim_end()
                .to_owned()
        } else {
            CONTENT_SECURITY_POLICY.to_owned()
        };
        // The operator's map tiles are images from their own origin.
        let policy = match &self.map_tiles {
            Some(tiles) => policy.replace(
                "img-src 'self' data:",
                &format!("img-src 'self' data: {tiles}"),
            ),
            None => policy,
        };
        res.set_header(Header::new("Content-Security-Policy", policy));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new(
            "X-Frame-Options",
            if scan { "SAMEORIGIN" } else { "DENY" },
        ));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        // Pages name the person signed in and carry their form tokens: never stored. Only the
        // style sheet and what the public sees may be (public/cache.rs says how long).
        if !path.starts_with("/static/") && res.headers().get_one("Cache-Control").is_none() {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        if res.status() == Status::TooManyRequests
            && let Some(secs) = req
                .local_cache(RetryAfter::default)
                .0
                .lock()
                .ok()
                .and_then(|s| *s)
        {
            res.set_header(Header::new("Retry-After", secs.to_string()));
        }
    }
}

//! Calling marketplaces, which are slow, rate-limited and sometimes wrong: every call has a
//! timeout; timeouts, connection failures, 5xx and rate limits are retried with exponential
//! backoff and jitter (a `Retry-After` wins when given); calls to one channel are spaced to its
//! rate limit; answers that are not JSON fail cleanly. The connector decides what an answer
//! means through a classifier, so marketplace error codes sent with HTTP 200 are retried too.
//!
//! Two rules keep the calls from being turned against the registry: redirects are never
//! followed, and a client built with [`Reach::PublicOnly`] connects to public addresses only,
//! checked after DNS resolution at every call (an owner's feed URL cannot reach loopback, the
//! database or the department's network). Errors never carry the URL of the call: its query
//! string holds access tokens and signatures.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::RequestBuilder;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// What went wrong in a sync, as recorded on its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// The marketplace refused the credentials (expired or revoked token).
    Auth(String),
    /// Anything else that stops the run.
    Failed(String),
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Auth(m) => write!(f, "credentials refused: {m}"),
            SyncError::Failed(m) => f.write_str(m),
        }
    }
}

/// What an answer means, decided by the connector.
#[derive(Debug)]
pub enum Verdict {
    /// Use it.
    Done,
    /// Try again later (rate limit or a temporary fault), after this long if the answer said.
    Retry(String, Option<Duration>),
    /// The credentials were refused.
    Auth(String),
    /// Give up.
    Fail(String),
}

/// Tunables of the retry policy.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff; it doubles each time, plus up to as much again of random jitter.
    pub base_backoff: Duration,
    /// Longest wait, whatever `Retry-After` asks.
    pub max_wait: Duration,
}

/// Where a client may connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Any address (hosts configured by the operator, connections set by the department).
    Any,
    /// Public unicast addresses only (connections whose URL an owner wrote).
    PublicOnly,
}

/// Whether an address is public: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

const NOT_PUBLIC: &str = "the address is not a public one";

/// DNS resolution that drops every non-public address, so the check holds for the address
/// actually connected to (no second lookup to race against).
struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(NOT_PUBLIC.into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An error's text and its causes, without the URL of the call.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    text
}

/// Removes what must never be stored or logged from a message about a call: the query string
/// of any URL in it (access tokens, signatures) and every credential value given.
pub fn scrub<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let end = from
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ')' | '>'))
            .unwrap_or(from.len());
        let (url, after) = from.split_at(end);
        match url.find('?') {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?[redacted]");
            }
            None => out.push_str(url),
        }
        rest = after;
    }
    out.push_str(rest);
    for s in secrets.iter().map(AsRef::as_ref).filter(|s| s.len() >= 4) {
        out = out.replace(s, "[redacted]");
    }
    out
}

/// An HTTP client for one channel's run.
pub struct HttpClient {
    reach: Reach,
    inner: reqwest::Client,
    policy: RetryPolicy,
    /// Smallest gap between two calls (from the channel's rate limit).
    min_interval: Duration,
    last_call: Mutex<Option<Instant>>,
    /// Retries made, for the run's record.
    notes: Mutex<Vec<String>>,
}

impl HttpClient {
    /// A client with a per-call `timeout`, the retry policy and a rate limit.
    pub fn new(
        timeout: Duration,
        policy: RetryPolicy,
        rate_limit_per_minute: u32,
        reach: Reach,
    ) -> Result<Self, SyncError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would lead the call where nobody checked it may go.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ocop-registry/", env!("CARGO_PKG_VERSION")));
        if reach == Reach::PublicOnly {
            builder = builder.dns_resolver(Arc::new(PublicResolver));
        }
        let inner = builder
            .build()
            .map_err(|e| SyncError::Failed(format!("cannot build the HTTP client: {e}")))?;
        let min_interval = if rate_limit_per_minute == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(60_000 / u64::from(rate_limit_per_minute))
        };
        Ok(HttpClient {
            reach,
            inner,
            policy,
            min_interval,
            last_call: Mutex::new(None),
            notes: Mutex::new(Vec::new()),
        })
    }

    /// The underlying client, to build requests with.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Retries made so far, taken.
    pub async fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().await)
    }

    async fn pace(&self) {
        let mut last = self.last_call.lock().await;
        if let Some(prev) = *last {
            let ready = prev + self.min_interval;
            let now = Instant::now();
            if ready > now {
                tokio::time::sleep(ready - now).await;
            }
        }
        *last = Some(Instant::now());
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.policy.base_backoff.as_millis() as u64;
        let exp = base.saturating_mul(1u64 << attempt.min(16));
        let jitter = if exp == 0 {
            0
        } else {
            rand::rng().random_range(0..=exp)
        };
        Duration::from_millis(exp + jitter).min(self.policy.max_wait)
    }

    /// Sends the request `build` makes (afresh each attempt: signatures carry timestamps) and
    /// returns its JSON once `classify` accepts it.
    pub async fn call<B, C>(&self, what: &str, build: B, classify: C) -> Result<Value, SyncError>
    where
        B: Fn(&reqwest::Client) -> RequestBuilder,
        C: Fn(u16, &Value) -> Verdict,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pace().await;
            let request = build(&self.inner)
                .build()
                .map_err(|e| SyncError::Failed(format!("{what}: {}", describe(e))))?;
            // Addresses written as such are not resolved, so the resolver cannot refuse them.
            if self.reach == Reach::PublicOnly {
                let literal = request
                    .url()
                    .host_str()
                    .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
                    .and_then(|h| h.parse::<IpAddr>().ok());
                if literal.is_some_and(|ip| !is_public(ip)) {
                    return Err(SyncError::Failed(format!("{what}: {NOT_PUBLIC}")));
                }
            }
            let (reason, wait) = match self.inner.execute(request).await {
                Err(e) if e.is_timeout() => ("timed out".to_owned(), None),
                Err(e) if e.is_connect() => (format!("cannot connect: {}", describe(e)), None),
                Err(e) => (format!("request failed: {}", describe(e)), None),
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = retry_after(res.headers());
                    match res.bytes().await {
                        Err(e) if e.is_timeout() => {
                            ("timed out reading the answer".to_owned(), None)
                        }
                        Err(e) => (format!("reading the answer failed: {}", describe(e)), None),
                        // Rate limits and server faults are temporary, whatever the body says.
                        Ok(_) if status == 429 || status >= 500 => {
                            (format!("HTTP {status}"), retry_after)
                        }
                        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                            Err(e) => {
                                return Err(SyncError::Failed(format!(
                                    "{what}: malformed answer (HTTP {status}, not JSON: {e})"
                                )));
                            }
                            Ok(json) => match classify(status, &json) {
                                Verdict::Done => return Ok(json),
                                Verdict::Retry(why, wait) => (why, wait.or(retry_after)),
                                Verdict::Auth(why) => return Err(SyncError::Auth(why)),
                                Verdict::Fail(why) => {
                                    return Err(SyncError::Failed(format!("{what}: {why}")));
                                }
                            },
                        },
                    }
                }
            };
            if attempt >= self.policy.max_attempts {
                return Err(SyncError::Failed(format!(
                    "{what}: {reason}; gave up after {attempt} attempts"
                )));
            }
            let wait = wait
                .map(|w| w.min(self.policy.max_wait))
                .unwrap_or_else(|| self.backoff(attempt - 1));
            self.notes.lock().await.push(format!(
                "{what}: {reason}; retry {attempt} in {} ms",
                wait.as_millis()
            ));
            tokio::time::sleep(wait).await;
        }
    }
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    delta.to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["203.113.131.1", "8.8.8.8", "2404:6800:4005::200e"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn scrub_removes_query_strings_and_secrets() {
        let text = "shopee get_item_list: cannot connect (http://127.0.0.1:9/api/v2/product/get_item_list?partner_id=1&access_token=tok-SECRET&sign=abc) tok-SECRET";
        let clean = scrub(text, &["tok-SECRET"]);
        assert!(!clean.contains("tok-SECRET"), "{clean}");
        assert!(!clean.contains("sign=abc"), "{clean}");
        assert!(clean.contains("http://127.0.0.1:9/api/v2/product/get_item_list?[redacted]"));
    }
}

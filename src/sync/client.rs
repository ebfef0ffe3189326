//! Calling marketplaces, which are slow, rate-limited and sometimes wrong: every call has a
//! timeout; timeouts, connection failures, 5xx and rate limits are retried with exponential
//! backoff and jitter (a `Retry-After` wins when given); calls to one channel are spaced to its
//! rate limit; answers that are not JSON fail cleanly. The connector decides what an answer
//! means through a classifier, so marketplace error codes sent with HTTP 200 are retried too.

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

/// An HTTP client for one channel's run.
pub struct HttpClient {
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
    ) -> Result<Self, SyncError> {
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("ocop-registry/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Failed(format!("cannot build the HTTP client: {e}")))?;
        let min_interval = if rate_limit_per_minute == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(60_000 / u64::from(rate_limit_per_minute))
        };
        Ok(HttpClient {
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
            let (reason, wait) = match build(&self.inner).send().await {
                Err(e) if e.is_timeout() => ("timed out".to_owned(), None),
                Err(e) if e.is_connect() => (format!("cannot connect: {e}"), None),
                Err(e) => (format!("request failed: {e}"), None),
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = retry_after(res.headers());
                    match res.bytes().await {
                        Err(e) if e.is_timeout() => {
                            ("timed out reading the answer".to_owned(), None)
                        }
                        Err(e) => (format!("reading the answer failed: {e}"), None),
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

//! Configuration: Rocket's figment (`Rocket.toml`, `ROCKET_*`) plus `DATABASE_URL`.

use rocket::figment::{Figment, providers::Env};
use serde::Deserialize;

/// Settings of one `ocop-registry` process. Secrets never live here in files: they come from the
/// environment (or, for tokens and channel credentials, from the database).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AppConfig {
    /// `sqlite://PATH?mode=rwc` or `postgres://…`.
    pub database_url: String,
    /// Connections in the pool (SQLite files use at most this many readers; writes serialise).
    pub database_pool_size: u32,
    /// PostgreSQL schema to work in (`search_path`); `None` uses the server's default.
    pub database_schema: Option<String>,
    /// Key encrypting channel credentials at rest (`OCOP_SECRET_KEY`: 32 bytes, hex or base64).
    #[serde(deserialize_with = "text_or_number")]
    pub secret_key: Option<String>,
    /// How often the background scheduler looks for due syncs and pending webhook events
    /// (seconds; 0 turns it off).
    pub sync_interval_secs: u64,
    /// Timeout of each call to a marketplace (seconds, fractions allowed).
    pub sync_timeout_secs: f64,
    /// Attempts per marketplace call, the first included.
    pub sync_max_attempts: u32,
    /// First retry backoff (milliseconds); it doubles, with jitter.
    pub sync_backoff_ms: u64,
    /// Longest wait between two attempts, whatever `Retry-After` asks (seconds).
    pub sync_max_wait_secs: u64,
    /// The public URL of this registry (`https://ocop.example.vn`), which Shopee signs its
    /// pushes with; by default the listening address (with a warning at start-up), never the
    /// request's `Host`.
    pub public_base_url: Option<String>,
    /// Shopee Open Platform host every Shopee connection calls (an owner never chooses it).
    pub shopee_base_url: String,
    /// Lazada Open Platform host (Việt Nam) every Lazada connection calls.
    pub lazada_base_url: String,
    /// Lazada's token host.
    pub lazada_auth_base_url: String,
    /// Lets feed URLs written by owners reach private and loopback addresses (tests, closed
    /// networks). Off: they must be `https` and resolve to public addresses only.
    pub sync_allow_private_hosts: bool,
    /// Failed authentications one client may make per minute before it gets `429`.
    pub auth_failures_per_minute: u32,
    /// Full answers to the public (pages and `/api/v1/public/...`) one client address may
    /// get per minute on average before `429`; `304`s are never counted. Phones on a mobile
    /// network share a few carrier addresses, so this is a crowd's allowance, not a person's.
    pub public_requests_per_minute: u32,
    /// How many of them may come at once (the token bucket's size).
    pub public_burst: u32,
    /// How long this process keeps a rendered public answer (seconds; 0: never). A change
    /// shows on the public pages at most this late.
    pub public_cache_seconds: u64,
    /// Uploads (lists, documents, boundaries) one process reads at a time; more wait up to 15
    /// seconds, then get `503`. Each can take a few hundred MB while it is read.
    pub max_concurrent_uploads: u32,
    /// A page session unused for this long is over (minutes).
    pub session_idle_minutes: i64,
    /// Failed sign-ins in a row after which an account answers `429` for
    /// `sign_in_lock_minutes`, even to the right password.
    pub sign_in_failures: i32,
    pub sign_in_lock_minutes: i64,
    /// Marks the session cookie `Secure`; by default, when `public_base_url` is `https`.
    pub cookie_secure: Option<bool>,
    /// Where uploaded documents are kept: a local folder (created if missing), or an object
    /// store URL such as `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*`
    /// variables).
    pub document_store: String,
    /// Largest document accepted (bytes).
    pub document_max_bytes: u64,
    /// How long a product photo waits for an auditor before it shows publicly (hours; 0: at
    /// once). An auditor may approve it sooner or reject it while it waits.
    pub photo_review_hours: u32,
    /// The registry's partner app on each marketplace, configured once by the operator: the
    /// "connect your shop" flow sends owners to the marketplace's consent page with it.
    #[serde(deserialize_with = "text_or_number")]
    pub shopee_partner_id: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub shopee_partner_key: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub lazada_app_key: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub lazada_app_secret: Option<String>,
    /// Lazada's consent page host (`https://auth.lazada.com`).
    pub lazada_consent_url: String,
    /// The registry's TikTok Shop app: its key, secret and service id (the consent link names
    /// the service; TikTok sends the seller back to the redirect registered with it).
    #[serde(deserialize_with = "text_or_number")]
    pub tiktok_app_key: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub tiktok_app_secret: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub tiktok_service_id: Option<String>,
    /// Keep the `X-Request-Id` a caller sends (a proxy's id, to join its logs with ours);
    /// otherwise every request gets an id of the registry's own. Either way the answer carries it.
    pub trust_request_id: bool,
    /// A second listening address (`host:port`) serving `/metrics` without a token, for
    /// Prometheus on a private network; `/metrics` on the main address needs an admin token.
    pub metrics_address: Option<String>,
    /// The base map's tile server for the pages' maps of areas (`https://…/{z}/{x}/{y}.png`);
    /// none: the polygons on a plain background with a graticule.
    pub map_tiles_url: Option<String>,
    /// What the tiles' licence asks the map to show (`© OpenStreetMap contributors`).
    pub map_tiles_attribution: Option<String>,
    /// TikTok Shop's consent page, token and API hosts.
    pub tiktok_consent_url: String,
    pub tiktok_auth_base_url: String,
    pub tiktok_base_url: String,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            database_url: "sqlite://ocop-registry.db?mode=rwc".to_owned(),
            database_pool_size: 5,
            database_schema: None,
            secret_key: None,
            sync_interval_secs: 60,
            sync_timeout_secs: 10.0,
            sync_max_attempts: 4,
            sync_backoff_ms: 500,
            sync_max_wait_secs: 60,
            public_base_url: None,
            shopee_base_url: "https://partner.shopeemobile.com".to_owned(),
            lazada_base_url: "https://api.lazada.vn/rest".to_owned(),
            lazada_auth_base_url: "https://auth.lazada.com/rest".to_owned(),
            sync_allow_private_hosts: false,
            auth_failures_per_minute: 20,
            public_requests_per_minute: 1200,
            public_burst: 600,
            public_cache_seconds: 10,
            max_concurrent_uploads: 2,
            session_idle_minutes: 30,
            sign_in_failures: 5,
            sign_in_lock_minutes: 15,
            cookie_secure: None,
            document_store: "documents".to_owned(),
            document_max_bytes: 10 * 1024 * 1024,
            photo_review_hours: 48,
            shopee_partner_id: None,
            shopee_partner_key: None,
            lazada_app_key: None,
            lazada_app_secret: None,
            lazada_consent_url: "https://auth.lazada.com".to_owned(),
            tiktok_app_key: None,
            tiktok_app_secret: None,
            tiktok_service_id: None,
            trust_request_id: false,
            metrics_address: None,
            map_tiles_url: None,
            map_tiles_attribution: None,
            tiktok_consent_url: "https://services.tiktokshop.com".to_owned(),
            tiktok_auth_base_url: "https://auth.tiktok-shops.com".to_owned(),
            tiktok_base_url: "https://open-api.tiktokglobalshop.com".to_owned(),
        }
    }
}

impl AppConfig {
    /// Rocket's figment with `DATABASE_URL` merged in, so one variable serves the app and
    /// the tools.
    pub fn figment() -> Figment {
        rocket::Config::figment()
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(
                Env::raw()
                    .only(&["OCOP_SECRET_KEY"])
                    .map(|_| "secret_key".into()),
            )
            // The marketplaces' app secrets, like the key above, come from the environment.
            .merge(Env::prefixed("OCOP_").only(&[
                "shopee_partner_key",
                "lazada_app_secret",
                "tiktok_app_secret",
            ]))
    }

    /// Whether cookies must only travel over https.
    pub fn secure_cookies(&self) -> bool {
        self.cookie_secure.unwrap_or_else(|| {
            self.public_base_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
        })
    }

    /// Reads the configuration from a figment.
    pub fn from_figment(figment: &Figment) -> Result<Self, Box<rocket::figment::Error>> {
        figment.extract().map_err(Box::new)
    }
}

/// An identifier or key that may be written as a number: the environment reads
/// `ROCKET_SHOPEE_PARTNER_ID=2001234` as an integer, and a Shopee partner id *is* one, so both
/// spellings are the same text. (A value of digits with leading zeros must be quoted, `"0123"`,
/// or the environment reads it as the number 123.)
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        Whole(u64),
        Signed(i64),
    }
    Ok(Option::<Given>::deserialize(d)?.map(|g| match g {
        Given::Text(s) => s,
        Given::Whole(n) => n.to_string(),
        Given::Signed(n) => n.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    // Jail's error type is figment's, large by design; it is only ever a test's failure.
    #[allow(clippy::result_large_err)]
    fn numeric_identifiers_are_read_as_their_text() {
        Jail::expect_with(|jail| {
            jail.set_env("ROCKET_SHOPEE_PARTNER_ID", "2001234");
            jail.set_env("ROCKET_TIKTOK_SERVICE_ID", "7123456789012345678");
            jail.set_env("ROCKET_LAZADA_APP_KEY", "\"0123\"");
            let config = AppConfig::from_figment(&AppConfig::figment()).expect("it starts");
            assert_eq!(config.shopee_partner_id.as_deref(), Some("2001234"));
            assert_eq!(
                config.tiktok_service_id.as_deref(),
                Some("7123456789012345678")
            );
            assert_eq!(config.lazada_app_key.as_deref(), Some("0123"));
            assert_eq!(config.tiktok_app_key, None);
            Ok(())
        });
    }
}

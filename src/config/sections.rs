//! The configuration's sections, one per concern, each with its defaults (the same values
//! `Rocket.toml` writes).

use serde::Deserialize;

use super::text_or_number;

/// `[database]`: where the registry keeps its records.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc` or `postgres://…` (`DATABASE_URL` overrides it).
    pub url: String,
    /// Connections in the pool (SQLite files use at most this many readers; writes serialise).
    pub pool_size: u32,
    /// PostgreSQL schema to work in (`search_path`); `None` uses the server's default.
    pub schema: Option<String>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite://ocop-registry.db?mode=rwc".to_owned(),
            pool_size: 5,
            schema: None,
        }
    }
}

/// `[public]`: the registry as the public reaches it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct PublicConfig {
    /// The public URL of this registry (`https://ocop.example.vn`), which starts every absolute
    /// URL it makes and which Shopee signs its pushes with; by default the listening address
    /// (with a warning at start-up), never the request's `Host`.
    pub base_url: Option<String>,
    /// How long this process keeps a rendered public answer (seconds; 0: never). A change
    /// shows on the public pages at most this late.
    pub cache_seconds: u64,
}

impl Default for PublicConfig {
    fn default() -> Self {
        PublicConfig {
            base_url: None,
            cache_seconds: 10,
        }
    }
}

/// `[sync]`: the background worker and its calls to marketplaces.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct SyncConfig {
    /// How often the background scheduler looks for due syncs and pending webhook events
    /// (seconds; 0 turns it off).
    pub interval_secs: u64,
    /// Timeout of each call to a marketplace (seconds, fractions allowed).
    pub timeout_secs: f64,
    /// Attempts per marketplace call, the first included.
    pub max_attempts: u32,
    /// First retry backoff (milliseconds); it doubles, with jitter.
    pub backoff_ms: u64,
    /// Longest wait between two attempts, whatever `Retry-After` asks (seconds).
    pub max_wait_secs: u64,
    /// Lets feed URLs written by owners reach private and loopback addresses (tests, closed
    /// networks). Off: they must be `https` and resolve to public addresses only.
    pub allow_private_hosts: bool,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            interval_secs: 60,
            timeout_secs: 10.0,
            max_attempts: 4,
            backoff_ms: 500,
            max_wait_secs: 60,
            allow_private_hosts: false,
        }
    }
}

/// `[marketplaces.*]`: the hosts every connection to a marketplace calls (an owner never
/// chooses them) and the registry's own partner app there, configured once by the operator
/// for the "connect your shop" flow. App secrets come from the environment only.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MarketplacesConfig {
    pub shopee: ShopeeConfig,
    pub lazada: LazadaConfig,
    pub tiktok: TiktokConfig,
}

/// `[marketplaces.shopee]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ShopeeConfig {
    /// The Shopee Open Platform host.
    pub base_url: String,
    #[serde(deserialize_with = "text_or_number")]
    pub partner_id: Option<String>,
    /// `OCOP_SHOPEE_PARTNER_KEY`.
    #[serde(deserialize_with = "text_or_number")]
    pub partner_key: Option<String>,
}

impl Default for ShopeeConfig {
    fn default() -> Self {
        ShopeeConfig {
            base_url: "https://partner.shopeemobile.com".to_owned(),
            partner_id: None,
            partner_key: None,
        }
    }
}

/// `[marketplaces.lazada]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct LazadaConfig {
    /// The Lazada Open Platform host (Việt Nam).
    pub base_url: String,
    /// Lazada's token host.
    pub auth_base_url: String,
    /// Lazada's consent page host.
    pub consent_url: String,
    #[serde(deserialize_with = "text_or_number")]
    pub app_key: Option<String>,
    /// `OCOP_LAZADA_APP_SECRET`.
    #[serde(deserialize_with = "text_or_number")]
    pub app_secret: Option<String>,
}

impl Default for LazadaConfig {
    fn default() -> Self {
        LazadaConfig {
            base_url: "https://api.lazada.vn/rest".to_owned(),
            auth_base_url: "https://auth.lazada.com/rest".to_owned(),
            consent_url: "https://auth.lazada.com".to_owned(),
            app_key: None,
            app_secret: None,
        }
    }
}

/// `[marketplaces.tiktok]`: the consent link names the app's service; TikTok sends the seller
/// back to the redirect registered with it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct TiktokConfig {
    /// TikTok Shop's API host.
    pub base_url: String,
    /// Its token host.
    pub auth_base_url: String,
    /// Its consent page host.
    pub consent_url: String,
    #[serde(deserialize_with = "text_or_number")]
    pub app_key: Option<String>,
    /// `OCOP_TIKTOK_APP_SECRET`.
    #[serde(deserialize_with = "text_or_number")]
    pub app_secret: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    pub service_id: Option<String>,
}

impl Default for TiktokConfig {
    fn default() -> Self {
        TiktokConfig {
            base_url: "https://open-api.tiktokglobalshop.com".to_owned(),
            auth_base_url: "https://auth.tiktok-shops.com".to_owned(),
            consent_url: "https://services.tiktokshop.com".to_owned(),
            app_key: None,
            app_secret: None,
            service_id: None,
        }
    }
}

/// `[sessions]`: the pages' sign-in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct SessionsConfig {
    /// A page session unused for this long is over (minutes).
    pub idle_minutes: i64,
    /// Failed sign-ins in a row after which an account answers `429` for `sign_in_lock_minutes`,
    /// even to the right password.
    pub sign_in_failures: i32,
    pub sign_in_lock_minutes: i64,
    /// Marks the session cookie `Secure`; by default, when `public.base_url` is `https`.
    pub cookie_secure: Option<bool>,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig {
            idle_minutes: 30,
            sign_in_failures: 5,
            sign_in_lock_minutes: 15,
            cookie_secure: None,
        }
    }
}

/// `[documents]`: uploaded documents and photos.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct DocumentsConfig {
    /// Where uploaded documents are kept: a local folder (created if missing), or an object
    /// store URL such as `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*`
    /// variables).
    pub store: String,
    /// Largest document accepted (bytes).
    pub max_bytes: u64,
    /// How long a product photo waits for an auditor before it shows publicly (hours; 0: at
    /// once). An auditor may approve it sooner or reject it while it waits.
    pub photo_review_hours: u32,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            store: "documents".to_owned(),
            max_bytes: 10 * 1024 * 1024,
            photo_review_hours: 48,
        }
    }
}

/// `[quotas]`: what one client may ask of one process (0: no limit).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct QuotasConfig {
    /// Failed authentications one client may make per minute before it gets `429`.
    pub auth_failures_per_minute: u32,
    /// Full answers to the public (pages and `/api/v1/public/...`) one client address may get
    /// per minute on average before `429`; `304`s are never counted. Phones on a mobile network
    /// share a few carrier addresses, so this is a crowd's allowance, not a person's.
    pub public_requests_per_minute: u32,
    /// How many of them may come at once (the token bucket's size).
    pub public_burst: u32,
    /// Uploads (lists, documents, boundaries) one process reads at a time; more wait up to 15
    /// seconds, then get `503`. Each can take a few hundred MB while it is read.
    pub max_concurrent_uploads: u32,
}

impl Default for QuotasConfig {
    fn default() -> Self {
        QuotasConfig {
            auth_failures_per_minute: 20,
            public_requests_per_minute: 1200,
            public_burst: 600,
            max_concurrent_uploads: 2,
        }
    }
}

/// `[maps]`: the base map under the pages' maps of areas.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MapsConfig {
    /// The tile server (`https://…/{z}/{x}/{y}.png`); none: the polygons on a plain background
    /// with a graticule.
    pub tiles_url: Option<String>,
    /// What the tiles' licence asks the map to show (`© OpenStreetMap contributors`).
    pub tiles_attribution: Option<String>,
}

/// `[telemetry]`: what an operator sees of requests (the log format is `OCOP_LOG_FORMAT`, read
/// before the configuration so that reading it can be logged).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    /// Keep the `X-Request-Id` a caller sends (a proxy's id, to join its logs with ours);
    /// otherwise every request gets an id of the registry's own. Either way the answer carries it.
    pub trust_request_id: bool,
    /// A second listening address (`host:port`) serving `/metrics` without a token, for
    /// Prometheus on a private network; `/metrics` on the main address needs an admin token.
    pub metrics_address: Option<String>,
}

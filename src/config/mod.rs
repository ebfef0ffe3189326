//! Configuration: Rocket's figment (`Rocket.toml`, `ROCKET_*`) plus `DATABASE_URL` and the
//! secrets' `OCOP_*` variables, read into one section per concern.
//!
//! `Rocket.toml` writes every section with its defaults (`[default.sync]`, …), and the defaults
//! below are the same values (a test holds them equal), so a registry started without the file
//! behaves the same. An operator overrides a key with Rocket's nested variables
//! (`ROCKET_SYNC={interval_secs=5}`) or with its one flat name (`ROCKET_SYNC_INTERVAL_SECS=5`),
//! the names the registry was configured by before it had sections: [`FLAT`] maps each to its
//! key, so no deployment's environment stops working.

mod sections;

use rocket::figment::{Figment, providers::Env};
use serde::Deserialize;

pub use sections::*;

/// Settings of one `ocop-registry` process. Secrets never live here in files: they come from the
/// environment (or, for tokens and channel credentials, from the database).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AppConfig {
    pub database: DatabaseConfig,
    /// Key encrypting channel credentials at rest (`OCOP_SECRET_KEY`: 32 bytes, hex or base64).
    #[serde(deserialize_with = "text_or_number")]
    pub secret_key: Option<String>,
    pub public: PublicConfig,
    pub sync: SyncConfig,
    pub marketplaces: MarketplacesConfig,
    pub sessions: SessionsConfig,
    pub documents: DocumentsConfig,
    /// Rocket's own `limits` are body sizes by data type; the registry's allowances per client
    /// are `quotas`, so neither reads the other's keys.
    pub quotas: QuotasConfig,
    pub maps: MapsConfig,
    pub telemetry: TelemetryConfig,
}

/// Each flat environment name (after `ROCKET_`) and the key it sets. The registry was configured
/// by these names before it had sections; deployments keep them.
pub const FLAT: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("DATABASE_POOL_SIZE", "database.pool_size"),
    ("DATABASE_SCHEMA", "database.schema"),
    ("PUBLIC_BASE_URL", "public.base_url"),
    ("PUBLIC_CACHE_SECONDS", "public.cache_seconds"),
    ("SYNC_INTERVAL_SECS", "sync.interval_secs"),
    ("SYNC_TIMEOUT_SECS", "sync.timeout_secs"),
    ("SYNC_MAX_ATTEMPTS", "sync.max_attempts"),
    ("SYNC_BACKOFF_MS", "sync.backoff_ms"),
    ("SYNC_MAX_WAIT_SECS", "sync.max_wait_secs"),
    ("SYNC_ALLOW_PRIVATE_HOSTS", "sync.allow_private_hosts"),
    ("SHOPEE_BASE_URL", "marketplaces.shopee.base_url"),
    ("SHOPEE_PARTNER_ID", "marketplaces.shopee.partner_id"),
    ("SHOPEE_PARTNER_KEY", "marketplaces.shopee.partner_key"),
    ("LAZADA_BASE_URL", "marketplaces.lazada.base_url"),
    ("LAZADA_AUTH_BASE_URL", "marketplaces.lazada.auth_base_url"),
    ("LAZADA_CONSENT_URL", "marketplaces.lazada.consent_url"),
    ("LAZADA_APP_KEY", "marketplaces.lazada.app_key"),
    ("LAZADA_APP_SECRET", "marketplaces.lazada.app_secret"),
    ("TIKTOK_BASE_URL", "marketplaces.tiktok.base_url"),
    ("TIKTOK_AUTH_BASE_URL", "marketplaces.tiktok.auth_base_url"),
    ("TIKTOK_CONSENT_URL", "marketplaces.tiktok.consent_url"),
    ("TIKTOK_APP_KEY", "marketplaces.tiktok.app_key"),
    ("TIKTOK_APP_SECRET", "marketplaces.tiktok.app_secret"),
    ("TIKTOK_SERVICE_ID", "marketplaces.tiktok.service_id"),
    ("SESSION_IDLE_MINUTES", "sessions.idle_minutes"),
    ("SIGN_IN_FAILURES", "sessions.sign_in_failures"),
    ("SIGN_IN_LOCK_MINUTES", "sessions.sign_in_lock_minutes"),
    ("COOKIE_SECURE", "sessions.cookie_secure"),
    ("DOCUMENT_STORE", "documents.store"),
    ("DOCUMENT_MAX_BYTES", "documents.max_bytes"),
    ("PHOTO_REVIEW_HOURS", "documents.photo_review_hours"),
    (
        "AUTH_FAILURES_PER_MINUTE",
        "quotas.auth_failures_per_minute",
    ),
    (
        "PUBLIC_REQUESTS_PER_MINUTE",
        "quotas.public_requests_per_minute",
    ),
    ("PUBLIC_BURST", "quotas.public_burst"),
    ("MAX_CONCURRENT_UPLOADS", "quotas.max_concurrent_uploads"),
    ("MAP_TILES_URL", "maps.tiles_url"),
    ("MAP_TILES_ATTRIBUTION", "maps.tiles_attribution"),
    ("TRUST_REQUEST_ID", "telemetry.trust_request_id"),
    ("METRICS_ADDRESS", "telemetry.metrics_address"),
];

/// The variables read without Rocket's prefix, and their keys: one database URL for the app and
/// its tools, and the secrets (never written in a file).
const UNPREFIXED: &[(&str, &str)] = &[
    ("DATABASE_URL", "database.url"),
    ("OCOP_SECRET_KEY", "secret_key"),
    ("OCOP_SHOPEE_PARTNER_KEY", "marketplaces.shopee.partner_key"),
    ("OCOP_LAZADA_APP_SECRET", "marketplaces.lazada.app_secret"),
    ("OCOP_TIKTOK_APP_SECRET", "marketplaces.tiktok.app_secret"),
];

/// The variables of `table` as the keys they name, in every profile (as Rocket's own are).
fn renamed(table: &'static [(&'static str, &'static str)], prefix: &'static str) -> Env {
    Env::raw()
        .filter_map(move |name| {
            let name = name.as_str();
            let given = name.get(..prefix.len())?;
            let name = name.get(prefix.len()..)?;
            if !given.eq_ignore_ascii_case(prefix) {
                return None;
            }
            table
                .iter()
                .find(|(flat, _)| flat.eq_ignore_ascii_case(name))
                .map(|(_, key)| (*key).into())
        })
        .global()
}

impl AppConfig {
    /// Rocket's figment, with the flat names and the unprefixed variables read into their
    /// sections (`DATABASE_URL` last: it wins over `ROCKET_DATABASE_URL`, as before).
    pub fn figment() -> Figment {
        rocket::Config::figment()
            .merge(renamed(FLAT, "ROCKET_"))
            .merge(renamed(UNPREFIXED, ""))
    }

    /// Whether cookies must only travel over https.
    pub fn secure_cookies(&self) -> bool {
        self.sessions.cookie_secure.unwrap_or_else(|| {
            self.public
                .base_url
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
// Jail's error type is figment's, large by design; it is only ever a test's failure.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;
    use figment::providers::{Format, Toml};

    #[test]
    fn numeric_identifiers_are_read_as_their_text() {
        Jail::expect_with(|jail| {
            jail.set_env("ROCKET_SHOPEE_PARTNER_ID", "2001234");
            jail.set_env("ROCKET_TIKTOK_SERVICE_ID", "7123456789012345678");
            jail.set_env("ROCKET_LAZADA_APP_KEY", "\"0123\"");
            let config = AppConfig::from_figment(&AppConfig::figment()).expect("it starts");
            let m = &config.marketplaces;
            assert_eq!(m.shopee.partner_id.as_deref(), Some("2001234"));
            assert_eq!(m.tiktok.service_id.as_deref(), Some("7123456789012345678"));
            assert_eq!(m.lazada.app_key.as_deref(), Some("0123"));
            assert_eq!(m.tiktok.app_key, None);
            Ok(())
        });
    }

    /// The file an operator reads is the configuration the code has without it.
    #[test]
    fn rocket_toml_writes_the_defaults() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Rocket.toml");
        let figment = Figment::from(Toml::file(file).nested());
        for profile in ["debug", "release"] {
            let read = AppConfig::from_figment(&figment.clone().select(profile)).expect("reads");
            assert_eq!(
                read,
                AppConfig::default(),
                "Rocket.toml's {profile} profile"
            );
        }
    }

    #[test]
    fn every_section_is_read_from_its_table_and_from_its_flat_name() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "Rocket.toml",
                "[default.sync]\ninterval_secs = 5\n[default.marketplaces.lazada]\n\
                 consent_url = \"https://consent.example\"\n[default.quotas]\npublic_burst = 7\n",
            )?;
            jail.set_env("ROCKET_PUBLIC_BURST", "9");
            jail.set_env("ROCKET_DOCUMENT_STORE", "s3://bucket/docs");
            jail.set_env("ROCKET_TELEMETRY", "{trust_request_id=true}");
            jail.set_env("ROCKET_DATABASE_URL", "sqlite://flat.db");
            jail.set_env("DATABASE_URL", "sqlite://plain.db");
            jail.set_env("OCOP_SHOPEE_PARTNER_KEY", "secret");
            let c = AppConfig::from_figment(&AppConfig::figment()).expect("it starts");
            assert_eq!(c.sync.interval_secs, 5);
            assert_eq!(c.marketplaces.lazada.consent_url, "https://consent.example");
            // A flat name in the environment overrides the file, as any variable does.
            assert_eq!(c.quotas.public_burst, 9);
            assert_eq!(c.documents.store, "s3://bucket/docs");
            assert!(c.telemetry.trust_request_id);
            assert_eq!(c.database.url, "sqlite://plain.db");
            assert_eq!(c.marketplaces.shopee.partner_key.as_deref(), Some("secret"));
            // What no one set keeps its default.
            assert_eq!(c.sessions, SessionsConfig::default());
            Ok(())
        });
    }
}

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

use rocket::figment::value::{Dict, Map};
use rocket::figment::{Figment, Metadata, Profile, Provider, Source, providers::Env};
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

type Table = &'static [(&'static str, &'static str)];

/// The environment variables of a table, read as the keys they name; a value that cannot be
/// read is refused naming the variable as the operator set it.
struct Renamed {
    env: Env,
    table: Table,
    prefix: &'static str,
}

impl Renamed {
    fn new(table: Table, prefix: &'static str) -> Renamed {
        let env = Env::raw().filter_map(move |name| {
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
        });
        Renamed { env, table, prefix }
    }
}

impl Provider for Renamed {
    fn metadata(&self) -> Metadata {
        let (table, prefix) = (self.table, self.prefix);
        Metadata::named("environment variable(s)").interpolater(move |_: &Profile, k: &[&str]| {
            let key = k.join(".");
            match table.iter().find(|(_, to)| to.eq_ignore_ascii_case(&key)) {
                Some((flat, _)) => format!("{prefix}{flat}"),
                None => key.to_ascii_uppercase(),
            }
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, rocket::figment::Error> {
        self.env.data()
    }
}

impl AppConfig {
    /// Rocket's figment, with the flat names and the unprefixed variables read into their
    /// sections, each where it stood before the sections: the flat `ROCKET_*` names in every
    /// profile, as Rocket's own variables are, and `DATABASE_URL` and the `OCOP_*` secrets in
    /// the default profile (so `ROCKET_DATABASE_URL` wins over `DATABASE_URL`, and a
    /// `[release]` table over both).
    pub fn figment() -> Figment {
        let mut flat = Renamed::new(FLAT, "ROCKET_");
        flat.env = flat.env.global();
        rocket::Config::figment()
            .merge(flat)
            .merge(Renamed::new(UNPREFIXED, ""))
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

    /// Reads the configuration from a figment. A flat key written in a file (`Rocket.toml` of
    /// before the sections: `public_base_url = …`) is refused, naming its new key: read as
    /// nothing, it would leave a deployment on a default without a word.
    pub fn from_figment(figment: &Figment) -> Result<Self, Box<rocket::figment::Error>> {
        for (flat, key) in FLAT {
            let old = flat.to_ascii_lowercase();
            if let Some(Source::File(file)) =
                figment.find_metadata(&old).and_then(|m| m.source.as_ref())
            {
                return Err(Box::new(rocket::figment::Error::from(format!(
                    "`{old}` in {} is now `{key}` (its table `[default.{}]`); \
                     the environment's ROCKET_{flat} still sets it",
                    file.display(),
                    key.rsplit_once('.').map_or(*key, |(table, _)| table),
                ))));
            }
        }
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
            // As before the sections: Rocket's variable over the plain one.
            assert_eq!(c.database.url, "sqlite://flat.db");
            assert_eq!(c.marketplaces.shopee.partner_key.as_deref(), Some("secret"));
            // What no one set keeps its default.
            assert_eq!(c.sessions, SessionsConfig::default());
            Ok(())
        });
    }

    #[test]
    fn a_flat_key_in_a_file_is_refused_naming_its_table() {
        Jail::expect_with(|jail| {
            jail.create_file("Rocket.toml", "[default]\nmetrics_address = \"bad\"\n")?;
            let refused = AppConfig::from_figment(&AppConfig::figment()).unwrap_err();
            let said = refused.to_string();
            assert!(said.contains("`metrics_address`"), "{said}");
            assert!(said.contains("`telemetry.metrics_address`"), "{said}");
            // The same name in the environment is the operator's alias, not a mistake.
            jail.create_file("Rocket.toml", "")?;
            jail.set_env("ROCKET_METRICS_ADDRESS", "127.0.0.1:9464");
            let c = AppConfig::from_figment(&AppConfig::figment()).expect("it starts");
            assert_eq!(
                c.telemetry.metrics_address.as_deref(),
                Some("127.0.0.1:9464")
            );
            Ok(())
        });
    }

    #[test]
    fn a_value_that_cannot_be_read_is_refused_naming_its_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("ROCKET_SYNC_TIMEOUT_SECS", "abc");
            let said = AppConfig::from_figment(&AppConfig::figment())
                .unwrap_err()
                .to_string();
            assert!(said.contains("ROCKET_SYNC_TIMEOUT_SECS"), "{said}");
            Ok(())
        });
    }
}

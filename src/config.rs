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
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            database_url: "sqlite://ocop-registry.db?mode=rwc".to_owned(),
            database_pool_size: 5,
            database_schema: None,
        }
    }
}

impl AppConfig {
    /// Rocket's figment with `DATABASE_URL` merged in, so one variable serves the app and
    /// the tools.
    pub fn figment() -> Figment {
        rocket::Config::figment().merge(Env::raw().only(&["DATABASE_URL"]))
    }

    /// Reads the configuration from a figment.
    pub fn from_figment(figment: &Figment) -> Result<Self, Box<rocket::figment::Error>> {
        figment.extract().map_err(Box::new)
    }
}

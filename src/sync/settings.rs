//! What a process needs to sync, built once from the configuration.

use std::time::Duration;

use uuid::Uuid;

use super::client::{Reach, RetryPolicy};
use super::dto::{ConnectorKind, ManagedBy};
use super::marketplaces::Hosts;
use super::secrets::Secrets;
use crate::config::AppConfig;

/// Sync settings of one process.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub secrets: Secrets,
    pub timeout: Duration,
    pub policy: RetryPolicy,
    /// This process, as recorded on the claims it holds.
    pub instance: String,
    pub public_base_url: Option<String>,
    pub scheduler_interval: Duration,
    /// The marketplaces' hosts (operator's configuration).
    pub hosts: Hosts,
    /// Whether owner-written feed URLs may reach private addresses.
    pub allow_private_hosts: bool,
    /// The registry's own partner apps (the "connect your shop" flow).
    pub apps: Apps,
}

/// The registry's app on a marketplace: its public id and its secret.
#[derive(Clone)]
pub struct App {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The registry's partner apps, as the operator configured them.
#[derive(Debug, Clone, Default)]
pub struct Apps {
    pub shopee: Option<App>,
    pub lazada: Option<App>,
    pub tiktok: Option<App>,
    /// Lazada's consent page host.
    pub lazada_consent: String,
    /// TikTok Shop's consent page host, token host and API host, and the app's service id.
    pub tiktok_consent: String,
    pub tiktok_auth: String,
    pub tiktok_api: String,
    pub tiktok_service_id: Option<String>,
}

impl Apps {
    /// The app of a marketplace, if configured.
    pub fn of(&self, kind: ConnectorKind) -> Option<&App> {
        match kind {
            ConnectorKind::Shopee => self.shopee.as_ref(),
            ConnectorKind::Lazada => self.lazada.as_ref(),
            ConnectorKind::TiktokShop => self.tiktok.as_ref(),
            ConnectorKind::Feed => None,
        }
    }
}

fn app(id: &Option<String>, secret: &Option<String>) -> Option<App> {
    match (
        id.as_deref().map(str::trim),
        secret.as_deref().map(str::trim),
    ) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Some(App {
            id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        _ => None,
    }
}

impl SyncSettings {
    /// From the configuration.
    pub fn from_config(c: &AppConfig) -> Result<Self, String> {
        Ok(SyncSettings {
            secrets: Secrets::new(c.secret_key.as_deref())?,
            timeout: Duration::from_secs_f64(c.sync.timeout_secs.max(0.001)),
            policy: RetryPolicy {
                max_attempts: std::cmp::max(c.sync.max_attempts, 1),
                base_backoff: Duration::from_millis(c.sync.backoff_ms),
                max_wait: Duration::from_secs(c.sync.max_wait_secs),
            },
            instance: format!("{}-{}", std::process::id(), Uuid::new_v4().simple()),
            public_base_url: c.public.base_url.clone(),
            scheduler_interval: Duration::from_secs(c.sync.interval_secs),
            hosts: Hosts {
                shopee: c.marketplaces.shopee.base_url.clone(),
                lazada: c.marketplaces.lazada.base_url.clone(),
                lazada_auth: c.marketplaces.lazada.auth_base_url.clone(),
            },
            allow_private_hosts: c.sync.allow_private_hosts,
            apps: Apps {
                shopee: app(
                    &c.marketplaces.shopee.partner_id,
                    &c.marketplaces.shopee.partner_key,
                ),
                lazada: app(
                    &c.marketplaces.lazada.app_key,
                    &c.marketplaces.lazada.app_secret,
                ),
                tiktok: app(
                    &c.marketplaces.tiktok.app_key,
                    &c.marketplaces.tiktok.app_secret,
                ),
                lazada_consent: c
                    .marketplaces
                    .lazada
                    .consent_url
                    .trim_end_matches('/')
                    .to_owned(),
                tiktok_consent: c
                    .marketplaces
                    .tiktok
                    .consent_url
                    .trim_end_matches('/')
                    .to_owned(),
                tiktok_auth: c
                    .marketplaces
                    .tiktok
                    .auth_base_url
                    .trim_end_matches('/')
                    .to_owned(),
                tiktok_api: c
                    .marketplaces
                    .tiktok
                    .base_url
                    .trim_end_matches('/')
                    .to_owned(),
                tiktok_service_id: c.marketplaces.tiktok.service_id.clone(),
            },
        })
    }

    /// How long a claim holds without renewal: longer than the slowest call with its retries.
    pub fn lease(&self) -> chrono::Duration {
        let per_call = self.timeout + self.policy.max_wait;
        let worst = per_call * self.policy.max_attempts * 2;
        chrono::Duration::from_std(worst.max(Duration::from_secs(300)))
            .unwrap_or(chrono::Duration::minutes(10))
    }

    /// The app secret a connection is read and its pushes verified with: its own, or for a shop
    /// connected through the registry's own app, that app's (kept in the operator's
    /// configuration, not on the connection).
    pub fn app_secret_of(
        &self,
        conn: &entity::channel_connection::Model,
    ) -> crate::error::AppResult<Option<String>> {
        if let Some(sealed) = &conn.app_secret {
            return self.secrets.open(sealed).map(Some);
        }
        if conn.managed_by != ManagedBy::Registry {
            return Ok(None);
        }
        Ok(self.apps.of(conn.connector).map(|a| a.secret.clone()))
    }

    /// The origins of the marketplaces' consent pages of the configured apps.
    pub fn consent_origins(&self) -> Vec<String> {
        let origin = |u: &str| {
            reqwest::Url::parse(u)
                .ok()
                .map(|u| u.origin().ascii_serialization())
        };
        let mut out = Vec::new();
        if self.apps.shopee.is_some() {
            out.extend(origin(&self.hosts.shopee));
        }
        if self.apps.lazada.is_some() {
            out.extend(origin(&self.apps.lazada_consent));
        }
        if self.apps.tiktok.is_some() {
            out.extend(origin(&self.apps.tiktok_consent));
        }
        out
    }

    /// Where the calls of a connection may go: anywhere for the operator's marketplace hosts
    /// and the department's own connections; public addresses only for a URL an owner wrote.
    pub fn reach(&self, kind: ConnectorKind, managed_by: ManagedBy) -> Reach {
        if !kind.is_marketplace() && managed_by == ManagedBy::Owner && !self.allow_private_hosts {
            Reach::PublicOnly
        } else {
            Reach::Any
        }
    }
}

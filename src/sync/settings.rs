//! What a process needs to sync, built once from the configuration.

use std::time::Duration;

use uuid::Uuid;

use super::client::{Reach, RetryPolicy};
use super::connectors::Hosts;
use super::dto::{ConnectorKind, ManagedBy};
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
}

impl SyncSettings {
    /// From the configuration.
    pub fn from_config(c: &AppConfig) -> Result<Self, String> {
        Ok(SyncSettings {
            secrets: Secrets::new(c.secret_key.as_deref())?,
            timeout: Duration::from_secs_f64(c.sync_timeout_secs.max(0.001)),
            policy: RetryPolicy {
                max_attempts: std::cmp::max(c.sync_max_attempts, 1),
                base_backoff: Duration::from_millis(c.sync_backoff_ms),
                max_wait: Duration::from_secs(c.sync_max_wait_secs),
            },
            instance: format!("{}-{}", std::process::id(), Uuid::new_v4().simple()),
            public_base_url: c.public_base_url.clone(),
            scheduler_interval: Duration::from_secs(c.sync_interval_secs),
            hosts: Hosts {
                shopee: c.shopee_base_url.clone(),
                lazada: c.lazada_base_url.clone(),
                lazada_auth: c.lazada_auth_base_url.clone(),
            },
            allow_private_hosts: c.sync_allow_private_hosts,
        })
    }

    /// How long a claim holds without renewal: longer than the slowest call with its retries.
    pub fn lease(&self) -> chrono::Duration {
        let per_call = self.timeout + self.policy.max_wait;
        let worst = per_call * self.policy.max_attempts * 2;
        chrono::Duration::from_std(worst.max(Duration::from_secs(300)))
            .unwrap_or(chrono::Duration::minutes(10))
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

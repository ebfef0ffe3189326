//! The background worker of a serving process: every `sync_interval_secs` it processes pending
//! webhook events and runs the syncs that are due. Every process may run one; claims in the
//! database keep them from doing the same work twice.

use rocket::fairing::AdHoc;
use sea_orm::DatabaseConnection;

use super::service::{self, SyncSettings};

/// The fairing that starts the worker at lift-off (nothing when the interval is 0).
pub fn fairing() -> AdHoc {
    AdHoc::on_liftoff("channel sync scheduler", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(settings)) = (
                rocket.state::<DatabaseConnection>().cloned(),
                rocket.state::<SyncSettings>().cloned(),
            ) else {
                return;
            };
            if settings.scheduler_interval.is_zero() {
                return;
            }
            tokio::spawn(async move {
                let mut every = tokio::time::interval(settings.scheduler_interval);
                loop {
                    every.tick().await;
                    let (events, runs) = service::tick(&db, &settings, "scheduler").await;
                    if events > 0 || !runs.is_empty() {
                        tracing::info!(events, runs = runs.len(), "scheduled sync work done");
                    }
                }
            });
        })
    })
}

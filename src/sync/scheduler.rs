//! The background worker of a serving process: every `sync.interval_secs` it processes pending
//! webhook events and runs the syncs that are due. Every process may run one; claims in the
//! database keep them from doing the same work twice.

use entity::channel_connection as connection;
use rocket::fairing::AdHoc;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::{SyncOptions, SyncRunView};
use super::marketplaces::ConnectorKind;
use super::settings::SyncSettings;
use super::{runs, webhooks};
use crate::clock;
use crate::error::{AppError, AppResult};

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
                    let (events, runs) =
                        tick(&db, &settings, crate::domain::RunTrigger::Scheduler).await;
                    if events > 0 || !runs.is_empty() {
                        tracing::info!(events, runs = runs.len(), "scheduled sync work done");
                    }
                }
            });
        })
    })
}

/// Channels whose scheduled sync is due.
pub async fn due_channels(db: &impl ConnectionTrait) -> AppResult<Vec<Uuid>> {
    let now = clock::now();
    Ok(connection::Entity::find()
        .select_only()
        .column(connection::Column::ChannelId)
        .filter(connection::Column::Connector.is_in(ConnectorKind::pullable_kinds()))
        .filter(
            Condition::any()
                .add(connection::Column::NextSyncAt.is_null())
                .add(connection::Column::NextSyncAt.lte(now)),
        )
        .filter(
            Condition::any()
                .add(connection::Column::LeaseUntil.is_null())
                .add(connection::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(connection::Column::NextSyncAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// One round of background work: pending webhook events, then every due channel. One
/// channel's failure never stops the others.
#[tracing::instrument(skip(db, settings))]
pub async fn tick(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    trigger: crate::domain::RunTrigger,
) -> (usize, Vec<SyncRunView>) {
    let events = webhooks::process_pending(db, settings, 100)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "processing webhook events failed");
            0
        });
    let mut runs = Vec::new();
    match due_channels(db).await {
        Ok(ids) => {
            for id in ids {
                match runs::run(db, settings, id, trigger, &SyncOptions::default()).await {
                    Ok(r) => runs.push(SyncRunView::from(r)),
                    // Claimed meanwhile by another process: its business now.
                    Err(AppError::Conflict(_)) => {}
                    Err(e) => tracing::error!(channel = %id, error = %e, "scheduled sync failed"),
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "listing due syncs failed"),
    }
    (events, runs)
}

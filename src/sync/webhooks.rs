//! Signed pushes: verified on the raw bytes in constant time, stored durably before the answer,
//! processed after — by whichever process claims the event first, exactly once. A forged or
//! stale push leaves no trace but a log line; a duplicate is acknowledged and ignored.

use chrono::{DateTime, Utc};
use entity::webhook_event as event;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use uuid::Uuid;

use super::dto::EventStatus;
pub use super::marketplaces::push::Delivery;
use super::marketplaces::{self, ConnectorKind};
use super::settings::SyncSettings;
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::{clock, ids};

/// Largest push accepted.
pub const MAX_BODY: u64 = 256 * 1024;
/// Attempts before an event is set aside as failed.
const MAX_ATTEMPTS: i32 = 5;
/// How long a claim on an event holds.
const EVENT_LEASE: chrono::Duration = chrono::Duration::minutes(5);

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Accepted(Uuid),
    Duplicate,
}

/// Verifies a delivery and stores it; `Unauthorized` when it cannot be verified.
#[tracing::instrument(skip_all, fields(platform = %d.platform))]
pub async fn receive(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    d: Delivery<'_>,
) -> AppResult<Received> {
    let kind: ConnectorKind = d
        .platform
        .parse()
        .map_err(|_| AppError::not_found("webhook platform", d.platform))?;
    let (channel_id, event_key) = marketplaces::of(kind).verify_push(db, settings, &d).await?;
    let id = ids::new_id();
    let body = String::from_utf8_lossy(d.body).into_owned();
    let txn = begin_write(db).await?;
    // Two deliveries of one event collide on (channel, event key), in any process; one
    // channel's event ids never shadow another's.
    let inserted = event::Entity::insert(event::ActiveModel {
        id: Set(id),
        platform: Set(crate::domain::Platform::parse(d.platform)),
        event_key: Set(event_key),
        channel_id: Set(Some(channel_id)),
        received_at: Set(clock::now()),
        body: Set(body),
        status: Set(EventStatus::Pending),
        attempts: Set(0),
        lease_owner: Set(None),
        lease_until: Set(None),
        processed_at: Set(None),
        error: Set(None),
    })
    .on_conflict(
        OnConflict::columns([event::Column::ChannelId, event::Column::EventKey])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(if inserted == 1 {
        Received::Accepted(id)
    } else {
        Received::Duplicate
    })
}

/// The pushes waiting to be processed: how many, and when the oldest arrived.
pub async fn queue(db: &DatabaseConnection) -> AppResult<(i64, Option<DateTime<Utc>>)> {
    use sea_orm::sea_query::Func;
    let row: Option<(i64, Option<DateTime<Utc>>)> = event::Entity::find()
        .select_only()
        .expr(Func::count(Expr::col(event::Column::Id)))
        .expr(Func::min(Expr::col(event::Column::ReceivedAt)))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.unwrap_or((0, None)))
}

/// Processes pending events (at most `limit`); returns how many this process completed.
#[tracing::instrument(skip(db, settings))]
pub async fn process_pending(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    limit: u64,
) -> AppResult<usize> {
    let now = clock::now();
    let candidates: Vec<Uuid> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(
            Condition::any()
                .add(event::Column::LeaseUntil.is_null())
                .add(event::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(event::Column::ReceivedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut done = 0;
    for id in candidates {
        if !claim(db, settings, id).await? {
            continue;
        }
        match apply(db, settings, id).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(event = %id, error = %e, "webhook event processing failed");
                let txn = begin_write(db).await?;
                let ev = crate::db::unique(&txn, event::Entity::find_by_id(id)).await?;
                if let Some(ev) = ev {
                    let status = if ev.attempts >= MAX_ATTEMPTS {
                        EventStatus::Failed
                    } else {
                        EventStatus::Pending
                    };
                    event::Entity::update_many()
                        .col_expr(event::Column::Status, Expr::value(status.code()))
                        .col_expr(event::Column::Error, Expr::value(e.to_string()))
                        .col_expr(
                            event::Column::LeaseOwner,
                            Expr::value(Option::<String>::None),
                        )
                        .col_expr(
                            event::Column::LeaseUntil,
                            Expr::value(Option::<DateTime<Utc>>::None),
                        )
                        .filter(event::Column::Id.eq(id))
                        .filter(event::Column::LeaseOwner.eq(settings.instance.clone()))
                        .exec(&txn)
                        .await?;
                }
                txn.commit().await?;
            }
        }
    }
    Ok(done)
}

/// Takes an event for this process (`false`: another has it).
async fn claim(db: &DatabaseConnection, settings: &SyncSettings, id: Uuid) -> AppResult<bool> {
    let now = clock::now();
    let txn = begin_write(db).await?;
    let res = event::Entity::update_many()
        .col_expr(
            event::Column::LeaseOwner,
            Expr::value(settings.instance.clone()),
        )
        .col_expr(event::Column::LeaseUntil, Expr::value(now + EVENT_LEASE))
        .col_expr(
            event::Column::Attempts,
            Expr::col(event::Column::Attempts).add(1),
        )
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(
            Condition::any()
                .add(event::Column::LeaseUntil.is_null())
                .add(event::Column::LeaseUntil.lt(now)),
        )
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(res.rows_affected == 1)
}

/// Applies an event and marks it processed in one transaction: either both happen or neither,
/// and only while this process still holds it.
async fn apply(db: &DatabaseConnection, settings: &SyncSettings, id: Uuid) -> AppResult<bool> {
    let txn = begin_write(db).await?;
    let now = clock::now();
    let marked = event::Entity::update_many()
        .col_expr(
            event::Column::Status,
            Expr::value(EventStatus::Processed.code()),
        )
        .col_expr(event::Column::ProcessedAt, Expr::value(now))
        .col_expr(
            event::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            event::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(event::Column::Error, Expr::value(Option::<String>::None))
        .filter(event::Column::Id.eq(id))
        .filter(event::Column::Status.eq(EventStatus::Pending.code()))
        .filter(event::Column::LeaseOwner.eq(settings.instance.clone()))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        // Taken over by another process meanwhile: leave it to that one.
        return Ok(false);
    }
    let ev = crate::db::unique(&txn, event::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::Internal("webhook event vanished".to_owned()))?;
    let channel_id = ev
        .channel_id
        .ok_or_else(|| AppError::Internal("webhook event without channel".to_owned()))?;
    let kind = ev.platform.connector().ok_or_else(|| {
        AppError::Internal(format!(
            "webhook event of platform {} without a connector",
            ev.platform
        ))
    })?;
    marketplaces::of(kind)
        .apply_push(&txn, &ev, channel_id)
        .await?;
    txn.commit().await?;
    Ok(true)
}

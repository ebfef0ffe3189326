//! Dated status history, shared by certifications and channel verifications: every move is a
//! `status_event` with the day it takes effect, so the status on any past day can be read back
//! (`status on D` = the last move effective on or before D).

use chrono::NaiveDate;
use entity::status_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::AppResult;
use crate::{clock, ids};

/// One move, as shown in a record's `history`.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct StatusEventView {
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
    /// The day the move takes effect.
    pub effective_on: NaiveDate,
    /// Who made the move.
    pub by: String,
    /// When it was recorded.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<status_event::Model> for StatusEventView {
    fn from(e: status_event::Model) -> Self {
        StatusEventView {
            from: e.from_status,
            to: e.to_status,
            reason: e.reason,
            effective_on: e.effective_on,
            by: e.actor_name,
            at: e.at,
        }
    }
}

/// A record's moves, in order.
pub async fn history(
    db: &impl ConnectionTrait,
    entity: &str,
    id: Uuid,
) -> AppResult<Vec<status_event::Model>> {
    Ok(status_event::Entity::find()
        .filter(status_event::Column::Entity.eq(entity))
        .filter(status_event::Column::EntityId.eq(id))
        .order_by_asc(status_event::Column::Seq)
        .all(db)
        .await?)
}

/// The histories of many records of one entity (one query), in order.
pub async fn histories(
    db: &impl ConnectionTrait,
    entity: &str,
    ids: &[Uuid],
    known: crate::history::Known,
) -> AppResult<std::collections::HashMap<Uuid, Vec<status_event::Model>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<status_event::Model>> = Default::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut events = status_event::Entity::find();
    if let Some(t) = known.0 {
        events = events.filter(status_event::Column::At.lte(t));
    }
    for e in events
        .filter(status_event::Column::Entity.eq(entity))
        .filter(status_event::Column::EntityId.is_in(ids.to_vec()))
        .order_by_asc(status_event::Column::Seq)
        .all(db)
        .await?
    {
        out.entry(e.entity_id).or_default().push(e);
    }
    Ok(out)
}

/// A move to record.
#[derive(Debug)]
pub struct Move<'a> {
    pub entity: &'static str,
    pub id: Uuid,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub reason: Option<String>,
    pub effective_on: NaiveDate,
}

/// Appends a move after the record's last one (call inside the write's transaction).
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, mv: Move<'_>) -> AppResult<()> {
    let last = status_event::Entity::find()
        .filter(status_event::Column::Entity.eq(mv.entity))
        .filter(status_event::Column::EntityId.eq(mv.id))
        .order_by_desc(status_event::Column::Seq)
        .one(db)
        .await?;
    status_event::ActiveModel {
        id: Set(ids::new_id()),
        entity: Set(mv.entity.to_owned()),
        entity_id: Set(mv.id),
        seq: Set(last.map_or(1, |l| l.seq + 1)),
        from_status: Set(mv.from.map(str::to_owned)),
        to_status: Set(mv.to.to_owned()),
        reason: Set(mv.reason),
        effective_on: Set(mv.effective_on),
        actor_id: Set(actor.id()),
        actor_name: Set(actor.name.clone()),
        at: Set(clock::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The day of the record's last move, before which a new move may not take effect.
pub fn last_effective(history: &[status_event::Model]) -> Option<NaiveDate> {
    last_effective_but(history, None)
}

/// [`last_effective`], leaving out the moves to `unbounding` (a certificate's submission is
/// dated when the registry received it, domain.md §8, and does not stop an auditor from dating
/// a decision earlier, which the audit trail and the recorded times show as back-dated).
pub fn last_effective_but(
    history: &[status_event::Model],
    unbounding: Option<&str>,
) -> Option<NaiveDate> {
    history
        .iter()
        .filter(|e| Some(e.to_status.as_str()) != unbounding)
        .map(|e| e.effective_on)
        .max()
}

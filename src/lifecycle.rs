//! Dated status history, shared by certifications, raw-material areas and channel
//! verifications: every move is a
//! `status_event` with the day it takes effect, so the status on any past day can be read back
//! (`status on D` = the last move effective on or before D).

use chrono::NaiveDate;
use entity::enums::{Tracked, TrackedStatus};
use entity::status_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::Actor;
use crate::domain::{CertStatus, Role};
use crate::error::{AppError, AppResult};
use crate::validate as v;
use crate::{clock, ids, msg};

/// One move, as shown in a record's `history`.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct StatusEventView {
    pub from: Option<TrackedStatus>,
    pub to: TrackedStatus,
    pub reason: Option<String>,
    /// The day the move takes effect.
    pub effective_on: NaiveDate,
    /// Who made the move.
    pub by: String,
    /// When it was recorded.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The uploaded document the move rests on (`GET /api/v1/documents/{id}`).
    pub document_id: Option<Uuid>,
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
            document_id: e.document_id,
        }
    }
}

/// A record's moves, in order.
pub async fn history(
    db: &impl ConnectionTrait,
    entity: Tracked,
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
    entity: Tracked,
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
pub struct Move {
    pub entity: Tracked,
    pub id: Uuid,
    pub from: Option<TrackedStatus>,
    pub to: TrackedStatus,
    pub reason: Option<String>,
    pub effective_on: NaiveDate,
    pub document_id: Option<Uuid>,
}

impl Move {
    /// An owner's edit of what an auditor vouches for (docs/domain.md §7): the record goes back
    /// from `from` to `to`, to be verified again, from `effective_on`.
    pub fn owner_edit(
        entity: Tracked,
        id: Uuid,
        from: TrackedStatus,
        to: TrackedStatus,
        effective_on: NaiveDate,
    ) -> Self {
        Self {
            entity,
            id,
            from: Some(from),
            to,
            reason: Some("edited by the owner: needs verification again".to_owned()),
            effective_on,
            document_id: None,
        }
    }
}

/// Appends a move after the record's last one (call inside the write's transaction).
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, mv: Move) -> AppResult<()> {
    let last = status_event::Entity::find()
        .filter(status_event::Column::Entity.eq(mv.entity))
        .filter(status_event::Column::EntityId.eq(mv.id))
        .order_by_desc(status_event::Column::Seq)
        .one(db)
        .await?;
    status_event::ActiveModel {
        id: Set(ids::new_id()),
        entity: Set(mv.entity),
        entity_id: Set(mv.id),
        seq: Set(last.map_or(1, |l| l.seq + 1)),
        from_status: Set(mv.from),
        to_status: Set(mv.to),
        reason: Set(mv.reason),
        effective_on: Set(mv.effective_on),
        actor_id: Set(actor.id()),
        actor_name: Set(actor.name.clone()),
        at: Set(clock::now()),
        document_id: Set(mv.document_id),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What the latest verification of a record vouched for (docs/domain.md §7): the record's key
/// fields as the registry held them when the verification was recorded. The indicators read
/// these, not the live values.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct VerifiedVersion {
    /// Who verified.
    pub verified_by: String,
    /// The day the verification took effect.
    pub verified_on: NaiveDate,
    /// When it was recorded.
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The key fields as verified, named and written as in the record itself.
    #[schema(value_type = Object)]
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// The latest move to `status` in each history, with the version of the record that move saw.
pub async fn latest_vouched<E>(
    db: &impl ConnectionTrait,
    histories: &std::collections::HashMap<Uuid, Vec<status_event::Model>>,
    status: TrackedStatus,
) -> AppResult<std::collections::HashMap<Uuid, (status_event::Model, E::Model)>>
where
    E: EntityTrait + Default,
    E::Model: sea_orm::FromQueryResult + Clone,
{
    let latest: Vec<(Uuid, &status_event::Model)> = histories
        .iter()
        .filter_map(|(id, h)| {
            h.iter()
                .rev()
                .find(|e| e.to_status == status)
                .map(|e| (*id, e))
        })
        .collect();
    if latest.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<Uuid> = latest.iter().map(|(id, _)| *id).collect();
    let versions = crate::history::Versions::<E::Model>::load::<E>(db, &ids).await?;
    Ok(latest
        .into_iter()
        .filter_map(|(id, e)| {
            versions
                .seen_at(id, e.at)
                .map(|m| (id, (e.clone(), m.clone())))
        })
        .collect())
}

/// The verified version of a record from its view as verified (`seen`), and the key fields
/// whose live value (`live`) differs from it: the changes waiting for an auditor.
pub fn vouched<V: Serialize>(
    live: &V,
    seen: &V,
    event: &status_event::Model,
    keys: &[&str],
) -> (VerifiedVersion, Vec<String>) {
    let (live, seen) = (
        serde_json::to_value(live).unwrap_or_default(),
        serde_json::to_value(seen).unwrap_or_default(),
    );
    let mut values = serde_json::Map::new();
    let mut pending = Vec::new();
    for k in keys {
        let v = seen.get(*k).cloned().unwrap_or_default();
        if live.get(*k).cloned().unwrap_or_default() != v {
            pending.push((*k).to_owned());
        }
        values.insert((*k).to_owned(), v);
    }
    (
        VerifiedVersion {
            verified_by: event.actor_name.clone(),
            verified_on: event.effective_on,
            recorded_at: event.at,
            values,
        },
        pending,
    )
}

/// `POST /api/v1/{certifications|areas}/{id}/transitions`: an auditor's move.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "transition_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// `verified`, `rejected`, `suspended` or `revoked`.
    pub to: CertStatus,
    #[validate(custom(function = "v::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
    /// The day the move takes effect (not in the future, not before the previous move nor the
    /// record's submission).
    #[validate(custom(function = "v::not_future"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub effective_on: NaiveDate,
    /// An uploaded document of the record's subject that the move rests on (an inspection
    /// report, the contract seen).
    pub evidence_document_id: Option<Uuid>,
    /// Why a record with `warnings` is verified all the same (required then: an area whose
    /// declared hectares stray from its polygons'); kept with the move's reason.
    #[serde(default)]
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::reason)]
    pub warning_reason: Option<String>,
}

fn transition_rules(t: &TransitionInput) -> Result<(), ValidationError> {
    if t.to == CertStatus::Submitted {
        return Err(v::err(
            "to",
            "must be verified, rejected, suspended or revoked (submitted is reached by an owner's edit)",
        ));
    }
    Ok(())
}

/// Records an auditor's move of record `id` of `entity` (of `subject_id`) from status `from`
/// (administrators; auditors in scope — the caller has checked the record is theirs). An
/// illegal move is a conflict (409); a move dated before the previous decision is invalid (422).
pub async fn transition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    (entity, id, subject_id): (Tracked, Uuid, Uuid),
    from: CertStatus,
    input: &TransitionInput,
) -> AppResult<()> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    if !from.can_move_to(input.to) {
        return Err(AppError::Conflict(msg!(
            "conflict-status-move",
            from = from.code(),
            to = input.to.code()
        )));
    }
    let history = history(txn, entity, id).await?;
    if let Some(last) = last_effective(&history)
        && input.effective_on < last
    {
        return Err(AppError::invalid(
            "effective_on",
            msg!("field-not-before-previous-move", last = last),
        ));
    }
    let document_id =
        crate::documents::service::evidence_id(txn, subject_id, input.evidence_document_id).await?;
    record(
        txn,
        actor,
        Move {
            entity,
            id,
            from: Some(from.into()),
            to: input.to.into(),
            reason: Some(input.reason.trim().to_owned()),
            effective_on: input.effective_on,
            document_id,
        },
    )
    .await
}

/// Records a new record's first move: its submission (`submitted`, `declared`) on the day the
/// registry received it ([`submitted_on`]). No decision on it may be dated before.
pub async fn first_move(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    (entity, id): (Tracked, Uuid),
    to: TrackedStatus,
    on: NaiveDate,
) -> AppResult<()> {
    record(
        txn,
        actor,
        Move {
            entity,
            id,
            from: None,
            to,
            reason: Some(to.code().to_owned()),
            effective_on: on,
            document_id: None,
        },
    )
    .await
}

/// The day a new record's submission takes effect: today, or for department staff entering a
/// dossier received earlier, the day they say (an owner cannot date its own submission back).
pub fn submitted_on(actor: &Actor, given: Option<NaiveDate>) -> AppResult<NaiveDate> {
    match given {
        Some(_) if actor.role == Role::Owner => Err(AppError::invalid(
            "submitted_on",
            "only the department dates a submission received earlier",
        )),
        Some(d) => Ok(d),
        None => Ok(clock::today()),
    }
}

/// The day of the record's last move, before which a new move may not take effect.
pub fn last_effective(history: &[status_event::Model]) -> Option<NaiveDate> {
    last_effective_but(history, None)
}

/// [`last_effective`], leaving out the moves to `unbounding` (a certificate's submission is
/// dated when the registry received it, docs/domain.md §8, and does not stop an auditor from dating
/// a decision earlier, which the audit trail and the recorded times show as back-dated).
pub fn last_effective_but(
    history: &[status_event::Model],
    unbounding: Option<TrackedStatus>,
) -> Option<NaiveDate> {
    history
        .iter()
        .filter(|e| Some(e.to_status) != unbounding)
        .map(|e| e.effective_on)
        .max()
}

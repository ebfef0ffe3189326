//! Where a subject is: the commune of record, and its dated relocations (docs/domain.md §8).

use chrono::NaiveDate;
use entity::{subject, subject_relocation as relocation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use super::dto::{LocationView, SubjectView};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::{clock, ids, units};

/// The location history of a subject that never moved: its registration.
pub(super) fn with_registration(mut v: SubjectView, s: &subject::Model) -> SubjectView {
    v.location_history = Some(vec![LocationView {
        commune: v.commune.clone(),
        commune_id: s.commune_id,
        effective_on: None,
        recorded_at: s.created_at,
        recorded_by: None,
    }]);
    v
}

/// A subject's relocations, in the order they take effect (ties: the order recorded).
pub(super) async fn relocations(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
) -> AppResult<Vec<relocation::Model>> {
    Ok(relocation::Entity::find()
        .filter(relocation::Column::SubjectId.eq(subject_id))
        .order_by_asc(relocation::Column::EffectiveOn)
        .order_by_asc(relocation::Column::Seq)
        .all(db)
        .await?)
}

/// The subject's commune on day `d` given its relocations in effective order (the same rule as
/// the indicator engine's `loc`).
pub(super) fn commune_on(current: Uuid, moves: &[relocation::Model], d: NaiveDate) -> Uuid {
    match moves.iter().rev().find(|m| m.effective_on <= d) {
        Some(m) => m.to_commune_id,
        None => moves.first().map_or(current, |m| m.from_commune_id),
    }
}

/// The view with the subject's location history.
pub(super) async fn with_history(
    db: &impl ConnectionTrait,
    mut v: SubjectView,
    s: &subject::Model,
) -> AppResult<SubjectView> {
    let moves = relocations(db, s.id).await?;
    let registered = moves.first().map_or(s.commune_id, |m| m.from_commune_id);
    // The current commune is already in the view: only the others are read (none for a
    // subject that never moved, the common case on the hot read path).
    let mut ids: Vec<Uuid> = moves.iter().map(|m| m.to_commune_id).collect();
    ids.push(registered);
    ids.retain(|id| *id != v.commune_id || v.commune.is_none());
    let mut refs = units::service::refs(db, &ids).await?;
    if let Some(current) = &v.commune {
        refs.insert(v.commune_id, current.clone());
    }
    let mut history = vec![LocationView {
        commune: refs.get(&registered).cloned(),
        commune_id: registered,
        effective_on: None,
        recorded_at: s.created_at,
        recorded_by: None,
    }];
    history.extend(moves.into_iter().map(|m| LocationView {
        commune: refs.get(&m.to_commune_id).cloned(),
        commune_id: m.to_commune_id,
        effective_on: Some(m.effective_on),
        recorded_at: m.recorded_at,
        recorded_by: Some(m.recorded_by),
    }));
    v.location_history = Some(history);
    Ok(v)
}

/// Moves subject `current` to commune `to` from day `on`: the relocation to record, and the
/// commune of record after it — where the latest move in effective order takes the subject,
/// which is not `to` when the move is back-dated before another.
pub(super) async fn relocate(
    db: &impl ConnectionTrait,
    actor: &Actor,
    current: &subject::Model,
    to: Uuid,
    on: NaiveDate,
) -> AppResult<(relocation::Model, Uuid)> {
    let mut moves = relocations(db, current.id).await?;
    let from = commune_on(current.commune_id, &moves, on.pred_opt().unwrap_or(on));
    let row = relocation::Model {
        id: ids::new_id(),
        subject_id: current.id,
        seq: i32::try_from(moves.len()).unwrap_or(i32::MAX - 1) + 1,
        from_commune_id: from,
        to_commune_id: to,
        effective_on: on,
        recorded_at: clock::now(),
        recorded_by: actor.name.clone(),
        reason: None,
    };
    moves.push(row.clone());
    moves.sort_by_key(|m| (m.effective_on, m.seq));
    let of_record = moves.last().map_or(to, |m| m.to_commune_id);
    Ok((row, of_record))
}

/// Writes relocation `r` and its audit entry.
pub(super) async fn record_relocation(
    db: &impl ConnectionTrait,
    actor: &Actor,
    r: relocation::Model,
) -> AppResult<()> {
    let r = r.into_active_model().reset_all().insert(db).await?;
    audit::record(
        db,
        actor,
        Change::created(
            "subject_relocation",
            r.id,
            Some(r.subject_id),
            &serde_json::json!({
                "from_commune_id": r.from_commune_id,
                "to_commune_id": r.to_commune_id,
                "effective_on": r.effective_on,
                "seq": r.seq,
            }),
        ),
    )
    .await
}

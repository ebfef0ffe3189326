//! An auditor's decision on a raw-material area: its moves along the certification lifecycle,
//! and the reason a verification of an area flagged by its own geometry must give.

use entity::raw_material_area as area;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::dto::AreaView;
use super::service::{TRACKED, view};
use crate::audit::{self, Change};
use crate::auth::{Actor, owned};
use crate::db::{begin_write, save_version};
use crate::domain::{CertStatus, Role};
use crate::error::{AppError, AppResult};
use crate::lifecycle::{self, TransitionInput};
use crate::msg;
use crate::version::ExpectedVersion;

/// A verification of a flagged area must say why the flag does not stand; the reason is kept
/// with the move's.
fn warned(area: &AreaView, mut input: TransitionInput) -> AppResult<TransitionInput> {
    if input.to != CertStatus::Verified || area.warnings.is_empty() {
        return Ok(input);
    }
    // A reason says something: blanks and invisible characters alone are none.
    let said = |w: &String| w.chars().any(char::is_alphanumeric);
    let Some(why) = input.warning_reason.take().filter(said) else {
        let w = &area.warnings[0];
        return Err(AppError::invalid(
            "warning_reason",
            msg!(
                "area-warning-needs-reason",
                declared = w.declared_ha,
                percent = w.difference_percent,
                measured = w.geometry_area_ha
            ),
        ));
    };
    input.reason = format!("{} — {}", input.reason.trim(), why.trim());
    Ok(input)
}

/// Moves an area along the certification lifecycle (administrators; auditors in scope).
pub async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: TransitionInput,
) -> AppResult<AreaView> {
    let txn = begin_write(db).await?;
    let current: area::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    let from: CertStatus = current.status;
    let before = view(&txn, current.clone()).await?;
    let input = warned(&before, input)?;
    lifecycle::transition(&txn, actor, (TRACKED, id, current.subject_id), from, &input).await?;
    let mut next = current.clone();
    next.status = input.to;
    let after = view(&txn, save_version(&txn, next).await?).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "transition",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

//! An auditor's decision on a channel: verified (from a day, with what was seen) or rejected
//! (with the reason the owner reads).

use entity::sales_channel as channel;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::dto::{ChannelView, RejectChannel, VerifyChannel};
use super::service::{TRACKED, view};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::owned;
use crate::db::{begin_write, save_version};
use crate::domain::{Role, VerificationStatus};
use crate::error::{AppError, AppResult};
use crate::lifecycle::{self, Move};
use crate::msg;
use crate::version::ExpectedVersion;

/// Records an auditor's verification of a channel (administrators; auditors in scope).
pub async fn verify(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: VerifyChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let current: channel::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    if current.verification_status == VerificationStatus::Verified {
        return Err(AppError::Conflict(msg!(
            "conflict-channel-verified",
            on = current
                .verified_on
                .map_or_else(|| "?".to_owned(), |d| d.to_string())
        )));
    }
    if let Some(from) = current.active_from
        && input.verified_on < from
    {
        return Err(AppError::invalid(
            "verified_on",
            msg!("field-not-before-channel-active", from = from),
        ));
    }
    let history = lifecycle::history(&txn, TRACKED, id).await?;
    if let Some(last) = lifecycle::last_effective(&history)
        && input.verified_on < last
    {
        return Err(AppError::invalid(
            "verified_on",
            msg!("field-not-before-previous-verification", last = last),
        ));
    }
    let before = view(&txn, current.clone()).await?;
    let note = input
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    lifecycle::record(
        &txn,
        actor,
        Move {
            entity: TRACKED,
            id,
            from: Some(current.verification_status.into()),
            to: VerificationStatus::Verified.into(),
            reason: note.clone(),
            effective_on: input.verified_on,
            document_id: None,
        },
    )
    .await?;
    let mut next = current.clone();
    next.verification_status = VerificationStatus::Verified;
    next.verified_on = Some(input.verified_on);
    next.verified_by = Some(actor.name.clone());
    next.verification_note = note;
    let after = view(&txn, save_version(&txn, next).await?).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "verify",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Refuses a declared channel, or withdraws a verified one (administrators; auditors in scope),
/// with a reason and the day it takes effect: it leaves the queue until its owner changes what
/// it declares or sends new evidence.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: RejectChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let current: channel::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    let from: VerificationStatus = current.verification_status;
    // A declared channel refused, or a verified one withdrawn (the shop turned out not to be
    // the subject's, or not to sell its products).
    if !matches!(
        from,
        VerificationStatus::Declared | VerificationStatus::Verified
    ) {
        return Err(AppError::Conflict(msg!(
            "conflict-status-move",
            from = from.code(),
            to = VerificationStatus::Rejected.code()
        )));
    }
    let history = lifecycle::history(&txn, TRACKED, id).await?;
    if let Some(last) = lifecycle::last_effective(&history)
        && input.effective_on < last
    {
        return Err(AppError::invalid(
            "effective_on",
            msg!("field-not-before-previous-move", last = last),
        ));
    }
    let before = view(&txn, current.clone()).await?;
    lifecycle::record(
        &txn,
        actor,
        Move {
            entity: TRACKED,
            id,
            from: Some(from.into()),
            to: VerificationStatus::Rejected.into(),
            reason: Some(input.reason.trim().to_owned()),
            effective_on: input.effective_on,
            document_id: None,
        },
    )
    .await?;
    let mut next = current.clone();
    next.verification_status = VerificationStatus::Rejected;
    next.verified_on = None;
    next.verified_by = None;
    next.verification_note = None;
    let after = view(&txn, save_version(&txn, next).await?).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "reject",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

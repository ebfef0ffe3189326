//! Channel rules and queries: registering, listing and editing a subject's sales channels.

use entity::sales_channel as channel;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{ChannelView, CreateChannel, UpdateChannel, needs_shop};
use super::shops::{
    ensure_connection_kept, ensure_shop_free, normalise_platform, shop_key, url_key,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::{ChannelKind, Role, TrackedStatus, VerificationStatus};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::lifecycle::{self, Move, StatusEventView};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::version::ExpectedVersion;
use crate::{clock, documents, ids};

/// The entity name in the audit trail and the status history.
pub(super) const TRACKED: entity::enums::Tracked = entity::enums::Tracked::Channel;

pub(super) async fn view(db: &impl ConnectionTrait, m: channel::Model) -> AppResult<ChannelView> {
    Ok(views(db, vec![m]).await?.remove(0))
}

fn check(m: &channel::Model) -> AppResult<()> {
    let mut fields = FieldErrors::new();
    let kind: ChannelKind = m.kind;
    if let (Some(from), Some(to)) = (m.active_from, m.active_to)
        && to < from
    {
        fields.insert(
            "active_to".to_owned(),
            vec!["must not be before active_from".into()],
        );
    }
    if needs_shop(kind) && m.shop_url.is_none() && m.shop_id.is_none() {
        fields.insert(
            "shop_url".to_owned(),
            vec![
                "a marketplace, social-commerce or web-shop channel needs a shop_url or shop_id"
                    .into(),
            ],
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(fields))
    }
}

/// Declares a channel (administrators, auditors in scope, the owner).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (an imported list).
pub async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateChannel,
) -> AppResult<ChannelView> {
    visible(txn, actor, subject_id).await?;
    let submitted = lifecycle::submitted_on(actor, input.submitted_on)?;
    let now = clock::now();
    let platform = normalise_platform(&input.platform);
    let shop_url = input.shop_url.map(|u| u.trim().to_owned());
    let shop_id = input.shop_id.map(|s| s.trim().to_owned());
    let m = channel::Model {
        id: ids::new_id(),
        subject_id,
        kind: input.kind,
        shop_key: shop_key(platform.code(), shop_id.as_deref(), shop_url.as_deref()),
        shop_url_key: shop_url.as_deref().and_then(url_key),
        platform,
        shop_url,
        shop_id,
        active_from: input.active_from,
        active_to: input.active_to,
        evidence_url: input.evidence_url.map(|u| u.trim().to_owned()),
        verification_status: VerificationStatus::Declared,
        verified_on: None,
        verified_by: None,
        verification_note: None,
        last_observed_at: None,
        evidence_document_id: documents::service::evidence_id(
            txn,
            subject_id,
            input.evidence_document_id,
        )
        .await?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    check(&m)?;
    ensure_shop_free(txn, &m).await?;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    // The declaration is the first move: no decision on it can be dated before it.
    lifecycle::first_move(
        txn,
        actor,
        (TRACKED, row.id),
        VerificationStatus::Declared.into(),
        submitted,
    )
    .await?;
    let view = view(txn, row).await?;
    audit::record(
        txn,
        actor,
        Change::created(TRACKED.code(), view.id, Some(subject_id), &view),
    )
    .await?;
    Ok(view)
}

/// Records the shop id a marketplace gave for a channel declared by its address only (the
/// channel's own edit: its rules, its audit entry).
pub async fn set_shop_id(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    shop_id: &str,
) -> AppResult<ChannelView> {
    update(
        db,
        actor,
        id,
        ExpectedVersion(None),
        UpdateChannel {
            shop_id: Some(Some(shop_id.to_owned())),
            ..Default::default()
        },
    )
    .await
}

/// A subject's channels.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<ChannelView>> {
    visible(db, actor, subject_id).await?;
    let select = channel::Entity::find().filter(channel::Column::SubjectId.eq(subject_id));
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(channel::Column::CreatedAt)
            .order_by_asc(channel::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Channels of every subject the actor may see, in a verification state (the auditor's
/// queue: `declared`, oldest change first).
pub async fn list_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    verification: Option<VerificationStatus>,
    page: &PageParams,
) -> AppResult<Paginated<ChannelView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        channel::Entity::find().filter(channel::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(v) = verification {
        select = select.filter(channel::Column::VerificationStatus.eq(v.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(channel::Column::UpdatedAt)
            .order_by_asc(channel::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Views of rows, with their histories in one query.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<channel::Model>,
) -> AppResult<Vec<ChannelView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = lifecycle::histories(db, TRACKED, &ids, Default::default()).await?;
    let mut vouched = lifecycle::latest_vouched::<channel::Entity>(
        db,
        &histories,
        VerificationStatus::Verified.into(),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let h = histories
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(StatusEventView::from)
                .collect();
            let seen = vouched.remove(&r.id);
            let mut view = ChannelView::build(r, h)?;
            if let Some((event, seen)) = seen {
                let seen = ChannelView::build(seen, Vec::new())?;
                let (v, pending) =
                    lifecycle::vouched(&view, &seen, &event, &super::dto::KEY_FIELDS);
                view.verified_version = Some(v);
                view.pending_changes = pending;
            }
            Ok(view)
        })
        .collect()
}

/// One channel.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<ChannelView> {
    let c = owned::<channel::Model>(db, actor, id, false).await?;
    view(db, c).await
}

/// Edits a channel. An owner's change of kind, platform or shop withdraws a verification: what
/// the auditor verified is no longer what is registered.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction (an imported list).
pub async fn update_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateChannel,
) -> AppResult<ChannelView> {
    let current: channel::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = view(txn, current.clone()).await?;
    let mut next = edited(txn, &current, input).await?;
    check(&next)?;
    if next == current {
        return Ok(before);
    }
    ensure_shop_free(txn, &next).await?;
    ensure_connection_kept(txn, &current, &next).await?;
    // An owner's change of what it declares is a new declaration, dated: no verification may
    // predate it, whatever the channel's state (a verified one loses its verification). New
    // evidence for a refused channel is one too (the usual answer to a refusal); taking
    // evidence away is not.
    let status: VerificationStatus = current.verification_status;
    let new_evidence = (next.evidence_url.is_some() && next.evidence_url != current.evidence_url)
        || (next.evidence_document_id.is_some()
            && next.evidence_document_id != current.evidence_document_id);
    if actor.role == Role::Owner
        && (key_changed(&current, &next)
            || (new_evidence && status == VerificationStatus::Rejected))
    {
        let effective_on = declared_again_on(txn, id).await?;
        let to = VerificationStatus::Declared.into();
        let mv = Move::owner_edit(TRACKED, id, status.into(), to, effective_on);
        lifecycle::record(txn, actor, mv).await?;
        next.verification_status = VerificationStatus::Declared;
        next.verified_on = None;
        next.verified_by = None;
        next.verification_note = None;
    }
    let after = view(txn, save_version(txn, next).await?).await?;
    audit::record(
        txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "update",
            &before,
            &after,
        ),
    )
    .await?;
    Ok(after)
}

/// Channel `current` with the input's changes, and its shop keys.
async fn edited(
    txn: &sea_orm::DatabaseTransaction,
    current: &channel::Model,
    input: UpdateChannel,
) -> AppResult<channel::Model> {
    let mut next = current.clone();
    if let Some(k) = input.kind {
        next.kind = k;
    }
    if let Some(p) = input.platform.as_deref() {
        next.platform = normalise_platform(p);
    }
    if let Some(u) = input.shop_url {
        next.shop_url = u.map(|u| u.trim().to_owned());
    }
    if let Some(s) = input.shop_id {
        next.shop_id = s.map(|s| s.trim().to_owned());
    }
    if let Some(f) = input.active_from {
        next.active_from = f;
    }
    if let Some(t) = input.active_to {
        next.active_to = t;
    }
    if let Some(e) = input.evidence_url {
        next.evidence_url = e.map(|e| e.trim().to_owned());
    }
    if let Some(d) = input.evidence_document_id {
        next.evidence_document_id =
            documents::service::evidence_id(txn, current.subject_id, d).await?;
    }
    next.shop_key = shop_key(
        next.platform.code(),
        next.shop_id.as_deref(),
        next.shop_url.as_deref(),
    );
    next.shop_url_key = next.shop_url.as_deref().and_then(url_key);
    Ok(next)
}

/// Whether `next` declares another channel than the one a verification of `current` saw.
/// A verification evidences this shop over this period: another shop, or a longer period (an
/// earlier start, a later or no end), is not what the auditor saw. Narrowing is not.
fn key_changed(current: &channel::Model, next: &channel::Model) -> bool {
    let earlier_start = next.active_from != current.active_from
        && next
            .active_from
            .is_none_or(|f| current.active_from.is_some_and(|c| f < c));
    let later_end = next.active_to != current.active_to
        && next
            .active_to
            .is_none_or(|t| current.active_to.is_some_and(|c| t > c));
    next.kind != current.kind
        || next.platform != current.platform
        || next.shop_url != current.shop_url
        || next.shop_id != current.shop_id
        || earlier_start
        || later_end
}

/// The day an owner's new declaration of channel `id` takes effect: today, but never before a
/// move already recorded, and a refusal holds for the day it takes effect (declared again from
/// the next day).
async fn declared_again_on(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
) -> AppResult<chrono::NaiveDate> {
    let history = lifecycle::history(txn, TRACKED, id).await?;
    let floor = history
        .iter()
        .map(|e| {
            if e.to_status == TrackedStatus::Rejected {
                e.effective_on.succ_opt().unwrap_or(e.effective_on)
            } else {
                e.effective_on
            }
        })
        .max();
    Ok(floor.map_or(clock::today(), |f| f.max(clock::today())))
}

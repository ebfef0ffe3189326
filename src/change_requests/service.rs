//! Filing, listing and deciding change requests.

use entity::change_request as request;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{
    ChangeRequestQuery, ChangeRequestView, CreateChangeRequest, DecideChangeRequest, Decision,
    RequestStatus,
};
use crate::audit::{self, Change};
use crate::auth::{Actor, Scope, visible};
use crate::db::{begin_write, find, save};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::subjects::dto::UpdateSubject;
use crate::version::ExpectedVersion;
use crate::{clock, ids, subjects};

const ENTITY: &str = "change_request";

/// An owner files a request for its own subject (201 pending). The department changes identity
/// fields directly, with an effective date, so it files none.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateChangeRequest,
) -> AppResult<ChangeRequestView> {
    let txn = begin_write(db).await?;
    visible(&txn, actor, subject_id).await?;
    actor.require(&[Role::Owner])?;
    let changes = serde_json::to_string(&input.changes)
        .map_err(|e| AppError::Internal(format!("change request serialisation: {e}")))?;
    let row = request::Model {
        id: ids::new_id(),
        subject_id,
        changes,
        effective_on: input.effective_on,
        reason: input.reason.trim().to_owned(),
        status: RequestStatus::Pending,
        requested_by: actor.name.clone(),
        requested_at: clock::now(),
        decided_by: None,
        decided_at: None,
        decision_reason: None,
        version: 1,
    }
    .into_active_model()
    .reset_all()
    .insert(&txn)
    .await?;
    let view = ChangeRequestView::build(row)?;
    audit::record(
        &txn,
        actor,
        Change::created(ENTITY, view.id, Some(subject_id), &view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// Requests the actor may see, newest first: an owner its subject's, an auditor those of
/// subjects in its unit, an administrator all.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &ChangeRequestQuery,
    page: &PageParams,
) -> AppResult<Paginated<ChangeRequestView>> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let scope = Scope::of(db, actor).await?;
    let mut cond = Condition::all();
    if !matches!(scope, Scope::All) {
        cond = cond.add(request::Column::SubjectId.in_subquery(scope.subject_ids()));
    }
    if let Some(s) = q.status {
        cond = cond.add(request::Column::Status.eq(s.code()));
    }
    if let Some(s) = q.subject_id {
        cond = cond.add(request::Column::SubjectId.eq(s));
    }
    let select = request::Entity::find()
        .filter(cond)
        .order_by_desc(request::Column::RequestedAt)
        .order_by_desc(request::Column::Id);
    let (rows, total) = fetch(db, select, page).await?;
    let items = rows
        .into_iter()
        .map(ChangeRequestView::build)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// An auditor of the subject's unit or an administrator decides a pending request. Approval
/// applies the changes as of the request's effective date, with the same rules as a direct
/// edit (tax-code checks, a dated relocation), in the same transaction as the decision.
pub async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: DecideChangeRequest,
) -> AppResult<ChangeRequestView> {
    let txn = begin_write(db).await?;
    let current: request::Model = find::<request::Entity>(&txn, "change request", id, true).await?;
    visible(&txn, actor, current.subject_id).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if current.status != RequestStatus::Pending {
        return Err(AppError::Conflict(msg!(
            "conflict-request-decided",
            status = current.status
        )));
    }
    let before = ChangeRequestView::build(current.clone())?;
    if input.decision == Decision::Approve {
        let changes: super::dto::IdentityChanges = serde_json::from_str(&current.changes)
            .map_err(|e| AppError::Internal(format!("stored change request unreadable: {e}")))?;
        let edit = UpdateSubject {
            name: changes.name,
            legal_form: changes.legal_form,
            tax_code: changes.tax_code,
            commune_id: changes.commune_id,
            effective_on: Some(current.effective_on),
            ..UpdateSubject::default()
        };
        subjects::update::update_in(&txn, actor, current.subject_id, ExpectedVersion(None), edit)
            .await?;
    }
    let mut next = current.clone();
    next.status = match input.decision {
        Decision::Approve => RequestStatus::Approved,
        Decision::Reject => RequestStatus::Rejected,
    };
    next.decided_by = Some(actor.name.clone());
    next.decided_at = Some(clock::now());
    next.decision_reason = Some(input.reason.trim().to_owned());
    next.version += 1;
    let after = ChangeRequestView::build(save(&txn, next).await?)?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            ENTITY,
            id,
            Some(current.subject_id),
            input.decision.code(),
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

//! Certification rules, lifecycle and queries.

use std::collections::HashMap;

use entity::{certification as cert, certification_scheme as scheme, product, raw_material_area};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{
    CertificationView, CreateCertification, KEY_FIELDS, TransitionInput, UpdateCertification,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::{CertStatus, Role};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::lifecycle::{self, Move, StatusEventView};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::clean;
use crate::version::ExpectedVersion;
use crate::{clock, documents, ids, schemes};

/// The entity name in the audit trail and the status history.
const TRACKED: entity::enums::Tracked = entity::enums::Tracked::Certification;

/// The view of one certification (fetches scheme, history and verified version).
async fn view(db: &impl ConnectionTrait, m: cert::Model) -> AppResult<CertificationView> {
    Ok(views(db, vec![m]).await?.remove(0))
}

/// Checks that the scope names records of the certification's own subject. Another subject's
/// product or area is refused exactly like one that does not exist.
async fn check_scope(db: &impl ConnectionTrait, m: &cert::Model) -> AppResult<()> {
    let mut fields = FieldErrors::new();
    if let Some(p) = m.product_id {
        let found = crate::db::unique(db, product::Entity::find_by_id(p)).await?;
        if found.is_none_or(|p| p.subject_id != m.subject_id) {
            fields.insert(
                "product_id".to_owned(),
                vec!["must be one of the subject's own products".into()],
            );
        }
    }
    if let Some(a) = m.area_id {
        let found = crate::db::unique(db, raw_material_area::Entity::find_by_id(a)).await?;
        if found.is_none_or(|a| a.subject_id != m.subject_id) {
            fields.insert(
                "area_id".to_owned(),
                vec!["must be one of the subject's own raw-material areas".into()],
            );
        }
    }
    if m.expires_on <= m.issued_on {
        fields.insert(
            "expires_on".to_owned(),
            vec!["must be after issued_on".into()],
        );
    }
    // An uploaded document brings its own hash; a URL needs the hash of what it serves.
    if m.evidence_document_id.is_none() && m.evidence_url.is_some() != m.evidence_sha256.is_some() {
        fields.insert(
            "evidence_sha256".to_owned(),
            vec!["evidence_url and evidence_sha256 go together: give both or neither".into()],
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(fields))
    }
}

/// Makes an uploaded document the certificate's evidence: its hash is the one the registry
/// computed, and it replaces any URL.
async fn attach(
    db: &impl ConnectionTrait,
    m: &mut cert::Model,
    document_id: Uuid,
) -> AppResult<()> {
    let doc = crate::documents::service::evidence(db, m.subject_id, document_id).await?;
    m.evidence_document_id = Some(doc.id);
    m.evidence_sha256 = Some(doc.sha256);
    m.evidence_url = None;
    Ok(())
}

async fn ensure_number_free(db: &impl ConnectionTrait, m: &cert::Model) -> AppResult<()> {
    let dup = cert::Entity::find()
        .filter(cert::Column::SchemeId.eq(m.scheme_id))
        .filter(cert::Column::CertificateNo.eq(m.certificate_no.clone()))
        .filter(cert::Column::Id.ne(m.id))
        .one(db)
        .await?;
    if dup.is_some() {
        return Err(AppError::Conflict(msg!(
            "conflict-certificate-registered",
            certificate_no = m.certificate_no
        )));
    }
    Ok(())
}

/// Registers a certification as `submitted` (administrators, auditors in scope, the owner).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateCertification,
) -> AppResult<CertificationView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] with the certificate's scan as its evidence: the scan (checked by
/// [`documents::service::prepare`]) and the certification naming it are written together, or
/// neither is.
pub async fn create_with_scan(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateCertification,
    scan: entity::document::Model,
) -> AppResult<CertificationView> {
    let txn = begin_write(db).await?;
    let scan = documents::service::record_in(&txn, actor, scan).await?;
    let input = CreateCertification {
        evidence_document_id: Some(scan.id),
        ..input
    };
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (an imported list).
pub async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateCertification,
) -> AppResult<CertificationView> {
    visible(txn, actor, subject_id).await?;
    let submitted = lifecycle::submitted_on(actor, input.submitted_on)?;
    let s = schemes::service::by_code(txn, "scheme", &input.scheme).await?;
    let now = clock::now();
    let mut m = cert::Model {
        id: ids::new_id(),
        subject_id,
        scheme_id: s.id,
        certificate_no: clean(&input.certificate_no),
        issuer: clean(&input.issuer),
        issued_on: input.issued_on,
        expires_on: input.expires_on,
        evidence_url: input.evidence_url.map(|u| u.trim().to_owned()),
        evidence_sha256: input.evidence_sha256.map(|h| h.trim().to_lowercase()),
        evidence_document_id: None,
        product_id: input.product_id,
        area_id: input.area_id,
        status: CertStatus::Submitted,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if let Some(d) = input.evidence_document_id {
        attach(txn, &mut m, d).await?;
    }
    check_scope(txn, &m).await?;
    ensure_number_free(txn, &m).await?;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    // The certificate stands from its issue date; the registry's record of it starts there.
    // Submitted when the department received it, not when the certificate was issued.
    lifecycle::first_move(
        txn,
        actor,
        (TRACKED, row.id),
        CertStatus::Submitted.into(),
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

/// A subject's certifications, newest issue first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<CertificationView>> {
    visible(db, actor, subject_id).await?;
    let select = cert::Entity::find().filter(cert::Column::SubjectId.eq(subject_id));
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(cert::Column::IssuedOn)
            .order_by_asc(cert::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Certifications of every subject the actor may see, in a status (the auditor's queue:
/// `submitted`, oldest change first).
pub async fn list_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    status: Option<CertStatus>,
    page: &PageParams,
) -> AppResult<Paginated<CertificationView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        cert::Entity::find().filter(cert::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(s) = status {
        select = select.filter(cert::Column::Status.eq(s.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(cert::Column::UpdatedAt)
            .order_by_asc(cert::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Views of rows, with their schemes and histories in two queries.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<cert::Model>,
) -> AppResult<Vec<CertificationView>> {
    let schemes: HashMap<Uuid, scheme::Model> = scheme::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let scheme = |id: Uuid| {
        schemes
            .get(&id)
            .ok_or_else(|| AppError::Internal(format!("scheme {id} vanished")))
    };
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = lifecycle::histories(db, TRACKED, &ids, Default::default()).await?;
    let mut vouched =
        lifecycle::latest_vouched::<cert::Entity>(db, &histories, CertStatus::Verified.into())
            .await?;
    let today = clock::today();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let r_scheme = r.scheme_id;
        let h = histories
            .remove(&r.id)
            .unwrap_or_default()
            .into_iter()
            .map(StatusEventView::from)
            .collect();
        let seen = vouched.remove(&r.id);
        let mut view = CertificationView::build(r, scheme(r_scheme)?, h, today)?;
        if let Some((event, seen)) = seen {
            let seen_scheme = scheme(seen.scheme_id)?;
            let seen = CertificationView::build(seen, seen_scheme, Vec::new(), today)?;
            let (v, pending) = lifecycle::vouched(&view, &seen, &event, &KEY_FIELDS);
            view.verified_version = Some(v);
            view.pending_changes = pending;
        }
        items.push(view);
    }
    Ok(items)
}

/// One certification.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<CertificationView> {
    let c: cert::Model = owned(db, actor, id, false).await?;
    view(db, c).await
}

/// Edits a certification. An owner's change of a key field (scheme, number, dates, scope,
/// evidence) sends a certification that is not `submitted` back to `submitted`: what the auditor
/// verified is no longer what is registered. A revoked certification cannot be edited.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateCertification,
) -> AppResult<CertificationView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`], with a new scan as the evidence when one is given (written with the edit, or
/// not at all).
pub async fn update_with_scan(
    db: &DatabaseConnection,
    actor: &Actor,
    (id, if_match): (Uuid, ExpectedVersion),
    mut input: UpdateCertification,
    scan: Option<entity::document::Model>,
) -> AppResult<CertificationView> {
    let txn = begin_write(db).await?;
    if let Some(scan) = scan {
        let scan = documents::service::record_in(&txn, actor, scan).await?;
        input.evidence_document_id = Some(Some(scan.id));
    }
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction (an imported list).
///
/// A revoked record stays as it was revoked: an edit that changes nothing (a list imported
/// again) is answered with it, one that changes something is refused.
pub async fn update_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateCertification,
) -> AppResult<CertificationView> {
    let current: cert::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = view(txn, current.clone()).await?;
    let mut next = edited(txn, &current, input).await?;
    check_scope(txn, &next).await?;
    if next.scheme_id != current.scheme_id || next.certificate_no != current.certificate_no {
        ensure_number_free(txn, &next).await?;
    }
    if next == current {
        return Ok(before);
    }
    let status: CertStatus = current.status;
    if status == CertStatus::Revoked {
        return Err(AppError::Conflict(
            "a revoked certification cannot be edited; register a new one".into(),
        ));
    }
    if actor.role == Role::Owner && key_changed(&current, &next) && status != CertStatus::Submitted
    {
        next.status = CertStatus::Submitted;
        let to = CertStatus::Submitted.into();
        let mv = Move::owner_edit(TRACKED, id, status.into(), to, clock::today());
        lifecycle::record(txn, actor, mv).await?;
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

/// Certification `current` with the input's changes.
async fn edited(
    txn: &sea_orm::DatabaseTransaction,
    current: &cert::Model,
    input: UpdateCertification,
) -> AppResult<cert::Model> {
    let mut next = current.clone();
    if let Some(code) = input.scheme.as_deref() {
        next.scheme_id = schemes::service::by_code(txn, "scheme", code).await?.id;
    }
    if let Some(n) = input.certificate_no.as_deref() {
        next.certificate_no = clean(n);
    }
    if let Some(i) = input.issuer.as_deref() {
        next.issuer = clean(i);
    }
    if let Some(d) = input.issued_on {
        next.issued_on = d;
    }
    if let Some(d) = input.expires_on {
        next.expires_on = d;
    }
    if let Some(u) = input.evidence_url {
        next.evidence_url = u.map(|u| u.trim().to_owned());
    }
    if let Some(h) = input.evidence_sha256 {
        next.evidence_sha256 = h.map(|h| h.trim().to_lowercase());
    }
    match input.evidence_document_id {
        Some(Some(d)) => attach(txn, &mut next, d).await?,
        // Removing the document removes the hash it brought.
        Some(None) if next.evidence_document_id.is_some() => {
            next.evidence_document_id = None;
            next.evidence_sha256 = None;
        }
        _ => {}
    }
    if let Some(p) = input.product_id {
        next.product_id = p;
    }
    if let Some(a) = input.area_id {
        next.area_id = a;
    }
    Ok(next)
}

/// Whether `next` changes what an auditor's verification of `current` vouched for: everything
/// but the status.
fn key_changed(current: &cert::Model, next: &cert::Model) -> bool {
    next.scheme_id != current.scheme_id
        || next.certificate_no != current.certificate_no
        || next.issuer != current.issuer
        || next.issued_on != current.issued_on
        || next.expires_on != current.expires_on
        || next.product_id != current.product_id
        || next.area_id != current.area_id
        || next.evidence_url != current.evidence_url
        || next.evidence_sha256 != current.evidence_sha256
        || next.evidence_document_id != current.evidence_document_id
}

/// Moves a certification along its lifecycle (administrators; auditors in scope). An illegal
/// move is a conflict (409); a move dated before the previous one is invalid (422).
pub async fn transition(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: TransitionInput,
) -> AppResult<CertificationView> {
    let txn = begin_write(db).await?;
    let current: cert::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    let from: CertStatus = current.status;
    let before = view(&txn, current.clone()).await?;
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

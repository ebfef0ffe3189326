//! Raw-material area rules and queries: registering, listing, editing and drawing a subject's
//! areas.

use entity::raw_material_area as area;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::{
    AreaList, AreaView, CreateArea, KEY_FIELDS, LinkageInput, UpdateArea, contract_months, hectares,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::{CertStatus, Role, Tenure};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::lifecycle::{self, Move, StatusEventView};
use crate::msg;
use crate::pagination::PageParams;
use crate::pagination::{Paginated, fetch};
use crate::text::clean;
use crate::version::ExpectedVersion;
use crate::{clock, documents, geometry, ids, units};

fn set_linkage(m: &mut area::Model, l: Option<LinkageInput>) {
    m.linkage_contract_no = l.as_ref().map(|l| clean(&l.contract_no));
    m.linkage_counterparty = l.as_ref().map(|l| clean(&l.counterparty));
    m.linkage_counterparty_kind = l.as_ref().map(|l| l.counterparty_kind);
    m.linkage_households = l.as_ref().and_then(|l| l.households);
    m.linkage_start_on = l.as_ref().map(|l| l.start_on);
    m.linkage_end_on = l.as_ref().map(|l| l.end_on);
    m.linkage_months = l
        .as_ref()
        .map(|l| contract_months(l.start_on, l.end_on) as i32);
}

/// Rules across fields, checked on the record as it would be written (create and edit alike).
fn check(m: &area::Model) -> AppResult<()> {
    let mut fields = FieldErrors::new();
    let linked = m.tenure == Tenure::Linked;
    let has_linkage = m.linkage_contract_no.is_some();
    if linked && !has_linkage {
        fields.insert(
            "linkage".to_owned(),
            vec!["is required when tenure is linked (the linkage contract)".into()],
        );
    }
    if !linked && has_linkage {
        fields.insert(
            "linkage".to_owned(),
            vec!["only an area with tenure linked carries a linkage contract".into()],
        );
    }
    if let (Some(from), Some(to)) = (m.valid_from, m.valid_to)
        && to < from
    {
        fields.insert(
            "valid_to".to_owned(),
            vec!["must not be before valid_from".into()],
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(fields))
    }
}

fn stored_geometry(g: Option<&serde_json::Value>) -> AppResult<Option<String>> {
    g.map(|g| geometry::check(g).map_err(|m| AppError::invalid("geometry", m)))
        .transpose()
}

/// The entity name in the audit trail and the status history.
pub(super) const TRACKED: entity::enums::Tracked = entity::enums::Tracked::Area;

/// The view of an area (fetches its commune, history and verified version).
pub(super) async fn view(db: &impl ConnectionTrait, m: area::Model) -> AppResult<AreaView> {
    Ok(views(db, vec![m]).await?.remove(0))
}

/// Views of rows, with their communes, histories and verified versions in a few queries.
async fn views(db: &impl ConnectionTrait, rows: Vec<area::Model>) -> AppResult<Vec<AreaView>> {
    let communes: Vec<Uuid> = rows.iter().map(|r| r.commune_id).collect();
    let refs = units::service::refs(db, &communes).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = lifecycle::histories(db, TRACKED, &ids, Default::default()).await?;
    let mut vouched =
        lifecycle::latest_vouched::<area::Entity>(db, &histories, CertStatus::Verified.into())
            .await?;
    rows.into_iter()
        .map(|r| {
            let c = refs.get(&r.commune_id).cloned();
            let h = histories
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(StatusEventView::from)
                .collect();
            let seen = vouched.remove(&r.id);
            let mut view = AreaView::build(r, c.clone(), h)?;
            if let Some((event, seen)) = seen {
                let seen = AreaView::build(seen, c, Vec::new())?;
                let (v, pending) = lifecycle::vouched(&view, &seen, &event, &KEY_FIELDS);
                view.verified_version = Some(v);
                view.pending_changes = pending;
            }
            Ok(view)
        })
        .collect()
}

/// Adds an area to a subject (administrators, auditors in scope, the subject's owner).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateArea,
) -> AppResult<AreaView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (an imported list).
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateArea,
) -> AppResult<AreaView> {
    let area_m2 = input.area_ha.square_metres();
    let geometry = stored_geometry(input.geometry.as_ref())?;
    visible(txn, actor, subject_id).await?;
    let submitted = lifecycle::submitted_on(actor, input.submitted_on)?;
    let commune = units::service::require_commune(txn, "commune_id", input.commune_id).await?;
    let now = clock::now();
    let mut m = area::Model {
        id: ids::new_id(),
        subject_id,
        name: clean(&input.name),
        commune_id: commune.id,
        material: clean(&input.material),
        variety: input.variety.map(|v| clean(&v)).filter(|v| !v.is_empty()),
        area_m2,
        tenure: input.tenure,
        growing_area_code: input.growing_area_code.map(|c| c.trim().to_owned()),
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        geometry,
        linkage_contract_no: None,
        linkage_counterparty: None,
        linkage_counterparty_kind: None,
        linkage_households: None,
        linkage_start_on: None,
        linkage_end_on: None,
        linkage_months: None,
        evidence_document_id: None,
        status: CertStatus::Submitted,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    set_linkage(&mut m, input.linkage);
    m.evidence_document_id =
        documents::service::evidence_id(txn, subject_id, input.evidence_document_id).await?;
    check(&m)?;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    // Evidence like a certificate: submitted when the registry received it.
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

/// A subject's areas, with the exact total of their hectares.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    page: &PageParams,
) -> AppResult<AreaList> {
    visible(db, actor, subject_id).await?;
    let select = area::Entity::find().filter(area::Column::SubjectId.eq(subject_id));
    let total = select.clone().count(db).await?;
    // SUM over a bigint column, cast back to bigint: PostgreSQL's SUM(bigint) is numeric.
    let total_m2: Option<i64> = area::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(area_m2), 0) AS BIGINT)"),
            "total",
        )
        .filter(area::Column::SubjectId.eq(subject_id))
        .into_tuple()
        .one(db)
        .await?;
    let rows = select
        .order_by_asc(area::Column::Name)
        .order_by_asc(area::Column::Id)
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await?;
    let items = views(db, rows).await?;
    Ok(AreaList {
        items,
        page: page.page(),
        per_page: page.per_page(),
        total,
        total_area_ha: hectares(total_m2.unwrap_or(0)).to_string(),
    })
}

/// One area.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<AreaView> {
    let a = owned::<area::Model>(db, actor, id, false).await?;
    view(db, a).await
}

/// Edits an area.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateArea,
) -> AppResult<AreaView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction (an imported list).
///
/// A revoked record stays as it was revoked: an edit that changes nothing (a list imported
/// again) is answered with it, one that changes something is refused.
pub async fn update_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateArea,
) -> AppResult<AreaView> {
    // The input's own errors come before the record's.
    let geometry = match &input.geometry {
        Some(g) => Some(stored_geometry(g.as_ref())?),
        None => None,
    };
    let current: area::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = view(txn, current.clone()).await?;
    let mut next = edited(txn, &current, input, geometry).await?;
    check(&next)?;
    if next == current {
        return Ok(before);
    }
    let status: CertStatus = current.status;
    if status == CertStatus::Revoked {
        return Err(AppError::Conflict(msg!("conflict-area-revoked")));
    }
    // An owner's change of what an auditor vouches for (docs/domain.md §7) needs a new
    // verification; the old one keeps vouching for the values it saw.
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

/// Area `current` with the input's changes (`geometry` as stored).
async fn edited(
    txn: &DatabaseTransaction,
    current: &area::Model,
    input: UpdateArea,
    geometry: Option<Option<String>>,
) -> AppResult<area::Model> {
    let mut next = current.clone();
    if let Some(n) = input.name.as_deref() {
        next.name = clean(n);
    }
    if let Some(c) = input.commune_id {
        next.commune_id = units::service::require_commune(txn, "commune_id", c)
            .await?
            .id;
    }
    if let Some(mat) = input.material.as_deref() {
        next.material = clean(mat);
    }
    if let Some(v) = input.variety {
        next.variety = v.map(|v| clean(&v)).filter(|v| !v.is_empty());
    }
    if let Some(ha) = input.area_ha {
        next.area_m2 = ha.square_metres();
    }
    if let Some(t) = input.tenure {
        next.tenure = t;
        // Leaving `linked` drops the contract unless the edit sends one.
        if t != Tenure::Linked && input.linkage.is_none() {
            set_linkage(&mut next, None);
        }
    }
    if let Some(c) = input.growing_area_code {
        next.growing_area_code = c.map(|c| c.trim().to_owned());
    }
    if let Some(f) = input.valid_from {
        next.valid_from = f;
    }
    if let Some(t) = input.valid_to {
        next.valid_to = t;
    }
    if let Some(g) = geometry {
        next.geometry = g;
    }
    if let Some(l) = input.linkage {
        set_linkage(&mut next, l);
    }
    if let Some(d) = input.evidence_document_id {
        next.evidence_document_id =
            documents::service::evidence_id(txn, current.subject_id, d).await?;
    }
    Ok(next)
}

/// Whether `next` changes what an auditor's verification of `current` vouched for.
fn key_changed(current: &area::Model, next: &area::Model) -> bool {
    next.area_m2 != current.area_m2
        || next.tenure != current.tenure
        || next.growing_area_code != current.growing_area_code
        || next.valid_from != current.valid_from
        || next.valid_to != current.valid_to
        || next.geometry != current.geometry
        || next.linkage_contract_no != current.linkage_contract_no
        || next.linkage_counterparty != current.linkage_counterparty
        || next.linkage_counterparty_kind != current.linkage_counterparty_kind
        || next.linkage_households != current.linkage_households
        || next.linkage_start_on != current.linkage_start_on
        || next.linkage_end_on != current.linkage_end_on
}

/// Raw-material areas of every subject the actor may see, in a status (the auditor's queue:
/// `submitted`, oldest change first).
pub async fn list_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    status: Option<CertStatus>,
    page: &PageParams,
) -> AppResult<Paginated<AreaView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        area::Entity::find().filter(area::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(s) = status {
        select = select.filter(area::Column::Status.eq(s.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(area::Column::UpdatedAt)
            .order_by_asc(area::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Most areas one map draws (the whole country's would be a page of many megabytes).
pub const MAX_DRAWN: u64 = 5_000;

/// The areas in these communes (all, with `None`) in force on a day that have a geometry, for
/// a map, at most [`MAX_DRAWN`] (no access check: callers have checked the unit). Read in
/// batches, so no statement binds more values than a database takes.
pub async fn drawn_in(
    db: &impl ConnectionTrait,
    communes: Option<&[Uuid]>,
    on: chrono::NaiveDate,
) -> AppResult<Vec<AreaView>> {
    use sea_orm::ExprTrait;
    let in_force = || {
        area::Entity::find()
            .filter(area::Column::Geometry.is_not_null())
            .filter(
                area::Column::ValidFrom
                    .is_null()
                    .or(area::Column::ValidFrom.lte(on)),
            )
            .filter(
                area::Column::ValidTo
                    .is_null()
                    .or(area::Column::ValidTo.gte(on)),
            )
            .order_by_asc(area::Column::Id)
            .limit(MAX_DRAWN)
    };
    let mut rows = Vec::new();
    match communes {
        None => rows = in_force().all(db).await?,
        Some(ids) => {
            for batch in ids.chunks(500) {
                rows.extend(
                    in_force()
                        .filter(area::Column::CommuneId.is_in(batch.to_vec()))
                        .all(db)
                        .await?,
                );
            }
        }
    }
    rows.truncate(usize::try_from(MAX_DRAWN).unwrap_or(usize::MAX));
    views(db, rows).await
}

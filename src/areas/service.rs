//! Raw-material area rules and queries.

use entity::raw_material_area as area;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::{
    AreaList, AreaView, CreateArea, LinkageInput, UpdateArea, contract_months, hectares,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::Tenure;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::http::IfMatch;
use crate::pagination::PageParams;
use crate::text::clean;
use crate::validate::Hectares;
use crate::{clock, documents, geometry, ids, units};

fn set_linkage(m: &mut area::Model, l: Option<LinkageInput>) {
    m.linkage_contract_no = l.as_ref().map(|l| clean(&l.contract_no));
    m.linkage_counterparty = l.as_ref().map(|l| clean(&l.counterparty));
    m.linkage_counterparty_kind = l.as_ref().map(|l| l.counterparty_kind.code().to_owned());
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
    let linked = m.tenure == Tenure::Linked.code();
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

/// The view of an area (fetches its commune).
async fn view(db: &impl ConnectionTrait, m: area::Model) -> AppResult<AreaView> {
    let refs = units::service::refs(db, &[m.commune_id]).await?;
    let c = refs.get(&m.commune_id).cloned();
    AreaView::build(m, c)
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
        tenure: input.tenure.code().to_owned(),
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
        version: 1,
        created_at: now,
        updated_at: now,
    };
    set_linkage(&mut m, input.linkage);
    m.evidence_document_id =
        documents::service::evidence_id(txn, subject_id, input.evidence_document_id).await?;
    check(&m)?;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    let view = AreaView::build(row, Some((&commune).into()))?;
    audit::record(
        txn,
        actor,
        Change::created("area", view.id, Some(subject_id), &view),
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
    let communes: Vec<Uuid> = rows.iter().map(|r| r.commune_id).collect();
    let refs = units::service::refs(db, &communes).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let c = refs.get(&r.commune_id).cloned();
            AreaView::build(r, c)
        })
        .collect::<AppResult<Vec<_>>>()?;
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
    if_match: IfMatch,
    input: UpdateArea,
) -> AppResult<AreaView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction (an imported list).
pub async fn update_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: IfMatch,
    input: UpdateArea,
) -> AppResult<AreaView> {
    let area_m2 = input.area_ha.map(Hectares::square_metres);
    let geometry = match &input.geometry {
        Some(g) => Some(stored_geometry(g.as_ref())?),
        None => None,
    };
    let current: area::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = view(txn, current.clone()).await?;
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
    if let Some(m2) = area_m2 {
        next.area_m2 = m2;
    }
    if let Some(t) = input.tenure {
        next.tenure = t.code().to_owned();
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
    check(&next)?;
    let candidate = view(txn, next.clone()).await?;
    if candidate == before {
        return Ok(before);
    }
    let after = view(txn, save_version(txn, next).await?).await?;
    audit::record(
        txn,
        actor,
        Change::updated(
            "area",
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

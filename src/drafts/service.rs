//! Keeping, listing and completing drafts.

use chrono::{DateTime, Utc};
use entity::{draft, product, subject};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::dto::{
    CompleteDraft, CreateDraft, DiscardDraft, DraftEntity, DraftQuery, DraftStatus, DraftView,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::db::{begin_write, find};
use crate::domain::{LegalForm, Role};
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::http::parse_json;
use crate::msg;
use crate::pagination::{PageParams, Paginated};
use crate::products::dto::{CreateProduct, CreateRecognition};
use crate::subjects::dto::CreateSubject;
use crate::unit_graph::UnitGraph;
use crate::{clock, ids, products, subjects, units, validate};

/// A field given as nothing: absent, `null` or blank text.
fn absent(data: &Map<String, Value>, field: &str) -> bool {
    match data.get(field) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(_) => false,
    }
}

/// What `data` lacks to become the record: the fields a draft of this kind may lack (docs/domain.md
/// §9) that are not given. Anything else a create request requires must be given even in a
/// draft: it is what identifies the record.
pub fn missing(entity: DraftEntity, data: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    match entity {
        DraftEntity::Subject => {
            if absent(data, "commune_id") {
                out.push("commune_id");
            }
            // Only the legal forms that must have a tax code miss one.
            let form: Option<LegalForm> = data
                .get("legal_form")
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            let optional = matches!(
                form,
                Some(LegalForm::CooperativeGroup | LegalForm::ProductionFacility)
            );
            if absent(data, "tax_code") && !optional {
                out.push("tax_code");
            }
        }
        DraftEntity::Product => {
            if absent(data, "group") {
                out.push("group");
            }
        }
        DraftEntity::Recognition => {
            if absent(data, "decision_no") {
                out.push("decision_no");
            }
            if absent(data, "decision_date") {
                out.push("decision_date");
            }
        }
    }
    out.into_iter().map(str::to_owned).collect()
}

/// A stand-in for a missing field, valid on its own and the weakest value for the rules that
/// compare fields (the earliest decision date): the rest of the draft is then checked by the
/// very rules of its create request.
fn stand_in(field: &str) -> Value {
    match field {
        "commune_id" => Value::String(Uuid::nil().to_string()),
        "decision_no" => Value::String("-".to_owned()),
        "decision_date" => Value::String(validate::PROGRAMME_START.to_string()),
        "group" => Value::String(crate::domain::ProductGroup::Food.code().to_owned()),
        _ => Value::Null,
    }
}

/// The create request `data` makes once complete, checked by the create request's rules (what
/// a draft may lack stood in for).
fn parse<T: serde::de::DeserializeOwned + validator::Validate>(
    data: &Map<String, Value>,
    missing: &[String],
) -> AppResult<T> {
    let mut full = data.clone();
    for f in missing {
        full.insert(f.clone(), stand_in(f));
    }
    let bytes = serde_json::to_vec(&Value::Object(full))
        .map_err(|e| AppError::Internal(format!("draft serialisation: {e}")))?;
    parse_json(&bytes)
}

/// Checks a draft's fields by the rules of its create request (what it lacks stood in for).
pub fn check(entity: DraftEntity, data: &Map<String, Value>, missing: &[String]) -> AppResult<()> {
    match entity {
        DraftEntity::Subject => parse::<CreateSubject>(data, missing).map(drop),
        DraftEntity::Recognition => parse::<CreateRecognition>(data, missing).map(drop),
        DraftEntity::Product => parse::<CreateProduct>(data, missing).map(drop),
    }
}

/// The unit a draft is placed in, checked against the actor's reach.
async fn place(
    db: &impl ConnectionTrait,
    actor: &Actor,
    input: &CreateDraft,
) -> AppResult<(Uuid, Option<Uuid>)> {
    let unit = match input.entity {
        DraftEntity::Subject => {
            if input.parent_id.is_some() {
                return Err(AppError::invalid("parent_id", "a subject has no parent"));
            }
            match input.data.get("commune_id").and_then(Value::as_str) {
                Some(c) if !c.trim().is_empty() => {
                    let id = Uuid::parse_str(c.trim())
                        .map_err(|_| AppError::invalid("commune_id", "must be a unit id"))?;
                    units::service::require_commune(db, "commune_id", id)
                        .await?
                        .id
                }
                _ => {
                    let id = input.unit_id.ok_or_else(|| {
                        AppError::invalid(
                            "unit_id",
                            "is required when the commune is missing (the district, or the province)",
                        )
                    })?;
                    units::service::require(db, "unit_id", id).await?.id
                }
            }
        }
        DraftEntity::Product => {
            let id = input.parent_id.ok_or_else(|| {
                AppError::invalid("parent_id", "is required: the subject the product is of")
            })?;
            let s = find::<subject::Entity>(db, "subject", id, false).await?;
            return within(db, actor, s.commune_id)
                .await
                .map(|()| (s.commune_id, Some(s.id)));
        }
        DraftEntity::Recognition => {
            let id = input.parent_id.ok_or_else(|| {
                AppError::invalid("parent_id", "is required: the product the rating is for")
            })?;
            let p: product::Model = crate::auth::access::owned(db, actor, id, false).await?;
            let s = find::<subject::Entity>(db, "subject", p.subject_id, false).await?;
            return within(db, actor, s.commune_id)
                .await
                .map(|()| (s.commune_id, Some(p.subject_id)));
        }
    };
    within(db, actor, unit).await?;
    Ok((unit, None))
}

/// The actor may work on drafts placed in `unit` (the rule of reports).
async fn within(db: &impl ConnectionTrait, actor: &Actor, unit: Uuid) -> AppResult<()> {
    // Administrators work anywhere, and a unit the auditor reaches itself needs no look at the
    // tree (the request's reach is worked out once): an import places thousands of drafts.
    if actor.role == Role::Admin {
        return Ok(());
    }
    if actor.role == Role::Auditor
        && let crate::auth::Scope::Units(reach) = crate::auth::Scope::of(db, actor).await?
        && reach.contains(&unit)
    {
        return Ok(());
    }
    crate::auth::access::unit_graph(db, actor, unit)
        .await
        .map(drop)
}

fn json_list(missing: &[String]) -> Value {
    Value::Array(missing.iter().cloned().map(Value::String).collect())
}

/// Keeps an incomplete record as a draft (administrators; auditors within their unit).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateDraft,
) -> AppResult<DraftView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, input, None).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (an import keeps a file's drafts and
/// records together).
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateDraft,
    source: Option<Value>,
) -> AppResult<DraftView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let missing = missing(input.entity, &input.data);
    if missing.is_empty() {
        return Err(AppError::invalid(
            "data",
            "nothing is missing: register the record itself",
        ));
    }
    check(input.entity, &input.data, &missing)?;
    let (unit_id, subject_id) = place(txn, actor, &input).await?;
    let now = clock::now();
    let row = draft::ActiveModel {
        id: Set(ids::new_id()),
        entity: Set(input.entity),
        parent_id: Set(input.parent_id),
        unit_id: Set(unit_id),
        data: Set(Value::Object(input.data)),
        missing: Set(json_list(&missing)),
        record_id: Set(None),
        created_by_id: Set(actor.id()),
        created_by: Set(actor.name.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        completed_at: Set(None),
        version: Set(1),
        source: Set(source),
    }
    .insert(txn)
    .await?;
    let view = DraftView::build(row)?;
    audit::record(
        txn,
        actor,
        Change::created("draft", view.id, subject_id, &view),
    )
    .await?;
    Ok(view)
}

/// One draft (administrators; auditors within their unit).
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<DraftView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let d = find::<draft::Entity>(db, "draft", id, false).await?;
    within(db, actor, d.unit_id).await?;
    DraftView::build(d)
}

/// Adds or corrects fields of an open draft; once nothing is missing, registers the record (with
/// every rule of its create request) and closes the draft, in one transaction.
pub async fn complete(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: CompleteDraft,
    if_match: Option<i32>,
) -> AppResult<DraftView> {
    let txn = begin_write(db).await?;
    let view = complete_in(&txn, actor, id, input, if_match).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`complete`] inside the caller's write transaction.
pub async fn complete_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    input: CompleteDraft,
    if_match: Option<i32>,
) -> AppResult<DraftView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let d = find::<draft::Entity>(txn, "draft", id, true).await?;
    within(txn, actor, d.unit_id).await?;
    if let Some(v) = if_match
        && v != d.version
    {
        return Err(AppError::PreconditionFailed(msg!(
            "precondition-version",
            current = d.version,
            given = v
        )));
    }
    let before = DraftView::build(d.clone())?;
    if d.completed_at.is_some() {
        return Err(AppError::Conflict(msg!(
            "conflict-draft-completed",
            record = d.record_id.map(|r| r.to_string()).unwrap_or_default()
        )));
    }
    let mut data = match d.data.clone() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    data.extend(input.data);
    let missing = missing(before.entity, &data);
    check(before.entity, &data, &missing)?;
    let now = clock::now();
    let mut next = d.clone();
    next.data = Value::Object(data.clone());
    next.missing = json_list(&missing);
    next.updated_at = now;
    next.version += 1;
    let mut subject_id = None;
    if missing.is_empty() {
        let record = match before.entity {
            DraftEntity::Subject => {
                let s = subjects::service::create_in(txn, actor, parse(&data, &[])?).await?;
                subject_id = Some(s.id);
                s.id
            }
            DraftEntity::Product => {
                let subject = d.parent_id.ok_or_else(|| {
                    AppError::Internal(format!("product draft {} has no subject", d.id))
                })?;
                let p =
                    products::service::create_in(txn, actor, subject, parse(&data, &[])?).await?;
                subject_id = Some(subject);
                p.id
            }
            DraftEntity::Recognition => {
                let product = d.parent_id.ok_or_else(|| {
                    AppError::Internal(format!("recognition draft {} has no product", d.id))
                })?;
                let r = products::service::create_recognition_in(
                    txn,
                    actor,
                    product,
                    parse(&data, &[])?,
                )
                .await?;
                subject_id = Some(r.subject_id);
                r.id
            }
        };
        next.record_id = Some(record);
        next.completed_at = Some(now);
    }
    let after = DraftView::build(crate::db::save(txn, next).await?)?;
    audit::record(
        txn,
        actor,
        Change::updated("draft", id, subject_id, "complete", &before, &after),
    )
    .await?;
    Ok(after)
}

/// Closes an open draft without a record, with the reason (administrators; auditors within
/// their unit). The draft stays, closed, so that what was open as known before stays so.
pub async fn discard(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    input: DiscardDraft,
    if_match: Option<i32>,
) -> AppResult<DraftView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let txn = begin_write(db).await?;
    let d = find::<draft::Entity>(&txn, "draft", id, true).await?;
    within(&txn, actor, d.unit_id).await?;
    if let Some(v) = if_match
        && v != d.version
    {
        return Err(AppError::PreconditionFailed(msg!(
            "precondition-version",
            current = d.version,
            given = v
        )));
    }
    if d.completed_at.is_some() {
        return Err(AppError::Conflict(msg!(
            "conflict-draft-completed",
            record = d.record_id.map(|r| r.to_string()).unwrap_or_default()
        )));
    }
    let before = DraftView::build(d.clone())?;
    let mut next = d;
    next.completed_at = Some(clock::now());
    next.updated_at = clock::now();
    next.version += 1;
    let after = DraftView::build(crate::db::save(&txn, next).await?)?;
    let mut change = Change::updated("draft", id, None, "discard", &before, &after)?;
    if let Some(Value::Object(a)) = change.after.as_mut() {
        a.insert(
            "reason".to_owned(),
            Value::String(input.reason.trim().to_owned()),
        );
    }
    audit::record(&txn, actor, Ok(change)).await?;
    txn.commit().await?;
    Ok(after)
}

/// Drafts the actor may see (administrators: all; auditors: their unit), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &DraftQuery,
    page: &PageParams,
) -> AppResult<Paginated<DraftView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let mut select = draft::Entity::find();
    if let Some(e) = q.entity {
        select = select.filter(draft::Column::Entity.eq(e));
    }
    select = match q.status.unwrap_or(DraftStatus::Open) {
        DraftStatus::Open => select.filter(draft::Column::CompletedAt.is_null()),
        DraftStatus::Completed => select
            .filter(draft::Column::CompletedAt.is_not_null())
            .filter(draft::Column::RecordId.is_not_null()),
        DraftStatus::Discarded => select
            .filter(draft::Column::CompletedAt.is_not_null())
            .filter(draft::Column::RecordId.is_null()),
    };
    let rows = select
        .order_by_desc(draft::Column::CreatedAt)
        .order_by_desc(draft::Column::Id)
        .all(db)
        .await?;
    // Drafts are few (the rows of a list not yet complete); the unit tree decides reach.
    let graph = UnitGraph::load(db).await?;
    let own = (actor.role == Role::Auditor).then_some(actor.unit_id);
    let own_scope = own.flatten().map(|u| graph.reporting_scope(u));
    let asked = q.unit_id.map(|u| graph.reporting_scope(u));
    let rows: Vec<draft::Model> = rows
        .into_iter()
        .filter(|d| match (own, &own_scope) {
            (Some(_), Some(scope)) => scope.allows(d.unit_id),
            (Some(None), _) => false,
            _ => true,
        })
        .filter(|d| asked.as_ref().is_none_or(|s| s.allows(d.unit_id)))
        .collect();
    let total = rows.len() as u64;
    let items = rows
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.per_page()).unwrap_or(usize::MAX))
        .map(DraftView::build)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// How many drafts placed in `unit_id` or below it were open as known at the knowledge time:
/// records an indicator report leaves out because they are not records yet.
pub async fn excluded(
    db: &impl ConnectionTrait,
    graph: &UnitGraph,
    unit_id: Uuid,
    known: Known,
) -> AppResult<i64> {
    let at: DateTime<Utc> = known.0.unwrap_or_else(clock::now);
    let open: Vec<Uuid> = draft::Entity::find()
        .filter(draft::Column::CreatedAt.lte(at))
        .filter(
            sea_orm::Condition::any()
                .add(draft::Column::CompletedAt.is_null())
                .add(draft::Column::CompletedAt.gt(at)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.unit_id)
        .collect();
    let scope = graph.reporting_scope(unit_id);
    Ok(open.into_iter().filter(|u| scope.allows(*u)).count() as i64)
}

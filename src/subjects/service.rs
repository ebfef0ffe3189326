//! Subject rules and queries.

use entity::subject;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{CreateSubject, SubjectQuery, SubjectView, UpdateSubject};
use crate::audit::{self, Change};
use crate::auth::access::guard;
use crate::auth::{Actor, Scope, visible};
use crate::db::{begin_write, find, save_version};
use crate::domain::{LegalForm, Role, from_db};
use crate::error::{AppError, AppResult};
use crate::http::IfMatch;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::{clean, fold, like_patterns};
use crate::units::graph::UnitGraph;
use crate::validate::{TaxId, parse_tax_id};
use crate::{clock, ids, units};

/// Loads a subject (404 when absent).
pub async fn load(db: &impl ConnectionTrait, id: Uuid) -> AppResult<subject::Model> {
    find::<subject::Entity>(db, "subject", id, false).await
}

/// The view of one subject (fetches its commune).
pub async fn view(db: &impl ConnectionTrait, m: subject::Model) -> AppResult<SubjectView> {
    let refs = units::service::refs(db, &[m.commune_id]).await?;
    let commune = refs.get(&m.commune_id).cloned();
    SubjectView::build(m, commune)
}

/// Which registration numbers a legal form takes (domain §3, §6).
fn check_tax_id(form: LegalForm, tax: Option<&TaxId>) -> AppResult<()> {
    match (form, tax) {
        (LegalForm::CooperativeGroup | LegalForm::ProductionFacility, None) => Ok(()),
        (_, None) => Err(AppError::invalid(
            "tax_code",
            format!(
                "is required for a {} (optional only for cooperative groups and production facilities)",
                form.code()
            ),
        )),
        (LegalForm::HouseholdBusiness, Some(_)) | (_, Some(TaxId::TaxCode(_))) => Ok(()),
        (_, Some(TaxId::PersonalId(_))) => Err(AppError::invalid(
            "tax_code",
            "a 12-digit personal id replaces the tax code only for household businesses",
        )),
    }
}

/// The registration number stored on a row (written by this program in its normalised form).
fn stored_tax(raw: Option<&str>) -> AppResult<Option<TaxId>> {
    raw.map(|s| {
        parse_tax_id(s)
            .map_err(|_| AppError::Internal(format!("unreadable tax code {s:?} in the database")))
    })
    .transpose()
}

fn optional_text(raw: Option<String>) -> Option<String> {
    raw.map(|s| clean(&s)).filter(|s| !s.is_empty())
}

fn search_text(name: &str, tax: Option<&str>) -> String {
    match tax {
        Some(t) => format!("{} {}", fold(name), t),
        None => fold(name),
    }
}

async fn ensure_tax_code_free(
    db: &impl ConnectionTrait,
    tax: Option<&TaxId>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(tax) = tax else { return Ok(()) };
    let mut q = subject::Entity::find().filter(subject::Column::TaxCode.eq(tax.as_str()));
    if let Some(id) = except {
        q = q.filter(subject::Column::Id.ne(id));
    }
    if let Some(other) = q.one(db).await? {
        return Err(AppError::Conflict(format!(
            "tax code {} is already registered to subject {}",
            tax.as_str(),
            other.id
        )));
    }
    Ok(())
}

/// Registers a subject (administrators; auditors inside their subtree).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateSubject,
) -> AppResult<SubjectView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let tax = input.tax_code;
    check_tax_id(input.legal_form, tax.as_ref())?;
    let phone = input.phone.map(|p| p.0);
    let txn = begin_write(db).await?;
    let commune = units::service::require_commune(&txn, "commune_id", input.commune_id).await?;
    let scope = Scope::of(&txn, actor).await?;
    if !scope.contains_commune(commune.id) {
        return Err(AppError::Forbidden(format!(
            "commune {} {} is outside the token's administrative unit",
            commune.code, commune.name
        )));
    }
    ensure_tax_code_free(&txn, tax.as_ref(), None).await?;
    let name = clean(&input.name);
    let now = clock::now();
    let row = subject::ActiveModel {
        id: Set(ids::new_id()),
        search_text: Set(search_text(&name, tax.as_ref().map(TaxId::as_str))),
        name: Set(name),
        legal_form: Set(input.legal_form.code().to_owned()),
        tax_code: Set(tax.map(|t| t.as_str().to_owned())),
        commune_id: Set(commune.id),
        address: Set(optional_text(input.address)),
        representative: Set(optional_text(input.representative)),
        phone: Set(phone),
        email: Set(optional_text(input.email).map(|e| e.to_lowercase())),
        woman_led: Set(input.woman_led),
        founded_on: Set(input.founded_on),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let view = SubjectView::build(row, Some((&commune).into()))?;
    audit::record(
        &txn,
        actor,
        Change::created("subject", view.id, Some(view.id), &view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// One subject.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<SubjectView> {
    let (s, _) = visible(db, actor, id).await?;
    view(db, s).await
}

/// Subjects the actor may see, filtered, ordered by name.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &SubjectQuery,
    page: &PageParams,
) -> AppResult<Paginated<SubjectView>> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let scope = Scope::of(db, actor).await?;
    let mut cond = scope.subject_condition();
    if let Some(unit_id) = q.unit_id {
        let graph = UnitGraph::load(db).await?;
        if graph.get(unit_id).is_none() {
            return Err(AppError::not_found("administrative unit", unit_id));
        }
        let reach: Vec<Uuid> = graph.reach(unit_id).into_iter().collect();
        cond = cond.add(subject::Column::CommuneId.is_in(reach));
    }
    if let Some(f) = q.legal_form {
        cond = cond.add(subject::Column::LegalForm.eq(f.code()));
    }
    if let Some(text) = &q.q {
        for p in like_patterns(text) {
            cond = cond
                .add(Expr::col(subject::Column::SearchText).like(LikeExpr::new(p).escape('\\')));
        }
    }
    let select = subject::Entity::find().filter(cond);
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(subject::Column::SearchText)
            .order_by_asc(subject::Column::Id),
        page,
    )
    .await?;
    let communes: Vec<Uuid> = rows.iter().map(|r| r.commune_id).collect();
    let refs = units::service::refs(db, &communes).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let c = refs.get(&r.commune_id).cloned();
            SubjectView::build(r, c)
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// Edits a subject (administrators; auditors in their subtree; owners their own).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: IfMatch,
    input: UpdateSubject,
) -> AppResult<SubjectView> {
    let txn = begin_write(db).await?;
    let (current, scope) = guard(&txn, actor, "subject", id, id, true).await?;
    if_match.check(current.version)?;
    let before = view(&txn, current.clone()).await?;

    let form = match input.legal_form {
        Some(f) => f,
        None => from_db("legal_form", &current.legal_form)?,
    };
    let tax = match &input.tax_code {
        Some(given) => given.clone(),
        None => stored_tax(current.tax_code.as_deref())?,
    };
    check_tax_id(form, tax.as_ref())?;
    if input.tax_code.is_some() {
        ensure_tax_code_free(&txn, tax.as_ref(), Some(id)).await?;
    }
    let mut commune_ref = before.commune.clone();
    if let Some(c) = input.commune_id
        && c != current.commune_id
    {
        let commune = units::service::require_commune(&txn, "commune_id", c).await?;
        if !scope.contains_commune(commune.id) && !matches!(scope, Scope::Subject(_)) {
            return Err(AppError::Forbidden(format!(
                "commune {} {} is outside the token's administrative unit",
                commune.code, commune.name
            )));
        }
        commune_ref = Some((&commune).into());
    }

    let mut next = current.clone();
    if let Some(n) = input.name.as_deref() {
        next.name = clean(n);
    }
    next.legal_form = form.code().to_owned();
    next.tax_code = tax.as_ref().map(|t| t.as_str().to_owned());
    next.search_text = search_text(&next.name, next.tax_code.as_deref());
    if let Some(c) = input.commune_id {
        next.commune_id = c;
    }
    if let Some(a) = input.address {
        next.address = optional_text(a);
    }
    if let Some(r) = input.representative {
        next.representative = optional_text(r);
    }
    if let Some(p) = input.phone {
        next.phone = p.map(|p| p.0);
    }
    if let Some(e) = input.email {
        next.email = optional_text(e).map(|e| e.to_lowercase());
    }
    if let Some(w) = input.woman_led {
        next.woman_led = w;
    }
    if let Some(f) = input.founded_on {
        next.founded_on = f;
    }
    // A PATCH that changes nothing writes nothing (no new version, no audit entry).
    if SubjectView::build(next.clone(), commune_ref.clone())? == before {
        return Ok(before);
    }
    let row = save_version(&txn, next).await?;
    let after = SubjectView::build(row, commune_ref)?;
    audit::record(
        &txn,
        actor,
        Change::updated("subject", id, Some(id), "update", &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

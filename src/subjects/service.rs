//! Subject rules and queries.

use entity::{recognition, subject, subject_relocation as relocation, unit};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{CreateSubject, SubjectQuery, SubjectView};
use super::location::{with_history, with_registration};
use crate::audit::{self, Change};
use crate::auth::access::admit;
use crate::auth::{Actor, Caller, Scope};
use crate::db::find;
use crate::domain::{LegalForm, Role};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::{clean, fold, like_patterns};
use crate::unit_graph::UnitGraph;
use crate::validate::{TaxId, parse_tax_id};
use crate::{auth, clock, ids, units};

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
pub(super) fn check_tax_id(form: LegalForm, tax: Option<&TaxId>) -> AppResult<()> {
    match (form, tax) {
        (LegalForm::CooperativeGroup | LegalForm::ProductionFacility, None) => Ok(()),
        (_, None) => Err(AppError::invalid(
            "tax_code",
            msg!("field-tax-code-required-for", legal_form = form.code()),
        )),
        (LegalForm::HouseholdBusiness, Some(_)) | (_, Some(TaxId::TaxCode(_))) => Ok(()),
        (_, Some(TaxId::PersonalId(_))) => Err(AppError::invalid(
            "tax_code",
            "a 12-digit personal id replaces the tax code only for household businesses",
        )),
    }
}

/// The registration number stored on a row (written by this program in its normalised form).
pub(super) fn stored_tax(raw: Option<&str>) -> AppResult<Option<TaxId>> {
    raw.map(|s| {
        parse_tax_id(s)
            .map_err(|_| AppError::Internal(format!("unreadable tax code {s:?} in the database")))
    })
    .transpose()
}

pub(super) fn optional_text(raw: Option<String>) -> Option<String> {
    raw.map(|s| clean(&s)).filter(|s| !s.is_empty())
}

pub(super) fn search_text(name: &str, tax: Option<&str>) -> String {
    match tax {
        Some(t) => format!("{} {}", fold(name), t),
        None => fold(name),
    }
}

pub(super) async fn ensure_tax_code_free(
    db: &impl ConnectionTrait,
    tax: Option<&TaxId>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let Some(tax) = tax else { return Ok(()) };
    let mut q = subject::Entity::find().filter(subject::Column::TaxCode.eq(tax.as_str()));
    if let Some(id) = except {
        q = q.filter(subject::Column::Id.ne(id));
    }
    if let Some(other) = crate::db::unique(db, q).await? {
        return Err(AppError::Conflict(msg!(
            "conflict-tax-code-registered",
            tax_code = tax.as_str(),
            subject = format!("“{}”", other.name)
        )));
    }
    Ok(())
}

/// Registers a subject (administrators; auditors inside their subtree).
///
/// Everything the creation reads is checked before the write transaction, so the time spent
/// inside SQLite's single write lock is the three inserts alone (issue 15). A tax code taken
/// between the check and the insert is caught by the unique index and answered like the check.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateSubject,
) -> AppResult<SubjectView> {
    let new = prepare(db, actor, input).await?;
    let tax = new.tax.clone();
    let (view, statements) = creation(db.get_database_backend(), actor, new)?;
    match crate::db::write_at_once(db, statements).await {
        Ok(()) => Ok(view),
        // Taken since the check: the same 409 as if it had been taken before.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            ensure_tax_code_free(db, tax.as_ref(), None).await?;
            Err(AppError::Db(e))
        }
        Err(e) => Err(e.into()),
    }
}

/// [`create`] inside the caller's write transaction (a draft completed becomes a subject in the
/// same transaction that closes the draft).
pub async fn create_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    input: CreateSubject,
) -> AppResult<SubjectView> {
    let new = prepare(txn, actor, input).await?;
    let (view, statements) = creation(txn.get_database_backend(), actor, new)?;
    for statement in statements {
        txn.execute_raw(statement).await?;
    }
    Ok(view)
}

/// A creation that passed every check: the commune it names and the normalised tax code.
struct NewSubject {
    input: CreateSubject,
    tax: Option<TaxId>,
    commune: unit::Model,
}

/// The checks of a creation: role, registration number, commune, scope, tax code not taken.
async fn prepare(
    db: &impl ConnectionTrait,
    actor: &Actor,
    mut input: CreateSubject,
) -> AppResult<NewSubject> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let tax = input.tax_code.take();
    check_tax_id(input.legal_form, tax.as_ref())?;
    let commune = units::service::require_commune(db, "commune_id", input.commune_id).await?;
    let scope = Scope::of(db, actor).await?;
    if !scope.contains_unit(commune.id) {
        return Err(AppError::Forbidden(msg!(
            "forbidden-commune-outside-unit",
            code = commune.code,
            name = commune.name
        )));
    }
    ensure_tax_code_free(db, tax.as_ref(), None).await?;
    Ok(NewSubject {
        input,
        tax,
        commune,
    })
}

/// A checked creation as it will be written: the new subject, and the statements that write
/// the row, its first version and its audit record (all built here, nothing read back, so
/// that they can be sent together).
fn creation(
    backend: sea_orm::DbBackend,
    actor: &Actor,
    new: NewSubject,
) -> AppResult<(SubjectView, Vec<sea_orm::Statement>)> {
    use sea_orm::QueryTrait;
    let NewSubject {
        input,
        tax,
        commune,
    } = new;
    let name = clean(&input.name);
    let now = clock::now();
    let row = subject::Model {
        id: ids::new_id(),
        search_text: search_text(&name, tax.as_ref().map(TaxId::as_str)),
        name,
        legal_form: input.legal_form,
        tax_code: tax.map(|t| t.as_str().to_owned()),
        commune_id: commune.id,
        address: optional_text(input.address),
        representative: optional_text(input.representative),
        phone: input.phone.map(|p| p.0),
        email: optional_text(input.email).map(|e| e.to_lowercase()),
        woman_led: input.woman_led,
        founded_on: input.founded_on,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // A new subject has been nowhere else: its history is its registration.
    let view = with_registration(
        SubjectView::build(row.clone(), Some((&commune).into()))?,
        &row,
    );
    let change = Change::created("subject", view.id, Some(view.id), &view)?;
    let mut statements = vec![subject::Entity::insert(row.into_active_model()).build(backend)];
    statements.extend(audit::statements(backend, actor, change));
    Ok((view, statements))
}

/// One subject.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<SubjectView> {
    read(db, actor, id, None).await
}

/// [`get`] for a caller whose token may still need confirming: the subject's own statement
/// confirms it, so that a read is one round trip (docs/benchmarks.md, "Request path").
pub async fn get_for(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: Uuid,
) -> AppResult<SubjectView> {
    let Some(token) = caller.unconfirmed() else {
        return get(db, caller.actor(), id).await;
    };
    match read(db, caller.actor(), id, Some(token)).await {
        // Any answer but the record goes only to a live token: a revoked one learns nothing,
        // not even whether the subject exists or is outside its scope.
        Err(e) if !matches!(e, AppError::Unauthorized(_)) => {
            auth::service::confirm(db, token).await?;
            Err(e)
        }
        other => other,
    }
}

/// A subject as `actor` may see it; with `token`, the same statement refuses the read unless
/// that token is live.
async fn read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    token: Option<Uuid>,
) -> AppResult<SubjectView> {
    let scope = admit(db, actor, "subject", id, id).await?;
    let (s, commune, moved) = with_commune(db, id, token)
        .await?
        .ok_or_else(|| AppError::not_found("subject", id))?;
    scope.ensure("subject", id, &s)?;
    let v = SubjectView::build(s.clone(), commune.as_ref().map(Into::into))?;
    if moved {
        with_history(db, v, &s).await
    } else {
        Ok(with_registration(v, &s))
    }
}

/// A subject, its recorded commune and whether it ever moved, in one statement (with `token`,
/// 401 unless that token is live, in the same statement): this is the hot read path, and each
/// statement is a round trip (docs/benchmarks.md, "Request path").
async fn with_commune(
    db: &impl ConnectionTrait,
    id: Uuid,
    token: Option<Uuid>,
) -> AppResult<Option<(subject::Model, Option<unit::Model>, bool)>> {
    use sea_orm::FromQueryResult;
    static READ: crate::db::Reused<1> =
        crate::db::Reused::new(|b, [id]| read_statement(b, id, None));
    static READ_CONFIRMING: crate::db::Reused<2> =
        crate::db::Reused::new(|b, [id, token]| read_statement(b, id, Some(token)));
    let backend = db.get_database_backend();
    let statement = match token {
        Some(t) => READ_CONFIRMING.statement(backend, [id, t])?,
        None => READ.statement(backend, [id])?,
    };
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    if token.is_some() && !row.try_get::<bool>("", "token_live")? {
        return Err(auth::service::revoked_or_unknown());
    }
    let s = subject::Model::from_query_result(&row, "A_")?;
    let u = unit::Model::from_query_result_optional(&row, "B_")?;
    let moved: bool = row.try_get("", "moved")?;
    Ok(Some((s, u, moved)))
}

/// The statement of [`with_commune`].
fn read_statement(
    backend: sea_orm::DbBackend,
    id: Uuid,
    token: Option<Uuid>,
) -> sea_orm::Statement {
    use sea_orm::sea_query::{JoinType, Query};
    use sea_orm::{QuerySelect, QueryTrait};
    let moved = Query::select()
        .expr(Expr::val(1))
        .from(relocation::Entity)
        .and_where(
            Expr::col((relocation::Entity, relocation::Column::SubjectId))
                .equals((subject::Entity, subject::Column::Id)),
        )
        .to_owned();
    let commune: sea_orm::RelationDef = subject::Entity::belongs_to(unit::Entity)
        .from(subject::Column::CommuneId)
        .to(unit::Column::Id)
        .into();
    let mut select = subject::Entity::find()
        .filter(subject::Column::Id.eq(id))
        .join(JoinType::LeftJoin, commune)
        .select_also(unit::Entity)
        .expr_as(Expr::exists(moved), "moved");
    if let Some(t) = token {
        select = select.expr_as(auth::service::live(t), "token_live");
    }
    select.build(backend)
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
    // Recognitions in force today (of so many stars): what puts a subject in the population.
    let today = clock::today();
    let in_force = |stars: Option<i16>| {
        let mut sub = sea_orm::sea_query::Query::select();
        sub.column(recognition::Column::SubjectId)
            .from(recognition::Entity)
            .and_where(recognition::Column::DecisionDate.lte(today))
            .and_where(recognition::Column::ValidUntil.gt(today))
            .cond_where(
                sea_orm::Condition::any()
                    .add(recognition::Column::RevokedOn.is_null())
                    .add(recognition::Column::RevokedOn.gt(today)),
            );
        if let Some(n) = stars {
            sub.and_where(recognition::Column::Stars.eq(n));
        }
        sub.to_owned()
    };
    if let Some(n) = q.stars {
        cond = cond.add(subject::Column::Id.in_subquery(in_force(Some(n))));
    }
    match q.counted {
        Some(true) => cond = cond.add(subject::Column::Id.in_subquery(in_force(None))),
        Some(false) => cond = cond.add(subject::Column::Id.not_in_subquery(in_force(None))),
        None => {}
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

/// The subjects among `ids` that the actor may see, by id (contacts for a list of explained
/// subjects: one query, not one per row).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, SubjectView>> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let scope = Scope::of(db, actor).await?;
    let rows = subject::Entity::find()
        .filter(scope.subject_condition())
        .filter(subject::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?;
    let communes: Vec<Uuid> = rows.iter().map(|r| r.commune_id).collect();
    let refs = units::service::refs(db, &communes).await?;
    rows.into_iter()
        .map(|r| {
            let c = refs.get(&r.commune_id).cloned();
            Ok((r.id, SubjectView::build(r, c)?))
        })
        .collect()
}

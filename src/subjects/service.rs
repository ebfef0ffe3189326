//! Subject rules and queries.

use chrono::NaiveDate;
use entity::{recognition, subject, subject_relocation as relocation, unit};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{CreateSubject, LocationView, SubjectQuery, SubjectView, UpdateSubject};
use crate::audit::{self, Change};
use crate::auth::access::{admit, guard};
use crate::auth::{Actor, Caller, Scope};
use crate::db::{begin_write, find, save_version};
use crate::domain::{LegalForm, Role};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::{clean, fold, like_patterns};
use crate::unit_graph::UnitGraph;
use crate::validate::{TaxId, parse_tax_id};
use crate::version::ExpectedVersion;
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
fn check_tax_id(form: LegalForm, tax: Option<&TaxId>) -> AppResult<()> {
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

/// The location history of a subject that never moved: its registration.
fn with_registration(mut v: SubjectView, s: &subject::Model) -> SubjectView {
    v.location_history = Some(vec![LocationView {
        commune: v.commune.clone(),
        commune_id: s.commune_id,
        effective_on: None,
        recorded_at: s.created_at,
        recorded_by: None,
    }]);
    v
}

/// A subject's relocations, in the order they take effect (ties: the order recorded).
async fn relocations(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
) -> AppResult<Vec<relocation::Model>> {
    Ok(relocation::Entity::find()
        .filter(relocation::Column::SubjectId.eq(subject_id))
        .order_by_asc(relocation::Column::EffectiveOn)
        .order_by_asc(relocation::Column::Seq)
        .all(db)
        .await?)
}

/// The subject's commune on day `d` given its relocations in effective order (the same rule as
/// the indicator engine's `loc`).
fn commune_on(current: Uuid, moves: &[relocation::Model], d: NaiveDate) -> Uuid {
    match moves.iter().rev().find(|m| m.effective_on <= d) {
        Some(m) => m.to_commune_id,
        None => moves.first().map_or(current, |m| m.from_commune_id),
    }
}

/// The view with the subject's location history.
async fn with_history(
    db: &impl ConnectionTrait,
    mut v: SubjectView,
    s: &subject::Model,
) -> AppResult<SubjectView> {
    let moves = relocations(db, s.id).await?;
    let registered = moves.first().map_or(s.commune_id, |m| m.from_commune_id);
    // The current commune is already in the view: only the others are read (none for a
    // subject that never moved, the common case on the hot read path).
    let mut ids: Vec<Uuid> = moves.iter().map(|m| m.to_commune_id).collect();
    ids.push(registered);
    ids.retain(|id| *id != v.commune_id || v.commune.is_none());
    let mut refs = units::service::refs(db, &ids).await?;
    if let Some(current) = &v.commune {
        refs.insert(v.commune_id, current.clone());
    }
    let mut history = vec![LocationView {
        commune: refs.get(&registered).cloned(),
        commune_id: registered,
        effective_on: None,
        recorded_at: s.created_at,
        recorded_by: None,
    }];
    history.extend(moves.into_iter().map(|m| LocationView {
        commune: refs.get(&m.to_commune_id).cloned(),
        commune_id: m.to_commune_id,
        effective_on: Some(m.effective_on),
        recorded_at: m.recorded_at,
        recorded_by: Some(m.recorded_by),
    }));
    v.location_history = Some(history);
    Ok(v)
}

/// The identity fields of a subject (docs/domain.md §7): not the owner's to change alone, and
/// changed by the department only with the day the change takes effect.
fn identity_changes(input: &UpdateSubject, current: &subject::Model) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if input
        .name
        .as_deref()
        .is_some_and(|n| clean(n) != current.name)
    {
        changed.push("name");
    }
    if input.legal_form.is_some_and(|f| f != current.legal_form) {
        changed.push("legal_form");
    }
    if input
        .tax_code
        .as_ref()
        .is_some_and(|t| t.as_ref().map(|t| t.as_str()) != current.tax_code.as_deref())
    {
        changed.push("tax_code");
    }
    if input.commune_id.is_some_and(|c| c != current.commune_id) {
        changed.push("commune_id");
    }
    changed
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

/// Edits a subject (administrators; auditors in their subtree; owners their own).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateSubject,
) -> AppResult<SubjectView> {
    let txn = begin_write(db).await?;
    let after = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(after)
}

/// [`update`] inside the caller's write transaction (an approved change request applies its
/// changes and records its decision together).
pub async fn update_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateSubject,
) -> AppResult<SubjectView> {
    let (current, scope) = guard(txn, actor, "subject", id, id, true).await?;
    if_match.check(current.version)?;
    let identity = identity_changes(&input, &current);
    if !identity.is_empty() {
        if actor.role == Role::Owner {
            let mut fields = crate::error::FieldErrors::new();
            for f in &identity {
                fields.insert(
                    (*f).to_owned(),
                    vec![
                        "is an identity field: the owner cannot change it alone; the \
                          department changes it, with the day it takes effect"
                            .into(),
                    ],
                );
            }
            return Err(AppError::invalid_fields(fields));
        }
        if input.effective_on.is_none() {
            return Err(AppError::invalid(
                "effective_on",
                msg!("field-effective-on-required", fields = identity.join(", ")),
            ));
        }
    }
    let before = with_history(txn, view(txn, current.clone()).await?, &current).await?;

    let form = match input.legal_form {
        Some(f) => f,
        None => current.legal_form,
    };
    let tax = match &input.tax_code {
        Some(given) => given.clone(),
        None => stored_tax(current.tax_code.as_deref())?,
    };
    check_tax_id(form, tax.as_ref())?;
    if input.tax_code.is_some() {
        ensure_tax_code_free(txn, tax.as_ref(), Some(id)).await?;
    }
    let mut commune_ref = before.commune.clone();
    if let Some(c) = input.commune_id
        && c != current.commune_id
    {
        let commune = units::service::require_commune(txn, "commune_id", c).await?;
        if !scope.contains_unit(commune.id) && !matches!(scope, Scope::Subject(_)) {
            return Err(AppError::Forbidden(msg!(
                "forbidden-commune-outside-unit",
                code = commune.code,
                name = commune.name
            )));
        }
        commune_ref = Some((&commune).into());
    }

    let mut next = current.clone();
    if let Some(n) = input.name.as_deref() {
        next.name = clean(n);
    }
    next.legal_form = form;
    next.tax_code = tax.as_ref().map(|t| t.as_str().to_owned());
    next.search_text = search_text(&next.name, next.tax_code.as_deref());
    // A move of commune is a dated relocation; the commune of record is where the latest one
    // (in effective order) took the subject.
    let mut relocated = None;
    if let (Some(to), Some(on)) = (input.commune_id, input.effective_on)
        && to != current.commune_id
    {
        let mut moves = relocations(txn, id).await?;
        let from = commune_on(current.commune_id, &moves, on.pred_opt().unwrap_or(on));
        let row = relocation::Model {
            id: ids::new_id(),
            subject_id: id,
            seq: i32::try_from(moves.len()).unwrap_or(i32::MAX - 1) + 1,
            from_commune_id: from,
            to_commune_id: to,
            effective_on: on,
            recorded_at: clock::now(),
            recorded_by: actor.name.clone(),
            reason: None,
        };
        moves.push(row.clone());
        moves.sort_by_key(|m| (m.effective_on, m.seq));
        next.commune_id = moves.last().map_or(to, |m| m.to_commune_id);
        relocated = Some(row);
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
    let mut unchanged = SubjectView::build(next.clone(), commune_ref.clone())?;
    unchanged.location_history = before.location_history.clone();
    if relocated.is_none() && unchanged == before {
        return Ok(before);
    }
    // The commune of record may not be the one just given (a back-dated move).
    if input.commune_id.is_some() {
        commune_ref = units::service::refs(txn, &[next.commune_id])
            .await?
            .get(&next.commune_id)
            .cloned();
    }
    if let Some(r) = relocated {
        let r = r.into_active_model().reset_all().insert(txn).await?;
        audit::record(
            txn,
            actor,
            Change::created(
                "subject_relocation",
                r.id,
                Some(id),
                &serde_json::json!({
                    "from_commune_id": r.from_commune_id,
                    "to_commune_id": r.to_commune_id,
                    "effective_on": r.effective_on,
                    "seq": r.seq,
                }),
            ),
        )
        .await?;
    }
    let row = save_version(txn, next).await?;
    let after = with_history(txn, SubjectView::build(row.clone(), commune_ref)?, &row).await?;
    audit::record(
        txn,
        actor,
        Change::updated("subject", id, Some(id), "update", &before, &after),
    )
    .await?;
    Ok(after)
}

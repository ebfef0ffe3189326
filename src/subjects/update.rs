//! Changes to a registered subject: its details, its identity (by the department, dated) and its
//! commune (a dated relocation).

use entity::subject;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::dto::{SubjectView, UpdateSubject};
use super::location::{record_relocation, relocate, with_history};
use super::service::{
    check_tax_id, ensure_tax_code_free, optional_text, search_text, stored_tax, view,
};
use crate::audit::{self, Change};
use crate::auth::access::guard;
use crate::auth::{Actor, Scope};
use crate::db::{begin_write, save_version};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::text::clean;
use crate::units;
use crate::units::dto::UnitRef;
use crate::version::ExpectedVersion;

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
    refuse_identity_change(actor, &input, &current)?;
    let before = with_history(txn, view(txn, current.clone()).await?, &current).await?;

    let form = input.legal_form.unwrap_or(current.legal_form);
    let tax = match &input.tax_code {
        Some(given) => given.clone(),
        None => stored_tax(current.tax_code.as_deref())?,
    };
    check_tax_id(form, tax.as_ref())?;
    if input.tax_code.is_some() {
        ensure_tax_code_free(txn, tax.as_ref(), Some(id)).await?;
    }
    let mut commune_ref = match moved_to(txn, &scope, &input, &current).await? {
        Some(commune) => Some(commune),
        None => before.commune.clone(),
    };

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
        let (row, of_record) = relocate(txn, actor, &current, to, on).await?;
        next.commune_id = of_record;
        relocated = Some(row);
    }
    apply_details(&mut next, &input);
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
        record_relocation(txn, actor, r).await?;
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

/// Refuses a change of identity fields by the owner, or by the department without the day it
/// takes effect.
fn refuse_identity_change(
    actor: &Actor,
    input: &UpdateSubject,
    current: &subject::Model,
) -> AppResult<()> {
    let identity = identity_changes(input, current);
    if identity.is_empty() {
        return Ok(());
    }
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
    Ok(())
}

/// The commune the input moves the subject to, when it is another one the actor may move it to.
async fn moved_to(
    db: &impl ConnectionTrait,
    scope: &Scope,
    input: &UpdateSubject,
    current: &subject::Model,
) -> AppResult<Option<UnitRef>> {
    let Some(c) = input.commune_id.filter(|c| *c != current.commune_id) else {
        return Ok(None);
    };
    let commune = units::service::require_commune(db, "commune_id", c).await?;
    if !scope.contains_unit(commune.id) && !matches!(scope, Scope::Subject(_)) {
        return Err(AppError::Forbidden(msg!(
            "forbidden-commune-outside-unit",
            code = commune.code,
            name = commune.name
        )));
    }
    Ok(Some((&commune).into()))
}

/// The subject's details that are not its identity, as the input gives them.
fn apply_details(next: &mut subject::Model, input: &UpdateSubject) {
    if let Some(a) = &input.address {
        next.address = optional_text(a.clone());
    }
    if let Some(r) = &input.representative {
        next.representative = optional_text(r.clone());
    }
    if let Some(p) = &input.phone {
        next.phone = p.as_ref().map(|p| p.0.clone());
    }
    if let Some(e) = &input.email {
        next.email = optional_text(e.clone()).map(|e| e.to_lowercase());
    }
    if let Some(w) = input.woman_led {
        next.woman_led = w;
    }
    if let Some(f) = input.founded_on {
        next.founded_on = f;
    }
}

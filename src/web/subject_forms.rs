//! The department's forms on its subject pages: register a subject (`/subjects`), and on a
//! subject's file edit its identity with the day the change takes effect, add a product, record
//! a star recognition and revoke one. Each is the API's own request through the API's own
//! service (its access rule, its validation, its audit entry), filled in as people write; a
//! refusal brings the page back with the form as typed and each refusal beside its field.

use std::collections::HashMap;

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Either, State, post};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use uuid::Uuid;

use super::forms::{self, Refusal};
use super::page::{Page, PageError, Viewer};
use super::subject_specs::{StaffForm, identity_values, specs};
use crate::auth::Actor;
use crate::domain::{Role, UnitLevel};
use crate::error::{AppError, AppResult};
use crate::version::ExpectedVersion;
use crate::{clock, products, subjects, units};

/// A form as posted: its fields by the API's names, and for an edit the version it started from.
#[derive(FromForm)]
pub struct Posted<'r> {
    csrf: &'r str,
    f: HashMap<String, String>,
    version: Option<i32>,
}

/// Staff behind a posted form (its anti-forgery token checked).
fn staff<'v>(viewer: &'v Viewer, csrf: &str) -> Result<&'v Actor, PageError> {
    let actor = &viewer.check_csrf(csrf)?.actor;
    actor.require(&[Role::Admin, Role::Auditor])?;
    Ok(actor)
}

/// A commune field as typed (a name, a picker's choice or a code) as the unit's id, on `on`.
async fn commune_of(
    db: &DatabaseConnection,
    body: &mut Value,
    on: chrono::NaiveDate,
) -> AppResult<()> {
    if let Some(typed) = body
        .get("commune_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        let unit =
            units::service::typed(db, "commune_id", &typed, on, Some(UnitLevel::Commune)).await?;
        body["commune_id"] = Value::String(unit.id.to_string());
    }
    Ok(())
}

/// A refusal the form shows with what was typed — a commune outside the person's unit
/// included (the subject itself was in reach, or the page would not have been offered); a
/// fault is the error page.
fn refusable(e: &AppError) -> bool {
    e.status_code().0.code < 500
}

fn bytes(b: &Value) -> AppResult<Vec<u8>> {
    serde_json::to_vec(b).map_err(|e| AppError::Internal(e.to_string()))
}

/// Registers a subject (the API's `POST /api/v1/subjects`); on to its file when saved.
#[post("/subjects/new", data = "<posted>")]
pub async fn register(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    posted: Form<Posted<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    let actor = staff(&viewer, posted.csrf)?;
    let (db, lang) = (db.inner(), viewer.lang);
    let specs = specs(db, actor, None, StaffForm::Subject, lang).await?;
    let typed = posted.f.clone();
    let refusal = match forms::body(&specs, &typed, lang) {
        Ok(mut body) => {
            let created = async {
                commune_of(db, &mut body, clock::today()).await?;
                let input = crate::http::parse_json(&bytes(&body)?)?;
                subjects::service::create(db, actor, input).await
            }
            .await;
            match created {
                Ok(s) => {
                    return Ok(Either::Left(Redirect::to(format!(
                        "/subjects/{}?done=subject",
                        s.id
                    ))));
                }
                Err(e) if refusable(&e) => Refusal::of("subject", typed, &e, &specs, lang),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => Refusal {
            form: "subject",
            typed,
            errors,
        },
    };
    Ok(Either::Right((
        Status::UnprocessableEntity,
        super::subjects::render_registry(db, &viewer, Default::default(), Some(refusal)).await?,
    )))
}

/// Applies one of a subject's forms through the API's services; back to the file when saved.
#[post("/subjects/<id>/forms/<form>", data = "<posted>")]
pub async fn submit(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: &str,
    form: &str,
    posted: Form<Posted<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    let actor = staff(&viewer, posted.csrf)?;
    let form = StaffForm::on_file(form)?;
    let (db, lang) = (db.inner(), viewer.lang);
    let id = crate::ids::parse_id("subject", id)?;
    let subject = subjects::service::get(db, actor, id).await?;
    let specs = specs(db, actor, Some(id), form, lang).await?;
    let typed = posted.f.clone();
    let body = if form == StaffForm::Identity {
        let before = identity_values(db, &specs, &subject, lang).await?;
        forms::changes(&specs, &typed, &before, lang)
    } else {
        forms::body(&specs, &typed, lang)
    };
    // An identity form sent back as it stood changes nothing: say so rather than "saved".
    let body = body.and_then(|b| match b.as_object() {
        Some(m) if form == StaffForm::Identity && m.keys().all(|k| k == "effective_on") => Err(
            std::collections::BTreeMap::from([("form".to_owned(), lang.t("form-nothing-changed"))]),
        ),
        _ => Ok(b),
    });
    let refusal = match body {
        Ok(mut body) => match apply(db, actor, id, form, &mut body, posted.version).await {
            Ok(()) => {
                return Ok(Either::Left(Redirect::to(format!(
                    "/subjects/{id}?done={form}"
                ))));
            }
            Err(e) if refusable(&e) => Refusal::of(form.code(), typed, &e, &specs, lang),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => Refusal {
            form: form.code(),
            typed,
            errors,
        },
    };
    Ok(Either::Right((
        Status::UnprocessableEntity,
        super::subjects::render_subject(db, &viewer, id, None, Some(refusal), Default::default())
            .await?,
    )))
}

/// One form's request.
async fn apply(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    form: StaffForm,
    body: &mut Value,
    version: Option<i32>,
) -> AppResult<()> {
    // A field the form sends as text that the API reads as another type.
    let take_id = |body: &mut Value, field: &'static str| -> AppResult<Uuid> {
        body.as_object_mut()
            .and_then(|m| m.remove(field))
            .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| AppError::invalid(field, "is required"))
    };
    match form {
        StaffForm::Identity => {
            let on = body
                .get("effective_on")
                .and_then(Value::as_str)
                .and_then(|d| crate::validate::parse_date(d).ok())
                .unwrap_or_else(clock::today);
            commune_of(db, body, on).await?;
            // The commune typed another way is still the one it has: not a change.
            let current = subjects::service::get(db, actor, subject_id).await?;
            if let Some(m) = body.as_object_mut() {
                if m.get("commune_id").and_then(Value::as_str)
                    == Some(current.commune_id.to_string().as_str())
                {
                    m.remove("commune_id");
                }
                if m.keys().all(|k| k == "effective_on") {
                    return Err(AppError::invalid(
                        "form",
                        crate::msg!("form-nothing-changed"),
                    ));
                }
            }
            let input = crate::http::parse_json(&bytes(body)?)?;
            subjects::update::update(db, actor, subject_id, ExpectedVersion(version), input)
                .await?;
        }
        StaffForm::Product => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            products::service::create(db, actor, subject_id, input).await?;
        }
        StaffForm::Recognition => {
            let product = take_id(body, "product_id")?;
            if let Some(s) = body.get("stars").and_then(Value::as_str) {
                body["stars"] = s.parse::<i64>().map(Value::from).unwrap_or(Value::Null);
            }
            if let Some(b) = body.get("potential_five_star").and_then(Value::as_str) {
                body["potential_five_star"] = Value::Bool(b == "true");
            }
            // The product must be this subject's: the form offers no other.
            let p = products::service::get(db, actor, product).await?;
            if p.subject_id != subject_id {
                return Err(AppError::invalid("product_id", "is not this subject's"));
            }
            let input = crate::http::parse_json(&bytes(body)?)?;
            products::service::create_recognition(db, actor, product, input).await?;
        }
        StaffForm::Revoke => {
            let recognition = take_id(body, "recognition_id")?;
            let r = products::service::get_recognition(db, actor, recognition).await?;
            if r.subject_id != subject_id {
                return Err(AppError::invalid("recognition_id", "is not this subject's"));
            }
            let input = crate::http::parse_json(&bytes(body)?)?;
            products::service::revoke(db, actor, recognition, ExpectedVersion(None), input).await?;
        }
        StaffForm::Subject => return Err(AppError::not_found("form", form.code())),
    }
    Ok(())
}

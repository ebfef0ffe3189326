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
use strum::IntoEnumIterator;
use uuid::Uuid;

use super::forms::{self, Input, Refusal, Shape, Spec, options};
use super::page::{Page, PageError, Viewer};
use crate::auth::Actor;
use crate::domain::{LegalForm, ProductGroup, RecognitionKind, Role, UnitLevel};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::version::ExpectedVersion;
use crate::{clock, products, subjects, units};

crate::domain::code_enum!(
    /// The department's forms: registering a subject (`/subjects`), then those of a subject's
    /// file, in the order the page shows them. The code names a form in its path
    /// (`/subjects/{id}/forms/revoke`), its anchor and its words.
    StaffForm { Subject, Identity, Product, Recognition, Revoke }
);

impl StaffForm {
    /// A form of a subject's file, as its path names it: an unknown name is a missing page.
    fn on_file(form: &str) -> AppResult<StaffForm> {
        form.parse()
            .ok()
            .filter(|f| *f != StaffForm::Subject)
            .ok_or_else(|| AppError::not_found("form", form))
    }
}

/// The identity fields, as registering asks them and as an edit shows them.
fn identity_specs(lang: Lang) -> Vec<Spec> {
    let t = |k: &str| lang.t(&format!("label-{k}"));
    vec![
        Spec::new("name", t("name"), Input::Text).required(),
        Spec::new(
            "legal_form",
            t("legal_form"),
            Input::Select(options::<LegalForm>(lang, "legal", LegalForm::code, None)),
        )
        .required(),
        Spec::new("tax_code", t("tax_code"), Input::Text),
        Spec::new("commune_id", t("commune_id"), Input::Text)
            .required()
            .shown_from("commune.name")
            .list("communes")
            .hint(lang.t("staff-form-commune-hint")),
    ]
}

/// A form's fields; a recognition's products and a revocation's recognitions are the subject's.
async fn specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Option<Uuid>,
    form: StaffForm,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let t = |k: &str| lang.t(&format!("label-{k}"));
    let date =
        |name: &'static str| Spec::new(name, t(name), Input::Date).hint(lang.t("form-date-hint"));
    let all = PageParams::new(1, MAX_PER_PAGE);
    Ok(match (form, subject_id) {
        (StaffForm::Subject, None) => {
            let mut specs = identity_specs(lang);
            for name in ["address", "representative", "phone", "email"] {
                specs.push(Spec::new(name, t(name), Input::Text));
            }
            specs.push(date("founded_on"));
            specs
        }
        (StaffForm::Identity, Some(_)) => {
            let mut specs = identity_specs(lang);
            specs.push(date("effective_on").required());
            specs
        }
        (StaffForm::Product, Some(_)) => vec![
            Spec::new("name", t("name"), Input::Text).required(),
            Spec::new(
                "group",
                t("group"),
                Input::Select(options::<ProductGroup>(
                    lang,
                    "product-group",
                    ProductGroup::code,
                    None,
                )),
            )
            .required(),
            Spec::new("subgroup", lang.t("form-product-subgroup"), Input::Text),
            Spec::new(
                "description",
                lang.t("form-product-description"),
                Input::LongText,
            ),
        ],
        (StaffForm::Recognition, Some(id)) => recognition_specs(db, actor, id, lang).await?,
        (StaffForm::Revoke, Some(id)) => {
            let mut standing = Vec::new();
            for p in products::service::list(db, actor, id, &all).await?.items {
                for r in products::service::list_recognitions(db, actor, p.id, &all)
                    .await?
                    .items
                    .into_iter()
                    .filter(|r| r.revoked_on.is_none())
                {
                    standing.push((
                        r.id.to_string(),
                        format!(
                            "{} · {} · {} {}",
                            p.name,
                            lang.tf("me-stars", &[("stars", r.stars.to_string())]),
                            r.decision_no,
                            lang.date(r.decision_date)
                        ),
                    ));
                }
            }
            vec![
                Spec::new(
                    "recognition_id",
                    t("recognition_id"),
                    Input::Select(standing),
                )
                .required(),
                date("revoked_on").required(),
                Spec::new("decision_no", t("decision_no"), Input::Text).required(),
                Spec::new("reason", t("reason"), Input::LongText).required(),
            ]
        }
        _ => return Err(AppError::not_found("form", form.code())),
    })
}

/// A star recognition of one of the subject's products, as its decision records it.
async fn recognition_specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let t = |k: &str| lang.t(&format!("label-{k}"));
    let date =
        |name: &'static str| Spec::new(name, t(name), Input::Date).hint(lang.t("form-date-hint"));
    let all = PageParams::new(1, MAX_PER_PAGE);
    let products = products::service::list(db, actor, subject_id, &all)
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let stars = (3..=5)
        .map(|n| {
            (
                n.to_string(),
                lang.tf("me-stars", &[("stars", n.to_string())]),
            )
        })
        .collect();
    Ok(vec![
        Spec::new("product_id", t("product_id"), Input::Select(products)).required(),
        Spec::new("stars", t("stars"), Input::Select(stars)).required(),
        Spec::new(
            "potential_five_star",
            t("potential_five_star"),
            Input::Select(vec![
                ("false".into(), lang.t("answer-no")),
                ("true".into(), lang.t("answer-yes")),
            ]),
        ),
        Spec::new(
            "kind",
            t("recognition_kind"),
            Input::Select(options::<RecognitionKind>(
                lang,
                "recognition-kind",
                RecognitionKind::code,
                None,
            )),
        )
        .required(),
        Spec::new("decision_no", t("decision_no"), Input::Text).required(),
        date("decision_date").required(),
        Spec::new("authority", t("authority"), Input::Text)
            .required()
            .hint(lang.t("staff-form-authority-hint")),
        Spec::new("score", t("score"), Input::Decimal),
        Spec::new("batch", t("batch"), Input::Text),
        date("valid_until").hint(lang.t("staff-form-valid-until-hint")),
    ])
}

/// The register form of `/subjects`.
pub async fn register_shape(
    db: &DatabaseConnection,
    actor: &Actor,
    refusal: Option<&Refusal>,
    lang: Lang,
) -> AppResult<Shape> {
    let specs = specs(db, actor, None, StaffForm::Subject, lang).await?;
    let mut shape = forms::shape(
        "subject",
        lang.t("staff-form-subject-title"),
        lang.t("staff-form-subject-submit"),
        specs,
        refusal,
        None,
    );
    shape.action = "/subjects/new".to_owned();
    Ok(shape)
}

/// The forms of a subject's file: identity filled in with what stands, a revocation with the
/// recognition chosen from the table (`revoke`), the refused one open as typed.
pub async fn shapes(
    db: &DatabaseConnection,
    actor: &Actor,
    subject: &subjects::dto::SubjectView,
    refusal: Option<&Refusal>,
    revoke: Option<Uuid>,
    lang: Lang,
) -> AppResult<Vec<Shape>> {
    let mut out = Vec::new();
    for form in StaffForm::iter().filter(|f| *f != StaffForm::Subject) {
        let specs = specs(db, actor, Some(subject.id), form, lang).await?;
        let values = match form {
            StaffForm::Identity => Some(identity_values(db, &specs, subject, lang).await?),
            StaffForm::Revoke => {
                revoke.map(|r| HashMap::from([("recognition_id".into(), r.to_string())]))
            }
            _ => None,
        };
        let mut shape = forms::shape(
            form.code(),
            lang.t(&format!("staff-form-{form}-title")),
            lang.t(&format!("staff-form-{form}-submit")),
            specs,
            refusal,
            values.as_ref(),
        );
        shape.action = format!("/subjects/{}/forms/{form}", subject.id);
        // Identity stands filled in, but folded until someone opens it.
        shape.open = refusal.is_some_and(|r| r.form == form.code())
            || (form == StaffForm::Revoke && revoke.is_some());
        if form == StaffForm::Identity {
            shape.version = Some(subject.version);
        }
        out.push(shape);
    }
    Ok(out)
}

/// The identity form's starting values: the subject as it stands (its commune as its picker
/// choice, which reads back as the same unit).
async fn identity_values(
    db: &DatabaseConnection,
    specs: &[Spec],
    s: &subjects::dto::SubjectView,
    lang: Lang,
) -> AppResult<HashMap<String, String>> {
    let view = serde_json::to_value(s).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut values = forms::prefill(specs, &view, lang);
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    if let Some(choice) = units::service::choice_of(&graph, s.commune_id) {
        values.insert("commune_id".into(), choice);
    }
    Ok(values)
}

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

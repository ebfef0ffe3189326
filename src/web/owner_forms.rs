//! The owner's forms on `/me`: a product, a raw-material area (GeoJSON from a file), a
//! certification with its scanned document, a sales channel, and a change of identity data
//! (a request the department decides, with its reason and effective date). Each is the API's
//! own request, filled in as people write (`dd/mm/yyyy`, `12,5` ha), and each is applied in
//! one transaction: refused, nothing is saved and the form comes back as typed, each refusal
//! next to its field.

use std::collections::HashMap;

use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{Either, State, post};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use strum::IntoEnumIterator;
use uuid::Uuid;

use super::forms::{self, Refusal, Shape};
use super::owner_specs::{OwnerForm, edit_specs, specs};
use super::page::{Page, PageError, Viewer};
use crate::auth::Actor;
use crate::documents::DocumentStore;
use crate::documents::service::Upload;
use crate::domain::{Role, Tenure};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::{areas, certifications, change_requests, channels, clock, products};

/// What `?done=` may name: a form added, or a record edited.
pub fn done(named: &str) -> Option<&'static str> {
    match named {
        "edit" => Some("edit"),
        _ => named.parse::<OwnerForm>().ok().map(OwnerForm::code),
    }
}

/// A record opened for editing: `area:{id}`.
#[derive(Debug, Clone, Copy)]
pub struct Edit {
    pub form: OwnerForm,
    pub id: Uuid,
}

impl Edit {
    pub fn parse(s: &str) -> Option<Edit> {
        let (form, id) = s.split_once(':')?;
        Some(Edit {
            form: form.parse().ok().filter(|f: &OwnerForm| f.editable())?,
            id: id.parse().ok()?,
        })
    }
}

fn to_json(v: &impl serde::Serialize) -> AppResult<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// A record's view as JSON and its version, through the API's own read (and its access rule).
async fn record(db: &DatabaseConnection, actor: &Actor, edit: Edit) -> AppResult<(Value, i32)> {
    Ok(match edit.form {
        OwnerForm::Product => {
            let v = products::service::get(db, actor, edit.id).await?;
            (to_json(&v)?, v.version)
        }
        OwnerForm::Area => {
            let v = areas::service::get(db, actor, edit.id).await?;
            (to_json(&v)?, v.version)
        }
        OwnerForm::Certification => {
            let v = certifications::service::get(db, actor, edit.id).await?;
            (to_json(&v)?, v.version)
        }
        OwnerForm::Channel => {
            let v = channels::service::get(db, actor, edit.id).await?;
            (to_json(&v)?, v.version)
        }
        OwnerForm::Identity => return Err(AppError::not_found("form", edit.form.code())),
    })
}

/// The forms of the page, the refused one open with what was typed; a record opened for editing
/// first, with its values.
pub async fn shapes(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    refusal: Option<&Refusal>,
    edit: Option<Edit>,
    lang: Lang,
) -> AppResult<Vec<Shape>> {
    let mut out = Vec::new();
    if let Some(e) = edit {
        let specs = edit_specs(db, actor, subject_id, e.form, lang).await?;
        let (view, version) = record(db, actor, e).await?;
        let values = forms::prefill(&specs, &view, lang);
        let mut shape = forms::shape(
            "edit",
            lang.t(&format!("form-{}-edit-title", e.form)),
            lang.t("form-edit-submit"),
            specs,
            refusal,
            Some(&values),
        );
        shape.action = format!("/me/forms/{}/{}", e.form, e.id);
        shape.version = Some(version);
        out.push(shape);
    }
    for form in OwnerForm::iter() {
        let specs = specs(db, actor, subject_id, form, lang).await?;
        out.push(forms::shape(
            form.code(),
            lang.t(&format!("form-{form}-title")),
            lang.t(&format!("form-{form}-submit")),
            specs,
            refusal,
            None,
        ));
    }
    Ok(out)
}

/// A form as posted: its fields by the API's names (`f[linkage__end_on]`), its one file, and
/// for an edit the version it started from.
#[derive(FromForm)]
pub struct Posted<'r> {
    csrf: &'r str,
    f: HashMap<String, String>,
    file: crate::http::upload::FileField<'r>,
    version: Option<i32>,
}

impl Posted<'_> {
    /// The fields by the API's names.
    fn typed(&self) -> HashMap<String, String> {
        self.f
            .iter()
            .map(|(k, v)| (k.replace("__", "."), v.clone()))
            .collect()
    }
}

/// The owner signed in behind a posted form (its anti-forgery token checked) and its subject.
pub fn owner<'v>(viewer: &'v Viewer, csrf: &str) -> Result<(&'v Actor, Uuid), PageError> {
    let session = viewer.check_csrf(csrf)?;
    let actor = &session.actor;
    actor.require(&[Role::Owner])?;
    let subject_id = actor
        .subject_id
        .ok_or_else(|| AppError::Forbidden("the account has no subject".into()))?;
    Ok((actor, subject_id))
}

/// A commune typed by name (or its id), as the import resolves names.
async fn commune(db: &DatabaseConnection, typed: &str) -> Result<Uuid, String> {
    if let Ok(id) = typed.parse::<Uuid>() {
        return Ok(id);
    }
    let graph = crate::unit_graph::UnitGraph::load(db)
        .await
        .map_err(|e| e.to_string())?;
    let resolver = crate::imports::places::Resolver::new(&graph, None, clock::today());
    resolver
        .resolve(&crate::imports::places::Names {
            commune: Some(typed),
            ..Default::default()
        })
        .map_err(|(_, m)| m.to_string())
        .and_then(|p| p.commune.ok_or_else(String::new))
}

/// Applies a posted form through the API's services; back to the page when saved, the page with
/// the form as typed and its refusals when not.
#[post("/me/forms/<form>", data = "<posted>")]
pub async fn submit(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    viewer: Viewer,
    _slot: crate::limits::UploadSlot,
    form: &str,
    posted: Form<Posted<'_>>,
) -> Result<Either<Redirect, Page>, PageError> {
    let (actor, subject_id) = owner(&viewer, posted.csrf)?;
    let form = OwnerForm::named(form)?;
    let lang = viewer.lang;
    let (db, store) = (db.inner(), store.inner());
    let specs = specs(db, actor, subject_id, form, lang).await?;
    let typed = posted.typed();
    // A file over the limit (or sent twice) is refused on the form like any other field.
    let file = match crate::http::upload::sent(&posted.file, "file", store.max_bytes) {
        Ok(file) => crate::http::upload::received(file).await?,
        Err(e) => {
            let refusal = Refusal::of(form.code(), typed, &e, &specs, lang);
            return Ok(Either::Right(
                super::me::render(db, &viewer, Some(refusal), None, None).await?,
            ));
        }
    };
    let refuse = |errors| Refusal {
        form: form.code(),
        typed: typed.clone(),
        errors,
    };
    let mut body = match forms::body(&specs, &typed, lang) {
        Ok(b) => b,
        Err(errors) => {
            return Ok(Either::Right(
                super::me::render(db, &viewer, Some(refuse(errors)), None, None).await?,
            ));
        }
    };
    let result = apply(db, store, actor, subject_id, form, &mut body, file).await;
    match result {
        Ok(()) => Ok(Either::Left(Redirect::to(format!(
            "/me?done={form}#form-{form}"
        )))),
        Err(e) if e.status_code().0.code < 500 => {
            let refusal = Refusal::of(form.code(), typed.clone(), &e, &specs, lang);
            Ok(Either::Right(
                super::me::render(db, &viewer, Some(refusal), None, None).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// One form's request, in one transaction.
async fn apply(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    subject_id: Uuid,
    form: OwnerForm,
    body: &mut Value,
    file: Option<(String, Vec<u8>)>,
) -> AppResult<()> {
    let bytes = |b: &Value| serde_json::to_vec(b).map_err(|e| AppError::Internal(e.to_string()));
    let place = |field: &'static str, at: &[&str], body: &mut Value| {
        let slot = at
            .iter()
            .try_fold(&mut *body, |v, k| v.get_mut(*k))
            .filter(|v| v.is_string());
        slot.map(|v| (field, v.as_str().unwrap_or_default().to_owned()))
    };
    // A commune typed by name becomes its id.
    let named = match form {
        OwnerForm::Area => place("commune_id", &["commune_id"], body),
        OwnerForm::Identity => place("changes.commune_id", &["changes", "commune_id"], body),
        _ => None,
    };
    if let Some((field, typed)) = named {
        let id = commune(db, &typed)
            .await
            .map_err(|m| AppError::invalid(field, m))?;
        let target = match form {
            OwnerForm::Area => body.get_mut("commune_id"),
            _ => body
                .get_mut("changes")
                .and_then(|c| c.get_mut("commune_id")),
        };
        if let Some(v) = target {
            *v = Value::String(id.to_string());
        }
    }
    match form {
        OwnerForm::Product => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            products::service::create(db, actor, subject_id, input).await?;
        }
        OwnerForm::Area => {
            if body.get("commune_id").is_none() {
                let s = crate::subjects::service::get(db, actor, subject_id).await?;
                body["commune_id"] = Value::String(s.commune_id.to_string());
            }
            // The contract's fields mean something only for a linked area.
            if body.get("tenure").and_then(Value::as_str) != Some(Tenure::Linked.code())
                && let Some(m) = body.as_object_mut()
            {
                m.remove("linkage");
            }
            if let Some((_, bytes)) = &file {
                body["geometry"] = geometry_of(bytes)?;
            }
            let input = crate::http::parse_json(&bytes(body)?)?;
            areas::service::create(db, actor, subject_id, input).await?;
        }
        OwnerForm::Certification => {
            // Read the request first: a refused certificate stores no document.
            let input: certifications::dto::CreateCertification =
                crate::http::parse_json(&bytes(body)?)?;
            let Some((file_name, content)) = file else {
                return Err(AppError::invalid("evidence_document_id", "is required"));
            };
            let doc = crate::documents::service::prepare(
                db,
                store,
                actor,
                Upload {
                    subject_id: Some(subject_id),
                    file_name,
                    bytes: content,
                },
            )
            .await
            .map_err(document_refusal)?;
            certifications::service::create_with_scan(db, actor, subject_id, input, doc).await?;
        }
        OwnerForm::Channel => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            channels::service::create(db, actor, subject_id, input).await?;
        }
        OwnerForm::Identity => {
            if body.get("changes").is_none() {
                body["changes"] = Value::Object(Default::default());
            }
            let input = crate::http::parse_json(&bytes(body)?)?;
            change_requests::service::create(db, actor, subject_id, input).await?;
        }
    }
    Ok(())
}

/// Saves an edit of one of the owner's records through the API's own edit (its rules, its
/// audit entry, the version it started from): only the fields changed are sent; a certification
/// changed goes back to the auditor.
#[post("/me/forms/<form>/<id>", data = "<posted>")]
pub async fn submit_edit(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    viewer: Viewer,
    _slot: crate::limits::UploadSlot,
    form: &str,
    id: &str,
    posted: Form<Posted<'_>>,
) -> Result<Either<Redirect, Page>, PageError> {
    let (actor, subject_id) = owner(&viewer, posted.csrf)?;
    let edit =
        Edit::parse(&format!("{form}:{id}")).ok_or_else(|| AppError::not_found("form", form))?;
    let lang = viewer.lang;
    let (db, store) = (db.inner(), store.inner());
    let specs = edit_specs(db, actor, subject_id, edit.form, lang).await?;
    let (view, _) = record(db, actor, edit).await?;
    let before = forms::prefill(&specs, &view, lang);
    let typed = posted.typed();
    let sent = crate::http::upload::sent(&posted.file, "file", store.max_bytes);
    let refusal = match (sent, forms::changes(&specs, &typed, &before, lang)) {
        // A file over the limit (or sent twice) is refused on the form like any other field.
        (Err(e), _) => Refusal::of("edit", typed, &e, &specs, lang),
        (Ok(file), Ok(mut body)) => {
            let file = crate::http::upload::received(file).await?;
            let if_match = crate::version::ExpectedVersion(posted.version);
            match apply_edit(
                db, store, actor, subject_id, edit, if_match, &mut body, file,
            )
            .await
            {
                Ok(()) => return Ok(Either::Left(Redirect::to("/me?done=edit"))),
                Err(e) if e.status_code().0.code < 500 => {
                    Refusal::of("edit", typed, &e, &specs, lang)
                }
                Err(e) => return Err(e.into()),
            }
        }
        (Ok(_), Err(errors)) => Refusal {
            form: "edit",
            typed,
            errors,
        },
    };
    Ok(Either::Right(
        super::me::render(db, &viewer, Some(refusal), None, Some(edit)).await?,
    ))
}

/// One edit, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn apply_edit(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    subject_id: Uuid,
    edit: Edit,
    if_match: crate::version::ExpectedVersion,
    body: &mut Value,
    file: Option<(String, Vec<u8>)>,
) -> AppResult<()> {
    let bytes = |b: &Value| serde_json::to_vec(b).map_err(|e| AppError::Internal(e.to_string()));
    if edit.form == OwnerForm::Area {
        if let Some(typed) = body
            .get("commune_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            let id = commune(db, &typed)
                .await
                .map_err(|m| AppError::invalid("commune_id", m))?;
            body["commune_id"] = Value::String(id.to_string());
        }
        // A contract is sent whole: a changed field goes with the others as they stand.
        if body.get("linkage").is_some_and(Value::is_object) {
            let current = areas::service::get(db, actor, edit.id).await?;
            if let Some(l) = current.linkage {
                let mut whole = to_json(&l)?;
                if let (Some(w), Some(changed)) =
                    (whole.as_object_mut(), body["linkage"].as_object())
                {
                    w.remove("months");
                    for (k, v) in changed {
                        w.insert(k.clone(), v.clone());
                    }
                }
                body["linkage"] = whole;
            }
        }
        if let Some((_, bytes)) = &file {
            body["geometry"] = geometry_of(bytes)?;
        }
    }
    let doc = match (edit.form, file) {
        (OwnerForm::Certification, Some((file_name, content))) => Some(
            crate::documents::service::prepare(
                db,
                store,
                actor,
                Upload {
                    subject_id: Some(subject_id),
                    file_name,
                    bytes: content,
                },
            )
            .await
            .map_err(document_refusal)?,
        ),
        _ => None,
    };
    let id = edit.id;
    match edit.form {
        OwnerForm::Product => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            products::service::update(db, actor, id, if_match, input).await?;
        }
        OwnerForm::Area => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            areas::service::update(db, actor, id, if_match, input).await?;
        }
        OwnerForm::Certification => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            certifications::service::update_with_scan(db, actor, (id, if_match), input, doc)
                .await?;
        }
        OwnerForm::Channel => {
            let input = crate::http::parse_json(&bytes(body)?)?;
            channels::service::update(db, actor, id, if_match, input).await?;
        }
        OwnerForm::Identity => return Err(AppError::not_found("form", edit.form.code())),
    }
    Ok(())
}

/// A boundary from a GeoJSON file: its geometry, or a file of one feature's (as mapping tools
/// save it).
fn geometry_of(bytes: &[u8]) -> AppResult<Value> {
    crate::geometry::measure(bytes).map_err(|m| AppError::invalid("geometry", m))?;
    let geometry: Value = serde_json::from_slice(bytes)
        .map_err(|_| AppError::invalid("geometry", crate::msg!("form-geometry-unreadable")))?;
    Ok(match geometry.get("type").and_then(Value::as_str) {
        Some("Feature") => geometry.get("geometry").cloned().unwrap_or(Value::Null),
        Some("FeatureCollection") => geometry
            .pointer("/features/0/geometry")
            .cloned()
            .unwrap_or(Value::Null),
        _ => geometry,
    })
}

/// A scan the registry refuses, said on the form's field.
fn document_refusal(e: AppError) -> AppError {
    match e {
        AppError::Invalid { mut fields } if fields.contains_key("file") => {
            let rules = fields.remove("file").unwrap_or_default();
            let mut named = crate::error::FieldErrors::new();
            named.insert("evidence_document_id".to_owned(), rules);
            AppError::invalid_fields(named)
        }
        AppError::PayloadTooLarge { limit } => AppError::invalid(
            "evidence_document_id",
            crate::msg!("form-document-too-large", limit = limit / (1024 * 1024)),
        ),
        other => other,
    }
}

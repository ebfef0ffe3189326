//! Drafts on the pages (`/drafts`): the records that arrived incomplete in the department's
//! lists, with what each lacks; complete one in a form (the API's `PATCH`) or discard it with a
//! reason. Administrators see every draft, auditors those placed in their unit.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Either, State, get, post};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::domain::{ProductGroup, Role};
use crate::drafts::dto::{CompleteDraft, DiscardDraft, DraftEntity, DraftQuery, DraftStatus};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::{clock, drafts, units};

/// A field a draft still lacks, as the form asks for it.
pub struct Missing {
    pub key: String,
    pub label: String,
    /// `text`, `date` or `select`.
    pub kind: &'static str,
    pub hint: String,
    pub choices: Vec<(String, String)>,
}

/// What a draft holds, as people read it, with the file's own words.
fn facts(
    lang: Lang,
    data: &serde_json::Map<String, Value>,
    source: Option<&Value>,
) -> Vec<(String, String)> {
    data.iter()
        .filter(|(k, v)| *k != "name" && !v.is_null())
        .map(|(k, v)| {
            let raw = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            // Codes, dates and yes/no as people read them.
            let shown = match (k.as_str(), v.as_bool()) {
                (_, Some(b)) => lang.t(if b { "yes" } else { "no" }),
                ("legal_form", _) => lang.t_or(&format!("legal-{raw}"), &raw),
                ("group", _) => lang.t_or(&format!("product-group-{raw}"), &raw),
                _ => crate::validate::parse_date(&raw).map_or(raw.clone(), |d| lang.date(d)),
            };
            (field_label(lang, k), shown)
        })
        // The file's own words (a commune the registry did not find, as written).
        .chain(source_rows(lang, source))
        .collect()
}

/// A field's name as the forms write it.
fn field_label(lang: Lang, key: &str) -> String {
    lang.t_or(
        &format!("draft-field-{key}"),
        &lang.t_or(&format!("label-{key}"), key),
    )
}

/// The imported rows a draft stands for, each as "heading: cell" pairs.
fn source_rows(lang: Lang, source: Option<&Value>) -> Vec<(String, String)> {
    source
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            let row = r.get("row").and_then(Value::as_i64).unwrap_or_default();
            let cells = r
                .get("cells")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(h, c)| {
                    c.as_str()
                        .filter(|c| !c.is_empty())
                        .map(|c| format!("{h}: {c}"))
                })
                .collect::<Vec<_>>()
                .join(" · ");
            (
                lang.tf("drafts-source-row", &[("row", row.to_string())]),
                cells,
            )
        })
        .collect()
}

/// A draft as listed.
pub struct Row {
    pub id: Uuid,
    pub version: i32,
    pub entity: String,
    pub name: String,
    pub unit: String,
    pub known: Vec<(String, String)>,
    pub missing: Vec<Missing>,
    pub created: String,
    /// A refusal of this draft's form.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "drafts.html")]
struct DraftsPage {
    chrome: Chrome,
    entity: String,
    unit: String,
    entities: Vec<(&'static str, String)>,
    rows: Vec<Row>,
    done: Option<String>,
}

const ENTITIES: [DraftEntity; 3] = [
    DraftEntity::Subject,
    DraftEntity::Product,
    DraftEntity::Recognition,
];

/// The open drafts the viewer may work on.
#[get("/drafts?<entity>&<unit>&<done>")]
pub async fn drafts_page(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    entity: Option<&str>,
    unit: Option<&str>,
    done: Option<&str>,
) -> Result<Page, PageError> {
    let done = done
        .filter(|d| ["completed", "discarded"].contains(d))
        .map(|d| viewer.lang.t(&format!("drafts-done-{d}")));
    render(
        db.inner(),
        &viewer,
        entity.unwrap_or_default(),
        unit.unwrap_or_default(),
        done,
        None,
    )
    .await
}

async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    entity: &str,
    unit: &str,
    done: Option<String>,
    refusal: Option<(Uuid, String)>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let kind = ENTITIES.iter().copied().find(|e| e.code() == entity.trim());
    let unit_id = match unit.trim() {
        "" => None,
        typed => Some(
            units::service::typed(db, "unit", typed, clock::today(), None)
                .await?
                .id,
        ),
    };
    let query = DraftQuery {
        unit_id,
        entity: kind,
        status: Some(DraftStatus::Open),
    };
    let found = drafts::service::list(db, actor, &query, &PageParams::new(1, MAX_PER_PAGE)).await?;
    let places = units::service::refs(
        db,
        &found.items.iter().map(|d| d.unit_id).collect::<Vec<_>>(),
    )
    .await?;
    let rows = found
        .items
        .into_iter()
        .map(|d| {
            let data = d.data.as_object().cloned().unwrap_or_default();
            let text = |k: &str| {
                data.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_default()
            };
            let known = facts(lang, &data, d.source.as_ref());
            Row {
                id: d.id,
                version: d.version,
                entity: lang.t_or(&format!("entity-{}", d.entity.code()), d.entity.code()),
                name: match text("name") {
                    n if n.is_empty() => text("decision_no"),
                    n => n,
                },
                unit: places
                    .get(&d.unit_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                known,
                missing: d.missing.iter().map(|m| ask(lang, m)).collect(),
                created: format!(
                    "{} · {}",
                    d.created_by,
                    super::reports::moment(lang, d.created_at)
                ),
                error: refusal
                    .as_ref()
                    .filter(|(id, _)| *id == d.id)
                    .map(|(_, e)| e.clone()),
            }
        })
        .collect();
    Page::render(&DraftsPage {
        chrome: viewer.chrome(lang.t("drafts-title")),
        entity: kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        unit: unit.trim().to_owned(),
        entities: ENTITIES
            .iter()
            .map(|e| {
                (
                    e.code(),
                    lang.t_or(&format!("entity-{}", e.code()), e.code()),
                )
            })
            .collect(),
        rows,
        done,
    })
}

/// How the form asks for a missing field.
fn ask(lang: Lang, field: &str) -> Missing {
    let (kind, hint, choices) = match field {
        "decision_date" => ("date", lang.t("date-format-hint"), Vec::new()),
        "commune_id" => ("text", lang.t("drafts-commune-hint"), Vec::new()),
        "group" => (
            "select",
            String::new(),
            <ProductGroup as strum::IntoEnumIterator>::iter()
                .map(|g| {
                    (
                        g.code().to_owned(),
                        lang.t(&format!("product-group-{}", g.code())),
                    )
                })
                .collect(),
        ),
        _ => ("text", String::new(), Vec::new()),
    };
    Missing {
        key: field.to_owned(),
        label: field_label(lang, field),
        kind,
        hint,
        choices,
    }
}

#[derive(FromForm)]
pub struct CompleteForm<'r> {
    csrf: &'r str,
    version: i32,
    commune_id: Option<&'r str>,
    tax_code: Option<&'r str>,
    group: Option<&'r str>,
    decision_no: Option<&'r str>,
    decision_date: Option<&'r str>,
}

/// A field the form gave (not left empty).
fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// Completes a draft with what the form gives (the API's `PATCH`): back to the list when saved,
/// the list with the refusal on the draft when not.
#[post("/drafts/<id>", data = "<form>")]
pub async fn complete(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: &str,
    form: Form<CompleteForm<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    viewer.check_csrf(form.csrf)?;
    let actor = viewer.actor()?;
    let db = db.inner();
    let id = crate::ids::parse_id("draft", id)?;
    let lang = viewer.lang;
    let result = async {
        let mut data = Map::new();
        if let Some(typed) = given(form.commune_id) {
            let commune = units::service::typed(
                db,
                "commune_id",
                typed,
                clock::today(),
                Some(crate::domain::UnitLevel::Commune),
            )
            .await?;
            data.insert("commune_id".into(), Value::String(commune.id.to_string()));
        }
        for (key, value) in [
            ("tax_code", given(form.tax_code)),
            ("group", given(form.group)),
            ("decision_no", given(form.decision_no)),
        ] {
            if let Some(v) = value {
                data.insert(key.into(), Value::String(v.to_owned()));
            }
        }
        if let Some(d) = given(form.decision_date) {
            let day = crate::i18n::parse_date(d)
                .ok_or_else(|| AppError::invalid("decision_date", lang.t("date-invalid")))?;
            data.insert("decision_date".into(), Value::String(day.to_string()));
        }
        drafts::service::complete(db, actor, id, CompleteDraft { data }, Some(form.version)).await
    }
    .await;
    answer(db, &viewer, id, result.map(|_| "completed")).await
}

#[derive(FromForm)]
pub struct DiscardForm<'r> {
    csrf: &'r str,
    version: i32,
    reason: &'r str,
}

/// Discards a draft with a reason (the API's discard).
#[post("/drafts/<id>/discard", data = "<form>")]
pub async fn discard(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: &str,
    form: Form<DiscardForm<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    viewer.check_csrf(form.csrf)?;
    let actor = viewer.actor()?;
    let id = crate::ids::parse_id("draft", id)?;
    let input = DiscardDraft {
        reason: form.reason.to_owned(),
    };
    let result = match validator::Validate::validate(&input) {
        Ok(()) => drafts::service::discard(db.inner(), actor, id, input, Some(form.version)).await,
        Err(e) => Err(e.into()),
    };
    answer(db.inner(), &viewer, id, result.map(|_| "discarded")).await
}

async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    result: Result<&'static str, AppError>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    match result {
        Ok(done) => Ok(Either::Left(Redirect::to(format!("/drafts?done={done}")))),
        Err(e) if e.status_code().0.code < 500 && e.status_code().0.code != 403 => {
            let refusal = super::page::error_detail(&e, viewer.lang);
            let page = render(db, viewer, "", "", None, Some((id, refusal))).await?;
            Ok(Either::Right((e.status_code().0, page)))
        }
        Err(e) => Err(e.into()),
    }
}

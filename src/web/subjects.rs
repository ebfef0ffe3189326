//! Subjects for department staff: `/subjects` (find one by name or tax code, accent-insensitive,
//! within a unit, by legal form) and `/subjects/{id}` (its profile, records, documents, location
//! history, verdicts today or on a chosen date, and its audit trail). Read through the API's own
//! services, within the viewer's scope.

use askama::Template;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::forms::{Refusal, Shape};
use super::me::Verdict;
use super::page::{Chrome, Page, PageError, Viewer};
use super::records::Table;
use crate::domain::{LegalForm, Role};
use crate::error::AppError;
use crate::pagination::PageParams;
use crate::subjects::dto::SubjectQuery;
use crate::{audit, clock, indicators, subjects, units};

const PER_PAGE: u64 = 50;

/// A subject as listed.
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    pub legal_form: String,
    pub tax_code: String,
    pub commune: String,
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    chrome: Chrome,
    q: String,
    unit: String,
    legal_form: String,
    /// (code, label) of every legal form.
    forms: Vec<(&'static str, String)>,
    total: String,
    items: Vec<Listed>,
    prev: Option<String>,
    next: Option<String>,
    export: String,
    /// Registering a subject.
    register: Vec<Shape>,
    stars: String,
    counted: String,
    /// The communes the register form offers.
    communes: Vec<String>,
}

/// What the list was asked for.
#[derive(Default)]
pub struct Filters {
    pub q: String,
    pub unit: String,
    pub legal_form: String,
    /// `3`, `4` or `5`: a recognition of so many stars in force today.
    pub stars: String,
    /// `true` / `false`: counted in the indicators today, or not.
    pub counted: String,
    pub page: u64,
}

impl Filters {
    /// The filters as query pairs (a link keeps them all).
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.q.as_str()),
            ("unit", self.unit.as_str()),
            ("legal_form", self.legal_form.as_str()),
            ("stars", self.stars.as_str()),
            ("counted", self.counted.as_str()),
        ]
    }
}

/// The subjects the viewer may see.
#[allow(clippy::too_many_arguments)]
#[get("/subjects?<q>&<unit>&<legal_form>&<stars>&<counted>&<page>")]
pub async fn registry(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    q: Option<&str>,
    unit: Option<&str>,
    legal_form: Option<&str>,
    stars: Option<&str>,
    counted: Option<&str>,
    page: Option<u64>,
) -> Result<Page, PageError> {
    let trim = |v: Option<&str>| v.map(str::trim).unwrap_or_default().to_owned();
    let filters = Filters {
        q: trim(q),
        unit: trim(unit),
        legal_form: trim(legal_form),
        stars: trim(stars),
        counted: trim(counted),
        page: page.unwrap_or(1),
    };
    render_registry(db.inner(), &viewer, filters, None).await
}

/// The list, with the register form (refused, as typed).
pub async fn render_registry(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filters: Filters,
    refusal: Option<Refusal>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let (q, unit_code, form_code) = (
        filters.q.as_str(),
        filters.unit.as_str(),
        filters.legal_form.as_str(),
    );
    let query = self::filters(db, &filters).await?;
    let page_no = filters.page.clamp(1, crate::pagination::MAX_PAGE);
    let found =
        subjects::service::list(db, actor, &query, &PageParams::new(page_no, PER_PAGE)).await?;
    let label = |prefix: &str, code: &str| lang.t(&format!("{prefix}-{code}"));
    let items = found
        .items
        .into_iter()
        .map(|s| Listed {
            id: s.id,
            legal_form: label("legal", s.legal_form.code()),
            tax_code: s.tax_code.unwrap_or_default(),
            commune: s.commune.map(|c| c.name).unwrap_or_default(),
            name: s.name,
        })
        .collect();
    let pairs = |p: u64| {
        let number = p.to_string();
        let mut all = filters.pairs();
        all.push(("page", &number));
        super::figures::href("/subjects", &all)
    };
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    let register =
        vec![super::subject_specs::register_shape(db, actor, refusal.as_ref(), lang).await?];
    Page::render(&RegistryPage {
        chrome: viewer.chrome(lang.t("registry-title")),
        q: q.to_owned(),
        unit: unit_code.to_owned(),
        legal_form: form_code.to_owned(),
        forms: <LegalForm as strum::IntoEnumIterator>::iter()
            .map(|f| (f.code(), label("legal", f.code())))
            .collect(),
        total: found.total.to_string(),
        items,
        prev: (page_no > 1).then(|| pairs(page_no - 1)),
        next: (page_no < pages).then(|| pairs(page_no + 1)),
        export: super::figures::href("/subjects/export", &filters.pairs()),
        stars: filters.stars.clone(),
        counted: filters.counted.clone(),
        register,
        communes: super::units::commune_choices(db, actor, None, clock::today()).await?,
    })
}

/// The list's filters as the API's query: a unit typed by its code (its latest version when
/// the code is no longer in force), a legal form by its code, words checked as the API checks
/// them.
async fn filters(db: &DatabaseConnection, f: &Filters) -> Result<SubjectQuery, AppError> {
    let unit_id = match f.unit.as_str() {
        "" => None,
        typed => Some(
            units::service::typed(db, "unit", typed, clock::today(), None)
                .await?
                .id,
        ),
    };
    let legal_form = match f.legal_form.as_str() {
        "" => None,
        code => Some(
            code.parse::<LegalForm>()
                .map_err(|_| AppError::invalid("legal_form", "not a legal form"))?,
        ),
    };
    let stars = match f.stars.as_str() {
        "" => None,
        n => Some(
            n.parse::<i16>()
                .map_err(|_| AppError::invalid("stars", "must be 3, 4 or 5"))?,
        ),
    };
    let counted = match f.counted.as_str() {
        "" => None,
        "true" => Some(true),
        "false" => Some(false),
        _ => return Err(AppError::invalid("counted", "true or false")),
    };
    let query = SubjectQuery {
        unit_id,
        legal_form,
        q: (!f.q.is_empty()).then(|| f.q.clone()),
        stars,
        counted,
        format: None,
        lang: None,
    };
    validator::Validate::validate(&query)?;
    Ok(query)
}

/// The list as an Excel file: every subject it finds (the API's own sheet; recorded in the
/// audit trail, as it holds people's contacts).
#[allow(clippy::too_many_arguments)]
#[get("/subjects/export?<q>&<unit>&<legal_form>&<stars>&<counted>")]
pub async fn registry_export(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    uri: &rocket::http::uri::Origin<'_>,
    q: Option<&str>,
    unit: Option<&str>,
    legal_form: Option<&str>,
    stars: Option<&str>,
    counted: Option<&str>,
) -> Result<crate::export::Download, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let db = db.inner();
    let trim = |v: Option<&str>| v.map(str::trim).unwrap_or_default().to_owned();
    let asked = Filters {
        q: trim(q),
        unit: trim(unit),
        legal_form: trim(legal_form),
        stars: trim(stars),
        counted: trim(counted),
        page: 1,
    };
    let query = filters(db, &asked).await?;
    let sheet = subjects::export::sheet(db, actor, &query, viewer.lang).await?;
    audit::service::record_export(db, actor, &sheet, &uri.to_string()).await?;
    super::dashboard::as_download(&sheet, "xlsx", viewer.lang)
}

/// One entry of the subject's audit trail, in words.
pub struct Trail {
    pub at: String,
    pub by: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "subject.html")]
struct SubjectPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    facts: Vec<(String, String)>,
    locations: Vec<(String, String)>,
    date: String,
    population: String,
    verdicts: Vec<Verdict>,
    tables: Vec<Table>,
    trail: Vec<Trail>,
    /// What was just saved, in words.
    done: Option<String>,
    /// The department's forms: identity, a product, a recognition, a revocation.
    forms: Vec<Shape>,
    /// The communes the identity form offers.
    communes: Vec<String>,
}

/// What a subject's page was asked for besides its day.
#[derive(Default)]
pub struct Asked {
    /// The form just saved.
    pub done: Option<String>,
    /// A recognition chosen for revoking.
    pub revoke: Option<Uuid>,
}

/// A subject for staff: as the owner's page shows it, with what the department needs besides.
#[get("/subjects/<id>?<date>&<done>&<revoke>")]
pub async fn subject(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: &str,
    date: Option<&str>,
    done: Option<&str>,
    revoke: Option<&str>,
) -> Result<Page, PageError> {
    let id = crate::ids::parse_id("subject", id)?;
    let asked = Asked {
        done: done
            .and_then(|d| d.parse::<super::subject_specs::StaffForm>().ok())
            .map(|d| viewer.lang.t(&format!("staff-form-{d}-done"))),
        revoke: revoke.and_then(|r| r.parse().ok()),
    };
    render_subject(db.inner(), &viewer, id, date, None, asked).await
}

/// A subject's file, with its forms (the refused one as typed).
pub async fn render_subject(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    date: Option<&str>,
    refusal: Option<Refusal>,
    asked: Asked,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => crate::i18n::parse_date(d)
            .ok_or_else(|| AppError::invalid("date", lang.t("date-invalid")))?,
        None => clock::today(),
    };
    let s = subjects::service::get(db, actor, id).await?;
    let explained = indicators::service::explain_subject(db, actor, id, day).await?;
    let d = |d: chrono::NaiveDate| lang.date(d);
    let facts = facts(&s, lang);
    let locations = s
        .location_history
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            (
                l.effective_on
                    .map_or_else(|| lang.t("subject-registered-in"), &d),
                l.commune.map(|c| c.name).unwrap_or_default(),
            )
        })
        .collect();
    let population = match explained.active_recognitions.len() {
        0 => lang.tf("subject-outside-population", &[("date", d(day))]),
        _ => lang.tf("subject-in-population", &[("date", d(day))]),
    };
    let tables = super::records::records(db, actor, id, lang, false).await?;
    let trail = trail(db, actor, id, lang).await?;
    let forms =
        super::subject_specs::shapes(db, actor, &s, refusal.as_ref(), asked.revoke, lang).await?;
    let communes =
        super::units::commune_choices(db, actor, Some(s.commune_id), clock::today()).await?;
    Page::render(&SubjectPage {
        done: asked.done,
        forms,
        communes,
        chrome: viewer.chrome(s.name.clone()),
        id,
        name: s.name,
        facts,
        locations,
        date: d(day),
        population,
        verdicts: super::me::verdicts(&explained, lang),
        tables,
        trail,
    })
}

/// The subject's particulars, as the page lists them.
fn facts(s: &crate::subjects::dto::SubjectView, lang: crate::i18n::Lang) -> Vec<(String, String)> {
    let d = |d: chrono::NaiveDate| lang.date(d);
    vec![
        (
            lang.t("me-legal-form"),
            lang.t(&format!("legal-{}", s.legal_form.code())),
        ),
        (
            lang.t("me-tax-code"),
            s.tax_code.clone().unwrap_or_else(|| lang.t("me-none")),
        ),
        (
            lang.t("me-commune"),
            s.commune
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        ),
        (
            lang.t("me-contact-address"),
            s.address.clone().unwrap_or_default(),
        ),
        (
            lang.t("me-contact-representative"),
            s.representative.clone().unwrap_or_default(),
        ),
        (lang.t("me-phone"), s.phone.clone().unwrap_or_default()),
        (lang.t("me-email"), s.email.clone().unwrap_or_default()),
        (
            lang.t("label-founded_on"),
            s.founded_on.map(&d).unwrap_or_else(|| lang.t("me-none")),
        ),
    ]
}

/// The latest hundred entries of the subject's audit trail, as the page words them.
async fn trail(
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    id: Uuid,
    lang: crate::i18n::Lang,
) -> Result<Vec<Trail>, PageError> {
    Ok(audit::service::list(
        db,
        actor,
        &crate::audit::dto::AuditQuery {
            entity: None,
            entity_id: None,
            actor: None,
            since: None,
            subject_id: Some(id),
        },
        &PageParams::new(1, 100),
    )
    .await?
    .items
    .into_iter()
    .map(|e| Trail {
        at: super::reports::moment(lang, e.at),
        by: e.actor.name,
        what: lang.tf(
            "subject-trail-entry",
            &[
                (
                    "action",
                    lang.t_or(&format!("audit-action-{}", e.action), &e.action),
                ),
                (
                    "entity",
                    lang.t_or(&format!("audit-entity-{}", e.entity), &e.entity),
                ),
            ],
        ),
    })
    .collect())
}

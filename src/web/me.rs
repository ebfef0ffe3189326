//! `/me`: an owner's own subject — its products and recognitions, raw-material areas,
//! certifications and channels — and, for each target of the programme, whether it counts
//! today or what it still lacks, with the next step. Read from the same services as the API;
//! the verdicts are the indicator engine's explanations, the notices the API's.

use std::collections::HashMap;

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{Either, State, get, post};
use sea_orm::DatabaseConnection;

use super::forms::{Input, Refusal, Shape, Spec};
use super::page::{Chrome, Page, PageError, Viewer};
use super::records::Table;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::indicators::dto::{Gap, SubjectExplanation};
use crate::{clock, indicators, subjects};

/// One target: counts or not, why, and what to do.
pub struct Verdict {
    pub key: &'static str,
    pub title: String,
    pub counts: bool,
    pub status: String,
    pub notes: Vec<String>,
    pub steps: Vec<String>,
}

/// A field of the contact form: its value as shown (or as typed, after a refusal) and what is
/// wrong with it.
pub struct Field {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    chrome: Chrome,
    name: String,
    facts: Vec<(String, String)>,
    today: String,
    population: String,
    notices: Vec<crate::notices::dto::Notice>,
    verdicts: Vec<Verdict>,
    tables: Vec<Table>,
    /// The contact form (the owner keeps these current itself).
    contact: Vec<Field>,
    version: i32,
    /// What was just saved, in words.
    done: Option<String>,
    /// The forms that add records (products, areas, certifications, channels) or ask for a
    /// change of identity data.
    forms: Vec<Shape>,
}

/// The contact data an owner changes directly (identity data goes through a change request).
const CONTACT: [&str; 4] = ["address", "representative", "phone", "email"];

/// The owner's page; `done` names the form just saved, `edit` (`area:{id}`) opens a record's
/// form.
#[get("/me?<saved>&<done>&<connected>&<edit>")]
pub async fn me(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    saved: Option<bool>,
    done: Option<&str>,
    connected: Option<bool>,
    edit: Option<&str>,
) -> Result<Page, PageError> {
    let done = match (saved, connected, done) {
        (Some(true), _, _) => Some("contact"),
        (_, Some(true), _) => Some("connected"),
        (_, _, Some(d)) => super::owner_forms::done(d),
        _ => None,
    };
    let edit = edit.and_then(super::owner_forms::Edit::parse);
    render(db.inner(), &viewer, None, done, edit).await
}

/// The contact form as posted.
#[derive(FromForm)]
pub struct ContactForm<'r> {
    csrf: &'r str,
    version: i32,
    address: &'r str,
    representative: &'r str,
    phone: &'r str,
    email: &'r str,
}

/// Saves the owner's contact data through the API's own edit (its rules, its audit entry): back
/// to the page when saved; the page again with each refusal next to its field, as typed, and
/// nothing saved, when not.
#[post("/me/contact", data = "<form>")]
pub async fn save_contact(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    form: Form<ContactForm<'_>>,
) -> Result<Either<Redirect, Page>, PageError> {
    let (actor, id) = super::owner_forms::owner(&viewer, form.csrf)?;
    let typed = [form.address, form.representative, form.phone, form.email];
    // An emptied field clears the value.
    let body: serde_json::Map<String, serde_json::Value> = CONTACT
        .iter()
        .zip(typed)
        .map(|(k, v)| {
            let v = v.trim();
            let v = if v.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(v.to_owned())
            };
            ((*k).to_owned(), v)
        })
        .collect();
    let bytes = serde_json::to_vec(&body).map_err(|e| AppError::Internal(e.to_string()))?;
    let result = match crate::http::parse_json::<crate::subjects::dto::UpdateSubject>(&bytes) {
        Ok(input) => {
            subjects::update::update(
                db.inner(),
                actor,
                id,
                crate::version::ExpectedVersion(Some(form.version)),
                input,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Either::Left(Redirect::to("/me?saved=true"))),
        Err(e) if e.status_code().0.code < 500 => {
            let typed: HashMap<String, String> = CONTACT
                .iter()
                .zip(typed)
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect();
            let specs: Vec<Spec> = CONTACT
                .iter()
                .map(|k| Spec::new(k, String::new(), Input::Text))
                .collect();
            let refusal = Refusal::of("contact", typed, &e, &specs, viewer.lang);
            Ok(Either::Right(
                render(db.inner(), &viewer, Some(refusal), None, None).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The page, with a refused form as typed and its refusals when there is one, and a word on
/// what was just `done`.
pub async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    refusal: Option<Refusal>,
    done: Option<&str>,
    edit: Option<super::owner_forms::Edit>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Owner])?;
    let id = actor
        .subject_id
        .ok_or_else(|| AppError::Forbidden("the account has no subject".into()))?;
    let lang = viewer.lang;
    let today = clock::today();
    let s = subjects::service::get(db, actor, id).await?;
    let explained = indicators::service::explain_subject(db, actor, id, today).await?;
    let notices = crate::notices::service::for_owner(db, actor, today, lang)
        .await?
        .items;
    let label = |prefix: &str, code: &str| lang.t(&format!("{prefix}-{code}"));
    let date = |d: chrono::NaiveDate| lang.date(d);
    let mut facts = vec![
        (lang.t("me-legal-form"), label("legal", s.legal_form.code())),
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
        (lang.t("me-phone"), s.phone.clone().unwrap_or_default()),
        (lang.t("me-email"), s.email.clone().unwrap_or_default()),
    ];
    // A commune a reform replaced: where the subject is counted today.
    if let Some(now) = explained
        .placed_in
        .as_ref()
        .filter(|u| Some(u.id) != s.commune.as_ref().map(|c| c.id))
    {
        facts.insert(
            3,
            (
                lang.tf("me-placed-in", &[("date", date(today))]),
                now.name.clone(),
            ),
        );
    }
    let tables = super::records::records(db, actor, id, lang, true).await?;
    let population = match explained.active_recognitions.len() {
        0 => lang.tf("me-outside-population", &[("date", date(today))]),
        _ => lang.tf("me-in-population", &[("date", date(today))]),
    };
    let contact = contact_fields(&s, refusal.as_ref(), lang);
    let version = s.version;
    let forms = super::owner_forms::shapes(db, actor, id, refusal.as_ref(), edit, lang).await?;
    Page::render(&MePage {
        chrome: viewer.chrome(s.name.clone()),
        name: s.name,
        facts,
        today: date(today),
        population,
        notices,
        verdicts: verdicts(&explained, lang),
        tables,
        contact,
        version,
        done: done.map(|d| lang.t(&format!("me-done-{d}"))),
        forms,
    })
}

/// Each target's verdict in the reader's words, with the owner's next steps.
pub fn verdicts(e: &SubjectExplanation, lang: Lang) -> Vec<Verdict> {
    // Outside the population (no recognition active today) nothing counts yet; a target met
    // is said as met, for when a product is recognised.
    let counted = !e.active_recognitions.is_empty();
    let one = |key: &'static str,
               counts: bool,
               notes: &[crate::indicators::notes::Note],
               gaps: &[Gap]| {
        Verdict {
            key,
            title: lang.t(&format!("ind-{key}-long")),
            counts,
            status: lang.t(match (counts, counted) {
                (true, true) => "me-counts",
                (true, false) => "me-would-count",
                (false, _) => "me-not-yet",
            }),
            notes: notes.iter().map(|n| n.render(lang)).collect(),
            steps: gaps
                .iter()
                .map(|g| lang.t(&format!("me-todo-{}", g.code())))
                .collect(),
        }
    };
    let mut out = Vec::new();
    if let Some(v) = &e.value_chain {
        out.push(one("value_chain", v.counts, &v.notes, &v.gaps));
    }
    if let Some(m) = &e.modern_channel {
        out.push(one("modern_channel", m.counts, &m.notes, &m.gaps));
    }
    out
}

/// The contact form: what the register holds, or what was typed when it was refused, each
/// refusal beside its field.
fn contact_fields(
    s: &subjects::dto::SubjectView,
    refusal: Option<&Refusal>,
    lang: Lang,
) -> Vec<Field> {
    let contact_refusal = refusal.filter(|r| r.form == "contact");
    let registered = [
        s.address.clone(),
        s.representative.clone(),
        s.phone.clone(),
        s.email.clone(),
    ];
    CONTACT
        .iter()
        .zip(registered)
        .map(|(key, value)| Field {
            key,
            label: lang.t(&format!("me-contact-{key}")),
            value: contact_refusal
                .and_then(|r| r.typed.get(*key).cloned())
                .unwrap_or_else(|| value.unwrap_or_default()),
            error: contact_refusal.and_then(|r| r.errors.get(*key).cloned()),
        })
        .chain(
            contact_refusal
                .and_then(|r| r.errors.get("form"))
                .map(|m| Field {
                    key: "form",
                    label: String::new(),
                    value: String::new(),
                    error: Some(m.clone()),
                }),
        )
        .collect()
}

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
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::indicators::dto::{Gap, SubjectExplanation};
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::{areas, certifications, channels, clock, indicators, products, subjects};

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

/// A table of the subject's records.
pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub headings: Vec<String>,
    pub rows: Vec<Row>,
    /// The areas' GeoJSON, drawn on a map above the table (web/map.rs).
    pub map: Option<String>,
}

/// A row: its cells, links (its form, its document) and buttons (connect a shop).
pub struct Row {
    pub cells: Vec<String>,
    /// `(href, label, id)`.
    pub links: Vec<(String, String, String)>,
    pub actions: Vec<Action>,
}

/// A button that posts the page's anti-forgery token to `action`.
pub struct Action {
    pub action: String,
    pub label: String,
    pub id: String,
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
        (_, _, Some(d)) => super::owner_forms::DONE.iter().copied().find(|f| *f == d),
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
            subjects::service::update(
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
    let tables = records(db, actor, id, lang, true).await?;
    let population = match explained.active_recognitions.len() {
        0 => lang.tf("me-outside-population", &[("date", date(today))]),
        _ => lang.tf("me-in-population", &[("date", date(today))]),
    };
    let contact_refusal = refusal.as_ref().filter(|r| r.form == "contact");
    let registered = [
        s.address.clone(),
        s.representative.clone(),
        s.phone.clone(),
        s.email.clone(),
    ];
    let contact = CONTACT
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
        .collect();
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

/// The subject's records as tables: products with their recognitions, raw-material areas,
/// certifications and channels. The owner's own page (`owner`) links each record's form and
/// offers to connect a shop; staff pages show the same records with their documents.
pub async fn records(
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    id: uuid::Uuid,
    lang: Lang,
    owner: bool,
) -> Result<Vec<Table>, AppError> {
    let all = PageParams::new(1, MAX_PER_PAGE);
    let label = |prefix: &str, code: &str| lang.t(&format!("{prefix}-{code}"));
    let date = |d: chrono::NaiveDate| lang.date(d);
    let edit_link = |form: &str, record: uuid::Uuid| {
        owner.then(|| {
            (
                format!("/me?edit={form}:{record}#form-edit"),
                lang.t("me-edit"),
                format!("edit-{record}"),
            )
        })
    };
    // Staff decide from the file: a record waiting for them opens on its item in the queue
    // (its scan beside it), a standing recognition on the revocation form.
    let review_link = |tab: &str, record: uuid::Uuid, waiting: bool| {
        (!owner && waiting).then(|| {
            (
                format!("/queue?tab={tab}#item-{record}"),
                lang.t("subject-review"),
                format!("review-{record}"),
            )
        })
    };
    let mut products_rows = Vec::new();
    for p in products::service::list(db, actor, id, &all).await?.items {
        let recognitions = products::service::list_recognitions(db, actor, p.id, &all)
            .await?
            .items;
        let mut product_link: Vec<_> = edit_link("product", p.id).into_iter().collect();
        product_link.extend(super::photos::product_links(db, owner, lang, p.id).await?);
        if recognitions.is_empty() {
            products_rows.push(Row {
                links: product_link.clone().into_iter().collect(),
                actions: Vec::new(),
                cells: vec![
                    p.name.clone(),
                    label("product-group", p.group.code()),
                    lang.t("me-not-recognised"),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            });
        }
        for (i, r) in recognitions.into_iter().enumerate() {
            let status: &'static str = r.status.into();
            let revoke = (!owner && r.revoked_on.is_none()).then(|| {
                (
                    format!("/subjects/{id}?revoke={}#form-revoke", r.id),
                    lang.t("subject-revoke"),
                    format!("revoke-{}", r.id),
                )
            });
            products_rows.push(Row {
                links: if i == 0 {
                    product_link.clone().into_iter().chain(revoke).collect()
                } else {
                    revoke.into_iter().collect()
                },
                actions: Vec::new(),
                cells: vec![
                    p.name.clone(),
                    label("product-group", p.group.code()),
                    lang.tf("me-stars", &[("stars", r.stars.to_string())]),
                    format!("{} · {}", r.decision_no, date(r.decision_date)),
                    date(r.valid_until.pred_opt().unwrap_or(r.valid_until)), // its last day
                    label("recognition-status", status),
                ],
            });
        }
    }
    let area_items = areas::service::list(db, actor, id, &all).await?.items;
    let areas_rows = area_items
        .iter()
        .map(|a| Row {
            links: edit_link("area", a.id)
                .into_iter()
                .chain(review_link(
                    "areas",
                    a.id,
                    a.status == crate::domain::CertStatus::Submitted,
                ))
                .collect(),
            actions: Vec::new(),
            cells: vec![
                a.name.clone(),
                a.material.clone(),
                a.hectares_shown(lang),
                label("tenure", a.tenure.code()),
                a.linkage
                    .as_ref()
                    .map(|l| format!("{} · {}", l.contract_no, date(l.end_on)))
                    .unwrap_or_default(),
                // Where the auditor stands on it, with the reason of a refusal.
                {
                    let status = label("cert-status", a.status.code());
                    match a.history.last().and_then(|e| e.reason.clone()) {
                        Some(reason)
                            if a.status != crate::domain::CertStatus::Submitted
                                && a.status != crate::domain::CertStatus::Verified =>
                        {
                            format!("{status}: {reason}")
                        }
                        _ => status,
                    }
                },
            ],
        })
        .collect();
    let certs_rows = certifications::service::list(db, actor, id, &all)
        .await?
        .items
        .into_iter()
        .map(|c| Row {
            links: evidence_links(
                lang,
                c.id,
                c.evidence_document_id,
                c.evidence_url.as_deref(),
            )
            .into_iter()
            .chain(edit_link("certification", c.id))
            .chain(review_link(
                "certifications",
                c.id,
                c.status == crate::domain::CertStatus::Submitted,
            ))
            .collect(),
            cells: vec![
                lang.t_or(&format!("scheme-{}", c.scheme), &c.scheme_name),
                c.certificate_no,
                date(c.issued_on),
                date(c.expires_on),
                if c.expired {
                    lang.t("me-expired")
                } else {
                    label("cert-status", c.status.code())
                },
            ],
            actions: Vec::new(),
        })
        .collect();
    let mut channels_rows = Vec::new();
    for c in channels::service::list(db, actor, id, &all).await?.items {
        // Shopee and Lazada shops connect through the marketplace; a connected one shows it.
        let connection = crate::sync::connection::connection_of(db, c.id).await?;
        let managed = connection
            .as_ref()
            .map(|k| k.managed_by == crate::sync::dto::ManagedBy::Registry);
        let connectable = c.platform.connector().is_some_and(|k| k.is_marketplace());
        let action = |verb: &str, key: &str| Action {
            action: format!("/me/channels/{}/{verb}", c.id),
            label: lang.t(key),
            id: format!("{verb}-{}", c.id),
        };
        let actions = match managed {
            _ if !owner => Vec::new(),
            Some(_) => vec![action("disconnect", "me-disconnect")],
            None if connectable => vec![action("connect", "me-connect")],
            None => Vec::new(),
        };
        let mut verification = label("verification", c.verification.status.code());
        if managed == Some(true) {
            verification = format!("{verification} · {}", lang.t("me-connected-by-registry"));
        }
        channels_rows.push(Row {
            cells: vec![
                label("kind", c.kind.code()),
                lang.t_or(&format!("platform-{}", c.platform), c.platform.code()),
                c.shop_url.or(c.shop_id).unwrap_or_default(),
                verification,
            ],
            links: evidence_links(
                lang,
                c.id,
                c.evidence_document_id,
                c.evidence_url.as_deref(),
            )
            .into_iter()
            .chain(edit_link("channel", c.id))
            .chain(review_link(
                "channels",
                c.id,
                c.verification.status == crate::domain::VerificationStatus::Declared,
            ))
            .collect(),
            actions,
        });
    }
    let heads = |keys: &[&str]| keys.iter().map(|k| lang.t(k)).collect::<Vec<_>>();
    let tables = vec![
        Table {
            id: "products",
            title: lang.t("me-products"),
            headings: heads(&[
                "me-col-product",
                "me-col-group",
                "me-col-stars",
                "me-col-decision",
                "me-col-valid-until",
                "me-col-status",
            ]),
            rows: products_rows,
            map: None,
        },
        Table {
            id: "areas",
            title: lang.t("me-areas"),
            headings: heads(&[
                "me-col-area",
                "me-col-material",
                "me-col-hectares",
                "me-col-tenure",
                "me-col-contract",
                "me-col-status",
            ]),
            rows: areas_rows,
            map: super::map::areas_geojson(&area_items, &Default::default(), lang),
        },
        Table {
            id: "certifications",
            title: lang.t("me-certifications"),
            headings: heads(&[
                "me-col-scheme",
                "me-col-number",
                "me-col-issued",
                "me-col-expires",
                "me-col-status",
            ]),
            rows: certs_rows,
            map: None,
        },
        Table {
            id: "channels",
            title: lang.t("me-channels"),
            headings: heads(&[
                "me-col-kind",
                "me-col-platform",
                "me-col-shop",
                "me-col-verification",
            ]),
            rows: channels_rows,
            map: None,
        },
    ];
    Ok(tables)
}

/// A record's evidence: its uploaded scan, shown by the registry, and the address it gave.
fn evidence_links(
    lang: Lang,
    id: uuid::Uuid,
    document: Option<uuid::Uuid>,
    url: Option<&str>,
) -> Vec<(String, String, String)> {
    let scan = document.map(|d| {
        (
            format!("/documents/{d}"),
            lang.t("me-document"),
            format!("document-{id}"),
        )
    });
    let link = url.map(|u| {
        (
            u.to_owned(),
            lang.t("me-evidence-link"),
            format!("evidence-{id}"),
        )
    });
    scan.into_iter().chain(link).collect()
}

//! The auditor's work queue (`/queue`): certifications waiting for verification, channels only
//! declared, identity change requests — in the auditor's unit — each with its evidence and one
//! form to decide, answered in place. The decisions are the API's services.

use askama::Template;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::change_requests::dto::{ChangeRequestQuery, RequestStatus};
use crate::domain::{CertStatus, PhotoStatus, Role, VerificationStatus};
use crate::feedback::dto::ReportQuery;
use crate::i18n::Lang;
use crate::pagination::PageParams;
use crate::photos::dto::PhotoQuery;
use crate::{areas, certifications, change_requests, channels, clock, subjects};

/// One thing to decide.
#[derive(Default)]
pub struct Item {
    pub id: Uuid,
    pub version: i32,
    pub subject: String,
    /// The subject's staff page.
    pub subject_id: Uuid,
    pub claim: String,
    pub detail: String,
    pub evidence: Option<String>,
    /// What to look at before verifying (an area's hectares against its polygons): verifying
    /// then takes a reason for it.
    pub warnings: Vec<String>,
    /// What a decision may name as its outcome (a report's revocation or suspension): value,
    /// label.
    pub links: Vec<(String, String)>,
    /// A report's answer is public now: its box starts ticked.
    pub published: bool,
}

/// A tab and how many wait in it.
pub struct Tab {
    pub key: &'static str,
    pub label: String,
    pub count: u64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    chrome: Chrome,
    tab: &'static str,
    tabs: Vec<Tab>,
    items: Vec<Item>,
    today: String,
    done: Option<String>,
    error: Option<String>,
    /// The item a refused decision was about, with what the person typed.
    kept: Option<Kept>,
    prev: Option<String>,
    next: Option<String>,
}

/// What a person typed on a refused decision, given back on its item.
pub struct Kept {
    pub id: Uuid,
    pub reason: String,
    pub date: String,
}

impl QueuePage {
    /// A refusal is said on its item's form when the item is on this page, else above the list.
    fn refused_here(&self) -> bool {
        self.kept
            .as_ref()
            .is_some_and(|k| self.items.iter().any(|i| i.id == k.id))
    }

    fn kept_reason(&self, id: &Uuid) -> &str {
        self.kept
            .as_ref()
            .filter(|k| k.id == *id)
            .map_or("", |k| k.reason.as_str())
    }

    fn kept_date(&self, id: &Uuid) -> &str {
        self.kept
            .as_ref()
            .filter(|k| k.id == *id && !k.date.is_empty())
            .map_or(self.today.as_str(), |k| k.date.as_str())
    }
}

const TABS: [&str; 6] = [
    "certifications",
    "areas",
    "channels",
    "requests",
    "feedback",
    "photos",
];
/// Items a tab shows a page.
const SHOWN: u64 = 50;

pub(super) async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (tab, page_no): (&str, u64),
    done: Option<String>,
    error: Option<String>,
    kept: Option<Kept>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let tab = TABS.into_iter().find(|t| *t == tab).unwrap_or(TABS[0]);
    // The open tab's page of items; of the others, their counts.
    let page = |t: &str| {
        if t == tab {
            PageParams::new(page_no, SHOWN)
        } else {
            PageParams::new(1, 1)
        }
    };
    let certs = certifications::service::list_all(
        db,
        actor,
        Some(CertStatus::Submitted),
        &page("certifications"),
    )
    .await?;
    let area_list =
        areas::service::list_all(db, actor, Some(CertStatus::Submitted), &page("areas")).await?;
    let chans = channels::service::list_all(
        db,
        actor,
        Some(VerificationStatus::Declared),
        &page("channels"),
    )
    .await?;
    let requests = change_requests::service::list(
        db,
        actor,
        &ChangeRequestQuery {
            status: Some(RequestStatus::Pending),
            subject_id: None,
        },
        &page("requests"),
    )
    .await?;
    let open = ReportQuery {
        open: Some(true),
        ..ReportQuery::default()
    };
    let reports = crate::feedback::service::list(db, actor, &open, &page("feedback")).await?;
    let waiting = PhotoQuery {
        status: Some(PhotoStatus::Waiting),
        product_id: None,
    };
    let photos = crate::photos::service::list(db, actor, &waiting, &page("photos")).await?;
    let ids: Vec<Uuid> = match tab {
        "certifications" => certs.items.iter().map(|c| c.subject_id).collect(),
        "areas" => area_list.items.iter().map(|a| a.subject_id).collect(),
        "channels" => chans.items.iter().map(|c| c.subject_id).collect(),
        "feedback" => reports.items.iter().map(|r| r.subject_id).collect(),
        "photos" => photos.items.iter().map(|p| p.subject_id).collect(),
        _ => requests.items.iter().map(|r| r.subject_id).collect(),
    };
    let names = subjects::service::by_ids(db, actor, &ids).await?;
    let name = |id: Uuid| names.get(&id).map(|s| s.name.clone()).unwrap_or_default();
    let items = match tab {
        "certifications" => certs
            .items
            .iter()
            .map(|c| certification_item(lang, name(c.subject_id), c))
            .collect(),
        "feedback" => feedback_items(db, lang, &reports.items, &name).await?,
        "areas" => area_list
            .items
            .iter()
            .map(|a| area_item(lang, name(a.subject_id), a))
            .collect(),
        "channels" => chans
            .items
            .iter()
            .map(|c| channel_item(lang, name(c.subject_id), c))
            .collect(),
        "photos" => photos
            .items
            .iter()
            .map(|p| super::photos::queue_item(lang, name(p.subject_id), p))
            .collect(),
        _ => requests
            .items
            .iter()
            .map(|r| request_item(lang, name(r.subject_id), r))
            .collect(),
    };
    let counts = [
        ("certifications", "queue-certifications", certs.total),
        ("areas", "queue-areas", area_list.total),
        ("channels", "queue-channels", chans.total),
        ("requests", "queue-requests", requests.total),
        ("feedback", "queue-feedback", reports.total),
        ("photos", "queue-photos", photos.total),
    ];
    let pages = counts
        .iter()
        .find(|(key, ..)| *key == tab)
        .map_or(1, |(.., count)| count.div_ceil(SHOWN).max(1));
    let href = |n: u64| format!("/queue?tab={tab}&page={n}");
    let tabs = counts
        .into_iter()
        .map(|(key, label, count)| Tab {
            key,
            label: lang.t(label),
            count,
            href: format!("/queue?tab={key}"),
        })
        .collect();
    Page::render(&QueuePage {
        chrome: viewer.chrome(lang.t("queue-title")),
        tab,
        tabs,
        items,
        today: lang.date(clock::today()),
        done,
        error,
        kept,
        prev: (page_no > 1).then(|| href(page_no.min(pages + 1) - 1)),
        next: (page_no < pages).then(|| href(page_no + 1)),
    })
}

/// A certification waiting for verification, with what the auditor must weigh.
fn certification_item(
    lang: Lang,
    subject: String,
    c: &crate::certifications::dto::CertificationView,
) -> Item {
    Item {
        id: c.id,
        version: c.version,
        subject,
        subject_id: c.subject_id,
        claim: lang.tf(
            "queue-certificate",
            &[
                (
                    "scheme",
                    lang.t_or(&format!("scheme-{}", c.scheme), &c.scheme_name),
                ),
                ("no", c.certificate_no.clone()),
                ("issuer", c.issuer.clone()),
                ("issued", lang.date(c.issued_on)),
                ("expires", lang.date(c.expires_on)),
            ],
        ),
        // What the auditor must weigh: when it came in, whether it has already expired,
        // what the owner changed since a verification, the scheme's doubts.
        detail: {
            let mut d = Vec::new();
            if let Some(e) = c.history.iter().rev().find(|e| e.to == "submitted") {
                d.push(lang.tf("queue-submitted-on", &[("date", lang.date(e.effective_on))]));
            }
            if c.expired {
                d.push(lang.t("queue-expired"));
            }
            if !c.pending_changes.is_empty() {
                d.push(lang.tf(
                    "queue-area-changed",
                    &[("fields", c.pending_changes.join(", "))],
                ));
            }
            d.extend(
                c.warnings
                    .iter()
                    .map(|w| crate::i18n::Msg::Text(w.clone().into()).render(lang)),
            );
            d.join(" · ")
        },
        // The uploaded scan, served by the registry, before any address the owner gave.
        evidence: c
            .evidence_document_id
            .map(|d| format!("/documents/{d}"))
            .or_else(|| c.evidence_url.clone()),
        ..Item::default()
    }
}

/// The public's reports not yet closed: the product, the problem, what the sender wrote and how
/// to reach them, and what a decision may link to.
async fn feedback_items(
    db: &DatabaseConnection,
    lang: Lang,
    reports: &[crate::feedback::dto::ReportView],
    name: &impl Fn(Uuid) -> String,
) -> Result<Vec<Item>, PageError> {
    let mut items = Vec::with_capacity(reports.len());
    for r in reports {
        let mut detail = vec![r.text.clone()];
        if let Some(c) = &r.contact {
            detail.push(lang.tf("queue-report-contact", &[("contact", c.clone())]));
        }
        if let Some(a) = &r.answer {
            detail.push(lang.tf("queue-report-answered", &[("answer", a.clone())]));
        }
        let links = crate::feedback::service::link_options(db, r)
            .await?
            .into_iter()
            .map(|(kind, id, no, on)| {
                let on = on.map(|d| lang.date(d)).unwrap_or_default();
                let label = lang.tf(
                    &format!("queue-report-link-{kind}"),
                    &[("no", no), ("date", on)],
                );
                (format!("{kind}:{id}"), label)
            })
            .collect();
        items.push(Item {
            id: r.id,
            version: r.version,
            subject: name(r.subject_id),
            subject_id: r.subject_id,
            claim: lang.tf(
                "queue-report",
                &[
                    ("product", r.product_name.clone()),
                    ("kind", lang.t(&format!("report-kind-{}", r.kind.code()))),
                    ("date", lang.date(crate::clock::vietnam_date(r.created_at))),
                ],
            ),
            detail: detail.join(" · "),
            links,
            published: r.answer_published,
            evidence: r
                .has_photo
                .then(|| format!("/problem-reports/{}/photo", r.id)),
            ..Item::default()
        });
    }
    Ok(items)
}

/// A channel only declared: the shop and whatever proves it.
fn channel_item(lang: Lang, subject: String, c: &crate::channels::dto::ChannelView) -> Item {
    Item {
        id: c.id,
        version: c.version,
        subject,
        subject_id: c.subject_id,
        claim: lang.tf(
            "queue-channel",
            &[
                ("kind", lang.t(&format!("kind-{}", c.kind.code()))),
                (
                    "platform",
                    lang.t_or(&format!("platform-{}", c.platform), c.platform.code()),
                ),
                (
                    "from",
                    c.active_from
                        .map(|d| lang.date(d))
                        .unwrap_or_else(|| "…".to_owned()),
                ),
            ],
        ),
        detail: c.shop_url.clone().unwrap_or_default(),
        evidence: c
            .evidence_document_id
            .map(|d| format!("/documents/{d}"))
            .or_else(|| c.evidence_url.clone())
            .or_else(|| c.shop_url.clone()),
        ..Item::default()
    }
}

/// A change of identity data a subject's owner asked for.
fn request_item(
    lang: Lang,
    subject: String,
    r: &crate::change_requests::dto::ChangeRequestView,
) -> Item {
    Item {
        id: r.id,
        version: r.version,
        subject,
        subject_id: r.subject_id,
        claim: lang.tf(
            "queue-request",
            &[
                ("date", lang.date(r.effective_on)),
                ("changes", changes_text(&r.changes)),
            ],
        ),
        detail: lang.tf(
            "queue-requested-by",
            &[
                ("who", r.requested_by.clone()),
                ("reason", r.reason.clone()),
            ],
        ),
        evidence: None,
        ..Item::default()
    }
}

/// An area waiting for verification, with what to look at first.
fn area_item(lang: Lang, subject: String, a: &crate::areas::dto::AreaView) -> Item {
    Item {
        id: a.id,
        version: a.version,
        subject,
        subject_id: a.subject_id,
        claim: area_claim(lang, a),
        // What changed since the last verification, when the owner edited it.
        detail: if a.pending_changes.is_empty() {
            String::new()
        } else {
            lang.tf(
                "queue-area-changed",
                &[("fields", a.pending_changes.join(", "))],
            )
        },
        evidence: a.evidence_document_id.map(|d| format!("/documents/{d}")),
        warnings: a.warnings.iter().map(|w| w.message(lang)).collect(),
        ..Item::default()
    }
}

/// `Vùng Quế Trà Mai, 12,5 ha quế, đất thuê, hiệu lực từ …` with its contract when linked.
fn area_claim(lang: Lang, a: &crate::areas::dto::AreaView) -> String {
    let mut text = lang.tf(
        "queue-area",
        &[
            ("name", a.name.clone()),
            ("ha", lang.decimal(&a.area_ha)),
            ("material", a.material.clone()),
            ("tenure", lang.t(&format!("tenure-{}", a.tenure.code()))),
            (
                "from",
                a.valid_from
                    .map(|d| lang.date(d))
                    .unwrap_or_else(|| "…".to_owned()),
            ),
        ],
    );
    if let Some(l) = &a.linkage {
        text.push_str("; ");
        text.push_str(&lang.tf(
            "queue-contract",
            &[
                ("no", l.contract_no.clone()),
                ("counterparty", l.counterparty.clone()),
                ("start", lang.date(l.start_on)),
                ("end", lang.date(l.end_on)),
            ],
        ));
    }
    if let Some(code) = &a.growing_area_code {
        text.push_str("; ");
        text.push_str(code);
    }
    text
}

/// `name: Tên mới, tax_code: …` from a change request's fields.
fn changes_text(changes: &serde_json::Value) -> String {
    changes
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {s}"),
                    other => format!("{k}: {other}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The queue, one tab open.
#[get("/queue?<tab>&<page>&<done>")]
pub async fn queue(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    tab: Option<&str>,
    page: Option<u64>,
    done: Option<&str>,
) -> Result<Page, PageError> {
    let done = done
        .filter(|d| {
            [
                "verified",
                "rejected",
                "suspended",
                "approved",
                "answered",
                "closed",
            ]
            .contains(d)
        })
        .map(|d| {
            viewer.lang.tf(
                "queue-done",
                &[("what", viewer.lang.t(&format!("status-{d}")))],
            )
        });
    render(
        db.inner(),
        &viewer,
        (tab.unwrap_or("certifications"), page.unwrap_or(1).max(1)),
        done,
        None,
        None,
    )
    .await
}

//! The auditor's work queue (`/queue`): certifications waiting for verification, channels only
//! declared, identity change requests — in the auditor's unit — each with its evidence and one
//! form to decide, answered in place. The decisions are the API's services.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Either, State, get, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::change_requests::dto::{
    ChangeRequestQuery, DecideChangeRequest, Decision, RequestStatus,
};
use crate::channels::dto::{RejectChannel, VerifyChannel};
use crate::domain::{CertStatus, Role, VerificationStatus};
use crate::error::AppError;
use crate::http::IfMatch;
use crate::i18n::{Lang, parse_date};
use crate::lifecycle::TransitionInput;
use crate::pagination::PageParams;
use crate::{areas, certifications, change_requests, channels, clock, subjects};

/// One thing to decide.
pub struct Item {
    pub id: Uuid,
    pub version: i32,
    pub subject: String,
    /// The subject's staff page.
    pub subject_id: Uuid,
    pub claim: String,
    pub detail: String,
    pub evidence: Option<String>,
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
}

/// What a person typed on a refused decision, given back on its item.
pub struct Kept {
    pub id: Uuid,
    pub reason: String,
    pub date: String,
}

impl QueuePage {
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

const TABS: [&str; 4] = ["certifications", "areas", "channels", "requests"];
const SHOWN: u64 = 100;

async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    tab: &str,
    done: Option<String>,
    error: Option<String>,
    kept: Option<Kept>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let page = PageParams::new(1, SHOWN);
    let certs =
        certifications::service::list_all(db, actor, Some(CertStatus::Submitted), &page).await?;
    let area_list = areas::service::list_all(db, actor, Some(CertStatus::Submitted), &page).await?;
    let chans =
        channels::service::list_all(db, actor, Some(VerificationStatus::Declared), &page).await?;
    let requests = change_requests::service::list(
        db,
        actor,
        &ChangeRequestQuery {
            status: Some(RequestStatus::Pending),
            subject_id: None,
        },
        &page,
    )
    .await?;
    let tab = TABS.into_iter().find(|t| *t == tab).unwrap_or(TABS[0]);
    let ids: Vec<Uuid> = match tab {
        "certifications" => certs.items.iter().map(|c| c.subject_id).collect(),
        "areas" => area_list.items.iter().map(|a| a.subject_id).collect(),
        "channels" => chans.items.iter().map(|c| c.subject_id).collect(),
        _ => requests.items.iter().map(|r| r.subject_id).collect(),
    };
    let names = subjects::service::by_ids(db, actor, &ids).await?;
    let name = |id: Uuid| names.get(&id).map(|s| s.name.clone()).unwrap_or_default();
    let items = match tab {
        "certifications" => certs
            .items
            .iter()
            .map(|c| Item {
                id: c.id,
                version: c.version,
                subject: name(c.subject_id),
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
                        d.push(
                            lang.tf("queue-submitted-on", &[("date", lang.date(e.effective_on))]),
                        );
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
            })
            .collect(),
        "areas" => area_list
            .items
            .iter()
            .map(|a| Item {
                id: a.id,
                version: a.version,
                subject: name(a.subject_id),
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
            })
            .collect(),
        "channels" => chans
            .items
            .iter()
            .map(|c| Item {
                id: c.id,
                version: c.version,
                subject: name(c.subject_id),
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
            })
            .collect(),
        _ => requests
            .items
            .iter()
            .map(|r| Item {
                id: r.id,
                version: r.version,
                subject: name(r.subject_id),
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
            })
            .collect(),
    };
    let tabs = [
        ("certifications", "queue-certifications", certs.total),
        ("areas", "queue-areas", area_list.total),
        ("channels", "queue-channels", chans.total),
        ("requests", "queue-requests", requests.total),
    ]
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
    })
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
#[get("/queue?<tab>&<done>")]
pub async fn queue(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    tab: Option<&str>,
    done: Option<&str>,
) -> Result<Page, PageError> {
    let done = done
        .filter(|d| ["verified", "rejected", "suspended", "approved"].contains(d))
        .map(|d| {
            viewer.lang.tf(
                "queue-done",
                &[("what", viewer.lang.t(&format!("status-{d}")))],
            )
        });
    render(
        db.inner(),
        &viewer,
        tab.unwrap_or("certifications"),
        done,
        None,
        None,
    )
    .await
}

/// A decision as the form sends it.
#[derive(FromForm)]
pub struct DecisionForm<'r> {
    csrf: &'r str,
    version: i32,
    /// `verified`, `rejected`, `suspended` (certifications), `approve` / `reject` (requests).
    action: &'r str,
    reason: Option<&'r str>,
    effective_on: Option<&'r str>,
}

type Answer = Result<Either<Redirect, (Status, Page)>, PageError>;

/// After a decision: back to the tab with what was done; a refusal is shown on the queue.
async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (tab, id, form): (&str, Uuid, &DecisionForm<'_>),
    result: Result<&'static str, AppError>,
) -> Answer {
    let lang = viewer.lang;
    let message = match result {
        Ok(done) => {
            return Ok(Either::Left(Redirect::to(format!(
                "/queue?tab={tab}&done={done}"
            ))));
        }
        Err(AppError::PreconditionFailed(_)) => lang.t("queue-stale"),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict(_) | AppError::BadRequest { .. }),
        ) => lang.tf(
            "queue-conflict",
            &[("message", super::page::error_detail(&e, lang))],
        ),
        Err(e) => return Err(e.into()),
    };
    let kept = Kept {
        id,
        reason: form.reason.unwrap_or_default().to_owned(),
        date: form.effective_on.unwrap_or_default().to_owned(),
    };
    let page = render(db, viewer, tab, None, Some(message), Some(kept)).await?;
    Ok(Either::Right((Status::UnprocessableEntity, page)))
}

fn effective(lang: Lang, raw: Option<&str>) -> Result<chrono::NaiveDate, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(clock::today()),
        Some(s) => {
            parse_date(s).ok_or_else(|| AppError::invalid("effective_on", lang.t("date-invalid")))
        }
    }
}

/// The move a decision form asks for on a certification or an area.
fn lifecycle_input(lang: Lang, form: &DecisionForm<'_>) -> Result<TransitionInput, AppError> {
    let to = match form.action {
        "verified" => CertStatus::Verified,
        "rejected" => CertStatus::Rejected,
        "suspended" => CertStatus::Suspended,
        _ => {
            return Err(AppError::invalid(
                "action",
                "verified, rejected or suspended",
            ));
        }
    };
    let input = TransitionInput {
        to,
        reason: form.reason.unwrap_or_default().to_owned(),
        effective_on: effective(lang, form.effective_on)?,
        evidence_document_id: None,
    };
    input.validate()?;
    Ok(input)
}

/// Verify, reject or suspend a submitted certification.
#[post("/queue/certifications/<id>", data = "<form>")]
pub async fn decide_certification(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let input = lifecycle_input(viewer.lang, &form)?;
        let to = input.to;
        certifications::service::transition(
            db.inner(),
            &session.actor,
            id,
            IfMatch(Some(form.version)),
            input,
        )
        .await?;
        Ok(to.code())
    }
    .await;
    answer(db.inner(), &viewer, ("certifications", id, &form), result).await
}

/// Verify, reject or suspend a submitted raw-material area (with its linkage contract).
#[post("/queue/areas/<id>", data = "<form>")]
pub async fn decide_area(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let input = lifecycle_input(viewer.lang, &form)?;
        let to = input.to;
        areas::service::transition(
            db.inner(),
            &session.actor,
            id,
            IfMatch(Some(form.version)),
            input,
        )
        .await?;
        Ok(to.code())
    }
    .await;
    answer(db.inner(), &viewer, ("areas", id, &form), result).await
}

/// Verify or reject a declared channel.
#[post("/queue/channels/<id>", data = "<form>")]
pub async fn decide_channel(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        if form.action == "rejected" {
            let input = RejectChannel {
                reason: form.reason.unwrap_or_default().to_owned(),
                effective_on: effective(viewer.lang, form.effective_on)?,
            };
            input.validate()?;
            channels::service::reject(
                db.inner(),
                &session.actor,
                id,
                IfMatch(Some(form.version)),
                input,
            )
            .await?;
            return Ok("rejected");
        }
        if form.action != "verified" {
            return Err(AppError::invalid("action", "verified or rejected"));
        }
        let input = VerifyChannel {
            verified_on: effective(viewer.lang, form.effective_on)?,
            note: form
                .reason
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        input.validate()?;
        channels::service::verify(
            db.inner(),
            &session.actor,
            id,
            IfMatch(Some(form.version)),
            input,
        )
        .await?;
        Ok("verified")
    }
    .await;
    answer(db.inner(), &viewer, ("channels", id, &form), result).await
}

/// Approve or reject an identity change request.
#[post("/queue/requests/<id>", data = "<form>")]
pub async fn decide_request(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let decision = match form.action {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject,
            _ => return Err(AppError::invalid("action", "approve or reject")),
        };
        let input = DecideChangeRequest {
            decision,
            reason: form.reason.unwrap_or_default().to_owned(),
        };
        input.validate()?;
        change_requests::service::decide(db.inner(), &session.actor, id, input).await?;
        Ok(if decision == Decision::Approve {
            "approved"
        } else {
            "rejected"
        })
    }
    .await;
    answer(db.inner(), &viewer, ("requests", id, &form), result).await
}

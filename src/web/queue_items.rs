//! The queue's items: what each kind of waiting record shows an auditor before a decision.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::page::PageError;
use crate::domain::TrackedStatus;
use crate::i18n::Lang;

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

/// A certification waiting for verification, with what the auditor must weigh.
pub(super) fn certification_item(
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
            if let Some(e) = c
                .history
                .iter()
                .rev()
                .find(|e| e.to == TrackedStatus::Submitted)
            {
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
pub(super) async fn feedback_items(
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
pub(super) fn channel_item(
    lang: Lang,
    subject: String,
    c: &crate::channels::dto::ChannelView,
) -> Item {
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
pub(super) fn request_item(
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
pub(super) fn area_item(lang: Lang, subject: String, a: &crate::areas::dto::AreaView) -> Item {
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

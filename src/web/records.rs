//! A subject's records as tables — products with their recognitions, raw-material areas,
//! certifications and channels — for the owner's own page (`/me`, each record linked to its
//! form, a shop offered to connect) and for staff's file of a subject (each record waiting for
//! them linked to its place in the queue, a standing recognition to its revocation).

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::owner_specs::OwnerForm;
use crate::auth::Actor;
use crate::domain::{CertStatus, VerificationStatus};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::{areas, certifications, channels, products};

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
    pub links: Vec<Link>,
    pub actions: Vec<Action>,
}

/// `(href, label, id)`.
pub type Link = (String, String, String);

/// A button that posts the page's anti-forgery token to `action`.
pub struct Action {
    pub action: String,
    pub label: String,
    pub id: String,
}

/// Who reads the tables, and so what a row links to.
#[derive(Clone, Copy)]
struct Reader {
    lang: Lang,
    /// The owner on its own page; else staff.
    owner: bool,
}

impl Reader {
    fn label(self, prefix: &str, code: &str) -> String {
        self.lang.t(&format!("{prefix}-{code}"))
    }

    fn date(self, d: chrono::NaiveDate) -> String {
        self.lang.date(d)
    }

    /// The owner edits its record on its page.
    fn edit(self, form: OwnerForm, record: Uuid) -> Option<Link> {
        self.owner.then(|| {
            (
                format!("/me?edit={form}:{record}#form-edit"),
                self.lang.t("me-edit"),
                format!("edit-{record}"),
            )
        })
    }

    /// Staff decide from the file: a record waiting for them opens on its item in the queue
    /// (its scan beside it).
    fn review(self, tab: &str, record: Uuid, waiting: bool) -> Option<Link> {
        (!self.owner && waiting).then(|| {
            (
                format!("/queue?tab={tab}#item-{record}"),
                self.lang.t("subject-review"),
                format!("review-{record}"),
            )
        })
    }

    /// A record's evidence: its uploaded scan, shown by the registry, and the address it gave.
    fn evidence(self, id: Uuid, document: Option<Uuid>, url: Option<&str>) -> Vec<Link> {
        let scan = document.map(|d| {
            (
                format!("/documents/{d}"),
                self.lang.t("me-document"),
                format!("document-{id}"),
            )
        });
        let link = url.map(|u| {
            (
                u.to_owned(),
                self.lang.t("me-evidence-link"),
                format!("evidence-{id}"),
            )
        });
        scan.into_iter().chain(link).collect()
    }

    fn table(
        self,
        id: &'static str,
        title: &str,
        headings: &[&str],
        rows: Vec<Row>,
        map: Option<String>,
    ) -> Table {
        Table {
            id,
            title: self.lang.t(title),
            headings: headings.iter().map(|k| self.lang.t(k)).collect(),
            rows,
            map,
        }
    }
}

/// The subject's records as tables. The owner's own page (`owner`) links each record's form and
/// offers to connect a shop; staff pages show the same records with their documents.
pub async fn records(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    lang: Lang,
    owner: bool,
) -> Result<Vec<Table>, AppError> {
    let all = PageParams::new(1, MAX_PER_PAGE);
    let r = Reader { lang, owner };
    let area_items = areas::service::list(db, actor, id, &all).await?.items;
    let certs = certifications::service::list(db, actor, id, &all)
        .await?
        .items;
    let channel_items = channels::service::list(db, actor, id, &all).await?.items;
    Ok(vec![
        r.table(
            "products",
            "me-products",
            &[
                "me-col-product",
                "me-col-group",
                "me-col-stars",
                "me-col-decision",
                "me-col-valid-until",
                "me-col-status",
            ],
            product_rows(db, actor, r, id).await?,
            None,
        ),
        r.table(
            "areas",
            "me-areas",
            &[
                "me-col-area",
                "me-col-material",
                "me-col-hectares",
                "me-col-tenure",
                "me-col-contract",
                "me-col-status",
            ],
            area_items.iter().map(|a| area_row(r, a)).collect(),
            super::map::areas_geojson(&area_items, &Default::default(), lang),
        ),
        r.table(
            "certifications",
            "me-certifications",
            &[
                "me-col-scheme",
                "me-col-number",
                "me-col-issued",
                "me-col-expires",
                "me-col-status",
            ],
            certs.into_iter().map(|c| certification_row(r, c)).collect(),
            None,
        ),
        r.table(
            "channels",
            "me-channels",
            &[
                "me-col-kind",
                "me-col-platform",
                "me-col-shop",
                "me-col-verification",
            ],
            channel_rows(db, r, channel_items).await?,
            None,
        ),
    ])
}

/// A product per row with its first recognition, then a row per further recognition; staff may
/// revoke a standing one.
async fn product_rows(
    db: &DatabaseConnection,
    actor: &Actor,
    r: Reader,
    subject_id: Uuid,
) -> Result<Vec<Row>, AppError> {
    let all = PageParams::new(1, MAX_PER_PAGE);
    let mut rows = Vec::new();
    for p in products::service::list(db, actor, subject_id, &all)
        .await?
        .items
    {
        let recognitions = products::service::list_recognitions(db, actor, p.id, &all)
            .await?
            .items;
        let mut product_link: Vec<_> = r.edit(OwnerForm::Product, p.id).into_iter().collect();
        product_link.extend(super::photos::product_links(db, r.owner, r.lang, p.id).await?);
        let group = r.label("product-group", p.group.code());
        if recognitions.is_empty() {
            rows.push(Row {
                links: product_link.clone(),
                actions: Vec::new(),
                cells: vec![
                    p.name.clone(),
                    group.clone(),
                    r.lang.t("me-not-recognised"),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            });
        }
        for (i, rec) in recognitions.into_iter().enumerate() {
            let status: &'static str = rec.status.into();
            // Staff decide from the file: a standing recognition opens the revocation form.
            let revoke = (!r.owner && rec.revoked_on.is_none()).then(|| {
                (
                    format!("/subjects/{subject_id}?revoke={}#form-revoke", rec.id),
                    r.lang.t("subject-revoke"),
                    format!("revoke-{}", rec.id),
                )
            });
            rows.push(Row {
                links: if i == 0 {
                    product_link.clone().into_iter().chain(revoke).collect()
                } else {
                    revoke.into_iter().collect()
                },
                actions: Vec::new(),
                cells: vec![
                    p.name.clone(),
                    group.clone(),
                    r.lang.tf("me-stars", &[("stars", rec.stars.to_string())]),
                    format!("{} · {}", rec.decision_no, r.date(rec.decision_date)),
                    // Its last day.
                    r.date(rec.valid_until.pred_opt().unwrap_or(rec.valid_until)),
                    r.label("recognition-status", status),
                ],
            });
        }
    }
    Ok(rows)
}

fn area_row(r: Reader, a: &areas::dto::AreaView) -> Row {
    // Where the auditor stands on it, with the reason of a refusal.
    let status = r.label("cert-status", a.status.code());
    let status = match a.history.last().and_then(|e| e.reason.clone()) {
        Some(reason) if a.status != CertStatus::Submitted && a.status != CertStatus::Verified => {
            format!("{status}: {reason}")
        }
        _ => status,
    };
    Row {
        links: r
            .edit(OwnerForm::Area, a.id)
            .into_iter()
            .chain(r.review("areas", a.id, a.status == CertStatus::Submitted))
            .collect(),
        actions: Vec::new(),
        cells: vec![
            a.name.clone(),
            a.material.clone(),
            a.hectares_shown(r.lang),
            r.label("tenure", a.tenure.code()),
            a.linkage
                .as_ref()
                .map(|l| format!("{} · {}", l.contract_no, r.date(l.end_on)))
                .unwrap_or_default(),
            status,
        ],
    }
}

fn certification_row(r: Reader, c: certifications::dto::CertificationView) -> Row {
    Row {
        links: r
            .evidence(c.id, c.evidence_document_id, c.evidence_url.as_deref())
            .into_iter()
            .chain(r.edit(OwnerForm::Certification, c.id))
            .chain(r.review("certifications", c.id, c.status == CertStatus::Submitted))
            .collect(),
        cells: vec![
            r.lang.t_or(&format!("scheme-{}", c.scheme), &c.scheme_name),
            c.certificate_no,
            r.date(c.issued_on),
            r.date(c.expires_on),
            if c.expired {
                r.lang.t("me-expired")
            } else {
                r.label("cert-status", c.status.code())
            },
        ],
        actions: Vec::new(),
    }
}

/// A channel per row; the owner connects a marketplace shop from it, or disconnects one.
async fn channel_rows(
    db: &DatabaseConnection,
    r: Reader,
    items: Vec<channels::dto::ChannelView>,
) -> Result<Vec<Row>, AppError> {
    let mut rows = Vec::new();
    for c in items {
        // Shopee and Lazada shops connect through the marketplace; a connected one shows it.
        let connection = crate::sync::connection::connection_of(db, c.id).await?;
        let managed = connection
            .as_ref()
            .map(|k| k.managed_by == crate::sync::dto::ManagedBy::Registry);
        let connectable = c.platform.connector().is_some_and(|k| k.is_marketplace());
        let action = |verb: &str, key: &str| Action {
            action: format!("/me/channels/{}/{verb}", c.id),
            label: r.lang.t(key),
            id: format!("{verb}-{}", c.id),
        };
        let actions = match managed {
            _ if !r.owner => Vec::new(),
            Some(_) => vec![action("disconnect", "me-disconnect")],
            None if connectable => vec![action("connect", "me-connect")],
            None => Vec::new(),
        };
        let mut verification = r.label("verification", c.verification.status.code());
        if managed == Some(true) {
            verification = format!("{verification} · {}", r.lang.t("me-connected-by-registry"));
        }
        rows.push(Row {
            cells: vec![
                r.label("kind", c.kind.code()),
                r.lang
                    .t_or(&format!("platform-{}", c.platform), c.platform.code()),
                c.shop_url.or(c.shop_id).unwrap_or_default(),
                verification,
            ],
            links: r
                .evidence(c.id, c.evidence_document_id, c.evidence_url.as_deref())
                .into_iter()
                .chain(r.edit(OwnerForm::Channel, c.id))
                .chain(r.review(
                    "channels",
                    c.id,
                    c.verification.status == VerificationStatus::Declared,
                ))
                .collect(),
            actions,
        });
    }
    Ok(rows)
}

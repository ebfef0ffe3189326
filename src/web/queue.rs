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
use crate::pagination::PageParams;
use crate::photos::dto::PhotoQuery;
use crate::{areas, certifications, change_requests, channels, clock, subjects};

pub use super::queue_items::Item;
use super::queue_items::{
    area_item, certification_item, channel_item, feedback_items, request_item,
};

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
    page_no: u64,
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
        page_no,
        prev: (page_no > 1).then(|| href(page_no.min(pages + 1) - 1)),
        next: (page_no < pages).then(|| href(page_no + 1)),
    })
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

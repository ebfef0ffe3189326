//! The auditor's work queue (`/queue`): certifications waiting for verification, channels only
//! declared, identity change requests — in the auditor's unit — each with its evidence and one
//! form to decide, answered in place. The decisions are the API's services.

use askama::Template;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use strum::IntoEnumIterator;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::areas::dto::AreaView;
use crate::auth::Actor;
use crate::certifications::dto::CertificationView;
use crate::change_requests::dto::{ChangeRequestQuery, ChangeRequestView, RequestStatus};
use crate::channels::dto::ChannelView;
use crate::domain::{CertStatus, PhotoStatus, Role, VerificationStatus};
use crate::feedback::dto::{ReportQuery, ReportView};
use crate::i18n::Lang;
use crate::pagination::{PageParams, Paginated};
use crate::photos::dto::{PhotoQuery, PhotoView};
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

crate::domain::code_enum!(
    /// The queue's tabs, in the order the page shows them; the code names a tab in its links
    /// (`/queue?tab=areas`) and its decisions' paths (`/queue/areas/{id}`).
    QueueTab { Certifications, Areas, Channels, Requests, Feedback, Photos }
);

impl QueueTab {
    /// The tab a link names; the first for a name it does not know.
    fn named(tab: Option<&str>) -> QueueTab {
        tab.and_then(|t| t.parse().ok())
            .unwrap_or(QueueTab::Certifications)
    }

    /// Its heading's words.
    fn label(self) -> String {
        format!("queue-{self}")
    }
}

/// What waits for the person, a page of the open tab and only the count of the others.
struct Waiting {
    certifications: Paginated<CertificationView>,
    areas: Paginated<AreaView>,
    channels: Paginated<ChannelView>,
    requests: Paginated<ChangeRequestView>,
    feedback: Paginated<ReportView>,
    photos: Paginated<PhotoView>,
}

impl Waiting {
    async fn load(
        db: &DatabaseConnection,
        actor: &Actor,
        tab: QueueTab,
        page_no: u64,
    ) -> Result<Waiting, PageError> {
        let page = |t: QueueTab| {
            if t == tab {
                PageParams::new(page_no, SHOWN)
            } else {
                PageParams::new(1, 1)
            }
        };
        let submitted = Some(CertStatus::Submitted);
        let pending = ChangeRequestQuery {
            status: Some(RequestStatus::Pending),
            subject_id: None,
        };
        let open = ReportQuery {
            open: Some(true),
            ..ReportQuery::default()
        };
        let in_review = PhotoQuery {
            status: Some(PhotoStatus::Waiting),
            product_id: None,
        };
        Ok(Waiting {
            certifications: certifications::service::list_all(
                db,
                actor,
                submitted,
                &page(QueueTab::Certifications),
            )
            .await?,
            areas: areas::service::list_all(db, actor, submitted, &page(QueueTab::Areas)).await?,
            channels: channels::service::list_all(
                db,
                actor,
                Some(VerificationStatus::Declared),
                &page(QueueTab::Channels),
            )
            .await?,
            requests: change_requests::service::list(
                db,
                actor,
                &pending,
                &page(QueueTab::Requests),
            )
            .await?,
            feedback: crate::feedback::service::list(db, actor, &open, &page(QueueTab::Feedback))
                .await?,
            photos: crate::photos::service::list(db, actor, &in_review, &page(QueueTab::Photos))
                .await?,
        })
    }

    /// How many wait in a tab.
    fn total(&self, tab: QueueTab) -> u64 {
        match tab {
            QueueTab::Certifications => self.certifications.total,
            QueueTab::Areas => self.areas.total,
            QueueTab::Channels => self.channels.total,
            QueueTab::Requests => self.requests.total,
            QueueTab::Feedback => self.feedback.total,
            QueueTab::Photos => self.photos.total,
        }
    }

    /// The subjects of a tab's page.
    fn subject_ids(&self, tab: QueueTab) -> Vec<Uuid> {
        match tab {
            QueueTab::Certifications => self
                .certifications
                .items
                .iter()
                .map(|c| c.subject_id)
                .collect(),
            QueueTab::Areas => self.areas.items.iter().map(|a| a.subject_id).collect(),
            QueueTab::Channels => self.channels.items.iter().map(|c| c.subject_id).collect(),
            QueueTab::Requests => self.requests.items.iter().map(|r| r.subject_id).collect(),
            QueueTab::Feedback => self.feedback.items.iter().map(|r| r.subject_id).collect(),
            QueueTab::Photos => self.photos.items.iter().map(|p| p.subject_id).collect(),
        }
    }

    /// A tab's page as items to decide, each named by its subject.
    async fn items(
        &self,
        db: &DatabaseConnection,
        lang: Lang,
        tab: QueueTab,
        name: &(impl Fn(Uuid) -> String + Sync),
    ) -> Result<Vec<Item>, PageError> {
        Ok(match tab {
            QueueTab::Certifications => self
                .certifications
                .items
                .iter()
                .map(|c| certification_item(lang, name(c.subject_id), c))
                .collect(),
            QueueTab::Feedback => feedback_items(db, lang, &self.feedback.items, name).await?,
            QueueTab::Areas => self
                .areas
                .items
                .iter()
                .map(|a| area_item(lang, name(a.subject_id), a))
                .collect(),
            QueueTab::Channels => self
                .channels
                .items
                .iter()
                .map(|c| channel_item(lang, name(c.subject_id), c))
                .collect(),
            QueueTab::Photos => self
                .photos
                .items
                .iter()
                .map(|p| super::photos::queue_item(lang, name(p.subject_id), p))
                .collect(),
            QueueTab::Requests => self
                .requests
                .items
                .iter()
                .map(|r| request_item(lang, name(r.subject_id), r))
                .collect(),
        })
    }
}

/// Items a tab shows a page.
const SHOWN: u64 = 50;

pub(super) async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (tab, page_no): (QueueTab, u64),
    done: Option<String>,
    error: Option<String>,
    kept: Option<Kept>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let waiting = Waiting::load(db, actor, tab, page_no).await?;
    let names = subjects::service::by_ids(db, actor, &waiting.subject_ids(tab)).await?;
    let name = |id: Uuid| names.get(&id).map(|s| s.name.clone()).unwrap_or_default();
    let items = waiting.items(db, lang, tab, &name).await?;
    let pages = waiting.total(tab).div_ceil(SHOWN).max(1);
    let href = |n: u64| format!("/queue?tab={tab}&page={n}");
    let tabs = QueueTab::iter()
        .map(|t| Tab {
            key: t.code(),
            label: lang.t(&t.label()),
            count: waiting.total(t),
            href: format!("/queue?tab={t}"),
        })
        .collect();
    Page::render(&QueuePage {
        chrome: viewer.chrome(lang.t("queue-title")),
        tab: tab.code(),
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
        (QueueTab::named(tab), page.unwrap_or(1).max(1)),
        done,
        None,
        None,
    )
    .await
}

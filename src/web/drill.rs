//! The drill-down's query: who counts and who does not for one indicator, as typed in its form
//! or its links, checked once for the list, its pages and its download.

use askama::Template;
use chrono::NaiveDate;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use strum::IntoEnumIterator;
use uuid::Uuid;

use super::dashboard::as_download;
use super::figures::href;
use super::page::{Chrome, Page, PageError, Viewer};
use crate::auth::Actor;
use crate::domain::{EvidencedBy, Role};
use crate::error::AppError;
use crate::export::Download;
use crate::history::Known;
use crate::i18n::{Lang, parse_date, parse_moment};
use crate::indicators::dto::{
    ExplainQuery, ExplanationPage, Gap, IndicatorKey, SubjectExplanation, SubjectOrder,
};
use crate::pagination::PageParams;
use crate::{clock, indicators, subjects, units};

/// Per page of the drill-down.
pub(super) const PER_PAGE: u64 = 50;

/// The drill-down's query, as typed in its form or its links.
#[derive(rocket::FromForm)]
pub struct DrillQuery<'r> {
    pub(super) unit: &'r str,
    pub(super) date: Option<&'r str>,
    pub(super) indicator: Option<&'r str>,
    pub(super) counts: Option<&'r str>,
    pub(super) gap: Option<&'r str>,
    pub(super) page: Option<u64>,
    /// `csv` or `xlsx` for the download.
    pub(super) format: Option<&'r str>,
    /// As known at (`01/07/2025 09:30`, Việt Nam's time).
    pub(super) known: Option<&'r str>,
    /// `name` (default) or `commune`.
    pub(super) sort: Option<&'r str>,
}

/// A drill-down query checked: the unit of the date, the date, the indicator, the filters.
pub(super) struct Drill {
    pub(super) unit: entity::unit::Model,
    pub(super) day: NaiveDate,
    /// As typed, and as RFC 3339.
    pub(super) known: Option<(String, String)>,
    pub(super) key: IndicatorKey,
    pub(super) counts: Option<bool>,
    pub(super) gap: Option<Gap>,
    pub(super) by_commune: bool,
    pub(super) page: u64,
}

impl Drill {
    pub(super) async fn parse(
        db: &DatabaseConnection,
        lang: Lang,
        q: &DrillQuery<'_>,
    ) -> Result<Drill, PageError> {
        let day = match q.date.filter(|d| !d.trim().is_empty()) {
            None => clock::today(),
            Some(d) => {
                parse_date(d).ok_or_else(|| AppError::invalid("date", lang.t("date-invalid")))?
            }
        };
        let key = match q.indicator {
            Some("value_chain") => IndicatorKey::ValueChain,
            None | Some("modern_channel") => IndicatorKey::ModernChannel,
            Some(_) => {
                return Err(AppError::invalid("indicator", "value_chain or modern_channel").into());
            }
        };
        let counts = match q.counts {
            Some("true") => Some(true),
            Some("false") => Some(false),
            None | Some("") => None,
            Some(_) => return Err(AppError::invalid("counts", "true or false").into()),
        };
        let gap = match q.gap.filter(|g| !g.is_empty()) {
            None => None,
            Some(g) => Some(
                Gap::iter()
                    .find(|x| x.code() == g)
                    .ok_or_else(|| AppError::invalid("gap", "not a known reason"))?,
            ),
        };
        let known =
            moment(lang, q.known)?.map(|m| (q.known.unwrap_or_default().trim().to_owned(), m));
        Ok(Drill {
            unit: units::service::by_code_on(db, q.unit, day).await?,
            day,
            known,
            key,
            counts,
            gap,
            by_commune: match q.sort {
                None | Some("") | Some("name") => false,
                Some("commune") => true,
                Some(_) => return Err(AppError::invalid("sort", "name or commune").into()),
            },
            page: q.page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE),
        })
    }

    /// The knowledge time asked for (now when none), refused as the API refuses it.
    pub(super) fn known_at(&self) -> Result<Known, AppError> {
        Known::asked(self.known.as_ref().map(|(_, m)| m.as_str()), "known_at")
    }

    /// This drill's page of explained subjects.
    pub(super) async fn explained(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
    ) -> Result<ExplanationPage, PageError> {
        let page = PageParams::new(self.page, PER_PAGE);
        let query = (&self.explain_query(), self.known_at()?);
        Ok(indicators::service::explain(db, actor, query, &page).await?)
    }

    pub(super) fn explain_query(&self) -> ExplainQuery {
        ExplainQuery {
            unit_id: self.unit.id,
            as_of: self.day,
            indicator: Some(self.key),
            counts: self.counts,
            gap: self.gap,
            sort: Some(if self.by_commune {
                SubjectOrder::Commune
            } else {
                SubjectOrder::Name
            }),
            policy_version: None,
            known_at: None,
            format: None,
            lang: None,
        }
    }

    /// The link to this list with other page or format.
    pub(super) fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let counts = self.counts.map_or(String::new(), |c| c.to_string());
        let mut pairs = vec![
            ("unit", self.unit.code.as_str()),
            (
                "known",
                self.known.as_ref().map_or("", |(typed, _)| typed.as_str()),
            ),
            ("date", ""),
            ("indicator", self.key.code()),
            ("counts", counts.as_str()),
            ("gap", self.gap.map_or("", Gap::code)),
            ("sort", if self.by_commune { "commune" } else { "" }),
        ];
        let iso = self.day.to_string();
        pairs[2].1 = &iso;
        pairs.extend_from_slice(extra);
        href(path, &pairs)
    }
}

/// A knowledge time typed in a page, as Vietnamese write it (`01/07/2025 09:30`) or RFC 3339:
/// the moment it names (`None` when left empty), or the page's refusal naming `known`. Whether
/// it is past is the API's rule ([`Known::asked`]), checked where the figures are read.
pub(super) fn moment(lang: Lang, typed: Option<&str>) -> Result<Option<String>, PageError> {
    match typed.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => parse_moment(k)
            .map(Some)
            .ok_or_else(|| AppError::invalid("known", lang.t("known-at-invalid")).into()),
    }
}

/// A subject in the drill-down.
pub struct SubjectRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub commune: String,
    pub representative: String,
    pub phone: String,
    pub address: String,
    pub counts: bool,
    /// What is missing and what to do about it.
    pub gaps: Vec<(String, String)>,
    pub evidence: Vec<String>,
    /// The engine's sentences, with the particulars (dates, numbers).
    pub details: Vec<String>,
}

#[derive(Template)]
#[template(path = "subjects.html")]
struct SubjectsPage {
    chrome: Chrome,
    heading: String,
    back: String,
    unit_code: String,
    date_iso: String,
    indicator: &'static str,
    known: String,
    counts: String,
    gap: String,
    by_commune: bool,
    gap_options: Vec<(&'static str, String)>,
    rows: Vec<SubjectRow>,
    paging: String,
    prev: Option<String>,
    next: Option<String>,
    csv_href: String,
    xlsx_href: String,
}

fn explanation_of(
    e: &SubjectExplanation,
    key: IndicatorKey,
) -> (bool, &[Gap], &[crate::indicators::notes::Note]) {
    let (counts, notes) = match key {
        IndicatorKey::ValueChain => e
            .value_chain
            .as_ref()
            .map_or((false, &[][..]), |v| (v.counts, &v.notes[..])),
        IndicatorKey::ModernChannel => e
            .modern_channel
            .as_ref()
            .map_or((false, &[][..]), |v| (v.counts, &v.notes[..])),
    };
    (counts, indicators::service::gaps_of(e, key), notes)
}

fn evidence_of(lang: Lang, e: &SubjectExplanation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = &e.value_chain {
        if let Some(c) = &v.certification {
            out.push(lang.tf(
                "evidence-certification",
                &[
                    ("no", c.certificate_no.clone()),
                    (
                        "scheme",
                        lang.t_or(&format!("scheme-{}", c.scheme), &c.scheme),
                    ),
                    ("expires", lang.date(c.expires_on)),
                ],
            ));
        }
        if let Some(a) = &v.area {
            out.push(lang.tf(
                "evidence-area",
                &[("name", a.name.clone()), ("ha", lang.decimal(&a.area_ha))],
            ));
        }
    }
    if let Some(m) = &e.modern_channel
        && let Some(c) = &m.channel
    {
        let (key, date) = match c.evidenced_by {
            EvidencedBy::Verified => ("evidence-channel-verified", c.verified_on),
            EvidencedBy::Observed => (
                "evidence-channel-observed",
                c.listing.as_ref().map(|l| clock::vietnam_date(l.seen_at)),
            ),
            EvidencedBy::Declared => ("evidence-channel-declared", None),
        };
        out.push(lang.tf(
            key,
            &[
                (
                    "platform",
                    lang.t_or(&format!("platform-{}", c.platform), c.platform.code()),
                ),
                ("date", date.map(|d| lang.date(d)).unwrap_or_default()),
            ],
        ));
    }
    out
}

/// The drill-down as a spreadsheet: every subject of the list, with contacts.
#[get("/dashboard/subjects/export?<q..>")]
pub async fn subjects_export(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    uri: &rocket::http::uri::Origin<'_>,
    q: DrillQuery<'_>,
) -> Result<Download, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let drill = Drill::parse(db.inner(), viewer.lang, &q).await?;
    let sheet = indicators::service::explanation_sheet(
        db.inner(),
        actor,
        (&drill.explain_query(), drill.known_at()?),
        viewer.lang,
    )
    .await?;
    crate::audit::service::record_export(db.inner(), actor, &sheet, &uri.to_string()).await?;
    as_download(&sheet, q.format.unwrap_or_default(), viewer.lang)
}

/// Who counts and who does not, for one indicator, with the reason, the missing evidence and
/// whom to call.
#[get("/dashboard/subjects?<q..>")]
pub async fn subjects_page(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    q: DrillQuery<'_>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let db = db.inner();
    let drill = Drill::parse(db, lang, &q).await?;
    let (day, key, counts, gap, page_no, found) = (
        drill.day,
        drill.key,
        drill.counts,
        drill.gap,
        drill.page,
        &drill.unit,
    );
    let iso = day.to_string();
    let unit = q.unit;
    let explained = drill.explained(db, actor).await?;
    let (items, total) = (explained.items, explained.total);
    let ids: Vec<Uuid> = items.iter().map(|e| e.subject.id).collect();
    let contacts = subjects::service::by_ids(db, actor, &ids).await?;
    let rows = items
        .iter()
        .map(|e| subject_row(lang, key, e, contacts.get(&e.subject.id)))
        .collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let counts_text = counts.map_or(String::new(), |c| c.to_string());
    let gap_text = gap.map_or("", Gap::code).to_owned();
    let base = |p: u64| drill.href("/dashboard/subjects", &[("page", &p.to_string())]);
    let relevant = gaps_shown(key);
    let page = SubjectsPage {
        chrome: viewer.chrome(lang.t("drill-title")),
        heading: match &drill.known {
            None => format!(
                "{} · {} · {}",
                found.name,
                lang.t(&format!("ind-{}", key.code())),
                lang.date(day)
            ),
            Some((typed, _)) => format!(
                "{} · {} · {} · {} {typed}",
                found.name,
                lang.t(&format!("ind-{}", key.code())),
                lang.date(day),
                lang.t("known-at")
            ),
        },
        back: href(
            "/dashboard",
            &[
                ("unit", unit),
                ("date", &iso),
                (
                    "known",
                    drill.known.as_ref().map_or("", |(t, _)| t.as_str()),
                ),
            ],
        ),
        unit_code: unit.to_owned(),
        date_iso: iso.clone(),
        indicator: key.code(),
        known: drill
            .known
            .as_ref()
            .map(|(t, _)| t.clone())
            .unwrap_or_default(),
        counts: counts_text.clone(),
        gap: gap_text.clone(),
        by_commune: drill.by_commune,
        gap_options: relevant
            .iter()
            .map(|g| (g.code(), lang.t(&format!("gap-{}", g.code()))))
            .collect(),
        rows,
        paging: lang.tf(
            "page-of",
            &[
                ("page", lang.int(page_no as i64)),
                ("pages", lang.int(pages as i64)),
                ("total", lang.int(total as i64)),
            ],
        ),
        prev: (page_no > 1).then(|| base(page_no - 1)),
        next: (page_no < pages).then(|| base(page_no + 1)),
        csv_href: drill.href("/dashboard/subjects/export", &[("format", "csv")]),
        xlsx_href: drill.href("/dashboard/subjects/export", &[("format", "xlsx")]),
    };
    Page::render(&page)
}

/// A subject's row: whether it counts, what it lacks and what to do, its evidence, the engine's
/// sentences, and its contacts.
fn subject_row(
    lang: Lang,
    key: IndicatorKey,
    e: &SubjectExplanation,
    c: Option<&subjects::dto::SubjectView>,
) -> SubjectRow {
    let (counts, gaps, details) = explanation_of(e, key);
    let text = |f: fn(&crate::subjects::dto::SubjectView) -> &Option<String>| {
        c.and_then(|c| f(c).clone()).unwrap_or_default()
    };
    SubjectRow {
        id: e.subject.id,
        name: e.subject.name.clone(),
        commune: e
            .subject
            .commune
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        representative: text(|c| &c.representative),
        phone: text(|c| &c.phone),
        address: text(|c| &c.address),
        counts,
        gaps: gaps
            .iter()
            .map(|g| {
                (
                    lang.t(&format!("gap-{}", g.code())),
                    lang.t(&format!("todo-{}", g.code())),
                )
            })
            .collect(),
        evidence: evidence_of(lang, e),
        details: details.iter().map(|n| n.render(lang)).collect(),
    }
}

/// The gaps the list may be filtered by: those of the indicator.
fn gaps_shown(key: IndicatorKey) -> &'static [Gap] {
    match key {
        IndicatorKey::ValueChain => &[
            Gap::NoCertification,
            Gap::CertificationExpired,
            Gap::CertificationNotVerified,
            Gap::CertificationNotCounted,
            Gap::NoArea,
            Gap::AreaNotStable,
        ],
        IndicatorKey::ModernChannel => &[
            Gap::NoChannel,
            Gap::DeclaredOnly,
            Gap::OwnerListingsOnly,
            Gap::ChannelNotActive,
        ],
    }
}

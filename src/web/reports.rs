//! Frozen reports on the pages: freeze from the dashboard, list, open, download — the API's
//! freeze and the stored report, never recomputed.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::figures::{At, Row, href, row};
use super::page::file_format;
use super::page::{Chrome, Page, PageError, Viewer};
use crate::domain::Role;
use crate::error::AppError;
use crate::export::Download;
use crate::history::Known;
use crate::i18n::{Lang, parse_date};
use crate::indicators::dto::{ChangesQuery, FreezeReport, Report, SubjectChange, UnitFigures};
use crate::pagination::PageParams;
use crate::{indicators, units};

#[derive(FromForm)]
pub struct FreezeForm<'r> {
    csrf: &'r str,
    unit: &'r str,
    date: &'r str,
}

/// Freezes the dashboard's report and opens it.
#[post("/reports", data = "<form>")]
pub async fn freeze(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    form: Form<FreezeForm<'_>>,
) -> Result<Redirect, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    let day = parse_date(form.date)
        .ok_or_else(|| AppError::invalid("date", viewer.lang.t("date-invalid")))?;
    let unit = units::service::by_code_on(db.inner(), form.unit, day).await?;
    let body = indicators::frozen::freeze(
        db.inner(),
        &session.actor,
        FreezeReport {
            unit_id: unit.id,
            as_of: day,
            policy_version: None,
        },
    )
    .await?;
    let filed = indicators::frozen::parse_frozen(&body)?;
    Ok(Redirect::to(format!("/reports/{}", filed.id)))
}

/// A frozen report in the list.
pub struct Listed {
    pub href: String,
    pub unit: String,
    pub date: String,
    pub frozen_at: String,
    pub frozen_by: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    reports: Vec<Listed>,
    prev: Option<String>,
    next: Option<String>,
}

/// Local time of day in Việt Nam, as people read it (`14:05 30/06/2025`).
pub(crate) fn moment(lang: Lang, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at + chrono::Duration::hours(7);
    format!(
        "{} {}",
        local.format("%H:%M"),
        lang.date(local.date_naive())
    )
}

const PER_PAGE: u64 = 50;

/// The frozen reports the person may read, newest first.
#[get("/reports?<page>")]
pub async fn list(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    page: Option<u64>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let page_no = page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE);
    let found = indicators::frozen::list_frozen(
        db.inner(),
        actor,
        None,
        &PageParams::new(page_no, PER_PAGE),
    )
    .await?;
    let ids: Vec<Uuid> = found.items.iter().map(|r| r.unit_id).collect();
    let names = units::service::refs(db.inner(), &ids).await?;
    let reports = found
        .items
        .iter()
        .map(|r| Listed {
            href: format!("/reports/{}", r.id),
            unit: names
                .get(&r.unit_id)
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            date: lang.date(r.as_of),
            frozen_at: moment(lang, r.computed_at),
            frozen_by: r.frozen_by.clone(),
        })
        .collect();
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    Page::render(&ReportsPage {
        chrome: viewer.chrome(lang.t("reports-title")),
        reports,
        prev: (page_no > 1).then(|| format!("/reports?page={}", page_no - 1)),
        next: (page_no < pages).then(|| format!("/reports?page={}", page_no + 1)),
    })
}

/// A subject whose result changed since the freeze.
pub struct Changed {
    pub subject: String,
    pub what: String,
    pub because: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    chrome: Chrome,
    heading: String,
    known_at: String,
    rows: Vec<Row>,
    changes: Vec<Changed>,
    /// The unit's figures as filed beside the same day's figures known now, per indicator:
    /// (indicator, as filed, known now, whether they differ).
    comparison: Vec<(String, String, String, bool)>,
    csv_href: String,
    xlsx_href: String,
}

/// A frozen report as filed.
#[get("/reports/<id>")]
pub async fn open(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let frozen = indicators::frozen::parse_frozen(
        &indicators::frozen::get_frozen(db.inner(), actor, id).await?,
    )?;
    let r = &frozen.report;
    let iso = r.as_of.to_string();
    let own = UnitFigures {
        unit: r.unit.clone(),
        population: r.population,
        indicators: r.indicators.clone(),
    };
    let at = At {
        date: &iso,
        known: "",
    };
    let rows = std::iter::once(row(lang, at, &own, false))
        .chain(r.children.iter().map(|c| row(lang, at, c, false)))
        .collect();
    // What moved since it was filed: the time issue's `changes`, since this very report.
    let since = indicators::changes::changes(
        db.inner(),
        actor,
        (
            &ChangesQuery {
                unit_id: r.unit.id,
                as_of: r.as_of,
                since: id.to_string(),
                until: None,
                policy_version: None,
            },
            Known::NOW,
        ),
    )
    .await?;
    // The same day, under the same policy, as known now.
    let now = indicators::service::report(
        db.inner(),
        actor,
        r.unit.id,
        r.as_of,
        Some(r.policy.version),
        Known::NOW,
    )
    .await?;
    let comparison = compared(lang, r, &now);
    let changes = since.items.iter().map(|c| changed(lang, c)).collect();
    Page::render(&ReportPage {
        chrome: viewer.chrome(lang.t("reports-title")),
        changes,
        comparison,
        heading: lang.tf(
            "report-frozen",
            &[
                ("unit", r.unit.name.clone()),
                ("date", lang.date(r.as_of)),
                ("at", moment(lang, frozen.frozen_at)),
                ("by", frozen.frozen_by.clone()),
                ("policy", r.policy.version.to_string()),
                ("population", lang.int(r.population)),
            ],
        ),
        known_at: lang.tf("report-known-at", &[("at", moment(lang, r.known_at))]),
        rows,
        csv_href: href(&format!("/reports/{id}/export"), &[("format", "csv")]),
        xlsx_href: href(&format!("/reports/{id}/export"), &[("format", "xlsx")]),
    })
}

/// A frozen report as a spreadsheet: the figures, then every subject's verdicts.
#[get("/reports/<id>/export?<format>")]
pub async fn export(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    format: &str,
) -> Result<Download, PageError> {
    let actor = viewer.actor()?;
    let frozen = indicators::frozen::parse_frozen(
        &indicators::frozen::get_frozen(db.inner(), actor, id).await?,
    )?;
    indicators::export::frozen_download(&frozen, file_format(format)?, viewer.lang)?
        .ok_or_else(|| AppError::Internal("no file".to_owned()).into())
}

/// What moved for one subject and indicator, in words: it counts now or no longer, or it
/// entered or left the population.
fn changed_what(lang: Lang, c: &crate::indicators::dto::SubjectChange) -> String {
    let key = match (c.in_population_before, c.in_population_after, c.after) {
        (false, true, true) => "changes-entered-counts",
        (false, true, false) => "changes-entered",
        (true, false, _) => "changes-left",
        (_, _, true) => "changes-now-counts",
        (_, _, false) => "changes-no-longer",
    };
    format!(
        "{}: {}",
        lang.t(&format!("ind-{}", c.indicator.code())),
        lang.t(key)
    )
}

/// The unit's figures as filed beside the same day's figures known now, per indicator:
/// (indicator, as filed, known now, whether they differ).
fn compared(lang: Lang, r: &Report, now: &Report) -> Vec<(String, String, String, bool)> {
    let figure = |f: &crate::indicators::dto::Figure, population: i64| {
        lang.tf(
            "report-compare-figure",
            &[
                ("numerator", lang.int(f.numerator)),
                ("population", lang.int(population)),
                (
                    "share",
                    f.share
                        .as_deref()
                        .map_or_else(|| lang.t("not-applicable"), |s| lang.percent(s)),
                ),
            ],
        )
    };
    r.indicators
        .iter()
        .filter_map(|filed| {
            let known = now.indicators.iter().find(|n| n.key == filed.key)?;
            let (a, b) = (figure(filed, r.population), figure(known, now.population));
            let moved = a != b;
            Some((lang.t(&format!("ind-{}", filed.key.code())), a, b, moved))
        })
        .collect()
}

/// A subject whose counting moved since a report was filed, and the writes that moved it.
fn changed(lang: Lang, c: &SubjectChange) -> Changed {
    Changed {
        subject: c.subject.name.clone(),
        what: changed_what(lang, c),
        because: c
            .because
            .iter()
            .map(|b| {
                let kind = lang.t_or(&format!("entity-{}", b.entity), &b.entity);
                lang.tf(
                    "changes-cause",
                    &[
                        (
                            "entity",
                            match (&b.platform, &b.record) {
                                (Some(p), Some(r)) => {
                                    format!(
                                        "{kind} “{} — {r}”",
                                        lang.t_or(&format!("platform-{p}"), p)
                                    )
                                }
                                (Some(p), None) => {
                                    format!("{kind} “{}”", lang.t_or(&format!("platform-{p}"), p))
                                }
                                (None, Some(r)) => format!("{kind} “{r}”"),
                                (None, None) => kind,
                            },
                        ),
                        (
                            "change",
                            lang.t_or(&format!("action-{}", b.change), &b.change),
                        ),
                        ("at", moment(lang, b.recorded_at)),
                        ("by", b.recorded_by.clone()),
                    ],
                )
            })
            // Several writes of one record in the same minute by the same person (a
            // channel created then verified in one sitting) read as one line.
            .fold(Vec::new(), |mut lines: Vec<String>, line| {
                if !lines.contains(&line) {
                    lines.push(line);
                }
                lines
            }),
    }
}

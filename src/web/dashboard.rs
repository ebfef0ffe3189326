//! The department's dashboard (`/dashboard`) and its drill-down (`/dashboard/subjects`): the
//! API's report and explanations, from the same services, written for people.

use askama::Template;
use chrono::NaiveDate;
use rocket::{State, get};
use sea_orm::DatabaseConnection;

use super::drill::moment;
use super::figures::{At, Cell, Row, cell, chart, href, row};
use super::page::{Chrome, Page, PageError, Viewer};
use super::unit_choice::{former, former_parents, provinces, units_found};
use crate::auth::Actor;
use crate::domain::{Role, UnitLevel};
use crate::error::AppError;
use crate::export::{Download, Sheet};
use crate::history::Known;
use crate::i18n::{Lang, parse_date};
use crate::indicators::dto::{Report, UnitFigures};
use crate::pagination::PageParams;
use crate::{clock, indicators, units};

/// A card per indicator, for the unit itself.
pub struct Card {
    pub key: &'static str,
    pub title: String,
    pub long: String,
    pub cell: Cell,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    /// The form's values.
    unit_code: String,
    date_text: String,
    date_iso: String,
    /// "As known at", as typed.
    known: String,
    q: String,
    error: Option<String>,
    /// Units found by the search box, or the provinces to start from.
    found: Vec<(String, String)>,
    /// A unit that no longer exists on the date, and its successors.
    former: Option<(String, Vec<(String, String)>)>,
    summary: String,
    drafts: Option<String>,
    cards: Vec<Card>,
    rows: Vec<Row>,
    chart: String,
    up: Option<String>,
    report_ready: bool,
    csv_href: String,
    xlsx_href: String,
    /// The latest frozen report of this unit and date, whose page says what changed since.
    last_frozen: Option<(String, String)>,
    /// Units offered as the unit field is typed (code, name): the provinces of the date and the
    /// shown unit's children.
    picker: Vec<(String, String)>,
    /// How a province's communes may be grouped: (label, href, chosen).
    groupings: Vec<(String, String, bool)>,
}

impl DashboardPage {
    /// The page as asked, before any figures.
    fn new(
        chrome: Chrome,
        unit_code: String,
        day: NaiveDate,
        known: &str,
        q: &str,
        error: Option<String>,
        lang: Lang,
    ) -> Self {
        DashboardPage {
            chrome,
            unit_code,
            date_text: lang.date(day),
            date_iso: day.to_string(),
            known: known.to_owned(),
            q: q.to_owned(),
            error,
            found: Vec::new(),
            former: None,
            summary: String::new(),
            drafts: None,
            cards: Vec::new(),
            rows: Vec::new(),
            chart: String::new(),
            up: None,
            report_ready: false,
            csv_href: String::new(),
            xlsx_href: String::new(),
            last_frozen: None,
            groupings: Vec::new(),
            picker: Vec::new(),
        }
    }
}

/// The unit an actor starts from: an auditor its own unit (its code, valid on the date).
async fn default_unit(db: &DatabaseConnection, actor: &Actor) -> Result<Option<String>, PageError> {
    match (actor.role, actor.unit_id) {
        (Role::Auditor, Some(id)) => Ok(Some(units::service::get(db, id).await?.unit.code)),
        _ => Ok(None),
    }
}

/// Both indicators against their targets for a unit on a date, with its children.
#[get("/dashboard?<unit>&<date>&<q>&<known>&<group>")]
pub async fn dashboard(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    unit: Option<&str>,
    date: Option<&str>,
    q: Option<&str>,
    known: Option<&str>,
    group: Option<&str>,
) -> Result<(rocket::http::Status, Page), PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let db = db.inner();
    let (day, mut error) = day_asked(lang, date);
    let known_text = known.map(str::trim).unwrap_or_default();
    let known_at = moment(lang, Some(known_text)).unwrap_or_else(|_| {
        error.get_or_insert(lang.t("known-at-invalid"));
        None
    });
    let at = At {
        date: &day.to_string(),
        known: if known_at.is_none() { "" } else { known_text },
    };
    let iso = day.to_string();
    let unit_code = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(u.to_owned()),
        None => default_unit(db, actor).await?,
    };
    let mut page = DashboardPage::new(
        viewer.chrome(lang.t("dashboard-title")),
        unit_code.clone().unwrap_or_default(),
        day,
        known_text,
        q.unwrap_or_default(),
        error,
        lang,
    );
    page.picker = provinces(db, day).await?;
    let search = q.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some() || unit_code.is_none() {
        page.found = units_found(db, search, day).await?;
    }
    let status = if page.error.is_some() {
        rocket::http::Status::UnprocessableEntity
    } else {
        rocket::http::Status::Ok
    };
    let Some(code) = unit_code else {
        return Ok((status, Page::render(&page)?));
    };
    let found = match unit_shown(db, &mut page, code, unit.is_none(), day, lang).await? {
        Ok(found) => found,
        Err(refused) => return Ok((refused.unwrap_or(status), Page::render(&page)?)),
    };
    let known = Known::asked(known_at.as_deref(), "known_at")?;
    let report = indicators::service::report(db, actor, found.id, day, None, known).await?;
    let detail = units::service::get(db, found.id).await?;
    page.picker.extend(
        detail
            .children
            .iter()
            .map(|c| (c.code.clone(), c.name.clone())),
    );
    // Up only where the person may go: an auditor's reach ends at its unit and what it became.
    let reach = crate::auth::Scope::of(db, actor).await?;
    page.up = detail
        .parent
        .filter(|p| reach.contains_unit(p.id))
        .map(|p| href("/dashboard", &[("unit", &p.code), ("date", &iso)]));
    show(
        &mut page,
        &report,
        lang,
        at,
        known_at.is_some().then_some(known_text),
    )?;
    // A province's communes after the reform, grouped as people still place them: by the
    // district or the province they were formed from.
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    let communes = report
        .children
        .first()
        .is_some_and(|c| graph.is_commune(c.unit.id));
    if communes {
        group_rows(&mut page, &graph, &report, group, at, lang);
    }
    let filed =
        indicators::frozen::list_frozen(db, actor, Some(found.id), &PageParams::new(1, 50)).await?;
    page.last_frozen = filed.items.iter().find(|r| r.as_of == day).map(|r| {
        (
            format!("/reports/{}", r.id),
            lang.tf(
                "dashboard-last-frozen",
                &[("at", super::reports::moment(lang, r.computed_at))],
            ),
        )
    });
    Ok((status, Page::render(&page)?))
}

pub(crate) fn as_download(sheet: &Sheet, format: &str, lang: Lang) -> Result<Download, PageError> {
    super::page::as_download_all(std::slice::from_ref(sheet), format, lang)
}

/// The dashboard's table as a spreadsheet (the API report's sheet).
#[get("/dashboard/export?<unit>&<date>&<known>&<format>")]
pub async fn dashboard_export(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    unit: &str,
    date: &str,
    known: Option<&str>,
    format: &str,
) -> Result<Download, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let day =
        parse_date(date).ok_or_else(|| AppError::invalid("date", viewer.lang.t("date-invalid")))?;
    let found = units::service::by_code_on(db.inner(), unit, day).await?;
    let known = Known::asked(moment(viewer.lang, known)?.as_deref(), "known_at")?;
    let report = indicators::service::report(db.inner(), actor, found.id, day, None, known).await?;
    let made = indicators::export::Made {
        by: actor.name.clone(),
        at: report.computed_at,
        frozen: false,
    };
    as_download(
        &indicators::export::report_sheet(&report, viewer.lang, &made),
        format,
        viewer.lang,
    )
}

/// The report on the page: its summary, its cards, a row for the unit then each child, the
/// chart and the downloads.
fn show(
    page: &mut DashboardPage,
    report: &Report,
    lang: Lang,
    at: At<'_>,
    known: Option<&str>,
) -> Result<(), PageError> {
    let day = report.as_of;
    page.summary = lang.tf(
        "dashboard-summary",
        &[
            ("unit", report.unit.name.clone()),
            ("date", lang.date(day)),
            ("policy", report.policy.version.to_string()),
            ("population", lang.int(report.population)),
        ],
    );
    if let Some(known) = known {
        page.summary = format!("{} · {} {}", page.summary, lang.t("known-at"), known);
    }
    page.drafts = (report.drafts_excluded > 0).then(|| {
        lang.tf(
            "dashboard-drafts",
            &[("count", lang.int(report.drafts_excluded))],
        )
    });
    page.cards = report
        .indicators
        .iter()
        .map(|f| Card {
            key: f.key.code(),
            title: lang.t(&format!("ind-{}", f.key.code())),
            long: lang.t(&format!("ind-{}-long", f.key.code())),
            cell: cell(lang, &report.unit.code, at, f),
        })
        .collect();
    let own = UnitFigures {
        unit: report.unit.clone(),
        population: report.population,
        indicators: report.indicators.clone(),
    };
    page.rows = std::iter::once(row(lang, at, &own, false))
        .chain(report.children.iter().map(|c| row(lang, at, c, true)))
        .collect();
    page.chart = if report.children.is_empty() {
        String::new()
    } else {
        chart(lang, report)?
    };
    page.report_ready = true;
    for (format, slot) in [("csv", &mut page.csv_href), ("xlsx", &mut page.xlsx_href)] {
        *slot = href(
            "/dashboard/export",
            &[
                ("unit", &report.unit.code),
                ("date", at.date),
                ("format", format),
            ],
        );
    }
    Ok(())
}

/// A province's communes after the reform, grouped as people still place them: by the district
/// or the province they were formed from (`group`), with the links that choose.
fn group_rows(
    page: &mut DashboardPage,
    graph: &crate::unit_graph::UnitGraph,
    report: &Report,
    group: Option<&str>,
    at: At<'_>,
    lang: Lang,
) {
    let iso = at.date;
    let current = match group {
        Some("district") => Some(UnitLevel::District),
        Some("province") => Some(UnitLevel::Province),
        _ => None,
    };
    page.groupings = [
        ("district", "dashboard-group-district"),
        ("province", "dashboard-group-province"),
        ("", "dashboard-group-none"),
    ]
    .into_iter()
    .map(|(code, key)| {
        let link = href(
            "/dashboard",
            &[
                ("unit", &report.unit.code),
                ("date", iso),
                ("known", at.known),
                ("group", code),
            ],
        );
        (lang.t(key), link, group.unwrap_or_default() == code)
    })
    .collect();
    if let Some(level) = current {
        let labelled: Vec<String> = report
            .children
            .iter()
            .map(|c| former_parents(graph, c.unit.id, level, lang))
            .collect();
        let mut children: Vec<(String, Row)> =
            labelled.into_iter().zip(page.rows.drain(1..)).collect();
        // In the order of the alphabet, not of code points ("Tây Giang" before "Tiên
        // Phước").
        children.sort_by_cached_key(|(label, _)| crate::text::fold(label));
        let mut last = None;
        for (label, mut r) in children {
            if last.as_ref() != Some(&label) {
                r.heading = Some(label.clone());
                last = Some(label);
            }
            page.rows.push(r);
        }
    }
}

/// The unit the page shows, from its code or its name as typed: `Err` when the page is shown
/// without figures instead (a name not found said on the form, `422`; a unit of another time
/// and what succeeded it, with the page's status). Someone landing on a former unit (`landing`:
/// the page chose it) lands on the one unit it became, told so.
async fn unit_shown(
    db: &DatabaseConnection,
    page: &mut DashboardPage,
    mut code: String,
    landing: bool,
    day: NaiveDate,
    lang: Lang,
) -> Result<Result<entity::unit::Model, Option<rocket::http::Status>>, PageError> {
    // A unit typed by its name (a picker's choice, or "dien ban") is the unit of that name.
    if !code.chars().all(|c| c.is_ascii_digit()) {
        match units::service::typed(db, "unit", &code, day, None).await {
            Ok(u) => {
                code = u.code;
                page.unit_code = code.clone();
            }
            // Said on the form, with what was typed, not on an error page.
            Err(e @ (AppError::Invalid { .. } | AppError::BadRequest { .. })) => {
                page.error = Some(super::page::error_detail(&e, lang));
                return Ok(Err(Some(rocket::http::Status::UnprocessableEntity)));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Ok(match units::service::by_code_on(db, &code, day).await {
        Ok(u) => u,
        Err(AppError::NotFound { .. }) => return Err(AppError::not_found("unit", code).into()),
        Err(AppError::BadRequest { .. } | AppError::Invalid { .. }) => {
            // A unit of another time: say what succeeded it, with links. An auditor landing on
            // its own former unit lands on the one unit it became, told so.
            let (text, successors, codes) = former(db, &code, day, lang).await?;
            match codes.as_slice() {
                [successor] if landing => {
                    let next = units::service::by_code_on(db, successor, day).await?;
                    page.unit_code = next.code.clone();
                    page.former = Some((
                        format!(
                            "{text} {}",
                            lang.tf("dashboard-landed", &[("unit", next.name.clone())])
                        ),
                        Vec::new(),
                    ));
                    next
                }
                _ => {
                    page.former = Some((text, successors));
                    return Ok(Err(None));
                }
            }
        }
        Err(e) => return Err(e.into()),
    }))
}

/// The report's day as typed (today when none is), or today and what is wrong with it.
fn day_asked(lang: Lang, date: Option<&str>) -> (NaiveDate, Option<String>) {
    match date.filter(|d| !d.trim().is_empty()) {
        None => (clock::today(), None),
        Some(d) => match parse_date(d) {
            Some(day) => (day, None),
            None => (clock::today(), Some(lang.t("date-invalid"))),
        },
    }
}

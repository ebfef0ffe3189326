//! The department's dashboard (`/dashboard`) and its drill-down (`/dashboard/subjects`): the
//! API's report and explanations, from the same services, written for people.

use askama::Template;
use chrono::NaiveDate;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::drill::{Drill, DrillQuery, PER_PAGE, moment};
use super::page::{Chrome, Page, PageError, Viewer};
use crate::auth::Actor;
use crate::domain::{EvidencedBy, Role, UnitLevel};
use crate::error::AppError;
use crate::export::{Download, Sheet};
use crate::history::Known;
use crate::i18n::{Lang, parse_date};
use crate::indicators::dto::{Figure, Gap, IndicatorKey, Report, SubjectExplanation, UnitFigures};
use crate::pagination::PageParams;
use crate::units::dto::{UnitQuery, UnitRef};
use crate::{clock, indicators, subjects, units};

/// One indicator's figure in a cell of the table or a card.
pub struct Cell {
    pub share: String,
    pub numerator: String,
    pub denominator: String,
    pub target: String,
    /// `Đạt` / `Chưa đạt` / `—`.
    pub verdict: String,
    /// `met`, `unmet` or `na`, for the style sheet.
    pub class: &'static str,
    pub gap: String,
    pub gap_text: String,
    pub counts_href: String,
    pub missing_href: String,
}

/// A row of the table: the unit itself, then each child.
pub struct Row {
    /// The group this row opens ("Thuộc huyện cũ: Thành phố Tam Kỳ"), when rows are grouped.
    pub heading: Option<String>,
    pub name: String,
    /// The child's own dashboard (none for the unit itself).
    pub href: Option<String>,
    pub population: String,
    pub cells: Vec<Cell>,
}

/// A bar of the chart.
pub struct Bar {
    pub y: u32,
    pub width: u32,
    pub label: String,
    pub class: &'static str,
}

/// The chart: per child, one bar per indicator, with each indicator's target line.
#[derive(Template)]
#[template(path = "chart.svg", escape = "html")]
pub struct Chart {
    /// Where the plot starts (the unit names are left of it) and its width.
    pub x0: u32,
    pub plot_w: u32,
    pub height: u32,
    pub rows: Vec<(u32, String)>,
    pub bars: Vec<Bar>,
    pub targets: Vec<(u32, &'static str)>,
    pub title: String,
}

/// Geometry of the chart, in SVG units.
const LABEL_W: u32 = 200;
const PLOT_W: u32 = 300;
const ROW_H: u32 = 36;

fn x_of(percent: &str) -> u32 {
    let p: f64 = percent.parse().unwrap_or(0.0);
    // Drawing only: the figures themselves are exact decimals from the engine.
    (p.clamp(0.0, 100.0) * f64::from(PLOT_W) / 100.0).round() as u32
}

fn class_of(key: IndicatorKey) -> &'static str {
    match key {
        IndicatorKey::ValueChain => "vc",
        IndicatorKey::ModernChannel => "mc",
    }
}

fn chart(lang: Lang, report: &Report) -> Result<String, PageError> {
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for (i, child) in report.children.iter().enumerate() {
        let top = u32::try_from(i).unwrap_or(0) * ROW_H + 4;
        rows.push((top + 14, child.unit.name.clone()));
        for (j, f) in child.indicators.iter().enumerate() {
            let share = f.share.clone().unwrap_or_else(|| "0".to_owned());
            bars.push(Bar {
                y: top + u32::try_from(j).unwrap_or(0) * 14,
                width: x_of(&share),
                label: f
                    .share
                    .as_deref()
                    .map_or_else(|| lang.t("not-applicable"), |s| lang.percent(s)),
                class: class_of(f.key),
            });
        }
    }
    let targets = report
        .indicators
        .iter()
        .map(|f| (x_of(&f.target), class_of(f.key)))
        .collect();
    let chart = Chart {
        x0: LABEL_W,
        plot_w: PLOT_W,
        height: u32::try_from(report.children.len()).unwrap_or(0) * ROW_H + 8,
        rows,
        bars,
        targets,
        title: lang.t("dashboard-children"),
    };
    chart
        .render()
        .map_err(|e| AppError::Internal(format!("chart: {e}")).into())
}

/// Query of both pages.
pub(crate) fn href(path: &str, pairs: &[(&str, &str)]) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("{path}?{q}")
}

/// When a page looks: the report date and, if any, the knowledge time (`known`), carried by
/// every link.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub date: &'a str,
    pub known: &'a str,
}

pub(crate) fn cell(lang: Lang, unit: &str, at: At<'_>, f: &Figure) -> Cell {
    let (verdict, class) = match f.met {
        Some(true) => (lang.t("met"), "met"),
        Some(false) => (lang.t("not-met"), "unmet"),
        None => (lang.t("not-applicable"), "na"),
    };
    let key = f.key.code();
    Cell {
        share: f
            .share
            .as_deref()
            .map_or_else(|| lang.t("not-applicable"), |s| lang.percent(s)),
        numerator: lang.int(f.numerator),
        denominator: lang.int(f.denominator),
        target: lang.percent(&f.target),
        verdict,
        class,
        gap: f
            .gap
            .map_or_else(|| lang.t("not-applicable"), |g| lang.int(g)),
        gap_text: f.gap.filter(|g| *g > 0).map_or_else(String::new, |g| {
            lang.tf("gap-subjects", &[("count", lang.int(g))])
        }),
        counts_href: href(
            "/dashboard/subjects",
            &[
                ("unit", unit),
                ("date", at.date),
                ("known", at.known),
                ("indicator", key),
                ("counts", "true"),
            ],
        ),
        missing_href: href(
            "/dashboard/subjects",
            &[
                ("unit", unit),
                ("date", at.date),
                ("known", at.known),
                ("indicator", key),
                ("counts", "false"),
            ],
        ),
    }
}

pub(crate) fn row(lang: Lang, at: At<'_>, u: &UnitFigures, link: bool) -> Row {
    Row {
        heading: None,
        name: u.unit.name.clone(),
        href: link.then(|| {
            href(
                "/dashboard",
                &[
                    ("unit", &u.unit.code),
                    ("date", at.date),
                    ("known", at.known),
                ],
            )
        }),
        population: lang.int(u.population),
        cells: u
            .indicators
            .iter()
            .map(|f| cell(lang, &u.unit.code, at, f))
            .collect(),
    }
}

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

fn unit_link(u: &UnitRef, date: &str) -> (String, String) {
    (
        u.name.clone(),
        href("/dashboard", &[("unit", &u.code), ("date", date)]),
    )
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
    let (day, mut error) = match date.filter(|d| !d.trim().is_empty()) {
        None => (clock::today(), None),
        Some(d) => match parse_date(d) {
            Some(day) => (day, None),
            None => (clock::today(), Some(lang.t("date-invalid"))),
        },
    };
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
    let mut page = DashboardPage {
        chrome: viewer.chrome(lang.t("dashboard-title")),
        unit_code: unit_code.clone().unwrap_or_default(),
        date_text: lang.date(day),
        date_iso: day.to_string(),
        known: known_text.to_owned(),
        q: q.unwrap_or_default().to_owned(),
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
    };
    // The unit field offers the provinces of the day by name (a browser's own list, no script).
    let provinces = UnitQuery {
        on: Some(day),
        level: Some(UnitLevel::Province),
        ..Default::default()
    };
    page.picker = units::service::list(db, &provinces, &PageParams::new(1, 100))
        .await?
        .items
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let search = q.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some() || unit_code.is_none() {
        // Without a search: the country, then each of its provinces on the day (63 before
        // July 2025).
        let levels: &[Option<UnitLevel>] = match search {
            Some(_) => &[None],
            None => &[Some(UnitLevel::Country), Some(UnitLevel::Province)],
        };
        let mut items = Vec::new();
        for level in levels {
            let query = UnitQuery {
                q: search.map(str::to_owned),
                on: Some(day),
                level: *level,
                ..Default::default()
            };
            items.extend(
                units::service::list(db, &query, &PageParams::new(1, 100))
                    .await?
                    .items,
            );
        }
        page.found = items
            .iter()
            .map(|u| {
                (
                    // The province (and district) tell homonyms apart.
                    if u.within.is_empty() {
                        format!("{} ({})", u.name, u.code)
                    } else {
                        format!("{} ({}) — {}", u.name, u.code, u.within.join(", "))
                    },
                    href("/dashboard", &[("unit", &u.code), ("date", &iso)]),
                )
            })
            .collect();
    }
    let status = if page.error.is_some() {
        rocket::http::Status::UnprocessableEntity
    } else {
        rocket::http::Status::Ok
    };
    let Some(mut code) = unit_code else {
        return Ok((status, Page::render(&page)?));
    };
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
                return Ok((
                    rocket::http::Status::UnprocessableEntity,
                    Page::render(&page)?,
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let found = match units::service::by_code_on(db, &code, day).await {
        Ok(u) => u,
        Err(AppError::NotFound { .. }) => return Err(AppError::not_found("unit", code).into()),
        Err(AppError::BadRequest { .. } | AppError::Invalid { .. }) => {
            // A unit of another time: say what succeeded it, with links. An auditor landing on
            // its own former unit lands on the one unit it became, told so.
            let (text, successors, codes) = former(db, &code, day, lang).await?;
            match codes.as_slice() {
                [successor] if unit.is_none() => {
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
                    return Ok((status, Page::render(&page)?));
                }
            }
        }
        Err(e) => return Err(e.into()),
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
        .filter(|p| match &reach {
            crate::auth::Scope::Units(units) => units.contains(&p.id),
            _ => true,
        })
        .map(|p| href("/dashboard", &[("unit", &p.code), ("date", &iso)]));
    page.summary = lang.tf(
        "dashboard-summary",
        &[
            ("unit", report.unit.name.clone()),
            ("date", lang.date(day)),
            ("policy", report.policy.version.to_string()),
            ("population", lang.int(report.population)),
        ],
    );
    if known_at.is_some() {
        page.summary = format!("{} · {} {}", page.summary, lang.t("known-at"), known_text);
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
    // A province's communes after the reform, grouped as people still place them: by the
    // district or the province they were formed from.
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    let communes = report
        .children
        .first()
        .is_some_and(|c| graph.is_commune(c.unit.id));
    if communes {
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
                    ("date", &iso),
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
                .map(|c| former_parents(&graph, c.unit.id, level, lang))
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
    page.chart = if report.children.is_empty() {
        String::new()
    } else {
        chart(lang, &report)?
    };
    page.report_ready = true;
    let filed =
        indicators::service::list_frozen(db, actor, Some(found.id), &PageParams::new(1, 50))
            .await?;
    page.last_frozen = filed.items.iter().find(|r| r.as_of == day).map(|r| {
        (
            format!("/reports/{}", r.id),
            lang.tf(
                "dashboard-last-frozen",
                &[("at", super::reports::moment(lang, r.computed_at))],
            ),
        )
    });
    for (format, slot) in [("csv", &mut page.csv_href), ("xlsx", &mut page.xlsx_href)] {
        *slot = href(
            "/dashboard/export",
            &[
                ("unit", &report.unit.code),
                ("date", &iso),
                ("format", format),
            ],
        );
    }
    Ok((status, Page::render(&page)?))
}

/// The districts (or provinces) of `level` a unit was formed from ("Thuộc huyện cũ: …"), or
/// its own when no reform formed it.
fn former_parents(
    graph: &crate::unit_graph::UnitGraph,
    id: uuid::Uuid,
    level: UnitLevel,
    lang: Lang,
) -> String {
    let of = |u: uuid::Uuid| {
        graph
            .ancestors(u)
            .into_iter()
            .filter_map(|a| graph.get(a))
            .find(|a| a.level == level)
            .map(|a| a.name.clone())
    };
    let from = graph.predecessors_of(id);
    let mut names: Vec<String> = if from.is_empty() {
        of(id).into_iter().collect()
    } else {
        from.iter().filter_map(|p| of(*p)).collect()
    };
    names.sort();
    names.dedup();
    let key = match level {
        UnitLevel::Province => "dashboard-former-province",
        _ => "dashboard-former-district",
    };
    match names.is_empty() {
        true => lang.t("dashboard-former-unknown"),
        false => lang.tf(key, &[("units", names.join(", "))]),
    }
}

/// A code not valid on `day`: its last version before the day, and what succeeded it.
/// What a unit of another time became: the sentence, links to its successors, their codes.
pub(super) type Former = (String, Vec<(String, String)>, Vec<String>);

pub(super) async fn former(
    db: &DatabaseConnection,
    code: &str,
    day: NaiveDate,
    lang: Lang,
) -> Result<Former, PageError> {
    let versions = units::service::list(
        db,
        &UnitQuery {
            code: Some(code.to_owned()),
            ..Default::default()
        },
        &PageParams::new(1, 50),
    )
    .await?
    .items;
    let last = versions
        .iter()
        .filter(|u| u.valid_to.is_some_and(|t| t <= day))
        .max_by_key(|u| u.valid_to)
        .or(versions.first())
        .ok_or_else(|| AppError::not_found("unit", code))?;
    let detail = units::service::get(db, last.id).await?;
    let iso = day.to_string();
    let successors = detail
        .successors
        .iter()
        .map(|l| unit_link(&l.unit, &iso))
        .collect();
    let codes = detail
        .successors
        .iter()
        .map(|l| l.unit.code.clone())
        .collect();
    Ok((
        lang.tf(
            "dashboard-former",
            &[("unit", last.name.clone()), ("date", lang.date(day))],
        ),
        successors,
        codes,
    ))
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
        .map(|e| {
            let (counts, gaps, details) = explanation_of(e, key);
            let c = contacts.get(&e.subject.id);
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
        })
        .collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let counts_text = counts.map_or(String::new(), |c| c.to_string());
    let gap_text = gap.map_or("", Gap::code).to_owned();
    let base = |p: u64| drill.href("/dashboard/subjects", &[("page", &p.to_string())]);
    let relevant: &[Gap] = match key {
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
    };
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

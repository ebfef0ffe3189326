//! A report's figures as people read them: a cell per indicator (share, counts, target, verdict,
//! links to who counts and who does not), a row per unit and a bar chart, for the dashboard and
//! the filed reports alike.

use askama::Template;

use super::page::PageError;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::indicators::dto::{Figure, IndicatorKey, Report, UnitFigures};

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

pub(super) fn chart(lang: Lang, report: &Report) -> Result<String, PageError> {
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

//! Units as people think of them: `/units` finds one by its name without accents or opens the
//! tree of a chosen day (Tỉnh/Thành phố → Huyện before July 2025 → Xã/Phường/Đặc khu), each
//! with the ways on (its dashboard, its subjects, its units below); and the communes a form
//! offers for a commune field, as a browser's own list (no script).

use askama::Template;
use chrono::NaiveDate;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::auth::{Actor, Scope};
use crate::domain::{Role, UnitLevel};
use crate::error::AppError;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::unit_graph::{UnitGraph, valid_on};
use crate::units::dto::UnitQuery;
use crate::{clock, units};

/// The communes in force on `on` that a form offers: an auditor's, or (an administrator) those
/// of the province `near` lies in on that day. An administrator with no place in view types a
/// name; the form tells homonyms apart.
pub async fn commune_choices(
    db: &DatabaseConnection,
    actor: &Actor,
    near: Option<Uuid>,
    on: NaiveDate,
) -> Result<Vec<String>, AppError> {
    let graph = UnitGraph::load(db).await?;
    let pool: Vec<Uuid> = match Scope::of(db, actor).await? {
        Scope::Units(reach) => reach.iter().copied().collect(),
        Scope::All => near
            .into_iter()
            .flat_map(|n| graph.map_to_date(n, on))
            .filter_map(|n| {
                graph.ancestors(n).into_iter().find(|a| {
                    graph
                        .get(*a)
                        .is_some_and(|u| u.level == UnitLevel::Province)
                })
            })
            .flat_map(|p| graph.subtree(p))
            .collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = pool
        .into_iter()
        .filter(|id| graph.is_commune(*id) && graph.get(*id).is_some_and(|u| valid_on(u, on)))
        .filter_map(|id| units::service::choice_of(&graph, id))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// A unit as listed.
pub struct Listed {
    pub name: String,
    pub code: String,
    pub kind: String,
    pub period: String,
    pub within: String,
    /// Its units below on the day, when it has some.
    pub below: Option<String>,
    pub dashboard: String,
    pub subjects: String,
}

#[derive(Template)]
#[template(path = "units.html")]
struct UnitsPage {
    chrome: Chrome,
    q: String,
    date: String,
    /// `(name, href)` of the units above the one opened, the country first.
    trail: Vec<(String, String)>,
    heading: String,
    items: Vec<Listed>,
    /// The provinces of the day.
    all: String,
}

/// Finds a unit by name, or opens the tree of the day below `parent` (the provinces without).
#[get("/units?<q>&<date>&<parent>")]
pub async fn units_page(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    q: Option<&str>,
    date: Option<&str>,
    parent: Option<&str>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let (db, lang) = (db.inner(), viewer.lang);
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => crate::i18n::parse_date(d)
            .ok_or_else(|| AppError::invalid("date", lang.t("date-invalid")))?,
        None => clock::today(),
    };
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let parent = match parent.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            Some(units::service::require(db, "parent", crate::ids::parse_id("parent", p)?).await?)
        }
        None => None,
    };
    let query = UnitQuery {
        q: q.map(str::to_owned),
        on: Some(day),
        parent_id: if q.is_some() {
            None
        } else {
            parent.as_ref().map(|p| p.id)
        },
        level: match (q, &parent) {
            (None, None) => Some(UnitLevel::Province),
            _ => None,
        },
        ..Default::default()
    };
    validator::Validate::validate(&query).map_err(AppError::from)?;
    let found = units::service::list(db, &query, &PageParams::new(1, MAX_PER_PAGE)).await?;
    let graph = UnitGraph::load(db).await?;
    let iso = day.to_string();
    let href = |path: &str, pairs: &[(&str, &str)]| super::figures::href(path, pairs);
    let items = found
        .items
        .into_iter()
        .map(|u| listed(u, &graph, day, lang))
        .collect();
    let trail = match &parent {
        Some(p) => graph
            .ancestors(p.id)
            .into_iter()
            .rev()
            .filter_map(|a| graph.get(a))
            .filter(|a| a.level != UnitLevel::Country)
            .map(|a| {
                (
                    a.name.clone(),
                    href("/units", &[("parent", &a.id.to_string()), ("date", &iso)]),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let heading = match (q, &parent) {
        (Some(q), _) => lang.tf(
            "units-found",
            &[("q", q.to_owned()), ("date", lang.date(day))],
        ),
        (None, Some(p)) => lang.tf(
            "units-below",
            &[("unit", p.name.clone()), ("date", lang.date(day))],
        ),
        (None, None) => lang.tf("units-provinces", &[("date", lang.date(day))]),
    };
    Page::render(&UnitsPage {
        chrome: viewer.chrome(lang.t("units-title")),
        q: q.unwrap_or_default().to_owned(),
        date: lang.date(day),
        trail,
        heading,
        items,
        all: href("/units", &[("date", &iso)]),
    })
}

/// Unit `u` as the list shows it on `day`: its kind, where it lies, when it was in force, and
/// where to go from it.
fn listed(
    u: crate::units::dto::UnitView,
    graph: &UnitGraph,
    day: NaiveDate,
    lang: crate::i18n::Lang,
) -> Listed {
    let iso = day.to_string();
    let href = |path: &str, pairs: &[(&str, &str)]| super::figures::href(path, pairs);
    let has_below = graph
        .children(u.id)
        .iter()
        .any(|c| graph.get(*c).is_some_and(|c| valid_on(c, day)));
    Listed {
        kind: u
            .unit_type
            .clone()
            .unwrap_or_else(|| lang.t(&format!("level-{}", u.level))),
        within: u.within.join(" — "),
        period: period(u.valid_from, u.valid_to, lang),
        below: has_below.then(|| href("/units", &[("parent", &u.id.to_string()), ("date", &iso)])),
        dashboard: href("/dashboard", &[("unit", &u.code), ("date", &iso)]),
        // By name and code: a code the reform gave to another unit still finds this one.
        subjects: href(
            "/subjects",
            &[("unit", &format!("{} ({})", u.name, u.code))],
        ),
        name: u.name,
        code: u.code,
    }
}

/// When a unit was in force, its last day shown (`to` is the first day it no longer is).
fn period(from: Option<NaiveDate>, to: Option<NaiveDate>, lang: crate::i18n::Lang) -> String {
    match (from, to) {
        (None, None) => String::new(),
        (Some(f), None) => lang.tf("units-since", &[("from", lang.date(f))]),
        (None, Some(t)) => lang.tf(
            "units-until",
            &[("to", lang.date(t - chrono::Days::new(1)))],
        ),
        (Some(f), Some(t)) => lang.tf(
            "units-between",
            &[
                ("from", lang.date(f)),
                ("to", lang.date(t - chrono::Days::new(1))),
            ],
        ),
    }
}

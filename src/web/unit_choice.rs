//! Units as the pages offer and name them: the provinces of a day to pick from, the units a
//! search finds, what a code no longer valid on a day became (with links to its successors),
//! and where a commune formed by the 2025 reform came from.

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::figures::href;
use super::page::PageError;
use crate::domain::UnitLevel;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pagination::PageParams;
use crate::units;
use crate::units::dto::{UnitQuery, UnitRef};

/// The districts (or provinces) of `level` a unit was formed from ("Thuộc huyện cũ: …"), or
/// its own when no reform formed it.
pub(super) fn former_parents(
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

/// What a unit of another time became: the sentence, links to its successors, their codes.
pub(super) type Former = (String, Vec<(String, String)>, Vec<String>);

/// A code not valid on `day`: its last version before the day, and what succeeded it.
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

fn unit_link(u: &UnitRef, date: &str) -> (String, String) {
    (
        u.name.clone(),
        href("/dashboard", &[("unit", &u.code), ("date", date)]),
    )
}

/// The units a search finds on the day, or without a search the country and each of its
/// provinces: (name with where it lies, its dashboard).
pub(super) async fn units_found(
    db: &DatabaseConnection,
    search: Option<&str>,
    day: NaiveDate,
) -> Result<Vec<(String, String)>, PageError> {
    let iso = day.to_string();
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
    Ok(items
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
        .collect())
}

/// The provinces of the day, which the unit field offers by name (a browser's own list, no
/// script): (code, name).
pub(super) async fn provinces(
    db: &DatabaseConnection,
    day: NaiveDate,
) -> Result<Vec<(String, String)>, PageError> {
    let provinces = UnitQuery {
        on: Some(day),
        level: Some(UnitLevel::Province),
        ..Default::default()
    };
    Ok(
        units::service::list(db, &provinces, &PageParams::new(1, 100))
            .await?
            .items
            .into_iter()
            .map(|u| (u.code, u.name))
            .collect(),
    )
}

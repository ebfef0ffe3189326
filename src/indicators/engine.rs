//! The indicator rules as SQL: one statement counts the population and both numerators per
//! recorded commune, each rule a set of subject ids computed once by the database. The same text
//! runs on SQLite and PostgreSQL; only parameter markers differ.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::rules::rule_ctes;
use crate::db::Sql;
use crate::error::AppResult;
use crate::history::Known;
use crate::policies::dto::Policy;

/// Whose subjects a query reads, by their commune on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communes {
    /// Every subject, wherever it is (the country: no list of 13,000 communes to bind).
    Every,
    /// The subjects in these communes (versions of record or of relocation).
    Listed(Vec<Uuid>),
}

impl Communes {
    /// Whether no subject can be read.
    pub fn is_empty(&self) -> bool {
        matches!(self, Communes::Listed(v) if v.is_empty())
    }
}

/// Population and numerators of the subjects recorded in one commune version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub population: i64,
    pub value_chain: i64,
    pub modern_channel: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.population += o.population;
        self.value_chain += o.value_chain;
        self.modern_channel += o.modern_channel;
    }
}

/// Counts per recorded commune, for the subjects recorded in `communes`.
pub async fn counts_by_commune(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    known: Known,
) -> AppResult<Vec<(Uuid, Counts)>> {
    if communes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(db.get_database_backend());
    let ctes = rule_ctes(&mut q, policy, d, communes, known);
    q.push(&format!(
        "{ctes} SELECT p.commune_id AS commune_id, COUNT(*) AS population, \
         COUNT(vc.id) AS value_chain, COUNT(mc.id) AS modern_channel \
         FROM pop p LEFT JOIN vc ON vc.id = p.id LEFT JOIN mc ON mc.id = p.id \
         GROUP BY p.commune_id"
    ));
    let rows = db.query_all_raw(q.build()).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "commune_id")?,
                Counts {
                    population: r.try_get::<i64>("", "population")?,
                    value_chain: r.try_get::<i64>("", "value_chain")?,
                    modern_channel: r.try_get::<i64>("", "modern_channel")?,
                },
            ))
        })
        .collect()
}

/// Which indicator a subject list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    ValueChain,
    ModernChannel,
}

/// A population subject with its two verdicts.
#[derive(Debug, Clone)]
pub struct SubjectFlags {
    pub id: Uuid,
    pub commune_id: Uuid,
    pub value_chain: bool,
    pub modern_channel: bool,
}

/// Which part of the population list, in which order.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u64,
    pub offset: u64,
    /// By the commune's name (then the subject's), instead of by the subject's name.
    pub by_commune: bool,
}

impl Window {
    /// Everything, by name.
    pub const ALL: Window = Window {
        limit: u64::MAX,
        offset: 0,
        by_commune: false,
    };
}

/// Population subjects recorded in `communes`, by name, optionally only those that count (or
/// do not) for one indicator; a page of them (`limit`, `offset`) and the total. With a filter,
/// only the filtered indicator's flag is computed (the other reads `false`).
pub async fn subjects(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    filter: Option<(Which, bool)>,
    window: Window,
    known: Known,
) -> AppResult<(Vec<SubjectFlags>, u64)> {
    let Window {
        limit,
        offset,
        by_commune,
    } = window;
    if communes.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // Filtered on one indicator, only that indicator's rules run (an unreferenced CTE is never
    // computed): a drill-down page costs about half a report.
    let (joins, where_sql, vc_flag, mc_flag) = match filter {
        Some((Which::ValueChain, counts)) => (
            "LEFT JOIN vc ON vc.id = p.id",
            if counts {
                " WHERE vc.id IS NOT NULL"
            } else {
                " WHERE vc.id IS NULL"
            },
            "CASE WHEN vc.id IS NULL THEN 0 ELSE 1 END",
            "0",
        ),
        Some((Which::ModernChannel, counts)) => (
            "LEFT JOIN mc ON mc.id = p.id",
            if counts {
                " WHERE mc.id IS NOT NULL"
            } else {
                " WHERE mc.id IS NULL"
            },
            "0",
            "CASE WHEN mc.id IS NULL THEN 0 ELSE 1 END",
        ),
        None => (
            "LEFT JOIN vc ON vc.id = p.id LEFT JOIN mc ON mc.id = p.id",
            "",
            "CASE WHEN vc.id IS NULL THEN 0 ELSE 1 END",
            "CASE WHEN mc.id IS NULL THEN 0 ELSE 1 END",
        ),
    };
    let from = format!("FROM pop p {joins}{where_sql}");
    let order = if by_commune {
        // The unit table holds reference data only: read live whatever the knowledge time.
        " ORDER BY (SELECT u.name_folded FROM unit u WHERE u.id = p.commune_id), p.search_text, p.id"
    } else {
        " ORDER BY p.search_text, p.id"
    };
    let statement = |count_only: bool| {
        let mut q = Sql::new(db.get_database_backend());
        let ctes = rule_ctes(&mut q, policy, d, communes, known);
        if count_only {
            q.push(&format!("{ctes} SELECT COUNT(*) AS n {from}"));
        } else {
            let (l, o) = (
                q.bind(i64::try_from(limit).unwrap_or(i64::MAX)),
                q.bind(i64::try_from(offset).unwrap_or(i64::MAX)),
            );
            // The total comes with the page (a window over the filtered rows), so the rules
            // run once.
            q.push(&format!(
                "{ctes} SELECT p.id AS id, p.commune_id AS commune_id, \
                 {vc_flag} AS vc, {mc_flag} AS mc, COUNT(*) OVER () AS total \
                 {from}{order} LIMIT {l} OFFSET {o}"
            ));
        }
        q.build()
    };
    let rows = db.query_all_raw(statement(false)).await?;
    let mut total = None;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        total = Some(r.try_get::<i64>("", "total")?);
        items.push(SubjectFlags {
            id: r.try_get("", "id")?,
            commune_id: r.try_get("", "commune_id")?,
            value_chain: r.try_get::<i32>("", "vc")? == 1,
            modern_channel: r.try_get::<i32>("", "mc")? == 1,
        });
    }
    let total = match total {
        Some(t) => t,
        // A page past the end has no row to carry the total.
        None if offset > 0 => db
            .query_one_raw(statement(true))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0),
        None => 0,
    };
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

/// Population subjects recorded in `communes` (ids, recorded communes), without verdicts.
pub async fn population(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    known: Known,
) -> AppResult<Vec<(Uuid, Uuid)>> {
    if communes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(db.get_database_backend());
    let ctes = rule_ctes(&mut q, policy, d, communes, known);
    q.push(&format!(
        "{ctes} SELECT p.id AS id, p.commune_id AS commune_id FROM pop p \
         ORDER BY p.search_text, p.id"
    ));
    db.query_all_raw(q.build())
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "commune_id")?)))
        .collect()
}

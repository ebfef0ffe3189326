//! Places named as lists name them: a province, a district and a commune by name, without
//! accents or the level word (`Tam Thăng`, `xã Tam Thăng`), resolved to the units valid on the
//! list's date, the district narrowing the commune. A commune that a merge removed resolves
//! through its successor, and the row says so.

use crate::domain::UnitLevel;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use super::cells::normalize;
use crate::i18n::Msg;
use crate::msg;
use crate::units::graph::{UnitGraph, valid_on};

/// Level words that may open a unit's name, longest first where one begins another.
const LEVEL_WORDS: &[&str] = &[
    "thanh pho",
    "thi tran",
    "thi xa",
    "dac khu",
    "phuong",
    "huyen",
    "quan",
    "tinh",
    "xa",
    "tp",
    "tx",
    "tt",
];

/// A unit's name without its level word: `Xã Tam Thăng`, `xa tam thang` and `Tam Thăng` are
/// one name.
pub fn bare(name: &str) -> String {
    let n = normalize(name);
    for w in LEVEL_WORDS {
        if let Some(rest) = n.strip_prefix(&format!("{w} ")) {
            return rest.to_owned();
        }
    }
    n
}

/// Where a row's record is.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The commune, when the row names one.
    pub commune: Option<Uuid>,
    /// The most precise unit named (the commune, else the district, else the province).
    pub unit: Uuid,
    /// What the reader should know (a merged commune taken as its successor).
    pub note: Option<Msg>,
}

/// The names a row gives (blank ones left out).
#[derive(Debug, Default, Clone)]
pub struct Names<'a> {
    pub province: Option<&'a str>,
    pub district: Option<&'a str>,
    pub commune: Option<&'a str>,
}

/// Which column a place problem is about.
pub enum Column {
    Province,
    District,
    Commune,
}

pub struct Resolver<'g> {
    graph: &'g UnitGraph,
    /// (level, bare name) → the units the list may name (the importer's reach) by that name:
    /// built once per file, not per row.
    by_name: HashMap<(UnitLevel, String), Vec<Uuid>>,
    on: NaiveDate,
}

impl<'g> Resolver<'g> {
    pub fn new(graph: &'g UnitGraph, pool: Option<HashSet<Uuid>>, on: NaiveDate) -> Self {
        let mut by_name: HashMap<(UnitLevel, String), Vec<Uuid>> = HashMap::new();
        for id in graph.all() {
            if pool.as_ref().is_some_and(|p| !p.contains(&id)) {
                continue;
            }
            if let Some(u) = graph.get(id) {
                by_name
                    .entry((u.level, bare(&u.name)))
                    .or_default()
                    .push(id);
            }
        }
        for ids in by_name.values_mut() {
            ids.sort();
        }
        Resolver { graph, by_name, on }
    }

    fn label(&self, id: Uuid) -> String {
        let Some(u) = self.graph.get(id) else {
            return id.to_string();
        };
        let parents: Vec<String> = self
            .graph
            .ancestors(id)
            .into_iter()
            .skip(1)
            .filter_map(|a| self.graph.get(a).map(|p| p.name.clone()))
            .collect();
        if parents.is_empty() {
            u.name.clone()
        } else {
            format!("{} ({})", u.name, parents.join(", "))
        }
    }

    /// Units of `level` named `name`, under one of `within` when given.
    fn named(&self, level: UnitLevel, name: &str, within: &[Uuid]) -> Vec<Uuid> {
        self.by_name
            .get(&(level, bare(name)))
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| {
                within.is_empty() || self.graph.ancestors(*id).iter().any(|a| within.contains(a))
            })
            .collect()
    }

    /// The named units valid on the list's date, else every version of that name.
    fn pick(&self, level: UnitLevel, name: &str, within: &[Uuid]) -> Vec<Uuid> {
        let all = self.named(level, name, within);
        let valid: Vec<Uuid> = all
            .iter()
            .copied()
            .filter(|id| self.graph.get(*id).is_some_and(|u| valid_on(u, self.on)))
            .collect();
        if valid.is_empty() { all } else { valid }
    }

    fn one(&self, ids: Vec<Uuid>, name: &str, column: Column) -> Result<Uuid, (Column, Msg)> {
        // Names that differ only by their accents (Trà Don, Trà Dơn) are told apart by them
        // when the list writes them.
        let ids = if ids.len() > 1 {
            let written = crate::text::clean(name).to_lowercase();
            let exact: Vec<Uuid> = ids
                .iter()
                .copied()
                .filter(|id| {
                    self.graph.get(*id).is_some_and(|u| {
                        let n = u.name.to_lowercase();
                        n == written || n.ends_with(&format!(" {written}"))
                    })
                })
                .collect();
            if exact.is_empty() { ids } else { exact }
        } else {
            ids
        };
        match ids.as_slice() {
            [one] => Ok(*one),
            [] => Err((column, msg!("import-place-unknown", name = name))),
            many => {
                let mut labels: Vec<String> = many.iter().map(|id| self.label(*id)).collect();
                labels.sort();
                labels.dedup();
                Err((
                    column,
                    msg!(
                        "import-place-ambiguous",
                        name = name,
                        candidates = labels.join("; ")
                    ),
                ))
            }
        }
    }

    pub fn resolve(&self, names: &Names<'_>) -> Result<Place, (Column, Msg)> {
        let province = match names.province {
            Some(p) => {
                Some(self.one(self.pick(UnitLevel::Province, p, &[]), p, Column::Province)?)
            }
            None => None,
        };
        let within_p: Vec<Uuid> = province.into_iter().collect();
        let district = match names.district {
            Some(d) => Some(self.one(
                self.pick(UnitLevel::District, d, &within_p),
                d,
                Column::District,
            )?),
            None => None,
        };
        let within: Vec<Uuid> = district.map_or(within_p.clone(), |d| vec![d]);
        let Some(c) = names.commune else {
            let unit = district
                .or(province)
                .ok_or((Column::Commune, msg!("import-place-missing")))?;
            return Ok(Place {
                commune: None,
                unit,
                note: None,
            });
        };
        let named = self.named(UnitLevel::Commune, c, &within);
        let valid: Vec<Uuid> = named
            .iter()
            .copied()
            .filter(|id| self.graph.get(*id).is_some_and(|u| valid_on(u, self.on)))
            .collect();
        if !valid.is_empty() || named.is_empty() {
            let id = self.one(valid, c, Column::Commune)?;
            return Ok(Place {
                commune: Some(id),
                unit: id,
                note: None,
            });
        }
        // Only former communes bear the name: what they became on the list's date.
        let successors: BTreeSet<Uuid> = named
            .iter()
            .flat_map(|id| self.graph.map_to_date(*id, self.on))
            .collect();
        let id = self.one(successors.into_iter().collect(), c, Column::Commune)?;
        let became = self
            .graph
            .get(id)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        Ok(Place {
            commune: Some(id),
            unit: id,
            note: Some(msg!(
                "import-commune-merged",
                name = c,
                into = became,
                on = self.on
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_words_and_accents_do_not_matter() {
        assert_eq!(bare("Xã Tam Thăng"), "tam thang");
        assert_eq!(bare("tam thang"), "tam thang");
        assert_eq!(bare("Thị xã Điện Bàn"), "dien ban");
        assert_eq!(bare("TP. Tam Kỳ"), "tam ky");
        assert_eq!(bare("Thành phố Đà Nẵng"), "da nang");
    }
}

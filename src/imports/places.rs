//! Places named as lists name them: a commune by its official code first (as the registry's
//! own exports write it), else a province, a district and a commune by name, without accents
//! or the level word (`Tam Thăng`, `xã Tam Thăng`), resolved to the units valid on the list's
//! date, the district narrowing the commune. A commune that a merge removed resolves through
//! its successor, and the row says so. A name shared by several units valid that day is an
//! error naming them, never a choice.
//!
//! Besides the unit the row is placed in, a [`Place`] keeps every unit version the row's words
//! fit: a registered record in one of them has not moved, whatever the list's date (an export
//! re-imported after a reform changes nothing).

use crate::domain::UnitLevel;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use uuid::Uuid;

use super::cells::normalize;
use crate::i18n::Msg;
use crate::msg;
use crate::unit_graph::{UnitGraph, valid_on};

mod codes;

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
    /// Every commune version the row's words fit, whatever its dates (`unit` among them, or
    /// its predecessor): a record in one of them is where the row says it is.
    pub named: Vec<Uuid>,
}

impl Place {
    /// A place given by a unit's id: exactly that unit.
    pub fn exact(id: Uuid) -> Self {
        Place {
            commune: Some(id),
            unit: id,
            note: None,
            named: vec![id],
        }
    }

    /// The unit a record in `current` keeps when the row is about it: `current` when the row's
    /// words fit it (a record never moves because a list names its place differently), else
    /// the row's commune.
    pub fn keeps(&self, current: Uuid) -> Option<Uuid> {
        if self.named.contains(&current) {
            Some(current)
        } else {
            self.commune
        }
    }
}

/// The names a row gives (blank ones left out).
#[derive(Debug, Default, Clone)]
pub struct Names<'a> {
    /// The commune's official code (`20335`), which names it before any name does.
    pub commune_code: Option<&'a str>,
    pub province: Option<&'a str>,
    pub district: Option<&'a str>,
    pub commune: Option<&'a str>,
}

/// Which column a place problem is about.
pub enum Column {
    Province,
    District,
    Commune,
    CommuneCode,
}

pub struct Resolver<'g> {
    graph: &'g UnitGraph,
    /// (level, bare name) → the units the list may name (the importer's reach) by that name:
    /// built once per file, not per row.
    by_name: HashMap<(UnitLevel, String), Vec<Uuid>>,
    /// A commune's code → its versions the list may name.
    by_code: HashMap<String, Vec<Uuid>>,
    /// Bare name → the communes outside the importer's reach by that name (to tell a commune
    /// elsewhere from a misspelling), built once per file: a bare name costs a pass over the
    /// country's communes.
    elsewhere: HashMap<String, Vec<Uuid>>,
    on: NaiveDate,
    /// Where a row whose commune is not found is known to be when it names no district or
    /// province (the importer's unit); `None`: such a row is an error.
    drafts_under: Option<Option<Uuid>>,
}

impl<'g> Resolver<'g> {
    pub fn new(graph: &'g UnitGraph, pool: Option<HashSet<Uuid>>, on: NaiveDate) -> Self {
        let mut by_name: HashMap<(UnitLevel, String), Vec<Uuid>> = HashMap::new();
        let mut by_code: HashMap<String, Vec<Uuid>> = HashMap::new();
        let mut elsewhere: HashMap<String, Vec<Uuid>> = HashMap::new();
        for id in graph.all() {
            if pool.as_ref().is_some_and(|p| !p.contains(&id)) {
                if let Some(u) = graph.get(id).filter(|u| u.level == UnitLevel::Commune) {
                    elsewhere.entry(bare(&u.name)).or_default().push(id);
                }
                continue;
            }
            if let Some(u) = graph.get(id) {
                by_name
                    .entry((u.level, bare(&u.name)))
                    .or_default()
                    .push(id);
                if u.level == UnitLevel::Commune {
                    by_code.entry(u.code.clone()).or_default().push(id);
                }
            }
        }
        for ids in by_name.values_mut().chain(by_code.values_mut()) {
            ids.sort();
        }
        Resolver {
            graph,
            by_name,
            by_code,
            elsewhere,
            on,
            drafts_under: None,
        }
    }

    /// A commune name not found on the list's date (a former commune merged before the unit
    /// data begins, a misspelling) becomes a place with no commune, in the district or province
    /// the row names, else in `root`: the record is kept as a draft that lacks its commune, and
    /// its row keeps the words (docs/domain.md §9). Ambiguous names stay errors.
    /// The day the list describes.
    pub fn on(&self) -> NaiveDate {
        self.on
    }

    pub fn keeping_unknown_communes(mut self, root: Option<Uuid>) -> Self {
        self.drafts_under = Some(root);
        self
    }

    /// A unit with the units above it: `Phường Tân Thạnh (Thành phố Tam Kỳ, Tỉnh Quảng Nam)`.
    pub fn label(&self, id: Uuid) -> String {
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

    /// A commune named `name` outside the units the list may name (the version valid on the
    /// list's date first), when none inside bears it.
    fn outside(&self, name: &str) -> Option<Uuid> {
        if !self.named(UnitLevel::Commune, name, &[]).is_empty() {
            return None;
        }
        self.elsewhere
            .get(&bare(name))?
            .iter()
            .filter_map(|id| self.graph.get(*id))
            .max_by_key(|u| (valid_on(u, self.on), u.valid_from))
            .map(|u| u.id)
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
        if let Some(code) = names.commune_code {
            return self.by_code(code, names);
        }
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
                named: Vec::new(),
            });
        };
        let named = self.named(UnitLevel::Commune, c, &within);
        if named.is_empty()
            && let Some(outside) = self.outside(c)
        {
            // Not a misspelling: a commune of that name outside the importer's unit.
            return Err((
                Column::Commune,
                msg!(
                    "import-place-name-outside",
                    name = c,
                    unit = self.label(outside)
                ),
            ));
        }
        if named.is_empty()
            && let Some(unit) = self
                .drafts_under
                .and_then(|root| district.or(province).or(root))
        {
            return Ok(Place {
                commune: None,
                unit,
                note: Some(msg!("import-commune-unknown", name = c, on = self.on)),
                named,
            });
        }
        self.commune_on_date(named, c, Column::Commune)
    }

    /// Among commune versions the row's words fit: the one valid on the list's date, else
    /// what the former ones became by then (and the row says so).
    /// What the reader should know when the list wrote a name with accents other than the
    /// unit's (`Tân Thành` for Xã Tân Thạnh, the only one of the kind there): accents may be
    /// left out, but a name written with different ones is another name, taken for this unit
    /// only with a word.
    fn accented_otherwise(&self, id: Uuid, written: &str) -> Option<Msg> {
        let w = crate::text::clean(written).to_lowercase();
        if crate::text::fold(&w) == w {
            return None;
        }
        let unit = self.graph.get(id)?;
        let n = unit.name.to_lowercase();
        if n == w || n.ends_with(&format!(" {w}")) {
            return None;
        }
        Some(msg!(
            "import-place-accents",
            name = written,
            unit = self.label(id)
        ))
    }

    fn commune_on_date(
        &self,
        named: Vec<Uuid>,
        written: &str,
        column: Column,
    ) -> Result<Place, (Column, Msg)> {
        let valid: Vec<Uuid> = named
            .iter()
            .copied()
            .filter(|id| self.graph.get(*id).is_some_and(|u| valid_on(u, self.on)))
            .collect();
        if !valid.is_empty() || named.is_empty() {
            let id = self.one(valid, written, column)?;
            return Ok(Place {
                commune: Some(id),
                unit: id,
                note: self.accented_otherwise(id, written),
                named,
            });
        }
        // Only former communes bear the name: what they became on the list's date.
        let successors: BTreeSet<Uuid> = named
            .iter()
            .flat_map(|id| self.graph.map_to_date(*id, self.on))
            .collect();
        let id = self.one(successors.into_iter().collect(), written, column)?;
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
                name = written,
                into = became,
                on = self.on
            )),
            named,
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

//! Where subjects count on a date (`docs/domain.md` §5): a subject counts for unit U on day D when
//! its recorded commune, mapped through the succession links to the units valid on D, lies in
//! U's subtree on D. A commune that maps to several units (or to none) is ambiguous: it counts
//! for U only if every candidate lies inside U, never for a child, and its subjects are listed.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use entity::unit;
use uuid::Uuid;

use super::engine::Communes;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::unit_graph::{UnitGraph, valid_on};

/// U's subtree on D and where each relevant recorded commune lands.
#[derive(Debug)]
pub struct Placement {
    pub unit: unit::Model,
    /// Children of U valid on D, by code.
    pub children: Vec<unit::Model>,
    subtree: HashSet<Uuid>,
    child_subtrees: Vec<HashSet<Uuid>>,
    /// Recorded commune version → units valid on D it maps to (only communes that touch U).
    mapping: HashMap<Uuid, BTreeSet<Uuid>>,
    /// How many commune versions the registry knows: when every one is relevant (the country),
    /// queries read every subject rather than bind a list of them all.
    known_communes: usize,
}

fn valid_subtree(graph: &UnitGraph, root: Uuid, d: NaiveDate) -> HashSet<Uuid> {
    let mut out = HashSet::new();
    let mut queue = VecDeque::from([root]);
    while let Some(id) = queue.pop_front() {
        if out.insert(id) {
            for c in graph.children(id) {
                if graph.get(*c).is_some_and(|u| valid_on(u, d)) {
                    queue.push_back(*c);
                }
            }
        }
    }
    out
}

impl Placement {
    /// Resolves U on D: 404 for a unit that does not exist; U must be valid on D (422 naming
    /// `field` otherwise, saying what it became).
    pub fn resolve(graph: &UnitGraph, unit_id: Uuid, d: NaiveDate, field: &str) -> AppResult<Self> {
        let u = graph
            .get(unit_id)
            .ok_or_else(|| AppError::not_found("administrative unit", unit_id))?;
        if !valid_on(u, d) {
            let mapped: Vec<String> = graph
                .map_to_date(unit_id, d)
                .into_iter()
                .filter_map(|id| graph.get(id))
                .map(|m| format!("{} ({}, id {})", m.name, m.code, m.id))
                .collect();
            let bound = |d: Option<NaiveDate>| d.map_or_else(|| "…".to_owned(), |d| d.to_string());
            return Err(AppError::invalid(
                field,
                msg!(
                    "field-unit-not-on-date",
                    name = u.name,
                    code = u.code,
                    on = d,
                    from = bound(u.valid_from),
                    until = bound(u.valid_to),
                    successors = if mapped.is_empty() {
                        "none".to_owned()
                    } else {
                        mapped.join(", ")
                    },
                ),
            ));
        }
        let subtree = valid_subtree(graph, unit_id, d);
        let mut children: Vec<unit::Model> = graph
            .children(unit_id)
            .iter()
            .filter_map(|c| graph.get(*c))
            .filter(|c| valid_on(c, d))
            .cloned()
            .collect();
        children.sort_by(|a, b| a.code.cmp(&b.code));
        let child_subtrees = children
            .iter()
            .map(|c| valid_subtree(graph, c.id, d))
            .collect();
        let reach = graph.reach(unit_id);
        // Only communes linked (through successions, either way) to U's subtree or reach can
        // land in it: mapping follows links. The country has 13,000 communes; a unit's
        // neighbourhood, a few hundred.
        let mut near: HashSet<Uuid> = HashSet::new();
        let mut queue: VecDeque<Uuid> = subtree.iter().chain(reach.iter()).copied().collect();
        while let Some(id) = queue.pop_front() {
            if near.insert(id) {
                queue.extend(graph.linked(id));
            }
        }
        let mut mapping = HashMap::new();
        for id in near.into_iter().filter(|id| graph.is_commune(*id)) {
            let targets = graph.map_to_date(id, d);
            let touches = if targets.is_empty() {
                reach.contains(&id)
            } else {
                targets.iter().any(|t| subtree.contains(t))
            };
            if touches {
                mapping.insert(id, targets);
            }
        }
        Ok(Placement {
            unit: u.clone(),
            children,
            subtree,
            child_subtrees,
            mapping,
            known_communes: graph.communes().count(),
        })
    }

    /// Recorded communes whose subjects may matter for U (for the SQL `IN` list).
    pub fn relevant_communes(&self) -> Communes {
        self.communes(|_| true)
    }

    /// The communes of `mapping` that pass `keep`, or every commune when all do.
    fn communes(&self, keep: impl Fn(Uuid) -> bool) -> Communes {
        let mut v: Vec<Uuid> = self.mapping.keys().copied().filter(|c| keep(*c)).collect();
        if v.len() == self.known_communes {
            return Communes::Every;
        }
        v.sort();
        Communes::Listed(v)
    }

    /// The units valid on D a recorded commune maps to.
    pub fn targets(&self, commune: Uuid) -> Option<&BTreeSet<Uuid>> {
        self.mapping.get(&commune)
    }

    /// Whether subjects recorded in `commune` count for U.
    pub fn counts_for_unit(&self, commune: Uuid) -> bool {
        self.mapping
            .get(&commune)
            .is_some_and(|t| !t.is_empty() && t.iter().all(|x| self.subtree.contains(x)))
    }

    /// The child of U whose subtree holds every target of `commune` (for the children rows).
    pub fn child_index(&self, commune: Uuid) -> Option<usize> {
        let targets = self.mapping.get(&commune)?;
        if targets.is_empty() {
            return None;
        }
        self.child_subtrees
            .iter()
            .position(|sub| targets.iter().all(|t| sub.contains(t)))
    }

    /// Whether subjects recorded in `commune` have no single unit on D.
    pub fn is_ambiguous(&self, commune: Uuid) -> bool {
        self.mapping.get(&commune).is_some_and(|t| t.len() != 1)
    }

    /// Recorded communes that count for U (the population's communes).
    pub fn counted_communes(&self) -> Communes {
        self.communes(|c| self.counts_for_unit(c))
    }

    /// Recorded communes with no single unit on D.
    pub fn ambiguous_communes(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .mapping
            .keys()
            .copied()
            .filter(|c| self.is_ambiguous(*c))
            .collect();
        v.sort();
        v
    }
}

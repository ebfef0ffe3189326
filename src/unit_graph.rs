//! The whole unit graph in memory (a few hundred rows): subtrees, succession closures and the
//! mapping of a recorded commune to the units valid on a date.
//!
//! The whole country is 14,000 unit versions: the graph is built once per process and reused
//! while the units do not change. Units are only ever added (the loader deletes nothing, and its
//! one edit, the provinces' parent, is in the transaction that adds the country unit), so the
//! number of units and of links tells whether the cached graph is the database's:
//! every use checks it with one small query, and a process sees units another process loaded
//! at its next use. (A process serves one database; the test suite's many databases all hold the
//! same reference units, so they share one graph too.)

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::NaiveDate;
use entity::{unit, unit_link};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::error::AppResult;

/// Units, parent/child edges and succession edges.
#[derive(Debug, Default)]
pub struct UnitGraph {
    units: HashMap<Uuid, unit::Model>,
    children: HashMap<Uuid, Vec<Uuid>>,
    successors: HashMap<Uuid, Vec<Uuid>>,
    predecessors: HashMap<Uuid, Vec<Uuid>>,
}

/// The units an auditor of one unit may report on (see [`UnitGraph::may_report`]).
pub struct ReportingScope<'g> {
    graph: &'g UnitGraph,
    reach: HashSet<Uuid>,
}

impl ReportingScope<'_> {
    /// Whether the scope holds `unit` itself or every commune of its subtree.
    pub fn allows(&self, unit: Uuid) -> bool {
        if self.reach.contains(&unit) {
            return true;
        }
        let mut communes = self
            .graph
            .subtree(unit)
            .into_iter()
            .filter(|id| self.graph.is_commune(*id))
            .peekable();
        communes.peek().is_some() && communes.all(|c| self.reach.contains(&c))
    }
}

/// The process's graph and the counts of units and links it was read with.
type Cached = ((i64, i64), Arc<UnitGraph>);

/// Whether `u` is valid on day `d` (`valid_from <= d < valid_to`).
pub fn valid_on(u: &unit::Model, d: NaiveDate) -> bool {
    u.valid_from.is_none_or(|f| f <= d) && u.valid_to.is_none_or(|t| d < t)
}

impl UnitGraph {
    /// The graph of every unit and link: the process's copy when the database holds the same
    /// units and links, else read afresh (and kept).
    pub async fn load(db: &impl ConnectionTrait) -> AppResult<Arc<Self>> {
        static CACHE: std::sync::Mutex<Option<Cached>> = std::sync::Mutex::new(None);
        let backend = db.get_database_backend();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT (SELECT COUNT(*) FROM unit) AS units, \
                 (SELECT COUNT(*) FROM unit_link) AS links",
            ))
            .await?
            .ok_or_else(|| crate::error::AppError::Internal("no unit count".to_owned()))?;
        let key: (i64, i64) = (row.try_get("", "units")?, row.try_get("", "links")?);
        if let Ok(cache) = CACHE.lock()
            && let Some((k, g)) = cache.as_ref()
            && *k == key
        {
            return Ok(g.clone());
        }
        let units = unit::Entity::find().all(db).await?;
        let links = unit_link::Entity::find().all(db).await?;
        // Counted again from what was read: a load racing with this one keeps the two in step.
        let key = (units.len() as i64, links.len() as i64);
        let graph = Arc::new(Self::build(units, links));
        if let Ok(mut cache) = CACHE.lock() {
            *cache = Some((key, graph.clone()));
        }
        Ok(graph)
    }

    /// Builds the graph from rows.
    pub fn build(units: Vec<unit::Model>, links: Vec<unit_link::Model>) -> Self {
        let mut g = UnitGraph::default();
        for u in units {
            if let Some(p) = u.parent_id {
                g.children.entry(p).or_default().push(u.id);
            }
            g.units.insert(u.id, u);
        }
        for l in links {
            g.successors
                .entry(l.from_unit_id)
                .or_default()
                .push(l.to_unit_id);
            g.predecessors
                .entry(l.to_unit_id)
                .or_default()
                .push(l.from_unit_id);
        }
        g
    }

    /// One unit.
    pub fn get(&self, id: Uuid) -> Option<&unit::Model> {
        self.units.get(&id)
    }

    /// `root` and all its descendants (through parent links of every version).
    pub fn subtree(&self, root: Uuid) -> HashSet<Uuid> {
        let mut out = HashSet::new();
        let mut queue = VecDeque::from([root]);
        while let Some(id) = queue.pop_front() {
            if out.insert(id)
                && let Some(kids) = self.children.get(&id)
            {
                queue.extend(kids.iter().copied());
            }
        }
        out
    }

    fn closure(&self, start: &HashSet<Uuid>, edges: &HashMap<Uuid, Vec<Uuid>>) -> HashSet<Uuid> {
        let mut out = HashSet::new();
        let mut queue: VecDeque<Uuid> = start.iter().copied().collect();
        while let Some(id) = queue.pop_front() {
            if let Some(next) = edges.get(&id) {
                for n in next {
                    if out.insert(*n) {
                        queue.push_back(*n);
                    }
                }
            }
        }
        out
    }

    /// The units whose records belong to `root` at some time: its subtree, the units that
    /// subtree became (successors, transitively) and the units it was formed from
    /// (predecessors, transitively). An auditor of Đà Nẵng (48) thus reaches subjects recorded
    /// in the Quảng Nam communes that became Đà Nẵng's, and an auditor of Tam Kỳ reaches the
    /// new communes its own were regrouped into.
    pub fn reach(&self, root: Uuid) -> HashSet<Uuid> {
        let sub = self.subtree(root);
        let fwd = self.closure(&sub, &self.successors);
        let back = self.closure(&sub, &self.predecessors);
        sub.into_iter().chain(fwd).chain(back).collect()
    }

    /// Whether an auditor of `root` may report on `unit`: it reaches the unit itself or every
    /// commune of the unit's subtree (so Đà Nẵng's auditors report on the Quảng Nam districts
    /// whose communes became theirs).
    pub fn may_report(&self, root: Uuid, unit: Uuid) -> bool {
        self.reporting_scope(root).allows(unit)
    }

    /// What an auditor of `root` may report on, its reach computed once for many questions
    /// (a province's reach is a thousand units; the country has fourteen thousand).
    pub fn reporting_scope(&self, root: Uuid) -> ReportingScope<'_> {
        ReportingScope {
            graph: self,
            reach: self.reach(root),
        }
    }

    /// The units valid on `d` that unit `id` corresponds to: itself when valid on `d`, else its
    /// successors (when `d` is after it ended) or predecessors (when `d` is before it began),
    /// followed until valid units are reached. More than one answer means the mapping is
    /// ambiguous; none means the registry knows no unit for that day.
    pub fn map_to_date(&self, id: Uuid, d: NaiveDate) -> BTreeSet<Uuid> {
        let mut out = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([id]);
        while let Some(cur) = queue.pop_front() {
            if !seen.insert(cur) {
                continue;
            }
            let Some(u) = self.units.get(&cur) else {
                continue;
            };
            if valid_on(u, d) {
                out.insert(cur);
            } else if u.valid_to.is_some_and(|t| d >= t) {
                queue.extend(self.successors.get(&cur).into_iter().flatten().copied());
            } else {
                queue.extend(self.predecessors.get(&cur).into_iter().flatten().copied());
            }
        }
        out
    }

    /// The names of the units `id` lies in, nearest first, short of the country (every unit is
    /// in Việt Nam: naming it tells no homonyms apart).
    pub fn within(&self, id: Uuid) -> Vec<&str> {
        self.ancestors(id)
            .into_iter()
            .skip(1)
            .filter_map(|a| self.get(a))
            .filter(|a| a.level != crate::domain::UnitLevel::Country)
            .map(|a| a.name.as_str())
            .collect()
    }

    /// `id` and its ancestors, nearest first.
    pub fn ancestors(&self, id: Uuid) -> Vec<Uuid> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            if out.contains(&c) {
                break;
            }
            out.push(c);
            cur = self.units.get(&c).and_then(|u| u.parent_id);
        }
        out
    }

    /// Every unit version.
    pub fn all(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.units.keys().copied()
    }

    /// Every commune-level unit version.
    pub fn communes(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.units
            .values()
            .filter(|u| u.level == crate::domain::UnitLevel::Commune)
            .map(|u| u.id)
    }

    /// The units linked to `id` by a succession, either way.
    pub fn linked(&self, id: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.successors
            .get(&id)
            .into_iter()
            .chain(self.predecessors.get(&id))
            .flatten()
            .copied()
    }

    /// Whether `id` is a commune-level unit.
    pub fn is_commune(&self, id: Uuid) -> bool {
        self.units
            .get(&id)
            .is_some_and(|u| u.level == crate::domain::UnitLevel::Commune)
    }

    /// The units `id` was formed from by a reform, directly.
    pub fn predecessors_of(&self, id: Uuid) -> &[Uuid] {
        self.predecessors.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Direct children of `id` (all versions).
    pub fn children(&self, id: Uuid) -> &[Uuid] {
        self.children.get(&id).map_or(&[], Vec::as_slice)
    }
}

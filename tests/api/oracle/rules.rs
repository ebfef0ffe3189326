//! The indicator rules of `docs/domain.md` §4, §5, §7 and §8, read a second time and evaluated
//! plainly: subject by subject, in Rust, from the rows as stored. Written from the document and
//! nothing else — no function, query or constant of the registry's engine is used — so that a
//! misreading of the rules in either shows as a disagreement between the two.
//!
//! Shared with `examples/indicator_bench.rs`, whose hand-written query takes the communes of its
//! unit from here.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use entity::{
    certification, certification_scheme, listing_span, raw_material_area, recognition,
    sales_channel, status_event, subject, subject_relocation, unit, unit_link,
};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

/// A policy version's parameters, as `GET /api/v1/policies` lists them.
#[derive(Debug, Clone)]
pub struct Rules {
    pub version: i64,
    pub min_linkage_months: u32,
    pub growing_area_code_is_stable: bool,
    pub value_chain_categories: Vec<String>,
    pub modern_kinds: Vec<String>,
    pub channel_freshness_days: i64,
    pub count_declared_channels: bool,
    pub count_owner_managed_listings: bool,
    pub cap_certificate_validity: bool,
    /// Scheme code → the most months a certificate of it counts from its issue date.
    pub validity_caps: HashMap<String, u32>,
    pub verify_areas: bool,
    pub verification_valid_months: Option<u32>,
    pub empty_units_not_applicable: bool,
    pub value_chain_target: String,
    pub modern_channel_target: String,
}

impl Rules {
    /// From one item of the policy list; `None` if a field is missing or of another type.
    pub fn from_json(p: &Value) -> Option<Rules> {
        let strings = |k: &str| -> Option<Vec<String>> {
            p[k].as_array()?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        Some(Rules {
            version: p["version"].as_i64()?,
            min_linkage_months: u32::try_from(p["min_linkage_months"].as_u64()?).ok()?,
            growing_area_code_is_stable: p["growing_area_code_is_stable"].as_bool()?,
            value_chain_categories: strings("value_chain_categories")?,
            modern_kinds: strings("modern_kinds")?,
            channel_freshness_days: p["channel_freshness_days"].as_i64()?,
            count_declared_channels: p["count_declared_channels"].as_bool()?,
            count_owner_managed_listings: p["count_owner_managed_listings"].as_bool()?,
            cap_certificate_validity: p["cap_certificate_validity"].as_bool()?,
            validity_caps: p["validity_caps"]
                .as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), u32::try_from(v.as_u64()?).ok()?)))
                .collect::<Option<_>>()?,
            verify_areas: p["verify_areas"].as_bool()?,
            verification_valid_months: match &p["verification_valid_months"] {
                Value::Null => None,
                v => Some(u32::try_from(v.as_u64()?).ok()?),
            },
            empty_units_not_applicable: p["empty_units_not_applicable"].as_bool()?,
            value_chain_target: p["value_chain_target"].as_str()?.to_owned(),
            modern_channel_target: p["modern_channel_target"].as_str()?.to_owned(),
        })
    }
}

/// `months` calendar months after `d`: the same day, or the last day of a shorter month (how
/// validity periods are counted: 31 Jan + 1 month is 28 or 29 Feb).
pub fn plus_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The Vietnamese calendar day (UTC+7, no daylight saving) an instant falls on.
pub fn vietnamese_day(t: DateTime<Utc>) -> NaiveDate {
    (t + TimeDelta::hours(7)).date_naive()
}

/// Whether a unit version exists on `d`: `valid_from` is its first day, `valid_to` the first
/// day it no longer exists in that form.
fn unit_valid_on(u: &unit::Model, d: NaiveDate) -> bool {
    u.valid_from.is_none_or(|f| f <= d) && u.valid_to.is_none_or(|t| d < t)
}

/// The administrative units and the successions between them (§5).
pub struct Geography {
    pub units: HashMap<Uuid, unit::Model>,
    /// Unit → (what it became, on which day).
    successors: HashMap<Uuid, Vec<(Uuid, NaiveDate)>>,
    /// Unit → what it was made from.
    predecessors: HashMap<Uuid, Vec<Uuid>>,
    children: HashMap<Uuid, Vec<Uuid>>,
}

impl Geography {
    /// Every unit version and link.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Geography, DbErr> {
        let units: HashMap<Uuid, unit::Model> = unit::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for u in units.values() {
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(u.id);
            }
        }
        let mut successors: HashMap<Uuid, Vec<(Uuid, NaiveDate)>> = HashMap::new();
        let mut predecessors: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for l in unit_link::Entity::find().all(db).await? {
            successors
                .entry(l.from_unit_id)
                .or_default()
                .push((l.to_unit_id, l.effective_on));
            predecessors
                .entry(l.to_unit_id)
                .or_default()
                .push(l.from_unit_id);
        }
        Ok(Geography {
            units,
            successors,
            predecessors,
            children,
        })
    }

    /// The units valid on `d` that a recorded commune stands for on `d`: the commune itself
    /// while it exists; once it has ended, what it became ("A became part of B on E", followed
    /// as far as needed); before it began, what it was made from. More than one is an ambiguous
    /// place; none, an unknown one.
    pub fn lands(&self, commune: Uuid, d: NaiveDate) -> BTreeSet<Uuid> {
        let mut out = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut todo = vec![commune];
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(u) = self.units.get(&id) else {
                continue;
            };
            if unit_valid_on(u, d) {
                out.insert(id);
            } else if u.valid_to.is_some_and(|end| end <= d) {
                todo.extend(
                    self.successors
                        .get(&id)
                        .into_iter()
                        .flatten()
                        .filter(|(_, on)| *on <= d)
                        .map(|(to, _)| *to),
                );
            } else {
                todo.extend(self.predecessors.get(&id).into_iter().flatten().copied());
            }
        }
        out
    }

    /// Whether unit `u` is `ancestor` or lies under it (through its parents).
    pub fn within(&self, u: Uuid, ancestor: Uuid) -> bool {
        let mut cur = Some(u);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            steps += 1;
            if steps > 10 {
                return false;
            }
            cur = self.units.get(&c).and_then(|x| x.parent_id);
        }
        false
    }

    /// The units directly under `u` that exist on `d`.
    pub fn children_on(&self, u: Uuid, d: NaiveDate) -> Vec<&unit::Model> {
        self.children
            .get(&u)
            .into_iter()
            .flatten()
            .filter_map(|c| self.units.get(c))
            .filter(|c| unit_valid_on(c, d))
            .collect()
    }

    /// The unit of `level` and `code` that exists on `d`.
    pub fn by_code_on(&self, level: &str, code: &str, d: NaiveDate) -> Option<&unit::Model> {
        self.units
            .values()
            .find(|u| u.level.code() == level && u.code == code && unit_valid_on(u, d))
    }

    /// The recorded communes whose subjects all count in `u` on `d` (every place they stand
    /// for lies in it).
    #[allow(dead_code, reason = "the benchmark's hand-written query lists them")]
    pub fn communes_counting_in(&self, u: Uuid, d: NaiveDate) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self
            .units
            .values()
            .filter(|c| c.level.code() == "commune")
            .filter(|c| {
                let lands = self.lands(c.id, d);
                !lands.is_empty() && lands.iter().all(|t| self.within(*t, u))
            })
            .map(|c| c.id)
            .collect();
        v.sort();
        v
    }
}

/// Rows of one kind grouped by the record they belong to.
fn group<T, K: std::hash::Hash + Eq>(rows: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut m: HashMap<K, Vec<T>> = HashMap::new();
    for r in rows {
        m.entry(key(&r)).or_default().push(r);
    }
    m
}

/// A population subject on a date: where it counts and its two verdicts.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The units valid on the date its commune stands for.
    pub lands: BTreeSet<Uuid>,
    pub value_chain: bool,
    pub modern_channel: bool,
}

/// Everything the indicators are computed from, as stored.
pub struct Registry {
    pub geography: Geography,
    subjects: Vec<subject::Model>,
    relocations: HashMap<Uuid, Vec<subject_relocation::Model>>,
    recognitions: HashMap<Uuid, Vec<recognition::Model>>,
    areas: HashMap<Uuid, Vec<raw_material_area::Model>>,
    certifications: HashMap<Uuid, Vec<certification::Model>>,
    schemes: HashMap<Uuid, certification_scheme::Model>,
    events: HashMap<(String, Uuid), Vec<status_event::Model>>,
    channels: HashMap<Uuid, Vec<sales_channel::Model>>,
    spans: HashMap<Uuid, Vec<listing_span::Model>>,
    /// Every version of every certification, area and channel, by record, in the order
    /// recorded.
    certification_versions: HashMap<Uuid, Vec<(DateTime<Utc>, certification::Model)>>,
    area_versions: HashMap<Uuid, Vec<(DateTime<Utc>, raw_material_area::Model)>>,
    channel_versions: HashMap<Uuid, Vec<(DateTime<Utc>, sales_channel::Model)>>,
}

/// Every version of a table's records (`<table>_version`), by record, in the order recorded.
async fn versions<M: sea_orm::FromQueryResult>(
    db: &impl ConnectionTrait,
    table: &str,
) -> Result<HashMap<Uuid, Vec<(DateTime<Utc>, M)>>, DbErr> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT * FROM {table}_version"),
        ))
        .await?;
    let mut out: HashMap<Uuid, Vec<(DateTime<Utc>, M)>> = HashMap::new();
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let recorded: DateTime<Utc> = row.try_get("", "recorded_at")?;
        out.entry(id)
            .or_default()
            .push((recorded, M::from_query_result(&row, "")?));
    }
    for v in out.values_mut() {
        v.sort_by_key(|(recorded, _)| *recorded);
    }
    Ok(out)
}

/// §7: the values a verification recorded at `at` vouched for — the version the registry held
/// at that moment (the last recorded at or before it); a verification written together with
/// the record, before its first version was, saw that first version.
fn seen<M>(versions: Option<&Vec<(DateTime<Utc>, M)>>, at: DateTime<Utc>) -> Option<&M> {
    let versions = versions?;
    versions
        .iter()
        .rev()
        .find(|(recorded, _)| *recorded <= at)
        .or(versions.first())
        .map(|(_, m)| m)
}

impl Registry {
    /// Reads every row the rules look at.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Registry, DbErr> {
        Ok(Registry {
            geography: Geography::load(db).await?,
            subjects: subject::Entity::find().all(db).await?,
            relocations: group(subject_relocation::Entity::find().all(db).await?, |r| {
                r.subject_id
            }),
            recognitions: group(recognition::Entity::find().all(db).await?, |r| r.subject_id),
            areas: group(raw_material_area::Entity::find().all(db).await?, |a| {
                a.subject_id
            }),
            certifications: group(certification::Entity::find().all(db).await?, |c| {
                c.subject_id
            }),
            schemes: certification_scheme::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect(),
            events: group(status_event::Entity::find().all(db).await?, |e| {
                (e.entity.code().to_owned(), e.entity_id)
            }),
            channels: group(sales_channel::Entity::find().all(db).await?, |c| {
                c.subject_id
            }),
            spans: group(listing_span::Entity::find().all(db).await?, |s| {
                s.channel_id
            }),
            certification_versions: versions(db, "certification").await?,
            area_versions: versions(db, "raw_material_area").await?,
            channel_versions: versions(db, "sales_channel").await?,
        })
    }

    /// §8: the commune a subject is in on `d`. A relocation effective on E places it in the
    /// old commune before E and in the new one from E; of two effective the same day, the one
    /// recorded later wins. Before its first relocation it is where that one took it from.
    pub fn commune_on(&self, s: &subject::Model, d: NaiveDate) -> Uuid {
        let Some(moves) = self.relocations.get(&s.id) else {
            return s.commune_id;
        };
        let mut moves: Vec<&subject_relocation::Model> = moves.iter().collect();
        moves.sort_by_key(|m| (m.effective_on, m.seq));
        match moves.iter().rev().find(|m| m.effective_on <= d) {
            Some(m) => m.to_commune_id,
            None => moves.first().map_or(s.commune_id, |m| m.from_commune_id),
        }
    }

    /// §4.1: an active OCOP subject on `d` holds a recognition of 3 stars or more decided on or
    /// before `d`, still valid on `d`, and not revoked on or before `d`.
    pub fn is_active(&self, s: &subject::Model, d: NaiveDate) -> bool {
        self.recognitions.get(&s.id).into_iter().flatten().any(|r| {
            r.stars >= 3
                && r.decision_date <= d
                && d < r.valid_until
                && r.revoked_on.is_none_or(|revoked| revoked > d)
        })
    }

    /// §3, §8: the status a record had on `d` — that of the last move recorded (status events
    /// in their order of recording) among those effective on or before `d`.
    fn status_on(&self, entity: &str, id: Uuid, d: NaiveDate) -> Option<&status_event::Model> {
        self.events
            .get(&(entity.to_owned(), id))
            .into_iter()
            .flatten()
            .filter(|e| e.effective_on <= d)
            .max_by_key(|e| e.seq)
    }

    /// §7: certification `live` as the verification in force on `d` saw it, with when that
    /// verification was recorded, if it is a certificate on `d` whatever its category: issued
    /// by `d`, not expired, and within its scheme's cap when the policy caps.
    fn certificate_on(
        &self,
        live: &certification::Model,
        d: NaiveDate,
        p: &Rules,
    ) -> Option<(&certification::Model, DateTime<Utc>)> {
        let verification = self
            .status_on("certification", live.id, d)
            .filter(|e| e.to_status.code() == "verified")?;
        let c = seen(self.certification_versions.get(&live.id), verification.at)?;
        let scheme = self.schemes.get(&c.scheme_id)?;
        let within_cap = !p.cap_certificate_validity
            || p.validity_caps
                .get(&scheme.code)
                .is_none_or(|m| d < plus_months(c.issued_on, *m));
        (c.issued_on <= d && d < c.expires_on && within_cap).then_some((c, verification.at))
    }

    /// §4.3 with §7: a certificate on `d` (as its verification saw it) of a green or circular
    /// scheme; and a stable raw-material area on `d` — under a policy that verifies areas, as
    /// an auditor's verification in force on `d` saw it, or (unless the auditor refused the
    /// area on `d`) as the verification of a certificate on `d` scoped to it saw it.
    pub fn counts_for_value_chain(&self, s: &subject::Model, d: NaiveDate, p: &Rules) -> bool {
        let certs = || self.certifications.get(&s.id).into_iter().flatten();
        let certified = certs().any(|live| {
            self.certificate_on(live, d, p).is_some_and(|(c, _)| {
                self.schemes.get(&c.scheme_id).is_some_and(|scheme| {
                    p.value_chain_categories
                        .iter()
                        .any(|c| c == scheme.category.code())
                })
            })
        });
        let areas = || self.areas.get(&s.id).into_iter().flatten();
        let stable = if p.verify_areas {
            areas().any(|live| {
                let versions = self.area_versions.get(&live.id);
                let by_auditor = self
                    .status_on("area", live.id, d)
                    .filter(|e| e.to_status.code() == "verified")
                    .and_then(|e| seen(versions, e.at))
                    .is_some_and(|a| is_stable(a, d, p));
                // An auditor's refusal of the area in force on `d` outweighs any certificate.
                let refused = self.status_on("area", live.id, d).is_some_and(|e| {
                    matches!(e.to_status.code(), "rejected" | "suspended" | "revoked")
                });
                let by_certificate = !refused
                    && certs().any(|c| {
                        self.certificate_on(c, d, p).is_some_and(|(c, at)| {
                            c.area_id == Some(live.id)
                                && seen(versions, at).is_some_and(|a| is_stable(a, d, p))
                        })
                    });
                by_auditor || by_certificate
            })
        } else {
            areas().any(|a| is_stable(a, d, p))
        };
        certified && stable
    }

    /// §4.4 with §7: a modern channel evidenced on `d` — by an auditor's verification
    /// (lasting `verification_valid_months` when set) of a modern channel active on `d` as the
    /// verification saw it; or, as the channel is declared now (modern, active on `d`), by an
    /// active listing seen within the freshness window from a source the policy trusts; or,
    /// under a policy that counts declarations, declared so. A channel an auditor refused
    /// (rejected in force on `d`) counts neither as declared nor by its listings.
    pub fn counts_for_modern_channel(&self, s: &subject::Model, d: NaiveDate, p: &Rules) -> bool {
        let modern_on = |ch: &sales_channel::Model| {
            p.modern_kinds.iter().any(|k| k == ch.kind.code())
                && ch.active_from.is_none_or(|f| f <= d)
                && ch.active_to.is_none_or(|t| d <= t)
        };
        // The owner's word that a shop stopped (or had not begun) is taken.
        let active_now = |ch: &sales_channel::Model| {
            ch.active_from.is_none_or(|f| f <= d) && ch.active_to.is_none_or(|t| d <= t)
        };
        self.channels.get(&s.id).into_iter().flatten().any(|ch| {
            // Refused by D: only a verification after it (read below) counts again.
            let refused = self
                .events
                .get(&("channel".to_owned(), ch.id))
                .into_iter()
                .flatten()
                .any(|e| e.to_status.code() == "rejected" && e.effective_on <= d);
            if p.count_declared_channels {
                return modern_on(ch) && !refused;
            }
            let verified = self
                .status_on("channel", ch.id, d)
                .filter(|e| {
                    e.to_status.code() == "verified"
                        && p.verification_valid_months
                            .is_none_or(|m| d < plus_months(e.effective_on, m))
                })
                .and_then(|e| seen(self.channel_versions.get(&ch.id), e.at))
                .is_some_and(|v| modern_on(v) && active_now(ch));
            // Seen on a Vietnamese day from D − freshness to D, both included.
            let first_day = d - TimeDelta::days(p.channel_freshness_days);
            let seen_listing = self.spans.get(&ch.id).into_iter().flatten().any(|l| {
                (l.trusted || p.count_owner_managed_listings)
                    && vietnamese_day(l.to_at) >= first_day
                    && vietnamese_day(l.from_at) <= d
            });
            verified || (modern_on(ch) && seen_listing && !refused)
        })
    }

    /// The population on `d` with each subject's verdicts.
    pub fn population(&self, d: NaiveDate, p: &Rules) -> Vec<Verdict> {
        self.subjects
            .iter()
            .filter(|s| self.is_active(s, d))
            .map(|s| Verdict {
                lands: self.geography.lands(self.commune_on(s, d), d),
                value_chain: self.counts_for_value_chain(s, d, p),
                modern_channel: self.counts_for_modern_channel(s, d, p),
            })
            .collect()
    }
}

/// §4.2: an area valid on `d` (its `valid_to` is its last day) held as own or leased land,
/// linked through a contract covering `d` that runs at least `min_linkage_months` from its
/// first to its last day, or (when the policy says) with a growing-area code.
fn is_stable(a: &raw_material_area::Model, d: NaiveDate, p: &Rules) -> bool {
    let valid = a.valid_from.is_none_or(|f| f <= d) && a.valid_to.is_none_or(|t| d <= t);
    let linked = a.tenure.code() == "linked"
        && match (a.linkage_start_on, a.linkage_end_on) {
            (Some(start), Some(end)) => {
                start <= d
                    && d <= end
                    && plus_months(start, p.min_linkage_months) <= end + TimeDelta::days(1)
            }
            _ => false,
        };
    valid
        && (a.tenure.code() == "own"
            || a.tenure.code() == "leased"
            || linked
            || (p.growing_area_code_is_stable && a.growing_area_code.is_some()))
}

/// Population and numerators per unit: a verdict counts in every unit that holds all the
/// places it stands for (§5: an ambiguous place counts where all its candidates agree, and is
/// never guessed). Units absent from the map count nothing.
pub fn tallies(geography: &Geography, verdicts: &[Verdict]) -> HashMap<Uuid, (i64, i64, i64)> {
    let mut m: HashMap<Uuid, (i64, i64, i64)> = HashMap::new();
    for v in verdicts {
        let Some(first) = v.lands.first() else {
            continue;
        };
        let mut cur = Some(*first);
        while let Some(u) = cur {
            if v.lands.iter().all(|x| geography.within(*x, u)) {
                let t = m.entry(u).or_default();
                t.0 += 1;
                t.1 += i64::from(v.value_chain);
                t.2 += i64::from(v.modern_channel);
            }
            cur = geography.units.get(&u).and_then(|x| x.parent_id);
        }
    }
    m
}

//! The official administrative units, compiled into the binary from `data/units/`, as unit
//! versions and succession links: Quảng Nam's files of 2019–2025, Đà Nẵng's communes formed from
//! them, and the national file for the rest. Ids are UUIDv5 of the natural key, so every install
//! and every process computes the same ids.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{unit, unit_link};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::LinkKind;
use crate::error::{AppError, AppResult};
use crate::text::fold;

const QUANG_NAM: &str = include_str!("../../data/units/quang_nam_2019_2025.json");
const DA_NANG: &str = include_str!("../../data/units/da_nang_2025_from_quang_nam.json");
/// The whole country in both editions around 1 Jul 2025 (`data/units/vietnam_units_2025.*`).
const VIETNAM: &str = include_str!("../../data/units/vietnam_units_2025.json");

/// The country: one unit above every province of both editions, so a national report is a
/// report like any other (every province valid on the day is a child). Official codes are
/// digits, so this one cannot collide with them.
pub const COUNTRY_CODE: &str = "VN";
const COUNTRY_NAME: &str = "Việt Nam";

/// Quảng Nam's code: its own file (with the units that ended on 1 Jan 2025, checked by hand)
/// wins over the national file for its subtree.
const QUANG_NAM_CODE: &str = "49";

/// Resolution 1241/NQ-UBTVQH15: district and commune arrangement of Quảng Nam, from 1 Jan 2025.
const BASIS_2025_01: &str = "Nghị quyết 1241/NQ-UBTVQH15 (24/10/2024), effective 2025-01-01";
/// Resolution 1659/NQ-UBTVQH15 (communes) and 202/2025/QH15 (provinces), from 1 Jul 2025.
const BASIS_2025_07: &str = "Nghị quyết 1659/NQ-UBTVQH15 and 202/2025/QH15, effective 2025-07-01";

/// The first reform: Nông Sơn into Quế Sơn, eight commune merges.
pub const REFORM_2025_01: NaiveDate = crate::clock::date(2025, 1, 1);
/// The second reform: Quảng Nam into Đà Nẵng, districts abolished.
pub const REFORM_2025_07: NaiveDate = crate::clock::date(2025, 7, 1);

#[derive(Debug, Deserialize)]
struct CodeRef {
    code: String,
    #[serde(default)]
    basis: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QuangNamUnit {
    code: String,
    name: String,
    level: crate::domain::UnitLevel,
    unit_type: Option<String>,
    parent_code: Option<String>,
    in_gso_list_2024_11_01: bool,
    valid_to: NaiveDate,
    #[serde(default)]
    merged_into_2025_01: Option<CodeRef>,
    #[serde(default)]
    former_parent_code: Option<String>,
    #[serde(default)]
    former_name: Option<String>,
    #[serde(default)]
    change_2025_01: Option<String>,
    #[serde(default)]
    successor_2025_07: Vec<CodeRef>,
    #[serde(default)]
    successor_note: Option<String>,
    #[serde(default)]
    data_quality_note: Option<String>,
}

/// A record of the national file.
#[derive(Debug, Deserialize)]
struct NationalUnit {
    code: String,
    name: String,
    level: crate::domain::UnitLevel,
    unit_type: Option<String>,
    parent_code: Option<String>,
    /// `pre_2025_07` or `from_2025_07`.
    edition: String,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    #[serde(default)]
    successor_2025_07: Vec<CodeRef>,
    /// The island districts a special zone (đặc khu) was formed from.
    #[serde(default)]
    predecessor_district_codes: Vec<String>,
    #[serde(default)]
    split_or_partial_2025_07: bool,
}

#[derive(Debug, Deserialize)]
struct DaNangUnit {
    code: String,
    name: String,
    level: crate::domain::UnitLevel,
    parent_code: String,
}

/// A unit version before ids are resolved.
#[derive(Debug, Clone)]
struct Version {
    code: String,
    name: String,
    level: crate::domain::UnitLevel,
    unit_type: Option<String>,
    parent_code: Option<String>,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    note: Option<String>,
}

impl Version {
    fn covers(&self, d: Option<NaiveDate>) -> bool {
        match d {
            // "Before the records begin": the version with an open start.
            None => self.valid_from.is_none(),
            Some(d) => {
                self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| d < t)
            }
        }
    }
}

/// The stable id of a unit version.
pub fn unit_id(level: &str, code: &str, valid_from: Option<NaiveDate>) -> Uuid {
    let from = valid_from.map_or_else(|| "-".to_owned(), |d| d.to_string());
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:ocop-registry:unit:{level}:{code}:{from}").as_bytes(),
    )
}

fn link_id(from: Uuid, to: Uuid) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("urn:ocop-registry:unit-link:{from}:{to}").as_bytes(),
    )
}

/// The official type word at the start of a name ("Phường Bàn Thạch" → "Phường").
fn type_from_name(name: &str) -> Option<String> {
    [
        "Thị trấn",
        "Phường",
        "Xã",
        "Đặc khu",
        "Thành phố",
        "Tỉnh",
        "Huyện",
        "Thị xã",
    ]
    .iter()
    .find(|t| name.starts_with(*t))
    .map(|t| (*t).to_owned())
}

/// A succession link between (code, day) pairs, resolved to ids once all versions exist.
struct PendingLink {
    from_code: String,
    /// A day on which the source version is valid (`None`: the open-start version).
    from_at: Option<NaiveDate>,
    to_code: String,
    effective_on: NaiveDate,
    kind: LinkKind,
    basis: String,
}

/// Unit and link rows, ready to insert.
#[derive(Debug)]
pub struct Dataset {
    pub units: Vec<unit::Model>,
    pub links: Vec<unit_link::Model>,
}

/// Builds the dataset from the embedded files.
pub fn dataset() -> AppResult<Dataset> {
    let qn: Vec<QuangNamUnit> = serde_json::from_str(QUANG_NAM)
        .map_err(|e| AppError::Internal(format!("embedded Quảng Nam unit data: {e}")))?;
    let dn: Vec<DaNangUnit> = serde_json::from_str(DA_NANG)
        .map_err(|e| AppError::Internal(format!("embedded Đà Nẵng unit data: {e}")))?;
    let r2 = REFORM_2025_07;

    let mut versions: Vec<Version> = Vec::new();
    // (from code, from date, to code, to date, kind, basis)
    let mut pending_links: Vec<PendingLink> = Vec::new();

    quang_nam(&qn, &mut versions, &mut pending_links);

    for u in &dn {
        versions.push(Version {
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level,
            unit_type: type_from_name(&u.name),
            parent_code: Some(u.parent_code.clone()),
            valid_from: Some(r2),
            valid_to: None,
            note: None,
        });
    }

    national(r2, &mut versions, &mut pending_links)?;
    for v in versions
        .iter_mut()
        .filter(|v| v.level == crate::domain::UnitLevel::Province)
    {
        v.parent_code.get_or_insert_with(|| COUNTRY_CODE.to_owned());
    }
    versions.push(Version {
        code: COUNTRY_CODE.to_owned(),
        name: COUNTRY_NAME.to_owned(),
        level: crate::domain::UnitLevel::Country,
        unit_type: None,
        parent_code: None,
        valid_from: None,
        valid_to: None,
        note: None,
    });

    rows(versions, pending_links)
}

/// Quảng Nam's units of 2019–2025 as versions, with their renamings, mergers of 1 Jan 2025 and
/// successions of 1 Jul 2025 as links to resolve.
fn quang_nam(
    qn: &[QuangNamUnit],
    versions: &mut Vec<Version>,
    pending_links: &mut Vec<PendingLink>,
) {
    let (r1, r2) = (REFORM_2025_01, REFORM_2025_07);
    for u in qn {
        // The one record absent from the 2024 list (20674 Quế Phước) is a code retired in 2020
        // that reappeared in the 2025 lists by mistake: Resolution 1241 gives Quế Sơn 18
        // communes, the national file drops it, and the official count of 10,035 holds only
        // without it. Databases that already hold it keep the row; nothing new points to it.
        if !u.in_gso_list_2024_11_01 {
            continue;
        }
        let note = match (&u.data_quality_note, &u.successor_note) {
            (Some(a), Some(b)) => Some(format!("{a} {b}")),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        let base = Version {
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level,
            unit_type: u.unit_type.clone(),
            parent_code: u.parent_code.clone(),
            valid_from: None,
            valid_to: Some(u.valid_to),
            note,
        };
        if u.former_parent_code.is_some() || u.former_name.is_some() {
            // Renamed or moved on 1 Jan 2025: the old form and the new form are two versions.
            let old = Version {
                name: u.former_name.clone().unwrap_or_else(|| u.name.clone()),
                unit_type: u
                    .former_name
                    .as_deref()
                    .and_then(type_from_name)
                    .or_else(|| u.unit_type.clone()),
                parent_code: u
                    .former_parent_code
                    .clone()
                    .or_else(|| u.parent_code.clone()),
                valid_to: Some(r1),
                note: None,
                ..base.clone()
            };
            let new = Version {
                valid_from: Some(r1),
                ..base
            };
            let basis = match &u.change_2025_01 {
                Some(c) => format!("{BASIS_2025_01}; {c}"),
                None => format!("{BASIS_2025_01}; moved to another district"),
            };
            pending_links.push(PendingLink {
                from_code: u.code.clone(),
                from_at: None,
                to_code: u.code.clone(),
                effective_on: r1,
                kind: LinkKind::Changed,
                basis,
            });
            versions.push(old);
            versions.push(new);
        } else {
            versions.push(base);
        }
        if let Some(m) = &u.merged_into_2025_01 {
            let basis = m.basis.clone().unwrap_or_else(|| BASIS_2025_01.to_owned());
            pending_links.push(PendingLink {
                from_code: u.code.clone(),
                from_at: None,
                to_code: m.code.clone(),
                effective_on: r1,
                kind: LinkKind::Merged,
                basis,
            });
        }
        for s in &u.successor_2025_07 {
            let day_before = r2.pred_opt().unwrap_or(r2);
            pending_links.push(PendingLink {
                from_code: u.code.clone(),
                from_at: Some(day_before),
                to_code: s.code.clone(),
                effective_on: r2,
                kind: LinkKind::Succeeded,
                basis: BASIS_2025_07.to_owned(),
            });
        }
    }
}

/// The unit rows and link rows of `versions` and `pending_links`: ids from natural keys,
/// parents first, each link once.
fn rows(versions: Vec<Version>, pending_links: Vec<PendingLink>) -> AppResult<Dataset> {
    // Codes of different levels never collide (2, 3 and 5 digits), so (code, day) finds a version.
    let mut by_code: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, v) in versions.iter().enumerate() {
        by_code.entry(v.code.as_str()).or_default().push(i);
    }
    let find = |code: &str, at: Option<NaiveDate>| -> AppResult<&Version> {
        by_code
            .get(code)
            .into_iter()
            .flatten()
            .map(|i| &versions[*i])
            .find(|v| v.covers(at))
            .ok_or_else(|| AppError::Internal(format!("unit data: no unit {code} on {at:?}")))
    };
    let id_of = |v: &Version| unit_id(v.level.code(), &v.code, v.valid_from);

    let mut units = Vec::with_capacity(versions.len());
    for v in &versions {
        let parent_id = match &v.parent_code {
            Some(pc) => Some(id_of(find(pc, v.valid_from)?)),
            None => None,
        };
        units.push(unit::Model {
            id: id_of(v),
            code: v.code.clone(),
            name: v.name.clone(),
            name_folded: fold(&v.name),
            level: v.level,
            unit_type: v.unit_type.clone(),
            parent_id,
            valid_from: v.valid_from,
            valid_to: v.valid_to,
            note: v.note.clone(),
        });
    }
    // Parents first, so foreign keys hold while inserting.
    let rank = |l: crate::domain::UnitLevel| match l {
        crate::domain::UnitLevel::Country => 0,
        crate::domain::UnitLevel::Province => 1,
        crate::domain::UnitLevel::District => 2,
        crate::domain::UnitLevel::Commune => 3,
    };
    units.sort_by_key(|u| rank(u.level));

    let mut links = Vec::with_capacity(pending_links.len());
    let mut seen = HashMap::new();
    for l in pending_links {
        let from = id_of(find(&l.from_code, l.from_at)?);
        let to = id_of(find(&l.to_code, Some(l.effective_on))?);
        if seen.insert((from, to), ()).is_some() {
            continue;
        }
        links.push(unit_link::Model {
            id: link_id(from, to),
            from_unit_id: from,
            to_unit_id: to,
            effective_on: l.effective_on,
            kind: l.kind,
            basis: Some(l.basis),
        });
    }
    Ok(Dataset { units, links })
}

/// Adds the national file's units and succession links, except what the Quảng Nam files hold:
/// Quảng Nam's subtree before the reform, and the units of 1 Jul 2025 already read (the Đà Nẵng
/// communes formed from Quảng Nam's).
fn national(
    reform: NaiveDate,
    versions: &mut Vec<Version>,
    links: &mut Vec<PendingLink>,
) -> AppResult<()> {
    let all: Vec<NationalUnit> = serde_json::from_str(VIETNAM)
        .map_err(|e| AppError::Internal(format!("embedded national unit data: {e}")))?;
    let pre = |u: &NationalUnit| u.edition == "pre_2025_07";
    // Quảng Nam's districts, then their communes.
    let qn_districts: std::collections::HashSet<&str> = all
        .iter()
        .filter(|u| {
            pre(u)
                && u.level == crate::domain::UnitLevel::District
                && u.parent_code.as_deref() == Some(QUANG_NAM_CODE)
        })
        .map(|u| u.code.as_str())
        .collect();
    let in_quang_nam = |u: &NationalUnit| {
        pre(u)
            && (u.code == QUANG_NAM_CODE
                || u.parent_code.as_deref() == Some(QUANG_NAM_CODE)
                || u.parent_code
                    .as_deref()
                    .is_some_and(|p| qn_districts.contains(p)))
    };
    let known: std::collections::HashSet<(String, Option<NaiveDate>)> = versions
        .iter()
        .map(|v| (v.code.clone(), v.valid_from))
        .collect();
    let day_before = reform.pred_opt().unwrap_or(reform);
    for u in &all {
        if in_quang_nam(u) || known.contains(&(u.code.clone(), u.valid_from)) {
            continue;
        }
        versions.push(Version {
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level,
            unit_type: u.unit_type.clone().or_else(|| type_from_name(&u.name)),
            parent_code: u.parent_code.clone(),
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            note: u
                .split_or_partial_2025_07
                .then(|| "Split among several communes on 2025-07-01.".to_owned()),
        });
        for s in &u.successor_2025_07 {
            links.push(PendingLink {
                from_code: u.code.clone(),
                from_at: Some(day_before),
                to_code: s.code.clone(),
                effective_on: reform,
                kind: LinkKind::Succeeded,
                basis: BASIS_2025_07.to_owned(),
            });
        }
        // The island special zones trace back to the districts they were formed from.
        for d in &u.predecessor_district_codes {
            links.push(PendingLink {
                from_code: d.clone(),
                from_at: Some(day_before),
                to_code: u.code.clone(),
                effective_on: reform,
                kind: LinkKind::Succeeded,
                basis: BASIS_2025_07.to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loaded units against the official figures (`vietnam_units_2025.PROVENANCE.md`) and
    /// a handful of known successions across the country.
    #[test]
    fn dataset_holds_the_official_counts_and_successions() {
        let d = dataset().unwrap();
        let ids: std::collections::HashSet<_> = d.units.iter().map(|u| u.id).collect();
        assert_eq!(ids.len(), d.units.len(), "ids are unique");
        let on = |day: NaiveDate| {
            let mut by_level: HashMap<&str, usize> = HashMap::new();
            for u in &d.units {
                if u.valid_from.is_none_or(|f| f <= day) && u.valid_to.is_none_or(|t| day < t) {
                    *by_level.entry(u.level.code()).or_default() += 1;
                }
            }
            by_level
        };
        let before = on(crate::clock::date(2025, 6, 30));
        assert_eq!(
            (before["province"], before["district"], before["commune"]),
            (63, 696, 10_035)
        );
        let after = on(REFORM_2025_07);
        assert_eq!(
            (after["province"], after.get("district"), after["commune"]),
            (34, None, 3_321)
        );
        for l in &d.links {
            assert!(ids.contains(&l.from_unit_id) && ids.contains(&l.to_unit_id));
        }
        // Every commune of 30 June 2025 has a successor, every commune of 1 July a predecessor.
        let from: std::collections::HashSet<_> = d.links.iter().map(|l| l.from_unit_id).collect();
        let to: std::collections::HashSet<_> = d.links.iter().map(|l| l.to_unit_id).collect();
        for u in &d.units {
            if u.level == crate::domain::UnitLevel::Commune && u.valid_to == Some(REFORM_2025_07) {
                assert!(
                    from.contains(&u.id),
                    "{} {} has no successor",
                    u.code,
                    u.name
                );
            }
            if u.valid_from == Some(REFORM_2025_07) && u.level != crate::domain::UnitLevel::Province
            {
                assert!(
                    to.contains(&u.id),
                    "{} {} has no predecessor",
                    u.code,
                    u.name
                );
            }
        }
        let linked = |from: Uuid, to: Uuid| {
            d.links
                .iter()
                .any(|l| l.from_unit_id == from && l.to_unit_id == to)
        };
        let name = |id: Uuid| {
            d.units
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .unwrap()
        };
        let (old, new) = (None, Some(REFORM_2025_07));
        assert!(
            linked(
                unit_id("province", "02", old),
                unit_id("province", "08", new)
            ),
            "Hà Giang → Tuyên Quang"
        );
        assert_eq!(name(unit_id("province", "08", new)), "Tỉnh Tuyên Quang");
        assert!(linked(
            unit_id("commune", "20335", old),
            unit_id("commune", "20335", new)
        ));
        assert_eq!(name(unit_id("commune", "20335", new)), "Phường Bàn Thạch");
        assert_eq!(name(unit_id("commune", "20335", old)), "Phường Tân Thạnh");
        // Phường Cống Vị (Hà Nội) was split between Ngọc Hà and Giảng Võ.
        assert!(linked(
            unit_id("commune", "00007", old),
            unit_id("commune", "00008", new)
        ));
        assert!(linked(
            unit_id("commune", "00007", old),
            unit_id("commune", "00025", new)
        ));
        // Lý Sơn district became a special zone.
        let ly_son = d
            .links
            .iter()
            .find(|l| l.from_unit_id == unit_id("district", "536", old))
            .expect("Lý Sơn's successor");
        assert!(name(ly_son.to_unit_id).starts_with("Đặc khu Lý Sơn"));
        // Quảng Nam's own file wins: its units that ended on 1 Jan 2025 are there.
        assert_eq!(name(unit_id("district", "519", old)), "Huyện Nông Sơn");
    }

    #[test]
    fn dataset_has_every_version_and_link() {
        let d = dataset().unwrap();
        // The national file's 14,149 records, less Quảng Nam's 251 of 30 June 2025 and the 78
        // Đà Nẵng communes read from their own files; Quảng Nam's 260 units (without the stale
        // 20674), +7 second versions (5 moved, 2 renamed), the 78 communes; and the country.
        assert_eq!(d.units.len(), 14_149 - 251 - 78 + 260 + 7 + 78 + 1);
        // Every province of both editions lies in the country, and nothing else does.
        let country = unit_id("country", COUNTRY_CODE, None);
        for u in &d.units {
            assert_eq!(
                u.parent_id == Some(country),
                u.level == crate::domain::UnitLevel::Province,
                "{} {}",
                u.code,
                u.name
            );
        }
        let ids: std::collections::HashSet<_> = d.units.iter().map(|u| u.id).collect();
        assert_eq!(ids.len(), d.units.len(), "ids are unique");
        for l in &d.links {
            assert!(ids.contains(&l.from_unit_id) && ids.contains(&l.to_unit_id));
        }
        // 10,565 commune links, 63 provinces, 5 island districts.
        let succeeded = d.links.iter().filter(|l| l.kind == LinkKind::Succeeded);
        let succeeded = succeeded.count();
        assert_eq!(succeeded, 10_565 + 63 + 5);
    }
}

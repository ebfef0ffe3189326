//! The stable raw-material area (docs/domain.md §4, item 2), the value chain's second half: an
//! area in force, owned or leased or tied by a linkage contract long enough (or with a growing-area
//! code, when the policy says so) — and under policy version 3 as an auditor verified it, or as a
//! counting certificate scoped to it saw it. Its SQL and its explanation, side by side.

use chrono::NaiveDate;
use entity::{certification as cert, raw_material_area as area};

use super::super::dto::AreaEvidence;
use super::super::explain::{Evidence, status_on};
use super::super::notes::{Arg, Note, date, int, term, text};
use super::{certificate_counts, certificate_in_force, refused_on, seen_at, verification_in_force};
use crate::areas::dto::hectares;
use crate::db::Sql;
use crate::domain::{CertStatus, Tenure, TrackedStatus};
use crate::history::Known;
use crate::i18n::Lang;
use crate::policies::dto::Policy;

/// The subjects with a stable raw-material area on `d` (a set of subject ids); `caps` as
/// [`certificate_in_force`] takes them.
pub(super) fn sql(
    q: &mut Sql,
    policy: &Policy,
    d: NaiveDate,
    known: Known,
    caps: &[(String, NaiveDate)],
) -> String {
    // Every table read as known at the knowledge time (the live tables when it is now).
    let from = |q: &mut Sql, table: &str| known.table(table, |v| q.bind(v));
    if policy.verify_areas {
        // Version 3: an area counts as an auditor verified it (the version its verification
        // in force on D saw), or as the certification scoped to it saw it when verified (any
        // certificate that counts as one on D, whatever its category).
        let areas = from(q, "raw_material_area");
        let verified =
            verification_in_force(q, d, known, "area", "a", CertStatus::Verified.code(), "");
        let stable = stable_on(q, policy, d, "a_v");
        let certs = from(q, "certification");
        let (joins, counts) = certificate_in_force(q, d, known, caps);
        let scoped = seen_at("raw_material_area", "sa", "c_v.area_id", "c_e.at");
        let scoped_stable = stable_on(q, policy, d, "sa");
        // An auditor's own refusal of the area (rejected, suspended, revoked in force on D)
        // outweighs a certificate's scope.
        let refused = refused_on(
            q,
            (d, known),
            "area",
            "sa.id",
            &[
                CertStatus::Rejected.code(),
                CertStatus::Suspended.code(),
                CertStatus::Revoked.code(),
            ],
            true,
        );
        format!(
            "SELECT a.subject_id FROM {areas} a {verified} WHERE {stable} \
             UNION SELECT c.subject_id FROM {certs} c {joins} \
             JOIN \"raw_material_area_version\" sa ON {scoped} \
             WHERE {counts} AND {scoped_stable} AND NOT {refused}"
        )
    } else {
        // Versions 1 and 2: the area as registered.
        let areas = from(q, "raw_material_area");
        let stable = stable_on(q, policy, d, "a");
        format!("SELECT a.subject_id FROM {areas} a WHERE {stable}")
    }
}

/// The condition that area row or version `a` is a stable raw-material area on `d` (§4, item 2).
fn stable_on(q: &mut Sql, policy: &Policy, d: NaiveDate, a: &str) -> String {
    let (d1, d2, d3, d4) = (q.bind(d), q.bind(d), q.bind(d), q.bind(d));
    let min = q.bind(policy.min_linkage_months);
    let code = if policy.growing_area_code_is_stable {
        format!(" OR {a}.growing_area_code IS NOT NULL")
    } else {
        String::new()
    };
    format!(
        "({a}.valid_from IS NULL OR {a}.valid_from <= {d1}) \
         AND ({a}.valid_to IS NULL OR {a}.valid_to >= {d2}) \
         AND ({a}.tenure IN ('{own}', '{leased}') \
              OR ({a}.tenure = '{linked}' AND {a}.linkage_start_on <= {d3} \
                  AND {a}.linkage_end_on >= {d4} AND {a}.linkage_months >= {min}){code})",
        own = Tenure::Own.code(),
        leased = Tenure::Leased.code(),
        linked = Tenure::Linked.code(),
    )
}

/// The stable area that counts: its evidence, why it is stable, and who vouched for it.
pub(super) struct StableArea {
    pub evidence: AreaEvidence,
    pub because: Note,
    pub vouched: Note,
}

/// What the subject's areas show on `d`: the first stable one, or why none is.
pub(super) struct AreaVerdict {
    pub ok: Option<StableArea>,
    pub notes: Vec<Note>,
}

/// Judges `areas`: under a policy that verifies them, each as an auditor's verification in force
/// on D saw it, or as the verification of a certificate scoped to it saw it; otherwise as
/// registered.
pub(super) fn judge_areas(
    ev: &Evidence,
    areas: &[&area::Model],
    certs: &[&cert::Model],
    d: NaiveDate,
    p: &Policy,
) -> AreaVerdict {
    let mut verdict = AreaVerdict {
        ok: None,
        notes: Vec::new(),
    };
    for live in areas {
        let candidates = if p.verify_areas {
            vouched_versions(ev, live, certs, d, p, &mut verdict.notes)
        } else {
            vec![(*live, Note::new("area_as_registered", vec![]))]
        };
        for (a, vouched) in candidates {
            if let Some(because) = stability(a, d, p, &mut verdict.notes)
                && verdict.ok.is_none()
            {
                verdict.ok = Some(StableArea {
                    evidence: AreaEvidence {
                        id: a.id,
                        name: a.name.clone(),
                        area_ha: hectares(a.area_m2).to_string(),
                        stable_because: because.render(Lang::En),
                    },
                    because,
                    vouched,
                });
            }
        }
    }
    verdict
}

/// The versions of area `live` someone vouched for on `d` — an auditor's verification, or a
/// counting certificate's scope — each with who vouched; none adds why to `notes`.
fn vouched_versions<'a>(
    ev: &'a Evidence,
    live: &area::Model,
    certs: &[&cert::Model],
    d: NaiveDate,
    p: &Policy,
    notes: &mut Vec<Note>,
) -> Vec<(&'a area::Model, Note)> {
    let mut candidates = Vec::new();
    let status = status_on(ev.area_history.get(&live.id), d);
    if let Some(e) = status.filter(|e| e.to_status == TrackedStatus::Verified)
        && let Some(seen) = ev.area_seen.get(&live.id)
    {
        candidates.push((
            seen,
            Note::new(
                "area_verified_by",
                vec![
                    ("by", text(e.actor_name.clone())),
                    ("on", date(e.effective_on)),
                ],
            ),
        ));
    }
    // An auditor's refusal of the area outweighs a certificate's scope.
    let refused = status.is_some_and(|e| {
        [
            CertStatus::Rejected,
            CertStatus::Suspended,
            CertStatus::Revoked,
        ]
        .iter()
        .any(|r| TrackedStatus::from(*r) == e.to_status)
    });
    for c in certs.iter().filter(|_| !refused) {
        if let Some(scoped) = ev.scope_seen.get(&c.id).filter(|a| a.id == live.id)
            && let Some(seen) = ev.cert_seen.get(&c.id)
            && certificate_counts(ev, seen, d, p)
            && let Some(s) = ev.schemes.get(&seen.scheme_id)
        {
            candidates.push((
                scoped,
                Note::new(
                    "area_in_certificate_scope",
                    vec![
                        ("no", text(seen.certificate_no.clone())),
                        ("scheme", term("scheme", &s.code)),
                    ],
                ),
            ));
        }
    }
    if candidates.is_empty() {
        let st = status.map_or("unregistered", |e| e.to_status.code());
        notes.push(Note::new(
            "area_not_verified",
            vec![
                ("name", text(live.name.clone())),
                ("status", term("cert-status", st)),
                ("d", date(d)),
                ("version", int(p.version)),
            ],
        ));
    }
    candidates
}

/// Why area version `a` is a stable raw-material area on `d` (§4, item 2), or `None`, with what
/// stops it added to `notes`.
fn stability(a: &area::Model, d: NaiveDate, p: &Policy, notes: &mut Vec<Note>) -> Option<Note> {
    let named = |mut more: Vec<(&'static str, Arg)>| {
        more.push(("name", text(a.name.clone())));
        more
    };
    if a.valid_from.is_some_and(|f| f > d) || a.valid_to.is_some_and(|t| t < d) {
        notes.push(Note::new("area_not_valid", named(vec![("d", date(d))])));
        return None;
    }
    let tenure = a.tenure;
    let because = match tenure {
        Tenure::Own => Some(Note::new("stable_own", vec![])),
        Tenure::Leased => Some(Note::new("stable_leased", vec![])),
        Tenure::Linked => {
            let no = text(
                a.linkage_contract_no
                    .clone()
                    .unwrap_or_else(|| "?".to_owned()),
            );
            let months = a.linkage_months.unwrap_or(0);
            match (a.linkage_start_on, a.linkage_end_on) {
                (Some(s), _) if s > d => {
                    notes.push(Note::new(
                        "contract_starts_after",
                        named(vec![("contract", no), ("start", date(s)), ("d", date(d))]),
                    ));
                    None
                }
                (_, Some(e)) if e < d => {
                    notes.push(Note::new(
                        "contract_ended",
                        named(vec![("contract", no), ("end", date(e))]),
                    ));
                    None
                }
                (Some(_), Some(_)) if months < p.min_linkage_months => {
                    notes.push(Note::new(
                        "contract_too_short",
                        named(vec![
                            ("contract", no),
                            ("months", int(months)),
                            ("min", int(p.min_linkage_months)),
                        ]),
                    ));
                    None
                }
                (Some(_), Some(_)) => Some(Note::new(
                    "stable_contract",
                    vec![("contract", no), ("months", int(months)), ("d", date(d))],
                )),
                _ => {
                    notes.push(Note::new("area_no_contract", named(vec![])));
                    None
                }
            }
        }
    };
    match (because, &a.growing_area_code) {
        (Some(b), _) => Some(b),
        (None, Some(code)) if p.growing_area_code_is_stable => {
            Some(Note::new("stable_code", vec![("code", text(code.clone()))]))
        }
        _ => None,
    }
}

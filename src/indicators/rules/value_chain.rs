//! The value chain (docs/domain.md §4, items 2 and 3): a population subject counts when it holds, on day D, a
//! certificate of a value-chain category verified and in force (within its scheme's cap), and a
//! stable raw-material area — as an auditor verified it, or as a counting certificate scoped to
//! it saw it. Its SQL and its explanation, side by side.

use chrono::NaiveDate;
use entity::{certification as cert, raw_material_area as area};
use uuid::Uuid;

use super::super::dto::{AreaEvidence, CertEvidence, Gap, ValueChainExplanation};
use super::super::explain::{Evidence, english, status_on};
use super::super::notes::{Arg, Note, date, int, term, terms, text};
use super::{latest_lapsed_start, months_after, refused_on, seen_at, verification_in_force};
use crate::areas::dto::hectares;
use crate::clock;
use crate::db::Sql;
use crate::domain::{CertStatus, SchemeCategory, Tenure, TrackedStatus};
use crate::history::Known;
use crate::i18n::Lang;
use crate::policies::dto::Policy;

/// The condition that population subject `id` counts for the value chain on `d`: a certificate
/// of a value-chain category in force, and a stable raw-material area.
pub fn sql(q: &mut Sql, policy: &Policy, d: NaiveDate, known: Known) -> String {
    // Every table read as known at the knowledge time (the live tables when it is now).
    let from = |q: &mut Sql, table: &str| known.table(table, |v| q.bind(v));
    let caps = validity_caps(policy, d);
    let certified = {
        let cats = q.bind_list(policy.value_chain_categories.iter().map(|c| c.code()));
        let certs = from(q, "certification");
        let (joins, counts) = certificate_in_force(q, d, known, &caps);
        // The values read are those the verification in force on D saw (docs/domain.md §7), not
        // the live row: an owner's later edit never moves a date an auditor vouched for.
        format!(
            "SELECT c.subject_id FROM {certs} c {joins} \
             WHERE cs.category IN ({cats}) AND {counts}"
        )
    };
    let stable_area = if policy.verify_areas {
        // Version 3: an area counts as an auditor verified it (the version its verification
        // in force on D saw), or as the certification scoped to it saw it when verified (any
        // certificate that counts as one on D, whatever its category).
        let areas = from(q, "raw_material_area");
        let verified =
            verification_in_force(q, d, known, "area", "a", CertStatus::Verified.code(), "");
        let stable = stable_on(q, policy, d, "a_v");
        let certs = from(q, "certification");
        let (joins, counts) = certificate_in_force(q, d, known, &caps);
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
    };
    format!("id IN ({certified}) AND id IN ({stable_area})")
}

/// Per scheme the policy caps (docs/domain.md §7), the latest issue date of a certificate that no
/// longer counts on `d` under its cap.
fn validity_caps(policy: &Policy, d: NaiveDate) -> Vec<(String, NaiveDate)> {
    if !policy.cap_certificate_validity {
        return Vec::new();
    }
    policy
        .validity_caps
        .iter()
        .map(|(code, m)| (code.clone(), latest_lapsed_start(d, *m)))
        .collect()
}

/// A certification (aliased `c`) that counts as a certificate on `d`: verified on `d` as
/// [`verification_in_force`] reads it, and, as that verification saw it (`c_v`), issued by
/// `d`, not expired, and within its scheme's cap under the policy. Its scheme is `cs`. Returns
/// the joins and the condition.
fn certificate_in_force(
    q: &mut Sql,
    d: NaiveDate,
    known: Known,
    caps: &[(String, NaiveDate)],
) -> (String, String) {
    let schemes = known.table("certification_scheme", |v| q.bind(v));
    let verified = verification_in_force(
        q,
        d,
        known,
        "certification",
        "c",
        CertStatus::Verified.code(),
        "",
    );
    let (d1, d2) = (q.bind(d), q.bind(d));
    // A certificate counts at most its scheme's maximum validity from its issue date.
    let capped = if caps.is_empty() {
        String::new()
    } else {
        let arms: String = caps
            .iter()
            .map(|(code, cut)| format!(" WHEN {} THEN {}", q.bind(code.clone()), q.bind(*cut)))
            .collect();
        format!(
            " AND c_v.issued_on > CASE cs.code{arms} ELSE {} END",
            // Before any date the registry accepts (and within PostgreSQL's range).
            q.bind(clock::date(1899, 12, 31))
        )
    };
    (
        format!("{verified} JOIN {schemes} cs ON cs.id = c_v.scheme_id"),
        format!("c_v.issued_on <= {d1} AND c_v.expires_on > {d2}{capped}"),
    )
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

/// The value-chain verdict of one subject and why.
pub fn explain(ev: &Evidence, subject: Uuid, d: NaiveDate, p: &Policy) -> ValueChainExplanation {
    let mut certs: Vec<&cert::Model> = ev.certs.get(&subject).into_iter().flatten().collect();
    certs.sort_by(|a, b| b.issued_on.cmp(&a.issued_on).then(a.id.cmp(&b.id)));
    let cert = judge_certifications(ev, &certs, d, p);
    let mut areas: Vec<&area::Model> = ev.areas.get(&subject).into_iter().flatten().collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let area = judge_areas(ev, &areas, &certs, d, p);

    let mut gaps = Vec::new();
    let mut missing: Vec<Note> = Vec::new();
    if cert.ok.is_none() {
        gaps.push(cert.gap.unwrap_or(Gap::NoCertification));
        missing.push(Note::new(
            "no_verified_certification",
            vec![
                (
                    "categories",
                    terms(
                        "category",
                        p.value_chain_categories.iter().map(|c| c.code()),
                    ),
                ),
                ("d", date(d)),
            ],
        ));
        missing.extend(cert.notes);
    }
    if area.ok.is_none() {
        if areas.is_empty() {
            gaps.push(Gap::NoArea);
            missing.push(Note::new("no_area", vec![]));
        } else {
            gaps.push(Gap::AreaNotStable);
            missing.push(Note::new("no_stable_area", vec![("d", date(d))]));
            missing.extend(area.notes);
        }
    }

    let notes = match (&cert.ok, &area.ok) {
        (Some(c), Some(a)) => counting_notes(c, cert.verified_by.as_ref(), a, d),
        _ => missing,
    };
    ValueChainExplanation {
        counts: cert.ok.is_some() && area.ok.is_some(),
        certification: cert.ok,
        area: area.ok.map(|a| a.evidence),
        reasons: english(&notes),
        notes,
        gaps,
    }
}

/// What the subject's certifications show on `d`: the one that counts (and who verified it, from
/// when), or why none does.
struct CertVerdict {
    ok: Option<CertEvidence>,
    verified_by: Option<(String, NaiveDate)>,
    /// The latest certification's gap: what the owner would have to fix first.
    gap: Option<Gap>,
    notes: Vec<Note>,
}

/// Judges `certs`, latest first.
fn judge_certifications(
    ev: &Evidence,
    certs: &[&cert::Model],
    d: NaiveDate,
    p: &Policy,
) -> CertVerdict {
    let mut verdict = CertVerdict {
        ok: None,
        verified_by: None,
        gap: None,
        notes: Vec::new(),
    };
    for c in certs {
        // A verified certification is judged on the values its verification saw; the live row
        // (an owner's later edit, not yet verified) only explains why it does not count.
        let c = ev.cert_seen.get(&c.id).unwrap_or(c);
        let Some(s) = ev.schemes.get(&c.scheme_id) else {
            continue;
        };
        let status = status_on(ev.cert_history.get(&c.id), d);
        match cert_refusal(c, &s.code, s.category, status.map(|e| e.to_status), d, p) {
            Some((gap, note)) => {
                verdict.gap.get_or_insert(gap);
                let note = note
                    .with("no", text(c.certificate_no.clone()))
                    .with("scheme", term("scheme", &s.code));
                verdict.notes.push(note);
            }
            None if verdict.ok.is_none() => {
                verdict.verified_by = status.map(|e| (e.actor_name.clone(), e.effective_on));
                verdict.ok = Some(CertEvidence {
                    id: c.id,
                    scheme: s.code.clone(),
                    category: s.category,
                    certificate_no: c.certificate_no.clone(),
                    status_on_date: CertStatus::Verified.code().to_owned(),
                    issued_on: c.issued_on,
                    expires_on: c.expires_on,
                });
            }
            None => {}
        }
    }
    verdict
}

/// Why certification `c` of `scheme` (its status on `d` being `status`) does not count on `d`,
/// as its gap and the note's code and arguments; `None` when it counts.
fn cert_refusal(
    c: &cert::Model,
    scheme: &str,
    category: SchemeCategory,
    status: Option<TrackedStatus>,
    d: NaiveDate,
    p: &Policy,
) -> Option<(Gap, Note)> {
    if !p.value_chain_categories.contains(&category) {
        return Some((
            Gap::CertificationNotCounted,
            Note::new(
                "cert_category_not_counted",
                vec![
                    ("category", term("category", category.code())),
                    ("version", int(p.version)),
                ],
            ),
        ));
    }
    if c.issued_on > d {
        return Some((
            Gap::CertificationNotCounted,
            Note::new(
                "cert_issued_after",
                vec![("issued", date(c.issued_on)), ("d", date(d))],
            ),
        ));
    }
    if c.expires_on <= d {
        return Some((
            Gap::CertificationExpired,
            Note::new("cert_expired", vec![("expires", date(c.expires_on))]),
        ));
    }
    if let Some(m) = p.cap_of(scheme)
        && months_after(c.issued_on, m) <= d
    {
        return Some((
            Gap::CertificationExpired,
            Note::new(
                "cert_capped",
                vec![
                    ("expires", date(c.expires_on)),
                    ("months", int(m)),
                    ("until", date(months_after(c.issued_on, m))),
                    ("version", int(p.version)),
                ],
            ),
        ));
    }
    if status != Some(TrackedStatus::Verified) {
        let st = status.map_or("unregistered", |s| s.code());
        return Some((
            Gap::CertificationNotVerified,
            Note::new(
                "cert_status_on",
                vec![("status", term("cert-status", st)), ("d", date(d))],
            ),
        ));
    }
    None
}

/// The stable area that counts: its evidence, why it is stable, and who vouched for it.
struct StableArea {
    evidence: AreaEvidence,
    because: Note,
    vouched: Note,
}

/// What the subject's areas show on `d`: the first stable one, or why none is.
struct AreaVerdict {
    ok: Option<StableArea>,
    notes: Vec<Note>,
}

/// Judges `areas`: under a policy that verifies them, each as an auditor's verification in force
/// on D saw it, or as the verification of a certificate scoped to it saw it; otherwise as
/// registered.
fn judge_areas(
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

/// The notes of a subject that counts: the certification (and who verified it), the area and why
/// it is stable, and who vouched for the area.
fn counting_notes(
    c: &CertEvidence,
    verified_by: Option<&(String, NaiveDate)>,
    a: &StableArea,
    d: NaiveDate,
) -> Vec<Note> {
    let mut args = vec![
        ("category", term("category", c.category.code())),
        ("no", text(c.certificate_no.clone())),
        ("scheme", term("scheme", &c.scheme)),
        ("d", date(d)),
        ("until", date(c.expires_on)),
    ];
    if let Some((by, on)) = verified_by {
        args.push(("by", text(by.clone())));
        args.push(("on", date(*on)));
    }
    // Why the area is stable, as the catalogue's selector on `because`.
    let mut area = Note::new(
        "counts_area",
        vec![
            ("name", text(a.evidence.name.clone())),
            ("because", text(a.because.code.clone())),
        ],
    );
    area.args.extend(a.because.args.clone());
    let mut notes = vec![Note::new("counts_certification", args), area];
    // Who vouched for the area (policy version 3).
    if a.vouched.code != "area_as_registered" {
        notes.push(a.vouched.clone());
    }
    notes
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

/// Whether certification version `c` (as its verification in force on `d` saw it) counts as a
/// certificate on `d`, whatever its category: verified, issued by `d`, not expired, within its
/// scheme's cap.
fn certificate_counts(ev: &Evidence, c: &cert::Model, d: NaiveDate, p: &Policy) -> bool {
    let verified = status_on(ev.cert_history.get(&c.id), d)
        .is_some_and(|e| e.to_status == TrackedStatus::Verified);
    let capped = ev
        .schemes
        .get(&c.scheme_id)
        .and_then(|s| p.cap_of(&s.code))
        .is_some_and(|m| months_after(c.issued_on, m) <= d);
    verified && c.issued_on <= d && d < c.expires_on && !capped
}

//! The value chain (docs/domain.md §4, items 2 and 3): a population subject counts when it holds, on day D, a
//! certificate of a value-chain category verified and in force (within its scheme's cap), and a
//! stable raw-material area — as an auditor verified it, or as a counting certificate scoped to
//! it saw it. Its SQL and its explanation, side by side.

use chrono::NaiveDate;
use entity::{certification as cert, raw_material_area as area};
use uuid::Uuid;

use super::super::dto::{CertEvidence, Gap, ValueChainExplanation};
use super::super::explain::{Evidence, english, status_on};
use super::super::notes::{Note, date, int, term, terms, text};
use super::{certificate_in_force, latest_lapsed_start, months_after, stable_area};
use crate::db::Sql;
use crate::domain::{CertStatus, SchemeCategory, TrackedStatus};
use crate::history::Known;
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
    let stable_area = stable_area::sql(q, policy, d, known, &caps);
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

/// The value-chain verdict of one subject and why.
pub fn explain(ev: &Evidence, subject: Uuid, d: NaiveDate, p: &Policy) -> ValueChainExplanation {
    let mut certs: Vec<&cert::Model> = ev.certs.get(&subject).into_iter().flatten().collect();
    certs.sort_by(|a, b| b.issued_on.cmp(&a.issued_on).then(a.id.cmp(&b.id)));
    let cert = judge_certifications(ev, &certs, d, p);
    let mut areas: Vec<&area::Model> = ev.areas.get(&subject).into_iter().flatten().collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let area = stable_area::judge_areas(ev, &areas, &certs, d, p);

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

/// The notes of a subject that counts: the certification (and who verified it), the area and why
/// it is stable, and who vouched for the area.
fn counting_notes(
    c: &CertEvidence,
    verified_by: Option<&(String, NaiveDate)>,
    a: &stable_area::StableArea,
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

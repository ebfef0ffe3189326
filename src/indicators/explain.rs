//! Explanations: for a page of population subjects, their evidence re-read and the rules of
//! `docs/domain.md` §4 applied in Rust to say which record makes each count or what is missing. The
//! verdicts must agree with the SQL of [`super::engine`]; the service checks that they do.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    certification as cert, certification_scheme as scheme, listing, listing_span,
    listing_span_extension, raw_material_area as area, recognition, sales_channel as channel,
    status_event, subject,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::{
    ActiveRecognition, AreaEvidence, CertEvidence, ChannelEvidence, Gap, ListingEvidence,
    ModernChannelExplanation, ValueChainExplanation,
};
use super::engine::{freshness_window, months_after};
use super::notes::{Arg, Note, date, int, term, terms, text};
use crate::areas::dto::hectares;
use crate::domain::{CertStatus, Tenure, Tracked, VerificationStatus};
use crate::error::AppResult;
use crate::history::Known;
use crate::i18n::Lang;
use crate::lifecycle::histories;
use crate::policies::dto::Policy;

/// The listing spans of channels that intersect `[from, to)` as known (with the end their
/// recorded growth had reached by then).
async fn known_spans(
    db: &impl ConnectionTrait,
    channels: &[Uuid],
    known: Known,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<listing_span::Model>> {
    // A span known then ended no later than it does now: the test on the live end narrows.
    let spans = listing_span::Entity::find()
        .filter(listing_span::Column::ChannelId.is_in(channels.to_vec()))
        .filter(listing_span::Column::ToAt.gte(from))
        .filter(listing_span::Column::FromAt.lt(to));
    let Some(t) = known.0 else {
        return Ok(spans.all(db).await?);
    };
    let spans = spans
        .filter(listing_span::Column::RecordedAt.lte(t))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = spans.iter().map(|s| s.id).collect();
    let mut ends: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for x in listing_span_extension::Entity::find()
        .filter(listing_span_extension::Column::SpanId.is_in(ids))
        .filter(listing_span_extension::Column::RecordedAt.lte(t))
        .all(db)
        .await?
    {
        let end = ends.entry(x.span_id).or_insert(x.to_at);
        *end = (*end).max(x.to_at);
    }
    Ok(spans
        .into_iter()
        .map(|mut s| {
            s.to_at = ends.get(&s.id).copied().unwrap_or(s.from_at);
            s
        })
        .filter(|s| s.to_at >= from)
        .collect())
}

/// The evidence of a set of subjects, loaded in a handful of queries.
#[derive(Debug, Default)]
pub struct Evidence {
    pub subjects: HashMap<Uuid, subject::Model>,
    recognitions: HashMap<Uuid, Vec<recognition::Model>>,
    certs: HashMap<Uuid, Vec<cert::Model>>,
    /// Certification → the values its verification in force on the day saw (docs/domain.md §7).
    cert_seen: HashMap<Uuid, cert::Model>,
    schemes: HashMap<Uuid, scheme::Model>,
    cert_history: HashMap<Uuid, Vec<status_event::Model>>,
    areas: HashMap<Uuid, Vec<area::Model>>,
    area_history: HashMap<Uuid, Vec<status_event::Model>>,
    /// Area → the values its verification in force on the day saw.
    area_seen: HashMap<Uuid, area::Model>,
    /// Certification → the area in its scope as the certification's verification in force on
    /// the day saw it (policy version 3: such an area is vouched for by the certificate).
    scope_seen: HashMap<Uuid, area::Model>,
    channels: HashMap<Uuid, Vec<channel::Model>>,
    /// Channel → the values its verification in force on the day saw.
    channel_seen: HashMap<Uuid, channel::Model>,
    channel_history: HashMap<Uuid, Vec<status_event::Model>>,
    /// Channel → (span, listing) intersecting the freshness window.
    spans: HashMap<Uuid, Vec<(listing_span::Model, listing::Model)>>,
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

impl Evidence {
    /// Loads the evidence of `ids` relevant to day `d`.
    pub async fn load(
        db: &impl ConnectionTrait,
        ids: &[Uuid],
        policy: &Policy,
        d: NaiveDate,
        known: Known,
    ) -> AppResult<Self> {
        if ids.is_empty() {
            return Ok(Evidence::default());
        }
        let ids = ids.to_vec();
        let subjects = known
            .select::<subject::Entity>()
            .filter(subject::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        let recognitions = known
            .select::<recognition::Entity>()
            .filter(recognition::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let certs = known
            .select::<cert::Entity>()
            .filter(cert::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let schemes = known.select::<scheme::Entity>().all(db).await?;
        let cert_ids: Vec<Uuid> = certs.iter().map(|c| c.id).collect();
        let cert_history = histories(db, Tracked::Certification, &cert_ids, known).await?;
        let areas = known
            .select::<area::Entity>()
            .filter(area::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let area_ids: Vec<Uuid> = areas.iter().map(|a| a.id).collect();
        let area_history = histories(db, Tracked::Area, &area_ids, known).await?;
        let area_seen =
            seen_on::<area::Entity>(db, &area_ids, &area_history, d, CertStatus::Verified.code())
                .await?;
        let channels = known
            .select::<channel::Entity>()
            .filter(channel::Column::SubjectId.is_in(ids))
            .all(db)
            .await?;
        let channel_ids: Vec<Uuid> = channels.iter().map(|c| c.id).collect();
        let channel_history = histories(db, Tracked::Channel, &channel_ids, known).await?;
        let cert_seen =
            seen_on::<cert::Entity>(db, &cert_ids, &cert_history, d, CertStatus::Verified.code())
                .await?;
        let scope_seen = scope_seen(db, &cert_seen, &cert_history, d).await?;
        let channel_seen = seen_on::<channel::Entity>(
            db,
            &channel_ids,
            &channel_history,
            d,
            VerificationStatus::Verified.code(),
        )
        .await?;
        let (from, to) = freshness_window(policy, d);
        let spans = if channel_ids.is_empty() {
            Vec::new()
        } else {
            known_spans(db, &channel_ids, known, (from, to)).await?
        };
        let listing_ids: Vec<Uuid> = spans.iter().map(|s| s.listing_id).collect();
        let listings: HashMap<Uuid, listing::Model> = if listing_ids.is_empty() {
            HashMap::new()
        } else {
            listing::Entity::find()
                .filter(listing::Column::Id.is_in(listing_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, l))
                .collect()
        };
        let spans = group(
            spans
                .into_iter()
                .filter_map(|s| listings.get(&s.listing_id).cloned().map(|l| (s, l)))
                .collect(),
            |(s, _)| s.channel_id,
        );
        Ok(Evidence {
            subjects: subjects.into_iter().map(|s| (s.id, s)).collect(),
            recognitions: group(recognitions, |r| r.subject_id),
            certs: group(certs, |c| c.subject_id),
            cert_seen,
            schemes: schemes.into_iter().map(|s| (s.id, s)).collect(),
            cert_history,
            areas: group(areas, |a| a.subject_id),
            area_history,
            area_seen,
            scope_seen,
            channels: group(channels, |c| c.subject_id),
            channel_seen,
            channel_history,
            spans,
        })
    }

    /// The recognitions that make the subject active on `d` (3★+, decided, not expired, not
    /// revoked).
    pub fn active_recognitions(&self, subject: Uuid, d: NaiveDate) -> Vec<ActiveRecognition> {
        let mut out: Vec<ActiveRecognition> = self
            .recognitions
            .get(&subject)
            .into_iter()
            .flatten()
            .filter(|r| {
                r.stars >= 3
                    && r.decision_date <= d
                    && d < r.valid_until
                    && r.revoked_on.is_none_or(|x| x > d)
            })
            .map(|r| ActiveRecognition {
                id: r.id,
                product_id: r.product_id,
                stars: r.stars,
                decision_no: r.decision_no.clone(),
                decision_date: r.decision_date,
                valid_until: r.valid_until,
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.decision_date));
        out
    }
}

/// For each record whose status on `d` is `status`, the version of it that move saw (the
/// values a verification vouched for).
async fn seen_on<E>(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    histories: &HashMap<Uuid, Vec<status_event::Model>>,
    d: NaiveDate,
    status: &str,
) -> AppResult<HashMap<Uuid, E::Model>>
where
    E: sea_orm::EntityTrait + Default,
    E::Model: sea_orm::FromQueryResult + Clone,
{
    let moves: Vec<(Uuid, DateTime<Utc>)> = ids
        .iter()
        .filter_map(|id| {
            status_on(histories.get(id), d)
                .filter(|e| e.to_status == status)
                .map(|e| (*id, e.at))
        })
        .collect();
    if moves.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = moves.iter().map(|(id, _)| *id).collect();
    let versions = crate::history::Versions::<E::Model>::load::<E>(db, &ids).await?;
    Ok(moves
        .into_iter()
        .filter_map(|(id, at)| versions.seen_at(id, at).map(|m| (id, m.clone())))
        .collect())
}

/// For each verified certification scoped to an area, that area as the verification saw it.
async fn scope_seen(
    db: &impl ConnectionTrait,
    cert_seen: &HashMap<Uuid, cert::Model>,
    histories: &HashMap<Uuid, Vec<status_event::Model>>,
    d: NaiveDate,
) -> AppResult<HashMap<Uuid, area::Model>> {
    let scoped: Vec<(Uuid, Uuid, DateTime<Utc>)> = cert_seen
        .iter()
        .filter_map(|(id, c)| {
            let at = status_on(histories.get(id), d)?.at;
            Some((*id, c.area_id?, at))
        })
        .collect();
    if scoped.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = scoped.iter().map(|(_, a, _)| *a).collect();
    let versions = crate::history::Versions::<area::Model>::load::<area::Entity>(db, &ids).await?;
    Ok(scoped
        .into_iter()
        .filter_map(|(c, a, at)| versions.seen_at(a, at).map(|m| (c, m.clone())))
        .collect())
}

/// A record's status on day `d`: the last move effective on or before it.
fn status_on(
    history: Option<&Vec<status_event::Model>>,
    d: NaiveDate,
) -> Option<&status_event::Model> {
    history?
        .iter()
        .filter(|e| e.effective_on <= d)
        .max_by_key(|e| e.seq)
}

/// The notes as the API's English `reasons`.
fn english(notes: &[Note]) -> Vec<String> {
    notes.iter().map(|n| n.render(Lang::En)).collect()
}

/// The value-chain verdict of one subject and why.
pub fn value_chain(
    ev: &Evidence,
    subject: Uuid,
    d: NaiveDate,
    p: &Policy,
) -> ValueChainExplanation {
    let mut missing: Vec<Note> = Vec::new();

    // Certifications.
    let mut certs: Vec<&cert::Model> = ev.certs.get(&subject).into_iter().flatten().collect();
    certs.sort_by(|a, b| b.issued_on.cmp(&a.issued_on).then(a.id.cmp(&b.id)));
    let mut cert_ok = None;
    let mut cert_notes = Vec::new();
    // The gap is the latest certification's: what the owner would have to fix first.
    let mut cert_gap = None;
    // Who verified the certification that counts, and from when.
    let mut verified_by = None;
    for c in &certs {
        // A verified certification is judged on the values its verification saw; the live row
        // (an owner's later edit, not yet verified) only explains why it does not count.
        let c = ev.cert_seen.get(&c.id).unwrap_or(c);
        let Some(s) = ev.schemes.get(&c.scheme_id) else {
            continue;
        };
        let category = s.category;
        let label = |mut more: Vec<(&'static str, Arg)>| {
            more.push(("no", text(c.certificate_no.clone())));
            more.push(("scheme", term("scheme", &s.code)));
            more
        };
        let status = status_on(ev.cert_history.get(&c.id), d);
        if !p.value_chain_categories.contains(&category) {
            cert_gap.get_or_insert(Gap::CertificationNotCounted);
            cert_notes.push(Note::new(
                "cert_category_not_counted",
                label(vec![
                    ("category", term("category", category.code())),
                    ("version", int(p.version)),
                ]),
            ));
        } else if c.issued_on > d {
            cert_gap.get_or_insert(Gap::CertificationNotCounted);
            cert_notes.push(Note::new(
                "cert_issued_after",
                label(vec![("issued", date(c.issued_on)), ("d", date(d))]),
            ));
        } else if c.expires_on <= d {
            cert_gap.get_or_insert(Gap::CertificationExpired);
            cert_notes.push(Note::new(
                "cert_expired",
                label(vec![("expires", date(c.expires_on))]),
            ));
        } else if let Some(m) = p.cap_of(&s.code)
            && months_after(c.issued_on, m) <= d
        {
            cert_gap.get_or_insert(Gap::CertificationExpired);
            cert_notes.push(Note::new(
                "cert_capped",
                label(vec![
                    ("expires", date(c.expires_on)),
                    ("months", int(m)),
                    ("until", date(months_after(c.issued_on, m))),
                    ("version", int(p.version)),
                ]),
            ));
        } else if status.map(|e| e.to_status.as_str()) != Some(CertStatus::Verified.code()) {
            cert_gap.get_or_insert(Gap::CertificationNotVerified);
            let st = status.map_or("unregistered", |e| e.to_status.as_str());
            cert_notes.push(Note::new(
                "cert_status_on",
                label(vec![("status", term("cert-status", st)), ("d", date(d))]),
            ));
        } else if cert_ok.is_none() {
            verified_by = status.map(|e| (e.actor_name.clone(), e.effective_on));
            cert_ok = Some(CertEvidence {
                id: c.id,
                scheme: s.code.clone(),
                category,
                certificate_no: c.certificate_no.clone(),
                status_on_date: CertStatus::Verified.code().to_owned(),
                issued_on: c.issued_on,
                expires_on: c.expires_on,
            });
        }
    }
    let mut gaps = Vec::new();
    if cert_ok.is_none() {
        gaps.push(cert_gap.unwrap_or(Gap::NoCertification));
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
        missing.extend(cert_notes);
    }

    // Areas: under a policy that verifies them, each as an auditor's verification in force on
    // D saw it, or as the verification of a certificate scoped to it saw it; otherwise as
    // registered.
    let mut areas: Vec<&area::Model> = ev.areas.get(&subject).into_iter().flatten().collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let mut area_ok = None;
    let mut area_notes = Vec::new();
    for live in &areas {
        let mut candidates: Vec<(&area::Model, Note)> = Vec::new();
        if p.verify_areas {
            let status = status_on(ev.area_history.get(&live.id), d);
            if let Some(e) = status.filter(|e| e.to_status == CertStatus::Verified.code())
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
                .any(|r| r.code() == e.to_status)
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
                let st = status.map_or("unregistered", |e| e.to_status.as_str());
                area_notes.push(Note::new(
                    "area_not_verified",
                    vec![
                        ("name", text(live.name.clone())),
                        ("status", term("cert-status", st)),
                        ("d", date(d)),
                        ("version", int(p.version)),
                    ],
                ));
                continue;
            }
        } else {
            candidates.push((live, Note::new("area_as_registered", vec![])));
        }
        for (a, vouched) in candidates {
            if let Some(because) = stability(a, d, p, &mut area_notes)
                && area_ok.is_none()
            {
                area_ok = Some((
                    AreaEvidence {
                        id: a.id,
                        name: a.name.clone(),
                        area_ha: hectares(a.area_m2).to_string(),
                        stable_because: because.render(Lang::En),
                    },
                    because,
                    vouched,
                ));
            }
        }
    }
    if area_ok.is_none() {
        gaps.push(if areas.is_empty() {
            Gap::NoArea
        } else {
            Gap::AreaNotStable
        });
        if areas.is_empty() {
            missing.push(Note::new("no_area", vec![]));
        } else {
            missing.push(Note::new("no_stable_area", vec![("d", date(d))]));
            missing.extend(area_notes);
        }
    }

    let counts = cert_ok.is_some() && area_ok.is_some();
    let notes = match (&cert_ok, &area_ok) {
        (Some(c), Some((a, because, vouched))) => {
            let mut notes = vec![
                Note::new("counts_certification", {
                    let mut args = vec![
                        ("category", term("category", c.category.code())),
                        ("no", text(c.certificate_no.clone())),
                        ("scheme", term("scheme", &c.scheme)),
                        ("d", date(d)),
                        ("until", date(c.expires_on)),
                    ];
                    if let Some((by, on)) = &verified_by {
                        args.push(("by", text(by.clone())));
                        args.push(("on", date(*on)));
                    }
                    args
                }),
                {
                    // Why the area is stable, as the catalogue's selector on `because`.
                    let mut n = Note::new(
                        "counts_area",
                        vec![
                            ("name", text(a.name.clone())),
                            ("because", text(because.code.clone())),
                        ],
                    );
                    n.args.extend(because.args.clone());
                    n
                },
            ];
            // Who vouched for the area (policy version 3).
            if vouched.code != "area_as_registered" {
                notes.push(vouched.clone());
            }
            notes
        }
        _ => missing,
    };
    ValueChainExplanation {
        counts,
        certification: cert_ok,
        area: area_ok.map(|(a, _, _)| a),
        reasons: english(&notes),
        notes,
        gaps,
    }
}

/// Why area version `a` is a stable raw-material area on `d` (§4.2), or `None`, with what
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
        .is_some_and(|e| e.to_status == CertStatus::Verified.code());
    let capped = ev
        .schemes
        .get(&c.scheme_id)
        .and_then(|s| p.cap_of(&s.code))
        .is_some_and(|m| months_after(c.issued_on, m) <= d);
    verified && c.issued_on <= d && d < c.expires_on && !capped
}

/// The modern-channel verdict of one subject and why.
pub fn modern_channel(
    ev: &Evidence,
    subject: Uuid,
    d: NaiveDate,
    p: &Policy,
) -> ModernChannelExplanation {
    let mut channels: Vec<&channel::Model> =
        ev.channels.get(&subject).into_iter().flatten().collect();
    channels.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let window_from = d
        .checked_sub_days(Days::new(
            u64::try_from(p.channel_freshness_days).unwrap_or(0),
        ))
        .unwrap_or(d);
    let mut notes = Vec::new();
    // Every channel that counts, in order: the first explains the verdict; all are "Nơi mua".
    let mut found: Vec<ChannelEvidence> = Vec::new();
    let mut gap = None;
    let modern_on = |c: &channel::Model| {
        p.modern_kinds.contains(&c.kind)
            && c.active_from.is_none_or(|f| f <= d)
            && c.active_to.is_none_or(|t| t >= d)
    };
    for ch in &channels {
        let history = ev.channel_history.get(&ch.id);
        let verified_event =
            status_on(history, d).filter(|e| e.to_status == VerificationStatus::Verified.code());
        // A verification lasts `verification_valid_months` under the policy.
        let lapsed = verified_event.and_then(|e| {
            p.verification_valid_months
                .map(|m| (m, months_after(e.effective_on, m)))
                .filter(|(_, end)| *end <= d)
                .map(|(m, end)| (e.effective_on, m, end))
        });
        // A verification vouches for the channel it saw (its kind, platform, shop and
        // period), not for what the owner declared since.
        let vouched = verified_event
            .filter(|_| lapsed.is_none() && !p.count_declared_channels)
            .and_then(|e| ev.channel_seen.get(&ch.id).map(|seen| (e, seen)));
        if let Some((e, seen)) = vouched {
            // Active on D as verified and as the owner says now (a shop it says stopped is
            // taken at its word; the declared path below says why).
            let live_active =
                ch.active_from.is_none_or(|f| f <= d) && ch.active_to.is_none_or(|t| t >= d);
            if modern_on(seen) && live_active {
                found.push(ChannelEvidence {
                    id: ch.id,
                    kind: seen.kind,
                    platform: seen.platform.to_string(),
                    evidenced_by: "verified".to_owned(),
                    verified_on: Some(e.effective_on),
                    listing: None,
                    shop_url: seen.shop_url.clone(),
                });
                continue;
            }
            if !modern_on(seen) {
                notes.push(Note::new(
                    "channel_verified_other",
                    vec![
                        ("on", date(e.effective_on)),
                        ("seen_platform", term("platform", seen.platform.code())),
                        ("seen_kind", term("kind", seen.kind.code())),
                    ],
                ));
            }
        }
        // Otherwise the channel as declared now, which only the sync's observation (or a
        // policy that counts declarations) makes count.
        let kind = ch.kind;
        let label = |mut more: Vec<(&'static str, Arg)>| {
            more.push(("platform", term("platform", ch.platform.code())));
            more.push(("kind", term("kind", kind.code())));
            more
        };
        if !p.modern_kinds.contains(&kind) {
            notes.push(Note::new(
                "channel_not_modern",
                label(vec![("version", int(p.version))]),
            ));
            continue;
        }
        if let Some(f) = ch.active_from.filter(|f| *f > d) {
            notes.push(Note::new(
                "channel_active_after",
                label(vec![("from", date(f)), ("d", date(d))]),
            ));
            continue;
        }
        if let Some(t) = ch.active_to.filter(|t| *t < d) {
            notes.push(Note::new("channel_stopped", label(vec![("to", date(t))])));
            continue;
        }
        // An auditor's refusal by D outweighs the declaration and the listings, until a
        // verification after it (read above).
        if let Some(e) = history
            .into_iter()
            .flatten()
            .rev()
            .find(|e| e.to_status == VerificationStatus::Rejected.code() && e.effective_on <= d)
        {
            notes.push(Note::new(
                "channel_rejected",
                label(vec![
                    ("on", date(e.effective_on)),
                    ("reason", text(e.reason.clone().unwrap_or_default())),
                ]),
            ));
            gap = gap.max(Some(Gap::DeclaredOnly));
            continue;
        }
        let counted = |s: &listing_span::Model| s.trusted || p.count_owner_managed_listings;
        let untrusted_only = ev
            .spans
            .get(&ch.id)
            .is_some_and(|spans| !spans.is_empty() && !spans.iter().any(|(s, _)| counted(s)));
        let listing = ev.spans.get(&ch.id).and_then(|spans| {
            spans
                .iter()
                .filter(|(s, _)| counted(s))
                .max_by_key(|(s, _)| s.to_at)
                .map(|(s, l)| ListingEvidence {
                    id: l.id,
                    external_id: l.external_id.clone(),
                    title: l.title.clone(),
                    seen_at: latest_in_window(s, d),
                })
        });
        let evidence = |by: &str, verified_on, listing| ChannelEvidence {
            id: ch.id,
            kind,
            platform: ch.platform.to_string(),
            evidenced_by: by.to_owned(),
            verified_on,
            listing,
            shop_url: ch.shop_url.clone(),
        };
        let this = if listing.is_some() {
            Some(evidence("observed", None, listing))
        } else if p.count_declared_channels {
            Some(evidence("declared", None, None))
        } else {
            let later_verified = history
                .into_iter()
                .flatten()
                .filter(|e| {
                    e.effective_on > d && e.to_status == VerificationStatus::Verified.code()
                })
                .map(|e| e.effective_on)
                .min();
            // Why the declaration is all there is: a verification that lapsed, or one that
            // came after the date.
            let mut args = label(vec![
                ("d", date(d)),
                ("from", date(window_from)),
                ("version", int(p.version)),
            ]);
            match (lapsed, later_verified) {
                (Some((on, m, end)), _) => args.extend([
                    ("later", text("lapsed")),
                    ("on", date(on)),
                    ("end", date(end)),
                    ("months", int(m)),
                ]),
                (None, Some(v)) => args.extend([("later", text("after")), ("on", date(v))]),
                (None, None) => args.push(("later", text("none"))),
            }
            gap = gap.max(Some(if untrusted_only {
                Gap::OwnerListingsOnly
            } else {
                Gap::DeclaredOnly
            }));
            notes.push(Note::new(
                if untrusted_only {
                    "channel_owner_listings_only"
                } else {
                    "channel_declared_only"
                },
                args,
            ));
            None
        };
        found.extend(this);
    }
    match found.first().cloned() {
        Some(c) => {
            let mut args = vec![
                ("platform", term("platform", &c.platform)),
                ("kind", term("kind", c.kind.code())),
                ("d", date(d)),
                ("version", int(p.version)),
            ];
            let code = match c.evidenced_by.as_str() {
                "verified" => {
                    if let Some(v) = c.verified_on {
                        args.push(("on", date(v)));
                    }
                    "counts_channel_verified"
                }
                "observed" => {
                    if let Some(l) = &c.listing {
                        args.push(("listing", text(l.external_id.clone())));
                        args.push(("on", date(crate::clock::vietnam_date(l.seen_at))));
                    }
                    "counts_channel_observed"
                }
                _ => "counts_channel_declared",
            };
            let notes = vec![Note::new(code, args)];
            ModernChannelExplanation {
                counts: true,
                reasons: english(&notes),
                notes,
                channel: Some(c),
                gaps: Vec::new(),
                counting: found,
            }
        }
        None => {
            let mut all = vec![Note::new("no_modern_channel", vec![("d", date(d))])];
            if channels.is_empty() {
                all.push(Note::new("no_channel", vec![]));
            }
            all.extend(notes);
            // A subject that sells only at a traditional market has no modern channel to
            // keep current: what it lacks is one.
            let any_modern = channels.iter().any(|ch| p.modern_kinds.contains(&ch.kind));
            let gap = if !any_modern {
                Gap::NoChannel
            } else {
                gap.unwrap_or(Gap::ChannelNotActive)
            };
            ModernChannelExplanation {
                counts: false,
                channel: None,
                reasons: english(&all),
                notes: all,
                gaps: vec![gap],
                counting: found,
            }
        }
    }
}

/// The last instant of a span that falls on or before the end of day `d`.
fn latest_in_window(span: &listing_span::Model, d: NaiveDate) -> DateTime<Utc> {
    let end = crate::clock::day_start_utc(d.checked_add_days(Days::new(1)).unwrap_or(d));
    if span.to_at < end {
        span.to_at
    } else {
        // Seen after D as well: the span was active through the end of D.
        end - chrono::Duration::microseconds(1)
    }
}

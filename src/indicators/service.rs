//! Reports, explanations and frozen reports.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{indicator_report, subject};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{
    AmbiguousSubject, Cause, ChangedFigure, ChangesQuery, ChangesView, ExplainQuery,
    ExplanationPage, Figure, FreezeReport, FrozenReport, FrozenReportSummary, Gap, IndicatorKey,
    Report, ReportUnit, SubjectChange, SubjectExplanation, SubjectOrder, SubjectRef, Tally,
    UnitFigures,
};
use super::engine::{self, Counts, SubjectFlags, Which};
use super::explain::{self, Evidence};
use super::geography::Placement;
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::access::unit_graph as authorised_graph;
use crate::db::{begin_snapshot, begin_write};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::msg;
use crate::pagination::{PageParams, Paginated};
use crate::policies::dto::Policy;
use crate::units::dto::UnitRef;
use crate::units::graph::UnitGraph;
use crate::{clock, ids, policies};

/// One indicator's figures from integer counts: exact share, target test and gap. With no
/// population, `not_applicable` leaves the test and the gap out (`null`): an empty commune has
/// not met a target.
pub fn figure(
    key: IndicatorKey,
    numerator: i64,
    denominator: i64,
    target_bp: i64,
    target: &str,
    not_applicable: bool,
) -> Figure {
    // share × 100 = numerator × 10000 / denominator, rounded half away from zero (all
    // quantities are non-negative, so that is floor(x + ½)).
    let share = (denominator > 0).then(|| {
        let hundredths = (2 * numerator * 10_000 + denominator) / (2 * denominator);
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    });
    // numerator × 100 ≥ target × denominator, with the target in basis points.
    let met = numerator * 10_000 >= target_bp * denominator;
    // ⌈target × denominator / 100⌉ − numerator, never below 0.
    let needed = (target_bp * denominator + 9_999) / 10_000;
    let applies = denominator > 0 || !not_applicable;
    Figure {
        key,
        numerator,
        denominator,
        share,
        target: target.to_owned(),
        met: applies.then_some(met),
        gap: applies.then_some((needed - numerator).max(0)),
    }
}

fn figures(c: Counts, p: &Policy) -> Vec<Figure> {
    vec![
        figure(
            IndicatorKey::ValueChain,
            c.value_chain,
            c.population,
            p.value_chain_target_bp(),
            &p.value_chain_target,
            p.empty_units_not_applicable,
        ),
        figure(
            IndicatorKey::ModernChannel,
            c.modern_channel,
            c.population,
            p.modern_channel_target_bp(),
            &p.modern_channel_target,
            p.empty_units_not_applicable,
        ),
    ]
}

/// A knowledge time asked for: a past instant (RFC 3339), or now (`None`). The future is not
/// known yet, and a figure "as known" then would change without any write.
pub fn known_at(raw: Option<&str>, field: &'static str) -> AppResult<Known> {
    let Some(raw) = raw else {
        return Ok(Known(None));
    };
    let t = crate::validate::parse_instant(raw).map_err(|m| AppError::invalid(field, m))?;
    if t > clock::now() {
        return Err(AppError::invalid(field, "must not be in the future"));
    }
    Ok(Known(Some(t)))
}

fn unit_ref(graph: &UnitGraph, id: Uuid) -> Option<UnitRef> {
    graph.get(id).map(UnitRef::from)
}

/// The report for a unit on a date (administrators; auditors within their unit).
#[tracing::instrument(skip(db, actor), fields(by = %actor.name))]
pub async fn report(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_id: Uuid,
    as_of: NaiveDate,
    policy_version: Option<i32>,
    known: Option<&str>,
) -> AppResult<Report> {
    let known = known_at(known, "known_at")?;
    let graph = authorised_graph(db, actor, unit_id).await?;
    let policy = policies::service::get(db, policy_version).await?;
    compute(db, &graph, &policy, unit_id, as_of, known).await
}

/// Computes a report (no authorisation: callers check it).
pub async fn compute(
    db: &impl ConnectionTrait,
    graph: &UnitGraph,
    policy: &Policy,
    unit_id: Uuid,
    as_of: NaiveDate,
    known: Known,
) -> AppResult<Report> {
    let computed_at = clock::now();
    let placement = Placement::resolve(graph, unit_id, as_of, "unit_id")?;
    let rows =
        engine::counts_by_commune(db, policy, as_of, &placement.relevant_communes(), known).await?;

    let mut total = Counts::default();
    let mut children = vec![Counts::default(); placement.children.len()];
    let mut ambiguous = Vec::new();
    for (commune, counts) in &rows {
        if placement.counts_for_unit(*commune) {
            total += *counts;
        }
        if let Some(k) = placement.child_index(*commune) {
            children[k] += *counts;
        }
        if placement.is_ambiguous(*commune) && counts.population > 0 {
            ambiguous.push(*commune);
        }
    }
    let ambiguous_geography =
        ambiguous_subjects(db, graph, policy, as_of, &placement, &ambiguous, known).await?;
    let drafts_excluded = crate::drafts::service::excluded(db, graph, unit_id, known).await?;
    Ok(Report {
        unit: ReportUnit::from(&placement.unit),
        as_of,
        computed_at,
        known_at: known.0.unwrap_or(computed_at),
        policy: policy.clone(),
        population: total.population,
        indicators: figures(total, policy),
        children: placement
            .children
            .iter()
            .zip(children)
            .map(|(u, c)| UnitFigures {
                unit: ReportUnit::from(u),
                population: c.population,
                indicators: figures(c, policy),
            })
            .collect(),
        ambiguous_geography,
        drafts_excluded,
    })
}

async fn ambiguous_subjects(
    db: &impl ConnectionTrait,
    graph: &UnitGraph,
    policy: &Policy,
    as_of: NaiveDate,
    placement: &Placement,
    communes: &[Uuid],
    known: Known,
) -> AppResult<Vec<AmbiguousSubject>> {
    if communes.is_empty() {
        return Ok(Vec::new());
    }
    let listed = engine::Communes::Listed(communes.to_vec());
    let found = engine::population(db, policy, as_of, &listed, known).await?;
    let ids: Vec<Uuid> = found.iter().map(|(id, _)| *id).collect();
    let names: HashMap<Uuid, String> = known
        .select::<subject::Entity>()
        .filter(subject::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|(id, commune)| {
            Some(AmbiguousSubject {
                subject_id: id,
                name: names.get(&id)?.clone(),
                recorded_commune: unit_ref(graph, commune)?,
                candidates: placement
                    .targets(commune)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| unit_ref(graph, *t))
                    .collect(),
                counted_in_unit: placement.counts_for_unit(commune),
            })
        })
        .collect())
}

/// Explanations of a page of flagged subjects.
async fn explain_page(
    db: &impl ConnectionTrait,
    graph: &UnitGraph,
    policy: &Policy,
    (as_of, known): (NaiveDate, Known),
    placement: &Placement,
    flags: &[SubjectFlags],
    which: Option<IndicatorKey>,
) -> AppResult<Vec<SubjectExplanation>> {
    let ids: Vec<Uuid> = flags.iter().map(|f| f.id).collect();
    let ev = Evidence::load(db, &ids, policy, as_of, known).await?;
    let mut out = Vec::with_capacity(flags.len());
    for f in flags {
        let Some(s) = ev.subjects.get(&f.id) else {
            continue;
        };
        let targets = placement.targets(f.commune_id);
        let placed_in = targets
            .filter(|t| t.len() == 1)
            .and_then(|t| t.iter().next())
            .and_then(|t| unit_ref(graph, *t));
        let mut vc = (which != Some(IndicatorKey::ModernChannel))
            .then(|| explain::value_chain(&ev, f.id, as_of, policy));
        let mut mc = (which != Some(IndicatorKey::ValueChain))
            .then(|| explain::modern_channel(&ev, f.id, as_of, policy));
        // The database decided; the explanation must say the same. If it does not, that is a
        // bug: log it and show the database's verdict rather than hide the subject.
        if let Some(v) = vc.as_mut()
            && v.counts != f.value_chain
        {
            tracing::error!(subject = %f.id, %as_of, "value-chain explanation disagrees with the report");
            v.counts = f.value_chain;
            v.reasons.push(
                "internal inconsistency: the explanation disagrees with the report".to_owned(),
            );
        }
        if let Some(m) = mc.as_mut()
            && m.counts != f.modern_channel
        {
            tracing::error!(subject = %f.id, %as_of, "modern-channel explanation disagrees with the report");
            m.counts = f.modern_channel;
            m.reasons.push(
                "internal inconsistency: the explanation disagrees with the report".to_owned(),
            );
        }
        out.push(SubjectExplanation {
            subject: SubjectRef {
                id: s.id,
                name: s.name.clone(),
                legal_form: s.legal_form,
                // Where the subject was on the report's date.
                commune: unit_ref(graph, f.commune_id),
            },
            placed_in,
            active_recognitions: ev.active_recognitions(f.id, as_of),
            value_chain: vc,
            modern_channel: mc,
        });
    }
    Ok(out)
}

/// Every subject `explain` would list (all pages), with contacts, as a spreadsheet.
pub async fn explanation_sheet(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &ExplainQuery,
    lang: crate::i18n::Lang,
) -> AppResult<crate::export::Sheet> {
    use crate::pagination::MAX_PER_PAGE;
    let mut items = Vec::new();
    let mut contacts = HashMap::new();
    let mut first = None;
    for page_no in 1.. {
        let page = explain(db, actor, q, &PageParams::new(page_no, MAX_PER_PAGE)).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|e| e.subject.id).collect();
        contacts.extend(crate::subjects::service::by_ids(db, actor, &ids).await?);
        let last = page.items.len() < MAX_PER_PAGE as usize;
        items.extend(page.items);
        first.get_or_insert((page.unit, page.as_of));
        if last {
            break;
        }
    }
    let (unit, as_of) = first.ok_or_else(|| AppError::Internal("no page explained".to_owned()))?;
    Ok(super::export::explanation_sheet(
        &unit, as_of, &items, &contacts, lang,
    ))
}

/// What keeps an explained subject from counting for one indicator.
pub fn gaps_of(e: &SubjectExplanation, key: IndicatorKey) -> &[Gap] {
    match key {
        IndicatorKey::ValueChain => e.value_chain.as_ref().map_or(&[], |v| &v.gaps[..]),
        IndicatorKey::ModernChannel => e.modern_channel.as_ref().map_or(&[], |v| &v.gaps[..]),
    }
}

/// The population subjects of a unit on a date with the reasons behind their verdicts.
pub async fn explain(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &ExplainQuery,
    page: &PageParams,
) -> AppResult<ExplanationPage> {
    if q.counts.is_some() && q.indicator.is_none() {
        return Err(AppError::invalid(
            "indicator",
            "is required with counts (value_chain or modern_channel)",
        ));
    }
    let known = known_at(q.known_at.as_deref(), "known_at")?;
    let graph = authorised_graph(db, actor, q.unit_id).await?;
    let policy = policies::service::get(db, q.policy_version).await?;
    let placement = Placement::resolve(&graph, q.unit_id, q.as_of, "unit_id")?;
    let which = |k: IndicatorKey| match k {
        IndicatorKey::ValueChain => Which::ValueChain,
        IndicatorKey::ModernChannel => Which::ModernChannel,
    };
    let filter = q.indicator.zip(q.counts).map(|(k, c)| (which(k), c));
    let filter = match (q.gap, filter) {
        (Some(_), Some((_, true))) => {
            return Err(AppError::invalid(
                "gap",
                "a reason for not counting cannot go with counts=true",
            ));
        }
        (Some(_), _) => match q.indicator {
            Some(k) => Some((which(k), false)),
            None => return Err(AppError::invalid("indicator", "is required with gap")),
        },
        (None, f) => f,
    };
    // A reason is known only once a subject is explained: every subject that does not count
    // is explained, then the page is cut from those with the reason.
    let by_commune = q.sort == Some(SubjectOrder::Commune);
    let window = match q.gap {
        Some(_) => engine::Window {
            by_commune,
            ..engine::Window::ALL
        },
        None => engine::Window {
            limit: page.per_page(),
            offset: page.offset(),
            by_commune,
        },
    };
    let (flags, total) = engine::subjects(
        db,
        &policy,
        q.as_of,
        &placement.counted_communes(),
        filter,
        window,
        known,
    )
    .await?;
    let mut items = explain_page(
        db,
        &graph,
        &policy,
        (q.as_of, known),
        &placement,
        &flags,
        q.indicator,
    )
    .await?;
    let total = match (q.gap, q.indicator) {
        (Some(g), Some(k)) => {
            items.retain(|e| gaps_of(e, k).contains(&g));
            let kept = items.len() as u64;
            let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
            let per_page = usize::try_from(page.per_page()).unwrap_or(usize::MAX);
            items = items.into_iter().skip(start).take(per_page).collect();
            kept
        }
        _ => total,
    };
    Ok(ExplanationPage {
        unit: ReportUnit::from(&placement.unit),
        as_of: q.as_of,
        known_at: known.0.unwrap_or_else(clock::now),
        policy,
        indicator: q.indicator,
        counts: q.counts,
        items,
        page: page.page(),
        per_page: page.per_page(),
        total,
    })
}

/// One subject's verdicts on `as_of` under the current policy, with what is missing: what its
/// owner sees on `/me` (the owner its own subject; auditors in their unit; administrators).
/// Without a recognition active that day the subject is outside the population: both
/// explanations are still given, for what it will need.
pub async fn explain_subject(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    as_of: NaiveDate,
) -> AppResult<SubjectExplanation> {
    let (s, _) = crate::auth::visible(db, actor, subject_id).await?;
    let policy = policies::service::get(db, None).await?;
    let known = known_at(None, "known_at")?;
    let ev = Evidence::load(db, &[s.id], &policy, as_of, known).await?;
    let graph = UnitGraph::load(db).await?;
    // The commune valid that day its recorded one became (none when it was split).
    let now_in = graph.map_to_date(s.commune_id, as_of);
    let placed_in = match now_in.len() {
        1 => now_in.first().and_then(|u| unit_ref(&graph, *u)),
        _ => None,
    };
    Ok(SubjectExplanation {
        subject: SubjectRef {
            id: s.id,
            name: s.name.clone(),
            legal_form: s.legal_form,
            commune: unit_ref(&graph, s.commune_id),
        },
        placed_in,
        active_recognitions: ev.active_recognitions(s.id, as_of),
        value_chain: Some(explain::value_chain(&ev, s.id, as_of, &policy)),
        modern_channel: Some(explain::modern_channel(&ev, s.id, as_of, &policy)),
    })
}

/// Computes and stores a report with every population subject's explanation (administrators;
/// auditors within their unit). Returns the stored JSON text.
#[tracing::instrument(skip(db, actor, input), fields(unit_id = %input.unit_id, as_of = %input.as_of, by = %actor.name))]
pub async fn freeze(
    db: &DatabaseConnection,
    actor: &Actor,
    input: FreezeReport,
) -> AppResult<String> {
    let graph = authorised_graph(db, actor, input.unit_id).await?;
    let policy = policies::service::get(db, input.policy_version).await?;
    // Read everything from one snapshot, so the report and its subject lists agree; write the
    // result afterwards (a long read must not hold the write lock).
    let snapshot = begin_snapshot(db).await?;
    let txn = &snapshot;
    // Computed over the versions known at one instant, the very query a recomputation with
    // that `known_at` runs, so the filed figures can always be reproduced.
    let known = Known(Some(clock::now()));
    let report = compute(txn, &graph, &policy, input.unit_id, input.as_of, known).await?;
    let placement = Placement::resolve(&graph, input.unit_id, input.as_of, "unit_id")?;
    let communes = placement.counted_communes();
    // One pass computes every verdict; the evidence is then read in batches.
    let (flags, _) = engine::subjects(
        txn,
        &policy,
        input.as_of,
        &communes,
        None,
        engine::Window::ALL,
        known,
    )
    .await?;
    let mut subjects = Vec::with_capacity(flags.len());
    for batch in flags.chunks(500) {
        subjects.extend(
            explain_page(
                txn,
                &graph,
                &policy,
                (input.as_of, known),
                &placement,
                batch,
                None,
            )
            .await?,
        );
    }
    snapshot.commit().await?;
    let frozen = FrozenReport {
        id: ids::new_id(),
        frozen_at: clock::now(),
        frozen_by: actor.name.clone(),
        report,
        subjects,
    };
    let body = serde_json::to_string(&frozen)
        .map_err(|e| AppError::Internal(format!("report serialisation: {e}")))?;
    let txn = begin_write(db).await?;
    indicator_report::ActiveModel {
        id: Set(frozen.id),
        unit_id: Set(input.unit_id),
        as_of: Set(input.as_of),
        policy_version: Set(policy.version),
        computed_at: Set(frozen.report.computed_at),
        known_at: Set(frozen.report.known_at),
        created_by_id: Set(actor.id()),
        created_by: Set(actor.name.clone()),
        body: Set(body.clone()),
    }
    .insert(&txn)
    .await?;
    let summary = serde_json::json!({
        "unit": frozen.report.unit,
        "as_of": frozen.report.as_of,
        "policy_version": policy.version,
        "known_at": frozen.report.known_at,
        "population": frozen.report.population,
        "indicators": frozen.report.indicators,
    });
    audit::record(
        &txn,
        actor,
        Change::created("report", frozen.id, None, &summary),
    )
    .await?;
    txn.commit().await?;
    Ok(body)
}

/// The earlier knowledge time of a comparison: a frozen report's, or an instant.
enum Since {
    Report(Uuid),
    At(DateTime<Utc>),
}

/// The subjects whose counting changed between two knowledge times for one unit and date, per
/// indicator, with the records written in between that bear on them — so a late, back-dated
/// entry is visible as such (docs/domain.md §8). Since a frozen report, "before" is what was filed.
pub async fn changes(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &ChangesQuery,
) -> AppResult<ChangesView> {
    let until = known_at(q.until.as_deref(), "until")?;
    let since = match Uuid::parse_str(q.since.trim()) {
        Ok(id) => Since::Report(id),
        Err(_) => {
            let t = crate::validate::parse_instant(&q.since).map_err(|_| {
                AppError::invalid(
                    "since",
                    "must be a frozen report id or a time written as RFC 3339 \
                     (2025-07-01T09:30:00+07:00)",
                )
            })?;
            if t > clock::now() {
                return Err(AppError::invalid("since", "must not be in the future"));
            }
            Since::At(t)
        }
    };
    let graph = authorised_graph(db, actor, q.unit_id).await?;
    // The unit is resolved after a named report is checked against it, so that a report of
    // another date says so rather than "no such unit on that date".
    let communes =
        || Placement::resolve(&graph, q.unit_id, q.as_of, "unit_id").map(|p| p.counted_communes());
    let (policy, since, since_report, before) = match since {
        Since::Report(id) => {
            if q.policy_version.is_some() {
                return Err(AppError::invalid(
                    "policy_version",
                    "is the frozen report's own when since names one",
                ));
            }
            let row = crate::db::find::<indicator_report::Entity>(db, "report", id, false).await?;
            if row.unit_id != q.unit_id || row.as_of != q.as_of {
                return Err(AppError::invalid(
                    "since",
                    msg!(
                        "field-report-other-unit-or-date",
                        report = row.id,
                        as_of = row.as_of
                    ),
                ));
            }
            /// What `changes` needs of a filed report.
            #[derive(serde::Deserialize)]
            struct Filed {
                subjects: Vec<SubjectExplanation>,
            }
            let filed: Filed = serde_json::from_str(&row.body).map_err(|e| {
                AppError::Internal(format!("frozen report {} unreadable: {e}", row.id))
            })?;
            let before: HashMap<Uuid, (bool, bool, Option<SubjectRef>)> = filed
                .subjects
                .into_iter()
                .map(|s| {
                    let vc = s.value_chain.as_ref().is_some_and(|v| v.counts);
                    let mc = s.modern_channel.as_ref().is_some_and(|m| m.counts);
                    (s.subject.id, (vc, mc, Some(s.subject)))
                })
                .collect();
            let policy = policies::service::get(db, Some(row.policy_version)).await?;
            (policy, row.known_at, Some(row.id), before)
        }
        Since::At(t) => {
            let since = Known(Some(t));
            let policy = policies::service::get(db, q.policy_version).await?;
            let (flags, _) = engine::subjects(
                db,
                &policy,
                q.as_of,
                &communes()?,
                None,
                engine::Window::ALL,
                since,
            )
            .await?;
            let before = flags
                .into_iter()
                .map(|f| (f.id, (f.value_chain, f.modern_channel, None)))
                .collect();
            (policy, t, None, before)
        }
    };
    let until_at = until.0.unwrap_or_else(clock::now);
    if until_at < since {
        return Err(AppError::invalid("until", "must not be before since"));
    }
    let (live, _) = engine::subjects(
        db,
        &policy,
        q.as_of,
        &communes()?,
        None,
        engine::Window::ALL,
        until,
    )
    .await?;
    let after: HashMap<Uuid, (bool, bool)> = live
        .iter()
        .map(|f| (f.id, (f.value_chain, f.modern_channel)))
        .collect();
    // Absent from a side = outside the population then; both indicators share one population,
    // so a subject entering or leaving it is listed under each.
    let was = |id: &Uuid| before.get(id).map(|b| (true, b.0, b.1));
    let is = |id: &Uuid| after.get(id).map(|a| (true, a.0, a.1));
    let mut ids: Vec<Uuid> = before.keys().chain(after.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    let mut changed: Vec<(Uuid, IndicatorKey, [bool; 4])> = Vec::new();
    for id in ids {
        let (b_in, b_vc, b_mc) = was(&id).unwrap_or_default();
        let (a_in, a_vc, a_mc) = is(&id).unwrap_or_default();
        for (key, b, a) in [
            (IndicatorKey::ValueChain, b_vc, a_vc),
            (IndicatorKey::ModernChannel, b_mc, a_mc),
        ] {
            if b != a || b_in != a_in {
                changed.push((id, key, [b, a, b_in, a_in]));
            }
        }
    }
    let tally = |flags: &mut dyn Iterator<Item = (bool, bool)>| {
        let (mut vc, mut mc) = (Tally::default(), Tally::default());
        for (v, m) in flags {
            vc.population += 1;
            mc.population += 1;
            vc.numerator += i64::from(v);
            mc.numerator += i64::from(m);
        }
        (vc, mc)
    };
    let (b_vc, b_mc) = tally(&mut before.values().map(|b| (b.0, b.1)));
    let (a_vc, a_mc) = tally(&mut after.values().copied());
    let figures = vec![
        ChangedFigure {
            indicator: IndicatorKey::ValueChain,
            before: b_vc,
            after: a_vc,
        },
        ChangedFigure {
            indicator: IndicatorKey::ModernChannel,
            before: b_mc,
            after: a_mc,
        },
    ];
    let changed_ids: Vec<Uuid> = changed.iter().map(|c| c.0).collect();
    let subjects: HashMap<Uuid, subject::Model> = until
        .select::<subject::Entity>()
        .filter(subject::Column::Id.is_in(changed_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let causes = audit::service::written_between(db, &changed_ids, since, until_at).await?;
    let mut items = Vec::with_capacity(changed.len());
    for (id, indicator, [b, a, b_in, a_in]) in changed {
        let subject = match (before.get(&id).and_then(|b| b.2.clone()), subjects.get(&id)) {
            (_, Some(s)) => SubjectRef {
                id,
                name: s.name.clone(),
                legal_form: s.legal_form,
                commune: unit_ref(&graph, s.commune_id),
            },
            (Some(b), None) => b,
            (None, None) => continue,
        };
        let because = causes
            .get(&id)
            .into_iter()
            .flatten()
            .map(|c| Cause {
                entity: c.entity.clone(),
                entity_id: c.entity_id,
                record: record_name(c.after.as_ref().or(c.before.as_ref())),
                platform: c
                    .after
                    .as_ref()
                    .or(c.before.as_ref())
                    .and_then(|v| v.get("platform")?.as_str().map(str::to_owned)),
                change: c.action.clone(),
                recorded_at: c.at,
                recorded_by: c.actor.name.clone(),
                effective_on: effective_on(c.after.as_ref()),
            })
            .collect();
        items.push(SubjectChange {
            subject,
            indicator,
            before: b,
            after: a,
            in_population_before: b_in,
            in_population_after: a_in,
            because,
        });
    }
    Ok(ChangesView {
        unit_id: q.unit_id,
        as_of: q.as_of,
        policy_version: policy.version,
        since_report,
        since,
        until: until_at,
        figures,
        items,
    })
}

/// A record as a person names it, read from what the audit trail kept of it: a channel by its
/// shop, any other record by its name or its document's number.
fn record_name(kept: Option<&serde_json::Value>) -> Option<String> {
    let v = kept?;
    [
        "name",
        "shop_url",
        "shop_id",
        "certificate_no",
        "decision_no",
    ]
    .into_iter()
    .find_map(|k| v.get(k).and_then(|x| x.as_str()).filter(|x| !x.is_empty()))
    .map(str::to_owned)
}

/// The day a recorded change takes effect, read from what the audit trail kept of it: a
/// relocation's date, a record's `effective_on`, or the newest move of its status history.
fn effective_on(after: Option<&serde_json::Value>) -> Option<NaiveDate> {
    let v = after?;
    let date = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse().ok());
    date(v)
        .or_else(|| v.get("effective_on").and_then(date))
        .or_else(|| {
            v.get("history")
                .and_then(|h| h.as_array())
                .and_then(|h| h.last())
                .and_then(|e| e.get("effective_on"))
                .and_then(date)
        })
        .or_else(|| {
            v.get("verification")
                .and_then(|x| x.get("verified_on"))
                .and_then(date)
        })
}

/// A frozen report's JSON text, exactly as stored.
pub async fn get_frozen(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<String> {
    let r = crate::db::find::<indicator_report::Entity>(db, "report", id, false).await?;
    authorised_graph(db, actor, r.unit_id).await?;
    Ok(r.body)
}

/// A frozen report's stored text, read back.
pub fn parse_frozen(body: &str) -> AppResult<FrozenReport> {
    serde_json::from_str(body).map_err(|e| AppError::Internal(format!("a stored report: {e}")))
}

/// Frozen reports the actor may read, newest first.
pub async fn list_frozen(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_id: Option<Uuid>,
    page: &PageParams,
) -> AppResult<Paginated<FrozenReportSummary>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let mut select = indicator_report::Entity::find();
    if let Some(u) = unit_id {
        select = select.filter(indicator_report::Column::UnitId.eq(u));
    }
    if actor.role == Role::Auditor {
        let graph = UnitGraph::load(db).await?;
        // One unit asked: one check, not one per unit of the country.
        let allowed: Vec<Uuid> = match (actor.unit_id, unit_id) {
            (Some(own), Some(u)) => [u]
                .into_iter()
                .filter(|u| graph.may_report(own, *u))
                .collect(),
            (Some(own), None) => {
                let scope = graph.reporting_scope(own);
                graph.all().filter(|u| scope.allows(*u)).collect()
            }
            (None, _) => Vec::new(),
        };
        select = select.filter(indicator_report::Column::UnitId.is_in(allowed));
    }
    let total = select.clone().count(db).await?;
    let rows = select
        .select_only()
        .columns([
            indicator_report::Column::Id,
            indicator_report::Column::UnitId,
            indicator_report::Column::AsOf,
            indicator_report::Column::PolicyVersion,
            indicator_report::Column::ComputedAt,
            indicator_report::Column::KnownAt,
            indicator_report::Column::CreatedBy,
        ])
        .order_by_desc(indicator_report::Column::ComputedAt)
        .offset(page.offset())
        .limit(page.per_page())
        .into_tuple::<(
            Uuid,
            Uuid,
            NaiveDate,
            i32,
            DateTime<Utc>,
            DateTime<Utc>,
            String,
        )>()
        .all(db)
        .await?;
    let items = rows
        .into_iter()
        .map(
            |(id, unit_id, as_of, policy_version, computed_at, known_at, frozen_by)| {
                FrozenReportSummary {
                    id,
                    unit_id,
                    as_of,
                    policy_version,
                    computed_at,
                    known_at,
                    frozen_by,
                }
            },
        )
        .collect();
    Ok(Paginated::new(items, page, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_half_away_from_zero_and_gaps_round_up() {
        let fig = |n, d, bp, t| figure(IndicatorKey::ValueChain, n, d, bp, t, true);
        let f = fig(1, 3, 3000, "30");
        assert_eq!(f.share.as_deref(), Some("33.33"));
        assert_eq!(f.met, Some(true));
        let f = fig(2, 3, 5000, "50");
        assert_eq!(f.share.as_deref(), Some("66.67"));
        let f = fig(1, 8, 3000, "30");
        assert_eq!(f.share.as_deref(), Some("12.50"));
        assert_eq!(f.met, Some(false));
        assert_eq!(f.gap, Some(2), "⌈0.3 × 8⌉ − 1 = 3 − 1");
        let f = fig(1, 16, 3000, "30");
        assert_eq!(f.share.as_deref(), Some("6.25"));
        let f = fig(1, 1600, 3000, "30");
        assert_eq!(f.share.as_deref(), Some("0.06"), "0.0625 rounds up");
        let f = fig(3, 10, 3000, "30");
        assert_eq!(f.met, Some(true), "exactly on target");
        assert_eq!(f.gap, Some(0));
    }

    #[test]
    fn an_empty_unit_is_not_applicable_from_version_2_and_met_in_version_1() {
        let v2 = figure(IndicatorKey::ValueChain, 0, 0, 3000, "30", true);
        assert_eq!((v2.share, v2.met, v2.gap), (None, None, None));
        let v1 = figure(IndicatorKey::ValueChain, 0, 0, 3000, "30", false);
        assert_eq!((v1.share, v1.met, v1.gap), (None, Some(true), Some(0)));
    }

    #[test]
    fn periods_of_months_lapse_on_the_same_day_in_sql_and_in_rust() {
        use crate::indicators::engine::{latest_lapsed_start, months_after};
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Whatever the start and the day, "the period still runs on d" reads the same both ways.
        for start in [
            "2023-01-31",
            "2023-02-28",
            "2024-02-29",
            "2023-08-31",
            "2024-03-31",
        ] {
            for m in [1, 12, 24, 27] {
                let s = day(start);
                let mut d = s;
                for _ in 0..(31 * 30) {
                    let runs = d < months_after(s, m);
                    assert_eq!(
                        runs,
                        s > latest_lapsed_start(d, m),
                        "{s} +{m} months on {d}"
                    );
                    d = d.succ_opt().unwrap();
                }
            }
        }
        assert_eq!(months_after(day("2023-01-31"), 1), day("2023-02-28"));
    }
}

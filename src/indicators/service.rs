//! Reports and explanations: the figures of a unit on a day, and each subject's verdicts.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::subject;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::dto::{
    AmbiguousSubject, ExplainQuery, ExplanationPage, Figure, Gap, IndicatorKey, Report, ReportUnit,
    SubjectExplanation, SubjectOrder, SubjectRef, UnitFigures,
};
use super::engine::{self, Counts, SubjectFlags, Which};
use super::explain::Evidence;
use super::geography::Placement;
use super::rules;
use crate::auth::Actor;
use crate::auth::access::unit_graph as authorised_graph;
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::pagination::PageParams;
use crate::policies::dto::Policy;
use crate::unit_graph::UnitGraph;
use crate::units::dto::UnitRef;
use crate::{clock, policies};

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

pub(super) fn unit_ref(graph: &UnitGraph, id: Uuid) -> Option<UnitRef> {
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
    known: Known,
) -> AppResult<Report> {
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
pub(super) async fn explain_page(
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
            .then(|| rules::value_chain::explain(&ev, f.id, as_of, policy));
        let mut mc = (which != Some(IndicatorKey::ValueChain))
            .then(|| rules::modern_channel::explain(&ev, f.id, as_of, policy));
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
    (q, known): (&ExplainQuery, Known),
    lang: crate::i18n::Lang,
) -> AppResult<crate::export::Sheet> {
    use crate::pagination::MAX_PER_PAGE;
    let mut items = Vec::new();
    let mut contacts = HashMap::new();
    let mut first = None;
    for page_no in 1.. {
        let page = explain(
            db,
            actor,
            (q, known),
            &PageParams::new(page_no, MAX_PER_PAGE),
        )
        .await?;
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
    (q, known): (&ExplainQuery, Known),
    page: &PageParams,
) -> AppResult<ExplanationPage> {
    if q.counts.is_some() && q.indicator.is_none() {
        return Err(AppError::invalid(
            "indicator",
            "is required with counts (value_chain or modern_channel)",
        ));
    }
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
    let known = Known::NOW;
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
        value_chain: Some(rules::value_chain::explain(&ev, s.id, as_of, &policy)),
        modern_channel: Some(rules::modern_channel::explain(&ev, s.id, as_of, &policy)),
    })
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
        use crate::indicators::rules::{latest_lapsed_start, months_after};
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

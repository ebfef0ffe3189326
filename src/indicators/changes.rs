//! What changed between two knowledge times for one unit and date: the subjects whose counting
//! or whose membership of the population moved, with the records written in between.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{indicator_report, subject};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::dto::{
    Cause, ChangedFigure, ChangesQuery, ChangesView, IndicatorKey, SubjectChange,
    SubjectExplanation, SubjectRef, Tally,
};
use super::engine;
use super::geography::Placement;
use super::service::unit_ref;
use crate::audit;
use crate::auth::Actor;
use crate::auth::access::unit_graph as authorised_graph;
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::msg;
use crate::policies::dto::Policy;
use crate::unit_graph::UnitGraph;
use crate::{clock, policies};

/// Each population subject's verdicts (value chain, modern channel) and, from a filed report,
/// how it was named then.
type Verdicts = HashMap<Uuid, (bool, bool, Option<SubjectRef>)>;

/// A subject listed under one indicator: `[counted before, after, in the population before,
/// after]`.
type Moved = (Uuid, IndicatorKey, [bool; 4]);

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
    (q, until): (&ChangesQuery, Known),
) -> AppResult<ChangesView> {
    let since = since_of(&q.since)?;
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
            let (policy, known_at, before) = filed(db, q, id).await?;
            (policy, known_at, Some(id), before)
        }
        Since::At(t) => {
            let policy = policies::service::get(db, q.policy_version).await?;
            let (flags, _) = engine::subjects(
                db,
                &policy,
                q.as_of,
                &communes()?,
                None,
                engine::Window::ALL,
                Known(Some(t)),
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
    let (changed, figures) = compare(&before, &after);
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
        let Some(subject) = named(&graph, id, &before, &subjects) else {
            continue;
        };
        let because = causes.get(&id).into_iter().flatten().map(cause).collect();
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

/// `since` as sent: a frozen report's id, or a past instant.
fn since_of(raw: &str) -> AppResult<Since> {
    if let Ok(id) = Uuid::parse_str(raw.trim()) {
        return Ok(Since::Report(id));
    }
    let t = crate::validate::parse_instant(raw).map_err(|_| {
        AppError::invalid(
            "since",
            "must be a frozen report id or a time written as RFC 3339 \
             (2025-07-01T09:30:00+07:00)",
        )
    })?;
    if t > clock::now() {
        return Err(AppError::invalid("since", "must not be in the future"));
    }
    Ok(Since::At(t))
}

/// What a frozen report of this unit and date filed: its policy, its knowledge time and each
/// subject's verdicts.
async fn filed(
    db: &impl ConnectionTrait,
    q: &ChangesQuery,
    id: Uuid,
) -> AppResult<(Policy, DateTime<Utc>, Verdicts)> {
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
    let filed: Filed = serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("frozen report {} unreadable: {e}", row.id)))?;
    let before = filed
        .subjects
        .into_iter()
        .map(|s| {
            let vc = s.value_chain.as_ref().is_some_and(|v| v.counts);
            let mc = s.modern_channel.as_ref().is_some_and(|m| m.counts);
            (s.subject.id, (vc, mc, Some(s.subject)))
        })
        .collect();
    let policy = policies::service::get(db, Some(row.policy_version)).await?;
    Ok((policy, row.known_at, before))
}

/// Per indicator, the subjects whose verdict or membership of the population differs
/// (`[before, after, in before, in after]`), and each indicator's tallies at both times.
/// Absent from a side = outside the population then; both indicators share one population, so
/// a subject entering or leaving it is listed under each.
fn compare(
    before: &Verdicts,
    after: &HashMap<Uuid, (bool, bool)>,
) -> (Vec<Moved>, Vec<ChangedFigure>) {
    let was = |id: &Uuid| before.get(id).map(|b| (true, b.0, b.1));
    let is = |id: &Uuid| after.get(id).map(|a| (true, a.0, a.1));
    let mut ids: Vec<Uuid> = before.keys().chain(after.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    let mut changed = Vec::new();
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
    (changed, figures)
}

/// A subject as known now, or as the filed report named it.
fn named(
    graph: &UnitGraph,
    id: Uuid,
    before: &Verdicts,
    now: &HashMap<Uuid, subject::Model>,
) -> Option<SubjectRef> {
    match (now.get(&id), before.get(&id).and_then(|b| b.2.clone())) {
        (Some(s), _) => Some(SubjectRef {
            id,
            name: s.name.clone(),
            legal_form: s.legal_form,
            commune: unit_ref(graph, s.commune_id),
        }),
        (None, filed) => filed,
    }
}

/// An audit entry as a cause of a change.
fn cause(c: &audit::dto::AuditView) -> Cause {
    let kept = c.after.as_ref().or(c.before.as_ref());
    Cause {
        entity: c.entity.clone(),
        entity_id: c.entity_id,
        record: record_name(kept),
        platform: kept.and_then(|v| v.get("platform")?.as_str().map(str::to_owned)),
        change: c.action.clone(),
        recorded_at: c.at,
        recorded_by: c.actor.name.clone(),
        effective_on: effective_on(c.after.as_ref()),
    }
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
        // A revocation's day, a recognition's decision.
        .or_else(|| v.get("revoked_on").and_then(date))
        .or_else(|| v.get("decision_date").and_then(date))
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

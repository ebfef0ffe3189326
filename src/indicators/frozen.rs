//! Frozen reports: a report computed once, signed by who filed it, stored as its JSON text and
//! read back unchanged, whatever the registry learns afterwards.

use chrono::{DateTime, NaiveDate, Utc};
use entity::indicator_report;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{FreezeReport, FrozenReport, FrozenReportSummary};
use super::engine;
use super::geography::Placement;
use super::service::{compute, explain_page};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::access::unit_graph as authorised_graph;
use crate::db::{begin_snapshot, begin_write};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::pagination::{PageParams, Paginated};
use crate::unit_graph::UnitGraph;
use crate::{clock, ids, policies};

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

//! The areas an indicator stands on, for a unit's map.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::engine;
use super::geography::Placement;
use crate::areas::dto::AreaView;
use crate::auth::Actor;
use crate::auth::access::unit_graph as authorised_graph;
use crate::error::AppResult;
use crate::history::Known;
use crate::policies;

/// The raw-material areas in a unit's communes on a day (in force then, with a geometry), with
/// the subjects that count for the value chain that day: a verified area of such a subject is
/// one the indicator stands on (administrators; auditors within their unit).
pub async fn areas_on_map(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_id: Uuid,
    on: NaiveDate,
) -> AppResult<(Vec<AreaView>, HashSet<Uuid>)> {
    let graph = authorised_graph(db, actor, unit_id).await?;
    let communes = Placement::resolve(&graph, unit_id, on, "unit_id")?.counted_communes();
    let policy = policies::service::get(db, None).await?;
    let (flags, _) = engine::subjects(
        db,
        &policy,
        on,
        &communes,
        None,
        engine::Window::ALL,
        Known(None),
    )
    .await?;
    let counting = flags
        .iter()
        .filter(|f| f.value_chain)
        .map(|f| f.id)
        .collect();
    let listed = match &communes {
        engine::Communes::Every => None,
        engine::Communes::Listed(ids) => Some(ids.as_slice()),
    };
    let areas = crate::areas::service::drawn_in(db, listed, on).await?;
    Ok((areas, counting))
}

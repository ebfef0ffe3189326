//! Who recognised a product when a list does not say: the chair of the provincial People's
//! Committee of the producer's province for 3★ and 4★, the Prime Minister for 5★.

use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::RowError;
use crate::msg;
use crate::unit_graph::UnitGraph;

/// Who recognised a product when the row does not say: the registered subject's commune (or
/// the row's place) tells the province.
pub(super) async fn default(
    txn: &DatabaseTransaction,
    graph: &UnitGraph,
    subject_id: Uuid,
    place_unit: Option<Uuid>,
    stars: i64,
) -> Result<String, RowError> {
    let unit = match place_unit {
        Some(u) => Some(u),
        None => crate::db::unique(txn, entity::subject::Entity::find_by_id(subject_id))
            .await
            .map_err(RowError::fault)?
            .map(|s| s.commune_id),
    };
    unit.and_then(|u| authority_for(graph, u, stars))
        .ok_or_else(|| RowError::field("authority", msg!("import-authority")))
}

/// Who recognises a product of `stars` when the list does not say: the chair of the provincial
/// People's Committee for 3★ and 4★, the Prime Minister for 5★ (Decision 148/QĐ-TTg).
fn authority_for(graph: &UnitGraph, unit: Uuid, stars: i64) -> Option<String> {
    if stars == 5 {
        return Some("Thủ tướng Chính phủ".to_owned());
    }
    graph
        .ancestors(unit)
        .into_iter()
        .filter_map(|id| graph.get(id))
        .find(|u| u.level == crate::domain::UnitLevel::Province)
        .map(|p| format!("UBND {}", lower_first(&p.name)))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

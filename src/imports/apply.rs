//! Applying one row inside the import's transaction: its subject, then its product and
//! recognition, or its record of evidence, each row in a savepoint of its own.

use sea_orm::TransactionTrait;

use super::{Fate, Outcome, Read, RowError, evidence, products, subjects};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::unit_graph::UnitGraph;

/// Applies a row in a savepoint: a refused row leaves the transaction usable (PostgreSQL
/// aborts a transaction at its first failed statement). A fault of the database stops the file.
pub(super) async fn in_savepoint(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    graph: &UnitGraph,
    read: Read,
    source: &serde_json::Value,
) -> AppResult<Result<Fate, RowError>> {
    let sp = txn.begin().await?;
    let fate = apply_row(&sp, actor, graph, read, source).await;
    match fate {
        Ok(_) => sp.commit().await?,
        Err(_) => sp.rollback().await?,
    }
    Ok(fate)
}

/// Applies a row: its subject, then its product and recognition, or its record of evidence.
async fn apply_row(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    graph: &UnitGraph,
    read: Read,
    source: &serde_json::Value,
) -> Result<Fate, RowError> {
    let (subject, item) = match read {
        Read::Listed(s, i) => (s, i),
        Read::Evidence(owner, item) => {
            let target = evidence::find_owner(txn, &owner).await?;
            return evidence::apply(txn, actor, target, item, source).await;
        }
    };
    // The rows of one recognition draft are told apart by the year they give.
    let mut source = source.clone();
    if let (Some(y), Some(o)) = (item.as_ref().and_then(|i| i.year), source.as_object_mut()) {
        o.insert("year".into(), serde_json::json!(y));
    }
    let place_unit = subject.place.as_ref().map(|p| p.unit);
    let (target, first) = subjects::apply(txn, actor, subject, &source, item.is_none()).await?;
    let Some(item) = item else {
        return Ok(first.of(target.written()));
    };
    let then = products::apply(txn, actor, graph, target, item, place_unit, &source).await?;
    // What the row did as a whole: held back if anything is, else whatever it made.
    let outcome = match (first, then.outcome) {
        (Outcome::Draft, _) | (_, Outcome::Draft) => Outcome::Draft,
        (Outcome::Created, _) | (_, Outcome::Created) => Outcome::Created,
        (Outcome::Updated | Outcome::Moved, _) | (_, Outcome::Updated | Outcome::Moved) => {
            Outcome::Updated
        }
        _ => Outcome::Unchanged,
    };
    Ok(outcome.of(then.record))
}

//! A report's photo: what a sender attached, kept as the registry's own re-encoding (no
//! metadata: a phone's photo carries where it was taken — the sender's whereabouts), shown to
//! the staff of the producer's unit only.

use entity::problem_report as report;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::Actor;
use crate::documents::DocumentStore;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::photos::render;

const ENTITY: &str = "problem_report";

/// The name a report's photo is saved under.
pub fn file_name(id: Uuid) -> String {
    format!("phan-anh-{id}.jpg")
}

/// Renders and stores the photo of report `id` (before its row is written: a row never names a
/// photo that is not there).
pub async fn keep(store: &DocumentStore, id: Uuid, bytes: Vec<u8>) -> AppResult<()> {
    let jpeg = rendered(store, bytes).await?;
    store.put(&photo_key(id), jpeg).await
}

/// Removes the photo of a report that was refused after its photo was kept (best effort: a file
/// no row names is never served).
pub async fn discard(store: &DocumentStore, id: Uuid) {
    if let Err(e) = store.delete(&photo_key(id)).await {
        tracing::warn!(report = %id, error = %e, "a refused report's photo was not removed");
    }
}

/// Where a report's photo is kept.
fn photo_key(id: Uuid) -> String {
    format!("reports/{id}.jpg")
}

/// A sender's photo as the registry keeps it: its largest rendition, re-encoded without any
/// metadata (a phone's photo carries where it was taken — the sender's whereabouts).
async fn rendered(store: &DocumentStore, bytes: Vec<u8>) -> AppResult<Vec<u8>> {
    if bytes.len() as u64 > store.max_bytes {
        return Err(AppError::PayloadTooLarge {
            limit: store.max_bytes,
        });
    }
    let rendered = render::render(bytes, render::Sender::Public)
        .await?
        .map_err(|r| AppError::invalid("photo", render::refusal(r)))?;
    rendered
        .files
        .into_iter()
        .next_back()
        .map(|(_, jpeg)| jpeg)
        .ok_or_else(|| AppError::Internal("no rendition".to_owned()))
}

/// A report's photo, to the staff who reach its producer (404 when it has none).
pub async fn photo(
    db: &impl ConnectionTrait,
    store: &DocumentStore,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Vec<u8>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let r = crate::db::find::<report::Entity>(db, ENTITY, id, false).await?;
    crate::auth::access::guard(db, actor, ENTITY, id, r.subject_id, false).await?;
    if !r.has_photo {
        return Err(AppError::not_found(ENTITY, id));
    }
    store.get(&photo_key(id)).await
}

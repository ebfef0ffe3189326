//! Product photos: uploaded by the producer (or staff), rendered by the registry, shown publicly
//! once their review window has passed unless an auditor rejected them first.

use chrono::{DateTime, Utc};
use entity::{product, product_photo as photo};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{PhotoQuery, PhotoView, PublicPhoto, RejectPhoto, is_public};
use super::render::{self, WIDTHS};
use crate::audit::{self, Change};
use crate::auth::{Actor, owned};
use crate::documents::DocumentStore;
use crate::domain::{PhotoStatus, Role};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::version::ExpectedVersion;
use crate::{clock, ids};

/// The entity name in errors and the audit trail.
const ENTITY: &str = "photo";

/// Where a rendition's bytes are kept.
fn key(id: Uuid, width: u32) -> String {
    format!("photos/{id}/{width}.jpg")
}

/// Stores a photo of `product_id` (its subject's owner, the auditors of its unit,
/// administrators). An owner's photo waits `review` before it shows publicly; one staff upload
/// is approved at once (the department vouches for it).
pub async fn upload(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    product_id: Uuid,
    bytes: Vec<u8>,
    review: chrono::Duration,
) -> AppResult<PhotoView> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let p: product::Model = owned(db, actor, product_id, false).await?;
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "must not be empty"));
    }
    if bytes.len() as u64 > store.max_bytes {
        return Err(AppError::PayloadTooLarge {
            limit: store.max_bytes,
        });
    }
    let rendered = render::render(bytes, render::Sender::SignedIn)
        .await?
        .map_err(|r| AppError::invalid("file", render::refusal(r)))?;
    let id = ids::new_id();
    // The files first: a row never names files that are not there (a failure leaves files no
    // row names, under an id nobody will ask for).
    for (w, file) in rendered.files {
        store.put(&key(id, w), file).await?;
    }
    let now = clock::now();
    let staff = actor.role != Role::Owner;
    let m = photo::Model {
        id,
        product_id: p.id,
        subject_id: p.subject_id,
        status: if staff {
            PhotoStatus::Approved
        } else {
            PhotoStatus::Waiting
        },
        public_from: if staff { now } else { now + review },
        width: rendered.width as i32,
        height: rendered.height as i32,
        uploaded_by: actor.name.clone(),
        decided_by: staff.then(|| actor.name.clone()),
        decided_at: staff.then_some(now),
        reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let txn = crate::db::begin_write(db).await?;
    let row = m.into_active_model().reset_all().insert(&txn).await?;
    let view = PhotoView::of(row, p.name, now);
    audit::record(
        &txn,
        actor,
        Change::created(ENTITY, id, Some(view.subject_id), &view),
    )
    .await?;
    txn.commit().await?;
    Ok(view)
}

/// A product's photos, newest first, to those who reach its subject.
pub async fn of_product(
    db: &impl ConnectionTrait,
    actor: &Actor,
    product_id: Uuid,
) -> AppResult<Vec<PhotoView>> {
    let p: product::Model = owned(db, actor, product_id, false).await?;
    let now = clock::now();
    Ok(photo::Entity::find()
        .filter(photo::Column::ProductId.eq(product_id))
        .order_by_desc(photo::Column::CreatedAt)
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| PhotoView::of(m, p.name.clone(), now))
        .collect())
}

/// Photos in the staff member's unit (administrators: all), oldest first: the queue's.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &PhotoQuery,
    page: &PageParams,
) -> AppResult<Paginated<PhotoView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        photo::Entity::find().filter(photo::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(s) = q.status {
        select = select.filter(photo::Column::Status.eq(s));
    }
    if let Some(p) = q.product_id {
        select = select.filter(photo::Column::ProductId.eq(p));
    }
    let select = select
        .order_by_asc(photo::Column::CreatedAt)
        .order_by_asc(photo::Column::Id);
    let (rows, total) = fetch(db, select, page).await?;
    let now = clock::now();
    let names =
        crate::products::service::names(db, rows.iter().map(|m| m.product_id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let name = names.get(&m.product_id).cloned().unwrap_or_default();
            PhotoView::of(m, name, now)
        })
        .collect();
    Ok(Paginated::new(items, page, total))
}

/// Approves a waiting photo: it shows publicly at once.
pub async fn approve(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
) -> AppResult<PhotoView> {
    decide(db, actor, id, if_match, None).await
}

/// Rejects a photo, waiting or already public: it never shows (again), and its producer reads
/// why.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: RejectPhoto,
) -> AppResult<PhotoView> {
    decide(
        db,
        actor,
        id,
        if_match,
        Some(input.reason.trim().to_owned()),
    )
    .await
}

/// `reason`: `None` approves, `Some` rejects.
async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    reason: Option<String>,
) -> AppResult<PhotoView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let txn = crate::db::begin_write(db).await?;
    let current: photo::Model = owned(&txn, actor, id, true).await?;
    if_match.check(current.version)?;
    // A rejected photo stays rejected (a new upload is the way back); an approved one may
    // still be taken down.
    let allowed = match current.status {
        PhotoStatus::Waiting => true,
        PhotoStatus::Approved => reason.is_some(),
        PhotoStatus::Rejected => false,
    };
    if !allowed {
        return Err(AppError::Conflict(match current.status {
            PhotoStatus::Approved => msg!("photo-already-approved"),
            _ => msg!("photo-already-rejected"),
        }));
    }
    let now = clock::now();
    let name = crate::products::service::names(&txn, vec![current.product_id])
        .await?
        .remove(&current.product_id)
        .unwrap_or_default();
    let before = PhotoView::of(current.clone(), name.clone(), now);
    let mut next: photo::ActiveModel = current.clone().into();
    next.status = Set(if reason.is_some() {
        PhotoStatus::Rejected
    } else {
        PhotoStatus::Approved
    });
    next.reason = Set(reason);
    next.decided_by = Set(Some(actor.name.clone()));
    next.decided_at = Set(Some(now));
    next.version = Set(current.version + 1);
    next.updated_at = Set(now);
    let updated = next.update(&txn).await?;
    let after = PhotoView::of(updated, name, now);
    let action = match after.status {
        PhotoStatus::Rejected => "reject",
        _ => "approve",
    };
    audit::record(
        &txn,
        actor,
        Change::updated(ENTITY, id, Some(after.subject_id), action, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// The JPEG of one rendition, to those who reach the photo's subject (any state).
pub async fn file(
    db: &impl ConnectionTrait,
    store: &DocumentStore,
    actor: &Actor,
    id: Uuid,
    width: u32,
) -> AppResult<Vec<u8>> {
    let m: photo::Model = owned(db, actor, id, false).await?;
    rendition(store, &m, width).await
}

/// The JPEG of one rendition of a photo the public may see (404 otherwise, as for none).
pub async fn public_file(
    db: &impl ConnectionTrait,
    store: &DocumentStore,
    id: Uuid,
    width: u32,
) -> AppResult<Vec<u8>> {
    let m = crate::db::find::<photo::Entity>(db, ENTITY, id, false).await?;
    if !is_public(&m, clock::now()) {
        return Err(AppError::not_found(ENTITY, id));
    }
    crate::products::service::rated(db, m.product_id, false).await?;
    rendition(store, &m, width).await
}

async fn rendition(store: &DocumentStore, m: &photo::Model, width: u32) -> AppResult<Vec<u8>> {
    if !WIDTHS.contains(&width) {
        return Err(AppError::not_found(ENTITY, m.id));
    }
    store.get(&key(m.id, width)).await
}

/// The photo the public page shows: the newest the public may see, with when the page last
/// changed because of photos (a decision, or a review window that ended).
pub async fn shown(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(Option<PublicPhoto>, Option<DateTime<Utc>>)> {
    let rows = photo::Entity::find()
        .filter(photo::Column::ProductId.eq(product_id))
        .filter(photo::Column::Status.ne(PhotoStatus::Rejected))
        .order_by_desc(photo::Column::CreatedAt)
        .order_by_desc(photo::Column::Id)
        .all(db)
        .await?;
    let Some(m) = rows.iter().find(|m| is_public(m, now)) else {
        return Ok((None, None));
    };
    let changed = m.updated_at.max(m.public_from.min(now));
    Ok((Some(PublicPhoto::of(m)), Some(changed)))
}

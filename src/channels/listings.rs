//! The listings the sync read from a channel's shop, and an owner's matching of a listing to
//! its product.

use entity::{listing, sales_channel as channel};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{ListingQuery, ListingView};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::owned;
use crate::db::{begin_write, save_version};
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::version::ExpectedVersion;

/// A channel's listings, most recently seen first.
pub async fn listings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    channel_id: Uuid,
    q: &ListingQuery,
    page: &PageParams,
) -> AppResult<Paginated<ListingView>> {
    owned::<channel::Model>(db, actor, channel_id, false).await?;
    let mut select = listing::Entity::find().filter(listing::Column::ChannelId.eq(channel_id));
    if let Some(s) = q.status {
        select = select.filter(listing::Column::Status.eq(s.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(listing::Column::LastSeenAt)
            .order_by_asc(listing::Column::ExternalId),
        page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(ListingView::build)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// Matches a listing to one of its subject's products (`None` unmatches); returns the listing
/// and its version.
pub async fn match_listing(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    product_id: Option<Uuid>,
) -> AppResult<(ListingView, i32)> {
    let txn = begin_write(db).await?;
    let current: listing::Model = owned(&txn, actor, id, true).await?;
    if_match.check(current.version)?;
    if let Some(p) = product_id {
        let found = crate::db::unique(&txn, entity::product::Entity::find_by_id(p)).await?;
        if found.is_none_or(|p| p.subject_id != current.subject_id) {
            return Err(AppError::invalid(
                "product_id",
                "must be one of the subject's own products",
            ));
        }
    }
    if current.product_id == product_id {
        let v = current.version;
        return Ok((ListingView::build(current)?, v));
    }
    let before = ListingView::build(current.clone())?;
    let mut next = current.clone();
    next.product_id = product_id;
    let row = save_version(&txn, next).await?;
    let version = row.version;
    let after = ListingView::build(row)?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "listing",
            id,
            Some(current.subject_id),
            "match",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((after, version))
}

//! What the channel sync (and signed pushes) saw of a shop's listings, written idempotently by
//! (channel, external id). While a listing stays active its activity span is extended, so the
//! indicator can ask "was an active listing seen between D − 90 days and D?" for any past D.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{listing, listing_span, listing_span_extension, sales_channel as channel};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::db::save;
use crate::domain::ListingStatus;
use crate::error::AppResult;
use crate::{clock, ids};

/// One listing as a marketplace reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub external_id: String,
    pub title: String,
    /// Whole đồng.
    pub price_vnd: Option<i64>,
    pub status: ListingStatus,
}

/// What an observation changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

/// A span starting and ending at `at`, and its id.
fn new_span(
    listing_id: Uuid,
    channel_id: Uuid,
    at: DateTime<Utc>,
    trusted: bool,
    recorded_at: DateTime<Utc>,
) -> (Uuid, listing_span::ActiveModel) {
    let id = ids::new_id();
    let span = listing_span::ActiveModel {
        id: Set(id),
        listing_id: Set(listing_id),
        channel_id: Set(channel_id),
        from_at: Set(at),
        to_at: Set(at),
        trusted: Set(trusted),
        recorded_at: Set(recorded_at),
    };
    (id, span)
}

/// Records that `items` were seen on `channel` at `at` (call inside the caller's transaction),
/// through a trusted source or not (docs/domain.md §7). Observations older than what is stored for a
/// listing do not move it back in time. A span holds sightings of one trust only: a sighting of
/// the other kind starts a new span.
pub async fn observe(
    db: &impl ConnectionTrait,
    channel: &channel::Model,
    at: DateTime<Utc>,
    trusted: bool,
    items: &[Observation],
) -> AppResult<Outcome> {
    let mut out = Outcome::default();
    if items.is_empty() {
        return Ok(out);
    }
    let sighting = Sighting {
        channel,
        at,
        trusted,
        // Recorded time, which `at` (when the marketplace's answer arrived) may precede.
        recorded_at: clock::now(),
    };
    let external: Vec<String> = items.iter().map(|i| i.external_id.clone()).collect();
    let existing: HashMap<String, listing::Model> = listing::Entity::find()
        .filter(listing::Column::ChannelId.eq(channel.id))
        .filter(listing::Column::ExternalId.is_in(external))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.external_id.clone(), l))
        .collect();

    let mut writes = Writes::default();
    let mut done = std::collections::HashSet::new();
    for item in items {
        // A page may repeat an item; the first sighting stands.
        if !done.insert(item.external_id.clone()) {
            continue;
        }
        match existing.get(&item.external_id) {
            None => {
                writes
                    .listings
                    .push(sighting.new_listing(item, &mut writes.spans));
                out.added += 1;
            }
            Some(l) if at < l.last_seen_at => out.unchanged += 1,
            Some(l) => match sighting.changed(l, item, &mut writes) {
                Some(next) => {
                    save(db, next).await?;
                    out.changed += 1;
                }
                None => out.unchanged += 1,
            },
        }
    }
    writes.run(db, at, sighting.recorded_at).await?;
    let mut ch = channel.clone();
    if ch.last_observed_at.is_none_or(|t| t < at) {
        ch.last_observed_at = Some(at);
        save(db, ch).await?;
    }
    Ok(out)
}

/// One reading of a channel's listings: when it was seen, by a trusted reader or not, and when
/// recorded.
struct Sighting<'a> {
    channel: &'a channel::Model,
    at: DateTime<Utc>,
    trusted: bool,
    recorded_at: DateTime<Utc>,
}

impl Sighting<'_> {
    /// A listing seen for the first time (with its activity span when active).
    fn new_listing(
        &self,
        item: &Observation,
        spans: &mut Vec<listing_span::ActiveModel>,
    ) -> listing::ActiveModel {
        let (at, channel) = (self.at, self.channel);
        let id = ids::new_id();
        let span = (item.status == ListingStatus::Active).then(|| {
            let (sid, s) = new_span(id, channel.id, at, self.trusted, self.recorded_at);
            spans.push(s);
            sid
        });
        listing::ActiveModel {
            id: Set(id),
            channel_id: Set(channel.id),
            subject_id: Set(channel.subject_id),
            external_id: Set(item.external_id.clone()),
            title: Set(item.title.clone()),
            price_vnd: Set(item.price_vnd),
            status: Set(item.status),
            product_id: Set(None),
            first_seen_at: Set(at),
            last_seen_at: Set(at),
            open_span_id: Set(span),
            trusted: Set(self.trusted),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        }
    }

    /// Listing `l` as seen again: its next version when something changed, otherwise `None`
    /// with the sighting added to `writes`.
    fn changed(
        &self,
        l: &listing::Model,
        item: &Observation,
        writes: &mut Writes,
    ) -> Option<listing::Model> {
        let (at, trusted, status) = (self.at, self.trusted, item.status);
        let active = status == ListingStatus::Active;
        let same = l.title == item.title
            && l.price_vnd == item.price_vnd
            && l.status == status
            && l.trusted == trusted;
        if same {
            writes.seen_only.push(l.id);
            writes.extend.extend(l.open_span_id);
            return None;
        }
        let mut next = l.clone();
        next.title = item.title.clone();
        next.price_vnd = item.price_vnd;
        next.status = status;
        next.trusted = trusted;
        next.last_seen_at = at;
        next.updated_at = at;
        next.version += 1;
        let open = l.open_span_id.filter(|_| l.trusted == trusted);
        match (open, active) {
            (Some(span), true) => writes.extend.push(span),
            (None, true) => {
                let (sid, s) = new_span(l.id, self.channel.id, at, trusted, self.recorded_at);
                next.open_span_id = Some(sid);
                writes.spans.push(s);
            }
            (_, false) => next.open_span_id = None,
        }
        Some(next)
    }
}

/// What a page of sightings writes besides changed listings, gathered into a few statements.
#[derive(Default)]
struct Writes {
    listings: Vec<listing::ActiveModel>,
    spans: Vec<listing_span::ActiveModel>,
    /// Listings seen unchanged: only their last sighting moves.
    seen_only: Vec<Uuid>,
    /// Open activity spans that now reach the sighting.
    extend: Vec<Uuid>,
}

impl Writes {
    async fn run(
        self,
        db: &impl ConnectionTrait,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
    ) -> AppResult<()> {
        if !self.listings.is_empty() {
            listing::Entity::insert_many(self.listings)
                .exec_without_returning(db)
                .await?;
        }
        if !self.spans.is_empty() {
            listing_span::Entity::insert_many(self.spans)
                .exec_without_returning(db)
                .await?;
        }
        if !self.seen_only.is_empty() {
            listing::Entity::update_many()
                .col_expr(listing::Column::LastSeenAt, Expr::value(at))
                .filter(listing::Column::Id.is_in(self.seen_only))
                .exec(db)
                .await?;
        }
        if !self.extend.is_empty() {
            record_extensions(db, &self.extend, at, recorded_at).await?;
            listing_span::Entity::update_many()
                .col_expr(listing_span::Column::ToAt, Expr::value(at))
                .filter(listing_span::Column::Id.is_in(self.extend))
                .filter(listing_span::Column::ToAt.lt(at))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

/// Keeps, for the spans about to end at `at`, that their end moved to a later Vietnamese day and
/// when that was recorded: the indicator asks about whole days, so growth within a day changes
/// no answer and is not kept (docs/domain.md §8, "as known at").
async fn record_extensions(
    db: &impl ConnectionTrait,
    spans: &[Uuid],
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
) -> AppResult<()> {
    let day = clock::day_start_utc(clock::vietnam_date(at));
    let moved: Vec<Uuid> = listing_span::Entity::find()
        .select_only()
        .column(listing_span::Column::Id)
        .filter(listing_span::Column::Id.is_in(spans.to_vec()))
        .filter(listing_span::Column::ToAt.lt(day))
        .into_tuple()
        .all(db)
        .await?;
    if moved.is_empty() {
        return Ok(());
    }
    listing_span_extension::Entity::insert_many(moved.into_iter().map(|span_id| {
        listing_span_extension::ActiveModel {
            id: Set(ids::new_id()),
            span_id: Set(span_id),
            to_at: Set(at),
            recorded_at: Set(recorded_at),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Marks `deleted` every listing of the channel not seen since `since` (after a complete pass
/// that started then); returns how many.
pub async fn mark_unseen_deleted(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> AppResult<u64> {
    let res = listing::Entity::update_many()
        .col_expr(
            listing::Column::Status,
            Expr::value(ListingStatus::Deleted.code()),
        )
        .col_expr(
            listing::Column::OpenSpanId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(listing::Column::UpdatedAt, Expr::value(at))
        .col_expr(
            listing::Column::Version,
            Expr::col(listing::Column::Version).add(1),
        )
        .filter(listing::Column::ChannelId.eq(channel_id))
        .filter(listing::Column::LastSeenAt.lt(since))
        .filter(listing::Column::Status.ne(ListingStatus::Deleted.code()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

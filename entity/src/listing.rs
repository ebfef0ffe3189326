//! A marketplace listing seen under a channel.

use sea_orm::entity::prelude::*;

/// A listing, unique by (channel, external id).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub channel_id: Uuid,
    pub subject_id: Uuid,
    pub external_id: String,
    pub title: String,
    /// Whole đồng.
    pub price_vnd: Option<i64>,
    /// `active`, `unlisted` or `deleted`.
    pub status: crate::enums::ListingStatus,
    pub product_id: Option<Uuid>,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The activity span this listing is extending while it stays active.
    pub open_span_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Whether it was last seen through a registry-managed connection (domain.md §7).
    pub trusted: bool,
}

impl ActiveModelBehavior for ActiveModel {}

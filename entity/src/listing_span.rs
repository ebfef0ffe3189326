//! A period during which the sync saw a listing active, from its first to its last sighting.

use sea_orm::entity::prelude::*;

/// An activity span of a listing.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_span")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub listing_id: Uuid,
    pub channel_id: Uuid,
    pub from_at: DateTimeUtc,
    pub to_at: DateTimeUtc,
    /// Seen through a registry-managed connection: trusted evidence.
    pub trusted: bool,
    /// When the registry first recorded the span (its later growth: `listing_span_extension`).
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

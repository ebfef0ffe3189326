//! When a listing span's end moved to a later day, and when the registry recorded that: the
//! span as it was known at any past instant (domain.md §8).

use sea_orm::entity::prelude::*;

/// One recorded growth of a span.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_span_extension")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub span_id: Uuid,
    pub to_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

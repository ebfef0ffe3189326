//! Succession between unit versions: "A became (part of) B on `effective_on`".

use sea_orm::entity::prelude::*;

/// A directed succession link between two unit versions.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub from_unit_id: Uuid,
    pub to_unit_id: Uuid,
    pub effective_on: Date,
    /// `merged` (absorbed into another unit), `changed` (renamed or moved to another parent),
    /// `succeeded` (regrouped into a new unit in the 1 July 2025 reform).
    pub kind: crate::enums::LinkKind,
    /// Legal basis (resolution number), when known.
    pub basis: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

//! Frozen indicator reports: stored once, served unchanged forever.

use sea_orm::entity::prelude::*;

/// A frozen report and who froze it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub unit_id: Uuid,
    pub as_of: Date,
    pub policy_version: i32,
    pub computed_at: DateTimeUtc,
    /// The knowledge time the report was computed as of (domain.md §8).
    pub known_at: DateTimeUtc,
    pub created_by_id: Option<Uuid>,
    pub created_by: String,
    /// The report with its subject lists, as JSON text exactly as first served.
    pub body: String,
}

impl ActiveModelBehavior for ActiveModel {}

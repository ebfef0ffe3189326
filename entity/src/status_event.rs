//! Dated status history of lifecycle records (certifications, raw-material areas, channel verifications).

use sea_orm::entity::prelude::*;

/// One move: the record's status from `effective_on` on (until a later move).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub entity: crate::enums::Tracked,
    pub entity_id: Uuid,
    /// 1, 2, 3… per record: orders moves on the same day.
    pub seq: i32,
    pub from_status: Option<crate::enums::TrackedStatus>,
    pub to_status: crate::enums::TrackedStatus,
    pub reason: Option<String>,
    pub effective_on: Date,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub at: DateTimeUtc,
    /// The uploaded document the move rests on, if any.
    pub document_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}

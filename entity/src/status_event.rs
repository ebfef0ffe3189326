//! Dated status history of lifecycle records (certifications, channel verifications).

use sea_orm::entity::prelude::*;

/// One move: the record's status from `effective_on` on (until a later move).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `certification` or `channel`.
    pub entity: String,
    pub entity_id: Uuid,
    /// 1, 2, 3… per record: orders moves on the same day.
    pub seq: i32,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub effective_on: Date,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

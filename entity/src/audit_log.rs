//! The audit trail: one row per write, in the same transaction as the write.

use sea_orm::entity::prelude::*;

/// Who did what to which record, with the record before and after.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7, so ids sort by time.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    /// The token that acted; `None` for the command line and the system itself.
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub actor_role: crate::enums::Role,
    pub entity: String,
    pub entity_id: Uuid,
    /// The subject the record belongs to, so auditors see the trail of their subtree.
    pub subject_id: Option<Uuid>,
    pub action: String,
    pub before: Option<Json>,
    pub after: Option<Json>,
}

impl ActiveModelBehavior for ActiveModel {}

//! An owner's request to change its subject's identity fields, and the department's decision.

use sea_orm::entity::prelude::*;

/// A change request.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    /// JSON object of the requested values (`name`, `legal_form`, `tax_code`, `commune_id`).
    pub changes: String,
    pub effective_on: Date,
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub status: crate::enums::RequestStatus,
    pub requested_by: String,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
    pub version: i32,
}

impl ActiveModelBehavior for ActiveModel {}

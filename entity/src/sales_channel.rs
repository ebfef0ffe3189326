//! A sales channel of a subject (kênh bán hàng): marketplace shop, supermarket chain, …

use sea_orm::entity::prelude::*;

/// A sales channel. `active_to` is the last active day. The verification columns hold the
/// current state; its history is in `status_event`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_channel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub kind: crate::enums::ChannelKind,
    pub platform: crate::enums::Platform,
    pub shop_url: Option<String>,
    pub shop_id: Option<String>,
    /// The shop's identity: platform + shop id, or the normalised shop URL (one subject each).
    pub shop_key: Option<String>,
    /// The normalised shop URL when one is given (a second identity of the same shop).
    pub shop_url_key: Option<String>,
    pub active_from: Option<Date>,
    pub active_to: Option<Date>,
    pub evidence_url: Option<String>,
    /// The uploaded document that evidences it.
    pub evidence_document_id: Option<Uuid>,
    /// `declared` or `verified`.
    pub verification_status: crate::enums::VerificationStatus,
    pub verified_on: Option<Date>,
    pub verified_by: Option<String>,
    pub verification_note: Option<String>,
    pub last_observed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

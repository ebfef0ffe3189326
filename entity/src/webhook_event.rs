//! A signed push from a marketplace, stored before it is acknowledged and processed after.

use sea_orm::entity::prelude::*;

/// A received webhook event.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub platform: crate::enums::Platform,
    /// The sender's event id, or the SHA-256 of the body when the sender has none.
    pub event_key: String,
    pub channel_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
    pub body: String,
    /// `pending`, `processed` or `failed`.
    pub status: crate::enums::EventStatus,
    pub attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub processed_at: Option<DateTimeUtc>,
    pub error: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

//! One sync of a channel: when, how far it got, what it changed, why it failed.

use sea_orm::entity::prelude::*;

/// A sync run.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_run")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub channel_id: Uuid,
    /// `api`, `scheduler`, `cli` or `webhook`.
    pub trigger: crate::enums::RunTrigger,
    /// `running`, `succeeded` or `failed`.
    pub status: crate::enums::RunStatus,
    /// Whether the run read every listing (only a complete full pass may mark listings removed).
    pub full_pass: bool,
    pub complete: bool,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub pages: i32,
    pub items_seen: i64,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
    pub item_errors: i64,
    /// JSON array of messages (item errors and retries), capped.
    pub errors: String,
    /// Why the run failed.
    pub reason: Option<String>,
    pub watermark_from: Option<DateTimeUtc>,
    pub claimed_by: String,
}

impl ActiveModelBehavior for ActiveModel {}

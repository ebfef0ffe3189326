//! A pending marketplace authorization (the "connect your shop" flow).

use sea_orm::entity::prelude::*;

/// One authorization started for a channel. The state parameter sent to the marketplace is
/// stored as its SHA-256; it expires and is used once.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connection_grant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub state_hash: String,
    pub channel_id: Uuid,
    /// `shopee` or `lazada`.
    pub connector: crate::enums::ConnectorKind,
    /// The API token that started it, if any.
    pub token_id: Option<Uuid>,
    /// The signed-in person who started it, if any.
    pub user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

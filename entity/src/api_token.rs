//! API tokens: random secrets shown once, stored only as a SHA-256 hash.

use sea_orm::entity::prelude::*;

/// A bearer token and the actor it stands for.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Human label ("Sở NN&PTNT Quảng Nam – kiểm tra viên").
    pub name: String,
    /// `admin`, `auditor`, `owner` or `channel`.
    pub role: crate::enums::Role,
    /// Auditor scope: the root of the unit subtree it may see.
    pub unit_id: Option<Uuid>,
    /// Owner scope: the subject it acts for.
    pub subject_id: Option<Uuid>,
    /// Channel tokens: the platform whose sync it may drive.
    pub platform: Option<crate::enums::Platform>,
    /// Lowercase hex SHA-256 of the token.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

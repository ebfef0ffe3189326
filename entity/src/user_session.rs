//! A signed-in person's session on the pages.

use sea_orm::entity::prelude::*;

/// One session: the cookie holds a secret whose SHA-256 is `token_hash`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    /// Every form of the session carries it back.
    pub csrf_token: String,
    pub created_at: DateTimeUtc,
    /// Sessions idle for longer than the configured limit are over.
    pub last_seen_at: DateTimeUtc,
    /// Signed out, or ended by disabling the account.
    pub ended_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}

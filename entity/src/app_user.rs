//! A person who signs in to the pages, with the role and scope a token would have.

use sea_orm::entity::prelude::*;

/// A user account.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-case, unique.
    pub username: String,
    pub display_name: String,
    pub role: crate::enums::Role,
    pub unit_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    /// Argon2id, in the PHC string format.
    pub password_hash: String,
    /// The password is the one-time password given at creation: it must be changed at sign-in.
    pub must_change_password: bool,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

impl ActiveModelBehavior for ActiveModel {}

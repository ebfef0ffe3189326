//! Failed sign-ins in a row, per user name given — known or not, so that the lock-out answers
//! the same for both (no probing of which names exist).

use sea_orm::entity::prelude::*;

/// The failures of one name since its last successful sign-in.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_failure")]
pub struct Model {
    /// SHA-256 of the lower-cased name as typed (a password typed into the name field is not
    /// kept).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name_hash: String,
    pub failures: i32,
    pub last_failed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

//! The certification-scheme catalogue (data, editable by administrators).

use sea_orm::entity::prelude::*;

/// A certification scheme and what it proves.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certification_scheme")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// `green`, `circular` or `quality`.
    pub category: crate::enums::SchemeCategory,
    pub description: Option<String>,
    /// Longest validity a certificate of this scheme can claim without a warning.
    pub max_validity_months: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

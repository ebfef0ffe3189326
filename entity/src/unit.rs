//! One version of an administrative unit (đơn vị hành chính): a code is reused across the 2025
//! reforms, so a unit is identified by its surrogate id, never by its code alone.

use sea_orm::entity::prelude::*;

/// A unit version, valid on days `valid_from <= d < valid_to` (open ends are `None`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Official GSO code (reused by later units).
    pub code: String,
    pub name: String,
    /// `name` folded for accent-insensitive search.
    pub name_folded: String,
    /// `province`, `district` or `commune`.
    pub level: crate::enums::UnitLevel,
    /// Official type word: Tỉnh, Thành phố, Huyện, Thị xã, Xã, Phường, Thị trấn.
    pub unit_type: Option<String>,
    pub parent_id: Option<Uuid>,
    /// First day of validity; `None` means "since before the registry's records".
    pub valid_from: Option<Date>,
    /// First day the unit no longer exists in this form; `None` means still valid.
    pub valid_to: Option<Date>,
    /// Known doubts about the official data.
    pub note: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

//! Unit request and response shapes.

use chrono::NaiveDate;
use entity::unit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::UnitLevel;

/// Filters of `GET /api/v1/units`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// `country`, `province`, `district` or `commune`.
    pub level: Option<UnitLevel>,
    /// Only the children of this unit version.
    pub parent_id: Option<Uuid>,
    /// Official code (every version that carries it, unless `on` is given).
    #[validate(length(max = 16, message = "at most 16 characters"))]
    #[param(max_length = 16)]
    pub code: Option<String>,
    /// Only units valid on this day (YYYY-MM-DD).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub on: Option<NaiveDate>,
    /// Name search, case- and accent-insensitive ("dien ban" finds "Điện Bàn").
    #[validate(custom(function = "crate::validate::query_text"))]
    #[param(max_length = 255)]
    pub q: Option<String>,
}

/// A unit version.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct UnitView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub level: crate::domain::UnitLevel,
    /// Tỉnh, Thành phố, Huyện, Thị xã, Xã, Phường, Thị trấn, Đặc khu.
    pub unit_type: Option<String>,
    pub parent_id: Option<Uuid>,
    /// First valid day; `null` when valid since before the registry's records.
    pub valid_from: Option<NaiveDate>,
    /// First day no longer valid; `null` while still valid.
    pub valid_to: Option<NaiveDate>,
    /// Known doubts about the official data.
    pub note: Option<String>,
    /// The units it lies in, nearest first (`["Huyện Phú Ninh", "Tỉnh Quảng Nam"]`): what tells
    /// the dozens of "Xã Tân Thành" of the country apart.
    pub within: Vec<String>,
}

impl From<unit::Model> for UnitView {
    fn from(u: unit::Model) -> Self {
        UnitView {
            id: u.id,
            code: u.code,
            name: u.name,
            level: u.level,
            unit_type: u.unit_type,
            parent_id: u.parent_id,
            valid_from: u.valid_from,
            valid_to: u.valid_to,
            note: u.note,
            within: Vec::new(),
        }
    }
}

/// A short reference to a unit version.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct UnitRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub level: crate::domain::UnitLevel,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl From<&unit::Model> for UnitRef {
    fn from(u: &unit::Model) -> Self {
        UnitRef {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level,
            valid_from: u.valid_from,
            valid_to: u.valid_to,
        }
    }
}

/// A succession link seen from one end.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct UnitLinkView {
    /// The unit at the other end.
    pub unit: UnitRef,
    pub effective_on: NaiveDate,
    /// `merged`, `changed` or `succeeded`.
    pub kind: crate::domain::LinkKind,
    pub basis: Option<String>,
}

/// A unit version with its neighbours.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: UnitView,
    pub parent: Option<UnitRef>,
    pub children: Vec<UnitRef>,
    /// Units this one became part of (later).
    pub successors: Vec<UnitLinkView>,
    /// Units that became part of this one (earlier).
    pub predecessors: Vec<UnitLinkView>,
}

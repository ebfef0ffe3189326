//! Vùng nguyên liệu: a raw-material area of a subject, with its linkage contract when linked.

use sea_orm::entity::prelude::*;

/// A raw-material area. `valid_to` and `linkage_end_on` are the last day included.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "raw_material_area")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub name: String,
    pub commune_id: Uuid,
    pub material: String,
    pub variety: Option<String>,
    /// Hectares × 10,000.
    pub area_m2: i64,
    /// `own`, `leased` or `linked`.
    pub tenure: crate::enums::Tenure,
    /// Mã số vùng trồng, opaque (never parsed for geography).
    pub growing_area_code: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// GeoJSON geometry, as validated JSON text.
    pub geometry: Option<String>,
    pub linkage_contract_no: Option<String>,
    pub linkage_counterparty: Option<String>,
    pub linkage_counterparty_kind: Option<crate::enums::CounterpartyKind>,
    pub linkage_households: Option<i32>,
    pub linkage_start_on: Option<Date>,
    pub linkage_end_on: Option<Date>,
    /// Whole months the contract runs (derived from its dates, stored for the indicator query).
    pub linkage_months: Option<i32>,
    /// The uploaded document that evidences it.
    pub evidence_document_id: Option<Uuid>,
    /// `submitted`, `verified`, `rejected`, `suspended` or `revoked` (the certification
    /// lifecycle; moves in `status_event` under entity `area`).
    pub status: crate::enums::CertStatus,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

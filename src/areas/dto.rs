//! Raw-material area shapes.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::raw_material_area;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::clock::months_between;
use crate::domain::{CertStatus, CounterpartyKind, Tenure};
use crate::error::AppResult;
use crate::http::nullable;
use crate::lifecycle::{StatusEventView, VerifiedVersion};
use crate::units::dto::UnitRef;
use crate::validate::{self as v, Hectares};

/// A linkage contract (hợp đồng liên kết, Decree 98/2018/NĐ-CP).
#[derive(Debug, Deserialize, Validate, ToSchema, Clone)]
#[validate(schema(function = "linkage_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct LinkageInput {
    #[validate(custom(function = "v::short_code"))]
    #[schema(schema_with = crate::schema::code)]
    pub contract_no: String,
    /// The other party: farmer households, a cooperative, a group, an enterprise.
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub counterparty: String,
    pub counterparty_kind: CounterpartyKind,
    /// Number of households taking part.
    #[validate(range(min = 1, max = 100000, message = "must be between 1 and 100000"))]
    #[schema(minimum = 1, maximum = 100000)]
    pub households: Option<i32>,
    #[serde(deserialize_with = "crate::validate::date")]
    pub start_on: NaiveDate,
    /// Last day the contract covers (after `start_on`).
    #[serde(deserialize_with = "crate::validate::date")]
    pub end_on: NaiveDate,
}

fn linkage_rules(l: &LinkageInput) -> Result<(), ValidationError> {
    if l.end_on <= l.start_on {
        return Err(v::err("end_on", "must be after start_on"));
    }
    Ok(())
}

/// `POST /api/v1/subjects/{id}/areas`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArea {
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    /// The commune the area lies in (any commune, also outside the subject's).
    pub commune_id: Uuid,
    /// Crop or species.
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub material: String,
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub variety: Option<String>,
    /// Hectares as an exact decimal string: positive, at most 4 decimals, at most 100000.
    #[schema(schema_with = crate::schema::hectares)]
    pub area_ha: Hectares,
    pub tenure: Tenure,
    /// Mã số vùng trồng, stored as given (an opaque code).
    #[validate(custom(function = "v::growing_area_code"))]
    #[schema(schema_with = crate::schema::growing_area_code_or_null)]
    pub growing_area_code: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub valid_from: Option<NaiveDate>,
    /// Last valid day.
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub valid_to: Option<NaiveDate>,
    /// GeoJSON Point, Polygon or MultiPolygon (WGS84, inside Vietnam, ≤ 10000 vertices).
    #[validate(custom(function = "v::geometry"))]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    /// Required when `tenure` is `linked`, refused otherwise.
    #[validate(nested)]
    pub linkage: Option<LinkageInput>,
    /// An uploaded document of the same subject (the contract's scan, a land-use paper).
    pub evidence_document_id: Option<Uuid>,
    /// The day the department received the dossier, when it enters one received earlier
    /// (administrators and auditors only; not in the future). Without it, today: no decision
    /// can be dated before the submission it decides on (docs/domain.md §7).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    #[validate(custom(function = "v::not_future"))]
    pub submitted_on: Option<NaiveDate>,
}

/// `PATCH /api/v1/areas/{id}`: absent fields stay, `null` clears an optional one.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateArea {
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub commune_id: Option<Uuid>,
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub material: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub variety: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::hectares)]
    pub area_ha: Option<Hectares>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub tenure: Option<Tenure>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::growing_area_code"))]
    #[schema(schema_with = crate::schema::growing_area_code_or_null)]
    pub growing_area_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::validate::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_from: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::validate::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_to: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::geometry"))]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(nested)]
    #[schema(value_type = Option<LinkageInput>)]
    pub linkage: Option<Option<LinkageInput>>,
    /// An uploaded document of the same subject (`null` removes it).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub evidence_document_id: Option<Option<Uuid>>,
}

/// A linkage contract as shown.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct LinkageView {
    pub contract_no: String,
    pub counterparty: String,
    pub counterparty_kind: CounterpartyKind,
    pub households: Option<i32>,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    /// Whole months the contract runs (from `start_on` to the day after `end_on`).
    pub months: i64,
}

/// Months a contract covering `start..=end` runs.
pub fn contract_months(start: NaiveDate, end: NaiveDate) -> i64 {
    months_between(start, end.checked_add_days(Days::new(1)).unwrap_or(end))
}

/// A raw-material area.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct AreaView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub name: String,
    pub commune_id: Uuid,
    pub commune: Option<UnitRef>,
    pub material: String,
    pub variety: Option<String>,
    /// Exact hectares.
    #[schema(example = "12.3456")]
    pub area_ha: String,
    pub tenure: Tenure,
    pub growing_area_code: Option<String>,
    pub valid_from: Option<NaiveDate>,
    /// Last valid day.
    pub valid_to: Option<NaiveDate>,
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    /// The polygons' geodesic area on the WGS 84 ellipsoid, in hectares to four places (`null`
    /// for a point or no geometry).
    #[schema(example = "12.4870")]
    pub geometry_area_ha: Option<String>,
    /// What an auditor must look at before verifying: the declared hectares more than 10 %
    /// away from the polygons' area. Verifying a flagged area takes a `warning_reason`.
    pub warnings: Vec<AreaWarning>,
    pub linkage: Option<LinkageView>,
    /// The uploaded document that evidences it (`GET /api/v1/documents/{id}`).
    pub evidence_document_id: Option<Uuid>,
    /// Where it stands in the certification lifecycle: `submitted` until an auditor decides;
    /// an owner's change of a key field sends it back (docs/domain.md §7).
    pub status: CertStatus,
    /// Every status move, oldest first.
    pub history: Vec<StatusEventView>,
    /// The values an auditor vouched for: the area as the latest verification saw it (`null`
    /// when never verified). Policy version 3 counts these, not the live values.
    pub verified_version: Option<VerifiedVersion>,
    /// The key fields whose live value differs from `verified_version` (waiting for an
    /// auditor).
    pub pending_changes: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A reason to look twice at an area.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct AreaWarning {
    /// `hectares_differ`: the declared area is more than 10 % away from the polygons'.
    pub code: String,
    /// Declared hectares.
    pub declared_ha: String,
    /// The polygons' geodesic hectares.
    pub geometry_area_ha: String,
    /// (declared − measured) / measured, in per cent to one place.
    #[schema(example = "-12.5")]
    pub difference_percent: String,
}

impl AreaWarning {
    /// The warning in the reader's language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        crate::msg!(
            "area-warning-hectares",
            declared = lang.decimal(&self.declared_ha),
            percent = lang.decimal(&self.difference_percent),
            measured = lang.decimal(&self.geometry_area_ha)
        )
        .render(lang)
    }
}

/// How far declared hectares may stray from the polygons' before an auditor is warned.
pub const HECTARES_TOLERANCE_PERCENT: i64 = 10;

/// The warnings of an area whose declared hectares stray from its polygons'.
fn warnings_of(declared: Decimal, measured: Option<Decimal>) -> Vec<AreaWarning> {
    let Some(measured) = measured.filter(|m| !m.is_zero()) else {
        return Vec::new();
    };
    let percent = (declared - measured) / measured * Decimal::from(100);
    if percent.abs() <= Decimal::from(HECTARES_TOLERANCE_PERCENT) {
        return Vec::new();
    }
    vec![AreaWarning {
        code: "hectares_differ".to_owned(),
        declared_ha: declared.to_string(),
        geometry_area_ha: measured.to_string(),
        difference_percent: percent.round_dp(1).to_string(),
    }]
}

/// The key fields of an area (docs/domain.md §7): a change by the owner needs a new verification.
pub const KEY_FIELDS: [&str; 7] = [
    "area_ha",
    "tenure",
    "growing_area_code",
    "valid_from",
    "valid_to",
    "geometry",
    "linkage",
];

/// Hectares from square metres (exact).
pub fn hectares(m2: i64) -> Decimal {
    Decimal::new(m2, 4).normalize()
}

fn linkage_of(m: &raw_material_area::Model) -> AppResult<Option<LinkageView>> {
    Ok(
        match (
            m.linkage_contract_no.clone(),
            m.linkage_counterparty.clone(),
            m.linkage_counterparty_kind,
            m.linkage_start_on,
            m.linkage_end_on,
        ) {
            (Some(contract_no), Some(counterparty), Some(kind), Some(start_on), Some(end_on)) => {
                Some(LinkageView {
                    contract_no,
                    counterparty,
                    counterparty_kind: kind,
                    households: m.linkage_households,
                    start_on,
                    end_on,
                    months: contract_months(start_on, end_on),
                })
            }
            _ => None,
        },
    )
}

impl AreaView {
    /// The hectares as a page shows them, and what is wrong with them against the polygons:
    /// the owner sees what the auditor will.
    pub fn hectares_shown(&self, lang: crate::i18n::Lang) -> String {
        std::iter::once(lang.decimal(&self.area_ha))
            .chain(
                self.warnings
                    .iter()
                    .map(|w| format!("⚠ {}", w.message(lang))),
            )
            .collect::<Vec<_>>()
            .join(" — ")
    }

    /// From a row, its commune and its status history.
    pub fn build(
        m: raw_material_area::Model,
        commune: Option<UnitRef>,
        history: Vec<StatusEventView>,
    ) -> AppResult<Self> {
        let linkage = linkage_of(&m)?;
        let geometry: Option<serde_json::Value> =
            m.geometry.and_then(|g| serde_json::from_str(&g).ok());
        let measured = geometry.as_ref().and_then(crate::geometry::area_ha);
        let declared = hectares(m.area_m2);
        Ok(AreaView {
            geometry_area_ha: measured.map(|d| d.to_string()),
            warnings: warnings_of(declared, measured),
            id: m.id,
            subject_id: m.subject_id,
            name: m.name,
            commune_id: m.commune_id,
            commune,
            material: m.material,
            variety: m.variety,
            area_ha: declared.to_string(),
            tenure: m.tenure,
            growing_area_code: m.growing_area_code,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            geometry,
            linkage,
            evidence_document_id: m.evidence_document_id,
            status: m.status,
            history,
            verified_version: None,
            pending_changes: Vec::new(),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A page of a subject's areas with the exact total of all its areas.
#[derive(Debug, Serialize, ToSchema)]
pub struct AreaList {
    pub items: Vec<AreaView>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    /// Sum of the hectares of all the subject's areas (exact).
    #[schema(example = "12.3457")]
    pub total_area_ha: String,
}

impl crate::export::Tabular for AreaView {
    const FILE: &'static str = "vung-nguyen-lieu";
    const TITLE: &'static str = "Vùng nguyên liệu";

    /// Headed as the list of areas imports them (a re-import changes nothing).
    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã vùng", "area_id"),
            col("Mã chủ thể", "subject_id"),
            col("Tên vùng nguyên liệu", "area_name"),
            col("Mã xã của vùng", "area_commune_code"),
            col("Xã của vùng", "area_commune"),
            col("Nguyên liệu", "material"),
            col("Giống", "variety"),
            col("Diện tích (ha)", "area_ha"),
            col("Hình thức", "tenure"),
            col("Mã số vùng trồng", "growing_area_code"),
            col("Hiệu lực từ", "valid_from"),
            col("Hiệu lực đến", "valid_to"),
            col("Ranh giới (GeoJSON)", "geometry"),
            col("Số hợp đồng liên kết", "contract_no"),
            col("Bên liên kết", "counterparty"),
            col("Loại bên liên kết", "counterparty_kind"),
            col("Số hộ tham gia", "households"),
            col("Ngày bắt đầu hợp đồng", "start_on"),
            col("Ngày kết thúc hợp đồng", "end_on"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::{Cell, label};
        let l = self.linkage.as_ref();
        vec![
            Cell::from(self.id.to_string()),
            self.subject_id.to_string().into(),
            self.name.clone().into(),
            // The code names the unit exactly (names repeat across provinces and reforms).
            self.commune.as_ref().map(|c| c.code.clone()).into(),
            self.commune
                .as_ref()
                .map_or_else(|| self.commune_id.to_string(), |c| c.name.clone())
                .into(),
            self.material.clone().into(),
            self.variety.clone().into(),
            Cell::Decimal(self.area_ha.clone()),
            label(lang, "tenure", self.tenure.code()).into(),
            self.growing_area_code.clone().into(),
            self.valid_from.into(),
            self.valid_to.into(),
            self.geometry.as_ref().map(|g| g.to_string()).into(),
            l.map(|l| l.contract_no.clone()).into(),
            l.map(|l| l.counterparty.clone()).into(),
            l.map(|l| label(lang, "counterparty", l.counterparty_kind.code()))
                .into(),
            l.and_then(|l| l.households).map(i64::from).into(),
            l.map(|l| l.start_on).into(),
            l.map(|l| l.end_on).into(),
        ]
    }
}

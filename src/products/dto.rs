//! Product and recognition shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{product, recognition};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::{ProductGroup, RecognitionKind};
use crate::error::AppResult;
use crate::http::nullable;
use crate::validate::{self as v, Score};

/// `POST /api/v1/subjects/{id}/products`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    /// One of the six groups of Decision 148/QĐ-TTg.
    pub group: ProductGroup,
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub subgroup: Option<String>,
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub description: Option<String>,
}

/// `PATCH /api/v1/products/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub group: Option<ProductGroup>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub subgroup: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub description: Option<Option<String>>,
}

/// A product.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ProductView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub name: String,
    pub group: ProductGroup,
    pub subgroup: Option<String>,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProductView {
    /// From a row.
    pub fn build(m: product::Model) -> AppResult<Self> {
        Ok(ProductView {
            id: m.id,
            subject_id: m.subject_id,
            name: m.name,
            group: m.product_group,
            subgroup: m.subgroup,
            description: m.description,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// `POST /api/v1/products/{id}/recognitions`: an OCOP star rating decision.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "recognition_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct CreateRecognition {
    /// 3, 4 or 5 stars.
    #[validate(range(min = 3, max = 5, message = "must be 3, 4 or 5"))]
    #[schema(minimum = 3, maximum = 5)]
    pub stars: i16,
    /// "Potential 5★" (only for 4★ products).
    #[serde(default)]
    pub potential_five_star: bool,
    /// Score 0–100 as a decimal string (`"87.5"`).
    #[schema(schema_with = crate::schema::percent_or_null)]
    pub score: Option<Score>,
    #[validate(custom(function = "v::short_code"))]
    #[schema(schema_with = crate::schema::code)]
    pub decision_no: String,
    /// Decision date: not before 2018, not in the future.
    #[validate(custom(function = "v::decision_date"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub decision_date: NaiveDate,
    /// Issuing authority (UBND tỉnh Quảng Nam, …).
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub authority: String,
    #[validate(custom(function = "v::short_code"))]
    #[schema(schema_with = crate::schema::code_or_null)]
    pub batch: Option<String>,
    pub kind: RecognitionKind,
    /// Expiry (first day no longer active); default decision date + 36 months.
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub valid_until: Option<NaiveDate>,
}

fn recognition_rules(r: &CreateRecognition) -> Result<(), ValidationError> {
    if r.potential_five_star && r.stars != 4 {
        return Err(v::err(
            "potential_five_star",
            "only a 4-star product can be rated potential 5-star",
        ));
    }
    if let Some(until) = r.valid_until
        && until <= r.decision_date
    {
        return Err(v::err("valid_until", "must be after decision_date"));
    }
    Ok(())
}

/// `POST /api/v1/recognitions/{id}/revoke`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRecognition {
    /// The day the revocation takes effect (the recognition is inactive from that day).
    #[validate(custom(function = "v::not_future"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub revoked_on: NaiveDate,
    /// Number of the revocation decision.
    #[validate(custom(function = "v::short_code"))]
    #[schema(schema_with = crate::schema::code)]
    pub decision_no: String,
    #[validate(custom(function = "v::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// Whether a recognition is active today.
#[derive(Debug, Serialize, ToSchema, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RecognitionStatus {
    Active,
    Expired,
    Revoked,
}

/// A recognition.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct RecognitionView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub subject_id: Uuid,
    pub stars: i16,
    pub potential_five_star: bool,
    /// Decimal string.
    pub score: Option<String>,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    pub authority: String,
    pub batch: Option<String>,
    pub kind: RecognitionKind,
    /// Expiry: active on days before this date.
    pub valid_until: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub revocation_decision_no: Option<String>,
    pub revocation_reason: Option<String>,
    /// Status today (derived).
    pub status: RecognitionStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RecognitionView {
    /// From a row; `today` fixes the derived status.
    pub fn build(m: recognition::Model, today: NaiveDate) -> AppResult<Self> {
        let status = if m.revoked_on.is_some_and(|r| r <= today) {
            RecognitionStatus::Revoked
        } else if today >= m.valid_until {
            RecognitionStatus::Expired
        } else {
            RecognitionStatus::Active
        };
        Ok(RecognitionView {
            id: m.id,
            product_id: m.product_id,
            subject_id: m.subject_id,
            stars: m.stars,
            potential_five_star: m.potential_five_star,
            score: m
                .score_centi
                .map(|c| Decimal::new(i64::from(c), 2).normalize().to_string()),
            decision_no: m.decision_no,
            decision_date: m.decision_date,
            authority: m.authority,
            batch: m.batch,
            kind: m.kind,
            valid_until: m.valid_until,
            revoked_on: m.revoked_on,
            revocation_decision_no: m.revocation_decision_no,
            revocation_reason: m.revocation_reason,
            status,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl crate::export::Tabular for ProductView {
    const FILE: &'static str = "san-pham";
    const TITLE: &'static str = "Sản phẩm";

    /// Headed as the list of products imports them (a re-import changes nothing).
    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã sản phẩm", "product_id"),
            col("Mã chủ thể", "subject_id"),
            col("Tên sản phẩm", "product_name"),
            col("Nhóm sản phẩm", "group"),
            col("Phân nhóm", "subgroup"),
            col("Mô tả", "description"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        vec![
            Cell::from(self.id.to_string()),
            self.subject_id.to_string().into(),
            self.name.clone().into(),
            crate::export::label(lang, "product-group", self.group.code()).into(),
            self.subgroup.clone().into(),
            self.description.clone().into(),
        ]
    }
}

/// A recognition with its product's name: a row of the list of recognised products.
pub struct RecognitionRow {
    pub product_name: String,
    pub recognition: RecognitionView,
}

impl crate::export::Tabular for RecognitionRow {
    const FILE: &'static str = "cong-nhan";
    const TITLE: &'static str = "Công nhận OCOP";

    /// Headed as the list of recognised products imports them (a re-import changes nothing).
    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã công nhận", "recognition_id"),
            col("Mã chủ thể", "subject_id"),
            col("Tên sản phẩm", "product_name"),
            col("Hạng sao", "stars"),
            col("Tiềm năng 5 sao", "potential_five_star"),
            col("Điểm", "score"),
            col("Số quyết định", "decision_no"),
            col("Ngày quyết định", "decision_date"),
            col("Cơ quan công nhận", "authority"),
            col("Loại công nhận", "recognition_kind"),
            // The last day it is valid, as the pages and the printed label say it (the API's
            // `valid_until` is the first day it no longer is); the import does not read it.
            col("Hiệu lực đến", "valid_until"),
            col("Trạng thái", "status"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        let r = &self.recognition;
        let status: &'static str = r.status.into();
        vec![
            Cell::from(r.id.to_string()),
            r.subject_id.to_string().into(),
            self.product_name.clone().into(),
            Cell::Int(i64::from(r.stars)),
            Cell::Bool(r.potential_five_star),
            r.score.clone().map_or(Cell::Empty, Cell::Decimal),
            r.decision_no.clone().into(),
            r.decision_date.into(),
            r.authority.clone().into(),
            crate::export::label(lang, "recognition-kind", r.kind.code()).into(),
            r.valid_until.pred_opt().unwrap_or(r.valid_until).into(),
            crate::export::label(lang, "recognition-status", status).into(),
        ]
    }
}

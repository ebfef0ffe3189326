//! Certification shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{certification, certification_scheme};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::clock::months_between;
use crate::domain::{CertStatus, SchemeCategory};
use crate::error::AppResult;
use crate::http::nullable;
use crate::lifecycle::{StatusEventView, VerifiedVersion};
use crate::validate as v;

/// `POST /api/v1/subjects/{id}/certifications` (the certification starts `submitted`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "create_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct CreateCertification {
    /// A scheme code of the catalogue (`vietgap`, `organic`, …).
    #[validate(length(min = 1, max = 32, message = "must be a scheme code"))]
    pub scheme: String,
    #[validate(custom(function = "v::short_code"))]
    #[schema(schema_with = crate::schema::code)]
    pub certificate_no: String,
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub issuer: String,
    #[validate(custom(function = "v::not_future"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub issued_on: NaiveDate,
    /// Expiry: the certificate is valid on days before it.
    #[serde(deserialize_with = "crate::validate::date")]
    pub expires_on: NaiveDate,
    /// Where the certificate document can be read.
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub evidence_url: Option<String>,
    /// SHA-256 of that document, so a later change of the file shows.
    #[validate(custom(function = "v::sha256"))]
    pub evidence_sha256: Option<String>,
    /// An uploaded document (`POST /api/v1/documents`) of the same subject that evidences it.
    pub evidence_document_id: Option<Uuid>,
    /// Scope: one of the subject's own products.
    pub product_id: Option<Uuid>,
    /// Scope: one of the subject's own raw-material areas.
    pub area_id: Option<Uuid>,
    /// The day the department received the dossier, when it enters one received earlier
    /// (administrators and auditors only; not in the future). Without it, today: no decision
    /// can be dated before the submission it decides on (docs/domain.md §7).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    #[validate(custom(function = "v::not_future"))]
    pub submitted_on: Option<NaiveDate>,
}

fn create_rules(c: &CreateCertification) -> Result<(), ValidationError> {
    if c.expires_on <= c.issued_on {
        return Err(v::err("expires_on", "must be after issued_on"));
    }
    if c.evidence_document_id.is_some() && (c.evidence_url.is_some() || c.evidence_sha256.is_some())
    {
        return Err(v::err(
            "evidence_document_id",
            "give either an uploaded document or evidence_url with evidence_sha256, not both",
        ));
    }
    if c.evidence_url.is_some() != c.evidence_sha256.is_some() {
        return Err(v::err(
            "evidence_sha256",
            "evidence_url and evidence_sha256 go together: give both or neither",
        ));
    }
    Ok(())
}

/// `PATCH /api/v1/certifications/{id}`. When the owner changes the scheme, number, dates,
/// scope or evidence of a certification that is not `submitted`, it goes back to `submitted`.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateCertification {
    #[validate(length(min = 1, max = 32, message = "must be a scheme code"))]
    #[schema(min_length = 1, max_length = 32)]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub scheme: Option<String>,
    #[validate(custom(function = "v::short_code"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::code)]
    pub certificate_no: Option<String>,
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub issuer: Option<String>,
    #[validate(custom(function = "v::not_future"))]
    #[serde(default, deserialize_with = "crate::validate::present_date")]
    #[schema(nullable = false)]
    pub issued_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::validate::present_date")]
    #[schema(nullable = false)]
    pub expires_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub evidence_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::sha256"))]
    #[schema(value_type = Option<String>)]
    pub evidence_sha256: Option<Option<String>>,
    /// An uploaded document of the same subject (`null` removes it).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub evidence_document_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub product_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub area_id: Option<Option<Uuid>>,
}

pub use crate::lifecycle::TransitionInput;

/// A certification.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct CertificationView {
    pub id: Uuid,
    pub subject_id: Uuid,
    /// Scheme code.
    pub scheme: String,
    pub scheme_name: String,
    pub category: SchemeCategory,
    pub certificate_no: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    /// Expiry: valid on days before it.
    pub expires_on: NaiveDate,
    pub evidence_url: Option<String>,
    pub evidence_sha256: Option<String>,
    /// The uploaded document that evidences it (`GET /api/v1/documents/{id}`).
    pub evidence_document_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    /// Current status.
    pub status: CertStatus,
    /// Whether the certificate has expired today (derived from `expires_on`).
    pub expired: bool,
    /// Every status move, oldest first.
    pub history: Vec<StatusEventView>,
    /// Doubts that do not block the record (a VietGAP certificate claiming more than 27
    /// months, …).
    pub warnings: Vec<String>,
    /// What an auditor vouched for: the key fields as the latest verification saw them
    /// (`null` when never verified). The indicators read these, not the live values.
    pub verified_version: Option<VerifiedVersion>,
    /// The key fields whose live value differs from `verified_version` (waiting for an
    /// auditor).
    pub pending_changes: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key fields of a certification (docs/domain.md §7): a change by the owner needs a new
/// verification.
pub const KEY_FIELDS: [&str; 10] = [
    "scheme",
    "certificate_no",
    "issuer",
    "issued_on",
    "expires_on",
    "product_id",
    "area_id",
    // The evidence is what the auditor checked: another scan is another claim.
    "evidence_url",
    "evidence_sha256",
    "evidence_document_id",
];

/// Doubts about a certificate's dates under its scheme.
pub fn warnings(
    scheme: &certification_scheme::Model,
    issued_on: NaiveDate,
    expires_on: NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(max) = scheme.max_validity_months {
        let months = months_between(issued_on, expires_on);
        if months > i64::from(max) {
            // A fixed shape (the numbers aside), so that the pages say it in the reader's
            // language.
            out.push(format!(
                "the scheme allows at most {max} months of validity; this one claims {months} months"
            ));
        }
    }
    out
}

impl CertificationView {
    /// From a row, its scheme and its history; `today` fixes `expired`.
    pub fn build(
        m: certification::Model,
        scheme: &certification_scheme::Model,
        history: Vec<StatusEventView>,
        today: NaiveDate,
    ) -> AppResult<Self> {
        Ok(CertificationView {
            id: m.id,
            subject_id: m.subject_id,
            scheme: scheme.code.clone(),
            scheme_name: scheme.name.clone(),
            category: scheme.category,
            warnings: warnings(scheme, m.issued_on, m.expires_on),
            certificate_no: m.certificate_no,
            issuer: m.issuer,
            issued_on: m.issued_on,
            expires_on: m.expires_on,
            evidence_url: m.evidence_url,
            evidence_sha256: m.evidence_sha256,
            evidence_document_id: m.evidence_document_id,
            product_id: m.product_id,
            area_id: m.area_id,
            status: m.status,
            expired: today >= m.expires_on,
            history,
            verified_version: None,
            pending_changes: Vec::new(),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl crate::export::Tabular for CertificationView {
    const FILE: &'static str = "chung-nhan";
    const TITLE: &'static str = "Chứng nhận";

    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã chứng nhận", "certification_id"),
            col("Mã chủ thể", "subject_id"),
            col("Loại chứng nhận", "scheme"),
            col("Tên loại chứng nhận", "scheme_name"),
            col("Nhóm", "category"),
            col("Số giấy chứng nhận", "certificate_no"),
            col("Tổ chức cấp", "issuer"),
            col("Ngày cấp", "issued_on"),
            col("Ngày hết hạn", "expires_on"),
            col("Trạng thái", "status"),
            col("Đã hết hạn", "expired"),
            col("Minh chứng", "evidence_url"),
            col("SHA-256 minh chứng", "evidence_sha256"),
            col("Sản phẩm được chứng nhận", "product_id"),
            col("Vùng được chứng nhận", "area_id"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        let coded = |prefix: &str, code: &str| crate::export::label(lang, prefix, code);
        vec![
            Cell::from(self.id.to_string()),
            self.subject_id.to_string().into(),
            self.scheme.clone().into(),
            self.scheme_name.clone().into(),
            coded("category", self.category.code()).into(),
            self.certificate_no.clone().into(),
            self.issuer.clone().into(),
            self.issued_on.into(),
            self.expires_on.into(),
            coded("cert-status", self.status.code()).into(),
            Cell::Bool(self.expired),
            self.evidence_url.clone().into(),
            self.evidence_sha256.clone().into(),
            self.product_id.map(|p| p.to_string()).into(),
            self.area_id.map(|a| a.to_string()).into(),
        ]
    }
}

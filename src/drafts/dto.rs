//! Draft shapes.

use chrono::{DateTime, Utc};
use entity::draft;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::error::{AppError, AppResult};

pub use entity::enums::DraftEntity;

/// Open (still missing something), completed (the record exists) or discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    Open,
    Completed,
    /// Closed without a record, with a reason (a row that was never an OCOP subject, a
    /// duplicate): kept, so that counts as known before it stay as they were.
    Discarded,
}

/// `POST /api/v1/drafts`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDraft {
    pub entity: DraftEntity,
    /// The product a recognition rates, or the subject a product belongs to (required for
    /// both).
    pub parent_id: Option<Uuid>,
    /// Where a subject without a commune is known to be: its district (or province).
    pub unit_id: Option<Uuid>,
    /// The record's fields in the shape of its create request, the missing ones left out.
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// `PATCH /api/v1/drafts/{id}`: fields to add or correct; once nothing is missing, the record is
/// registered.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteDraft {
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// `POST /api/v1/drafts/{id}/discard`: an open draft closed without a record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscardDraft {
    /// Why (kept in the audit trail).
    #[validate(custom(function = "crate::validate::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// `GET /api/v1/drafts`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftQuery {
    /// Drafts placed in this unit or below it.
    pub unit_id: Option<Uuid>,
    pub entity: Option<DraftEntity>,
    /// `open` (default), `completed` or `discarded`.
    pub status: Option<DraftStatus>,
}

/// A draft as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftView {
    pub id: Uuid,
    pub entity: DraftEntity,
    pub parent_id: Option<Uuid>,
    /// The most precise unit known.
    pub unit_id: Uuid,
    #[schema(value_type = Object)]
    pub data: Value,
    /// Fields still missing ("Bản nháp — còn thiếu: …").
    pub missing: Vec<String>,
    pub status: DraftStatus,
    /// The record it became.
    pub record_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// The imported rows it stands for, as the list wrote them (`row`, `cells`).
    #[schema(value_type = Option<Object>)]
    pub source: Option<Value>,
}

impl DraftView {
    pub fn build(m: draft::Model) -> AppResult<Self> {
        let entity = m.entity;
        let missing = serde_json::from_value(m.missing.clone())
            .map_err(|_| AppError::Internal(format!("draft {} has a bad missing list", m.id)))?;
        Ok(DraftView {
            id: m.id,
            entity,
            parent_id: m.parent_id,
            unit_id: m.unit_id,
            data: m.data,
            missing,
            status: match (m.completed_at, m.record_id) {
                (None, _) => DraftStatus::Open,
                (Some(_), Some(_)) => DraftStatus::Completed,
                (Some(_), None) => DraftStatus::Discarded,
            },
            record_id: m.record_id,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            completed_at: m.completed_at,
            version: m.version,
            source: m.source,
        })
    }
}

impl crate::export::Tabular for DraftView {
    const FILE: &'static str = "ban-nhap";
    const TITLE: &'static str = "Bản nháp";

    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã bản nháp", "id"),
            col("Loại", "entity"),
            col("Tên", "name"),
            col("Mã đơn vị hành chính", "unit_id"),
            col("Còn thiếu", "missing"),
            col("Trạng thái", "status"),
            col("Bản ghi đã tạo", "record_id"),
            col("Người tạo", "created_by"),
            col("Ngày tạo", "created_on"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        let vi = lang == crate::i18n::Lang::Vi;
        let entity = self.entity.code();
        let status = match self.status {
            DraftStatus::Open => "open",
            DraftStatus::Completed => "completed",
            DraftStatus::Discarded => "discarded",
        };
        vec![
            Cell::from(self.id.to_string()),
            if vi {
                lang.t_or(&format!("entity-{entity}"), entity)
            } else {
                entity.to_owned()
            }
            .into(),
            self.data
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .into(),
            self.unit_id.to_string().into(),
            self.missing.join(", ").into(),
            if vi {
                lang.t(&format!("draft-{status}"))
            } else {
                status.to_owned()
            }
            .into(),
            self.record_id.map(|r| r.to_string()).into(),
            self.created_by.clone().into(),
            self.created_at.date_naive().into(),
        ]
    }
}

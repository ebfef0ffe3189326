//! Document shapes.

use chrono::{DateTime, Utc};
use entity::document;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An uploaded document (`201` of `POST /api/v1/documents`).
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct DocumentView {
    pub id: Uuid,
    pub subject_id: Uuid,
    /// Lowercase hex SHA-256 of the content, computed by the registry.
    pub sha256: String,
    /// From the content: `application/pdf`, `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    pub file_name: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<document::Model> for DocumentView {
    fn from(m: document::Model) -> Self {
        DocumentView {
            id: m.id,
            subject_id: m.subject_id,
            sha256: m.sha256,
            content_type: m.content_type,
            size: m.size,
            file_name: m.file_name,
            uploaded_by: m.uploaded_by,
            created_at: m.created_at,
        }
    }
}

/// The multipart form of an upload, as documented (the handler reads it with Rocket's form
/// parser; this shape is for the OpenAPI document).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DocumentUploadForm {
    /// The file: PDF, JPEG or PNG, at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Whose document it is (auditors and administrators; an owner's is its own subject).
    pub subject_id: Option<Uuid>,
}

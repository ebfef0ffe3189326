//! A document a subject's owner (or an auditor) uploaded: a certificate scan, a linkage
//! contract, a photo.

use sea_orm::entity::prelude::*;

/// An uploaded file. The bytes live in the object store under `storage_key`; the row holds
/// what the registry checked of them.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose document it is: who may read it follows from this subject.
    pub subject_id: Uuid,
    /// Lowercase hex SHA-256 of the content, computed by the registry.
    pub sha256: String,
    /// Sniffed from the content (`application/pdf`, `image/jpeg`, `image/png`).
    pub content_type: String,
    pub size: i64,
    /// The name the uploader gave it, cleaned.
    pub file_name: String,
    pub storage_key: String,
    /// The actor who uploaded it, as the audit trail names them.
    pub uploaded_by: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

//! A certification held by a subject, with a lifecycle moved by auditors.

use sea_orm::entity::prelude::*;

/// A certification; valid on days `issued_on <= d < expires_on`. `status` is the current
/// status; the status on any day comes from `status_event`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub scheme_id: Uuid,
    pub certificate_no: String,
    pub issuer: String,
    pub issued_on: Date,
    pub expires_on: Date,
    pub evidence_url: Option<String>,
    pub evidence_sha256: Option<String>,
    /// The uploaded document that evidences it.
    pub evidence_document_id: Option<Uuid>,
    pub product_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub status: crate::enums::CertStatus,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

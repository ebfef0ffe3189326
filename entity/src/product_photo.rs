//! A photo of a product, uploaded by its producer (or by staff) for the public page. It shows
//! publicly once its review window has passed unless an auditor rejected it first.

use sea_orm::entity::prelude::*;

/// One uploaded photo. Its bytes are the registry's own re-encodings (JPEG, no metadata) in the
/// document store under `photos/<id>/<width>.jpg`; the upload itself is not kept.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_photo")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    /// The product's subject, copied so access and the queue of a unit need no join.
    pub subject_id: Uuid,
    pub status: crate::enums::PhotoStatus,
    /// From when a photo still waiting shows publicly (the end of its review window).
    pub public_from: DateTimeUtc,
    /// The size of the largest stored rendition, in pixels.
    pub width: i32,
    pub height: i32,
    /// The actor who uploaded it, as the audit trail names them.
    pub uploaded_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was rejected, shown to its producer.
    pub reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

//! A problem reported by the public about a rated product (phản ánh): a fake OCOP label, an
//! expired rating still printed, a quality problem. The department answers it, links it to what
//! it did (a revocation, a suspension) or closes it with a reason.

use sea_orm::entity::prelude::*;

/// One report, as its sender wrote it and as the department handled it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "problem_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    /// The product's subject, copied so the queue of a unit needs no join.
    pub subject_id: Uuid,
    pub kind: crate::enums::ReportKind,
    pub text: String,
    /// How to reach the sender, given by choice; shown to staff only.
    pub contact: Option<String>,
    /// A photo came with it (`reports/<id>.jpg` in the document store, re-encoded without
    /// metadata); staff only.
    pub has_photo: bool,
    /// A digest of the sender's address (never the address): the per-address limit counts it.
    pub sender_key: String,
    /// The nonce of the form's token: unique, so one form files one report.
    pub form_nonce: Option<String>,
    pub status: crate::enums::ReportStatus,
    /// The department's answer; public only when `answer_published`.
    pub answer: Option<String>,
    pub answer_published: bool,
    pub answered_on: Option<Date>,
    /// What the department did about it: a recognition it revoked, a certification it
    /// suspended.
    pub linked_recognition_id: Option<Uuid>,
    pub linked_certification_id: Option<Uuid>,
    pub close_reason: Option<String>,
    pub closed_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

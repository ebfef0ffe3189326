//! Notice shapes.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

crate::domain::code_enum!(
    /// What a notice is about.
    NoticeKind {
        /// An OCOP recognition ends within 90 days.
        RecognitionExpiring,
        /// A certificate expires within 90 days.
        CertificationExpiring,
        /// The auditor rejected a certification.
        CertificationRejected,
        /// The auditor suspended a certification.
        CertificationSuspended,
        /// The department approved an identity change request (in the last 90 days).
        ChangeRequestApproved,
        /// The department rejected an identity change request (in the last 90 days).
        ChangeRequestRejected,
        /// The auditor's verification of a channel lapses within 90 days (or has lapsed).
        ChannelVerificationStale,
        /// The marketplace has shown no active listing of a connected channel for longer than
        /// the indicator's freshness window: the channel no longer counts by its listings.
        ChannelListingsStale,
        /// An auditor rejected a product photo (in the last 90 days).
        PhotoRejected,
        /// The department published its answer to a report about a product (in the last 90
        /// days).
        ReportAnswered,
    }
);

/// One notice.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// `recognition`, `certification`, `change_request`, `channel`, `product_photo` or
    /// `problem_report`.
    pub entity: &'static str,
    pub entity_id: Uuid,
    /// The day it is about: the expiry, or the decision's day.
    pub on: NaiveDate,
    /// The notice in the reader's language.
    pub message: String,
    /// The auditor's or the department's reason, as written.
    pub reason: Option<String>,
}

/// `GET /api/v1/notices`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeList {
    /// Soonest first.
    pub items: Vec<Notice>,
}

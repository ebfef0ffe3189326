//! What a report form sends, what staff see of a report, what the public sees of an answer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::domain::{ReportKind, ReportStatus};

/// `POST /api/v1/public/products/{id}/reports`: a problem reported by anyone.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub kind: ReportKind,
    /// What is wrong, where and when it was bought (up to 2,000 characters).
    #[validate(custom(function = "report_text"))]
    pub text: String,
    /// How the department may reach the sender (a phone or an email), given by choice and shown
    /// to staff only; empty is none.
    #[validate(custom(function = "contact_rule"))]
    pub contact: Option<String>,
    /// The token of the form (`GET …/report-form`), sent back at least a few seconds later.
    pub form_token: String,
    /// Left empty by people: the form hides it; a script filling every field fills it.
    #[serde(default)]
    pub website: Option<String>,
}

/// [`NewReport`] as a multipart form, with an optional photo.
#[derive(rocket::form::FromForm)]
pub struct ReportUpload<'r> {
    pub kind: &'r str,
    pub text: &'r str,
    pub contact: Option<&'r str>,
    pub form_token: &'r str,
    pub website: Option<&'r str>,
    pub photo: crate::http::upload::FileField<'r>,
}

/// The form as documented.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReportUploadForm {
    kind: ReportKind,
    text: String,
    contact: Option<String>,
    form_token: String,
    website: Option<String>,
    /// A JPEG or PNG of the problem (optional).
    #[schema(value_type = Option<String>, format = Binary)]
    photo: Option<Vec<u8>>,
}

fn at_most(s: &str, n: usize) -> Result<(), validator::ValidationError> {
    if s.chars().count() > n {
        return Err(validator::ValidationError::new("length")
            .with_message(format!("must be at most {n} characters").into()));
    }
    Ok(())
}

fn report_text(s: &str) -> Result<(), validator::ValidationError> {
    // A form's body is not read by the JSON reader that refuses control characters everywhere.
    if crate::validate::has_control(s, true) {
        return Err(crate::validate::err(
            "text",
            "must not contain control characters",
        ));
    }
    crate::validate::reason(s)?;
    at_most(s, 2000)
}

fn contact_rule(s: &str) -> Result<(), validator::ValidationError> {
    if s.trim().is_empty() {
        return Ok(());
    }
    crate::validate::name(s)?;
    at_most(s.trim(), 200)
}

/// A report received.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportReceipt {
    pub id: Uuid,
    pub status: ReportStatus,
}

/// The token a report form carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportForm {
    pub form_token: String,
    /// The earliest the form may be sent back (seconds after it was handed out).
    pub min_seconds: i64,
}

/// A report as staff see it.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct ReportView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_name: String,
    pub subject_id: Uuid,
    pub kind: ReportKind,
    pub text: String,
    pub contact: Option<String>,
    /// A photo came with it: `GET /api/v1/problem-reports/{id}/photo`.
    pub has_photo: bool,
    pub status: ReportStatus,
    pub answer: Option<String>,
    pub answer_published: bool,
    pub answered_on: Option<NaiveDate>,
    pub linked_recognition_id: Option<Uuid>,
    pub linked_certification_id: Option<Uuid>,
    pub close_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Filters of the reports list.
#[derive(Debug, Deserialize, Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub status: Option<ReportStatus>,
    /// Only reports not yet closed (open or answered).
    pub open: Option<bool>,
    pub product_id: Option<Uuid>,
}

/// `POST /api/v1/reports/{id}/answer`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerReport {
    #[validate(custom(function = "crate::validate::reason"))]
    pub answer: String,
    /// Shown on the product's public page (absent: as the previous answer was).
    pub publish: Option<bool>,
    /// A recognition of the product the department revoked over it.
    pub linked_recognition_id: Option<Uuid>,
    /// A certification of the producer the department suspended over it.
    pub linked_certification_id: Option<Uuid>,
}

/// `POST /api/v1/reports/{id}/close`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReport {
    #[validate(custom(function = "crate::validate::reason"))]
    pub reason: String,
    pub linked_recognition_id: Option<Uuid>,
    pub linked_certification_id: Option<Uuid>,
}

/// An answer the department published, as the product's public page shows it.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct PublishedAnswer {
    pub kind: ReportKind,
    pub answer: String,
    pub answered_on: Option<NaiveDate>,
}

//! Change-request shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::change_request;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::LegalForm;
use crate::error::AppResult;
use crate::http::nullable;
use crate::validate::{self as v, TaxId};

pub use entity::enums::RequestStatus;

crate::domain::code_enum!(
    /// The department's answer.
    Decision { Approve, Reject }
);

/// The identity fields an owner asks to change (at least one).
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct IdentityChanges {
    #[serde(
        default,
        deserialize_with = "crate::http::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::http::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub legal_form: Option<LegalForm>,
    /// `null` removes it (only cooperative groups and production facilities may have none).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(schema_with = crate::schema::tax_code_or_null)]
    pub tax_code: Option<Option<TaxId>>,
    #[serde(
        default,
        deserialize_with = "crate::http::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub commune_id: Option<Uuid>,
}

fn at_least_one(r: &CreateChangeRequest) -> Result<(), ValidationError> {
    let c = &r.changes;
    if c.name.is_none() && c.legal_form.is_none() && c.tax_code.is_none() && c.commune_id.is_none()
    {
        return Err(v::err(
            "changes",
            "must name at least one of name, legal_form, tax_code, commune_id",
        ));
    }
    Ok(())
}

/// `POST /api/v1/subjects/{id}/change-requests`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "at_least_one", skip_on_field_errors = false))]
pub struct CreateChangeRequest {
    #[validate(nested)]
    pub changes: IdentityChanges,
    /// The day the change takes effect (not in the future).
    #[serde(deserialize_with = "crate::validate::date")]
    #[validate(custom(function = "v::not_future"))]
    pub effective_on: NaiveDate,
    /// Why (a decision, a new registration certificate, a move).
    #[validate(custom(function = "v::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// `POST /api/v1/change-requests/{id}/decision`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideChangeRequest {
    pub decision: Decision,
    #[validate(custom(function = "v::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
}

/// Filters of `GET /api/v1/change-requests`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ChangeRequestQuery {
    pub status: Option<RequestStatus>,
    pub subject_id: Option<Uuid>,
}

/// A change request.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ChangeRequestView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub changes: serde_json::Value,
    pub effective_on: NaiveDate,
    pub reason: String,
    pub status: RequestStatus,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub version: i32,
}

impl ChangeRequestView {
    /// From a row.
    pub fn build(m: change_request::Model) -> AppResult<Self> {
        Ok(ChangeRequestView {
            id: m.id,
            subject_id: m.subject_id,
            changes: serde_json::from_str(&m.changes).unwrap_or(serde_json::Value::Null),
            effective_on: m.effective_on,
            reason: m.reason,
            status: m.status,
            requested_by: m.requested_by,
            requested_at: m.requested_at,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_reason: m.decision_reason,
            version: m.version,
        })
    }
}

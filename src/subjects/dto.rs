//! Subject request and response shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::subject;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::LegalForm;
use crate::error::AppResult;
use crate::http::nullable;
use crate::units::dto::UnitRef;
use crate::validate::{self as v, Phone, TaxId};

/// `POST /api/v1/subjects`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubject {
    /// Legal name.
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    pub legal_form: LegalForm,
    /// Tax code (10 digits, or 10-3 for a branch) or, for household businesses, the owner's
    /// 12-digit personal id. Optional only for cooperative groups and production facilities.
    #[schema(schema_with = crate::schema::tax_code_or_null)]
    pub tax_code: Option<TaxId>,
    /// The commune unit version where the subject is registered.
    pub commune_id: Uuid,
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub address: Option<String>,
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub representative: Option<String>,
    /// Vietnamese phone number (`0905 123 456`, `0235 3851 234`, `+84 …`).
    #[schema(schema_with = crate::schema::phone_or_null)]
    pub phone: Option<Phone>,
    #[validate(email(message = "must be an email address such as name@example.vn"))]
    pub email: Option<String>,
    /// Led by a woman (an indicator of Decision 919).
    #[serde(default)]
    pub woman_led: bool,
    #[validate(custom(function = "v::not_future"))]
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub founded_on: Option<NaiveDate>,
}

/// `PATCH /api/v1/subjects/{id}`: absent fields stay, `null` clears an optional field.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubject {
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub legal_form: Option<LegalForm>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::tax_code_or_null)]
    pub tax_code: Option<Option<TaxId>>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub commune_id: Option<Uuid>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub representative: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = crate::schema::phone_or_null)]
    pub phone: Option<Option<Phone>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(email(message = "must be an email address such as name@example.vn"))]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub woman_led: Option<bool>,
    #[serde(default, deserialize_with = "crate::validate::nullable_date")]
    #[validate(custom(function = "v::not_future"))]
    #[schema(value_type = Option<NaiveDate>)]
    pub founded_on: Option<Option<NaiveDate>>,
    /// The day a change of name, legal form, tax code or commune takes effect (required for
    /// those: docs/domain.md §7–8; not in the future).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    #[validate(custom(function = "v::not_future"))]
    pub effective_on: Option<NaiveDate>,
}

/// Filters of `GET /api/v1/subjects`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct SubjectQuery {
    /// Subjects recorded anywhere in this unit's subtree, across the 2025 reforms.
    pub unit_id: Option<Uuid>,
    pub legal_form: Option<LegalForm>,
    /// Name or tax code, case- and accent-insensitive.
    #[validate(custom(function = "crate::validate::query_text"))]
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Only subjects with an OCOP recognition of this many stars in force today (3, 4 or 5).
    #[validate(range(min = 3, max = 5, message = "must be 3, 4 or 5"))]
    #[param(minimum = 3, maximum = 5)]
    pub stars: Option<i16>,
    /// `true`: the subjects counted in the programme's indicators today (an OCOP recognition
    /// in force); `false`: those not counted.
    pub counted: Option<bool>,
    /// `json` (default: one page), `csv` or `xlsx` (every matching subject).
    pub format: Option<crate::export::Format>,
    /// `vi` (default) or `en`: the language of a CSV or XLSX file.
    pub lang: Option<crate::i18n::Lang>,
}

/// A subject as the API shows it.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct SubjectView {
    pub id: Uuid,
    pub name: String,
    pub legal_form: LegalForm,
    pub tax_code: Option<String>,
    pub commune_id: Uuid,
    /// The recorded commune (a unit version).
    pub commune: Option<UnitRef>,
    pub address: Option<String>,
    pub representative: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub woman_led: bool,
    pub founded_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the subject was, and from when (one subject's own answer; not in lists): the
    /// commune of registration (`effective_on` null), then each relocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_history: Option<Vec<LocationView>>,
}

/// One entry of a subject's location history.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct LocationView {
    pub commune: Option<UnitRef>,
    pub commune_id: Uuid,
    /// The day it takes effect; `null` for the commune of registration.
    pub effective_on: Option<NaiveDate>,
    /// When the registry recorded it.
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
}

impl SubjectView {
    /// From a row and its commune.
    pub fn build(m: subject::Model, commune: Option<UnitRef>) -> AppResult<Self> {
        Ok(SubjectView {
            id: m.id,
            name: m.name,
            legal_form: m.legal_form,
            tax_code: m.tax_code,
            commune_id: m.commune_id,
            commune,
            address: m.address,
            representative: m.representative,
            phone: m.phone,
            email: m.email,
            woman_led: m.woman_led,
            founded_on: m.founded_on,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            location_history: None,
        })
    }
}

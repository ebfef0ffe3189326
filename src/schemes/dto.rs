//! Scheme shapes.

use chrono::{DateTime, Utc};
use entity::certification_scheme;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::SchemeCategory;
use crate::error::AppResult;
use crate::http::nullable;
use crate::validate as v;

/// Scheme codes: lowercase letters, digits and `_`, 1–32 characters.
pub fn scheme_code(s: &str) -> Result<(), ValidationError> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(v::err(
            "code",
            "must be 1-32 lowercase letters, digits or _ (such as vietgap)",
        ))
    }
}

/// `POST /api/v1/schemes`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScheme {
    #[validate(custom(function = "scheme_code"))]
    pub code: String,
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub name: String,
    pub category: SchemeCategory,
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub description: Option<String>,
    /// Longest validity (months) a certificate may claim before the registry warns.
    #[validate(range(min = 1, max = 600, message = "must be between 1 and 600"))]
    #[schema(minimum = 1, maximum = 600)]
    pub max_validity_months: Option<i32>,
}

/// `PATCH /api/v1/schemes/{id}` (the code never changes).
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateScheme {
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub category: Option<SchemeCategory>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1, max = 600, message = "must be between 1 and 600"))]
    #[schema(minimum = 1, maximum = 600)]
    #[schema(value_type = Option<i32>)]
    pub max_validity_months: Option<Option<i32>>,
}

/// A scheme of the catalogue.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct SchemeView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub category: SchemeCategory,
    pub description: Option<String>,
    pub max_validity_months: Option<i32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SchemeView {
    /// From a row.
    pub fn build(m: certification_scheme::Model) -> AppResult<Self> {
        Ok(SchemeView {
            id: m.id,
            code: m.code,
            name: m.name,
            category: m.category,
            description: m.description,
            max_validity_months: m.max_validity_months,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// The whole catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeList {
    pub items: Vec<SchemeView>,
}

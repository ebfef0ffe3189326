//! Token request and response shapes.

use chrono::{DateTime, Utc};
use entity::api_token;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::Role;
use crate::error::AppResult;
use crate::validate as v;

/// `POST /api/v1/tokens` and `ocop-registry token create`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "token_scope", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub role: Role,
    /// Required for auditors: the unit whose subtree the token reaches.
    pub unit_id: Option<Uuid>,
    /// Required for owners: the subject the token acts for.
    pub subject_id: Option<Uuid>,
    /// Required for channel tokens: the platform (`shopee`, `lazada`, `feed`, …).
    #[validate(custom(function = "v::platform"))]
    #[schema(schema_with = crate::schema::platform_code_or_null)]
    pub platform: Option<String>,
    /// A label saying whose token this is.
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name_or_null)]
    pub name: Option<String>,
}

/// Each role names what it is scoped to.
fn token_scope(t: &CreateToken) -> Result<(), ValidationError> {
    match t.role {
        Role::Channel if t.platform.is_none() => {
            Err(v::err("platform", "is required for a channel token"))
        }
        _ => v::scope(t.role, t.unit_id, t.subject_id),
    }
}

/// A token as listed (never its secret).
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    pub platform: Option<crate::domain::Platform>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenView {
    /// From a row.
    pub fn from_model(m: api_token::Model) -> AppResult<Self> {
        Ok(TokenView {
            id: m.id,
            name: m.name,
            role: m.role,
            unit_id: m.unit_id,
            subject_id: m.subject_id,
            platform: m.platform,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        })
    }
}

/// A new token: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// The bearer secret. Store it now: the registry keeps only its hash.
    pub secret: String,
}

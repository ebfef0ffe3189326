//! User shapes.

use chrono::{DateTime, Utc};
use entity::app_user;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::Role;
use crate::error::AppResult;
use crate::validate as v;

/// `POST /api/v1/users` and `ocop-registry user create`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "user_scope", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Lower-case letters, digits, `.`, `_`, `-` (3–64).
    #[validate(custom(function = "v::username"))]
    #[schema(pattern = "^[a-z0-9][a-z0-9._-]{2,63}$")]
    pub username: String,
    /// `admin`, `auditor` or `owner` (channels are scripts: they use tokens).
    pub role: Role,
    /// Required for auditors.
    pub unit_id: Option<Uuid>,
    /// Required for owners.
    pub subject_id: Option<Uuid>,
    /// The person's name as shown on pages.
    #[validate(custom(function = "v::name"))]
    #[schema(schema_with = crate::schema::name)]
    pub display_name: String,
}

fn user_scope(u: &CreateUser) -> Result<(), ValidationError> {
    if u.role == Role::Channel {
        return Err(v::err(
            "role",
            "must be admin, auditor or owner (a channel signs in with a token)",
        ));
    }
    v::scope(u.role, u.unit_id, u.subject_id)
}

/// `PATCH /api/v1/users/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(custom(function = "v::name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::name)]
    pub display_name: Option<String>,
    /// `true` disables the account (and signs it out everywhere); `false` enables it again.
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub disabled: Option<bool>,
}

/// A user as shown (never a password or its hash).
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<Uuid>,
    pub subject_id: Option<Uuid>,
    /// Still the one-time password: to be changed at the next sign-in.
    pub must_change_password: bool,
    pub disabled: bool,
    /// When the person last signed in on the pages (`null`: never).
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl UserView {
    pub fn build(m: app_user::Model) -> AppResult<Self> {
        Ok(UserView {
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            role: m.role,
            unit_id: m.unit_id,
            subject_id: m.subject_id,
            must_change_password: m.must_change_password,
            disabled: m.disabled_at.is_some(),
            last_sign_in_at: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        })
    }
}

/// Filters of `GET /api/v1/users`.
#[derive(Debug, Deserialize, Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the user name or of the person's name (case-insensitive).
    #[validate(custom(function = "crate::validate::query_text"))]
    pub q: Option<String>,
}

/// A new user and its one-time password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserView,
    /// Give it to the person; it must be changed at the first sign-in.
    pub one_time_password: String,
}

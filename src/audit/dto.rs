//! Audit trail shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::audit_log;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Filters of `GET /api/v1/audit`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entity name: `subject`, `product`, `recognition`, `api_token`, …
    #[validate(length(max = 32, message = "at most 32 characters"))]
    #[param(max_length = 32)]
    pub entity: Option<String>,
    /// The record's id.
    pub entity_id: Option<Uuid>,
    /// The acting token's id.
    pub actor: Option<Uuid>,
    /// Only entries on or after this day (YYYY-MM-DD, Vietnam time is not applied: UTC days).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub since: Option<NaiveDate>,
    /// Only entries about this subject and the records under it.
    pub subject_id: Option<Uuid>,
}

/// Who acted.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct AuditActor {
    /// Token id; `null` for the command line and the system.
    pub id: Option<Uuid>,
    pub name: String,
    pub role: crate::domain::Role,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct AuditView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub entity: String,
    pub entity_id: Uuid,
    pub subject_id: Option<Uuid>,
    /// `create`, `update`, `revoke`, `transition`, …
    pub action: String,
    /// The record before the write (`null` for a creation).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the write.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<audit_log::Model> for AuditView {
    fn from(m: audit_log::Model) -> Self {
        AuditView {
            id: m.id,
            at: m.at,
            actor: AuditActor {
                id: m.actor_id,
                name: m.actor_name,
                role: m.actor_role,
            },
            entity: m.entity,
            entity_id: m.entity_id,
            subject_id: m.subject_id,
            action: m.action,
            before: m.before,
            after: m.after,
        }
    }
}

impl crate::export::Tabular for AuditView {
    const FILE: &'static str = "nhat-ky";
    const TITLE: &'static str = "Nhật ký thay đổi";

    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Thời điểm (UTC)", "at"),
            col("Người thực hiện", "actor"),
            col("Vai trò", "role"),
            col("Đối tượng", "entity"),
            col("Mã bản ghi", "entity_id"),
            col("Mã chủ thể", "subject_id"),
            col("Thao tác", "action"),
            col("Trước", "before"),
            col("Sau", "after"),
        ]
    }

    fn cells(&self, _lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string());
        vec![
            Cell::from(self.at.to_rfc3339()),
            self.actor.name.clone().into(),
            self.actor.role.code().into(),
            self.entity.clone().into(),
            self.entity_id.to_string().into(),
            self.subject_id.map(|s| s.to_string()).into(),
            self.action.clone().into(),
            json(&self.before).into(),
            json(&self.after).into(),
        ]
    }
}

//! Audit trail handler.

use rocket::State;
use rocket::get;
use rocket::serde::json::Json;
use sea_orm::DatabaseConnection;

use super::dto::{AuditQuery, AuditView};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::QueryParams;
use crate::pagination::{PageParams, Paginated};

/// Read the audit trail (administrators: all; auditors: their subtree and the shared catalogues).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery, PageParams),
    responses((status = 200, description = "A page of audit entries, newest first", body = Paginated<AuditView>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor or administrator", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/audit")]
pub async fn list_audit(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<AuditQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<AuditView>>> {
    Ok(Json(
        service::list(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

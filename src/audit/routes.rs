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
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery, PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of audit entries, newest first, or all of them as a CSV or XLSX file (itself recorded)",
               content((Paginated<AuditView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor or administrator", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/audit")]
pub async fn list_audit(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    uri: &rocket::http::uri::Origin<'_>,
    query: QueryParams<AuditQuery>,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<AuditView>>, crate::export::Download>> {
    let (db, actor, q) = (db.inner(), &actor, &query.0);
    let list = |p| async move { service::list(db, actor, q, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            // The trail holds every change's before and after, people's data among them.
            service::record_export(db, actor, &sheet, &uri.to_string()).await?;
            crate::export::download(&sheet, format, lang)
        }
    }
}

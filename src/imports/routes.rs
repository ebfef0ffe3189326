//! Import handlers.

use rocket::data::{Data, ToByteUnit};
use rocket::serde::json::Json;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::dto::{ImportKind, ImportQuery, ImportSummary};
use crate::auth::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::export::{Download, Format};
use crate::http::QueryParams;
use crate::i18n::Lang;

/// Apply a department's list (CSV or XLSX, as the department keeps it), or check it with
/// `dry_run=true`: the summary is the one the real run gives, and nothing is written. A file is
/// applied whole or not at all (administrators; auditors within their unit).
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", params(ImportQuery),
    request_body(description = "The file: CSV (UTF-8, comma or semicolon) or an XLSX workbook, told apart by its content, so `application/octet-stream` serves for either",
        content((crate::export::FileBody = "text/csv"),
                (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (crate::export::FileBody = "application/octet-stream"))),
    responses((status = 200, description = "What the file did (or would do); `applied` says whether it was written. With `format=xlsx` or `csv`: the file's rows, each after its result, record, link and errors",
               content((ImportSummary = "application/json"),
                       (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 413, description = "Larger than 20 MiB", body = ErrorBody),
              (status = 422, description = "Not a spreadsheet, not UTF-8, a formula, no header row, past a size limit…", body = ErrorBody),
              (status = 503, description = "The process is reading other uploads: send it again in a minute", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/imports", data = "<file>")]
pub async fn import(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<ImportQuery>,
    lang: Lang,
    base: crate::http::BaseUrl,
    _slot: crate::limits::UploadSlot,
    file: Data<'_>,
) -> AppResult<rocket::Either<Json<ImportSummary>, Download>> {
    let limit = super::read::MAX_BYTES.bytes();
    let bytes =
        file.open(limit).into_bytes().await.map_err(|e| {
            AppError::bad_request(None, crate::msg!("bad-body-unreadable", detail = e))
        })?;
    if !bytes.is_complete() {
        return Err(AppError::PayloadTooLarge {
            limit: limit.as_u64(),
        });
    }
    let summary = super::run(db.inner(), &actor, &query.0, &bytes, lang, &|_, _| {}).await?;
    let format = query.0.format.unwrap_or(Format::Json);
    match super::result::sheet(&summary, lang, &base.0) {
        Some(sheet) => sheet
            .download(format, lang)?
            .map(rocket::Either::Right)
            .ok_or_else(|| AppError::Internal("no result file".to_owned())),
        None => Ok(rocket::Either::Left(Json(summary))),
    }
}

/// `GET /api/v1/imports/template`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    pub kind: ImportKind,
    /// `csv` or `xlsx` (default).
    pub format: Option<Format>,
    pub lang: Option<Lang>,
}

/// An empty list to fill in: the headings (Vietnamese unless `lang=en`), one example row and,
/// in the workbook, a sheet of the values each column accepts.
#[utoipa::path(get, path = "/api/v1/imports/template", tag = "imports", params(TemplateQuery),
    responses((status = 200, description = "The template: an XLSX workbook (default) or CSV",
               content((crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Unknown kind or format", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator or auditor", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/imports/template")]
pub async fn template(
    actor: Actor,
    query: QueryParams<TemplateQuery>,
    lang: Lang,
) -> AppResult<Download> {
    actor.require(&[crate::domain::Role::Admin, crate::domain::Role::Auditor])?;
    let format = match query.0.format.unwrap_or(Format::Xlsx) {
        Format::Json => Format::Xlsx,
        other => other,
    };
    let sheets = super::template::sheets(query.0.kind, lang);
    crate::export::download_all(&sheets, format, lang)?
        .ok_or_else(|| AppError::Internal("no template".to_owned()))
}

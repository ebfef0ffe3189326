//! Indicator and frozen-report handlers.

use rocket::State;
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Request, get, post};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use validator::Validate;

use super::dto::{
    ChangesQuery, ChangesView, ExplainQuery, ExplanationPage, FreezeReport, FrozenReport,
    FrozenReportSummary, IndicatorQuery, Report,
};
use super::{frozen, service};
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::export::{Download, Format, download};
use crate::history::Known;
use crate::http::{JsonBody, QueryParams};
use crate::i18n::Lang;
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use rocket::Either;

/// A frozen report's stored JSON text, sent byte for byte.
pub struct StoredJson(Status, String);

impl<'r> Responder<'r, 'static> for StoredJson {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = (ContentType::JSON, self.1).respond_to(req)?;
        res.set_status(self.0);
        Ok(res)
    }
}

/// Both indicators for a unit on a date, and for each of its children.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", params(IndicatorQuery),
    responses((status = 200, description = "The report (JSON), or one row per unit as a CSV or XLSX file",
               content((Report = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 422, description = "The unit does not exist on that date, or known_at is not a past instant", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/indicators")]
pub async fn get_indicators(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: Lang,
    query: QueryParams<IndicatorQuery>,
) -> AppResult<Either<Json<Report>, Download>> {
    let q = query.into_inner();
    let report = service::report(
        db.inner(),
        &actor,
        q.unit_id,
        q.as_of,
        q.policy_version,
        Known::asked(q.known_at.as_deref(), "known_at")?,
    )
    .await?;
    match q.format.unwrap_or_default() {
        Format::Json => Ok(Either::Left(Json(report))),
        f => {
            let lang = q.lang.unwrap_or(lang);
            let made = super::export::Made {
                by: actor.name.clone(),
                at: report.computed_at,
                frozen: false,
            };
            download(&super::export::report_sheet(&report, lang, &made), f, lang)
        }
    }
}

/// The population subjects of a unit on a date, with why each counts or not.
#[utoipa::path(get, path = "/api/v1/indicators/subjects", tag = "indicators", params(ExplainQuery, PageParams),
    responses((status = 200, description = "A page of explained subjects, or every one with its contacts as a CSV or XLSX file",
               content((ExplanationPage = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 422, description = "The unit does not exist on that date, or known_at is not a past instant", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/indicators/subjects")]
pub async fn explain_indicators(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: Lang,
    uri: &rocket::http::uri::Origin<'_>,
    query: QueryParams<ExplainQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Either<Json<ExplanationPage>, Download>> {
    let q = query.into_inner();
    let known = Known::asked(q.known_at.as_deref(), "known_at")?;
    match q.format.unwrap_or_default() {
        Format::Json => Ok(Either::Left(Json(
            service::explain(db.inner(), &actor, (&q, known), &page.0).await?,
        ))),
        f => {
            let lang = q.lang.unwrap_or(lang);
            let sheet = service::explanation_sheet(db.inner(), &actor, (&q, known), lang).await?;
            crate::audit::service::record_export(db.inner(), &actor, &sheet, &uri.to_string())
                .await?;
            download(&sheet, f, lang)
        }
    }
}

/// The subjects whose counting changed between two knowledge times (since a frozen report of
/// this unit and date, or an instant), and the records written in between that bear on them.
#[utoipa::path(get, path = "/api/v1/indicators/changes", tag = "indicators", params(ChangesQuery),
    responses((status = 200, description = "Subjects whose counting changed, per indicator, and why", body = ChangesView),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such unit or report", body = ErrorBody),
              (status = 422, description = "The report is for another unit or date; since or until is not a past instant, or until is before since", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/indicators/changes")]
pub async fn indicator_changes(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<ChangesQuery>,
) -> AppResult<Json<ChangesView>> {
    let until = Known::asked(query.0.until.as_deref(), "until")?;
    Ok(Json(
        super::changes::changes(db.inner(), &actor, (&query.0, until)).await?,
    ))
}

/// Filters of `GET /api/v1/reports`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ReportListQuery {
    pub unit_id: Option<Uuid>,
}

/// Frozen reports, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "indicators", params(ReportListQuery, PageParams),
    responses((status = 200, description = "A page of frozen reports", body = Paginated<FrozenReportSummary>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor or administrator", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/reports")]
pub async fn list_reports(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<ReportListQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<FrozenReportSummary>>> {
    Ok(Json(
        frozen::list_frozen(db.inner(), &actor, query.0.unit_id, &page.0).await?,
    ))
}

/// Freeze a report: computed now, stored with its subject lists and policy, unchanged forever.
#[utoipa::path(post, path = "/api/v1/reports", tag = "indicators", request_body = FreezeReport,
    responses((status = 201, description = "The frozen report", body = FrozenReport),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 422, description = "Invalid unit or date", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/reports", data = "<input>")]
pub async fn freeze_report(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<FreezeReport>,
) -> AppResult<StoredJson> {
    let body = frozen::freeze(db.inner(), &actor, input.into_inner()).await?;
    Ok(StoredJson(Status::Created, body))
}

/// Format of a frozen report's download.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct FrozenQuery {
    /// `json` (default: the stored text, byte for byte), `csv` (the figures) or `xlsx` (the
    /// figures and every subject's verdicts).
    pub format: Option<Format>,
    /// `vi` (default) or `en`: the language of a CSV or XLSX file.
    pub lang: Option<Lang>,
}

/// A frozen report, exactly as it was filed (or as a spreadsheet).
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "indicators",
    params(("id" = uuid::Uuid, Path, description = "Report id"), FrozenQuery),
    responses((status = 200, description = "The frozen report, or its CSV or XLSX file",
               content((FrozenReport = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such report", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/reports/<id>")]
pub async fn get_report(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: Lang,
    id: &str,
    query: QueryParams<FrozenQuery>,
) -> AppResult<Either<StoredJson, Download>> {
    let id = parse_id("report", id)?;
    let body = frozen::get_frozen(db.inner(), &actor, id).await?;
    let format = query.0.format.unwrap_or_default();
    if format == Format::Json {
        return Ok(Either::Left(StoredJson(Status::Ok, body)));
    }
    let lang = query.0.lang.unwrap_or(lang);
    let frozen = frozen::parse_frozen(&body)?;
    super::export::frozen_download(&frozen, format, lang)?
        .map(Either::Right)
        .ok_or_else(|| crate::error::AppError::Internal("no file".to_owned()))
}

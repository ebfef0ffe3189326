//! Report handlers: the public's form and submission, staff's list, answer and close.

use rocket::serde::json::Json;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::dto::{
    AnswerReport, CloseReport, NewReport, PublishedAnswer, ReportForm, ReportQuery, ReportReceipt,
    ReportView,
};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{IfMatch, JsonBody, QueryParams, Resource};
use crate::limits::ClientIp;
use crate::pagination::{PageParams, Paginated};
use crate::public::cache::PublicRequest;

/// The token a report about this product carries (send it back at least a few seconds later).
#[utoipa::path(get, path = "/api/v1/public/products/{id}/report-form", tag = "public",
    params(("id" = Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The form's token", body = ReportForm),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 429, description = "Too many requests from this client", body = ErrorBody)))]
#[get("/api/v1/public/products/<id>/report-form")]
pub async fn report_form(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    id: &str,
) -> AppResult<Json<ReportForm>> {
    let id = crate::ids::parse_id("product", id)?;
    public.charge()?;
    Ok(Json(ReportForm {
        form_token: service::form(db.inner(), id).await?,
        min_seconds: super::token::MIN_SECONDS,
    }))
}

/// Report a problem with a rated product (phản ánh): anyone, no token; the contact given is
/// shown to staff only.
#[utoipa::path(post, path = "/api/v1/public/products/{id}/reports", tag = "public",
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = NewReport,
    responses((status = 201, description = "Received; it waits in the queue of the product's unit", body = ReportReceipt),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 409, description = "The product has as many reports waiting as the department takes", body = ErrorBody),
              (status = 422, description = "A field is invalid, the form was sent too soon or too late, or the hidden field was filled", body = ErrorBody),
              (status = 429, description = "Too many reports from this address today", body = ErrorBody)))]
#[post("/api/v1/public/products/<id>/reports", data = "<body>")]
pub async fn submit_report(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    ip: ClientIp,
    id: &str,
    body: JsonBody<NewReport>,
) -> AppResult<Resource<ReportReceipt>> {
    let id = crate::ids::parse_id("product", id)?;
    public.charge()?;
    let receipt = service::submit(db.inner(), id, ip.0, body.into_inner()).await?;
    Ok(Resource::with_status(
        rocket::http::Status::Created,
        receipt,
    ))
}

/// Reports in the caller's unit (auditors) or all (administrators), oldest first.
#[utoipa::path(get, path = "/api/v1/problem-reports", tag = "problem-reports", params(ReportQuery, PageParams),
    responses((status = 200, description = "Reports with their senders' contacts", body = Paginated<ReportView>),
              (status = 403, description = "Not staff", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/problem-reports")]
pub async fn list_reports(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<ReportQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<ReportView>>> {
    Ok(Json(
        service::list(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

/// Answer a report (published on the product's page if `publish`), optionally naming the
/// revocation or suspension it led to.
#[utoipa::path(post, path = "/api/v1/problem-reports/{id}/answer", tag = "problem-reports",
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "The report's version")),
    request_body = AnswerReport,
    responses((status = 200, description = "Answered", body = ReportView),
              (status = 403, description = "Not staff, or outside the auditor's unit", body = ErrorBody),
              (status = 409, description = "Already closed", body = ErrorBody),
              (status = 412, description = "The report changed since it was read", body = ErrorBody),
              (status = 422, description = "Invalid answer or link", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/problem-reports/<id>/answer", data = "<body>")]
pub async fn answer_report(
    db: &State<DatabaseConnection>,
    actor: Actor,
    if_match: IfMatch,
    id: &str,
    body: JsonBody<AnswerReport>,
) -> AppResult<Resource<ReportView>> {
    let id = crate::ids::parse_id("problem report", id)?;
    let view = service::answer(db.inner(), &actor, id, if_match, body.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Close a report with a reason.
#[utoipa::path(post, path = "/api/v1/problem-reports/{id}/close", tag = "problem-reports",
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "The report's version")),
    request_body = CloseReport,
    responses((status = 200, description = "Closed", body = ReportView),
              (status = 403, description = "Not staff, or outside the auditor's unit", body = ErrorBody),
              (status = 409, description = "Already closed", body = ErrorBody),
              (status = 412, description = "The report changed since it was read", body = ErrorBody),
              (status = 422, description = "Invalid reason or link", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/problem-reports/<id>/close", data = "<body>")]
pub async fn close_report(
    db: &State<DatabaseConnection>,
    actor: Actor,
    if_match: IfMatch,
    id: &str,
    body: JsonBody<CloseReport>,
) -> AppResult<Resource<ReportView>> {
    let id = crate::ids::parse_id("problem report", id)?;
    let view = service::close(db.inner(), &actor, id, if_match, body.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// The department's published answers to reports about a product (nothing else of a report is
/// public).
#[utoipa::path(get, path = "/api/v1/public/products/{id}/answers", tag = "public",
    params(("id" = Uuid, Path, description = "Product id")),
    responses((status = 200, description = "Published answers, newest first; `ETag` and `Cache-Control: public`", body = Vec<PublishedAnswer>),
              (status = 304, description = "The client's copy is current"),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 429, description = "Too many requests from this client", body = ErrorBody)))]
#[get("/api/v1/public/products/<id>/answers")]
pub async fn published_answers(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    id: &str,
) -> AppResult<crate::public::cache::Cached> {
    let id = crate::ids::parse_id("product", id)?;
    public
        .answer(async || {
            crate::products::service::rated(db.inner(), id, false).await?;
            let answers = service::published(db.inner(), id).await?;
            let body = serde_json::to_string(&answers)
                .map_err(|e| crate::error::AppError::Internal(format!("JSON: {e}")))?;
            Ok(crate::public::cache::Rendered::new(
                body,
                rocket::http::ContentType::JSON,
            ))
        })
        .await
}

//! Report handlers: the public's form and submission, staff's list, answer and close.

use rocket::serde::json::Json;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use rocket::form::{Errors, Form, Strict};
use validator::Validate;

use super::dto::{
    AnswerReport, CloseReport, NewReport, PublishedAnswer, ReportForm, ReportQuery, ReportReceipt,
    ReportUpload, ReportUploadForm, ReportView,
};
use super::service;
use crate::auth::Actor;
use crate::documents::DocumentStore;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::{FromThisSite, JsonBody, QueryParams, Resource};
use crate::limits::ClientIp;
use crate::pagination::{PageParams, Paginated};
use crate::public::cache::PublicRequest;
use crate::version::ExpectedVersion;

/// The token a report about this product carries (send it back at least a few seconds later).
#[utoipa::path(get, path = "/api/v1/public/products/{id}/report-form", tag = "public",
    params(("id" = Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The form's token", body = ReportForm),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody)))]
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
    request_body(content((NewReport = "application/json"), (ReportUploadForm = "multipart/form-data")),
        description = "JSON, or the same fields as a form with an optional `photo` (JPEG or PNG, at most 10 MiB; kept re-encoded without its metadata, shown to staff only)"),
    responses((status = 201, description = "Received; it waits in the queue of the product's unit", body = ReportReceipt),
              (status = 413, description = "A photo larger than 10 MiB", body = ErrorBody),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 409, description = "The product has as many reports waiting as the department takes", body = ErrorBody),
              (status = 422, description = "A field is invalid (two photos, a file that is not one), the form was sent too soon or too late, or the hidden field was filled", body = ErrorBody),
              (status = 403, description = "Sent from another site's page (`Sec-Fetch-Site`, or an `Origin` naming neither the request's `Host` nor the public base address)", body = ErrorBody),
              (status = 429, description = "Too many reports from this address today; `Retry-After` says when the next one may be sent", body = ErrorBody),
              (status = 503, description = "Another report's photo is being decoded: send again in a few seconds", body = ErrorBody)))]
// A form with a photo goes to `submit_report_form`; any other body comes here.
#[post("/api/v1/public/products/<id>/reports", data = "<body>", rank = 2)]
pub async fn submit_report(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    public: PublicRequest<'_>,
    ip: ClientIp,
    id: &str,
    body: JsonBody<NewReport>,
) -> AppResult<Resource<ReportReceipt>> {
    let id = crate::ids::parse_id("product", id)?;
    public.charge()?;
    let receipt = service::submit(db.inner(), store, (id, ip.0), body.into_inner(), None).await?;
    Ok(Resource::with_status(
        rocket::http::Status::Created,
        receipt,
    ))
}

/// A report sent as a form, with its photo: [`submit_report`]'s other body.
#[allow(
    clippy::too_many_arguments,
    reason = "Rocket's guards are its arguments"
)]
#[post(
    "/api/v1/public/products/<id>/reports",
    format = "multipart/form-data",
    data = "<form>",
    rank = 1
)]
pub async fn submit_report_form(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    public: PublicRequest<'_>,
    ip: ClientIp,
    // A form needs no preflight: another site's page could post it through its visitors.
    _site: FromThisSite,
    id: &str,
    form: Result<Form<Strict<ReportUpload<'_>>>, Errors<'_>>,
) -> AppResult<Resource<ReportReceipt>> {
    let id = crate::ids::parse_id("product", id)?;
    public.charge()?;
    let form = form.map_err(|e| crate::http::upload::form_error(&e, store.max_bytes))?;
    let input = NewReport {
        kind: form.kind.parse().map_err(|_| {
            AppError::invalid("kind", "must be fake_label, expired, quality or other")
        })?,
        text: form.text.to_owned(),
        contact: form.contact.map(str::to_owned),
        form_token: form.form_token.to_owned(),
        website: form.website.map(str::to_owned),
    };
    input.validate()?;
    let photo = crate::http::upload::sent(&form.photo, "photo", store.max_bytes)?;
    let photo = crate::http::upload::received(photo)
        .await?
        .map(|(_, bytes)| bytes);
    let receipt = service::submit(db.inner(), store, (id, ip.0), input, photo).await?;
    Ok(Resource::with_status(
        rocket::http::Status::Created,
        receipt,
    ))
}

/// A report's photo, to the staff of its producer's unit.
#[utoipa::path(get, path = "/api/v1/problem-reports/{id}/photo", tag = "problem-reports",
    params(("id" = Uuid, Path, description = "Report id")),
    responses((status = 200, description = "The JPEG", content((crate::export::FileBody = "image/jpeg"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not staff, or outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such report, or none with a photo", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/problem-reports/<id>/photo")]
pub async fn report_photo(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    actor: Actor,
    id: &str,
) -> AppResult<crate::export::Download> {
    let id = crate::ids::parse_id("problem report", id)?;
    let bytes = super::photo::photo(db.inner(), store, &actor, id).await?;
    Ok(crate::export::Download::of(
        super::photo::file_name(id),
        "image/jpeg",
        bytes,
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
    if_match: ExpectedVersion,
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
    if_match: ExpectedVersion,
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
              (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody)))]
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

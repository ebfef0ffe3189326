//! Certification handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{CertificationView, CreateCertification, TransitionInput, UpdateCertification};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// A subject's certifications.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/certifications", tag = "certifications",
    params(("id" = uuid::Uuid, Path, description = "Subject id"), PageParams),
    responses((status = 200, description = "A page of certifications", body = Paginated<CertificationView>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects/<id>/certifications")]
pub async fn list_certifications(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<CertificationView>>> {
    let id = parse_id("subject", id)?;
    Ok(Json(service::list(db.inner(), &actor, id, &page.0).await?))
}

/// Filters of `GET /api/v1/certifications`.
#[derive(Debug, serde::Deserialize, validator::Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct CertificationQuery {
    /// Only certifications in this status (`submitted`: the ones waiting for an auditor).
    pub status: Option<crate::domain::CertStatus>,
}

/// Certifications of every subject the token reaches (administrators; auditors in their
/// unit), oldest change first: the work queue with `status=submitted`.
#[utoipa::path(get, path = "/api/v1/certifications", tag = "certifications",
    params(CertificationQuery, PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of certifications, or all of them as a CSV or XLSX file",
               content((Paginated<CertificationView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator or auditor", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/certifications")]
pub async fn list_all_certifications(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    query: QueryParams<CertificationQuery>,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<CertificationView>>, crate::export::Download>> {
    let (db, actor, status) = (db.inner(), &actor, query.0.status);
    let list = |p| async move { service::list_all(db, actor, status, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            crate::export::download(&sheet, format, lang)
        }
    }
}

/// Register a certification; it starts `submitted`.
#[utoipa::path(post, path = "/api/v1/subjects/{id}/certifications", tag = "certifications",
    request_body = CreateCertification,
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 201, description = "The new certification", body = CertificationView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 409, description = "Certificate number already registered", body = ErrorBody),
              (status = 422, description = "Invalid fields (including a scope outside the subject)", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects/<id>/certifications", data = "<input>")]
pub async fn create_certification(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateCertification>,
) -> AppResult<Resource<CertificationView>> {
    let id = parse_id("subject", id)?;
    let view = service::create(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// One certification with its status history.
#[utoipa::path(get, path = "/api/v1/certifications/{id}", tag = "certifications",
    params(("id" = uuid::Uuid, Path, description = "Certification id")),
    responses((status = 200, description = "The certification", body = CertificationView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such certification (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/certifications/<id>")]
pub async fn get_certification(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<CertificationView>> {
    let id = parse_id("certification", id)?;
    let view = service::get(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Edit a certification (an owner's change of a key field sends it back to `submitted`).
#[utoipa::path(patch, path = "/api/v1/certifications/{id}", tag = "certifications",
    request_body = UpdateCertification,
    params(("id" = uuid::Uuid, Path, description = "Certification id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited certification", body = CertificationView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such certification (or not the owner's)", body = ErrorBody),
              (status = 409, description = "Revoked, or certificate number already registered", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/certifications/<id>", data = "<input>")]
pub async fn update_certification(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateCertification>,
) -> AppResult<Resource<CertificationView>> {
    let id = parse_id("certification", id)?;
    let view = service::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Move a certification along its lifecycle (administrators, auditors).
#[utoipa::path(post, path = "/api/v1/certifications/{id}/transitions", tag = "certifications",
    request_body = TransitionInput,
    params(("id" = uuid::Uuid, Path, description = "Certification id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being moved")),
    responses((status = 200, description = "The certification after the move", body = CertificationView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such certification", body = ErrorBody),
              (status = 409, description = "Illegal move", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/certifications/<id>/transitions", data = "<input>")]
pub async fn transition_certification(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<TransitionInput>,
) -> AppResult<Resource<CertificationView>> {
    let id = parse_id("certification", id)?;
    let view = service::transition(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

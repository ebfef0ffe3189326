//! Subject handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{CreateSubject, SubjectQuery, SubjectView, UpdateSubject};
use super::{service, update};
use crate::auth::{Actor, Caller};
use crate::error::{AppResult, ErrorBody};
use crate::export::{Download, Format, download};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::i18n::Lang;
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;
use rocket::Either;

/// List the subjects the token may see (or download them all with `format=csv|xlsx`).
#[utoipa::path(get, path = "/api/v1/subjects", tag = "subjects", params(SubjectQuery, PageParams),
    responses((status = 200, description = "A page of subjects, or every matching subject as a CSV or XLSX file",
               content((Paginated<SubjectView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role not allowed", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects")]
pub async fn list_subjects(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: Lang,
    uri: &rocket::http::uri::Origin<'_>,
    query: QueryParams<SubjectQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Either<Json<Paginated<SubjectView>>, Download>> {
    let q = query.into_inner();
    let format = q.format.unwrap_or_default();
    if format == Format::Json {
        return Ok(Either::Left(Json(
            service::list(db.inner(), &actor, &q, &page.0).await?,
        )));
    }
    let sheet = super::export::sheet(db.inner(), &actor, &q, q.lang.unwrap_or(lang)).await?;
    crate::audit::service::record_export(db.inner(), &actor, &sheet, &uri.to_string()).await?;
    download(&sheet, format, q.lang.unwrap_or(lang))
}

/// Register a subject (administrators; auditors inside their unit).
#[utoipa::path(post, path = "/api/v1/subjects", tag = "subjects", request_body = CreateSubject,
    responses((status = 201, description = "The new subject", body = SubjectView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 409, description = "Tax code already registered", body = ErrorBody),
              (status = 413, description = "Body too large", body = ErrorBody),
              (status = 415, description = "Not JSON", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects", data = "<input>")]
pub async fn create_subject(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreateSubject>,
) -> AppResult<Resource<SubjectView>> {
    let view = service::create(db.inner(), &actor, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// One subject.
#[utoipa::path(get, path = "/api/v1/subjects/{id}", tag = "subjects",
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 200, description = "The subject", body = SubjectView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects/<id>")]
pub async fn get_subject(
    db: &State<DatabaseConnection>,
    caller: Caller,
    id: &str,
) -> AppResult<Resource<SubjectView>> {
    let id = parse_id("subject", id)?;
    let view = service::get_for(db.inner(), &caller, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Edit a subject; `If-Match` with the ETag guards against lost updates.
#[utoipa::path(patch, path = "/api/v1/subjects/{id}", tag = "subjects", request_body = UpdateSubject,
    params(("id" = uuid::Uuid, Path, description = "Subject id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited subject", body = SubjectView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 409, description = "Tax code already registered", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/subjects/<id>", data = "<input>")]
pub async fn update_subject(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateSubject>,
) -> AppResult<Resource<SubjectView>> {
    let id = parse_id("subject", id)?;
    let view = update::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

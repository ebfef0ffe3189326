//! Change-request handlers.

use rocket::State;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, post};
use sea_orm::DatabaseConnection;

use super::dto::{ChangeRequestQuery, ChangeRequestView, CreateChangeRequest, DecideChangeRequest};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};

/// File a change of the subject's identity fields (the subject's owner).
#[utoipa::path(post, path = "/api/v1/subjects/{id}/change-requests", tag = "subjects",
    request_body = CreateChangeRequest,
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 201, description = "The request, pending", body = ChangeRequestView),
              (status = 403, description = "Not the subject's owner", body = ErrorBody),
              (status = 404, description = "No such subject (or another owner's)", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects/<id>/change-requests", data = "<input>")]
pub async fn create_change_request(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateChangeRequest>,
) -> AppResult<Resource<ChangeRequestView>> {
    let id = parse_id("subject", id)?;
    let view = service::create(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// Change requests the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/change-requests", tag = "subjects",
    params(ChangeRequestQuery, PageParams),
    responses((status = 200, description = "A page of change requests", body = Paginated<ChangeRequestView>),
              (status = 403, description = "Role not allowed", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/change-requests")]
pub async fn list_change_requests(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<ChangeRequestQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<ChangeRequestView>>> {
    Ok(Json(
        service::list(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

/// Approve (the change is applied, dated) or reject a pending request, with a reason
/// (administrators; auditors of the subject's unit).
#[utoipa::path(post, path = "/api/v1/change-requests/{id}/decision", tag = "subjects",
    request_body = DecideChangeRequest,
    params(("id" = uuid::Uuid, Path, description = "Change request id")),
    responses((status = 200, description = "The decided request", body = ChangeRequestView),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such request (or another owner's)", body = ErrorBody),
              (status = 409, description = "Decided already, or the change conflicts", body = ErrorBody),
              (status = 422, description = "Invalid fields, or the change breaks a rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/change-requests/<id>/decision", data = "<input>")]
pub async fn decide_change_request(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<DecideChangeRequest>,
) -> AppResult<Resource<ChangeRequestView>> {
    let id = parse_id("change request", id)?;
    let view = service::decide(db.inner(), &actor, id, input.into_inner()).await?;
    Ok(Resource::with_status(Status::Ok, view))
}

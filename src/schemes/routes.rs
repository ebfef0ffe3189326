//! Scheme catalogue handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{CreateScheme, SchemeList, SchemeView, UpdateScheme};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, Resource};
use crate::ids::parse_id;
use crate::version::ExpectedVersion;

/// The certification-scheme catalogue.
#[utoipa::path(get, path = "/api/v1/schemes", tag = "schemes",
    responses((status = 200, description = "Every scheme, by code", body = SchemeList),
              (status = 401, description = "No or bad token", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/schemes")]
pub async fn list_schemes(
    db: &State<DatabaseConnection>,
    actor: Actor,
) -> AppResult<Json<SchemeList>> {
    Ok(Json(service::list(db.inner(), &actor).await?))
}

/// Add a scheme (administrators).
#[utoipa::path(post, path = "/api/v1/schemes", tag = "schemes", request_body = CreateScheme,
    responses((status = 201, description = "The new scheme", body = SchemeView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody),
              (status = 409, description = "Code already used", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/schemes", data = "<input>")]
pub async fn create_scheme(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreateScheme>,
) -> AppResult<Resource<SchemeView>> {
    let view = service::create(db.inner(), &actor, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// Edit a scheme (administrators); its code never changes.
#[utoipa::path(patch, path = "/api/v1/schemes/{id}", tag = "schemes", request_body = UpdateScheme,
    params(("id" = uuid::Uuid, Path, description = "Scheme id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited scheme", body = SchemeView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody),
              (status = 404, description = "No such scheme", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/schemes/<id>", data = "<input>")]
pub async fn update_scheme(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateScheme>,
) -> AppResult<Resource<SchemeView>> {
    let id = parse_id("scheme", id)?;
    let view = service::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

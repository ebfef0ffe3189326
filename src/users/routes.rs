//! User handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{CreateUser, CreatedUser, UpdateUser, UserView};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// Create an account; the answer holds its one-time password, shown this once (administrators:
/// any role; auditors: owners of subjects in their unit).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, description = "The account and its one-time password", body = CreatedUser),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not allowed to create this account", body = ErrorBody),
              (status = 409, description = "The user name is taken", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/users", data = "<input>")]
pub async fn create_user(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreateUser>,
) -> AppResult<Resource<CreatedUser>> {
    let created = service::create(db.inner(), &actor, input.into_inner(), None).await?;
    let version = created.user.version;
    Ok(Resource::created(created, version))
}

/// The accounts the caller manages, by user name.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(super::dto::UserQuery, PageParams),
    responses((status = 200, description = "A page of accounts", body = Paginated<UserView>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role not allowed", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/users")]
pub async fn list_users(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<super::dto::UserQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<UserView>>> {
    Ok(Json(
        service::list(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

/// Give an account a new one-time password (a forgotten password): every session of the person
/// ends, a lock-out lifts, and the password is shown this once.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users",
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses((status = 200, description = "The account and its new one-time password", body = super::dto::CreatedUser),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not allowed to manage this account", body = ErrorBody),
              (status = 404, description = "No such account", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/users/<id>/reset-password")]
pub async fn reset_user_password(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Json<super::dto::CreatedUser>> {
    let id = parse_id("user", id)?;
    Ok(Json(service::reset_password(db.inner(), &actor, id).await?))
}

/// Rename, disable or enable an account.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = uuid::Uuid, Path, description = "User id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The account", body = UserView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not allowed to manage this account", body = ErrorBody),
              (status = 404, description = "No such account", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/users/<id>", data = "<input>")]
pub async fn update_user(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateUser>,
) -> AppResult<Resource<UserView>> {
    let id = parse_id("user", id)?;
    let view = service::update(db.inner(), &actor, id, if_match.0, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

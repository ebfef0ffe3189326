//! Policy handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, post};
use sea_orm::DatabaseConnection;

use super::dto::{CreatePolicy, PolicyList, PolicyView};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, Resource};

/// Every indicator policy version, newest (current) first.
#[utoipa::path(get, path = "/api/v1/policies", tag = "indicators",
    responses((status = 200, description = "Policy versions", body = PolicyList),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor or administrator", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/policies")]
pub async fn list_policies(
    db: &State<DatabaseConnection>,
    actor: Actor,
) -> AppResult<Json<PolicyList>> {
    Ok(Json(service::list(db.inner(), &actor).await?))
}

/// Make a new policy version from the current one and the changes (administrators).
#[utoipa::path(post, path = "/api/v1/policies", tag = "indicators", request_body = CreatePolicy,
    responses((status = 201, description = "The new version", body = PolicyView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody),
              (status = 409, description = "Nothing would change", body = ErrorBody),
              (status = 422, description = "Invalid parameters", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/policies", data = "<input>")]
pub async fn create_policy(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreatePolicy>,
) -> AppResult<Resource<PolicyView>> {
    let view = service::create(db.inner(), &actor, input.into_inner()).await?;
    Ok(Resource::with_status(rocket::http::Status::Created, view))
}

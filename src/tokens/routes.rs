//! Token administration handlers (administrators only).

use rocket::State;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post};
use sea_orm::DatabaseConnection;

use super::dto::{CreateToken, CreatedToken, TokenView};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};

/// List tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(PageParams),
    responses((status = 200, description = "A page of tokens", body = Paginated<TokenView>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/tokens")]
pub async fn list_tokens(
    db: &State<DatabaseConnection>,
    actor: Actor,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<TokenView>>> {
    Ok(Json(service::list(db.inner(), &actor, &page.0).await?))
}

/// Issue a token; the secret is shown in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, description = "The token and its secret", body = CreatedToken),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody),
              (status = 422, description = "Invalid input", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/tokens", data = "<input>")]
pub async fn create_token(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreateToken>,
) -> AppResult<Resource<CreatedToken>> {
    let created = service::create(db.inner(), &actor, input.into_inner()).await?;
    Ok(Resource::with_status(Status::Created, created))
}

/// Revoke a token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses((status = 200, description = "The revoked token", body = TokenView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator", body = ErrorBody),
              (status = 404, description = "No such token", body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/tokens/<id>")]
pub async fn revoke_token(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Json<TokenView>> {
    let id = parse_id("token", id)?;
    Ok(Json(service::revoke(db.inner(), &actor, id).await?))
}

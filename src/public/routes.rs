//! Public lookup handler (no token).

use rocket::State;
use rocket::get;
use rocket::serde::json::Json;
use sea_orm::DatabaseConnection;

use super::service::{self, PublicProduct, PublicQuery};
use crate::error::{AppResult, ErrorBody};
use crate::http::QueryParams;
use crate::limits::PublicClient;
use crate::pagination::{PageParams, Paginated};

/// Look up OCOP-rated products (open to everyone).
#[utoipa::path(get, path = "/api/v1/public/products", tag = "public", params(PublicQuery, PageParams),
    responses((status = 200, description = "Rated products with their latest recognition", body = Paginated<PublicProduct>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody)))]
#[get("/api/v1/public/products")]
pub async fn list_public_products(
    db: &State<DatabaseConnection>,
    _client: PublicClient,
    query: QueryParams<PublicQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<PublicProduct>>> {
    Ok(Json(service::list(db.inner(), &query.0, &page.0).await?))
}

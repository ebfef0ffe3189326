//! Public lookup handlers (no token): JSON answers with validators, kept by caches.

use rocket::State;
use rocket::get;
use rocket::http::ContentType;
use sea_orm::DatabaseConnection;

use super::cache::{Cached, PublicRequest, Rendered};
use super::product::{self, PublicProductPage};
use super::service::{self, PublicProduct, PublicQuery};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::QueryParams;
use crate::pagination::{PageParams, Paginated};

/// `value` as a JSON answer to keep.
fn json(value: &impl serde::Serialize) -> AppResult<Rendered> {
    let body =
        serde_json::to_string(value).map_err(|e| AppError::Internal(format!("JSON: {e}")))?;
    Ok(Rendered::new(body, ContentType::JSON))
}

/// Look up OCOP-rated products (open to everyone): name matches first, then producer, then
/// commune.
#[utoipa::path(get, path = "/api/v1/public/products", tag = "public", params(PublicQuery, PageParams),
    responses((status = 200, description = "Rated products with their latest recognition; `ETag` and `Cache-Control: public`", body = Paginated<PublicProduct>),
              (status = 304, description = "The client's copy (`If-None-Match`) is current; not counted against its allowance"),
              (status = 400, description = "Malformed query or a filter out of range, naming the field", body = ErrorBody),
              (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody)))]
#[get("/api/v1/public/products")]
pub async fn list_public_products(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    query: QueryParams<PublicQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Cached> {
    public
        .answer(async || json(&service::list(db.inner(), &query.0, &page.0).await?))
        .await
}

/// One rated product as the public sees it: stars, validity, the issuing authority, producer,
/// commune and province, and where to buy it.
#[utoipa::path(get, path = "/api/v1/public/products/{id}", tag = "public",
    params(("id" = Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The product's public page; `ETag`, `Last-Modified` and `Cache-Control: public`", body = PublicProductPage),
              (status = 304, description = "The client's copy is current; not counted against its allowance"),
              (status = 404, description = "No rated product with this id", body = ErrorBody),
              (status = 429, description = "Too many requests from this client; see Retry-After", body = ErrorBody)))]
#[get("/api/v1/public/products/<id>")]
pub async fn get_public_product(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    id: &str,
) -> AppResult<Cached> {
    let id = crate::ids::parse_id("product", id)?;
    public
        .answer(async || {
            let page = product::get(db.inner(), id).await?;
            json(&page)
        })
        .await
}

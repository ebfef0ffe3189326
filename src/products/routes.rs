//! Product and recognition handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{
    CreateProduct, CreateRecognition, ProductView, RecognitionView, RevokeRecognition,
    UpdateProduct,
};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// A subject's products.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/products", tag = "products",
    params(("id" = uuid::Uuid, Path, description = "Subject id"), PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of products, or all of them as a CSV or XLSX file headed as the products import reads them",
               content((Paginated<ProductView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects/<id>/products")]
pub async fn list_products(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    id: &str,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<ProductView>>, crate::export::Download>> {
    let id = parse_id("subject", id)?;
    let (db, actor) = (db.inner(), &actor);
    let list = |p| async move { service::list(db, actor, id, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            crate::export::download(&sheet, format, lang)
        }
    }
}

/// Add a product to a subject.
#[utoipa::path(post, path = "/api/v1/subjects/{id}/products", tag = "products",
    request_body = CreateProduct,
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 201, description = "The new product", body = ProductView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects/<id>/products", data = "<input>")]
pub async fn create_product(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateProduct>,
) -> AppResult<Resource<ProductView>> {
    let id = parse_id("subject", id)?;
    let view = service::create(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = ProductView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such product (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/products/<id>")]
pub async fn get_product(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<ProductView>> {
    let id = parse_id("product", id)?;
    let view = service::get(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Edit a product.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", request_body = UpdateProduct,
    params(("id" = uuid::Uuid, Path, description = "Product id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited product", body = ProductView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such product (or not the owner's)", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/products/<id>", data = "<input>")]
pub async fn update_product(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateProduct>,
) -> AppResult<Resource<ProductView>> {
    let id = parse_id("product", id)?;
    let view = service::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// A product's recognitions, newest decision first.
#[utoipa::path(get, path = "/api/v1/products/{id}/recognitions", tag = "recognitions",
    params(("id" = uuid::Uuid, Path, description = "Product id"), PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of recognitions, or all of them with the product's name as a CSV or XLSX file headed as the products import reads them",
               content((Paginated<RecognitionView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such product (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/products/<id>/recognitions")]
pub async fn list_recognitions(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    id: &str,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<RecognitionView>>, crate::export::Download>> {
    let id = parse_id("product", id)?;
    let (db, actor) = (db.inner(), &actor);
    let rows = |p| async move { service::recognition_rows(db, actor, id, &p).await };
    if let Some((sheet, format, lang)) = crate::export::file_of(&export.0, lang, rows).await? {
        return crate::export::download(&sheet, format, lang);
    }
    Ok(rocket::Either::Left(Json(
        service::list_recognitions(db, actor, id, &page.0).await?,
    )))
}

/// Record an OCOP star rating decision (administrators, auditors).
#[utoipa::path(post, path = "/api/v1/products/{id}/recognitions", tag = "recognitions",
    request_body = CreateRecognition,
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    responses((status = 201, description = "The recognition", body = RecognitionView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such product", body = ErrorBody),
              (status = 409, description = "Decision already recorded for this product", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/products/<id>/recognitions", data = "<input>")]
pub async fn create_recognition(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateRecognition>,
) -> AppResult<Resource<RecognitionView>> {
    let id = parse_id("product", id)?;
    let view = service::create_recognition(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// One recognition.
#[utoipa::path(get, path = "/api/v1/recognitions/{id}", tag = "recognitions",
    params(("id" = uuid::Uuid, Path, description = "Recognition id")),
    responses((status = 200, description = "The recognition", body = RecognitionView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such recognition (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/recognitions/<id>")]
pub async fn get_recognition(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<RecognitionView>> {
    let id = parse_id("recognition", id)?;
    let view = service::get_recognition(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Revoke a recognition from a date (administrators, auditors).
#[utoipa::path(post, path = "/api/v1/recognitions/{id}/revoke", tag = "recognitions",
    request_body = RevokeRecognition,
    params(("id" = uuid::Uuid, Path, description = "Recognition id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being revoked")),
    responses((status = 200, description = "The revoked recognition", body = RecognitionView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such recognition", body = ErrorBody),
              (status = 409, description = "Already revoked", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/recognitions/<id>/revoke", data = "<input>")]
pub async fn revoke_recognition(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<RevokeRecognition>,
) -> AppResult<Resource<RecognitionView>> {
    let id = parse_id("recognition", id)?;
    let view = service::revoke(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

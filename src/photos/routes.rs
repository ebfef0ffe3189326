//! Product photo handlers: upload and list (producer and staff), review (staff), the files.

use rocket::form::{Errors, Form, FromForm, Strict};
use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::dto::{PhotoQuery, PhotoView, RejectPhoto};
use super::service;
use crate::auth::Actor;
use crate::config::AppConfig;
use crate::documents::DocumentStore;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::export::Download;
use crate::http::upload::{form_error, received, sent};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// The multipart form of a photo upload.
#[derive(FromForm)]
pub struct PhotoForm<'r> {
    pub file: crate::http::upload::FileField<'r>,
}

/// The form as documented: one file.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PhotoUploadForm {
    /// A JPEG or PNG (by its content), at most 10 MiB and 12,000 pixels a side.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The review window of an owner's photo, from the configuration.
pub fn review_window(config: &AppConfig) -> chrono::Duration {
    chrono::Duration::hours(i64::from(config.documents.photo_review_hours))
}

/// A width in a file's path (`640`, or `640.jpg` on the public address), if one served.
pub fn width_of(raw: &str) -> Option<u32> {
    raw.strip_suffix(".jpg").unwrap_or(raw).parse().ok()
}

/// Upload a photo of a product (its producer, the auditors of its unit, administrators): JPEG
/// or PNG by content. The registry keeps renditions 320, 640 and 1280 pixels wide, re-encoded
/// without metadata (EXIF, GPS) and turned upright. An owner's photo shows publicly after the
/// review window (`documents.photo_review_hours`) unless an auditor rejects it; a staff upload at once.
#[utoipa::path(post, path = "/api/v1/products/{id}/photos", tag = "photos",
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    request_body(content = PhotoUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored photo", body = PhotoView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such product (or not the owner's)", body = ErrorBody),
              (status = 413, description = "Larger than 10 MiB", body = ErrorBody),
              (status = 415, description = "Not multipart", body = ErrorBody),
              (status = 422, description = "No file, not a JPEG or PNG, damaged, or too large a picture", body = ErrorBody),
              (status = 503, description = "The process is reading other uploads: send it again in a minute", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/products/<id>/photos", data = "<form>")]
pub async fn upload_photo(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    config: &State<AppConfig>,
    actor: Actor,
    _slot: crate::limits::UploadSlot,
    id: &str,
    form: Result<Form<Strict<PhotoForm<'_>>>, Errors<'_>>,
) -> AppResult<Resource<PhotoView>> {
    let id = parse_id("product", id)?;
    let form = form.map_err(|e| form_error(&e, store.max_bytes))?;
    let file = sent(&form.file, "file", store.max_bytes)?;
    let (_, bytes) = received(file)
        .await?
        .ok_or_else(|| AppError::invalid("file", "is required"))?;
    let review = review_window(config);
    let view = service::upload(db.inner(), store.inner(), &actor, id, bytes, review).await?;
    Ok(Resource::with_status(Status::Created, view))
}

/// A product's photos, newest first, in every state (its producer and staff).
#[utoipa::path(get, path = "/api/v1/products/{id}/photos", tag = "photos",
    params(("id" = uuid::Uuid, Path, description = "Product id")),
    responses((status = 200, description = "The photos", body = Vec<PhotoView>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such product (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/products/<id>/photos")]
pub async fn product_photos(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Json<Vec<PhotoView>>> {
    let id = parse_id("product", id)?;
    Ok(Json(service::of_product(db.inner(), &actor, id).await?))
}

/// Photos in the auditor's unit (administrators: all), oldest first; `status=waiting` is the
/// review queue.
#[utoipa::path(get, path = "/api/v1/product-photos", tag = "photos", params(PhotoQuery, PageParams),
    responses((status = 200, description = "Photos", body = Paginated<PhotoView>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not staff", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/product-photos")]
pub async fn list_photos(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<PhotoQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<PhotoView>>> {
    Ok(Json(
        service::list(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

/// One rendition of a photo in any state, to its producer and staff.
#[utoipa::path(get, path = "/api/v1/product-photos/{id}/files/{width}", tag = "photos",
    params(("id" = uuid::Uuid, Path, description = "Photo id"),
           ("width" = u32, Path, description = "320, 640 or 1280")),
    responses((status = 200, description = "The JPEG", content((crate::export::FileBody = "image/jpeg"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such photo or width (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/product-photos/<id>/files/<width>")]
pub async fn photo_file(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    actor: Actor,
    id: &str,
    width: &str,
) -> AppResult<Download> {
    let id = parse_id("photo", id)?;
    let w = width_of(width).ok_or_else(|| AppError::not_found("photo", id))?;
    let bytes = service::file(db.inner(), store.inner(), &actor, id, w).await?;
    Ok(jpeg(id, w, bytes))
}

/// A rendition as a file named after the photo.
pub fn jpeg(id: uuid::Uuid, width: u32, bytes: Vec<u8>) -> Download {
    Download {
        file_name: format!("anh-{id}-{width}.jpg"),
        content_type: ContentType::JPEG,
        bytes,
    }
}

/// Approve a waiting photo: it shows publicly at once.
#[utoipa::path(post, path = "/api/v1/product-photos/{id}/approve", tag = "photos",
    params(("id" = uuid::Uuid, Path, description = "Photo id"), ("If-Match" = Option<String>, Header, description = "The photo's version")),
    responses((status = 200, description = "Approved", body = PhotoView),
              (status = 400, description = "A malformed If-Match", body = ErrorBody),
              (status = 403, description = "Not staff, or outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such photo", body = ErrorBody),
              (status = 409, description = "Already approved or rejected", body = ErrorBody),
              (status = 412, description = "The photo changed since it was read", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/product-photos/<id>/approve")]
pub async fn approve_photo(
    db: &State<DatabaseConnection>,
    actor: Actor,
    if_match: ExpectedVersion,
    id: &str,
) -> AppResult<Resource<PhotoView>> {
    let id = parse_id("photo", id)?;
    let view = service::approve(db.inner(), &actor, id, if_match).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Reject a photo, waiting or public, with a reason its producer reads: it never shows.
#[utoipa::path(post, path = "/api/v1/product-photos/{id}/reject", tag = "photos",
    params(("id" = uuid::Uuid, Path, description = "Photo id"), ("If-Match" = Option<String>, Header, description = "The photo's version")),
    request_body = RejectPhoto,
    responses((status = 200, description = "Rejected", body = PhotoView),
              (status = 400, description = "A malformed If-Match", body = ErrorBody),
              (status = 403, description = "Not staff, or outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such photo", body = ErrorBody),
              (status = 409, description = "Already rejected", body = ErrorBody),
              (status = 412, description = "The photo changed since it was read", body = ErrorBody),
              (status = 422, description = "No reason", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/product-photos/<id>/reject", data = "<body>")]
pub async fn reject_photo(
    db: &State<DatabaseConnection>,
    actor: Actor,
    if_match: ExpectedVersion,
    id: &str,
    body: JsonBody<RejectPhoto>,
) -> AppResult<Resource<PhotoView>> {
    let id = parse_id("photo", id)?;
    let view = service::reject(db.inner(), &actor, id, if_match, body.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

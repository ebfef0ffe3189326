//! Document handlers.

use rocket::form::{Errors, Form, FromForm, Strict};
use rocket::http::Status;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::dto::{DocumentUploadForm, DocumentView};
use super::service::{self, Upload};
use super::store::DocumentStore;
use crate::auth::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::export::Download;
use crate::http::Resource;
use crate::http::upload::{FileField, form_error, received, sent};
use crate::ids::parse_id;

/// The multipart form of an upload.
#[derive(FromForm)]
pub struct UploadForm<'r> {
    pub file: FileField<'r>,
    pub subject_id: Option<&'r str>,
}

/// Upload a document (PDF, JPEG or PNG, at most 10 MiB; the type is read from the content).
/// The registry computes its SHA-256; certifications, areas and channels then name it with
/// `evidence_document_id`.
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content = DocumentUploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored document", body = DocumentView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 413, description = "Larger than 10 MiB", body = ErrorBody),
              (status = 415, description = "Not multipart", body = ErrorBody),
              (status = 422, description = "No file, a field the form does not have, a file that is not a PDF, JPEG or PNG (by its content), an unreadable multipart body, or no subject_id from an auditor", body = ErrorBody),
              (status = 503, description = "The process is reading other uploads: send it again in a minute", body = ErrorBody)),
    security(("bearer" = [])))]
// A body that is not a form is forwarded by the form guard and answered 415 by the catcher.
#[post("/api/v1/documents", data = "<form>")]
pub async fn upload_document(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    actor: Actor,
    _slot: crate::limits::UploadSlot,
    // Strict: a field the form does not have (a misspelt `subject_id`) is refused by its
    // name rather than ignored; absent optional fields are still `None`.
    form: Result<Form<Strict<UploadForm<'_>>>, Errors<'_>>,
) -> AppResult<Resource<DocumentView>> {
    let form = form.map_err(|e| form_error(&e, store.max_bytes))?;
    // Sent means sent: an empty `subject_id` is not a UUID (leave the field out instead).
    let subject_id = form
        .subject_id
        .map(|s| parse_id("subject", s))
        .transpose()
        .map_err(|_| AppError::invalid("subject_id", "must be a UUID"))?;
    let file = sent(&form.file, "file", store.max_bytes)?;
    let (file_name, bytes) = received(file)
        .await?
        .ok_or_else(|| AppError::invalid("file", "is required"))?;
    let view = service::upload(
        db.inner(),
        store.inner(),
        &actor,
        Upload {
            subject_id,
            file_name,
            bytes,
        },
    )
    .await?;
    Ok(Resource::with_status(Status::Created, view))
}

/// A document's file, to its subject's owner, the auditors of its unit and administrators.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = uuid::Uuid, Path, description = "Document id")),
    responses((status = 200, description = "The file, with its type and name",
               content((crate::export::FileBody = "application/pdf"), (crate::export::FileBody = "image/jpeg"), (crate::export::FileBody = "image/png"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such document (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/documents/<id>")]
pub async fn get_document(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    actor: Actor,
    id: &str,
) -> AppResult<Download> {
    let id = parse_id("document", id)?;
    let (doc, bytes) = service::read(db.inner(), store.inner(), &actor, id).await?;
    Ok(Download::of(doc.file_name, &doc.content_type, bytes))
}

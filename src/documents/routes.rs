//! Document handlers.

use rocket::form::{Errors, Form, FromForm, Strict};
use rocket::fs::TempFile;
use rocket::http::{ContentType, Status};
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::dto::{DocumentUploadForm, DocumentView};
use super::service::{self, Upload};
use super::store::DocumentStore;
use crate::auth::Actor;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::export::Download;
use crate::http::Resource;
use crate::ids::parse_id;

/// A file field of a form: the file, or what went wrong reading it. (An `Option` would take a
/// file over its limit, or sent twice, for no file at all.)
pub type FileField<'r> = rocket::form::Result<'r, TempFile<'r>>;

/// The multipart form of an upload.
#[derive(FromForm)]
pub struct UploadForm<'r> {
    pub file: FileField<'r>,
    pub subject_id: Option<&'r str>,
}

/// The file sent as `field`, or `None` when none was sent. Rocket has already spooled the part
/// to a temporary file under the form's limit, which is the import's (larger) one: a file over
/// `limit` is refused by its size on disk before a byte of it is read into memory. (Taken apart
/// from [`received`]: a form's errors cannot be held across an `await`.)
pub fn sent<'a, 'r>(
    file: &'a FileField<'r>,
    field: &str,
    limit: u64,
) -> AppResult<Option<&'a TempFile<'r>>> {
    use rocket::form::error::ErrorKind;
    let file = match file {
        Ok(f) if f.len() > 0 => f,
        Ok(_) => return Ok(None),
        Err(errors) if errors.iter().all(|e| matches!(e.kind, ErrorKind::Missing)) => {
            return Ok(None);
        }
        Err(errors)
            if errors
                .iter()
                .any(|e| matches!(e.kind, ErrorKind::Duplicate)) =>
        {
            return Err(AppError::invalid(field, "send one file"));
        }
        Err(errors) => return Err(form_error(errors, limit)),
    };
    if file.len() > limit {
        return Err(AppError::PayloadTooLarge { limit });
    }
    Ok(Some(file))
}

/// The bytes and given name of a file [`sent`].
pub async fn received(file: Option<&TempFile<'_>>) -> AppResult<Option<(String, Vec<u8>)>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let name = file
        .raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_owned())
        .unwrap_or_default();
    let mut bytes = Vec::new();
    file.open()
        .await
        .map_err(|e| AppError::Internal(format!("upload: {e}")))?
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| AppError::Internal(format!("upload: {e}")))?;
    Ok(Some((name, bytes)))
}

/// A form that could not be read: too large, not a readable multipart body, or a field that
/// is not what it should be.
pub fn form_error(errors: &Errors<'_>, limit: u64) -> AppError {
    use rocket::form::error::ErrorKind;
    // A body over a limit names the limit; a garbled multipart body is an "invalid length"
    // with none.
    if errors
        .iter()
        .any(|e| matches!(e.kind, ErrorKind::InvalidLength { max: Some(_), .. }))
    {
        return AppError::PayloadTooLarge { limit };
    }
    if errors.iter().any(|e| {
        matches!(
            e.kind,
            ErrorKind::InvalidLength { .. } | ErrorKind::Io(_) | ErrorKind::Multipart(_)
        )
    }) {
        // Named by the one field this form needs: what could not be read is the file.
        return AppError::invalid("file", "the multipart body could not be read");
    }
    let field = errors
        .iter()
        .find_map(|e| e.name.as_ref().map(|n| n.to_string()))
        .unwrap_or_else(|| "file".to_owned());
    AppError::invalid(&field, "is not valid")
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
    Ok(file_of(doc, bytes))
}

/// A document as a download.
pub fn file_of(doc: DocumentView, bytes: Vec<u8>) -> Download {
    Download {
        file_name: doc.file_name,
        content_type: ContentType::parse_flexible(&doc.content_type).unwrap_or(ContentType::Binary),
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rocket::async_test]
    async fn a_file_over_the_limit_is_refused_by_its_length_before_it_is_read() {
        // A spooled part whose file is gone: reading it would fail, so only a refusal made
        // from the length alone can answer 413.
        let spooled = |len| TempFile::File {
            file_name: None,
            content_type: None,
            path: rocket::Either::Right("/nonexistent/ocop-upload".into()),
            len,
        };
        let over = sent(&Ok(spooled(11)), "file", 10).map(|_| ());
        assert!(
            matches!(over, Err(AppError::PayloadTooLarge { limit: 10 })),
            "{over:?}"
        );
        let spooled_within = Ok(spooled(10));
        let within = received(sent(&spooled_within, "file", 10).unwrap()).await;
        assert!(matches!(within, Err(AppError::Internal(_))), "{within:?}");
        let missing = Err(rocket::form::Errors::from(
            rocket::form::error::ErrorKind::Missing,
        ));
        assert!(matches!(sent(&missing, "file", 10), Ok(None)));
        let twice = Err(rocket::form::Errors::from(
            rocket::form::error::ErrorKind::Duplicate,
        ));
        assert!(matches!(
            sent(&twice, "file", 10),
            Err(AppError::Invalid { .. })
        ));
    }
}

//! Files sent in a multipart form: the field, the file under its limit, and its bytes — shared by
//! the API's uploads and the pages' forms.

use rocket::form::Errors;
use rocket::fs::TempFile;
use rocket::tokio::io::AsyncReadExt;

use crate::error::{AppError, AppResult};

/// A file field of a form: the file, or what went wrong reading it. (An `Option` would take a
/// file over its limit, or sent twice, for no file at all.)
pub type FileField<'r> = rocket::form::Result<'r, TempFile<'r>>;

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

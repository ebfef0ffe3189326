//! The one error type of the registry and the JSON envelope every non-2xx response carries.

use std::collections::BTreeMap;

use rocket::Request;
use rocket::http::Status;
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::i18n::{Lang, Msg};

/// Field name → messages, as in `{"fields": {"tax_code": ["..."]}}`.
pub type FieldErrors = BTreeMap<String, Vec<Msg>>;

/// Every failure a request can meet, mapped to one HTTP status and one stable `code`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 `bad_request`: malformed JSON or query string.
    #[error("{message}")]
    BadRequest {
        /// Said when no field is named; otherwise the fields say it.
        message: Msg,
        fields: Option<FieldErrors>,
    },
    /// 401 `unauthorized`: no token, or a token that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(Msg),
    /// 403 `forbidden`: a valid token whose role or scope does not allow the request.
    #[error("{0}")]
    Forbidden(Msg),
    /// 404 `not_found`.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// 409 `conflict`: duplicate natural key or illegal status move.
    #[error("{0}")]
    Conflict(Msg),
    /// 412 `precondition_failed`: `If-Match` does not match the current version.
    #[error("{0}")]
    PreconditionFailed(Msg),
    /// 413 `payload_too_large`.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(Msg),
    /// 422 `validation_failed`, with the offending fields.
    #[error("invalid input: {fields:?}")]
    Invalid { fields: FieldErrors },
    /// 429 `too_many_requests`.
    #[error("{0}")]
    TooManyRequests(Msg),
    /// 502 `upstream_error`: a marketplace answered badly.
    #[error("channel API error: {0}")]
    Upstream(String),
    /// 503 `unavailable`.
    #[error("{0}")]
    Unavailable(Msg),
    /// 500 (409 for a unique violation): the database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// 500: a bug or an impossible state; the text is logged, never sent.
    #[error("{0}")]
    Internal(String),
}

/// Result alias used by every service.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A 422 naming one field.
    pub fn invalid(field: &str, message: impl Into<Msg>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.into()]);
        AppError::invalid_fields(fields)
    }

    /// A 422 from several fields at once.
    pub fn invalid_fields(fields: FieldErrors) -> Self {
        AppError::Invalid { fields }
    }

    /// A 400 naming one query parameter or body location.
    pub fn bad_request(field: Option<&str>, message: impl Into<Msg>) -> Self {
        let message = message.into();
        match field {
            Some(f) => {
                let mut fields = FieldErrors::new();
                fields.insert(f.to_owned(), vec![message.clone()]);
                AppError::BadRequest {
                    message,
                    fields: Some(fields),
                }
            }
            None => AppError::BadRequest {
                message,
                fields: None,
            },
        }
    }

    /// 404 for an entity id.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// HTTP status and stable code.
    pub fn status_code(&self) -> (Status, &'static str) {
        match self {
            AppError::BadRequest { .. } => (Status::BadRequest, "bad_request"),
            AppError::Unauthorized(_) => (Status::Unauthorized, "unauthorized"),
            AppError::Forbidden(_) => (Status::Forbidden, "forbidden"),
            AppError::NotFound { .. } => (Status::NotFound, "not_found"),
            AppError::Conflict(_) => (Status::Conflict, "conflict"),
            AppError::PreconditionFailed(_) => (Status::PreconditionFailed, "precondition_failed"),
            AppError::PayloadTooLarge { .. } => (Status::PayloadTooLarge, "payload_too_large"),
            AppError::UnsupportedMediaType(_) => {
                (Status::UnsupportedMediaType, "unsupported_media_type")
            }
            AppError::Invalid { .. } => (Status::UnprocessableEntity, "validation_failed"),
            AppError::TooManyRequests(_) => (Status::TooManyRequests, "too_many_requests"),
            AppError::Upstream(_) => (Status::BadGateway, "upstream_error"),
            AppError::Unavailable(_) => (Status::ServiceUnavailable, "unavailable"),
            AppError::Db(e) if busy(e) => (Status::ServiceUnavailable, "unavailable"),
            AppError::Db(e) => match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => (Status::Conflict, "conflict"),
                _ => (Status::InternalServerError, "internal_error"),
            },
            AppError::Internal(_) => (Status::InternalServerError, "internal_error"),
        }
    }

    /// The envelope sent to the client, in `lang`. 5xx bodies are generic: database text never
    /// leaves.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        let (status, code) = self.status_code();
        let render = |fields: &FieldErrors| -> BTreeMap<String, Vec<String>> {
            fields
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(|m| m.render(lang)).collect()))
                .collect()
        };
        let (message, fields) = match self {
            AppError::Invalid { fields }
            | AppError::BadRequest {
                fields: Some(fields),
                ..
            } => {
                let rendered = render(fields);
                (summary(&rendered, lang), Some(rendered))
            }
            AppError::BadRequest { message, .. } => (message.render(lang), None),
            AppError::NotFound { entity, id } => (
                {
                    let key = format!("entity-{}", entity.replace([' ', '_'], "-"));
                    crate::msg!(
                        "error-not-found-record",
                        entity = lang.t_or(&key, entity),
                        id = id
                    )
                    .render(lang)
                },
                None,
            ),
            AppError::PayloadTooLarge { limit } => (
                crate::msg!("error-payload-too-large", limit = size_text(*limit)).render(lang),
                None,
            ),
            AppError::Upstream(text) => (
                crate::msg!("error-upstream", detail = text).render(lang),
                None,
            ),
            AppError::Db(_) if status == Status::Conflict => (lang.t("error-duplicate-key"), None),
            AppError::Db(_) if status == Status::ServiceUnavailable => (lang.t("error-busy"), None),
            AppError::Unavailable(m) => (m.render(lang), None), // said as it is, not "internal"
            _ if status.code >= 500 => (lang.t("error-internal"), None),
            AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::PreconditionFailed(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::TooManyRequests(m) => (m.render(lang), None),
            AppError::Db(_) | AppError::Internal(_) => (lang.t("error-internal"), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                fields,
            },
        }
    }
}

/// The sentence over a refusal's fields: the field and its rule when there is one, else the
/// fields' names.
/// A limit in the unit people read it in: `10 MB`, `64 KB`, `512 byte`.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MB", b >> 20),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} byte"),
    }
}

fn summary(fields: &BTreeMap<String, Vec<String>>, lang: Lang) -> String {
    match fields.iter().next() {
        Some((field, rules)) if fields.len() == 1 && rules.len() == 1 => {
            format!("{}: {}", label(lang, field), rules[0])
        }
        _ => {
            let names: Vec<String> = fields.keys().map(|f| label(lang, f)).collect();
            crate::msg!("error-invalid-fields", fields = names.join(", ")).render(lang)
        }
    }
}

/// A field as a person reads it in `lang` (`label-tax_code`: "Mã số thuế"), or its code when
/// the catalogue has no label for it. Only sentences use labels: `fields` keeps the codes a
/// program reads.
pub fn label(lang: Lang, field: &str) -> String {
    if lang == Lang::En {
        return field.to_owned();
    }
    // A field the catalogue has no label for is named as the API spells it, quoted.
    lang.t_or(&format!("label-{field}"), &format!("“{field}”"))
}

/// Every connection busy past the pool's wait, or SQLite's one writer held past its busy
/// timeout (a long import): the request can be sent again, nothing was written.
fn busy(e: &DbErr) -> bool {
    matches!(e, DbErr::ConnectionAcquire(_)) || e.to_string().contains("database is locked")
}

/// A write that expected another version of its record: 412.
impl From<crate::version::Stale> for AppError {
    fn from(s: crate::version::Stale) -> Self {
        AppError::PreconditionFailed(crate::msg!(
            "precondition-version",
            current = s.current,
            given = s.expected
        ))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        let mut fields = FieldErrors::new();
        flatten_validation("", &errors, &mut fields);
        AppError::invalid_fields(fields)
    }
}

/// Flattens validator's nested errors into `field → messages` with dotted paths. Struct-level
/// rules (`#[validate(schema(...))]`) report under `__all__`; in this code base they set the
/// error's `code` to the field they are about, which becomes the field name.
fn flatten_validation(prefix: &str, errors: &ValidationErrors, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let name = if field == "__all__" {
                        format!("{prefix}{}", e.code)
                    } else {
                        format!("{prefix}{field}")
                    };
                    let message = Msg::from_validation(e);
                    out.entry(name).or_default().push(message);
                }
            }
            ValidationErrorsKind::Struct(inner) => {
                flatten_validation(&format!("{prefix}{field}."), inner, out);
            }
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&format!("{prefix}{field}[{i}]."), inner, out);
                }
            }
        }
    }
}

/// `{"error": {...}}`: the body of every error response.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inside of the error envelope.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct ErrorDetail {
    /// Stable snake_case code (`validation_failed`, `not_found`, …) for clients to translate.
    pub code: String,
    /// A sentence for humans, in the reader's language (`?lang=`, the `lang` cookie, then
    /// `Accept-Language`; Vietnamese by default).
    pub message: String,
    /// Field → messages, for `validation_failed` and some `bad_request` answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

impl ErrorDetail {
    /// Each field with its messages, or the message when no field is named (for a page or the
    /// command line: the envelope's sentence only summarises the fields).
    pub fn message_with_fields(&self) -> String {
        self.message_with_labels(Lang::En)
    }

    /// [`Self::message_with_fields`] for a person: each field by its label in `lang` (`Mã số
    /// thuế`, not `tax_code`).
    pub fn message_with_labels(&self, lang: Lang) -> String {
        match &self.fields {
            Some(f) if !f.is_empty() => f
                .iter()
                .map(|(k, v)| format!("{}: {}", label(lang, k), v.join("; ")))
                .collect::<Vec<_>>()
                .join(", "),
            _ => self.message.clone(),
        }
    }
}

/// A guard's detailed error, kept for the catcher (Rocket catchers cannot see guard errors).
#[derive(Default)]
pub struct StashedError(pub std::sync::Mutex<Option<AppError>>);

/// Keeps `err` for the JSON catcher and returns its status for the failing guard.
pub fn stash(req: &Request<'_>, err: AppError) -> Status {
    let (status, _) = err.status_code();
    let cell = req.local_cache(StashedError::default);
    if let Ok(mut slot) = cell.0.lock() {
        *slot = Some(err);
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Lang, Msg};

    fn rule(lang: Lang, text: &'static str) -> String {
        Msg::from(text).render(lang)
    }

    #[test]
    fn a_pool_too_busy_to_lend_a_connection_is_a_503_to_send_again() {
        let busy = super::AppError::Db(sea_orm::DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        assert_eq!(busy.status_code().0.code, 503);
        assert!(busy.body(Lang::Vi).error.message.contains("gửi lại"));
        let locked = super::AppError::Db(sea_orm::DbErr::Custom(
            "error returned from database: (code: 5) database is locked".into(),
        ));
        assert_eq!(locked.status_code().0.code, 503);
    }

    #[test]
    fn rule_messages_of_a_known_shape_are_translated_with_their_numbers() {
        assert_eq!(rule(Lang::Vi, "at most 255 characters"), "tối đa 255 ký tự");
        assert_eq!(
            rule(Lang::Vi, "must be between 1 and 500"),
            "phải từ 1 đến 500"
        );
        assert_eq!(
            rule(
                Lang::Vi,
                "must be a date written YYYY-MM-DD between 1900-01-01 and 2100-12-31"
            ),
            "phải là ngày viết dạng YYYY-MM-DD, từ 01/01/1900 đến 31/12/2100"
        );
        assert_eq!(
            rule(Lang::En, "at most 255 characters"),
            "at most 255 characters"
        );
        // A text of no known shape is sent as it is.
        assert_eq!(rule(Lang::Vi, "no such shape 12"), "no such shape 12");
    }

    #[test]
    fn coded_messages_read_in_either_language_with_their_particulars() {
        let m = crate::msg!("error-not-found-record", entity = "chủ thể", id = "x1");
        assert!(m.render(Lang::Vi).contains("x1"));
        assert!(m.render(Lang::En).contains("x1"));
        assert_ne!(m.render(Lang::Vi), m.render(Lang::En));
    }
}

//! Errors as HTTP answers: an [`AppError`] a handler returns, and every error Rocket produces
//! itself (unknown path, guard failure, body limits), as the JSON envelope of [`crate::error`]
//! (`Allow` on a `405`, `WWW-Authenticate` on a `401`). Kept apart from the error type, which
//! services use without the limits and logs an answer involves.

use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Request, catch};

use crate::error::{AppError, ErrorBody, ErrorDetail, StashedError};
use crate::i18n::Lang;

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        // A token a handler finds revoked is refused and counted as the guard would have.
        if let AppError::Unauthorized(_) = self
            && bearer_sent(req)
            && let Some(too_many) = crate::limits::failed_authentication(req)
        {
            return too_many.respond_to(req);
        }
        let (status, _) = self.status_code();
        if status.code >= 500 {
            tracing::error!(
                request_id = crate::telemetry::request_id(req),
                method = req.method().as_str(),
                path = crate::telemetry::logged_path(req).as_str(),
                status = status.code,
                error = crate::telemetry::cause_chain(&self),
                "request failed"
            );
        }
        crate::limits::remember_wait(req, &self);
        let mut res = Json(self.body(Lang::of(req))).respond_to(req)?;
        res.set_status(status);
        if let AppError::Unauthorized(_) = self {
            res.set_raw_header("WWW-Authenticate", "Bearer");
        }
        Ok(res)
    }
}

/// Whether the request presents a `Bearer` token (a marketplace's signed push carries its
/// signature in `Authorization` too, and is not a token).
fn bearer_sent(req: &Request<'_>) -> bool {
    req.headers()
        .get_one("Authorization")
        .and_then(|h| h.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
}

/// Whether a route's path pattern (`/api/v1/subjects/<id>`, `/docs/<file..>`) matches a path.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), _) if w.starts_with('<') && w.ends_with("..>") => return true,
            (Some(w), Some(g)) if w.starts_with('<') && w.ends_with('>') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// The methods the application serves at this request's path (empty: the path is unknown).
fn allowed_methods(req: &Request<'_>) -> Vec<String> {
    let path = req.uri().path();
    let mut methods: Vec<String> = req
        .rocket()
        .routes()
        .filter(|r| pattern_matches(r.uri.path(), path.as_str()))
        .map(|r| r.method.as_str().to_owned())
        .collect();
    methods.sort();
    methods.dedup();
    methods
}

/// A caught error: the envelope, and `Allow` for a method the path does not have.
pub struct Caught {
    status: Status,
    body: ErrorBody,
    allow: Option<String>,
}

impl<'r> Responder<'r, 'static> for Caught {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Json(self.body).respond_to(req)?;
        res.set_status(self.status);
        if let Some(allow) = self.allow {
            res.set_raw_header("Allow", allow);
        }
        Ok(res)
    }
}

/// Turns every error Rocket produces itself (unknown path, guard failure, body limits) into the
/// JSON envelope: never HTML. A known path asked with a method it does not have is a `405`
/// with `Allow`.
#[catch(default)]
pub fn json_catcher(status: Status, req: &Request<'_>) -> Caught {
    let lang = Lang::of(req);
    let stashed = req
        .local_cache(StashedError::default)
        .0
        .lock()
        .ok()
        .and_then(|mut s| s.take());
    if let Some(err) = stashed {
        return Caught {
            status,
            body: err.body(lang),
            allow: None,
        };
    }
    // Rocket answers a method it does not know (`QUERY`) with a 400 on a salvaged GET of the
    // same path, before any route or guard: nothing else reaches here as an unexplained 400.
    let unknown_method = status == Status::BadRequest;
    if status == Status::NotFound || unknown_method {
        let methods = allowed_methods(req);
        if !methods.is_empty()
            && (unknown_method || !methods.iter().any(|m| m == req.method().as_str()))
        {
            let message = crate::msg!(
                "error-method-not-allowed",
                method = req.method(),
                path = req.uri().path(),
                allowed = methods.join(", "),
            );
            return Caught {
                status: Status::MethodNotAllowed,
                body: ErrorBody {
                    error: ErrorDetail {
                        code: "method_not_allowed".to_owned(),
                        message: message.render(lang),
                        fields: None,
                    },
                },
                allow: Some(methods.join(", ")),
            };
        }
    }
    let (code, message) = match status.code {
        400 => ("bad_request", lang.t("error-malformed")),
        401 => ("unauthorized", lang.t("error-token-required")),
        403 => ("forbidden", lang.t("error-not-allowed")),
        404 => (
            "not_found",
            crate::msg!(
                "error-no-resource",
                method = req.method(),
                path = req.uri().path()
            )
            .render(lang),
        ),
        413 => ("payload_too_large", lang.t("error-body-too-large")),
        415 => ("unsupported_media_type", lang.t("error-media-type")),
        422 => ("validation_failed", lang.t("error-not-understood")),
        429 => ("too_many_requests", lang.t("error-slow-down")),
        c if c >= 500 => ("internal_error", lang.t("error-internal")),
        _ => (
            "error",
            status.reason().unwrap_or("error").to_ascii_lowercase(),
        ),
    };
    Caught {
        status,
        body: ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                fields: None,
            },
        },
        allow: None,
    }
}

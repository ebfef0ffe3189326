//! `/openapi.json` and the Swagger UI that reads it at `/docs/`.

use std::io::Cursor;
use std::sync::Arc;

use rocket::http::uri::Origin;
use rocket::http::{ContentType, Header};
use rocket::response::{self, Redirect, Responder};
use rocket::{Either, Request, Response, get};
use utoipa::OpenApi;

use crate::error::{AppError, AppResult, ErrorBody};

/// The OpenAPI 3.1 document, generated from the handlers' annotations.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub fn openapi_json() -> (ContentType, String) {
    let doc = super::ApiDoc::openapi();
    let body = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    (ContentType::JSON, body)
}

/// One file of the Swagger UI bundled in the binary.
pub struct DocsFile(utoipa_swagger_ui::SwaggerFile<'static>);

impl<'r> Responder<'r, 'static> for DocsFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let file = self.0;
        let mut res = Response::build();
        res.header(Header::new("Content-Type", file.content_type));
        if file.gzpipped {
            res.header(Header::new("Content-Encoding", "gzip"));
        }
        res.sized_body(file.bytes.len(), Cursor::new(file.bytes))
            .ok()
    }
}

/// Swagger UI for `/openapi.json`. Its files are compiled into the program (the `vendored`
/// bundle), not fetched from a CDN: a registry may well run where there is no internet.
#[utoipa::path(get, path = "/docs/{file}", tag = "meta",
    params(("file" = String, Path, description = "a file of the UI; empty for its page", pattern = "^[A-Za-z0-9._-]*$")),
    responses((status = 200, description = "The UI's page, script or style sheet", content_type = "text/html"),
              (status = 303, description = "`/docs` is redirected to `/docs/`"),
              (status = 404, description = "No such file of the UI", body = ErrorBody)))]
#[get("/docs/<file..>")]
pub fn docs(
    file: rocket::http::uri::Segments<'_, rocket::http::uri::fmt::Path>,
    uri: &Origin<'_>,
) -> AppResult<Either<Redirect, DocsFile>> {
    // Any segments are taken (a malformed name is simply not one of the UI's files: 404).
    let path = file.collect::<Vec<_>>().join("/");
    // The page loads its scripts by relative paths: they resolve only under `/docs/`.
    if path.is_empty() && !uri.path().as_str().ends_with('/') {
        return Ok(Either::Left(Redirect::to("/docs/")));
    }
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve(&path, config) {
        Ok(Some(f)) => Ok(Either::Right(DocsFile(f))),
        Ok(None) => Err(AppError::not_found("documentation file", path)),
        Err(e) => Err(AppError::Internal(format!("swagger ui: {e}"))),
    }
}

//! `/health` and `/openapi.json`.

use rocket::State;
use rocket::get;
use rocket::http::ContentType;
use rocket::serde::json::Json;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::db::backend_name;
use crate::error::{AppError, AppResult, ErrorBody};

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![health, openapi_json]
}

/// Liveness and database reachability.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Program version.
    pub version: String,
}

/// Liveness: answers 200 when the database answers.
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "Up", body = Health),
              (status = 503, description = "The database does not answer", body = ErrorBody)))]
#[get("/health")]
pub async fn health(db: &State<DatabaseConnection>) -> AppResult<Json<Health>> {
    db.ping()
        .await
        .map_err(|_| AppError::Unavailable("the database does not answer".to_owned()))?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: backend_name(db.inner()).to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// The OpenAPI 3.1 document, generated from the handlers' annotations.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
#[get("/openapi.json")]
pub fn openapi_json() -> (ContentType, String) {
    let doc = crate::openapi::ApiDoc::openapi();
    let body = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    (ContentType::JSON, body)
}

//! `/health`, and `/metrics` (and the separate metrics address).

use rocket::http::ContentType;
use rocket::serde::json::Json;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::backend_name;
use crate::domain::Role;
use crate::error::{AppError, AppResult, ErrorBody};

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![health, metrics]
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
        .map_err(|_| AppError::Unavailable("the database does not answer".into()))?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: backend_name(db.inner()).to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// The process's metrics in Prometheus's text format, for administrators (or open on the
/// separate address the operator chooses with `ROCKET_METRICS_ADDRESS`).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    security(("bearer" = [])),
    responses((status = 200, description = "Prometheus metrics (OpenMetrics text)",
               content_type = "application/openmetrics-text"),
              (status = 401, description = "No valid token", body = crate::error::ErrorBody),
              (status = 403, description = "Not an administrator", body = crate::error::ErrorBody)))]
#[get("/metrics")]
pub async fn metrics(
    db: &State<DatabaseConnection>,
    actor: Actor,
) -> AppResult<(ContentType, String)> {
    actor.require(&[Role::Admin])?;
    open_metrics(db.inner()).await
}

/// The metrics' answer, whoever asks (the separate metrics address has no other route).
pub(crate) async fn open_metrics(db: &DatabaseConnection) -> AppResult<(ContentType, String)> {
    let queue = crate::sync::webhooks::queue(db).await?;
    let text = crate::telemetry::render(db, queue)?;
    let kind = ContentType::new("application", "openmetrics-text")
        .with_params([("version", "1.0.0"), ("charset", "utf-8")]);
    Ok((kind, text))
}

#[get("/metrics")]
async fn unguarded_metrics(db: &State<DatabaseConnection>) -> AppResult<(ContentType, String)> {
    open_metrics(db.inner()).await
}

/// Serves `/metrics`, and nothing else, without a token on `address`: an address the operator
/// keeps private (loopback, a management network) for Prometheus.
pub fn metrics_listener(
    address: std::net::SocketAddr,
    db: DatabaseConnection,
) -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_liftoff("metrics address", move |_| {
        Box::pin(async move {
            let figment = rocket::Config::figment()
                .merge(("address", address.ip()))
                .merge(("port", address.port()))
                .merge(("log_level", rocket::config::LogLevel::Off))
                .merge(("cli_colors", false));
            let server = rocket::custom(figment)
                .manage(db)
                .mount("/", rocket::routes![unguarded_metrics]);
            tokio::spawn(async move {
                if let Err(e) = server.launch().await {
                    tracing::error!(error = %e, "the metrics address stopped");
                }
            });
        })
    })
}

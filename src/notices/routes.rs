//! Notice handlers.

use rocket::serde::json::Json;
use rocket::{State, get};
use sea_orm::DatabaseConnection;

use super::dto::NoticeList;
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::i18n::Lang;

/// The owner's notices: a recognition or certificate expiring within 90 days, a certification
/// rejected or suspended (with the reason), an identity change request decided in the last 90
/// days — soonest first, in the reader's language (owners).
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices",
    responses((status = 200, description = "The notices", body = NoticeList),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an owner", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/notices")]
pub async fn list_notices(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: Lang,
) -> AppResult<Json<NoticeList>> {
    Ok(Json(
        service::for_owner(db.inner(), &actor, crate::clock::today(), lang).await?,
    ))
}

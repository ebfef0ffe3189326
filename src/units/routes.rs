//! Unit handlers.

use rocket::State;
use rocket::get;
use rocket::serde::json::Json;
use sea_orm::DatabaseConnection;

use super::dto::{UnitDetail, UnitQuery, UnitView};
use super::service;
use crate::auth::Actor;
use crate::domain::Role;
use crate::error::{AppResult, ErrorBody};
use crate::http::QueryParams;
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};

/// List administrative unit versions.
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    params(UnitQuery, PageParams),
    responses((status = 200, description = "A page of unit versions", body = Paginated<UnitView>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/units")]
pub async fn list_units(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<UnitQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<UnitView>>> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    Ok(Json(service::list(db.inner(), &query.0, &page.0).await?))
}

/// One unit version with its parent, children, successors and predecessors.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units",
    params(("id" = uuid::Uuid, Path, description = "Unit id")),
    responses((status = 200, description = "The unit", body = UnitDetail),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 404, description = "No such unit", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/units/<id>")]
pub async fn get_unit(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Json<UnitDetail>> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let id = parse_id("unit", id)?;
    Ok(Json(service::get(db.inner(), id).await?))
}

//! Raw-material area handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{AreaList, AreaView, CreateArea, UpdateArea};
use super::{service, verification};
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::lifecycle::TransitionInput;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// A subject's raw-material areas, with their exact total.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/areas", tag = "areas",
    params(("id" = uuid::Uuid, Path, description = "Subject id"), PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of areas and the total hectares, or all the areas as a CSV or XLSX file headed as the areas import reads them",
               content((AreaList = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects/<id>/areas")]
pub async fn list_areas(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    id: &str,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<AreaList>, crate::export::Download>> {
    let id = parse_id("subject", id)?;
    let (db, actor) = (db.inner(), &actor);
    let pages = |p: PageParams| async move {
        let list = service::list(db, actor, id, &p).await?;
        Ok(crate::pagination::Paginated::new(
            list.items, &p, list.total,
        ))
    };
    if let Some((sheet, format, lang)) = crate::export::file_of(&export.0, lang, pages).await? {
        return crate::export::download(&sheet, format, lang);
    }
    Ok(rocket::Either::Left(Json(
        service::list(db, actor, id, &page.0).await?,
    )))
}

/// Add a raw-material area (with its linkage contract when linked).
#[utoipa::path(post, path = "/api/v1/subjects/{id}/areas", tag = "areas", request_body = CreateArea,
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 201, description = "The new area", body = AreaView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects/<id>/areas", data = "<input>")]
pub async fn create_area(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateArea>,
) -> AppResult<Resource<AreaView>> {
    let id = parse_id("subject", id)?;
    let view = service::create(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// One raw-material area.
#[utoipa::path(get, path = "/api/v1/areas/{id}", tag = "areas",
    params(("id" = uuid::Uuid, Path, description = "Area id")),
    responses((status = 200, description = "The area", body = AreaView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such area (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/areas/<id>")]
pub async fn get_area(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<AreaView>> {
    let id = parse_id("area", id)?;
    let view = service::get(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Edit a raw-material area.
#[utoipa::path(patch, path = "/api/v1/areas/{id}", tag = "areas", request_body = UpdateArea,
    params(("id" = uuid::Uuid, Path, description = "Area id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited area", body = AreaView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such area (or not the owner's)", body = ErrorBody),
              (status = 409, description = "A revoked area cannot be edited", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/areas/<id>", data = "<input>")]
pub async fn update_area(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateArea>,
) -> AppResult<Resource<AreaView>> {
    let id = parse_id("area", id)?;
    let view = service::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Filters of `GET /api/v1/areas`.
#[derive(Debug, serde::Deserialize, validator::Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// Only areas in this status (`submitted`: the ones waiting for an auditor).
    pub status: Option<crate::domain::CertStatus>,
}

/// Raw-material areas (with their linkage contracts) of every subject the token reaches
/// (administrators; auditors in their unit), oldest change first: the work queue with
/// `status=submitted`.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas",
    params(AreaQuery, PageParams),
    responses((status = 200, description = "A page of areas", body = Paginated<AreaView>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator or auditor", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/areas")]
pub async fn list_all_areas(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<AreaQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<AreaView>>> {
    Ok(Json(
        service::list_all(db.inner(), &actor, query.0.status, &page.0).await?,
    ))
}

/// Move a raw-material area along the certification lifecycle (administrators, auditors).
#[utoipa::path(post, path = "/api/v1/areas/{id}/transitions", tag = "areas",
    request_body = TransitionInput,
    params(("id" = uuid::Uuid, Path, description = "Area id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being moved")),
    responses((status = 200, description = "The area after the move", body = AreaView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such area", body = ErrorBody),
              (status = 409, description = "Illegal move", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/areas/<id>/transitions", data = "<input>")]
pub async fn transition_area(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<TransitionInput>,
) -> AppResult<Resource<AreaView>> {
    let id = parse_id("area", id)?;
    let view =
        verification::transition(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

//! Draft handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{CompleteDraft, CreateDraft, DiscardDraft, DraftQuery, DraftView};
use super::service;
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// Keep an incomplete subject or recognition as a draft, with what it misses (administrators;
/// auditors within their unit).
#[utoipa::path(post, path = "/api/v1/drafts", tag = "drafts",
    request_body = CreateDraft,
    responses((status = 201, description = "The draft, with its missing fields", body = DraftView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such product", body = ErrorBody),
              (status = 422, description = "A given field breaks its rule, something that identifies the record is missing, or nothing is", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/drafts", data = "<input>")]
pub async fn create_draft(
    db: &State<DatabaseConnection>,
    actor: Actor,
    input: JsonBody<CreateDraft>,
) -> AppResult<Resource<DraftView>> {
    let view = service::create(db.inner(), &actor, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// Records kept as drafts, newest first (administrators; auditors within their unit).
#[utoipa::path(get, path = "/api/v1/drafts", tag = "drafts",
    params(DraftQuery, PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of drafts, or all of them as a CSV or XLSX file (recorded in the audit trail)",
               content((Paginated<DraftView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role not allowed", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/drafts")]
pub async fn list_drafts(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    uri: &rocket::http::uri::Origin<'_>,
    query: QueryParams<DraftQuery>,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<DraftView>>, crate::export::Download>> {
    let (db, actor, q) = (db.inner(), &actor, &query.0);
    let list = |p| async move { service::list(db, actor, q, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            // Drafts hold what the lists said of people (names, phones).
            crate::audit::service::record_export(db, actor, &sheet, &uri.to_string()).await?;
            crate::export::download(&sheet, format, lang)
        }
    }
}

/// One draft.
#[utoipa::path(get, path = "/api/v1/drafts/{id}", tag = "drafts",
    params(("id" = uuid::Uuid, Path, description = "Draft id")),
    responses((status = 200, description = "The draft", body = DraftView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such draft", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/drafts/<id>")]
pub async fn get_draft(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<DraftView>> {
    let id = parse_id("draft", id)?;
    let view = service::get(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Add what a draft misses; once nothing is, the record is registered (every rule of its create
/// request applies) and the draft closed, in one transaction.
#[utoipa::path(patch, path = "/api/v1/drafts/{id}", tag = "drafts",
    request_body = CompleteDraft,
    params(("id" = uuid::Uuid, Path, description = "Draft id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The draft (with record_id once completed)", body = DraftView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such draft", body = ErrorBody),
              (status = 409, description = "Completed already, or the record conflicts with another", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "A field breaks its rule", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/drafts/<id>", data = "<input>")]
pub async fn complete_draft(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<CompleteDraft>,
) -> AppResult<Resource<DraftView>> {
    let id = parse_id("draft", id)?;
    let view = service::complete(db.inner(), &actor, id, input.into_inner(), if_match.0).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Close an open draft without a record, with a reason (a row that was never an OCOP subject, a
/// duplicate); it stays, closed, and the reason is in the audit trail.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/discard", tag = "drafts",
    request_body = DiscardDraft,
    params(("id" = uuid::Uuid, Path, description = "Draft id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being closed")),
    responses((status = 200, description = "The draft, discarded", body = DraftView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such draft", body = ErrorBody),
              (status = 409, description = "Completed or discarded already", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "No reason", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/drafts/<id>/discard", data = "<input>")]
pub async fn discard_draft(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<DiscardDraft>,
) -> AppResult<Resource<DraftView>> {
    let id = parse_id("draft", id)?;
    let view = service::discard(db.inner(), &actor, id, input.into_inner(), if_match.0).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

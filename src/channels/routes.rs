//! Channel and listing handlers.

use rocket::State;
use rocket::serde::json::Json;
use rocket::{get, patch, post};
use sea_orm::DatabaseConnection;

use super::dto::{
    ChannelView, CreateChannel, ListingQuery, ListingView, RejectChannel, UpdateChannel,
    VerifyChannel,
};
use super::{listings, service, verification};
use crate::auth::Actor;
use crate::error::{AppResult, ErrorBody};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// A subject's sales channels.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/channels", tag = "channels",
    params(("id" = uuid::Uuid, Path, description = "Subject id"), PageParams),
    responses((status = 200, description = "A page of channels", body = Paginated<ChannelView>),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subjects/<id>/channels")]
pub async fn list_channels(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<ChannelView>>> {
    let id = parse_id("subject", id)?;
    Ok(Json(service::list(db.inner(), &actor, id, &page.0).await?))
}

/// Declare a sales channel.
#[utoipa::path(post, path = "/api/v1/subjects/{id}/channels", tag = "channels",
    request_body = CreateChannel,
    params(("id" = uuid::Uuid, Path, description = "Subject id")),
    responses((status = 201, description = "The declared channel", body = ChannelView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such subject (or not the owner's)", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subjects/<id>/channels", data = "<input>")]
pub async fn create_channel(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    input: JsonBody<CreateChannel>,
) -> AppResult<Resource<ChannelView>> {
    let id = parse_id("subject", id)?;
    let view = service::create(db.inner(), &actor, id, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::created(view, version))
}

/// Filters of `GET /api/v1/channels`.
#[derive(Debug, serde::Deserialize, validator::Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Only channels in this state (`declared`: the ones waiting for an auditor).
    pub verification: Option<crate::domain::VerificationStatus>,
}

/// Sales channels of every subject the token reaches (administrators; auditors in their
/// unit), oldest change first: the work queue with `verification=declared`.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    params(ChannelQuery, PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of channels, or all of them as a CSV or XLSX file",
               content((Paginated<ChannelView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an administrator or auditor", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/channels")]
pub async fn list_all_channels(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    query: QueryParams<ChannelQuery>,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<ChannelView>>, crate::export::Download>> {
    let (db, actor, verification) = (db.inner(), &actor, query.0.verification);
    let list = |p| async move { service::list_all(db, actor, verification, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            crate::export::download(&sheet, format, lang)
        }
    }
}

/// One sales channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 200, description = "The channel", body = ChannelView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such channel (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/channels/<id>")]
pub async fn get_channel(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Resource<ChannelView>> {
    let id = parse_id("channel", id)?;
    let view = service::get(db.inner(), &actor, id).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Edit a sales channel (an owner's change of kind, platform or shop withdraws its verification).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = UpdateChannel,
    params(("id" = uuid::Uuid, Path, description = "Channel id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The edited channel", body = ChannelView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such channel (or not the owner's)", body = ErrorBody),
              (status = 409, description = "The shop is already registered as another subject's channel for an overlapping period, or the channel is connected to its shop (disconnect it before changing the shop, platform or kind)", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/channels/<id>", data = "<input>")]
pub async fn update_channel(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<UpdateChannel>,
) -> AppResult<Resource<ChannelView>> {
    let id = parse_id("channel", id)?;
    let view = service::update(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Verify a channel (administrators, auditors).
#[utoipa::path(post, path = "/api/v1/channels/{id}/verify", tag = "channels", request_body = VerifyChannel,
    params(("id" = uuid::Uuid, Path, description = "Channel id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being verified")),
    responses((status = 200, description = "The verified channel", body = ChannelView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such channel", body = ErrorBody),
              (status = 409, description = "Already verified", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/channels/<id>/verify", data = "<input>")]
pub async fn verify_channel(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<VerifyChannel>,
) -> AppResult<Resource<ChannelView>> {
    let id = parse_id("channel", id)?;
    let view = verification::verify(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// Refuse a declared channel or withdraw a verified one (administrators, auditors), with a reason.
#[utoipa::path(post, path = "/api/v1/channels/{id}/reject", tag = "channels", request_body = RejectChannel,
    params(("id" = uuid::Uuid, Path, description = "Channel id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being refused")),
    responses((status = 200, description = "The channel, rejected", body = ChannelView, headers(("ETag" = String))),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Not an auditor of this unit", body = ErrorBody),
              (status = 404, description = "No such channel", body = ErrorBody),
              (status = 409, description = "Already rejected", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/channels/<id>/reject", data = "<input>")]
pub async fn reject_channel(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<RejectChannel>,
) -> AppResult<Resource<ChannelView>> {
    let id = parse_id("channel", id)?;
    let view = verification::reject(db.inner(), &actor, id, if_match, input.into_inner()).await?;
    let version = view.version;
    Ok(Resource::ok(view, version))
}

/// A channel's listings as the sync saw them.
#[utoipa::path(get, path = "/api/v1/channels/{id}/listings", tag = "channels",
    params(("id" = uuid::Uuid, Path, description = "Channel id"), ListingQuery, PageParams, crate::export::ExportParams),
    responses((status = 200, description = "A page of listings, most recently seen first, or all of them as a CSV or XLSX file",
               content((Paginated<ListingView> = "application/json"), (crate::export::FileBody = "text/csv"),
                       (crate::export::FileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such channel (or not the owner's)", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/channels/<id>/listings")]
pub async fn list_listings(
    db: &State<DatabaseConnection>,
    actor: Actor,
    lang: crate::i18n::Lang,
    id: &str,
    query: QueryParams<ListingQuery>,
    page: QueryParams<PageParams>,
    export: QueryParams<crate::export::ExportParams>,
) -> AppResult<rocket::Either<Json<Paginated<ListingView>>, crate::export::Download>> {
    let id = parse_id("channel", id)?;
    let (db, actor, q) = (db.inner(), &actor, &query.0);
    let list = |p| async move { listings::listings(db, actor, id, q, &p).await };
    match crate::export::page_or_file(&export.0, lang, &page.0, list).await? {
        rocket::Either::Left(page) => Ok(rocket::Either::Left(Json(page))),
        rocket::Either::Right((sheet, format, lang)) => {
            crate::export::download(&sheet, format, lang)
        }
    }
}

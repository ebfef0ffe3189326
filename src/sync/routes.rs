//! Channel-sync handlers.

use std::collections::HashMap;

use rocket::data::{FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::http::Status;
use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::serde::json::Json;
use rocket::{Data, Request, State, delete, get, patch, post, put};
use sea_orm::DatabaseConnection;

use super::dto::{
    ConnectionInput, ConnectionView, MatchListing, SyncOptions, SyncRunQuery, SyncRunView,
    WebhookAck,
};
use super::settings::SyncSettings;
use super::webhooks::{self, Delivery, MAX_BODY, Received};
use super::{authorize, connection, runs};
use crate::auth::Actor;
use crate::channels::dto::ListingView;
use crate::error::{AppError, AppResult, ErrorBody, stash};
use crate::http::{JsonBody, QueryParams, Resource};
use crate::ids::parse_id;
use crate::pagination::{PageParams, Paginated};
use crate::version::ExpectedVersion;

/// A channel's marketplace connection (secrets are never served).
#[utoipa::path(get, path = "/api/v1/channels/{id}/connection", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 200, description = "The connection", body = ConnectionView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such channel or no connection", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/channels/<id>/connection")]
pub async fn get_channel_connection(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Json<ConnectionView>> {
    let id = parse_id("channel", id)?;
    Ok(Json(connection::get(db.inner(), &actor, id).await?))
}

/// Configure how the registry reaches the channel's shop (administrators and the owner).
#[utoipa::path(put, path = "/api/v1/channels/{id}/connection", tag = "sync", request_body = ConnectionInput,
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 200, description = "The connection, without its secrets", body = ConnectionView),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role not allowed", body = ErrorBody),
              (status = 404, description = "No such channel (or not the owner's)", body = ErrorBody),
              (status = 409, description = "The shop is already connected to another channel", body = ErrorBody),
              (status = 422, description = "Invalid fields", body = ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/channels/<id>/connection", data = "<input>")]
pub async fn put_channel_connection(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    actor: Actor,
    id: &str,
    input: JsonBody<ConnectionInput>,
) -> AppResult<Json<ConnectionView>> {
    let id = parse_id("channel", id)?;
    Ok(Json(
        connection::put(db.inner(), settings.inner(), &actor, id, input.into_inner()).await?,
    ))
}

/// Disconnect the channel's shop: the registry stops reading it (its listings stay as seen).
#[utoipa::path(delete, path = "/api/v1/channels/{id}/connection", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 204, description = "Disconnected"),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such channel or no connection", body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/channels/<id>/connection")]
pub async fn delete_channel_connection(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
) -> AppResult<Status> {
    let id = parse_id("channel", id)?;
    connection::disconnect(db.inner(), &actor, id).await?;
    Ok(Status::NoContent)
}

/// Connect the channel's shop through the marketplace: a redirect to the marketplace's consent
/// page for the registry's own app (the channel's owner, or an administrator). The marketplace
/// sends the browser back to `/oauth/{platform}/callback`, which finishes the connection only in
/// the browser that followed this redirect (the `ocop_connect` cookie set with it): a consent
/// link passed to someone else attaches nothing.
#[utoipa::path(get, path = "/api/v1/channels/{id}/authorize", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Channel id")),
    responses((status = 302, description = "To the marketplace's consent page; the `ocop_connect` cookie binds the flow to this browser", headers(("Location" = String), ("Set-Cookie" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role not allowed", body = ErrorBody),
              (status = 404, description = "No such channel (or not the owner's)", body = ErrorBody),
              (status = 422, description = "Not a Shopee, Lazada or TikTok Shop shop, or the registry's app for that marketplace is not configured", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/channels/<id>/authorize")]
pub async fn authorize_channel(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    actor: Actor,
    base: crate::http::BaseUrl,
    sessions: &State<crate::users::sessions::Policy>,
    jar: &rocket::http::CookieJar<'_>,
    id: &str,
) -> AppResult<rocket::response::Redirect> {
    let id = parse_id("channel", id)?;
    let started = authorize::start(db.inner(), settings.inner(), &actor, id, &base.0).await?;
    // The browser that follows this redirect keeps the state: only it may finish the flow.
    jar.add(
        rocket::http::Cookie::build((authorize::BROWSER_COOKIE, started.state))
            .path("/oauth")
            .http_only(true)
            .same_site(rocket::http::SameSite::Lax)
            .secure(sessions.secure_cookie),
    );
    Ok(rocket::response::Redirect::found(started.url))
}

/// Sync the channel now; answers with the finished run (failed runs included).
#[utoipa::path(post, path = "/api/v1/channels/{id}/sync", tag = "sync",
    params(("id" = uuid::Uuid, Path, description = "Channel id"), SyncOptions),
    responses((status = 200, description = "The run, succeeded or failed with its reason", body = SyncRunView),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Role or unit not allowed", body = ErrorBody),
              (status = 404, description = "No such channel", body = ErrorBody),
              (status = 409, description = "A sync of this channel is running", body = ErrorBody),
              (status = 422, description = "The channel has no pullable connection", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/channels/<id>/sync")]
pub async fn sync_channel(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    actor: Actor,
    id: &str,
    options: QueryParams<SyncOptions>,
) -> AppResult<Json<SyncRunView>> {
    let id = parse_id("channel", id)?;
    Ok(Json(
        runs::sync_channel(db.inner(), settings.inner(), &actor, id, &options.0).await?,
    ))
}

/// Sync runs, newest first.
#[utoipa::path(get, path = "/api/v1/sync-runs", tag = "sync", params(SyncRunQuery, PageParams),
    responses((status = 200, description = "A page of sync runs", body = Paginated<SyncRunView>),
              (status = 400, description = "Malformed query", body = ErrorBody),
              (status = 401, description = "No or bad token", body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/sync-runs")]
pub async fn list_sync_runs(
    db: &State<DatabaseConnection>,
    actor: Actor,
    query: QueryParams<SyncRunQuery>,
    page: QueryParams<PageParams>,
) -> AppResult<Json<Paginated<SyncRunView>>> {
    Ok(Json(
        runs::list_runs(db.inner(), &actor, &query.0, &page.0).await?,
    ))
}

/// Match a listing to one of the subject's products (or unmatch with `null`).
#[utoipa::path(patch, path = "/api/v1/listings/{id}", tag = "channels", request_body = MatchListing,
    params(("id" = uuid::Uuid, Path, description = "Listing id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the version being edited")),
    responses((status = 200, description = "The listing", body = ListingView, headers(("ETag" = String))),
              (status = 401, description = "No or bad token", body = ErrorBody),
              (status = 403, description = "Outside the auditor's unit", body = ErrorBody),
              (status = 404, description = "No such listing (or not the owner's)", body = ErrorBody),
              (status = 412, description = "Stale If-Match", body = ErrorBody),
              (status = 422, description = "Not a product of the listing's subject", body = ErrorBody)),
    security(("bearer" = [])))]
#[patch("/api/v1/listings/<id>", data = "<input>")]
pub async fn match_listing(
    db: &State<DatabaseConnection>,
    actor: Actor,
    id: &str,
    if_match: ExpectedVersion,
    input: JsonBody<MatchListing>,
) -> AppResult<Resource<ListingView>> {
    let id = parse_id("listing", id)?;
    let (view, version) = crate::channels::listings::match_listing(
        db.inner(),
        &actor,
        id,
        if_match,
        input.into_inner().product_id,
    )
    .await?;
    Ok(Resource::ok(view, version))
}

/// The raw body of a push, at most 256 KiB (413 beyond).
pub struct RawBody(pub Vec<u8>);

#[rocket::async_trait]
impl<'r> FromData<'r> for RawBody {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        match data.open(MAX_BODY.bytes()).into_bytes().await {
            Ok(b) if b.is_complete() => Outcome::Success(RawBody(b.into_inner())),
            Ok(_) => Outcome::Error((
                stash(req, AppError::PayloadTooLarge { limit: MAX_BODY }),
                (),
            )),
            Err(e) => Outcome::Error((
                stash(
                    req,
                    AppError::bad_request(None, format!("could not read the body: {e}")),
                ),
                (),
            )),
        }
    }
}

/// The request's headers (lowercase names) and the URL it was sent to.
pub struct PushContext {
    headers: HashMap<String, String>,
    url: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PushContext {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        let headers = req
            .headers()
            .iter()
            .map(|h| (h.name().as_str().to_ascii_lowercase(), h.value().to_owned()))
            .collect();
        let base = crate::http::public_base(req);
        Outcome::Success(PushContext {
            headers,
            url: format!("{base}{}", req.uri()),
        })
    }
}

/// A signed push from a marketplace (`shopee`, `lazada`, `tiktok_shop`) or a partner using the
/// registry's own scheme (`feed`). No token: the signature authenticates it.
#[utoipa::path(post, path = "/api/v1/webhooks/{platform}", tag = "sync",
    params(("platform" = String, Path, description = "shopee, lazada, tiktok_shop or feed"),
           ("X-Ocop-Channel" = Option<String>, Header, description = "feed: the channel id"),
           ("X-Ocop-Event-Id" = Option<String>, Header, description = "feed: unique per event"),
           ("X-Ocop-Timestamp" = Option<String>, Header, description = "feed: Unix seconds, within 300 s"),
           ("X-Ocop-Signature" = Option<String>, Header, description = "feed: hex HMAC-SHA256 of \"{timestamp}.{event id}.{body}\" (docs/webhooks.md has a worked example)"),
           ("Authorization" = Option<String>, Header, description = "shopee, lazada, tiktok_shop: the marketplace's signature")),
    request_body(content = String, description = "The push as the sender signed it", content_type = "application/json"),
    responses((status = 202, description = "Stored; processed shortly", body = WebhookAck),
              (status = 200, description = "Already received; nothing done again", body = WebhookAck),
              (status = 401, description = "Signature, timestamp or sender not verified", body = ErrorBody),
              (status = 404, description = "Unknown platform", body = ErrorBody),
              (status = 413, description = "Body larger than 256 KiB", body = ErrorBody)))]
#[post("/api/v1/webhooks/<platform>", data = "<body>")]
pub async fn receive_webhook(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    platform: &str,
    context: PushContext,
    body: RawBody,
) -> AppResult<Resource<WebhookAck>> {
    let delivery = Delivery {
        platform,
        headers: context.headers,
        body: &body.0,
        url: context.url,
    };
    match webhooks::receive(db.inner(), settings.inner(), delivery).await? {
        Received::Accepted(id) => {
            // Process soon in this process; any process's scheduler picks it up otherwise.
            let (db, settings) = (db.inner().clone(), settings.inner().clone());
            tokio::spawn(async move {
                if let Err(e) = webhooks::process_pending(&db, &settings, 10).await {
                    tracing::warn!(error = %e, "processing webhook events failed; the scheduler will retry");
                }
            });
            Ok(Resource::with_status(
                Status::Accepted,
                WebhookAck {
                    status: "accepted".to_owned(),
                    event_id: Some(id),
                },
            ))
        }
        Received::Duplicate => Ok(Resource::with_status(
            Status::Ok,
            WebhookAck {
                status: "duplicate".to_owned(),
                event_id: None,
            },
        )),
    }
}

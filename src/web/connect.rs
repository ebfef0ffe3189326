//! "Kết nối gian hàng" from the pages: the owner's button sends the browser to the
//! marketplace's consent page; the marketplace sends it back here, where the registry finishes
//! the connection (the API's own service) and returns the owner to `/me`.

use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use askama::Template;

use super::page::{Page, PageError, Viewer};
use crate::domain::Role;
use crate::http::BaseUrl;
use crate::ids::parse_id;
use crate::sync::SyncSettings;
use crate::sync::authorize::{self, Callback};

/// A form that only carries its anti-forgery token.
#[derive(FromForm)]
pub struct Confirm<'r> {
    csrf: &'r str,
}

#[derive(Template)]
#[template(path = "connect.html")]
struct ConnectPage {
    chrome: super::page::Chrome,
    channel_id: uuid::Uuid,
    subject: String,
    platform: String,
    shop: String,
    /// Whether the registry's app on that marketplace is set up (otherwise the page says so
    /// instead of sending the owner to an error).
    ready: bool,
}

/// Before the marketplace: the registry's own page names the subject and the channel the shop
/// will be attached to, so that whoever consents knows to whom (issue 30).
#[post("/me/channels/<id>/connect", data = "<form>")]
pub async fn connect(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    viewer: Viewer,
    id: &str,
    form: Form<Confirm<'_>>,
) -> Result<Page, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    let id = parse_id("channel", id)?;
    let actor = &session.actor;
    let channel = crate::channels::service::get(db.inner(), actor, id).await?;
    let subject = crate::subjects::service::by_ids(db.inner(), actor, &[channel.subject_id])
        .await?
        .remove(&channel.subject_id)
        .map(|s| s.name)
        .unwrap_or_default();
    let lang = viewer.lang;
    Page::render(&ConnectPage {
        chrome: viewer.chrome(lang.t("connect-title")),
        channel_id: id,
        subject,
        ready: authorize::connectable(settings.inner(), &channel.platform),
        platform: lang.t_or(
            &format!("platform-{}", channel.platform),
            channel.platform.code(),
        ),
        shop: channel.shop_url.or(channel.shop_id).unwrap_or_default(),
    })
}

/// Confirmed: to the marketplace's consent page.
#[post("/me/channels/<id>/connect/go", data = "<form>")]
pub async fn connect_go(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    viewer: Viewer,
    base: BaseUrl,
    id: &str,
    form: Form<Confirm<'_>>,
) -> Result<Redirect, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    let id = parse_id("channel", id)?;
    let started =
        authorize::start(db.inner(), settings.inner(), &session.actor, id, &base.0).await?;
    Ok(Redirect::to(started.url))
}

/// Disconnects a channel's shop.
#[post("/me/channels/<id>/disconnect", data = "<form>")]
pub async fn disconnect(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: &str,
    form: Form<Confirm<'_>>,
) -> Result<Redirect, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    let id = parse_id("channel", id)?;
    crate::sync::connection::disconnect(db.inner(), &session.actor, id).await?;
    Ok(Redirect::to("/me#channels"))
}

/// Where the marketplace sends the browser back: the connection is finished and the owner is
/// back on its page, the shop's listings read once already.
#[get("/oauth/<platform>/callback?<cb..>")]
pub async fn callback(
    db: &State<DatabaseConnection>,
    settings: &State<SyncSettings>,
    viewer: Viewer,
    jar: &rocket::http::CookieJar<'_>,
    platform: &str,
    cb: Callback,
) -> Result<Redirect, PageError> {
    let signed_in = viewer.session.as_ref().and_then(|s| s.actor.user_id);
    let browser = jar
        .get(authorize::BROWSER_COOKIE)
        .map(|c| c.value().to_owned());
    let done = authorize::finish(
        db.inner(),
        settings.inner(),
        platform,
        &cb,
        signed_in,
        browser.as_deref(),
    )
    .await?;
    jar.remove(rocket::http::Cookie::build(authorize::BROWSER_COOKIE).path("/oauth"));
    Ok(Redirect::to(if done.actor.role == Role::Owner {
        "/me?connected=true#channels"
    } else {
        "/dashboard"
    }))
}

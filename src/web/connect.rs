//! "Kết nối gian hàng" from the pages: the owner's button sends the browser to the
//! marketplace's consent page; the marketplace sends it back here, where the registry finishes
//! the connection (the API's own service) and returns the owner to `/me`.

use rocket::form::{Form, FromForm};
use rocket::response::Redirect;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::page::{PageError, Viewer};
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

/// Starts connecting a channel's shop: to the marketplace's consent page.
#[post("/me/channels/<id>/connect", data = "<form>")]
pub async fn connect(
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

//! Signing in and out, and changing one's password.

use askama::Template;
use rand::RngCore;
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{Either, State, get, post};
use sea_orm::DatabaseConnection;

use super::page::{
    Chrome, Page, PageError, SESSION_COOKIE, Viewer, constant_eq, landing, safe_next,
    set_session_cookie,
};
use crate::error::AppError;
use crate::limits::Limits;
use crate::users::password::MIN_LENGTH;
use crate::users::sessions::{self, Policy};

/// The sign-in form's anti-forgery cookie: there is no session yet to hold the token, so the
/// form and a cookie carry the same random value (another site can set neither).
const LOGIN_CSRF: &str = "ocop_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

fn login_page(
    viewer: &Viewer,
    jar: &CookieJar<'_>,
    next: Option<&str>,
    username: &str,
    error: Option<String>,
) -> Result<Page, PageError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let csrf = hex::encode(bytes);
    jar.add(
        Cookie::build((LOGIN_CSRF, csrf.clone()))
            .path("/login")
            .http_only(true)
            .same_site(SameSite::Strict),
    );
    Page::render(&LoginPage {
        chrome: viewer.chrome(viewer.lang.t("sign-in-title")),
        csrf,
        next: next.and_then(safe_next).unwrap_or_default().to_owned(),
        username: username.to_owned(),
        error,
    })
}

/// The sign-in form.
#[get("/login?<next>")]
pub fn login_form(
    viewer: Viewer,
    jar: &CookieJar<'_>,
    next: Option<&str>,
) -> Result<Page, PageError> {
    // Without a destination, each person lands on its own start page after signing in.
    login_page(&viewer, jar, next, "", None)
}

#[derive(FromForm)]
pub struct LoginForm<'r> {
    username: &'r str,
    password: &'r str,
    csrf: &'r str,
    next: Option<&'r str>,
}

/// Signs in: a session cookie and back to where the person was going.
#[post("/login", data = "<form>")]
pub async fn login(
    db: &State<DatabaseConnection>,
    policy: &State<Policy>,
    limits: &State<Limits>,
    viewer: Viewer,
    jar: &CookieJar<'_>,
    ip: crate::limits::ClientIp,
    form: Form<LoginForm<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    let next = form.next;
    let again =
        |status: Status, key: String| -> Result<Either<Redirect, (Status, Page)>, PageError> {
            let page = login_page(&viewer, jar, next, form.username, Some(key))?;
            Ok(Either::Right((status, page)))
        };
    let expected = jar.get(LOGIN_CSRF).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| constant_eq(e.as_bytes(), form.csrf.as_bytes())) {
        return again(Status::Forbidden, viewer.lang.t("form-expired"));
    }
    match sessions::sign_in(db.inner(), *policy.inner(), form.username, form.password).await {
        Ok(signed_in) => {
            jar.remove(Cookie::build(LOGIN_CSRF).path("/login"));
            set_session_cookie(jar, policy.inner(), signed_in.secret);
            Ok(Either::Left(Redirect::to(landing(
                &signed_in.session,
                next,
            ))))
        }
        Err(AppError::Unauthorized(_)) => {
            // Per client as well as per account: one address guessing many accounts is stopped.
            if limits.auth_failures.check(ip.0).is_err() {
                return again(
                    Status::TooManyRequests,
                    viewer.lang.tf(
                        "sign-in-locked",
                        &[("minutes", policy.lock.num_minutes().to_string())],
                    ),
                );
            }
            again(Status::Unauthorized, viewer.lang.t("sign-in-wrong"))
        }
        Err(AppError::Forbidden(_)) => again(Status::Forbidden, viewer.lang.t("sign-in-disabled")),
        Err(AppError::TooManyRequests(_)) => again(
            Status::TooManyRequests,
            viewer.lang.tf(
                "sign-in-locked",
                &[("minutes", policy.lock.num_minutes().to_string())],
            ),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(FromForm)]
pub struct CsrfForm<'r> {
    csrf: &'r str,
}

/// Signs out: the session ends on the server, the cookie is dropped.
#[post("/logout", data = "<form>")]
pub async fn logout(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    jar: &CookieJar<'_>,
    form: Form<CsrfForm<'_>>,
) -> Result<Redirect, PageError> {
    let session = match &viewer.session {
        None => return Ok(Redirect::to("/login")),
        Some(s) if constant_eq(form.csrf.as_bytes(), s.csrf_token.as_bytes()) => s,
        Some(_) => return Err(PageError::Csrf),
    };
    sessions::sign_out(db.inner(), session.id).await?;
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(Redirect::to("/login"))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    first: bool,
    error: Option<String>,
    new_label: String,
    min: usize,
    /// Where the person goes once the password is changed (a page its role may open).
    next: String,
}

fn password_page(
    viewer: &Viewer,
    error: Option<String>,
    next: Option<&str>,
) -> Result<Page, PageError> {
    let session = viewer
        .session
        .as_ref()
        .ok_or_else(|| PageError::SignIn("/password".to_owned()))?;
    Page::render(&PasswordPage {
        chrome: viewer.chrome(viewer.lang.t("password-title")),
        first: session.must_change_password,
        error,
        new_label: viewer
            .lang
            .tf("password-new", &[("min", MIN_LENGTH.to_string())]),
        min: MIN_LENGTH,
        next: next.and_then(safe_next).unwrap_or_default().to_owned(),
    })
}

/// The form to change one's password (the one-time password first of all).
#[get("/password?<next>")]
pub fn password_form(viewer: Viewer, next: Option<&str>) -> Result<Page, PageError> {
    password_page(&viewer, None, next)
}

#[derive(FromForm)]
pub struct PasswordForm<'r> {
    csrf: &'r str,
    current: &'r str,
    new: &'r str,
    repeat: &'r str,
    next: Option<&'r str>,
}

/// Changes the password; then on to the person's start page.
#[post("/password", data = "<form>")]
pub async fn change_password(
    db: &State<DatabaseConnection>,
    policy: &State<sessions::Policy>,
    viewer: Viewer,
    form: Form<PasswordForm<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    let Some(session) = &viewer.session else {
        return Err(PageError::SignIn("/password".to_owned()));
    };
    if !constant_eq(form.csrf.as_bytes(), session.csrf_token.as_bytes()) {
        return Err(PageError::Csrf);
    }
    let lang = viewer.lang;
    let min = [("min", MIN_LENGTH.to_string())];
    let refuse = |msg: String| -> Result<Either<Redirect, (Status, Page)>, PageError> {
        Ok(Either::Right((
            Status::UnprocessableEntity,
            password_page(&viewer, Some(msg), form.next)?,
        )))
    };
    if form.new != form.repeat {
        return refuse(lang.t("password-mismatch"));
    }
    match sessions::change_password(db.inner(), *policy.inner(), session, form.current, form.new)
        .await
    {
        Ok(()) => Ok(Either::Left(Redirect::to(landing(session, form.next)))),
        Err(AppError::Invalid { fields, .. }) => {
            let msg = if fields.contains_key("current_password") {
                lang.t("password-wrong-current")
            } else if form.new == form.current {
                lang.t("password-same")
            } else {
                lang.tf("password-short", &min)
            };
            refuse(msg)
        }
        Err(e) => Err(e.into()),
    }
}

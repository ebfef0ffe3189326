//! What every page shares: the signed-in person (from the session cookie), the frame around the
//! content, and failures answered as pages (a sign-in redirect, an error page in the reader's
//! language) rather than as JSON.

use askama::Template;
use rocket::http::{ContentType, Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::response::{self, Redirect, Responder};
use rocket::{Request, Response};
use sea_orm::DatabaseConnection;

use crate::auth::Actor;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::users::sessions::{self, Session};

/// The session cookie (its value is the session's secret).
pub const SESSION_COOKIE: &str = "ocop_session";

/// The person viewing a page, if signed in (never fails: a page decides what an anonymous
/// reader gets).
pub struct Viewer {
    pub session: Option<Session>,
    pub lang: Lang,
    /// The path and query of this page, to come back to after signing in.
    pub here: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Viewer {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, Self::Error> {
        let session = req
            .local_cache_async(async {
                let secret = req.cookies().get(SESSION_COOKIE)?.value().to_owned();
                let db = req.rocket().state::<DatabaseConnection>()?;
                let policy = req.rocket().state::<sessions::Policy>()?;
                match sessions::resolve(db, *policy, &secret).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!("resolving a session failed: {e}");
                        None
                    }
                }
            })
            .await
            .clone();
        let lang = Lang::of(req);
        // The language switch is a link with `?lang=`: remembered for the following pages.
        if req.query_value::<&str>("lang").is_some() {
            set_lang_cookie(req.cookies(), lang);
        }
        Outcome::Success(Viewer {
            session,
            lang,
            here: req.uri().to_string(),
        })
    }
}

impl Viewer {
    /// The signed-in person, or a redirect to the sign-in page (and back here afterwards); a
    /// person who still has the one-time password is sent to change it first.
    pub fn require(&self) -> Result<&Session, PageError> {
        match &self.session {
            None => Err(PageError::SignIn(self.here.clone())),
            Some(s) if s.must_change_password => Err(PageError::ChangePassword),
            Some(s) => Ok(s),
        }
    }

    /// The actor behind the page.
    pub fn actor(&self) -> Result<&Actor, PageError> {
        self.require().map(|s| &s.actor)
    }

    /// The frame of a page for this viewer.
    pub fn chrome(&self, title: String) -> Chrome {
        let other = self.lang.other();
        Chrome {
            lang: self.lang,
            title,
            user: self.session.as_ref().map(|s| s.display_name.clone()),
            csrf: self
                .session
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            switch_href: with_lang(&self.here, other),
            staff: self.session.as_ref().is_some_and(|s| {
                !s.must_change_password
                    && matches!(
                        s.actor.role,
                        crate::domain::Role::Admin | crate::domain::Role::Auditor
                    )
            }),
            owner: self.session.as_ref().is_some_and(|s| {
                !s.must_change_password && s.actor.role == crate::domain::Role::Owner
            }),
        }
    }

    /// Checks a form's anti-forgery token against the session's.
    pub fn check_csrf(&self, given: &str) -> Result<&Session, PageError> {
        let s = self.require()?;
        if constant_eq(given.as_bytes(), s.csrf_token.as_bytes()) {
            Ok(s)
        } else {
            Err(PageError::Csrf)
        }
    }
}

/// Compares secrets in time independent of where they differ.
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `path?…&lang=xx`, replacing an existing `lang`.
fn with_lang(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "lang")
        .collect();
    pairs.push(("lang".to_owned(), lang.code().to_owned()));
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{q}")
}

/// The frame around every page: language, title, who is signed in, the sign-out form's token.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: Option<String>,
    pub csrf: String,
    pub switch_href: String,
    pub staff: bool,
    /// An owner signed in: its own subject's page is in the menu.
    pub owner: bool,
}

impl Chrome {
    /// The catalogue's text (templates call `chrome.t("key")`).
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The catalogue's text with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.lang.tf(key, &[(name, value.to_owned())])
    }
}

/// A rendered page.
pub struct Page(pub String);

impl Page {
    pub fn render(t: &impl Template) -> Result<Page, PageError> {
        t.render()
            .map(Page)
            .map_err(|e| PageError::App(AppError::Internal(format!("template: {e}"))))
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(ContentType::HTML)
            .sized_body(self.0.len(), std::io::Cursor::new(self.0))
            .ok()
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session is over): to the sign-in page, then back to this path.
    SignIn(String),
    /// The one-time password must be changed first.
    ChangePassword,
    /// A form whose anti-forgery token does not match the session's.
    Csrf,
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        PageError::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    message: String,
    detail: Option<String>,
}

/// What a refused request got wrong, for a person: each field with its rule in the reader's
/// language where the catalogue knows it, else the error's sentence.
pub fn error_detail(e: &AppError, lang: Lang) -> String {
    e.body(lang).error.message_with_fields()
}

/// `/login?next=…` for a path of this site only (never an open redirect).
pub fn login_href(next: &str) -> String {
    let next = safe_next(next);
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/login?{q}")
}

/// A path to return to after signing in: one of this site's paths, else the dashboard.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/dashboard"
    }
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let lang = Lang::of(req);
        let (status, message, detail) = match self {
            PageError::SignIn(next) => {
                return Redirect::to(login_href(&next)).respond_to(req);
            }
            PageError::ChangePassword => return Redirect::to("/password").respond_to(req),
            PageError::Csrf => (Status::Forbidden, lang.t("form-expired"), None),
            PageError::App(AppError::Unauthorized(_)) => {
                return Redirect::to(login_href(&req.uri().to_string())).respond_to(req);
            }
            PageError::App(e) => {
                let (status, _) = e.status_code();
                let key = match status.code {
                    403 => "error-forbidden",
                    404 => "error-not-found",
                    429 => "error-too-many",
                    400 | 409 | 412 | 422 => "error-invalid",
                    _ => "error-internal",
                };
                if status.code >= 500 {
                    tracing::error!("page {} failed: {e}", req.uri());
                }
                // The API's message names the field; 5xx text never leaves.
                let detail = (status.code < 500).then(|| error_detail(&e, lang));
                (status, lang.t(key), detail)
            }
        };
        let chrome = Chrome {
            lang,
            title: lang.t("error-title"),
            user: None,
            csrf: String::new(),
            switch_href: with_lang(&req.uri().to_string(), lang.other()),
            staff: false,
            owner: false,
        };
        let body = ErrorPage {
            chrome,
            message,
            detail,
        }
        .render()
        .unwrap_or_else(|_| "error".to_owned());
        Response::build_from(Page(body).respond_to(req)?)
            .status(status)
            .ok()
    }
}

/// Sets the session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` behind https; a session
/// cookie (no expiry), the server ends idle sessions.
pub fn set_session_cookie(jar: &CookieJar<'_>, policy: &sessions::Policy, secret: String) {
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(policy.secure_cookie);
    jar.add(cookie);
}

/// Remembers the language switch.
pub fn set_lang_cookie(jar: &CookieJar<'_>, lang: Lang) {
    jar.add(
        Cookie::build((crate::i18n::COOKIE, lang.code()))
            .path("/")
            .same_site(SameSite::Lax)
            .permanent(),
    );
}

//! What every page shares: the signed-in person (from the session cookie), the frame around the
//! content, and failures answered as pages (a sign-in redirect, an error page in the reader's
//! language) rather than as JSON.

use askama::Template;
use rocket::http::{ContentType, Cookie, CookieJar, SameSite, Status};
use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::response::{self, Redirect, Responder};
use rocket::{Either, Request, Response};
use sea_orm::DatabaseConnection;

use crate::auth::Actor;
use crate::domain::Role;
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
    /// The operator's map tiles.
    pub map: super::map::MapTiles,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Viewer {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, Self::Error> {
        let session = session_of(req).await;
        if let Some(s) = &session {
            crate::telemetry::saw_role(req, s.actor.role);
        }
        let lang = Lang::of(req);
        // The language switch is a link with `?lang=`: remembered for the following pages.
        if req.query_value::<&str>("lang").is_some() {
            set_lang_cookie(req.cookies(), lang);
        }
        Outcome::Success(Viewer {
            session,
            lang,
            here: req.uri().to_string(),
            map: req
                .rocket()
                .state::<super::map::MapTiles>()
                .cloned()
                .unwrap_or_default(),
        })
    }
}

/// The session of a request's cookie, resolved once per request (the guard, the error page and
/// the catcher share it).
pub async fn session_of(req: &Request<'_>) -> Option<Session> {
    req.local_cache_async(async {
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
    .clone()
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
        Chrome {
            map_tiles: self.map.url.clone(),
            map_attribution: self.map.attribution.clone(),
            ..Chrome::new(self.lang, self.session.as_ref(), &self.here, title)
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
    /// Where this reader starts: its own start page when signed in, else the public search.
    pub home: String,
    /// The operator's map tiles (web/map.rs), empty for none, and their attribution.
    pub map_tiles: String,
    pub map_attribution: String,
}

impl Chrome {
    /// The frame for a reader (signed in or not) of the page at `here`.
    pub fn new(lang: Lang, session: Option<&Session>, here: &str, title: String) -> Chrome {
        // A person who must still change the one-time password sees no menu: it may open
        // nothing else.
        let working = session.filter(|s| !s.must_change_password);
        let role = working.map(|s| s.actor.role);
        Chrome {
            lang,
            title,
            user: session.map(|s| s.display_name.clone()),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            switch_href: with_lang(here, lang.other()),
            staff: matches!(role, Some(Role::Admin | Role::Auditor)),
            owner: role == Some(Role::Owner),
            home: session.map_or("/", start_page).to_owned(),
            map_tiles: String::new(),
            map_attribution: String::new(),
        }
    }

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
    e.body(lang).error.message_with_labels(lang)
}

/// `/login?next=…` for a path of this site only (never an open redirect).
pub fn login_href(next: &str) -> String {
    match safe_next(next) {
        Some(next) => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next)
                .finish();
            format!("/login?{q}")
        }
        None => "/login".to_owned(),
    }
}

/// A path to return to after signing in, if `next` is one: a path of this site (never an open
/// redirect) that is a well-formed URI (a space or a control character is not a place to go).
pub fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    (local && rocket::http::uri::Origin::parse(next).is_ok()).then_some(next)
}

/// Pages for the department's staff only, and for owners only (a path and what lies below it).
const STAFF_PAGES: &[&str] = &[
    "/dashboard",
    "/accounts",
    "/queue",
    "/reports",
    "/imports",
    "/subjects",
    "/drafts",
    "/units",
];
const OWNER_PAGES: &[&str] = &["/me"];

/// Whether a person of `role` may open the page at `path` (a path with its query).
pub fn may_open(role: Role, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let under = |prefix: &&str| {
        path.strip_prefix(*prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    match role {
        Role::Admin | Role::Auditor => !OWNER_PAGES.iter().any(under),
        Role::Owner => !STAFF_PAGES.iter().any(under),
        Role::Channel => false,
    }
}

/// Where a person lands after signing in without a destination: staff on their dashboard,
/// an owner on its own page.
pub fn start_page(session: &Session) -> &'static str {
    match session.actor.role {
        Role::Admin | Role::Auditor => "/dashboard",
        Role::Owner => "/me",
        Role::Channel => "/",
    }
}

/// Where a person of `role` lands after signing in: `next` when it is a page this person may
/// open, else its start page (an owner sent to the dashboard lands on its own page, not on a
/// refusal).
pub fn landing(session: &Session, next: Option<&str>) -> String {
    match next.and_then(safe_next) {
        Some(next) if may_open(session.actor.role, next) => next.to_owned(),
        _ => start_page(session).to_owned(),
    }
}

impl<'r> Responder<'r, 'static> for PageError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let lang = page_lang(req);
        let (status, message, detail) = match self {
            PageError::SignIn(next) => {
                return Redirect::to(login_href(&next)).respond_to(req);
            }
            PageError::ChangePassword => {
                // The page asked for is where the person goes once the password is theirs.
                let next = req.uri().to_string();
                let to = match safe_next(&next) {
                    Some(n) if req.method() == rocket::http::Method::Get => {
                        let q = form_urlencoded::Serializer::new(String::new())
                            .append_pair("next", n)
                            .finish();
                        format!("/password?{q}")
                    }
                    _ => "/password".to_owned(),
                };
                return Redirect::to(to).respond_to(req);
            }
            PageError::Csrf => (Status::Forbidden, lang.t("form-expired"), None),
            PageError::App(AppError::Unauthorized(_)) => {
                return Redirect::to(login_href(&req.uri().to_string())).respond_to(req);
            }
            PageError::App(e) => {
                crate::limits::remember_wait(req, &e);
                let (status, _) = e.status_code();
                let key = match status.code {
                    403 => "error-forbidden",
                    404 => "error-not-found",
                    429 => "error-too-many",
                    400 | 409 | 412 | 422 => "error-invalid",
                    _ => "error-internal",
                };
                if status.code >= 500 {
                    tracing::error!(
                        request_id = crate::telemetry::request_id(req),
                        path = crate::telemetry::logged_path(req).as_str(),
                        status = status.code,
                        error = crate::telemetry::cause_chain(&e),
                        "page failed"
                    );
                }
                // The API's message names the field; 5xx text never leaves, and a refusal is
                // one plain sentence (the API's names roles and token kinds).
                let detail =
                    (status.code < 500 && status.code != 403).then(|| error_detail(&e, lang));
                (status, lang.t(key), detail)
            }
        };
        // The page's guard resolved the session already: the error page keeps its header.
        let session = req.local_cache(|| None::<Session>);
        error_page(req, lang, session.as_ref(), status, message, detail)
    }
}

/// An error page: the signed-in header, a plain sentence, the detail if any, and a way back.
pub fn error_page(
    req: &Request<'_>,
    lang: Lang,
    session: Option<&Session>,
    status: Status,
    message: String,
    detail: Option<String>,
) -> response::Result<'static> {
    let chrome = Chrome::new(lang, session, &req.uri().to_string(), lang.t("error-title"));
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

/// Whether a failed request is a person's page view (a browser asking for HTML, not under
/// `/api`): it gets an error page instead of the JSON envelope.
pub fn wants_page(req: &Request<'_>) -> bool {
    let path = req.uri().path();
    !path.starts_with("/api/")
        && req
            .accept()
            .is_some_and(|a| a.media_types().any(|m| m.is_html()))
}

/// Rocket's own failures (an unknown page, a refused guard, a body too large): an error page
/// for a person's page view, the JSON envelope for everything else.
#[rocket::catch(default)]
pub async fn page_catcher(
    status: Status,
    req: &Request<'_>,
) -> Either<ErrorAnswer, crate::catcher::Caught> {
    if !wants_page(req) {
        return Either::Right(crate::catcher::json_catcher(status, req));
    }
    let lang = Lang::of(req);
    let session = session_of(req).await;
    let key = match status.code {
        401 | 403 => "error-forbidden",
        404 => "error-not-found",
        429 => "error-too-many",
        c if c >= 500 => "error-internal",
        _ => "error-invalid",
    };
    Either::Left(ErrorAnswer {
        session,
        status,
        message: lang.t(key),
    })
}

/// The language of a page's refusal: a public page's own rule (the reader's choice, else
/// Vietnamese), the reader's on every other page.
fn page_lang(req: &Request<'_>) -> Lang {
    let path = req.uri().path();
    if path == "/" || path.starts_with("/p/") {
        Lang::public(req)
    } else {
        Lang::of(req)
    }
}

/// An error page to render (the catcher's answer).
pub struct ErrorAnswer {
    session: Option<Session>,
    status: Status,
    message: String,
}

impl<'r> Responder<'r, 'static> for ErrorAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        error_page(
            req,
            page_lang(req),
            self.session.as_ref(),
            self.status,
            self.message,
            None,
        )
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

/// A page's `format` of a file: `csv` or `xlsx`.
pub(crate) fn file_format(format: &str) -> Result<crate::export::Format, PageError> {
    match format {
        "csv" => Ok(crate::export::Format::Csv),
        "xlsx" => Ok(crate::export::Format::Xlsx),
        _ => Err(AppError::invalid("format", "csv or xlsx").into()),
    }
}

/// Sheets as the file a page's "Xuất Excel" / "Xuất CSV" link asks for.
pub(crate) fn as_download_all(
    sheets: &[crate::export::Sheet],
    format: &str,
    lang: Lang,
) -> Result<crate::export::Download, PageError> {
    crate::export::download_all(sheets, file_format(format)?, lang)?
        .ok_or_else(|| AppError::Internal("no file".to_owned()).into())
}

//! The public's report form (`/p/{id}/report`): its own page, so that the product page stays the
//! same for everyone and cacheable, while each form carries its own time token.

use askama::Template;
use rocket::Either;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Chrome, Page, PageError};
use super::public::{Choice, Here};
use crate::domain::ReportKind;
use crate::error::AppError;
use crate::feedback::dto::NewReport;
use crate::feedback::service;
use crate::i18n::Lang;
use crate::limits::ClientIp;
use crate::public::cache::PublicRequest;

#[derive(Template)]
#[template(path = "problem_report.html")]
struct ReportPage {
    chrome: Chrome,
    product: String,
    back: String,
    action: String,
    token: String,
    english: bool,
    kinds: Vec<Choice>,
    text: String,
    contact: String,
    error: Option<String>,
    done: Option<String>,
}

/// The report form as posted.
#[derive(FromForm)]
pub struct ReportForm<'r> {
    kind: Option<&'r str>,
    text: Option<&'r str>,
    contact: Option<&'r str>,
    form_token: Option<&'r str>,
    website: Option<&'r str>,
    photo: crate::http::upload::FileField<'r>,
}

/// What the person typed, given back with a refusal (a photo cannot be: it is chosen again).
#[derive(Clone, Copy, Default)]
pub struct Typed<'r> {
    kind: Option<&'r str>,
    text: Option<&'r str>,
    contact: Option<&'r str>,
    form_token: Option<&'r str>,
    website: Option<&'r str>,
}

const NOTHING_TYPED: Typed<'static> = Typed {
    kind: None,
    text: None,
    contact: None,
    form_token: None,
    website: None,
};

type Answer = Result<Either<Redirect, crate::limits::Waited<(Status, Page)>>, PageError>;

const KINDS: [ReportKind; 4] = [
    ReportKind::FakeLabel,
    ReportKind::Expired,
    ReportKind::Quality,
    ReportKind::Other,
];

async fn render(
    db: &DatabaseConnection,
    here: &Here,
    id: Uuid,
    typed: &Typed<'_>,
    error: Option<String>,
    done: Option<String>,
) -> Result<Page, PageError> {
    let lang = here.lang;
    let product = crate::public::product::get(db, id).await?;
    let token = service::form(db, id).await?;
    let path = format!("/p/{id}");
    Page::render(&ReportPage {
        chrome: Chrome::new(lang, None, &here.uri, lang.t("report-title")),
        product: product.product.name,
        back: match lang {
            Lang::En => format!("{path}?lang=en"),
            Lang::Vi => path.clone(),
        },
        // The language travels in the address: public pages set no cookie.
        action: match lang {
            Lang::En => format!("{path}/report?lang=en"),
            Lang::Vi => format!("{path}/report"),
        },
        token,
        english: lang == Lang::En,
        kinds: KINDS
            .iter()
            .map(|k| Choice {
                value: k.code().to_owned(),
                label: lang.t(&format!("report-kind-{}", k.code())),
                selected: typed.kind == Some(k.code()),
            })
            .collect(),
        text: typed.text.unwrap_or_default().to_owned(),
        contact: typed.contact.unwrap_or_default().to_owned(),
        error,
        done,
    })
}

/// The form to report a problem with a product; with `sent`, the thanks after one was sent.
#[get("/p/<id>/report?<sent>")]
pub async fn report_page(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    id: Uuid,
    sent: Option<&str>,
) -> Result<Page, PageError> {
    public.charge()?;
    let done = sent.map(|_| here.lang.t("report-thanks"));
    render(db.inner(), &here, id, &NOTHING_TYPED, None, done).await
}

/// A report sent from the form: thanked, or the form again with what was wrong.
#[post("/p/<id>/report", data = "<form>")]
#[allow(
    clippy::too_many_arguments,
    reason = "Rocket's guards are its arguments"
)]
pub async fn send_report(
    db: &State<DatabaseConnection>,
    store: &State<crate::documents::DocumentStore>,
    public: PublicRequest<'_>,
    here: Here,
    ip: ClientIp,
    _site: crate::http::FromThisSite,
    id: Uuid,
    form: Form<ReportForm<'_>>,
) -> Answer {
    public.charge()?;
    let lang = here.lang;
    let form = form.into_inner();
    let typed = Typed {
        kind: form.kind,
        text: form.text,
        contact: form.contact,
        form_token: form.form_token,
        website: form.website,
    };
    let input = NewReport {
        kind: match typed.kind.and_then(|k| k.parse::<ReportKind>().ok()) {
            Some(k) => k,
            None => {
                let e = AppError::invalid("kind", crate::msg!("field-is-required"));
                return refused(db.inner(), &here, id, &typed, e, false).await;
            }
        },
        text: typed.text.unwrap_or_default().to_owned(),
        contact: typed
            .contact
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        form_token: typed.form_token.unwrap_or_default().to_owned(),
        website: typed.website.map(str::to_owned),
    };
    let photo = crate::http::upload::sent(&form.photo, "photo", store.max_bytes);
    // A file input cannot be given back filled: a refused form says to choose the photo again.
    let had_photo = matches!(photo, Ok(Some(_)));
    let outcome = match (input.validate().map_err(AppError::from), photo) {
        (Ok(()), Ok(photo)) => match crate::http::upload::received(photo).await {
            Ok(photo) => {
                let photo = photo.map(|(_, bytes)| bytes);
                service::submit(db.inner(), store, (id, ip.0), input, photo).await
            }
            Err(e) => Err(e),
        },
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match outcome {
        // To the thanks by a redirect: reloading it sends nothing again.
        Ok(_) => Ok(Either::Left(Redirect::to(match lang {
            Lang::En => format!("/p/{id}/report?sent=1&lang=en"),
            Lang::Vi => format!("/p/{id}/report?sent=1"),
        }))),
        Err(
            e @ (AppError::Invalid { .. }
            | AppError::Conflict(_)
            | AppError::TooManyRequests(_)
            | AppError::Unavailable(_)
            | AppError::PayloadTooLarge { .. }),
        ) => refused(db.inner(), &here, id, &typed, e, had_photo).await,
        Err(e) => Err(e.into()),
    }
}

/// The form again, with the refusal and what was typed.
async fn refused(
    db: &DatabaseConnection,
    here: &Here,
    id: Uuid,
    typed: &Typed<'_>,
    e: AppError,
    had_photo: bool,
) -> Answer {
    let (status, _) = e.status_code();
    let wait = crate::limits::wait_of(&e);
    let mut message = super::page::error_detail(&e, here.lang);
    if had_photo {
        message = format!("{message}. {}", here.lang.t("report-photo-again"));
    }
    let page = render(db, here, id, typed, Some(message), None).await?;
    Ok(Either::Right(crate::limits::Waited((status, page), wait)))
}

/// On staff pages, a product with reports from the public still open links to them in the queue
/// (the public page never says so).
pub async fn open_reports_link(
    db: &DatabaseConnection,
    owner: bool,
    lang: Lang,
    product: uuid::Uuid,
) -> Result<Option<(String, String, String)>, AppError> {
    if owner {
        return Ok(None);
    }
    let open = crate::feedback::service::open_reports(db, &[product]).await?;
    Ok(open.get(&product).map(|n| {
        (
            "/queue?tab=feedback".to_owned(),
            lang.tf("staff-open-reports", &[("n", n.to_string())]),
            format!("reports-{product}"),
        )
    }))
}

/// A report's photo, to the staff of its producer's unit (the queue shows it).
#[get("/problem-reports/<id>/photo")]
pub async fn report_photo(
    db: &State<DatabaseConnection>,
    store: &State<crate::documents::DocumentStore>,
    viewer: super::page::Viewer,
    id: Uuid,
) -> Result<super::documents::Shown, PageError> {
    let actor = viewer.actor()?;
    let bytes = crate::feedback::photo::photo(db.inner(), store, actor, id).await?;
    Ok(super::documents::Shown(crate::export::Download::of(
        crate::feedback::photo::file_name(id),
        "image/jpeg",
        bytes,
    )))
}

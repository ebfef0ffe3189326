//! A product's photos (`/products/{id}/photos`): its producer uploads one and sees whether it
//! shows publicly, when, or why it was rejected; staff see the same. The decisions are the
//! queue's (tab "Ảnh"). The files are served to the signed-in by the API's rule.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Either, State, get, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::documents::Shown;
use super::page::{Chrome, Page, PageError, Viewer};
use crate::config::AppConfig;
use crate::documents::DocumentStore;
use crate::domain::PhotoStatus;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::photos::{dto::PhotoView, routes as api, service};

/// A photo as the page lists it.
pub struct Line {
    pub id: Uuid,
    pub src: String,
    /// The largest rendition, to look closer.
    pub large: String,
    pub status: String,
    /// `ok` (public), `rejected`, `muted` (waiting).
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "photos.html")]
struct PhotosPage {
    chrome: Chrome,
    product_id: Uuid,
    product: String,
    lines: Vec<Line>,
    /// Where the owner's product list is (`/me` or the subject's staff page).
    back: String,
    review_hours: u32,
    done: bool,
    error: Option<String>,
}

/// What a photo's state means, in words.
fn status_text(lang: Lang, p: &PhotoView) -> String {
    match p.status {
        PhotoStatus::Waiting if p.public => lang.tf(
            "photo-waiting-public",
            &[("date", crate::clock::moment_text(p.public_from))],
        ),
        PhotoStatus::Waiting => lang.tf(
            "photo-waiting",
            &[("date", crate::clock::moment_text(p.public_from))],
        ),
        PhotoStatus::Approved => lang.tf(
            "photo-approved",
            &[("who", p.decided_by.clone().unwrap_or_default())],
        ),
        PhotoStatus::Rejected => lang.tf(
            "photo-rejected",
            &[("reason", p.reason.clone().unwrap_or_default())],
        ),
    }
}

async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    config: &AppConfig,
    product_id: Uuid,
    done: bool,
    error: Option<String>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let product = crate::products::service::get(db, actor, product_id).await?;
    let lines = service::of_product(db, actor, product_id)
        .await?
        .iter()
        .map(|p| Line {
            id: p.id,
            src: format!("/product-photos/{}/320", p.id),
            large: format!("/product-photos/{}/1280", p.id),
            status: status_text(lang, p),
            class: match (p.status, p.public) {
                (PhotoStatus::Rejected, _) => "rejected",
                (_, true) => "ok",
                _ => "muted",
            },
        })
        .collect();
    let back = if actor.subject_id.is_some() {
        "/me".to_owned()
    } else {
        format!("/subjects/{}", product.subject_id)
    };
    Page::render(&PhotosPage {
        chrome: viewer.chrome(lang.tf("photos-title", &[("product", product.name.clone())])),
        product_id,
        product: product.name,
        lines,
        back,
        review_hours: config.documents.photo_review_hours,
        done,
        error,
    })
}

#[get("/products/<id>/photos?<done>")]
pub async fn photos(
    db: &State<DatabaseConnection>,
    config: &State<AppConfig>,
    viewer: Viewer,
    id: Uuid,
    done: Option<&str>,
) -> Result<Page, PageError> {
    render(db.inner(), &viewer, config, id, done.is_some(), None).await
}

#[derive(FromForm)]
pub struct UploadForm<'r> {
    csrf: &'r str,
    file: crate::http::upload::FileField<'r>,
}

/// Uploads a photo; a refused file is said on the page, in the reader's language.
#[post("/products/<id>/photos", data = "<form>")]
pub async fn upload(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    config: &State<AppConfig>,
    viewer: Viewer,
    _slot: crate::limits::UploadSlot,
    id: Uuid,
    form: Form<UploadForm<'_>>,
) -> Result<Either<Redirect, (Status, Page)>, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    // A file over the limit is said on the page like any other refused file.
    let file = crate::http::upload::sent(&form.file, "file", store.max_bytes);
    let result = match file {
        Ok(file) => match crate::http::upload::received(file).await? {
            None => Err(AppError::invalid("file", viewer.lang.t("photos-no-file"))),
            Some((_, bytes)) => {
                let review = api::review_window(config);
                service::upload(db.inner(), store.inner(), &session.actor, id, bytes, review).await
            }
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Either::Left(Redirect::to(format!(
            "/products/{id}/photos?done=1"
        )))),
        Err(e @ (AppError::Invalid { .. } | AppError::PayloadTooLarge { .. })) => {
            let message = super::page::error_detail(&e, viewer.lang);
            let page = render(db.inner(), &viewer, config, id, false, Some(message)).await?;
            Ok(Either::Right((Status::UnprocessableEntity, page)))
        }
        Err(e) => Err(e.into()),
    }
}

/// A rendition for the signed-in (any state: the producer sees a photo waiting, the auditor
/// one to decide).
#[get("/product-photos/<id>/<width>")]
pub async fn file(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    viewer: Viewer,
    id: Uuid,
    width: &str,
) -> Result<Shown, PageError> {
    let actor = viewer.actor()?;
    let width = api::width_of(width).ok_or_else(|| AppError::not_found("photo", id))?;
    let bytes = service::file(db.inner(), store.inner(), actor, id, width).await?;
    Ok(Shown(api::jpeg(id, width, bytes)))
}

/// The links a product's row carries on the owner's page and the staff file: its photos, and
/// (staff only; the public page never says so) the public's reports still open.
pub async fn product_links(
    db: &DatabaseConnection,
    owner: bool,
    lang: Lang,
    product: Uuid,
) -> Result<Vec<(String, String, String)>, AppError> {
    let mut links = vec![(
        format!("/products/{product}/photos"),
        lang.t("photos-link"),
        format!("photos-{product}"),
    )];
    links.extend(super::feedback::open_reports_link(db, owner, lang, product).await?);
    Ok(links)
}

/// The product's photo on its page: the phone-sized rendition, the others for wider screens.
pub struct PhotoShown {
    pub src: String,
    pub srcset: String,
    pub width: i32,
    pub height: i32,
    /// Absolute, for the Open Graph card and the structured data.
    pub absolute: String,
}

impl PhotoShown {
    pub fn of(p: &crate::photos::dto::PublicPhoto, base: &str) -> Option<Self> {
        let middle = p.files.get(1).or(p.files.first())?;
        Some(PhotoShown {
            src: middle.url.clone(),
            srcset: p
                .files
                .iter()
                .map(|f| format!("{} {}w", f.url, f.width))
                .collect::<Vec<_>>()
                .join(", "),
            width: p.width,
            height: p.height,
            absolute: format!("{base}{}", middle.url),
        })
    }
}

/// A producer's photo in its review window, or already public after it: shown beside the
/// decision (a rejection takes a public one down).
pub fn queue_item(lang: Lang, subject: String, p: &PhotoView) -> super::queue::Item {
    super::queue::Item {
        id: p.id,
        version: p.version,
        subject,
        subject_id: p.subject_id,
        claim: lang.tf(
            "queue-photo",
            &[
                ("product", p.product_name.clone()),
                ("date", crate::clock::moment_text(p.created_at)),
                ("who", p.uploaded_by.clone()),
            ],
        ),
        detail: lang.tf(
            if p.public {
                "queue-photo-public"
            } else {
                "queue-photo-waits"
            },
            &[("date", crate::clock::moment_text(p.public_from))],
        ),
        evidence: Some(format!("/product-photos/{}/640", p.id)),
        ..super::queue::Item::default()
    }
}

/// A photo the public page shows (`/photos/{id}/{width}.jpg`): validators and
/// `Cache-Control: public` as every public answer; 404 once rejected or before its review
/// window ends.
#[get("/photos/<id>/<file>")]
pub async fn public_photo(
    db: &State<DatabaseConnection>,
    store: &State<DocumentStore>,
    public: crate::public::cache::PublicRequest<'_>,
    id: &str,
    file: &str,
) -> Result<crate::public::cache::Cached, PageError> {
    let id = crate::ids::parse_id("photo", id)?;
    let w = api::width_of(file).ok_or_else(|| AppError::not_found("photo", id))?;
    Ok(public
        .answer(async || {
            let bytes = service::public_file(db.inner(), store.inner(), id, w).await?;
            Ok(crate::public::cache::Rendered::new(
                bytes,
                rocket::http::ContentType::JPEG,
            ))
        })
        .await?)
}

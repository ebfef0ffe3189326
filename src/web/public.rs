//! The public's pages: product search (`/`) and a product's page with its QR code (`/p/{id}`).
//! Only what the public API shows; rate-limited like it.

use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::error::AppError;
use crate::http::BaseUrl;
use crate::i18n::Lang;
use crate::limits::PublicClient;
use crate::pagination::PageParams;
use crate::products::dto::RecognitionStatus;
use crate::public::service::{self, PublicProduct, PublicQuery};

/// A product as a card or a page.
pub struct ProductCard {
    pub href: String,
    pub name: String,
    /// `★★★☆☆`.
    pub stars: String,
    pub stars_text: String,
    pub potential_five: bool,
    pub status: String,
    pub status_class: &'static str,
    pub producer: String,
    pub commune: String,
    pub decision: String,
}

fn card(lang: Lang, p: &PublicProduct) -> ProductCard {
    let stars = usize::try_from(p.stars).unwrap_or(0).min(5);
    let (status, status_class) = match p.status {
        RecognitionStatus::Active => (
            lang.tf(
                "status-active",
                &[(
                    "date",
                    lang.date(p.valid_until.pred_opt().unwrap_or(p.valid_until)),
                )],
            ),
            "status-active",
        ),
        RecognitionStatus::Expired => (
            lang.tf("status-expired", &[("date", lang.date(p.valid_until))]),
            "status-expired",
        ),
        RecognitionStatus::Revoked => (
            match p.revoked_on {
                Some(d) => format!("{} {}", lang.t("status-revoked"), lang.date(d)),
                None => lang.t("status-revoked"),
            },
            "status-revoked",
        ),
    };
    ProductCard {
        href: format!("/p/{}", p.product_id),
        name: p.name.clone(),
        stars: format!("{}{}", "★".repeat(stars), "☆".repeat(5 - stars)),
        stars_text: lang.tf("stars", &[("stars", p.stars.to_string())]),
        potential_five: p.potential_five_star,
        status,
        status_class,
        producer: p.subject_name.clone(),
        commune: p
            .commune
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        decision: lang.tf(
            "product-decision-value",
            &[
                ("no", p.decision_no.clone()),
                ("date", lang.date(p.decision_date)),
            ],
        ),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    results: Vec<ProductCard>,
    count: String,
    searched: bool,
    prev: Option<String>,
    next: Option<String>,
}

const PER_PAGE: u64 = 24;

fn search_href(q: &str, page: u64) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .append_pair("page", &page.to_string())
        .finish();
    format!("/?{query}")
}

/// Products by name, producer or commune, accents optional.
#[get("/?<q>&<page>")]
pub async fn search(
    db: &State<DatabaseConnection>,
    _client: PublicClient,
    viewer: Viewer,
    q: Option<&str>,
    page: Option<u64>,
) -> Result<Page, PageError> {
    let lang = viewer.lang;
    let text = q.map(str::trim).unwrap_or_default();
    let page_no = page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE);
    let query = PublicQuery {
        q: (!text.is_empty()).then(|| text.to_owned()),
        unit_id: None,
    };
    query.validate().map_err(AppError::from)?;
    let found = service::list(db.inner(), &query, &PageParams::new(page_no, PER_PAGE)).await?;
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    Page::render(&SearchPage {
        chrome: viewer.chrome(lang.t("search-title")),
        q: text.to_owned(),
        results: found.items.iter().map(|p| card(lang, p)).collect(),
        count: lang.tf("search-results", &[("total", lang.int(found.total as i64))]),
        searched: !text.is_empty(),
        prev: (page_no > 1).then(|| search_href(text, page_no - 1)),
        next: (page_no < pages).then(|| search_href(text, page_no + 1)),
    })
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    chrome: Chrome,
    card: ProductCard,
    commune_today: Vec<String>,
    qr: String,
    url: String,
}

/// The SVG of a QR code for `url` (no XML declaration: it goes inside the page).
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("QR: {e}")))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => svg,
    })
}

/// A rated product's public page, with a QR code pointing to itself.
#[get("/p/<id>")]
pub async fn product(
    db: &State<DatabaseConnection>,
    _client: PublicClient,
    base: BaseUrl,
    viewer: Viewer,
    id: Uuid,
) -> Result<Page, PageError> {
    let lang = viewer.lang;
    let found = service::get(db.inner(), id).await?;
    let url = format!("{}/p/{id}", base.0);
    Page::render(&ProductPage {
        chrome: viewer.chrome(found.product.name.clone()),
        card: card(lang, &found.product),
        commune_today: found.commune_today.iter().map(|u| u.name.clone()).collect(),
        qr: qr_svg(&url)?,
        url,
    })
}

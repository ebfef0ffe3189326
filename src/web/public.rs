//! The public's pages: product search (`/`) and a product's page with its QR code (`/p/{id}`).
//! Only what the public API shows; rate-limited like it.

use askama::Template;
use chrono::NaiveDate;
use qrcode::QrCode;
use qrcode::render::svg;
use rocket::http::ContentType;
use rocket::{Request, State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Chrome, PageError};
use crate::domain::{EvidencedBy, UnitLevel};
use crate::error::AppError;
use crate::http::BaseUrl;
use crate::i18n::Lang;
use crate::pagination::PageParams;
use crate::products::dto::RecognitionStatus;
use crate::public::cache::{Cached, PublicRequest, Rendered};
use crate::public::product::{self as public_product, Place, PublicProductPage, Shop};
use crate::public::service::{self, PublicProduct, PublicQuery};
use crate::unit_graph::{UnitGraph, valid_on};

/// The frame of a public page: the same for every reader of a language (no one's name, no form
/// token), so that a cache may hand it to anyone.
fn public_chrome(lang: Lang, here: &str, title: String) -> Chrome {
    Chrome::new(lang, None, here, title)
}

/// The page as an answer to keep.
fn rendered(t: &impl Template) -> Result<Rendered, AppError> {
    let body = t
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Rendered::new(body, ContentType::HTML))
}

/// A link to a public page in the reader's language (public pages set no cookie: the language
/// travels in the link).
fn in_lang(lang: Lang, href: String) -> String {
    match lang {
        Lang::Vi => href,
        Lang::En => format!(
            "{href}{}lang=en",
            if href.contains('?') { '&' } else { '?' }
        ),
    }
}

/// "Xã Phú Hữu, Tỉnh Quảng Nam".
fn place_name(commune: &str, province: Option<&str>) -> String {
    match province {
        Some(p) => format!("{commune}, {p}"),
        None => commune.to_owned(),
    }
}

/// A product as a card or a page.
pub struct ProductCard {
    pub href: String,
    /// The page's path, without the language.
    pub href_path: String,
    pub name: String,
    /// `★★★☆☆`.
    pub stars: String,
    pub stars_text: String,
    pub potential_five: bool,
    pub status: String,
    pub status_class: &'static str,
    pub producer: String,
    /// The commune with its province.
    pub commune: String,
    pub decision: String,
    pub authority: String,
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
        href: in_lang(lang, format!("/p/{}", p.product_id)),
        href_path: format!("/p/{}", p.product_id),
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
            .map(|c| place_name(&c.name, p.province.as_ref().map(|u| u.name.as_str())))
            .unwrap_or_default(),
        authority: p.authority.clone(),
        decision: lang.tf(
            "product-decision-value",
            &[
                ("no", p.decision_no.clone()),
                ("date", lang.date(p.decision_date)),
            ],
        ),
    }
}

/// A choice of a filter.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    english: bool,
    provinces: Vec<Choice>,
    former_provinces: Vec<Choice>,
    stars: Vec<Choice>,
    valid: bool,
    results: Vec<ProductCard>,
    count: String,
    searched: bool,
    prev: Option<String>,
    next: Option<String>,
}

const PER_PAGE: u64 = 24;

/// The filters of the search page, as the form sends them.
#[derive(rocket::FromForm, Default)]
pub struct SearchForm<'a> {
    q: Option<&'a str>,
    /// A province's id (today's or a former one), empty for all.
    province: Option<&'a str>,
    stars: Option<&'a str>,
    valid: Option<&'a str>,
    page: Option<u64>,
}

impl SearchForm<'_> {
    fn href(&self, lang: Lang, page: u64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", self.q),
            ("province", self.province),
            ("stars", self.stars),
            ("valid", self.valid),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &page.to_string());
        in_lang(lang, format!("/?{}", q.finish()))
    }
}

/// Today's provinces and the former ones (merged in 2025), for the filter.
fn province_choices(
    graph: &UnitGraph,
    chosen: Option<Uuid>,
    today: NaiveDate,
) -> (Vec<Choice>, Vec<Choice>) {
    let mut now = Vec::new();
    let mut former = Vec::new();
    for u in graph.all().filter_map(|id| graph.get(id)) {
        if u.level != UnitLevel::Province {
            continue;
        }
        let c = Choice {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: chosen == Some(u.id),
        };
        if valid_on(u, today) {
            now.push(c)
        } else {
            former.push(c)
        }
    }
    for list in [&mut now, &mut former] {
        list.sort_by_cached_key(|c| crate::text::fold(&c.label));
    }
    (now, former)
}

/// Products by name, producer or commune, accents optional; filtered by province, stars and
/// validity.
#[get("/?<form..>")]
pub async fn search(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    form: SearchForm<'_>,
) -> Result<Cached, PageError> {
    let lang = here.lang;
    Ok(public
        .answer(async || {
            let text = form.q.map(str::trim).unwrap_or_default();
            let page_no = form.page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE);
            let province = form
                .province
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<Uuid>().map_err(|_| {
                        AppError::invalid("province", crate::msg!("field-must-be-an-id-uuid"))
                    })
                })
                .transpose()?;
            let stars = form
                .stars
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<i16>().map_err(|_| {
                        AppError::invalid(
                            "stars",
                            crate::msg!("field-must-be-between-N-and-N", n1 = 3, n2 = 5),
                        )
                    })
                })
                .transpose()?;
            let valid = form.valid.is_some_and(|v| !v.is_empty());
            let query = PublicQuery {
                q: (!text.is_empty()).then(|| text.to_owned()),
                unit_id: province,
                stars,
                valid: valid.then_some(true),
            };
            query.validate()?;
            let found =
                service::list(db.inner(), &query, &PageParams::new(page_no, PER_PAGE)).await?;
            let pages = found.total.div_ceil(PER_PAGE).max(1);
            let graph = UnitGraph::load(db.inner()).await?;
            let (provinces, former_provinces) =
                province_choices(&graph, province, crate::clock::today());
            let searched = !text.is_empty() || province.is_some() || stars.is_some() || valid;
            rendered(&SearchPage {
                chrome: public_chrome(lang, &here.uri, lang.t("search-title")),
                q: text.to_owned(),
                english: lang == Lang::En,
                provinces,
                former_provinces,
                stars: (3..=5)
                    .map(|n| Choice {
                        value: n.to_string(),
                        label: lang.tf("stars", &[("stars", n.to_string())]),
                        selected: stars == Some(n),
                    })
                    .collect(),
                valid,
                results: found.items.iter().map(|p| card(lang, p)).collect(),
                count: lang.tf("search-results", &[("total", lang.int(found.total as i64))]),
                searched,
                prev: (page_no > 1).then(|| form.href(lang, page_no - 1)),
                next: (page_no < pages).then(|| form.href(lang, page_no + 1)),
            })
        })
        .await?)
}

/// The language and address of a public page.
pub struct Here {
    pub lang: Lang,
    pub uri: String,
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Here {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> rocket::request::Outcome<Self, Self::Error> {
        rocket::outcome::Outcome::Success(Here {
            lang: Lang::public(req),
            uri: req.uri().to_string(),
        })
    }
}

/// A shop on the page.
pub struct ShopLine {
    pub platform: String,
    pub href: Option<String>,
    pub shown: String,
    pub evidence: String,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    chrome: Chrome,
    card: ProductCard,
    group: String,
    description: String,
    commune_today: Vec<String>,
    shops: Vec<ShopLine>,
    qr: String,
    url: String,
    /// schema.org `Product` (JSON-LD), safe inside a `<script>` element.
    structured: String,
    /// The Open Graph card of a shared link.
    og_description: String,
    /// The department's published answers: (problem, answer, date).
    answers: Vec<(String, String, String)>,
    /// A label can be printed (the rating is in force), in these sizes (mm).
    label_sizes: Vec<u32>,
    label_default: u32,
    english: bool,
    photo: Option<super::photos::PhotoShown>,
}

/// The SVG of a QR code for `url` (no XML declaration: it goes inside the page).
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("QR: {e}")))?;
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

fn shop_line(lang: Lang, s: &Shop) -> ShopLine {
    let key = format!("platform-{}", s.platform);
    let platform = match lang.t(&key) {
        t if t == key => s.platform.code().to_owned(),
        t => t,
    };
    ShopLine {
        shown: s
            .shop_url
            .as_deref()
            .map(|u| {
                u.trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned()
            })
            .unwrap_or_else(|| platform.clone()),
        href: s.shop_url.clone(),
        evidence: match (s.evidenced_by, s.verified_on) {
            (EvidencedBy::Verified, Some(on)) => {
                lang.tf("shop-verified", &[("date", lang.date(on))])
            }
            (EvidencedBy::Observed, _) => lang.t("shop-observed"),
            _ => String::new(),
        },
        platform,
    }
}

/// schema.org's `Product` with its brand (the producer) and award (the rating), as JSON-LD
/// that cannot close its `<script>` element.
fn structured_data(page: &PublicProductPage, url: &str, photo: Option<&str>, lang: Lang) -> String {
    let p = &page.product;
    let mut value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name,
        "url": url,
        "brand": { "@type": "Brand", "name": p.subject_name },
        "countryOfOrigin": "VN",
    });
    if let Some(d) = &page.description {
        value["description"] = d.clone().into();
    }
    if let Some(image) = photo {
        value["image"] = image.into();
    }
    // An award only while it stands: an expired or revoked rating is no award to show off.
    if p.status == RecognitionStatus::Active {
        let award = lang.tf(
            "product-award",
            &[
                ("stars", p.stars.to_string()),
                ("no", p.decision_no.clone()),
                ("date", lang.date(p.decision_date)),
            ],
        );
        value["award"] = award.into();
    }
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A rated product's public page, with a QR code pointing to itself.
#[get("/p/<id>")]
pub async fn product(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    base: BaseUrl,
    id: Uuid,
) -> Result<Cached, PageError> {
    let lang = here.lang;
    Ok(public
        .answer(async || {
            let found = public_product::get(db.inner(), id).await?;
            let url = format!("{}/p/{id}", base.0);
            let card = card(lang, &found.product);
            let place = |p: &Place| {
                place_name(
                    &p.commune.name,
                    p.province.as_ref().map(|u| u.name.as_str()),
                )
            };
            // A shared link says whether the rating still stands, not only its stars.
            let photo = found
                .photo
                .as_ref()
                .and_then(|p| super::photos::PhotoShown::of(p, &base.0));
            let og_description = format!(
                "{} · {} · {} · {}",
                card.stars_text, card.status, card.producer, card.commune
            );
            rendered(&ProductPage {
                chrome: public_chrome(lang, &here.uri, found.product.name.clone()),
                group: lang.t(&format!("product-group-{}", found.product.group.code())),
                description: found.description.clone().unwrap_or_default(),
                commune_today: found.commune_today.iter().map(place).collect(),
                shops: found
                    .where_to_buy
                    .iter()
                    .map(|s| shop_line(lang, s))
                    .collect(),
                qr: qr_svg(&url)?,
                structured: structured_data(
                    &found,
                    &url,
                    photo.as_ref().map(|p| p.absolute.as_str()),
                    lang,
                ),
                photo,
                og_description,
                answers: crate::feedback::service::published(db.inner(), id)
                    .await?
                    .iter()
                    .map(|a| {
                        (
                            lang.t(&format!("report-kind-{}", a.kind.code())),
                            a.answer.clone(),
                            a.answered_on.map(|d| lang.date(d)).unwrap_or_default(),
                        )
                    })
                    .collect(),
                label_sizes: if found.product.status == RecognitionStatus::Active {
                    vec![20, 30, 40, 50]
                } else {
                    Vec::new()
                },
                label_default: crate::public::label::DEFAULT_MM,
                english: lang == Lang::En,
                card,
                url,
            })
        })
        .await?)
}

/// A `/p/…` address that is no product id (a cut-off QR code): not found, as for an unknown id.
#[get("/p/<id>", rank = 2)]
pub fn product_unknown(id: &str) -> PageError {
    PageError::App(AppError::not_found("product", id))
}

//! A rated product's printable labels (`/p/{id}/label.svg` and `.pdf`): public answers like the
//! product page, kept and revalidated the same way.

use rocket::http::ContentType;
use rocket::{State, get};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::page::PageError;
use super::public::Here;
use crate::error::AppError;
use crate::http::BaseUrl;
use crate::public::cache::{Cached, PublicRequest, Rendered};
use crate::public::label;
use crate::public::product as public_product;

/// The label's drawing and the name of its file: `size` in millimetres, the default when absent.
async fn drawing(
    db: &DatabaseConnection,
    base: &BaseUrl,
    id: Uuid,
    size: Option<&str>,
    lang: crate::i18n::Lang,
) -> Result<(String, String), AppError> {
    let size = match size {
        None => label::DEFAULT_MM,
        Some(s) => s.trim().parse::<u32>().map_err(|_| {
            let (lo, hi) = (label::SIZES_MM.start(), label::SIZES_MM.end());
            AppError::invalid(
                "size",
                crate::msg!("field-must-be-between-N-and-N", n1 = lo, n2 = hi),
            )
        })?,
    };
    let found = public_product::get(db, id).await?;
    let url = format!("{}/p/{id}", base.0);
    let svg = label::svg(&found, &url, size, lang)?;
    Ok((svg, format!("nhan-ocop-{id}-{size}mm")))
}

/// A printable label of a rated product, as SVG.
#[get("/p/<id>/label.svg?<size>")]
pub async fn label_svg(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    base: BaseUrl,
    id: Uuid,
    size: Option<&str>,
) -> Result<Cached, PageError> {
    Ok(public
        .answer(async || {
            let (svg, file) = drawing(db.inner(), &base, id, size, here.lang).await?;
            Ok(Rendered::new(svg, ContentType::SVG).file(&format!("{file}.svg"), false))
        })
        .await?)
}

/// The same label as a one-page PDF of its size, ready to print.
#[get("/p/<id>/label.pdf?<size>")]
pub async fn label_pdf(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    base: BaseUrl,
    id: Uuid,
    size: Option<&str>,
) -> Result<Cached, PageError> {
    Ok(public
        .answer(async || {
            let (svg, file) = drawing(db.inner(), &base, id, size, here.lang).await?;
            // Drawing a PDF embeds a font: tens of milliseconds, off the async threads.
            let pdf = tokio::task::spawn_blocking(move || label::pdf(&svg))
                .await
                .map_err(|e| AppError::Internal(format!("label PDF: {e}")))??;
            Ok(Rendered::new(pdf, ContentType::PDF).file(&format!("{file}.pdf"), true))
        })
        .await?)
}

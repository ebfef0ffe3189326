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

/// A printable label of a rated product, as SVG.
#[get("/p/<id>/label.svg?<size>")]
pub async fn label_svg(
    db: &State<DatabaseConnection>,
    public: PublicRequest<'_>,
    here: Here,
    base: BaseUrl,
    id: Uuid,
    size: Option<u32>,
) -> Result<Cached, PageError> {
    Ok(public
        .answer(async || {
            let found = public_product::get(db.inner(), id).await?;
            let url = format!("{}/p/{id}", base.0);
            let svg = label::svg(&found, &url, size.unwrap_or(label::DEFAULT_MM), here.lang)?;
            Ok(Rendered::new(svg, ContentType::SVG, Some(found.updated_at)))
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
    size: Option<u32>,
) -> Result<Cached, PageError> {
    Ok(public
        .answer(async || {
            let found = public_product::get(db.inner(), id).await?;
            let url = format!("{}/p/{id}", base.0);
            let svg = label::svg(&found, &url, size.unwrap_or(label::DEFAULT_MM), here.lang)?;
            // Drawing a PDF embeds a font: seconds of CPU at worst, off the async threads.
            let pdf = tokio::task::spawn_blocking(move || label::pdf(&svg))
                .await
                .map_err(|e| AppError::Internal(format!("label PDF: {e}")))??;
            Ok(Rendered::new(pdf, ContentType::PDF, Some(found.updated_at)))
        })
        .await?)
}

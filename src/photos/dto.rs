//! What the API says of a product photo, to its producer and staff, and to the public.

use chrono::{DateTime, Utc};
use entity::product_photo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::render::WIDTHS;
use crate::domain::PhotoStatus;

/// One rendition of a photo.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct PhotoFile {
    /// The width it was rendered for (320, 640 or 1280; a narrower photo keeps its own).
    pub width: u32,
    pub url: String,
}

/// A product photo as its producer and staff see it.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct PhotoView {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_name: String,
    pub subject_id: Uuid,
    pub status: PhotoStatus,
    /// Whether the public page may show it now (approved, or waiting past its review window).
    pub public: bool,
    /// When a photo still waiting shows publicly.
    pub public_from: DateTime<Utc>,
    /// Size of the largest rendition, in pixels.
    pub width: i32,
    pub height: i32,
    /// The renditions, to the producer and staff (any state).
    pub files: Vec<PhotoFile>,
    pub uploaded_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// A product photo on the public page.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct PublicPhoto {
    pub id: Uuid,
    pub width: i32,
    pub height: i32,
    /// The renditions anyone may fetch, narrowest first.
    pub files: Vec<PhotoFile>,
}

/// Whether a photo may show publicly at `now`.
pub fn is_public(m: &product_photo::Model, now: DateTime<Utc>) -> bool {
    match m.status {
        PhotoStatus::Approved => true,
        PhotoStatus::Waiting => m.public_from <= now,
        PhotoStatus::Rejected => false,
    }
}

fn files(prefix: &str, id: Uuid, suffix: &str, api: bool) -> Vec<PhotoFile> {
    let folder = if api { "/files" } else { "" };
    WIDTHS
        .iter()
        .map(|w| PhotoFile {
            width: *w,
            url: format!("{prefix}/{id}{folder}/{w}{suffix}"),
        })
        .collect()
}

impl PhotoView {
    pub fn of(m: product_photo::Model, product_name: String, now: DateTime<Utc>) -> Self {
        PhotoView {
            product_name,
            public: is_public(&m, now),
            files: files("/api/v1/product-photos", m.id, "", true),
            id: m.id,
            product_id: m.product_id,
            subject_id: m.subject_id,
            status: m.status,
            public_from: m.public_from,
            width: m.width,
            height: m.height,
            uploaded_by: m.uploaded_by,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            reason: m.reason,
            version: m.version,
            created_at: m.created_at,
        }
    }
}

impl PublicPhoto {
    pub fn of(m: &product_photo::Model) -> Self {
        PublicPhoto {
            id: m.id,
            width: m.width,
            height: m.height,
            files: files("/photos", m.id, ".jpg", false),
        }
    }
}

/// `POST /api/v1/product-photos/{id}/reject`: why the photo may not show.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectPhoto {
    /// Shown to the producer (up to 5,000 characters).
    #[validate(custom(function = "crate::validate::reason"))]
    pub reason: String,
}

/// `GET /api/v1/product-photos`: staff's list.
#[derive(Debug, Deserialize, Validate, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    pub status: Option<PhotoStatus>,
    pub product_id: Option<Uuid>,
}

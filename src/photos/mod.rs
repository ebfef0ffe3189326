//! Product photos for the public page. A producer uploads a JPEG or PNG; the registry keeps only
//! its own renditions (a few widths, re-encoded, no metadata), and the photo shows publicly once
//! a review window has passed — `documents.photo_review_hours`, 0 for at once — unless an auditor of the
//! product's unit rejected it first (the queue's tab "Ảnh"). An auditor may approve it sooner,
//! or take down a public one; staff uploads need no review.

pub mod dto;
pub mod render;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::upload_photo,
        routes::product_photos,
        routes::list_photos,
        routes::photo_file,
        routes::approve_photo,
        routes::reject_photo,
    ]
}

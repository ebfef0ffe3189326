//! Tài liệu: documents owners (and auditors) upload — certificate scans, linkage contracts,
//! photos. The registry checks the type from the content, computes the SHA-256 itself, keeps the
//! bytes in one object store (a local folder, or S3-compatible storage) and serves them only to
//! those who reach the document's subject. Certifications, areas and channels point to them
//! with `evidence_document_id`.

pub mod dto;
pub mod routes;
pub mod service;
pub mod store;

pub use store::DocumentStore;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::upload_document, routes::get_document]
}

//! Nhật ký kiểm tra: the audit trail. Every write records who did what, with the record before
//! and after, in the same transaction as the write, so a write whose record fails is rolled back.

pub mod dto;
pub mod routes;
pub mod service;

pub use service::{Change, record, statements};

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_audit]
}

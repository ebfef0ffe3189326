//! What an owner should know before it is too late: a recognition or certificate expiring
//! within 90 days, a certification rejected or suspended (with the auditor's reason), an
//! identity change request decided. Worked out from the records at each request — nothing is
//! stored, so every process gives the same list.

pub mod dto;
pub mod routes;
pub mod service;

/// The notices routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_notices]
}

//! Chủ thể OCOP: enterprises, cooperatives, household businesses and the other producers whose
//! products are rated; the population both indicators count.

pub mod dto;
pub mod export;
mod location;
pub mod routes;
pub mod service;
pub mod update;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_subjects,
        routes::create_subject,
        routes::get_subject,
        routes::update_subject
    ]
}

//! Chứng nhận: certifications held by subjects (organic, VietGAP, circular-economy models, …),
//! with a lifecycle moved by auditors — `submitted` → `verified` | `rejected`, `verified` →
//! `suspended` → `verified` | `revoked` — kept as dated history. `expired` is derived.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_certifications,
        routes::list_all_certifications,
        routes::create_certification,
        routes::get_certification,
        routes::update_certification,
        routes::transition_certification
    ]
}

//! The certification-scheme catalogue: data, seeded with the default catalogue of `docs/domain.md`,
//! readable by every user, edited by administrators. A scheme's category (`green`, `circular`,
//! `quality`) says what its certificates prove.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_schemes,
        routes::create_scheme,
        routes::update_scheme
    ]
}

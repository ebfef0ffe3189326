//! Public lookup: anyone can check that a product is OCOP-rated (stars, validity, producer,
//! commune) without a token. Only public facts are shown.

pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_public_products]
}

//! Public lookup: anyone can check that a product is OCOP-rated (stars, validity, producer,
//! commune and province, where to buy it) without a token. Only public facts are shown, and
//! every answer is made to be kept by caches (`cache`).

pub mod cache;
pub mod label;
pub mod product;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_public_products, routes::get_public_product]
}

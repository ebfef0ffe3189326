//! Sản phẩm OCOP and their recognitions (quyết định công nhận): a product belongs to one
//! subject; each star rating is a recognition valid for 36 months from its decision unless
//! revoked.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_products,
        routes::create_product,
        routes::get_product,
        routes::update_product,
        routes::list_recognitions,
        routes::create_recognition,
        routes::get_recognition,
        routes::revoke_recognition
    ]
}

//! Kênh bán hàng: a subject's sales channels (marketplace shops, supermarket chains, OCOP
//! showrooms, …). Owners declare them; auditors verify them; the channel sync observes their
//! listings. Verification is dated history, so a channel counts on a past day only if it was
//! verified by then.

pub mod dto;
pub mod listings;
pub mod observe;
pub mod routes;
pub mod service;
pub mod shops;
pub mod verification;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_channels,
        routes::list_all_channels,
        routes::create_channel,
        routes::get_channel,
        routes::update_channel,
        routes::verify_channel,
        routes::reject_channel,
        routes::list_listings
    ]
}

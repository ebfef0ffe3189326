//! Đồng bộ kênh thương mại điện tử: channel sync. Each marketplace (Shopee, Lazada, TikTok Shop)
//! and the registry's own feed has one home in `marketplaces/`; sync runs are claimed in the
//! database so several processes never sync one channel at once; signed pushes are stored before
//! they are acknowledged and processed after. A modern channel is thereby proven by a live
//! listing, not only declared.

pub mod authorize;
pub mod client;
pub mod connection;
pub mod demo_feed;
pub mod dto;
pub mod lease;
pub mod marketplaces;
pub mod routes;
pub mod runs;
pub mod scheduler;
pub mod secrets;
pub mod settings;
pub mod webhooks;

pub use settings::SyncSettings;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::get_channel_connection,
        routes::put_channel_connection,
        routes::delete_channel_connection,
        routes::authorize_channel,
        routes::sync_channel,
        routes::list_sync_runs,
        routes::receive_webhook,
        routes::match_listing
    ]
}

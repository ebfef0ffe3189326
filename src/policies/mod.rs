//! The indicator policy as versioned data: thresholds and switches of the value-chain and
//! modern-channel rules (`docs/domain.md` §4). An administrator's change makes a new version; every
//! report names the version it used and prints its parameters.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_policies, routes::create_policy]
}

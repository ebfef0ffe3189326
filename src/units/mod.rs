//! Đơn vị hành chính: provinces, districts and communes as versions (code + validity), with the
//! succession links of the 2025 reforms. Read-only over the API; loaded from `data/units/`.

pub mod dataset;
pub mod dto;
pub mod loader;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::list_units, routes::get_unit]
}

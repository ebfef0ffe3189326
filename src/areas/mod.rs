//! Vùng nguyên liệu: raw-material areas of a subject (exact hectares, GeoJSON geometry, growing
//! area code) and, for linked areas, the linkage contract of Decree 98/2018/NĐ-CP. Areas are
//! evidence: they follow the certification lifecycle (docs/domain.md §7).

pub mod dto;
pub mod routes;
pub mod service;
pub mod verification;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_areas,
        routes::create_area,
        routes::get_area,
        routes::update_area,
        routes::list_all_areas,
        routes::transition_area
    ]
}

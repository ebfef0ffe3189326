//! Where the demo's areas lie: a square of the declared hectares in the commune's district.

use rand::Rng;
use rand::rngs::StdRng;
use uuid::Uuid;

/// Where each of Quảng Nam's district-level units lies (its centre, lon/lat, to a few
/// kilometres): the demo draws an area's polygon in its commune's district.
const DISTRICT_CENTRES: &[(&str, (f64, f64))] = &[
    ("502", (108.48, 15.57)),
    ("503", (108.33, 15.88)),
    ("504", (107.48, 15.88)),
    ("505", (107.75, 15.95)),
    ("506", (108.10, 15.85)),
    ("507", (108.25, 15.90)),
    ("508", (108.20, 15.77)),
    ("509", (108.12, 15.65)),
    ("510", (107.60, 15.65)),
    ("511", (107.80, 15.38)),
    ("512", (108.08, 15.55)),
    ("513", (108.35, 15.70)),
    ("514", (108.28, 15.45)),
    ("515", (108.20, 15.28)),
    ("516", (108.08, 15.08)),
    ("517", (108.60, 15.42)),
    ("518", (108.40, 15.50)),
    ("519", (107.98, 15.70)),
];

/// The district-level code of a commune, or of the commune it was formed from (a Đà Nẵng
/// commune of the 2025 reform has no district).
/// Where a commune's areas are drawn: near its district's centre, when it is one of Quảng Nam's.
pub(super) fn anchor(graph: &crate::unit_graph::UnitGraph, commune: Uuid) -> Option<(f64, f64)> {
    district_of(graph, commune).and_then(anchor_of)
}

fn district_of(graph: &crate::unit_graph::UnitGraph, commune: Uuid) -> Option<String> {
    std::iter::once(commune)
        .chain(graph.predecessors_of(commune).iter().copied())
        .filter_map(|id| graph.get(id)?.parent_id)
        .filter_map(|p| graph.get(p))
        .find(|p| p.level == crate::domain::UnitLevel::District)
        .map(|p| p.code.clone())
}

fn anchor_of(district: String) -> Option<(f64, f64)> {
    DISTRICT_CENTRES
        .iter()
        .find(|(code, _)| *code == district)
        .map(|(_, at)| *at)
}

/// A square of `ha` hectares a few kilometres from `at` (its geodesic area within a fraction
/// of a per cent of `ha`).
fn square(rng: &mut StdRng, at: (f64, f64), ha: rust_decimal::Decimal) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    let lon = at.0 + (rng.random_range(0..900) as f64 - 450.0) / 10_000.0;
    let lat = at.1 + (rng.random_range(0..800) as f64 - 400.0) / 10_000.0;
    // A third draw, as the demo always made: the random stream (and every figure the README
    // shows) stays as it was.
    let _ = rng.random_range(0..8);
    let side_m = (ha.to_f64().unwrap_or(1.0) * 10_000.0).sqrt();
    let dlat = side_m / 110_574.0;
    let dlon = side_m / (111_320.0 * lat.to_radians().cos());
    serde_json::json!({"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]
    ]]})
}

/// An area's declared hectares, as the demo draws them (0 to 40 ha).
pub(super) fn hectares(rng: &mut StdRng) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(
        rng.random_range(0..40) * 10_000 + rng.random_range(1..10_000),
        4,
    )
}

/// Two areas in five have a polygon, drawn in their commune's district of Quảng Nam (the
/// registry knows no other places' coordinates). The draws are made either way, so the random
/// stream, and every figure the README shows, is the same.
pub(super) fn drawn(
    rng: &mut StdRng,
    anchor: Option<(f64, f64)>,
    ha: rust_decimal::Decimal,
) -> Option<serde_json::Value> {
    if !rng.random_bool(0.4) {
        return None;
    }
    let square = square(rng, anchor.unwrap_or((108.0, 15.0)), ha);
    anchor.map(|_| square)
}

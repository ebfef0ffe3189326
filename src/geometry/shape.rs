//! A polygon's shape: the simple-features rules, RFC 7946's winding, the geodesic area.

use geo::{Coord, GeodesicArea, LineString, MultiPolygon, Polygon};
use geojson::{Geometry, GeometryValue, Position};
use rust_decimal::Decimal;

use crate::i18n::Msg;
use crate::msg;

/// The most hectares an area may have (as its declared `area_ha`).
const MAX_HECTARES: f64 = 100_000.0;

/// A polygon's rings as `geo` draws them (longitude x, latitude y).
pub(super) fn shape_of(rings: &[Vec<Position>]) -> Polygon<f64> {
    let ring = |r: &Vec<Position>| {
        LineString::from(
            r.iter()
                .map(|p| Coord {
                    x: p.as_slice()[0],
                    y: p.as_slice()[1],
                })
                .collect::<Vec<_>>(),
        )
    };
    let mut rings = rings.iter().map(ring);
    let exterior = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
    Polygon::new(exterior, rings.collect())
}

/// The OGC simple-features rules (`simple.rs`), each refusal naming the polygon and ring
/// (counted from 1) and what is wrong; then a non-zero area for every polygon. Repeated
/// vertices (a GPS trace's pauses) are not an error.
pub(super) fn valid(parts: &MultiPolygon<f64>) -> Result<(), Msg> {
    use geo::RemoveRepeatedPoints;
    let parts = parts.remove_repeated_points();
    super::simple::check(&parts)?;
    // No raw-material area is larger than the registry's most hectares: a polygon that large
    // spans borders or open sea between its vertices, which alone are checked for territory.
    let total: f64 = parts
        .0
        .iter()
        .map(GeodesicArea::geodesic_area_unsigned)
        .sum();
    if total > MAX_HECTARES * 10_000.0 {
        return Err(msg!("geo-too-large", max = MAX_HECTARES));
    }
    for (i, p) in parts.0.iter().enumerate() {
        use geo::Area;
        // Collinear vertices enclose nothing on the plane (their geodesics still bulge a
        // little): either measure says "no area".
        if p.unsigned_area() < 1e-12 || p.geodesic_area_unsigned() < 1.0 {
            return Err(msg!("geo-zero-area", polygon = i + 1));
        }
    }
    Ok(())
}

/// Twice the signed planar area of a ring (positive: counter-clockwise).
pub(super) fn signed(ring: &[Position]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (w[0].as_slice(), w[1].as_slice());
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// RFC 7946's winding: the exterior ring counter-clockwise, holes clockwise (each vertex kept
/// as sent, its elevation too).
pub(super) fn orient(rings: &mut [Vec<Position>]) {
    for (i, ring) in rings.iter_mut().enumerate() {
        let ccw = signed(ring) > 0.0;
        if ccw != (i == 0) {
            ring.reverse();
        }
    }
}

/// The geodesic area, in hectares to four places, of a stored geometry's polygons (`None`: a
/// point, or text that is not a geometry).
pub fn area_ha(stored: &serde_json::Value) -> Option<Decimal> {
    let mut geometry: Geometry = serde_json::from_value(stored.clone()).ok()?;
    // Stored before the registry wound rings itself: wound here as well.
    let parts: Vec<Polygon<f64>> = match &mut geometry.value {
        GeometryValue::Polygon { coordinates } => {
            orient(coordinates);
            vec![shape_of(coordinates)]
        }
        GeometryValue::MultiPolygon { coordinates } => coordinates
            .iter_mut()
            .map(|p| {
                orient(p);
                shape_of(p)
            })
            .collect(),
        _ => return None,
    };
    let m2: f64 = parts.iter().map(GeodesicArea::geodesic_area_unsigned).sum();
    Decimal::from_f64_retain(m2 / 10_000.0).map(|d| d.round_dp(4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn areas_are_geodesic() {
        // pyproj 3.7: Geod(ellps="WGS84").polygon_area_perimeter of the same rings.
        for (ring, pyproj_ha) in [
            (
                json!([
                    [108.0, 15.0],
                    [108.01, 15.0],
                    [108.01, 15.01],
                    [108.0, 15.01],
                    [108.0, 15.0]
                ]),
                119.000_500_04,
            ),
            (
                json!([
                    [108.40, 15.50],
                    [108.52, 15.51],
                    [108.49, 15.62],
                    [108.41, 15.60],
                    [108.40, 15.50]
                ]),
                12_641.161_438_73,
            ),
        ] {
            let ha = area_ha(&json!({"type": "Polygon", "coordinates": [ring]})).unwrap();
            let ha: f64 = ha.to_string().parse().unwrap();
            assert!(
                (ha - pyproj_ha).abs() / pyproj_ha < 0.0001,
                "{ha} against {pyproj_ha}"
            );
        }
        assert_eq!(
            area_ha(&json!({"type": "Point", "coordinates": [108.0, 15.0]})),
            None
        );
    }
}

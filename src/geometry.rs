//! GeoJSON geometry of raw-material areas: Point, Polygon or MultiPolygon (WGS84), closed
//! rings, coordinates inside Vietnam's range (islands included), at most 10,000 vertices.

use geojson::{Geometry, GeometryValue, Position};

/// Longitudes Vietnam spans, islands included.
pub const LON: (f64, f64) = (102.0, 118.0);
/// Latitudes Vietnam spans, islands included.
pub const LAT: (f64, f64) = (6.0, 24.0);
/// Most vertices a geometry may carry.
pub const MAX_VERTICES: usize = 10_000;

/// Checks a geometry sent as JSON and returns it as compact JSON text for storage.
pub fn check(value: &serde_json::Value) -> Result<String, String> {
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !matches!(kind, "Point" | "Polygon" | "MultiPolygon") {
        return Err(format!(
            "type must be Point, Polygon or MultiPolygon (got {})",
            if kind.is_empty() { "nothing" } else { kind }
        ));
    }
    let geometry: Geometry = serde_json::from_value(value.clone())
        .map_err(|e| format!("is not valid GeoJSON for a {kind}: {e}"))?;
    let mut vertices = 0usize;
    match &geometry.value {
        GeometryValue::Point { coordinates } => {
            position(coordinates, "the point")?;
            vertices = 1;
        }
        GeometryValue::Polygon { coordinates } => polygon(coordinates, "", &mut vertices)?,
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("a MultiPolygon needs at least one polygon".to_owned());
            }
            for (i, p) in coordinates.iter().enumerate() {
                polygon(p, &format!("polygon {} ", i + 1), &mut vertices)?;
            }
        }
        _ => return Err("type must be Point, Polygon or MultiPolygon".to_owned()),
    }
    if vertices > MAX_VERTICES {
        return Err(format!(
            "has {vertices} vertices; at most {MAX_VERTICES} are accepted"
        ));
    }
    serde_json::to_string(&geometry).map_err(|e| format!("cannot be stored: {e}"))
}

fn position(p: &Position, what: &str) -> Result<(), String> {
    let c = p.as_slice();
    if c.len() < 2 || c.len() > 3 {
        return Err(format!("{what} must be [longitude, latitude]"));
    }
    let (lon, lat) = (c[0], c[1]);
    if !(LON.0..=LON.1).contains(&lon) || !(LAT.0..=LAT.1).contains(&lat) {
        return Err(format!(
            "{what} [{lon}, {lat}] lies outside Vietnam (longitude {}..{}, latitude {}..{})",
            LON.0, LON.1, LAT.0, LAT.1
        ));
    }
    Ok(())
}

fn polygon(rings: &[Vec<Position>], prefix: &str, vertices: &mut usize) -> Result<(), String> {
    if rings.is_empty() {
        return Err(format!("{prefix}has no ring"));
    }
    for (r, ring) in rings.iter().enumerate() {
        let what = format!("{prefix}ring {}", r + 1);
        if ring.len() < 4 {
            return Err(format!("{what} needs at least 4 positions (closed)"));
        }
        for p in ring {
            position(p, &format!("a vertex of {what}"))?;
        }
        let (first, last) = (ring[0].as_slice(), ring[ring.len() - 1].as_slice());
        if first != last {
            return Err(format!(
                "{what} is not closed: its last position must equal its first"
            ));
        }
        *vertices += ring.len();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_points_and_closed_polygons_inside_vietnam() {
        assert!(check(&json!({"type": "Point", "coordinates": [108.47, 15.57]})).is_ok());
        let square = json!([[108.0, 15.0], [108.1, 15.0], [108.1, 15.1], [108.0, 15.0]]);
        assert!(check(&json!({"type": "Polygon", "coordinates": [square]})).is_ok());
        assert!(check(&json!({"type": "MultiPolygon", "coordinates": [[square]]})).is_ok());
    }

    #[test]
    fn rejects_each_rule() {
        let open = json!([[108.0, 15.0], [108.1, 15.0], [108.1, 15.1], [108.0, 15.2]]);
        assert!(
            check(&json!({"type": "Polygon", "coordinates": [open]}))
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            check(&json!({"type": "Point", "coordinates": [2.35, 48.85]}))
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            check(&json!({"type": "LineString", "coordinates": [[108.0, 15.0], [108.1, 15.0]]}))
                .unwrap_err()
                .contains("type")
        );
        assert!(check(&json!({"type": "Polygon", "coordinates": "x"})).is_err());
    }
}

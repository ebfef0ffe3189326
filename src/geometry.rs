//! GeoJSON geometry of raw-material areas: Point, Polygon or MultiPolygon (WGS84), closed
//! rings, coordinates inside Vietnam's range (islands included), at most 10,000 vertices.

use geojson::{Geometry, GeometryValue, Position};

use crate::i18n::Msg;
use crate::msg;

/// Longitudes Vietnam spans, islands included.
pub const LON: (f64, f64) = (102.0, 118.0);
/// Latitudes Vietnam spans, islands included.
pub const LAT: (f64, f64) = (6.0, 24.0);
/// Most vertices a geometry may carry.
pub const MAX_VERTICES: usize = 10_000;

/// Checks a geometry sent as JSON and returns it as compact JSON text for storage.
pub fn check(value: &serde_json::Value) -> Result<String, Msg> {
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !matches!(kind, "Point" | "Polygon" | "MultiPolygon") {
        return Err(msg!(
            "geo-type",
            got = if kind.is_empty() { "-" } else { kind }
        ));
    }
    let geometry: Geometry = serde_json::from_value(value.clone())
        .map_err(|e| msg!("geo-invalid", kind = kind, detail = e))?;
    let mut vertices = 0usize;
    match &geometry.value {
        GeometryValue::Point { coordinates } => {
            position(coordinates, None)?;
            vertices = 1;
        }
        GeometryValue::Polygon { coordinates } => polygon(coordinates, 1, &mut vertices)?,
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err(msg!("geo-no-polygon"));
            }
            for (i, p) in coordinates.iter().enumerate() {
                polygon(p, i + 1, &mut vertices)?;
            }
        }
        _ => return Err(msg!("geo-type", got = kind)),
    }
    if vertices > MAX_VERTICES {
        return Err(msg!(
            "geo-too-many-vertices",
            vertices = vertices,
            max = MAX_VERTICES
        ));
    }
    serde_json::to_string(&geometry).map_err(|e| msg!("geo-invalid", kind = kind, detail = e))
}

/// A position: the point's (`None`), or a vertex of ring `r` of polygon `p`.
fn position(p: &Position, at: Option<(usize, usize)>) -> Result<(), Msg> {
    let c = p.as_slice();
    let (polygon, ring) = at.unwrap_or_default();
    if c.len() < 2 || c.len() > 3 {
        return Err(match at {
            None => msg!("geo-point-shape"),
            Some(_) => msg!("geo-vertex-shape", polygon = polygon, ring = ring),
        });
    }
    let (lon, lat) = (c[0], c[1]);
    if !(LON.0..=LON.1).contains(&lon) || !(LAT.0..=LAT.1).contains(&lat) {
        return Err(match at {
            None => msg!("geo-point-outside", lon = lon, lat = lat),
            Some(_) => msg!(
                "geo-vertex-outside",
                polygon = polygon,
                ring = ring,
                lon = lon,
                lat = lat
            ),
        });
    }
    Ok(())
}

fn polygon(rings: &[Vec<Position>], p: usize, vertices: &mut usize) -> Result<(), Msg> {
    if rings.is_empty() {
        return Err(msg!("geo-no-ring", polygon = p));
    }
    for (r, ring) in rings.iter().enumerate() {
        let r = r + 1;
        if ring.len() < 4 {
            return Err(msg!("geo-ring-short", polygon = p, ring = r));
        }
        for pos in ring {
            position(pos, Some((p, r)))?;
        }
        let (first, last) = (ring[0].as_slice(), ring[ring.len() - 1].as_slice());
        if first != last {
            return Err(msg!("geo-ring-open", polygon = p, ring = r));
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
                .to_string()
                .contains("not closed")
        );
        assert!(
            check(&json!({"type": "Point", "coordinates": [2.35, 48.85]}))
                .unwrap_err()
                .to_string()
                .contains("outside")
        );
        assert!(
            check(&json!({"type": "LineString", "coordinates": [[108.0, 15.0], [108.1, 15.0]]}))
                .unwrap_err()
                .to_string()
                .contains("type")
        );
        assert!(check(&json!({"type": "Polygon", "coordinates": "x"})).is_err());
    }
}

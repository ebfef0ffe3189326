//! GeoJSON geometry of raw-material areas: Point, Polygon or MultiPolygon (WGS84), at most
//! 10,000 vertices, valid under the OGC simple-features rules (closed rings, no
//! self-intersection, holes inside their shell, parts that do not overlap, a non-zero area),
//! stored with exterior rings counter-clockwise (RFC 7946), and inside Vietnam's territory: its
//! mainland, coastal waters and islands, the Hoàng Sa and Trường Sa archipelagos included.
//! Each polygon's area is geodesic, on the WGS 84 ellipsoid (Karney's algorithm, as pyproj's
//! `Geod` computes it).

mod shape;
mod simple;
mod territory;

use geo::MultiPolygon;
use geojson::{Geometry, GeometryValue, Position};

pub use shape::area_ha;
use shape::{orient, shape_of, valid};
pub use territory::in_vietnam;

use crate::i18n::Msg;
use crate::msg;

/// Most vertices a geometry may carry.
pub const MAX_VERTICES: usize = 10_000;
/// Most JSON values (numbers, strings, arrays, objects) a GeoJSON file may hold: every vertex
/// with three coordinates, and room for a feature's properties.
pub const MAX_VALUES: usize = 4 * MAX_VERTICES + 2_000;
/// Deepest nesting of a GeoJSON file: a feature collection's multipolygon is 8 levels.
pub const MAX_DEPTH: usize = 12;

/// Measures a GeoJSON file as it stands in bytes, before anything is built from it: a parsed
/// JSON value takes tens of times its text, so a file is refused by its count of values and
/// its depth first (a 10 MiB file of coordinates took 540 MB parsed).
pub fn measure(bytes: &[u8]) -> Result<(), Msg> {
    let (mut depth, mut values) = (0usize, 0usize);
    let (mut in_string, mut escaped, mut in_scalar) = (false, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                in_scalar = false;
                values += 1;
            }
            b'[' | b'{' => {
                depth += 1;
                values += 1;
                in_scalar = false;
                if depth > MAX_DEPTH {
                    return Err(msg!("geo-too-deep", max = MAX_DEPTH));
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                in_scalar = false;
            }
            b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => in_scalar = false,
            _ if !in_scalar => {
                in_scalar = true;
                values += 1;
            }
            _ => {}
        }
        if values > MAX_VALUES {
            return Err(msg!("geo-too-many-values", max = MAX_VERTICES));
        }
    }
    Ok(())
}

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
    let mut value = geometry.value;
    match &mut value {
        // Wound as RFC 7946 asks first: the areas below count a clockwise shell as negative.
        GeometryValue::Polygon { coordinates } => {
            orient(coordinates);
            valid(&MultiPolygon::new(vec![shape_of(coordinates)]))?;
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter_mut().for_each(|p| orient(p));
            valid(&MultiPolygon::new(
                coordinates.iter().map(|p| shape_of(p)).collect(),
            ))?;
        }
        _ => {}
    }
    // Only the shape is kept: a bounding box or members of the sender's own are not the area.
    let shape = Geometry::new(value);
    serde_json::to_string(&shape).map_err(|e| msg!("geo-invalid", kind = kind, detail = e))
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
    if !in_vietnam(lon, lat) {
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
    fn keeps_the_shape_alone() {
        let square = json!([[108.0, 15.0], [108.1, 15.0], [108.1, 15.1], [108.0, 15.0]]);
        let stored = check(&json!({"type": "Polygon", "coordinates": [square],
            "bbox": [108.0, 15.0, 108.1, 15.1], "owner_note": "x".repeat(1000)}))
        .unwrap();
        assert!(
            !stored.contains("bbox") && !stored.contains("owner_note"),
            "{stored}"
        );
    }

    #[test]
    fn measures_a_file_before_parsing_it() {
        let ring = |n: usize| format!("[{}[108.0,15.0]]", "[108.0,15.0],".repeat(n));
        let feature = |n: usize| {
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"tên":"Vùng \"chè\" [1]"}},"geometry":{{"type":"MultiPolygon","coordinates":[[{}]]}}}}]}}"#,
                ring(n)
            )
        };
        assert!(measure(feature(9_000).as_bytes()).is_ok());
        assert!(
            measure(feature(15_000).as_bytes())
                .unwrap_err()
                .to_string()
                .contains("10000")
        );
        let deep = format!("{}{}", "[".repeat(13), "]".repeat(13));
        assert!(measure(deep.as_bytes()).is_err());
        // Brackets inside a string are text, not nesting.
        let quoted = format!(
            r#"{{"type":"Point","coordinates":[108,15],"n":"{}"}}"#,
            "[".repeat(100)
        );
        assert!(measure(quoted.as_bytes()).is_ok());
    }

    fn polygon(rings: serde_json::Value) -> Result<String, String> {
        check(&json!({"type": "Polygon", "coordinates": rings})).map_err(|e| e.to_string())
    }

    #[test]
    fn only_valid_shapes_are_kept_and_exteriors_turn_counter_clockwise() {
        let bowtie = json!([[
            [108.0, 15.0],
            [108.1, 15.1],
            [108.1, 15.0],
            [108.0, 15.1],
            [108.0, 15.0]
        ]]);
        assert!(polygon(bowtie).unwrap_err().contains("intersects itself"));
        let shell = json!([
            [108.0, 15.0],
            [108.1, 15.0],
            [108.1, 15.1],
            [108.0, 15.1],
            [108.0, 15.0]
        ]);
        let far = json!([[108.3, 15.3], [108.3, 15.4], [108.4, 15.4], [108.3, 15.3]]);
        assert!(
            polygon(json!([shell, far]))
                .unwrap_err()
                .contains("outside the polygon's exterior")
        );
        let flat = json!([[[108.0, 15.0], [108.1, 15.0], [108.2, 15.0], [108.0, 15.0]]]);
        assert!(polygon(flat).is_err());
        let other = json!([
            [108.05, 15.05],
            [108.15, 15.05],
            [108.15, 15.15],
            [108.05, 15.15],
            [108.05, 15.05]
        ]);
        assert!(
            check(&json!({"type": "MultiPolygon", "coordinates": [[shell], [other]]}))
                .unwrap_err()
                .to_string()
                .contains("overlap")
        );
        // Sent clockwise, stored counter-clockwise; a hole the other way round.
        let clockwise = json!([
            [108.0, 15.0],
            [108.0, 15.1],
            [108.1, 15.1],
            [108.1, 15.0],
            [108.0, 15.0]
        ]);
        let hole = json!([
            [108.02, 15.02],
            [108.04, 15.02],
            [108.04, 15.04],
            [108.02, 15.02]
        ]);
        let stored: serde_json::Value =
            serde_json::from_str(&polygon(json!([clockwise, hole])).unwrap()).unwrap();
        let rings = stored["coordinates"].as_array().unwrap();
        let positions =
            |r: &serde_json::Value| -> Vec<Position> { serde_json::from_value(r.clone()).unwrap() };
        assert!(shape::signed(&positions(&rings[0])) > 0.0, "{stored}");
        assert!(shape::signed(&positions(&rings[1])) < 0.0, "{stored}");
        assert_eq!(rings[0][1], json!([108.1, 15.0]), "{stored}");
    }

    /// A square at (108 + x, 15 + y) of side `d` degrees, counter-clockwise (or the other way).
    fn square(x: f64, y: f64, d: f64, ccw: bool) -> serde_json::Value {
        let (x, y) = (108.0 + x, 15.0 + y);
        let mut r = vec![[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]];
        if !ccw {
            r.reverse();
        }
        json!(r)
    }

    fn multi(parts: serde_json::Value) -> Result<String, String> {
        check(&json!({"type": "MultiPolygon", "coordinates": parts})).map_err(|e| e.to_string())
    }

    #[test]
    fn rings_and_parts_may_touch_at_points_but_not_cross_nest_or_share_edges() {
        let shell = square(0.0, 0.0, 0.1, true);
        // Allowed: a hole touching its shell at one vertex, an island in a lake, parts meeting
        // at a corner, a GPS trace's repeated vertex.
        let touching = json!([
            [108.0, 15.0],
            [108.02, 15.04],
            [108.04, 15.02],
            [108.0, 15.0]
        ]);
        assert!(polygon(json!([shell, touching])).is_ok());
        let lake = square(0.02, 0.02, 0.06, false);
        let island = square(0.04, 0.04, 0.01, true);
        assert!(multi(json!([[shell, lake], [island]])).is_ok());
        assert!(multi(json!([[shell], [square(0.1, 0.1, 0.1, true)]])).is_ok());
        let paused = json!([[
            [108.0, 15.0],
            [108.1, 15.0],
            [108.1, 15.0],
            [108.1, 15.1],
            [108.0, 15.0]
        ]]);
        assert!(polygon(paused).is_ok());
        // Refused: a ring touching itself, a spike, nested holes, a hole on the shell's edge,
        // a part inside another, parts sharing an edge.
        let figure_eight = json!([[
            [108.0, 15.0],
            [108.1, 15.0],
            [108.05, 15.05],
            [108.1, 15.1],
            [108.0, 15.1],
            [108.05, 15.05],
            [108.0, 15.0]
        ]]);
        assert!(
            polygon(figure_eight)
                .unwrap_err()
                .contains("intersects itself")
        );
        let spike = json!([[
            [108.0, 15.0],
            [108.1, 15.0],
            [108.2, 15.0],
            [108.1, 15.0],
            [108.1, 15.1],
            [108.0, 15.0]
        ]]);
        assert!(polygon(spike).unwrap_err().contains("intersects itself"));
        let (outer, inner) = (
            square(0.01, 0.01, 0.08, false),
            square(0.03, 0.03, 0.02, false),
        );
        assert!(
            polygon(json!([shell, outer, inner]))
                .unwrap_err()
                .contains("ring 3 crosses ring 2"),
        );
        let on_edge = square(0.0, 0.02, 0.02, false);
        assert!(
            polygon(json!([shell, on_edge]))
                .unwrap_err()
                .contains("ring 2")
        );
        for parts in [
            json!([[shell], [square(0.02, 0.02, 0.02, true)]]),
            json!([[square(0.02, 0.02, 0.02, true)], [shell]]),
            json!([[shell], [square(0.1, 0.0, 0.1, true)]]),
        ] {
            assert!(
                multi(parts.clone()).unwrap_err().contains("overlap"),
                "{parts}"
            );
        }
    }

    #[test]
    fn rings_touching_at_vertices_are_judged_by_what_they_enclose() {
        let p = |x: f64, y: f64| [108.0 + x / 100.0, 15.0 + y / 100.0];
        let ring = |pts: &[(f64, f64)]| {
            let mut r: Vec<[f64; 2]> = pts.iter().map(|(x, y)| p(*x, *y)).collect();
            r.push(r[0]);
            json!(r)
        };
        let square = ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        // A second part entering the square through one corner and leaving by the opposite
        // one: it meets the square only at vertices, yet covers half of it (either order).
        let through = ring(&[(20.0, 0.0), (10.0, 10.0), (0.0, 0.0), (10.0, -5.0)]);
        for parts in [
            json!([[square.clone()], [through.clone()]]),
            json!([[through], [square.clone()]]),
        ] {
            assert!(
                multi(parts.clone()).unwrap_err().contains("overlap"),
                "{parts}"
            );
        }
        // A hole mostly outside its shell, meeting it at two vertices only.
        let hole_out = ring(&[(0.0, 0.0), (10.0, 10.0), (20.0, 5.0)]);
        assert!(polygon(json!([square.clone(), hole_out])).is_err());
        // A hole touching the shell at two points cuts the interior in two; so does a chain of
        // holes from one side to the other; a hole touching at one point does not.
        let across = ring(&[(0.0, 5.0), (5.0, 3.0), (10.0, 5.0), (5.0, 7.0)]);
        assert!(
            polygon(json!([square.clone(), across]))
                .unwrap_err()
                .contains("cut in two")
        );
        let left = ring(&[(0.0, 5.0), (3.0, 3.0), (5.0, 5.0), (3.0, 7.0)]);
        let right = ring(&[(5.0, 5.0), (7.0, 3.0), (10.0, 5.0), (7.0, 7.0)]);
        assert!(
            polygon(json!([square.clone(), left.clone(), right]))
                .unwrap_err()
                .contains("cut in two")
        );
        assert!(polygon(json!([square.clone(), left])).is_ok());
        // Thousands of holes, none near another: each compared with its neighbours only.
        let mut rings = vec![square];
        for i in 0..44 {
            for j in 0..44 {
                let (x, y) = (0.1 + i as f64 * 0.22, 0.1 + j as f64 * 0.22);
                rings.push(ring(&[
                    (x, y),
                    (x, y + 0.1),
                    (x + 0.1, y + 0.1),
                    (x + 0.1, y),
                ]));
            }
        }
        let many = polygon(json!(rings));
        assert!(many.is_ok(), "{:?}", many.err());
    }

    #[test]
    fn a_large_boundary_is_checked_in_n_log_n_and_a_contrived_one_refused() {
        // 9,999 vertices on a circle: the R-tree compares each edge with its neighbours only
        // (the quadratic check took 20 s on it, debug build).
        let n = 9_998;
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                [108.0 + 0.05 * a.cos(), 15.0 + 0.05 * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        assert!(polygon(json!([ring])).is_ok());
        // A zigzag of long slanted edges, none crossing, whose boxes all meet.
        let mut comb = Vec::new();
        for i in 0..2_400 {
            let h = 0.01 * i as f64 / 2_400.0;
            comb.push([108.0, 15.0 + h]);
            comb.push([108.1, 15.05 + h]);
        }
        comb.push([108.11, 15.07]);
        comb.push([108.11, 14.99]);
        comb.push(comb[0]);
        assert!(
            polygon(json!([comb]))
                .unwrap_err()
                .contains("too many edges")
        );
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

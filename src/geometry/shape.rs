//! A polygon's shape: the simple-features rules, RFC 7946's winding, the geodesic area.

use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{
    BoundingRect, Coord, CoordinatePosition, GeodesicArea, Intersects, Line, LineString,
    MultiPolygon, Polygon, coordinate_position::CoordPos,
};
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

/// Most pairs of edges whose boxes meet that a check examines (each pair found twice, and each
/// edge with itself). A surveyed boundary's edge meets its two neighbours and a few others, so
/// 10,000 vertices make about 50,000; a shape
/// drawn so that every box meets every other (which would take the quadratic check `geo`'s
/// `Validation` runs 20 s on 10,000 vertices) is refused instead of occupying a worker.
const MAX_EDGE_PAIRS: usize = 1_000_000;

/// One edge of a ring: polygon, ring (0 = the exterior), its place in the ring and the ring's
/// count of edges.
struct Edge {
    part: usize,
    ring: usize,
    index: usize,
    count: usize,
    line: Line<f64>,
}

/// The OGC simple-features rules, each refusal naming the polygon and ring (counted from 1)
/// and what is wrong: rings simple (no edge meets another but its neighbours, at their shared
/// vertex), rings and parts meeting at most at points, holes inside their shell and not inside
/// each other, parts not inside each other; then a non-zero area for every polygon.
/// Repeated vertices (a GPS trace's pauses) are not an error.
pub(super) fn valid(parts: &MultiPolygon<f64>) -> Result<(), Msg> {
    use geo::RemoveRepeatedPoints;
    let parts = parts.remove_repeated_points();
    let rings = |p: &Polygon<f64>| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut edges = Vec::new();
    for (part, p) in parts.0.iter().enumerate() {
        for (ring, r) in rings(p).iter().enumerate() {
            // A closed ring needs three distinct vertices.
            if r.0.len() < 4 {
                return Err(msg!(
                    "geo-self-intersection",
                    polygon = part + 1,
                    ring = ring + 1
                ));
            }
            let count = r.0.len() - 1;
            edges.extend(r.lines().enumerate().map(|(index, line)| Edge {
                part,
                ring,
                index,
                count,
                line,
            }));
        }
    }
    crossings(&edges)?;
    for (i, p) in parts.0.iter().enumerate() {
        let shell = Polygon::new(p.exterior().clone(), Vec::new());
        for (h, hole) in p.interiors().iter().enumerate() {
            if side(hole, &shell) != Some(CoordPos::Inside) {
                return Err(msg!("geo-hole-outside", polygon = i + 1, ring = h + 2));
            }
            let inside_another = p.interiors().iter().enumerate().find(|(o, other)| {
                *o != h
                    && side(hole, &Polygon::new((*other).clone(), Vec::new()))
                        == Some(CoordPos::Inside)
            });
            if let Some((o, _)) = inside_another {
                return Err(msg!(
                    "geo-rings-cross",
                    polygon = i + 1,
                    ring = h + 2,
                    other = o + 2
                ));
            }
        }
    }
    let boxes: Vec<_> = parts.0.iter().map(BoundingRect::bounding_rect).collect();
    for (i, p) in parts.0.iter().enumerate() {
        for (j, q) in parts.0.iter().enumerate() {
            let near = matches!((boxes[i], boxes[j]), (Some(a), Some(b)) if a.intersects(&b));
            if i != j && near && side(p.exterior(), q) == Some(CoordPos::Inside) {
                return Err(msg!(
                    "geo-parts-overlap",
                    polygon = i.min(j) + 1,
                    other = i.max(j) + 1
                ));
            }
        }
    }
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

/// Edges that meet where they may not: a ring's edges anywhere but at a neighbour's shared
/// vertex; two rings' or two parts' edges crossing or sharing a stretch (touching at a point is
/// allowed). Only edges whose boxes meet are compared, found with an R-tree.
fn crossings(edges: &[Edge]) -> Result<(), Msg> {
    use rstar::primitives::{GeomWithData, Rectangle};
    let boxes = edges
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (a, b) = (e.line.start, e.line.end);
            GeomWithData::new(
                Rectangle::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]),
                i,
            )
        })
        .collect();
    let tree = rstar::RTree::bulk_load(boxes);
    for (n, (a, b)) in tree
        .intersection_candidates_with_other_tree(&tree)
        .enumerate()
    {
        if n > MAX_EDGE_PAIRS {
            return Err(msg!("geo-too-complex"));
        }
        let (e, f) = (&edges[a.data], &edges[b.data]);
        if a.data >= b.data {
            continue;
        }
        let Some(meet) = line_intersection(e.line, f.line) else {
            continue;
        };
        let crossing = match meet {
            LineIntersection::SinglePoint { is_proper, .. } => is_proper,
            LineIntersection::Collinear { .. } => true,
        };
        let (polygon, ring) = (e.part + 1, e.ring + 1);
        if (e.part, e.ring) == (f.part, f.ring) {
            let apart = e.index.abs_diff(f.index);
            if crossing || (apart != 1 && apart != e.count - 1) {
                return Err(msg!(
                    "geo-self-intersection",
                    polygon = polygon,
                    ring = ring
                ));
            }
        } else if crossing {
            return Err(if e.part == f.part {
                msg!(
                    "geo-rings-cross",
                    polygon = polygon,
                    ring = ring,
                    other = f.ring + 1
                )
            } else {
                msg!("geo-parts-overlap", polygon = polygon, other = f.part + 1)
            });
        }
    }
    Ok(())
}

/// Where a ring lies against a polygon it does not cross: the side of its first vertex (or
/// edge midpoint) off the polygon's boundary; `None` when it runs along it everywhere.
fn side(ring: &LineString<f64>, of: &Polygon<f64>) -> Option<CoordPos> {
    let midpoints = ring.lines().map(|l| Coord {
        x: (l.start.x + l.end.x) / 2.0,
        y: (l.start.y + l.end.y) / 2.0,
    });
    ring.0
        .iter()
        .copied()
        .chain(midpoints)
        .map(|c| of.coordinate_position(&c))
        .find(|p| *p != CoordPos::OnBoundary)
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

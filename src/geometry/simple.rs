//! The OGC simple-features rules for polygons, checked in about n log n: rings simple, rings
//! and parts meeting at most at points, holes inside their shell and not inside each other,
//! parts not inside each other, each polygon's interior connected. Only edges (and rings) whose
//! boxes meet are compared, found with an R-tree (`rstar`, the one `geo` builds on); the work
//! a shape may ask for is bounded, so a shape drawn to make the check slow is refused instead
//! of occupying a worker (`geo`'s own `Validation` compares every pair of edges and of holes:
//! 20 s for 10,000 vertices in a debug build).

use std::collections::{HashMap, HashSet};

use geo::coordinate_position::CoordPos;
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{
    BoundingRect, Coord, CoordinatePosition, Line, LineString, MultiPolygon, Polygon, Relate,
};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::i18n::Msg;
use crate::msg;

/// Most work a check may do, counted in pairs of edges (or vertex-against-edge tests) it
/// examines. A surveyed boundary of 10,000 vertices takes about 50,000.
const BUDGET: usize = 1_000_000;

/// A ring: its polygon and its place (0 = the exterior), counted from 0.
type RingId = (usize, usize);

/// One edge of a ring, with its place in the ring and the ring's count of edges.
struct Edge {
    ring: RingId,
    index: usize,
    count: usize,
    line: Line<f64>,
}

/// The work done so far, refused past [`BUDGET`].
struct Work(usize);

impl Work {
    fn spend(&mut self, n: usize) -> Result<(), Msg> {
        self.0 += n;
        if self.0 > BUDGET {
            return Err(msg!("geo-too-complex"));
        }
        Ok(())
    }
}

fn rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

fn boxed<T>(b: geo::Rect<f64>, data: T) -> GeomWithData<Rectangle<[f64; 2]>, T> {
    GeomWithData::new(
        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
        data,
    )
}

/// Checks the parts (repeated vertices already taken out), each refusal naming the polygon and
/// ring (counted from 1) and what is wrong.
pub(super) fn check(parts: &MultiPolygon<f64>) -> Result<(), Msg> {
    let mut edges = Vec::new();
    for (part, p) in parts.0.iter().enumerate() {
        for (ring, r) in rings(p).enumerate() {
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
                ring: (part, ring),
                index,
                count,
                line,
            }));
        }
    }
    let mut work = Work(0);
    let touches = crossings(&edges, &mut work)?;
    connected(&touches)?;
    let touching: HashSet<(RingId, RingId)> = touches
        .iter()
        .flat_map(|(a, b, _)| [(*a, *b), (*b, *a)])
        .collect();
    for (i, p) in parts.0.iter().enumerate() {
        holes(i, p, &touching, &mut work)?;
    }
    overlaps(parts, &touching, &mut work)
}

/// Edges that meet where they may not: a ring's edges anywhere but at a neighbour's shared
/// vertex; two rings' edges crossing or sharing a stretch. Returns where different rings touch
/// at a point (allowed, but it bears on nesting and on a connected interior).
fn crossings(edges: &[Edge], work: &mut Work) -> Result<Vec<(RingId, RingId, Coord)>, Msg> {
    let tree = RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .map(|(i, e)| boxed(e.line.bounding_rect(), i))
            .collect(),
    );
    let mut touches = Vec::new();
    for (a, b) in tree.intersection_candidates_with_other_tree(&tree) {
        work.spend(1)?;
        if a.data >= b.data {
            continue;
        }
        let (e, f) = (&edges[a.data], &edges[b.data]);
        let Some(meet) = line_intersection(e.line, f.line) else {
            continue;
        };
        let (polygon, ring) = (e.ring.0 + 1, e.ring.1 + 1);
        let at = match meet {
            LineIntersection::SinglePoint {
                is_proper: false,
                intersection,
            } => intersection,
            // Crossing, or along a stretch.
            _ if e.ring == f.ring => {
                return Err(msg!(
                    "geo-self-intersection",
                    polygon = polygon,
                    ring = ring
                ));
            }
            _ if e.ring.0 == f.ring.0 => {
                return Err(msg!(
                    "geo-rings-cross",
                    polygon = polygon,
                    ring = ring,
                    other = f.ring.1 + 1
                ));
            }
            _ => {
                return Err(msg!(
                    "geo-parts-overlap",
                    polygon = polygon,
                    other = f.ring.0 + 1
                ));
            }
        };
        if e.ring == f.ring {
            let apart = e.index.abs_diff(f.index);
            if apart != 1 && apart != e.count - 1 {
                return Err(msg!(
                    "geo-self-intersection",
                    polygon = polygon,
                    ring = ring
                ));
            }
        } else {
            touches.push((e.ring, f.ring, at));
        }
    }
    Ok(touches)
}

/// A polygon's interior is connected: its rings touching at points (each point one node, each
/// ring one node, an edge where a ring passes through a point) make no cycle. A hole touching
/// its shell twice, or a chain of holes from shell to shell, cuts the interior in two.
fn connected(touches: &[(RingId, RingId, Coord)]) -> Result<(), Msg> {
    #[derive(Hash, PartialEq, Eq, Clone, Copy)]
    enum Node {
        Ring(RingId),
        Point(usize, [u64; 2]),
    }
    fn root(up: &mut HashMap<Node, Node>, n: Node) -> Node {
        let mut r = n;
        while let Some(&p) = up.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        up.insert(n, r);
        r
    }
    let mut up: HashMap<Node, Node> = HashMap::new();
    let mut seen: HashSet<(Node, Node)> = HashSet::new();
    for (a, b, at) in touches {
        if a.0 != b.0 {
            continue;
        }
        let point = Node::Point(a.0, [at.x.to_bits(), at.y.to_bits()]);
        for ring in [Node::Ring(*a), Node::Ring(*b)] {
            if !seen.insert((ring, point)) {
                continue;
            }
            let (x, y) = (root(&mut up, ring), root(&mut up, point));
            if x == y {
                return Err(msg!("geo-interior-split", polygon = a.0 + 1));
            }
            up.insert(x, y);
        }
    }
    Ok(())
}

/// Where `ring` lies against `of`: the side of its first vertex (or edge midpoint) off the
/// boundary (`None`: along it everywhere). Sound only when the two do not touch: rings that
/// touch at a vertex may pass from one side to the other there.
fn side(
    ring: &LineString<f64>,
    of: &Polygon<f64>,
    work: &mut Work,
) -> Result<Option<CoordPos>, Msg> {
    let cost = rings(of).map(|r| r.0.len()).sum::<usize>();
    let midpoints = ring.lines().map(|l| Coord {
        x: (l.start.x + l.end.x) / 2.0,
        y: (l.start.y + l.end.y) / 2.0,
    });
    for c in ring.0.iter().copied().chain(midpoints) {
        work.spend(cost)?;
        let p = of.coordinate_position(&c);
        if p != CoordPos::OnBoundary {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The relation of two polygons that touch, by `geo`'s DE-9IM (its cost counted).
fn relate(
    a: &Polygon<f64>,
    b: &Polygon<f64>,
    work: &mut Work,
) -> Result<geo::algorithm::relate::IntersectionMatrix, Msg> {
    let size = |p: &Polygon<f64>| rings(p).map(|r| r.0.len()).sum::<usize>();
    work.spend(8 * (size(a) + size(b)))?;
    Ok(a.relate(b))
}

/// Each hole inside its shell, and no hole inside (or overlapping) another.
fn holes(
    i: usize,
    p: &Polygon<f64>,
    touching: &HashSet<(RingId, RingId)>,
    work: &mut Work,
) -> Result<(), Msg> {
    let shell = Polygon::new(p.exterior().clone(), Vec::new());
    let alone: Vec<Polygon<f64>> = p
        .interiors()
        .iter()
        .map(|h| Polygon::new(h.clone(), Vec::new()))
        .collect();
    for (h, hole) in alone.iter().enumerate() {
        let inside = if touching.contains(&((i, 0), (i, h + 1))) {
            relate(&shell, hole, work)?.is_contains()
        } else {
            side(hole.exterior(), &shell, work)? == Some(CoordPos::Inside)
        };
        if !inside {
            return Err(msg!("geo-hole-outside", polygon = i + 1, ring = h + 2));
        }
    }
    let tree = RTree::bulk_load(
        alone
            .iter()
            .enumerate()
            .filter_map(|(h, a)| Some(boxed(a.bounding_rect()?, h)))
            .collect(),
    );
    for (a, b) in tree.intersection_candidates_with_other_tree(&tree) {
        let (h, o) = (a.data, b.data);
        if h == o {
            continue;
        }
        let nested = if touching.contains(&((i, h + 1), (i, o + 1))) {
            h < o
                && relate(&alone[h], &alone[o], work)?.get(CoordPos::Inside, CoordPos::Inside)
                    == geo::algorithm::dimensions::Dimensions::TwoDimensional
        } else {
            side(alone[h].exterior(), &alone[o], work)? == Some(CoordPos::Inside)
        };
        if nested {
            return Err(msg!(
                "geo-rings-cross",
                polygon = i + 1,
                ring = h + 2,
                other = o + 2
            ));
        }
    }
    Ok(())
}

/// No part inside or over another (an island in another part's hole is outside it).
fn overlaps(
    parts: &MultiPolygon<f64>,
    touching: &HashSet<(RingId, RingId)>,
    work: &mut Work,
) -> Result<(), Msg> {
    let tree = RTree::bulk_load(
        parts
            .0
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some(boxed(p.bounding_rect()?, i)))
            .collect(),
    );
    let touched: HashSet<(usize, usize)> = touching.iter().map(|(a, b)| (a.0, b.0)).collect();
    for (a, b) in tree.intersection_candidates_with_other_tree(&tree) {
        let (i, j) = (a.data, b.data);
        if i >= j {
            continue;
        }
        let (p, q) = (&parts.0[i], &parts.0[j]);
        let over = if touched.contains(&(i, j)) {
            relate(p, q, work)?.get(CoordPos::Inside, CoordPos::Inside)
                == geo::algorithm::dimensions::Dimensions::TwoDimensional
        } else {
            side(p.exterior(), q, work)? == Some(CoordPos::Inside)
                || side(q.exterior(), p, work)? == Some(CoordPos::Inside)
        };
        if over {
            return Err(msg!("geo-parts-overlap", polygon = i + 1, other = j + 1));
        }
    }
    Ok(())
}

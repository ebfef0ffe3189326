//! Vietnam's territory: where an area may lie.

use std::sync::LazyLock;

use country_boundaries::{BOUNDARIES_ODBL_360X180, CountryBoundaries, LatLon};
use geo::{Coord, LineString, Polygon};

/// The countries' boundaries with their territorial waters, from OpenStreetMap (ODbL, ©
/// OpenStreetMap contributors; `country-boundaries` crate). They leave the Hoàng Sa and Trường
/// Sa archipelagos out of Vietnam (the first is drawn as another country's), so those are
/// added from [`ARCHIPELAGOS`].
static BOUNDARIES: LazyLock<Option<CountryBoundaries>> =
    LazyLock::new(|| CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180).ok());

/// Quần đảo Hoàng Sa (Đà Nẵng) and quần đảo Trường Sa (Khánh Hòa), Vietnamese under the Law of
/// the Sea of Vietnam (Luật Biển Việt Nam 2012, art. 1): each an outline (lon, lat) around its
/// islands, reefs and their waters, drawn clear of other countries' land (Hải Nam's southern
/// tip lies at 18.1° N; Palawan's and Borneo's coasts east and south of the second).
const ARCHIPELAGOS: [&[(f64, f64)]; 2] = [
    &[
        (110.8, 15.6),
        (113.0, 15.6),
        (113.0, 17.3),
        (110.8, 17.3),
        (110.8, 15.6),
    ],
    &[
        (111.3, 11.7),
        (114.9, 11.7),
        (117.0, 11.2),
        (116.8, 9.5),
        (116.0, 8.0),
        (114.6, 6.8),
        (113.0, 6.2),
        (111.3, 7.5),
        (111.3, 11.7),
    ],
];

/// Whether a position is in Vietnam's territory: its mainland, coastal waters and islands, the
/// two archipelagos included.
pub fn in_vietnam(lon: f64, lat: f64) -> bool {
    if !(LON.0..=LON.1).contains(&lon) || !(LAT.0..=LAT.1).contains(&lat) {
        return false;
    }
    let p = geo::Point::new(lon, lat);
    let archipelago = ARCHIPELAGOS.iter().any(|outline| {
        use geo::Contains;
        Polygon::new(
            LineString::from(
                outline
                    .iter()
                    .map(|&(x, y)| Coord { x, y })
                    .collect::<Vec<_>>(),
            ),
            Vec::new(),
        )
        .contains(&p)
    });
    archipelago
        || match (BOUNDARIES.as_ref(), LatLon::new(lat, lon)) {
            (Some(b), Ok(at)) => b.is_in(at, "VN"),
            _ => false,
        }
}

/// Longitudes Vietnam spans, islands included (a first, cheap test).
pub const LON: (f64, f64) = (102.0, 118.0);
/// Latitudes Vietnam spans, islands included.
pub const LAT: (f64, f64) = (6.0, 24.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnam_is_its_territory_with_both_archipelagos() {
        for (place, lon, lat) in [
            ("Tam Kỳ", 108.47, 15.57),
            ("Cù Lao Chàm", 108.52, 15.95),
            ("off Quảng Nam", 108.75, 15.5),
            ("Phú Quốc", 103.97, 10.23),
            ("Bạch Long Vĩ", 107.73, 20.13),
            ("Hoàng Sa: đảo Phú Lâm", 112.33, 16.83),
            ("Hoàng Sa: đảo Hoàng Sa", 111.61, 16.53),
            ("Trường Sa: đảo Trường Sa", 111.92, 8.64),
            ("Trường Sa: đảo Song Tử Tây", 114.33, 11.43),
        ] {
            assert!(in_vietnam(lon, lat), "{place}");
        }
        for (place, lon, lat) in [
            ("Vientiane", 102.60, 17.97),
            ("Hainan", 110.0, 19.5),
            ("Phnom Penh", 104.92, 11.56),
            ("Palawan", 118.7, 9.8),
        ] {
            assert!(!in_vietnam(lon, lat), "{place}");
        }
    }
}

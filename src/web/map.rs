//! Maps of raw-material areas: the areas' GeoJSON drawn by Leaflet (vendored in `static/leaflet/`
//! with its licence; no CDN reaches a department's network), coloured by where the auditor
//! stands on each area. The base layer is the operator's tile server (`ROCKET_MAP_TILES_URL`);
//! without one the map draws the polygons on a plain background with a graticule, so it works
//! offline.

use askama::Template;
use rocket::{State, get};
use sea_orm::DatabaseConnection;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::areas::dto::AreaView;
use crate::domain::{CertStatus, Role};
use crate::error::AppError;
use crate::i18n::{Lang, parse_date};
use crate::{indicators, units};

#[derive(Template)]
#[template(path = "unit_map.html")]
struct UnitMapPage {
    chrome: Chrome,
    unit: String,
    /// How many areas are drawn on which day, and how many the indicator stands on.
    figures: String,
    map: Option<String>,
    back: String,
}

/// A unit's raw-material areas on a day on one map, coloured: counted for the value chain,
/// verified, submitted, other (administrators; auditors within their unit).
#[get("/dashboard/map?<unit>&<date>")]
pub async fn unit_map(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    unit: Option<&str>,
    date: Option<&str>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    // As the dashboard reads them: today without a date, the auditor's unit without a unit.
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        None => crate::clock::today(),
        Some(d) => {
            parse_date(d).ok_or_else(|| AppError::invalid("date", lang.t("date-invalid")))?
        }
    };
    let unit = match (unit.map(str::trim).filter(|u| !u.is_empty()), actor.unit_id) {
        (Some(u), _) => u.to_owned(),
        (None, Some(id)) => units::service::get(db.inner(), id).await?.unit.code,
        (None, None) => "VN".to_owned(),
    };
    // A code of another time (Quảng Nam, 49, after July 2025) is the unit it became when it
    // became one, as on the dashboard; else the page says what it became.
    let found = match units::service::by_code_on(db.inner(), &unit, day).await {
        Err(AppError::BadRequest { .. }) => {
            let (text, _, codes) = super::unit_choice::former(db.inner(), &unit, day, lang).await?;
            match codes.as_slice() {
                [one] => units::service::by_code_on(db.inner(), one, day).await?,
                _ => return Err(AppError::invalid("unit", text).into()),
            }
        }
        found => found?,
    };
    let (areas, counting) =
        indicators::areas::areas_on_map(db.inner(), actor, found.id, day).await?;
    let standing = areas
        .iter()
        .filter(|a| a.status == CertStatus::Verified && counting.contains(&a.subject_id))
        .count();
    Page::render(&UnitMapPage {
        chrome: viewer.chrome(lang.t("unit-map-title")),
        unit: found.name.clone(),
        figures: lang.tf(
            "unit-map-figures",
            &[
                ("date", lang.date(day)),
                (
                    "drawn",
                    lang.int(i64::try_from(areas.len()).unwrap_or_default()),
                ),
                (
                    "counting",
                    lang.int(i64::try_from(standing).unwrap_or_default()),
                ),
            ],
        ),
        map: areas_geojson(&areas, &counting, lang),
        back: format!("/dashboard?unit={}&date={}", found.code, lang.date(day)),
    })
}

/// The operator's tile server, checked at start-up.
#[derive(Debug, Clone, Default)]
pub struct MapTiles {
    /// `https://tile.example.vn/{z}/{x}/{y}.png`, empty for none.
    pub url: String,
    /// What the tiles' licence asks to be shown (`© OpenStreetMap contributors`).
    pub attribution: String,
    /// The tile server's origin, allowed as an image source by the pages' policy.
    pub origin: Option<String>,
}

impl MapTiles {
    /// From `ROCKET_MAP_TILES_URL` and `ROCKET_MAP_TILES_ATTRIBUTION`: an `http(s)` URL template
    /// with `{z}`, `{x}` and `{y}`, or nothing.
    pub fn from_config(config: &crate::config::AppConfig) -> Result<MapTiles, String> {
        let Some(url) = config
            .maps
            .tiles_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(MapTiles::default());
        };
        let refused = || {
            format!(
                "maps.tiles_url (ROCKET_MAP_TILES_URL) must be an http(s) address with {{z}}, {{x}} and {{y}} \
                 (https://tiles.example.vn/{{z}}/{{x}}/{{y}}.png), not {url:?}"
            )
        };
        if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            return Err(refused());
        }
        let parsed = reqwest::Url::parse(&url.replace(['{', '}'], "")).map_err(|_| refused())?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(refused());
        }
        Ok(MapTiles {
            url: url.to_owned(),
            attribution: config.maps.tiles_attribution.clone().unwrap_or_default(),
            origin: Some(parsed.origin().ascii_serialization()),
        })
    }
}

/// The areas that have a geometry as a GeoJSON FeatureCollection for the page's map (`None`:
/// nothing to draw), each feature with its name, hectares and status in the reader's words.
/// A verified area of a subject in `counting` (one the value-chain indicator counts that day)
/// is drawn as such.
pub fn areas_geojson(
    areas: &[AreaView],
    counting: &std::collections::HashSet<uuid::Uuid>,
    lang: Lang,
) -> Option<String> {
    let features: Vec<serde_json::Value> = areas
        .iter()
        .filter_map(|a| {
            let geometry = a.geometry.clone()?;
            let status = match a.status {
                CertStatus::Verified if counting.contains(&a.subject_id) => "counting",
                CertStatus::Verified => "verified",
                CertStatus::Submitted => "submitted",
                _ => "other",
            };
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "status": status,
                    "label": format!(
                        "{} · {} ha · {}",
                        a.name,
                        lang.decimal(&a.area_ha),
                        lang.t(&format!("cert-status-{}", a.status.code()))
                    ),
                },
            }))
        })
        .collect();
    (!features.is_empty())
        .then(|| serde_json::json!({"type": "FeatureCollection", "features": features}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(url: &str) -> Result<MapTiles, String> {
        let mut config = crate::config::AppConfig::default();
        config.maps.tiles_url = Some(url.to_owned());
        MapTiles::from_config(&config)
    }

    #[test]
    fn a_tile_server_is_an_http_template_with_z_x_and_y() {
        let ok = tiles("https://tiles.example.vn:8443/osm/{z}/{x}/{y}.png").expect("valid");
        assert_eq!(ok.origin.as_deref(), Some("https://tiles.example.vn:8443"));
        for bad in [
            "https://tiles.example.vn/{z}/{x}.png",
            "ftp://tiles.example.vn/{z}/{x}/{y}.png",
            "tiles/{z}/{x}/{y}.png",
            "javascript:alert(1)//{z}{x}{y}",
        ] {
            assert!(tiles(bad).is_err(), "{bad}");
        }
        assert_eq!(tiles("  ").expect("none").origin, None);
    }
}

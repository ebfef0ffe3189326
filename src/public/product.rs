//! One rated product as the public sees it: what a buyer who scanned the package's QR code
//! wants to know — is it really rated, until when, by whom, where it comes from, where to buy it.
//! Nothing personal (docs/domain.md §10): the producer's trade name, never its people.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{product, recognition, sales_channel, subject};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::service::PublicProduct;
use crate::domain::{ChannelKind, EvidencedBy, Platform, UnitLevel};
use crate::error::{AppError, AppResult};
use crate::history::Known;
use crate::indicators::explain::Evidence;
use crate::indicators::rules;
use crate::unit_graph::UnitGraph;
use crate::units::dto::UnitRef;
use crate::{clock, policies};

/// A commune with the province it belongs to.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct Place {
    pub commune: UnitRef,
    pub province: Option<UnitRef>,
}

/// A shop or chain where the product's producer sells today, as the registry knows it: verified
/// by the department, or seen live by the marketplace sync on a connection the owner does not
/// control (the channels the modern-channel indicator counts).
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct Shop {
    pub kind: ChannelKind,
    /// The platform's or chain's code (`shopee`, …) or name as recorded.
    pub platform: Platform,
    /// The shop's address on the platform, when one is recorded.
    pub shop_url: Option<String>,
    /// `verified` (by the department, on `verified_on`) or `observed` (a live listing seen by
    /// the sync).
    pub evidenced_by: EvidencedBy,
    pub verified_on: Option<NaiveDate>,
}

/// A rated product's public page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProductPage {
    #[serde(flatten)]
    pub product: PublicProduct,
    pub description: Option<String>,
    /// The producer's photo of it, once its review window has passed (or an auditor approved
    /// it), unless rejected.
    pub photo: Option<crate::photos::dto::PublicPhoto>,
    /// The units the producer's commune belongs to today, each with its province (after the
    /// 2025 reform a commune may have been merged into another); empty when it is still valid.
    pub commune_today: Vec<Place>,
    /// Where to buy it (Nơi mua): the producer's shops and chains that count today.
    pub where_to_buy: Vec<Shop>,
    /// The latest change to what this page shows.
    pub updated_at: DateTime<Utc>,
}

/// The province `id` belongs to (itself for a province).
pub fn province_of(graph: &UnitGraph, id: Uuid) -> Option<UnitRef> {
    graph
        .ancestors(id)
        .into_iter()
        .filter_map(|u| graph.get(u))
        .find(|u| u.level == UnitLevel::Province)
        .map(UnitRef::from)
}

/// A rated product by id (404 for a product that was never rated: nothing else is public).
pub async fn get(db: &impl ConnectionTrait, product_id: Uuid) -> AppResult<PublicProductPage> {
    let not_found = || AppError::not_found("product", product_id);
    let p = crate::db::unique(db, product::Entity::find_by_id(product_id))
        .await?
        .ok_or_else(not_found)?;
    let latest = recognition::Entity::find()
        .filter(recognition::Column::ProductId.eq(p.id))
        .order_by_desc(recognition::Column::DecisionDate)
        .order_by_desc(recognition::Column::Id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let s = crate::db::unique(db, subject::Entity::find_by_id(p.subject_id))
        .await?
        .ok_or_else(not_found)?;
    let today = clock::today();
    let graph = UnitGraph::load(db).await?;
    let place = |u: Uuid| {
        graph.get(u).map(|c| Place {
            commune: UnitRef::from(c),
            province: province_of(&graph, u),
        })
    };
    let commune_today = graph
        .map_to_date(s.commune_id, today)
        .into_iter()
        .filter(|u| *u != s.commune_id)
        .filter_map(place)
        .collect();
    let (where_to_buy, shops_changed) = shops(db, s.id, today).await?;
    let (photo, photo_changed) = crate::photos::service::shown(db, p.id, clock::now()).await?;
    let updated_at = [p.updated_at, latest.updated_at, s.updated_at]
        .into_iter()
        .chain(shops_changed)
        .chain(photo_changed)
        .max()
        .unwrap_or(p.updated_at);
    let description = p.description.clone();
    Ok(PublicProductPage {
        product: PublicProduct::of(p, latest, &s, &graph, today)?,
        description,
        photo,
        commune_today,
        where_to_buy,
        updated_at,
    })
}

/// The subject's channels that count today under the current policy — the same rule the
/// modern-channel indicator applies, so a shop shows here exactly when it counts there — and
/// when each last changed.
async fn shops(
    db: &impl ConnectionTrait,
    subject_id: Uuid,
    today: NaiveDate,
) -> AppResult<(Vec<Shop>, Vec<DateTime<Utc>>)> {
    let policy = policies::service::get(db, None).await?;
    let ev = Evidence::load(db, &[subject_id], &policy, today, Known(None)).await?;
    let counting = rules::modern_channel::explain(&ev, subject_id, today, &policy).counting;
    let ids: Vec<Uuid> = counting.iter().map(|c| c.id).collect();
    let rows = sales_channel::Entity::find()
        .filter(sales_channel::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut shops = Vec::with_capacity(counting.len());
    let mut changed = Vec::with_capacity(rows.len());
    for c in counting {
        let Some(row) = rows.iter().find(|r| r.id == c.id) else {
            continue;
        };
        changed.extend(
            [Some(row.updated_at), row.last_observed_at]
                .into_iter()
                .flatten(),
        );
        shops.push(Shop {
            kind: c.kind,
            platform: c.platform.clone(),
            shop_url: c
                .shop_url
                .clone()
                .filter(|u| linkable(u, &c.platform, c.evidenced_by)),
            evidenced_by: c.evidenced_by,
            verified_on: c.verified_on,
        });
    }
    Ok((shops, changed))
}

/// Where a buyer may be sent: a web address the department verified, or — for a shop only the
/// sync vouches for — an address on the marketplace's own site (an owner's latest edit of a
/// synced shop could otherwise point anywhere under the words "on sale").
fn linkable(url: &str, platform: &Platform, evidenced_by: EvidencedBy) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        return false;
    };
    if !matches!(u.scheme(), "https" | "http") {
        return false;
    }
    if evidenced_by == EvidencedBy::Verified {
        return true;
    }
    let host = u.host_str().unwrap_or_default();
    platform
        .sites()
        .iter()
        .any(|s| host == *s || host.ends_with(&format!(".{s}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(url: &str, platform: &str, by: &str) -> bool {
        linkable(url, &Platform::parse(platform), by.parse().expect("a code"))
    }

    #[test]
    fn a_synced_shop_links_only_to_its_marketplace() {
        assert!(typed("https://shopee.vn/htx.tra", "shopee", "observed"));
        assert!(typed("https://m.shopee.vn/htx.tra", "shopee", "observed"));
        assert!(!typed(
            "https://evil.example/shopee.vn",
            "shopee",
            "observed"
        ));
        assert!(!typed(
            "https://shopee.vn.evil.example/",
            "shopee",
            "observed"
        ));
        assert!(!typed("https://lazada.vn/x", "shopee", "observed"));
        // What the department verified is linked as verified; never a script.
        assert!(typed("https://coopmart.vn/ocop", "Co.opmart", "verified"));
        assert!(!typed("javascript:alert(1)", "shopee", "verified"));
    }
}

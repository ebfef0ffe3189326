//! Public product lookup.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{product, recognition, subject, unit};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::clock;
use crate::domain::ProductGroup;
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::products::dto::{RecognitionStatus, RecognitionView};
use crate::text::like_patterns;
use crate::units::dto::UnitRef;
use crate::units::graph::UnitGraph;
use crate::units::service::refs;

/// Filters of the public lookup.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Words of the product's name, its producer's name or its commune's, case- and
    /// accent-insensitive (every word must be found in one of them).
    #[validate(custom(function = "crate::validate::query_text"))]
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Products of subjects recorded in this unit's subtree.
    pub unit_id: Option<Uuid>,
}

/// What the public may know of a rated product: its latest recognition.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProduct {
    pub product_id: Uuid,
    pub name: String,
    pub group: ProductGroup,
    pub stars: i16,
    pub potential_five_star: bool,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    /// Expiry: rated until the day before.
    pub valid_until: NaiveDate,
    /// Today: active, expired or revoked.
    pub status: RecognitionStatus,
    pub revoked_on: Option<NaiveDate>,
    pub subject_name: String,
    pub commune: Option<UnitRef>,
}

/// One rated product as the public sees it, with the units its producer's commune belongs to
/// today (after the 2025 reform a commune may have been merged into another).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProductPage {
    #[serde(flatten)]
    pub product: PublicProduct,
    pub commune_today: Vec<UnitRef>,
}

/// A rated product by id (404 for a product that was never rated: nothing else is public).
pub async fn get(db: &impl ConnectionTrait, product_id: Uuid) -> AppResult<PublicProductPage> {
    let found = crate::db::unique(db, product::Entity::find_by_id(product_id)).await?;
    let Some(p) = found else {
        return Err(AppError::not_found("product", product_id));
    };
    let latest = recognition::Entity::find()
        .filter(recognition::Column::ProductId.eq(p.id))
        .order_by_desc(recognition::Column::DecisionDate)
        .order_by_desc(recognition::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("product", product_id))?;
    let s = crate::db::unique(db, subject::Entity::find_by_id(p.subject_id))
        .await?
        .ok_or_else(|| AppError::not_found("product", product_id))?;
    let today = clock::today();
    let graph = UnitGraph::load(db).await?;
    let commune_today = graph
        .map_to_date(s.commune_id, today)
        .into_iter()
        .filter(|u| *u != s.commune_id)
        .filter_map(|u| graph.get(u).map(UnitRef::from))
        .collect();
    let rv = RecognitionView::build(latest, today)?;
    Ok(PublicProductPage {
        product: PublicProduct {
            product_id: p.id,
            name: p.name,
            group: p.product_group,
            stars: rv.stars,
            potential_five_star: rv.potential_five_star,
            decision_no: rv.decision_no,
            decision_date: rv.decision_date,
            valid_until: rv.valid_until,
            status: rv.status,
            revoked_on: rv.revoked_on,
            subject_name: s.name,
            commune: refs(db, &[s.commune_id]).await?.remove(&s.commune_id),
        },
        commune_today,
    })
}

/// Rated products matching the filters, by name.
pub async fn list(
    db: &impl ConnectionTrait,
    q: &PublicQuery,
    page: &PageParams,
) -> AppResult<Paginated<PublicProduct>> {
    let rated = Query::select()
        .column(recognition::Column::ProductId)
        .from(recognition::Entity)
        .to_owned();
    let mut cond = Condition::all().add(product::Column::Id.in_subquery(rated));
    if let Some(text) = &q.q {
        for p in like_patterns(text) {
            let like = || LikeExpr::new(p.clone()).escape('\\');
            let communes = Query::select()
                .column(unit::Column::Id)
                .from(unit::Entity)
                .and_where(Expr::col(unit::Column::NameFolded).like(like()))
                .to_owned();
            let producers = Query::select()
                .column(subject::Column::Id)
                .from(subject::Entity)
                .cond_where(
                    Condition::any()
                        .add(Expr::col(subject::Column::SearchText).like(like()))
                        .add(subject::Column::CommuneId.in_subquery(communes)),
                )
                .to_owned();
            cond = cond.add(
                Condition::any()
                    .add(Expr::col(product::Column::NameFolded).like(like()))
                    .add(product::Column::SubjectId.in_subquery(producers)),
            );
        }
    }
    if let Some(unit_id) = q.unit_id {
        let graph = UnitGraph::load(db).await?;
        if graph.get(unit_id).is_none() {
            return Err(AppError::not_found("administrative unit", unit_id));
        }
        let reach: Vec<Uuid> = graph.reach(unit_id).into_iter().collect();
        let subjects = Query::select()
            .column(subject::Column::Id)
            .from(subject::Entity)
            .and_where(subject::Column::CommuneId.is_in(reach))
            .to_owned();
        cond = cond.add(product::Column::SubjectId.in_subquery(subjects));
    }
    let select = product::Entity::find().filter(cond);
    let (products, total) = fetch(
        db,
        select
            .order_by_asc(product::Column::NameFolded)
            .order_by_asc(product::Column::Id),
        page,
    )
    .await?;
    let product_ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let subject_ids: Vec<Uuid> = products.iter().map(|p| p.subject_id).collect();
    let mut latest: HashMap<Uuid, recognition::Model> = HashMap::new();
    for r in recognition::Entity::find()
        .filter(recognition::Column::ProductId.is_in(product_ids))
        .all(db)
        .await?
    {
        let newer = latest
            .get(&r.product_id)
            .is_none_or(|cur| (r.decision_date, r.id) > (cur.decision_date, cur.id));
        if newer {
            latest.insert(r.product_id, r);
        }
    }
    let subjects: HashMap<Uuid, subject::Model> = subject::Entity::find()
        .filter(subject::Column::Id.is_in(subject_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let communes: Vec<Uuid> = subjects.values().map(|s| s.commune_id).collect();
    let units = refs(db, &communes).await?;
    let today = clock::today();
    let mut items = Vec::with_capacity(products.len());
    for p in products {
        let (Some(r), Some(s)) = (latest.remove(&p.id), subjects.get(&p.subject_id)) else {
            continue;
        };
        let rv = RecognitionView::build(r, today)?;
        items.push(PublicProduct {
            product_id: p.id,
            name: p.name,
            group: p.product_group,
            stars: rv.stars,
            potential_five_star: rv.potential_five_star,
            decision_no: rv.decision_no,
            decision_date: rv.decision_date,
            valid_until: rv.valid_until,
            status: rv.status,
            revoked_on: rv.revoked_on,
            subject_name: s.name.clone(),
            commune: units.get(&s.commune_id).cloned(),
        });
    }
    Ok(Paginated::new(items, page, total))
}

//! Scheme catalogue queries, edits and the default catalogue.

use entity::certification_scheme as scheme;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{CreateScheme, SchemeList, SchemeView, UpdateScheme};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::db::{begin_write, save_version};
use crate::domain::{Role, SchemeCategory};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::text::clean;
use crate::version::ExpectedVersion;
use crate::{clock, ids};

/// The default catalogue (docs/domain.md §3): code, name, category, validity limit in months (the
/// usual certification cycle, as policy version 3 caps them, docs/domain.md §7). The catalogue's
/// limit only warns at entry; the indicators apply the caps of their policy version.
pub const DEFAULT_CATALOGUE: &[(&str, &str, SchemeCategory, Option<i32>)] = &[
    (
        "organic",
        "Organic (TCVN 11041, Decree 109/2018 or a recognised foreign standard)",
        SchemeCategory::Green,
        Some(24),
    ),
    // VietGAP certificates last at most 24 months, plus 3 months' grace.
    ("vietgap", "VietGAP", SchemeCategory::Green, Some(27)),
    ("globalgap", "GlobalG.A.P.", SchemeCategory::Green, Some(12)),
    (
        "iso14001",
        "ISO 14001 environmental management",
        SchemeCategory::Green,
        Some(36),
    ),
    (
        "fsc",
        "FSC forest management / chain of custody",
        SchemeCategory::Green,
        Some(60),
    ),
    (
        "pefc",
        "PEFC forest certification",
        SchemeCategory::Green,
        Some(60),
    ),
    (
        "rainforest_alliance",
        "Rainforest Alliance",
        SchemeCategory::Green,
        Some(36),
    ),
    (
        "circular_model",
        "Recognised circular-economy model (by-products or waste reused as inputs)",
        SchemeCategory::Circular,
        Some(36),
    ),
    ("haccp", "HACCP", SchemeCategory::Quality, None),
    (
        "iso22000",
        "ISO 22000 food safety management",
        SchemeCategory::Quality,
        None,
    ),
    ("fssc22000", "FSSC 22000", SchemeCategory::Quality, None),
    (
        "food_safety_facility",
        "Food-safety facility certificate",
        SchemeCategory::Quality,
        None,
    ),
];

/// Inserts the default schemes that are missing (never overwrites an administrator's edit).
pub async fn seed(db: &impl ConnectionTrait) -> AppResult<u64> {
    let now = clock::now();
    let rows = DEFAULT_CATALOGUE
        .iter()
        .map(|(code, name, cat, max)| scheme::ActiveModel {
            id: Set(ids::new_id()),
            code: Set((*code).to_owned()),
            name: Set((*name).to_owned()),
            category: Set(*cat),
            description: Set(None),
            max_validity_months: Set(*max),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        });
    Ok(scheme::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(scheme::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?)
}

/// The catalogue, by code.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<SchemeList> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let rows = scheme::Entity::find()
        .order_by_asc(scheme::Column::Code)
        .all(db)
        .await?;
    Ok(SchemeList {
        items: rows
            .into_iter()
            .map(SchemeView::build)
            .collect::<AppResult<Vec<_>>>()?,
    })
}

/// A scheme by code, for a field of a request (422 naming the field when unknown).
pub async fn by_code(
    db: &impl ConnectionTrait,
    field: &str,
    code: &str,
) -> AppResult<scheme::Model> {
    crate::db::unique(
        db,
        scheme::Entity::find().filter(scheme::Column::Code.eq(code.trim())),
    )
    .await?
    .ok_or_else(|| AppError::invalid(field, msg!("field-no-scheme", code = code)))
}

/// Adds a scheme (administrators).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateScheme,
) -> AppResult<SchemeView> {
    actor.require(&[Role::Admin])?;
    let txn = begin_write(db).await?;
    if scheme::Entity::find()
        .filter(scheme::Column::Code.eq(input.code.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(msg!(
            "conflict-scheme-exists",
            code = input.code
        )));
    }
    let now = clock::now();
    let row = scheme::Model {
        id: ids::new_id(),
        code: input.code,
        name: clean(&input.name),
        category: input.category,
        description: input
            .description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty()),
        max_validity_months: input.max_validity_months,
        version: 1,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .reset_all()
    .insert(&txn)
    .await?;
    let view = SchemeView::build(row)?;
    audit::record(&txn, actor, Change::created("scheme", view.id, None, &view)).await?;
    txn.commit().await?;
    Ok(view)
}

/// Edits a scheme (administrators). A category change alters what later reports count; frozen
/// reports keep their figures.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateScheme,
) -> AppResult<SchemeView> {
    actor.require(&[Role::Admin])?;
    let txn = begin_write(db).await?;
    let current = crate::db::unique(&txn, scheme::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::not_found("scheme", id))?;
    if_match.check(current.version)?;
    let before = SchemeView::build(current.clone())?;
    let mut next = current.clone();
    if let Some(n) = input.name.as_deref() {
        next.name = clean(n);
    }
    if let Some(c) = input.category {
        next.category = c;
    }
    if let Some(d) = input.description {
        next.description = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    }
    if let Some(m) = input.max_validity_months {
        next.max_validity_months = m;
    }
    if SchemeView::build(next.clone())? == before {
        return Ok(before);
    }
    let after = SchemeView::build(save_version(&txn, next).await?)?;
    audit::record(
        &txn,
        actor,
        Change::updated("scheme", id, None, "update", &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

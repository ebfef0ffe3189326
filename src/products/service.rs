//! Product and recognition rules and queries.

use entity::{product, recognition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{
    CreateProduct, CreateRecognition, ProductView, RecognitionView, RevokeRecognition,
    UpdateProduct,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::{clean, fold};
use crate::validate::Score;
use crate::version::ExpectedVersion;
use crate::{clock, ids};

/// Months a recognition stays valid unless the decision says otherwise.
pub const RECOGNITION_MONTHS: u32 = 36;

/// A rated product, or 404 (a product never rated is not public, and cannot be reported);
/// locked for the write when asked (reports about one product are counted one at a time).
pub async fn rated(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    lock: bool,
) -> AppResult<product::Model> {
    let p = crate::db::find::<product::Entity>(db, "product", product_id, lock).await?;
    let ratings = recognition::Entity::find()
        .filter(recognition::Column::ProductId.eq(product_id))
        .count(db)
        .await?;
    if ratings == 0 {
        return Err(AppError::not_found("product", product_id));
    }
    Ok(p)
}

/// Product names by id.
pub async fn names(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// Adds a product to a subject (administrators, auditors in scope, the subject's owner).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateProduct,
) -> AppResult<ProductView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (a completed draft, an imported list).
pub async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateProduct,
) -> AppResult<ProductView> {
    visible(txn, actor, subject_id).await?;
    let now = clock::now();
    let name = clean(&input.name);
    let row = product::ActiveModel {
        id: Set(ids::new_id()),
        subject_id: Set(subject_id),
        name_folded: Set(fold(&name)),
        name: Set(name),
        product_group: Set(input.group),
        subgroup: Set(input.subgroup.map(|s| clean(&s)).filter(|s| !s.is_empty())),
        description: Set(input
            .description
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let view = ProductView::build(row)?;
    audit::record(
        txn,
        actor,
        Change::created("product", view.id, Some(subject_id), &view),
    )
    .await?;
    Ok(view)
}

/// A subject's products.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<ProductView>> {
    visible(db, actor, subject_id).await?;
    let select = product::Entity::find().filter(product::Column::SubjectId.eq(subject_id));
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(product::Column::NameFolded)
            .order_by_asc(product::Column::Id),
        page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(ProductView::build)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// One product.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<ProductView> {
    ProductView::build(owned::<product::Model>(db, actor, id, false).await?)
}

/// Edits a product.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateProduct,
) -> AppResult<ProductView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction.
pub async fn update_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateProduct,
) -> AppResult<ProductView> {
    let current: product::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = ProductView::build(current.clone())?;
    let mut next = current.clone();
    if let Some(n) = input.name.as_deref() {
        next.name = clean(n);
        next.name_folded = fold(&next.name);
    }
    if let Some(g) = input.group {
        next.product_group = g;
    }
    if let Some(s) = input.subgroup {
        next.subgroup = s.map(|s| clean(&s)).filter(|s| !s.is_empty());
    }
    if let Some(d) = input.description {
        next.description = d.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    }
    if ProductView::build(next.clone())? == before {
        return Ok(before);
    }
    let after = ProductView::build(save_version(txn, next).await?)?;
    audit::record(
        txn,
        actor,
        Change::updated(
            "product",
            id,
            Some(current.subject_id),
            "update",
            &before,
            &after,
        ),
    )
    .await?;
    Ok(after)
}

/// Records a star rating (administrators; auditors in scope).
pub async fn create_recognition(
    db: &DatabaseConnection,
    actor: &Actor,
    product_id: Uuid,
    input: CreateRecognition,
) -> AppResult<RecognitionView> {
    let txn = begin_write(db).await?;
    let view = create_recognition_in(&txn, actor, product_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create_recognition`] inside the caller's write transaction.
pub async fn create_recognition_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    product_id: Uuid,
    input: CreateRecognition,
) -> AppResult<RecognitionView> {
    let product: product::Model = owned(txn, actor, product_id, false).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let decision_no = clean(&input.decision_no);
    let duplicate = crate::db::unique(
        txn,
        recognition::Entity::find()
            .filter(recognition::Column::ProductId.eq(product_id))
            .filter(recognition::Column::DecisionNo.eq(decision_no.clone())),
    )
    .await?;
    if let Some(d) = duplicate {
        return Err(AppError::Conflict(msg!(
            "conflict-decision-rates-product",
            decision_no = decision_no,
            recognition = d.id
        )));
    }
    let score_centi = input.score.map(Score::centi);
    let valid_until = input
        .valid_until
        .unwrap_or_else(|| clock::add_months(input.decision_date, RECOGNITION_MONTHS));
    let now = clock::now();
    let row = recognition::ActiveModel {
        id: Set(ids::new_id()),
        product_id: Set(product_id),
        subject_id: Set(product.subject_id),
        stars: Set(input.stars),
        potential_five_star: Set(input.potential_five_star),
        score_centi: Set(score_centi),
        decision_no: Set(decision_no),
        decision_date: Set(input.decision_date),
        authority: Set(clean(&input.authority)),
        batch: Set(input.batch.map(|b| clean(&b)).filter(|b| !b.is_empty())),
        kind: Set(input.kind),
        valid_until: Set(valid_until),
        revoked_on: Set(None),
        revocation_decision_no: Set(None),
        revocation_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let view = RecognitionView::build(row, clock::today())?;
    audit::record(
        txn,
        actor,
        Change::created("recognition", view.id, Some(product.subject_id), &view),
    )
    .await?;
    Ok(view)
}

/// A product's recognitions, newest decision first.
pub async fn list_recognitions(
    db: &impl ConnectionTrait,
    actor: &Actor,
    product_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<RecognitionView>> {
    owned::<product::Model>(db, actor, product_id, false).await?;
    let select = recognition::Entity::find().filter(recognition::Column::ProductId.eq(product_id));
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(recognition::Column::DecisionDate)
            .order_by_desc(recognition::Column::Id),
        page,
    )
    .await?;
    let today = clock::today();
    let items = rows
        .into_iter()
        .map(|r| RecognitionView::build(r, today))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// A product's recognitions with its name: the rows of its list of recognised products.
pub async fn recognition_rows(
    db: &impl ConnectionTrait,
    actor: &Actor,
    product_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<super::dto::RecognitionRow>> {
    let product = owned::<product::Model>(db, actor, product_id, false).await?;
    let list = list_recognitions(db, actor, product_id, page).await?;
    let items = list
        .items
        .into_iter()
        .map(|recognition| super::dto::RecognitionRow {
            product_name: product.name.clone(),
            recognition,
        })
        .collect();
    Ok(Paginated::new(items, page, list.total))
}

/// One recognition.
pub async fn get_recognition(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<RecognitionView> {
    let r: recognition::Model = owned(db, actor, id, false).await?;
    RecognitionView::build(r, clock::today())
}

/// Revokes a recognition from a date (administrators; auditors in scope). Revoking twice is a
/// conflict: the first decision stands.
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: RevokeRecognition,
) -> AppResult<RecognitionView> {
    let txn = begin_write(db).await?;
    let current: recognition::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    if let Some(on) = current.revoked_on {
        return Err(AppError::Conflict(msg!(
            "conflict-recognition-revoked",
            on = on,
            decision_no = current.revocation_decision_no.as_deref().unwrap_or("?")
        )));
    }
    if input.revoked_on < current.decision_date {
        return Err(AppError::invalid(
            "revoked_on",
            msg!(
                "field-not-before-decision-date",
                date = current.decision_date
            ),
        ));
    }
    let today = clock::today();
    let before = RecognitionView::build(current.clone(), today)?;
    let mut next = current.clone();
    next.revoked_on = Some(input.revoked_on);
    next.revocation_decision_no = Some(clean(&input.decision_no));
    next.revocation_reason = Some(input.reason.trim().to_owned());
    let after = RecognitionView::build(save_version(&txn, next).await?, today)?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "recognition",
            id,
            Some(current.subject_id),
            "revoke",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

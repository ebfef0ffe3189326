//! Issuing, listing and revoking tokens (administrators only); every change in the audit trail.

use entity::api_token;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{CreateToken, CreatedToken, TokenView};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::service::hash;
use crate::db::begin_write;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::{clock, ids, units};

/// Prefix of every token, so leaked ones are easy to recognise in logs and scanners.
const PREFIX: &str = "ocop_";

fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// Checks that the unit and the subject a token or an account is scoped to exist (422 naming
/// the field otherwise).
pub async fn require_scope(
    db: &impl ConnectionTrait,
    unit_id: Option<Uuid>,
    subject_id: Option<Uuid>,
) -> AppResult<()> {
    if let Some(u) = unit_id {
        units::service::require(db, "unit_id", u).await?;
    }
    if let Some(s) = subject_id
        && crate::db::unique(db, entity::subject::Entity::find_by_id(s))
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "subject_id",
            msg!("field-no-subject", id = s),
        ));
    }
    Ok(())
}

/// Issues a token (administrators only); the secret is in the answer and nowhere else.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateToken,
) -> AppResult<CreatedToken> {
    actor.require(&[Role::Admin])?;
    let txn = begin_write(db).await?;
    require_scope(&txn, input.unit_id, input.subject_id).await?;
    let secret = generate();
    let name = input
        .name
        .map(|n| crate::text::clean(&n))
        .unwrap_or_else(|| format!("{} token", input.role.code()));
    let row = api_token::ActiveModel {
        id: Set(ids::new_id()),
        name: Set(name),
        role: Set(input.role),
        unit_id: Set(input.unit_id.filter(|_| input.role == Role::Auditor)),
        subject_id: Set(input.subject_id.filter(|_| input.role == Role::Owner)),
        platform: Set(input
            .platform
            .filter(|_| input.role == Role::Channel)
            .map(|p| crate::domain::Platform::parse(&p.to_lowercase()))),
        token_hash: Set(hash(&secret)),
        created_at: Set(clock::now()),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let view = TokenView::from_model(row)?;
    audit::record(
        &txn,
        actor,
        Change::created("api_token", view.id, None, &view),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken {
        token: view,
        secret,
    })
}

/// Lists tokens, newest first (administrators only).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    page: &PageParams,
) -> AppResult<Paginated<TokenView>> {
    actor.require(&[Role::Admin])?;
    let select = api_token::Entity::find();
    let (rows, total) = fetch(db, select.order_by_desc(api_token::Column::CreatedAt), page).await?;
    let items = rows
        .into_iter()
        .map(TokenView::from_model)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// Revokes a token at once (administrators only); revoking twice is harmless.
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> AppResult<TokenView> {
    actor.require(&[Role::Admin])?;
    let txn = begin_write(db).await?;
    let row = crate::db::unique(&txn, api_token::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::not_found("token", id))?;
    if row.revoked_at.is_some() {
        return TokenView::from_model(row);
    }
    let before = TokenView::from_model(row.clone())?;
    let mut am: api_token::ActiveModel = row.into();
    am.revoked_at = Set(Some(clock::now()));
    let after = TokenView::from_model(am.update(&txn).await?)?;
    audit::record(
        &txn,
        actor,
        Change::updated("api_token", id, None, "revoke", &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

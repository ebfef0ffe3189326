//! A bearer token resolved to its actor (cached per process, confirmed live by each request).

use entity::api_token;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Actor;
use crate::error::{AppError, AppResult};

/// Lowercase hex SHA-256 of a token. Tokens carry 256 random bits, so a plain hash (no salt,
/// no slow KDF) cannot be reversed.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The actors of the tokens this process has seen, by token hash. A token's role, scope and
/// name never change once issued; only its revocation does, and that is never read from here:
/// an actor found here is *unconfirmed* until the request's own statement finds its token still
/// live ([`live`], [`confirm`]), so a token revoked by any process is refused by every process
/// at once. Only an optimisation: a process that forgets reads the token again.
#[derive(Debug, Default)]
pub struct TokenCache(std::sync::Mutex<std::collections::HashMap<String, Actor>>);

impl TokenCache {
    /// More tokens than any department issues; past it the map starts again (no eviction
    /// order to get wrong).
    const CAPACITY: usize = 10_000;

    fn get(&self, hash: &str) -> Option<Actor> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A fresh per-request cache of the auditor's reach, as for an actor read anew.
        map.get(hash).map(|a| Actor {
            reach: Default::default(),
            ..a.clone()
        })
    }

    fn put(&self, hash: String, actor: &Actor) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(hash, actor.clone());
    }
}

/// An actor, and the token whose liveness the request has yet to confirm (`None`: confirmed,
/// or no token).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub actor: Actor,
    pub unconfirmed: Option<Uuid>,
}

/// Resolves an `Authorization` header to an actor (401 for missing, malformed or unknown
/// tokens, and for revoked ones read from the database). A token this process has seen
/// resolves without a statement, unconfirmed: the caller confirms it ([`confirm`]) or makes
/// its first statement do so ([`live`]).
pub async fn resolve(
    db: &DatabaseConnection,
    cache: &TokenCache,
    header: Option<&str>,
) -> AppResult<Resolved> {
    let token = bearer(header)?;
    let hash = hash(token);
    if let Some(actor) = cache.get(&hash) {
        return Ok(Resolved {
            unconfirmed: actor.token_id,
            actor,
        });
    }
    let actor = lookup(db, &hash).await?;
    cache.put(hash, &actor);
    Ok(Resolved {
        actor,
        unconfirmed: None,
    })
}

/// 401 unless the token is still live (not revoked, not gone).
pub async fn confirm(db: &impl ConnectionTrait, token_id: Uuid) -> AppResult<()> {
    let revoked: Option<Option<chrono::DateTime<chrono::Utc>>> =
        api_token::Entity::find_by_id(token_id)
            .select_only()
            .column(api_token::Column::RevokedAt)
            .into_tuple()
            .one(db)
            .await?;
    match revoked {
        Some(None) => Ok(()),
        _ => Err(revoked_or_unknown()),
    }
}

/// `EXISTS (a live token with this id)`, for a statement that confirms the request's token
/// while it reads what the request asked for: one round trip instead of two.
pub fn live(token_id: Uuid) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(api_token::Entity)
            .and_where(Expr::col((api_token::Entity, api_token::Column::Id)).eq(token_id))
            .and_where(Expr::col((api_token::Entity, api_token::Column::RevokedAt)).is_null())
            .to_owned(),
    )
}

/// The refusal of a token that is unknown or revoked (the two are not told apart).
pub fn revoked_or_unknown() -> AppError {
    AppError::Unauthorized("the token is unknown or has been revoked".into())
}

/// The token of a `Bearer` header.
fn bearer(header: Option<&str>) -> AppResult<&str> {
    let Some(header) = header else {
        return Err(AppError::Unauthorized(
            "missing Authorization: Bearer <token> header".into(),
        ));
    };
    header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })
}

/// The actor of a live token, by its hash.
async fn lookup(db: &DatabaseConnection, hash: &str) -> AppResult<Actor> {
    let row = crate::db::unique(
        db,
        api_token::Entity::find().filter(api_token::Column::TokenHash.eq(hash)),
    )
    .await?;
    match row {
        Some(t) if t.revoked_at.is_none() => actor_of(t),
        _ => Err(revoked_or_unknown()),
    }
}

fn actor_of(t: api_token::Model) -> AppResult<Actor> {
    Ok(Actor {
        token_id: Some(t.id),
        user_id: None,
        name: t.name,
        role: t.role,
        unit_id: t.unit_id,
        subject_id: t.subject_id,
        platform: t.platform,
        reach: Default::default(),
    })
}

/// The actor of a token by its id, if it still acts (not revoked): a flow a token started
/// and a browser finishes acts for it only while it would be let in itself.
pub async fn actor_by_token(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<Actor>> {
    match crate::db::unique(db, api_token::Entity::find_by_id(id)).await? {
        Some(t) if t.revoked_at.is_none() => actor_of(t).map(Some),
        _ => Ok(None),
    }
}

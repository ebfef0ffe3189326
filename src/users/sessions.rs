//! Sign-in sessions of the pages: sign in, resolve a cookie to its person, change the password,
//! sign out.
//!
//! A session is a row, not a signed cookie: the cookie holds 256 random bits whose SHA-256 is
//! stored, so every process sees a sign-out, an expiry or a disabled account at once.

use chrono::Duration;
use entity::{app_user, sign_in_failure, user_session};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::dto::UserView;
use super::password;
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::service::hash;
use crate::db::{begin_write, save};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::{clock, ids};

/// The session rules of one process (from the configuration).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// A session unused for this long is over.
    pub idle: Duration,
    /// Failed sign-ins in a row that lock the account for `lock`.
    pub failures: i32,
    pub lock: Duration,
    /// The cookie travels over https only.
    pub secure_cookie: bool,
}

impl Policy {
    pub fn from_config(c: &crate::config::AppConfig) -> Self {
        Policy {
            idle: Duration::minutes(Ord::max(c.sessions.idle_minutes, 1)),
            failures: Ord::max(c.sessions.sign_in_failures, 1),
            lock: Duration::minutes(Ord::max(c.sessions.sign_in_lock_minutes, 1)),
            secure_cookie: c.secure_cookies(),
        }
    }
}

/// A person signed in: who acts, and what the pages need to know of the session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub actor: Actor,
    pub username: String,
    pub display_name: String,
    /// Forms of this session carry it back.
    pub csrf_token: String,
    /// Until the one-time password is replaced, the person may do nothing else.
    pub must_change_password: bool,
}

/// How long `last_seen_at` may lag behind: refreshing it on every request would make every
/// page view a write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

fn secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Argon2 takes tens of milliseconds of CPU: it runs off the request threads.
async fn verify(password: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))
}

/// A hash of a password nobody has, checked for unknown user names so that they take as long
/// as known ones (no user-name probing by timing).
static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    password::hash("decoy password, never anyone's").unwrap_or_default()
});

fn wrong() -> AppError {
    AppError::Unauthorized("the user name or the password is wrong".into())
}

/// A new session: the cookie's secret and the session it opens.
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
}

/// Signs a person in: the cookie secret of a new session. A wrong password counts against the
/// name given, whether or not an account has it; after `policy.failures` in a row the name
/// answers `429` until `policy.lock` has passed since the last one, whatever the password — a
/// made-up name exactly like a real one.
pub async fn sign_in(
    db: &DatabaseConnection,
    policy: Policy,
    username: &str,
    given: &str,
) -> AppResult<SignedIn> {
    let username = username.trim().to_lowercase();
    attempt(db, policy, &username).await?;
    let user = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username.clone()))
        .one(db)
        .await?;
    let Some(user) = user else {
        verify(given.to_owned(), DECOY.clone()).await?;
        return Err(wrong());
    };
    if !verify(given.to_owned(), user.password_hash.clone()).await? {
        return Err(wrong());
    }
    // Told only to whoever knows the password: it says nothing to a guesser.
    if user.disabled_at.is_some() {
        return Err(AppError::Forbidden(msg!("sign-in-disabled")));
    }
    let now = clock::now();
    let secret = secret();
    let session = Session {
        id: ids::new_id(),
        actor: actor_of(&user)?,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        csrf_token: self::secret(),
        must_change_password: user.must_change_password,
    };
    let txn = begin_write(db).await?;
    clear_failures(&txn, &username).await?;
    user_session::ActiveModel {
        id: Set(session.id),
        user_id: Set(user.id),
        token_hash: Set(hash(&secret)),
        csrf_token: Set(session.csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
        ended_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(SignedIn { secret, session })
}

/// The key failures of a name are counted under (never the name itself: people type their
/// password into the wrong field).
fn name_key(username: &str) -> String {
    hash(&username.trim().to_lowercase())
}

/// Counts an attempt of the name before its password is checked — so that guesses sent in
/// parallel cannot all be checked before the first is counted — and answers `429` once more
/// than `policy.failures` attempts in a row have come within `policy.lock` of each other. A
/// successful attempt clears the count ([`clear_failures`]); a quiet `policy.lock` starts it
/// again. Counted in the database, so every process refuses the name alike.
async fn attempt(db: &DatabaseConnection, policy: Policy, username: &str) -> AppResult<()> {
    let now = clock::now();
    let key = name_key(username);
    let col = |c: sign_in_failure::Column| Expr::col((sign_in_failure::Entity, c));
    sign_in_failure::Entity::insert(sign_in_failure::ActiveModel {
        name_hash: Set(key.clone()),
        failures: Set(1),
        last_failed_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(sign_in_failure::Column::NameHash)
            .value(
                sign_in_failure::Column::Failures,
                Expr::case(
                    col(sign_in_failure::Column::LastFailedAt).lte(now - policy.lock),
                    1,
                )
                .finally(col(sign_in_failure::Column::Failures).add(1)),
            )
            .value(sign_in_failure::Column::LastFailedAt, Expr::value(now))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = crate::db::unique(db, sign_in_failure::Entity::find_by_id(key)).await?;
    if row.is_some_and(|f| f.failures > policy.failures) {
        return Err(AppError::TooManyRequests(msg!(
            "too-many-sign-ins",
            until = (now + policy.lock).format("%H:%M UTC")
        )));
    }
    Ok(())
}

/// Forgets a name's failures (a successful sign-in, a password reset by an administrator).
pub async fn clear_failures(db: &impl ConnectionTrait, username: &str) -> AppResult<()> {
    sign_in_failure::Entity::delete_by_id(name_key(username))
        .exec(db)
        .await?;
    Ok(())
}

/// The session a cookie secret belongs to: `None` when it is unknown, signed out, idle for too
/// long, or its account is disabled.
pub async fn resolve(
    db: &DatabaseConnection,
    policy: Policy,
    secret: &str,
) -> AppResult<Option<Session>> {
    let found = crate::db::unique(
        db,
        user_session::Entity::find()
            .filter(user_session::Column::TokenHash.eq(hash(secret)))
            .filter(user_session::Column::EndedAt.is_null()),
    )
    .await?;
    let now = clock::now();
    let Some(session) = found.filter(|s| s.last_seen_at + policy.idle > now) else {
        return Ok(None);
    };
    let Some(user) = crate::db::unique(db, app_user::Entity::find_by_id(session.user_id))
        .await?
        .filter(|u| u.disabled_at.is_none())
    else {
        return Ok(None);
    };
    if now - session.last_seen_at > TOUCH_EVERY {
        let txn = begin_write(db).await?;
        user_session::Entity::update_many()
            .col_expr(user_session::Column::LastSeenAt, Expr::value(now))
            .filter(user_session::Column::Id.eq(session.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(Some(Session {
        id: session.id,
        actor: actor_of(&user)?,
        username: user.username,
        display_name: user.display_name,
        csrf_token: session.csrf_token,
        must_change_password: user.must_change_password,
    }))
}

/// The actor of an account by its id, if it may still act (not disabled).
pub async fn actor_by_user(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> AppResult<Option<Actor>> {
    match crate::db::unique(db, app_user::Entity::find_by_id(id)).await? {
        Some(u) if u.disabled_at.is_none() => actor_of(&u).map(Some),
        _ => Ok(None),
    }
}

/// The actor a person acts as: its account's role and scope, named so that the audit trail
/// says who it was.
fn actor_of(user: &app_user::Model) -> AppResult<Actor> {
    Ok(Actor {
        token_id: None,
        user_id: Some(user.id),
        name: format!("{} ({})", user.display_name, user.username),
        role: user.role,
        unit_id: user.unit_id,
        subject_id: user.subject_id,
        platform: None,
        reach: Default::default(),
    })
}

/// Ends one session (signing out twice is harmless).
pub async fn sign_out(db: &DatabaseConnection, session_id: Uuid) -> AppResult<()> {
    let txn = begin_write(db).await?;
    end_sessions(&txn, user_session::Column::Id.eq(session_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends every open session matching `filter` (a user's, when its account is disabled).
pub async fn end_sessions(
    db: &impl ConnectionTrait,
    filter: sea_orm::sea_query::SimpleExpr,
) -> AppResult<u64> {
    let res = user_session::Entity::update_many()
        .col_expr(user_session::Column::EndedAt, Expr::value(clock::now()))
        .filter(filter)
        .filter(user_session::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Replaces the signed-in person's password (the current one proves it is them). Their other
/// sessions end: whoever knew the old password is signed out.
pub async fn change_password(
    db: &DatabaseConnection,
    policy: Policy,
    session: &Session,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let user_id = session
        .actor
        .user_id
        .ok_or_else(|| AppError::Internal("a session without an account".to_owned()))?;
    if new.chars().count() < password::MIN_LENGTH {
        return Err(AppError::invalid(
            "new_password",
            msg!("field-at-least-characters", n = password::MIN_LENGTH),
        ));
    }
    if new == current {
        return Err(AppError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let row = crate::db::unique(db, app_user::Entity::find_by_id(user_id))
        .await?
        .ok_or_else(|| AppError::not_found("user", user_id))?;
    // Guessing the current password is guessing a sign-in: the same count, the same lock.
    attempt(db, policy, &session.username).await?;
    if !verify(current.to_owned(), row.password_hash.clone()).await? {
        return Err(AppError::invalid(
            "current_password",
            "is not the current password",
        ));
    }
    let new_hash = tokio::task::spawn_blocking({
        let new = new.to_owned();
        move || password::hash(&new)
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing: {e}")))??;
    let txn = begin_write(db).await?;
    let before = UserView::build(row.clone())?;
    let mut next = row.clone();
    next.password_hash = new_hash;
    next.must_change_password = false;
    next.updated_at = clock::now();
    next.version += 1;
    let after = UserView::build(save(&txn, next).await?)?;
    end_sessions(
        &txn,
        user_session::Column::UserId
            .eq(user_id)
            .and(user_session::Column::Id.ne(session.id)),
    )
    .await?;
    audit::record(
        &txn,
        &session.actor,
        Change::updated(
            "user",
            user_id,
            row.subject_id,
            "change_password",
            &before,
            &after,
        ),
    )
    .await?;
    clear_failures(&txn, &session.username).await?;
    txn.commit().await?;
    Ok(())
}

//! Creating, listing and disabling user accounts.

use entity::app_user;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::dto::{CreateUser, CreatedUser, UpdateUser, UserQuery, UserView};
use super::password;
use crate::audit::{self, Change};
use crate::auth::{Actor, Scope, access};
use crate::db::{begin_write, find, save};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::clean;
use crate::{clock, ids};

/// Who may manage which accounts: administrators any; an auditor the owners of the subjects in
/// its unit (so a cooperative gets its account from its district), nothing else.
async fn may_manage(
    db: &impl ConnectionTrait,
    actor: &Actor,
    role: Role,
    subject_id: Option<Uuid>,
) -> AppResult<()> {
    match (actor.role, role, subject_id) {
        (Role::Admin, _, _) => Ok(()),
        (Role::Auditor, Role::Owner, Some(s)) => access::visible(db, actor, s).await.map(drop),
        (Role::Auditor, _, _) => Err(AppError::Forbidden(
            "an auditor manages the accounts of owners in its unit only".into(),
        )),
        _ => Err(AppError::Forbidden(
            "only administrators and auditors manage accounts".into(),
        )),
    }
}

/// Creates an account (administrators: any role; auditors: owners of subjects in their unit).
/// Without `password`, the account gets a one-time password that must be changed at the first
/// sign-in; with one (the command line's `--password-stdin`), that password is the user's own.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreateUser,
    password: Option<String>,
) -> AppResult<CreatedUser> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    if let Some(p) = &password
        && p.chars().count() < password::MIN_LENGTH
    {
        return Err(AppError::invalid(
            "password",
            msg!("field-at-least-characters", n = password::MIN_LENGTH),
        ));
    }
    let txn = begin_write(db).await?;
    // Scope fields that the role does not use are not kept.
    let unit_id = input.unit_id.filter(|_| input.role == Role::Auditor);
    let subject_id = input.subject_id.filter(|_| input.role == Role::Owner);
    crate::tokens::service::require_scope(&txn, unit_id, subject_id).await?;
    may_manage(&txn, actor, input.role, subject_id).await?;
    let username = input.username.trim().to_owned();
    if app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(msg!(
            "conflict-username-taken",
            username = username
        )));
    }
    let (secret, must_change) = match password {
        Some(p) => (p, false),
        None => (password::one_time(), true),
    };
    let now = clock::now();
    let row = app_user::ActiveModel {
        id: Set(ids::new_id()),
        username: Set(username),
        display_name: Set(clean(&input.display_name)),
        role: Set(input.role),
        unit_id: Set(unit_id),
        subject_id: Set(subject_id),
        password_hash: Set(password::hash(&secret)?),
        must_change_password: Set(must_change),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let view = UserView::build(row)?;
    audit::record(
        &txn,
        actor,
        Change::created("user", view.id, subject_id, &view),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedUser {
        user: view,
        // Only a one-time password is shown back; a chosen one is the person's to know.
        one_time_password: if must_change { secret } else { String::new() },
    })
}

/// Accounts the actor manages, by user name, optionally those whose user name or name holds
/// `q`; each with its last sign-in.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    query: &UserQuery,
    page: &PageParams,
) -> AppResult<Paginated<UserView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let mut select = app_user::Entity::find();
    if actor.role == Role::Auditor {
        let scope = Scope::of(db, actor).await?;
        select = select.filter(
            Condition::all()
                .add(app_user::Column::Role.eq(Role::Owner.code()))
                .add(app_user::Column::SubjectId.in_subquery(scope.subject_ids())),
        );
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let q = q.to_lowercase();
        select = select.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(app_user::Column::Username)))
                        .like(format!("%{q}%")),
                )
                .add(
                    Expr::expr(Func::lower(Expr::col(app_user::Column::DisplayName)))
                        .like(format!("%{q}%")),
                ),
        );
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(app_user::Column::Username)
            .order_by_asc(app_user::Column::Id),
        page,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let last: std::collections::HashMap<Uuid, chrono::DateTime<chrono::Utc>> = if ids.is_empty() {
        Default::default()
    } else {
        entity::user_session::Entity::find()
            .select_only()
            .column(entity::user_session::Column::UserId)
            .column_as(entity::user_session::Column::CreatedAt.max(), "last")
            .filter(entity::user_session::Column::UserId.is_in(ids))
            .group_by(entity::user_session::Column::UserId)
            .into_tuple::<(Uuid, chrono::DateTime<chrono::Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let at = last.get(&r.id).copied();
            UserView::build(r).map(|v| UserView {
                last_sign_in_at: at,
                ..v
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// Renames or disables (enables) an account the actor manages.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: Option<i32>,
    input: UpdateUser,
) -> AppResult<UserView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let txn = begin_write(db).await?;
    let row = find::<app_user::Entity>(&txn, "user", id, true).await?;
    let before = UserView::build(row.clone())?;
    may_manage(&txn, actor, before.role, row.subject_id).await?;
    if let Some(v) = if_match
        && v != row.version
    {
        return Err(AppError::PreconditionFailed(msg!(
            "precondition-version",
            current = row.version,
            given = v
        )));
    }
    // Nobody locks themselves out (the only administrator would leave nobody to unlock it).
    if input.disabled == Some(true) && actor.user_id == Some(id) {
        return Err(AppError::Conflict(msg!("conflict-disable-self")));
    }
    let mut next = row.clone();
    if let Some(n) = &input.display_name {
        next.display_name = clean(n);
    }
    match input.disabled {
        Some(true) if row.disabled_at.is_none() => next.disabled_at = Some(clock::now()),
        Some(false) => next.disabled_at = None,
        _ => {}
    }
    if next == row {
        return Ok(before);
    }
    next.updated_at = clock::now();
    next.version += 1;
    let after = UserView::build(save(&txn, next).await?)?;
    if after.disabled {
        // Disabling signs the person out everywhere, in the same transaction.
        super::sessions::end_sessions(&txn, entity::user_session::Column::UserId.eq(id)).await?;
    }
    audit::record(
        &txn,
        actor,
        Change::updated("user", id, row.subject_id, "update", &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Gives an account a new one-time password (a forgotten password; the demo at every start):
/// the person must change it at the next sign-in, and every session of theirs ends.
pub async fn reset_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
) -> AppResult<CreatedUser> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let secret = password::one_time();
    let hashed = password::hash(&secret)?;
    let txn = begin_write(db).await?;
    let row = find::<app_user::Entity>(&txn, "user", id, true).await?;
    let before = UserView::build(row.clone())?;
    may_manage(&txn, actor, before.role, row.subject_id).await?;
    let mut next = row.clone();
    next.password_hash = hashed;
    next.must_change_password = true;
    next.updated_at = clock::now();
    next.version += 1;
    let after = UserView::build(save(&txn, next).await?)?;
    super::sessions::end_sessions(&txn, entity::user_session::Column::UserId.eq(id)).await?;
    // A new password lifts a lock-out.
    super::sessions::clear_failures(&txn, &row.username).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "user",
            id,
            row.subject_id,
            "reset_password",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedUser {
        user: after,
        one_time_password: secret,
    })
}

//! The actor behind a request, resolved from its bearer token.

use std::collections::HashSet;
use std::sync::Arc;

use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::{Request, http::Status};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::service;
use crate::domain::Role;
use crate::error::{AppError, AppResult, stash};
use crate::msg;

/// The caller: a token's role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token; `None` for a person signed in to the pages, the command line and the
    /// system itself.
    pub token_id: Option<Uuid>,
    /// The account of a person signed in to the pages.
    pub user_id: Option<Uuid>,
    pub name: String,
    pub role: Role,
    /// Auditor scope root.
    pub unit_id: Option<Uuid>,
    /// Owner scope.
    pub subject_id: Option<Uuid>,
    /// Channel tokens: their platform.
    pub platform: Option<crate::domain::Platform>,
    /// An auditor's reach, worked out at most once for the actor's request.
    pub reach: Reach,
}

/// The units an auditor reaches, worked out once per request and kept with the actor: an import
/// applies thousands of rows as one actor, each asking its scope. An actor lives for one
/// request, so the next one sees any change of the units.
#[derive(Debug, Clone, Default)]
pub struct Reach(Arc<tokio::sync::OnceCell<Arc<HashSet<Uuid>>>>);

impl Reach {
    /// The reach, worked out by `load` the first time.
    pub async fn get_or_load<F, Fut>(&self, load: F) -> AppResult<Arc<HashSet<Uuid>>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = AppResult<HashSet<Uuid>>>,
    {
        self.0
            .get_or_try_init(|| async { load().await.map(Arc::new) })
            .await
            .cloned()
    }
}

/// A cache, not part of who the actor is.
impl PartialEq for Reach {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Reach {}

impl Actor {
    /// The operator at the command line (acts as an administrator; recorded as such).
    pub fn cli() -> Self {
        Actor {
            token_id: None,
            user_id: None,
            name: "command line".to_owned(),
            role: Role::Admin,
            unit_id: None,
            subject_id: None,
            platform: None,
            reach: Reach::default(),
        }
    }

    /// The registry itself (demo loader, background jobs).
    pub fn system(name: &str) -> Self {
        Actor {
            name: name.to_owned(),
            ..Actor::cli()
        }
    }

    /// The credential that acted, as the audit trail records it: the token, or the account of
    /// the person signed in.
    pub fn id(&self) -> Option<Uuid> {
        self.token_id.or(self.user_id)
    }

    /// 403 unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            Err(AppError::Forbidden(msg!(
                "forbidden-role",
                needed = names.join(" | "),
                role = self.role.code()
            )))
        }
    }
}

/// The caller of a request, possibly not yet confirmed: a token this process has seen before
/// resolves from memory, and its revocation is checked by the handler's first statement
/// (`auth::service::live`) instead of one of its own. Handlers that read in one statement take
/// a `Caller`; every other takes an [`Actor`], confirmed before the handler runs.
#[derive(Debug, Clone)]
pub struct Caller(service::Resolved);

impl Caller {
    /// Who is asking.
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }

    /// The token whose liveness is still to be confirmed.
    pub fn unconfirmed(&self) -> Option<Uuid> {
        self.0.unconfirmed
    }
}

/// The request's token resolved once, by memory or by a lookup.
async fn resolved<'r>(req: &'r Request<'_>) -> &'r AppResult<service::Resolved> {
    req.local_cache_async(async {
        let (Some(db), Some(cache)) = (
            req.rocket().state::<DatabaseConnection>(),
            req.rocket().state::<service::TokenCache>(),
        ) else {
            return Err(AppError::Internal(
                "no database or token cache in managed state".to_owned(),
            ));
        };
        service::resolve(db, cache, req.headers().get_one("Authorization")).await
    })
    .await
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        match resolved(req).await {
            Ok(r) => {
                crate::telemetry::saw_role(req, r.actor.role);
                Outcome::Success(Caller(r.clone()))
            }
            Err(e) => refuse(req, clone_error(e)),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Actor {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        let result = req
            .local_cache_async(async {
                let r = resolved(req).await.as_ref().map_err(clone_error)?;
                if let Some(token) = r.unconfirmed {
                    let Some(db) = req.rocket().state::<DatabaseConnection>() else {
                        return Err(AppError::Internal(
                            "no database in managed state".to_owned(),
                        ));
                    };
                    service::confirm(db, token).await?;
                }
                Ok(r.actor.clone())
            })
            .await;
        match result {
            Ok(actor) => {
                crate::telemetry::saw_role(req, actor.role);
                Outcome::Success(actor.clone())
            }
            Err(e) => refuse(req, clone_error(e)),
        }
    }
}

/// The answer to a request whose caller is refused. Failed authentications are counted per
/// client: past the limit, 429.
fn refuse<T>(req: &Request<'_>, err: AppError) -> RequestOutcome<T, ()> {
    let err = match err {
        AppError::Unauthorized(_) => crate::limits::failed_authentication(req).unwrap_or(err),
        other => other,
    };
    let status = stash(req, err);
    Outcome::Error((status, ()))
}

/// Errors are not `Clone` (they may hold a `DbErr`); the cached one is re-expressed.
fn clone_error(e: &AppError) -> AppError {
    match e {
        AppError::Unauthorized(m) => AppError::Unauthorized(m.clone()),
        other => {
            let (status, _) = other.status_code();
            if status == Status::Unauthorized {
                AppError::Unauthorized(other.to_string().into())
            } else {
                AppError::Internal(other.to_string())
            }
        }
    }
}

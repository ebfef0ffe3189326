//! "Kết nối gian hàng": connecting a shop through the marketplace's own authorization flow
//! (`marketplaces.md` §1.2, §2.2). The owner is sent to the marketplace's consent page with the
//! registry's partner app; the marketplace sends the browser back with a one-time code, which
//! the registry exchanges for the shop's tokens. The shop id comes from the marketplace, so the
//! connection is the registry's (`managed_by: registry`) and its listings are trusted evidence;
//! the owner never sees or types a partner key.
//!
//! The state parameter is random, stored only as its hash, bound to the channel and to who
//! started the flow, valid for ten minutes and used once. It lives in the database, so the
//! callback may reach any process.

use chrono::Duration;
use entity::{connection_grant as grant, sales_channel as channel};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::Deserialize;
use uuid::Uuid;

use super::client::SyncError;
use super::connection;
use super::dto::{ConnectionInput, ConnectionView, ManagedBy, SyncOptions};
use super::marketplaces::{self, ConnectorKind};
use super::runs;
use super::settings::{App, SyncSettings};
use crate::auth::{Actor, owned};
use crate::db::begin_write;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::{clock, ids};

/// How long a consent link may take to come back.
const GRANT_MINUTES: i64 = 10;

/// What a marketplace sends the browser back with.
#[derive(Debug, Default, Deserialize, rocket::FromForm, utoipa::IntoParams)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Shopee: the authorized shop.
    pub shop_id: Option<String>,
    /// Set when the seller refused (`auth_denied`).
    pub error: Option<String>,
}

/// What a finished connection led to.
#[derive(Debug)]
pub struct Connected {
    pub channel_id: Uuid,
    pub connection: ConnectionView,
    /// The actor the flow acted for (where to send the browser next depends on it).
    pub actor: Actor,
    /// The first sync, run at once so the listings show.
    pub first_run: Option<super::dto::SyncRunView>,
}

/// The marketplace a channel's platform connects through.
fn connector_of(ch: &channel::Model) -> AppResult<ConnectorKind> {
    match ch.platform.connector().filter(|k| k.is_marketplace()) {
        Some(kind) => Ok(kind),
        None => Err(AppError::invalid(
            "platform",
            "only Shopee, Lazada and TikTok Shop shops connect through the marketplace's authorization",
        )),
    }
}

/// The registry's app on a marketplace. Without one, shops of that marketplace cannot be
/// connected here: a 422 naming the channel's platform (the operator configures the app), not a
/// fault of the server.
fn app_of(settings: &SyncSettings, kind: ConnectorKind) -> AppResult<&App> {
    settings.apps.of(kind).ok_or_else(|| {
        AppError::invalid(
            "platform",
            crate::msg!("field-connect-not-configured", platform = kind.code()),
        )
    })
}

/// Whether shops of `platform` can be connected here at all (a marketplace with the registry's
/// app configured): pages offer the connection only then.
pub fn connectable(settings: &SyncSettings, platform: &crate::domain::Platform) -> bool {
    platform
        .connector()
        .filter(|k| k.is_marketplace())
        .is_some_and(|k| settings.apps.of(k).is_some())
}

fn hash(state: &str) -> String {
    crate::auth::service::hash(state)
}

/// A consent flow begun: where to send the browser, and the state that must come back with it
/// (kept by the browser that started the flow, [`BROWSER_COOKIE`]).
pub struct Started {
    pub url: String,
    pub state: String,
}

/// The cookie in which the browser that started a flow with a token keeps its state: the flow
/// is finished only in that browser.
pub const BROWSER_COOKIE: &str = "ocop_connect";

/// Starts connecting a channel's shop (its owner, or an administrator): records a grant and
/// returns the marketplace's consent URL. `callback_base` is the registry's public address.
pub async fn start(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    actor: &Actor,
    channel_id: Uuid,
    callback_base: &str,
) -> AppResult<Started> {
    actor.require(&[Role::Owner, Role::Admin])?;
    let ch: channel::Model = owned(db, actor, channel_id, false).await?;
    let kind = connector_of(&ch)?;
    let app = app_of(settings, kind)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let state = hex::encode(bytes);
    let now = clock::now();
    let txn = begin_write(db).await?;
    grant::Model {
        id: ids::new_id(),
        state_hash: hash(&state),
        channel_id,
        connector: kind,
        token_id: actor.token_id,
        user_id: actor.user_id,
        created_at: now,
        expires_at: now + Duration::minutes(GRANT_MINUTES),
        used_at: None,
    }
    .into_active_model()
    .reset_all()
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let callback = format!("{callback_base}/oauth/{}/callback", kind.code());
    let url = marketplaces::of(kind).consent_url(settings, app, &callback, &state)?;
    Ok(Started { url, state })
}

/// A refused callback: the link is no good (unknown, used, expired) or the seller said no.
fn refused(key: &'static str) -> AppError {
    AppError::BadRequest {
        message: crate::i18n::Msg::Coded {
            key: std::borrow::Cow::Borrowed(key),
            args: Vec::new(),
        },
        fields: None,
    }
}

/// Finishes a connection when the marketplace sends the browser back: checks and spends the
/// grant, exchanges the code for the shop's tokens, stores the connection as the registry's and
/// runs a first sync.
///
/// `signed_in` is the person whose browser came back, if signed in: a flow a person started is
/// finished only in that person's own session. `browser_state` is the state the returning
/// browser kept ([`BROWSER_COOKIE`]): a flow started with a token is finished only in the
/// browser that started it. Either way, a consent link sent to someone else cannot attach
/// their shop to the sender's channel.
pub async fn finish(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    platform: &str,
    cb: &Callback,
    signed_in: Option<Uuid>,
    browser_state: Option<&str>,
) -> AppResult<Connected> {
    let kind: ConnectorKind = platform
        .parse()
        .map_err(|_| AppError::not_found("marketplace", platform))?;
    let g = spend_grant(db, kind, cb, signed_in, browser_state).await?;
    let actor = match (g.token_id, g.user_id) {
        (Some(t), _) => crate::auth::service::actor_by_token(db, t).await?,
        (None, Some(u)) => crate::users::sessions::actor_by_user(db, u).await?,
        (None, None) => None,
    }
    .ok_or_else(|| refused("connect-actor-gone"))?;
    let ch: channel::Model = owned(db, &actor, g.channel_id, false).await?;
    let app = app_of(settings, kind)?;
    let code = cb.code.clone().unwrap_or_default();
    let tokens = marketplaces::exchange(settings, kind, app, &code, cb.shop_id.as_deref())
        .await
        .map_err(|e| match e {
            // Said to the person connecting: never the app's secret or the one-time code.
            SyncError::Auth(m) | SyncError::Failed(m) => AppError::Upstream(super::client::scrub(
                &m,
                &[app.secret.as_str(), code.as_str()],
            )),
        })?;
    if let Some(declared) = ch.shop_id.as_deref()
        && declared != tokens.shop_id
    {
        return Err(AppError::Conflict(
            format!(
                "the channel names shop {declared}, but the marketplace authorized shop {}: \
                 connect from the channel of that shop",
                tokens.shop_id
            )
            .into(),
        ));
    }
    let input = ConnectionInput {
        connector: kind,
        base_url: None,
        partner_id: Some(app.id.clone()),
        shop_id: Some(tokens.shop_id.clone()),
        app_secret: None,
        access_token: Some(tokens.access_token),
        refresh_token: tokens.refresh_token,
        token_expires_at: tokens.expires_at,
        webhook_secret: None,
        rate_limit_per_minute: None,
        sync_interval_minutes: None,
    };
    let view = connection::write(db, settings, &actor, ch.id, input, ManagedBy::Registry).await?;
    if ch.shop_id.is_none() {
        crate::channels::service::set_shop_id(db, &actor, ch.id, &tokens.shop_id).await?;
    }
    let trigger = crate::domain::RunTrigger::Connect;
    let first_run = runs::run(db, settings, ch.id, trigger, &SyncOptions::default())
        .await
        .ok()
        .map(|r| super::dto::SyncRunView::from(r).for_role(actor.role));
    Ok(Connected {
        channel_id: ch.id,
        connection: view,
        actor,
        first_run,
    })
}

/// The consent this callback answers, spent: found by its state, for this marketplace, unused,
/// in the browser and by the person that asked for it, in time, and granted.
async fn spend_grant(
    db: &DatabaseConnection,
    kind: ConnectorKind,
    cb: &Callback,
    signed_in: Option<Uuid>,
    browser_state: Option<&str>,
) -> AppResult<grant::Model> {
    let state = cb
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| refused("connect-no-state"))?;
    let now = clock::now();
    // Spent before anything else, in its own transaction: a replayed or concurrent callback
    // finds it used whatever happens next.
    let txn = begin_write(db).await?;
    let found = crate::db::unique(
        &txn,
        grant::Entity::find().filter(grant::Column::StateHash.eq(hash(state))),
    )
    .await?
    .filter(|g| g.connector == kind);
    let Some(g) = found else {
        return Err(refused("connect-unknown"));
    };
    let spent = grant::Entity::update_many()
        .col_expr(grant::Column::UsedAt, Expr::value(now))
        .filter(grant::Column::Id.eq(g.id))
        .filter(grant::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    if spent.rows_affected != 1 {
        return Err(refused("connect-used"));
    }
    if g.user_id.is_some() && g.user_id != signed_in {
        return Err(refused("connect-other-person"));
    }
    if g.token_id.is_some() && browser_state.is_none_or(|b| hash(b) != g.state_hash) {
        return Err(refused("connect-other-browser"));
    }
    if g.expires_at <= now {
        return Err(refused("connect-expired"));
    }
    if cb.error.is_some()
        || cb
            .code
            .as_deref()
            .is_none_or(|c| c.is_empty() || c == "null")
    {
        return Err(refused("connect-denied"));
    }
    Ok(g)
}

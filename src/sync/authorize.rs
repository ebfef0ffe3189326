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

use chrono::{Duration, Utc};
use entity::{connection_grant as grant, sales_channel as channel};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::client::{HttpClient, Reach, SyncError, Verdict};
use super::connection;
use super::connectors::ConnectorKind;
use super::dto::{ConnectionInput, ConnectionView, ManagedBy, SyncOptions};
use super::runs;
use super::settings::{App, SyncSettings};
use super::signing::{lazada_sign, shopee_public_sign};
use crate::auth::{Actor, owned};
use crate::db::begin_write;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::{clock, ids};

/// How long a consent link may take to come back.
const GRANT_MINUTES: i64 = 10;
const SHOPEE_AUTH: &str = "/api/v2/shop/auth_partner";
const SHOPEE_TOKEN: &str = "/api/v2/auth/token/get";
const LAZADA_TOKEN: &str = "/auth/token/create";

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
    let url = match kind {
        ConnectorKind::Shopee => {
            // Shopee echoes no state: it rides in the redirect address, which Shopee extends
            // with the code and the shop id.
            let redirect = format!("{callback}?state={state}");
            let ts = Utc::now().timestamp();
            let sign = shopee_public_sign(&app.secret, &app.id, SHOPEE_AUTH, ts);
            let query = serde_urlencoded::to_string([
                ("partner_id", app.id.as_str()),
                ("timestamp", &ts.to_string()),
                ("sign", &sign),
                ("redirect", &redirect),
            ])
            .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
            format!(
                "{}{SHOPEE_AUTH}?{query}",
                settings.hosts.shopee.trim_end_matches('/')
            )
        }
        ConnectorKind::TiktokShop => {
            // TikTok sends the seller back to the redirect registered with the app, with the
            // state it was given.
            let service = settings
                .apps
                .tiktok_service_id
                .as_deref()
                .unwrap_or(&app.id);
            let query = serde_urlencoded::to_string([("service_id", service), ("state", &state)])
                .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
            format!("{}/open/authorize?{query}", settings.apps.tiktok_consent)
        }
        _ => {
            let query = serde_urlencoded::to_string([
                ("response_type", "code"),
                ("force_auth", "true"),
                ("redirect_uri", &callback),
                ("client_id", &app.id),
                ("state", &state),
            ])
            .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
            format!("{}/oauth/authorize?{query}", settings.apps.lazada_consent)
        }
    };
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
    let actor = match (g.token_id, g.user_id) {
        (Some(t), _) => crate::auth::service::actor_by_token(db, t).await?,
        (None, Some(u)) => crate::users::sessions::actor_by_user(db, u).await?,
        (None, None) => None,
    }
    .ok_or_else(|| refused("connect-actor-gone"))?;
    let ch: channel::Model = owned(db, &actor, g.channel_id, false).await?;
    let app = app_of(settings, kind)?;
    let code = cb.code.clone().unwrap_or_default();
    let tokens = exchange(settings, kind, app, &code, cb.shop_id.as_deref())
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

/// A shop's first tokens.
struct Granted {
    shop_id: String,
    access_token: String,
    refresh_token: Option<String>,
    expires_at: Option<chrono::DateTime<Utc>>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Exchanges an authorization code for the shop's tokens.
async fn exchange(
    settings: &SyncSettings,
    kind: ConnectorKind,
    app: &App,
    code: &str,
    shop_id: Option<&str>,
) -> Result<Granted, SyncError> {
    let http = HttpClient::new(settings.timeout, settings.policy.clone(), 0, Reach::Any)?;
    match kind {
        ConnectorKind::Shopee => {
            let shop_id = shop_id
                .filter(|s| !s.is_empty())
                .ok_or_else(|| SyncError::Auth("Shopee sent no shop_id back".to_owned()))?;
            let url = format!(
                "{}{SHOPEE_TOKEN}",
                settings.hosts.shopee.trim_end_matches('/')
            );
            let body = json!({
                "code": code,
                "partner_id": app.id.parse::<i64>().unwrap_or_default(),
                "shop_id": shop_id.parse::<i64>().unwrap_or_default(),
            });
            let json = http
                .call(
                    "shopee token get",
                    |c| {
                        let ts = Utc::now().timestamp();
                        let sign = shopee_public_sign(&app.secret, &app.id, SHOPEE_TOKEN, ts);
                        c.post(&url)
                            .query(&[
                                ("partner_id", app.id.clone()),
                                ("timestamp", ts.to_string()),
                                ("sign", sign),
                            ])
                            .json(&body)
                    },
                    |_, body| match body.get("error").and_then(Value::as_str).unwrap_or("") {
                        "" => Verdict::Done,
                        "error_rate_limit" | "error_server" | "error_inner" => {
                            Verdict::Retry(format!("{body}"), None)
                        }
                        other => Verdict::Auth(format!(
                            "Shopee refused the authorization code: {other} {}",
                            body.get("message").and_then(Value::as_str).unwrap_or("")
                        )),
                    },
                )
                .await?;
            Ok(Granted {
                shop_id: shop_id.to_owned(),
                access_token: text(&json, "access_token")
                    .ok_or_else(|| SyncError::Auth("Shopee answered no access_token".to_owned()))?,
                refresh_token: text(&json, "refresh_token"),
                expires_at: super::connectors::expiry(
                    json.get("expire_in").and_then(Value::as_i64),
                ),
            })
        }
        ConnectorKind::TiktokShop => tiktok_exchange(settings, &http, app, code).await,
        _ => {
            let url = format!(
                "{}{LAZADA_TOKEN}",
                settings.hosts.lazada_auth.trim_end_matches('/')
            );
            let json = http
                .call(
                    "lazada token create",
                    |c| {
                        let mut params = vec![
                            ("code".to_owned(), code.to_owned()),
                            ("app_key".to_owned(), app.id.clone()),
                            (
                                "timestamp".to_owned(),
                                Utc::now().timestamp_millis().to_string(),
                            ),
                            ("sign_method".to_owned(), "sha256".to_owned()),
                        ];
                        let sign = lazada_sign(&app.secret, LAZADA_TOKEN, &params);
                        params.push(("sign".to_owned(), sign));
                        c.get(&url).query(&params)
                    },
                    |_, body| match body.get("code").and_then(Value::as_str).unwrap_or("0") {
                        "0" => Verdict::Done,
                        "ApiCallLimit" | "ServiceTimeout" => {
                            Verdict::Retry(format!("{body}"), None)
                        }
                        other => Verdict::Auth(format!(
                            "Lazada refused the authorization code: {other} {}",
                            body.get("message").and_then(Value::as_str).unwrap_or("")
                        )),
                    },
                )
                .await?;
            // The seller of Việt Nam's venture.
            let seller = json
                .get("country_user_info")
                .and_then(Value::as_array)
                .and_then(|rows| {
                    rows.iter()
                        .find(|r| r.get("country").and_then(Value::as_str) == Some("vn"))
                        .or_else(|| rows.first())
                })
                .and_then(|r| text(r, "seller_id"))
                .ok_or_else(|| SyncError::Auth("Lazada answered no seller_id".to_owned()))?;
            Ok(Granted {
                shop_id: seller,
                access_token: text(&json, "access_token")
                    .ok_or_else(|| SyncError::Auth("Lazada answered no access_token".to_owned()))?,
                refresh_token: text(&json, "refresh_token"),
                expires_at: super::connectors::expiry(
                    json.get("expires_in").and_then(Value::as_i64),
                ),
            })
        }
    }
}

/// TikTok Shop (§3.2): the code for tokens (an unsigned call carrying the app secret), then the
/// authorized shops (a signed call) for the shop's id.
async fn tiktok_exchange(
    settings: &SyncSettings,
    http: &HttpClient,
    app: &App,
    code: &str,
) -> Result<Granted, SyncError> {
    let ok = |what: &'static str| {
        move |_: u16, body: &Value| match body.get("code").and_then(Value::as_i64) {
            Some(0) => Verdict::Done,
            Some(36009002) => Verdict::Retry(format!("{body}"), None),
            _ => Verdict::Auth(format!(
                "TikTok Shop refused {what}: {}",
                body.get("message").and_then(Value::as_str).unwrap_or("")
            )),
        }
    };
    let url = format!("{}/api/v2/token/get", settings.apps.tiktok_auth);
    let json = http
        .call(
            "tiktok token get",
            |c| {
                c.get(&url).query(&[
                    ("app_key", app.id.as_str()),
                    ("app_secret", app.secret.as_str()),
                    ("auth_code", code),
                    ("grant_type", "authorized_code"),
                ])
            },
            ok("the authorization code"),
        )
        .await?;
    let data = json.get("data").cloned().unwrap_or_default();
    let access_token = text(&data, "access_token")
        .ok_or_else(|| SyncError::Auth("TikTok Shop answered no access_token".to_owned()))?;
    const SHOPS: &str = "/authorization/202309/shops";
    let url = format!("{}{SHOPS}", settings.apps.tiktok_api);
    let shops = http
        .call(
            "tiktok authorized shops",
            |c| {
                let mut params = vec![
                    ("app_key".to_owned(), app.id.clone()),
                    ("timestamp".to_owned(), Utc::now().timestamp().to_string()),
                ];
                let sign = super::signing::tiktok_sign(&app.secret, SHOPS, &params, b"");
                params.push(("sign".to_owned(), sign));
                c.get(&url)
                    .header("x-tts-access-token", &access_token)
                    .query(&params)
            },
            ok("the list of authorized shops"),
        )
        .await?;
    // The seller's shop in Việt Nam.
    let shop = shops
        .pointer("/data/shops")
        .and_then(Value::as_array)
        .and_then(|rows| {
            rows.iter()
                .find(|r| r.get("region").and_then(Value::as_str) == Some("VN"))
                .or_else(|| rows.first())
        })
        .and_then(|r| text(r, "id"))
        .ok_or_else(|| SyncError::Auth("TikTok Shop listed no authorized shop".to_owned()))?;
    Ok(Granted {
        shop_id: shop,
        access_token,
        refresh_token: text(&data, "refresh_token"),
        // An absolute time (§3.2).
        expires_at: super::connectors::expiry(
            data.get("access_token_expire_in").and_then(Value::as_i64),
        ),
    })
}

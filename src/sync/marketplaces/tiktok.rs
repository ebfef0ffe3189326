//! TikTok Shop (`marketplaces.md` §3), all of it: request signing (§3.3), the consent page and
//! the code exchange (§3.2), and pushes signed with the app key (§3.6). There is no listing API
//! to read yet: a TikTok Shop channel is updated by its pushes only, which are kept as received.

use chrono::Utc;
use entity::{channel_connection as connection, webhook_event};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde_json::Value;
use uuid::Uuid;

use super::push::{Delivery, verify_app_key};
use super::{
    Connector, ConnectorKind, Credentials, Granted, Hosts, Marketplace, Pass, expiry, hmac_hex,
    text,
};
use crate::error::{AppError, AppResult};
use crate::sync::client::{HttpClient, SyncError, Verdict};
use crate::sync::settings::{App, SyncSettings};

const SHOPS: &str = "/authorization/202309/shops";

/// TikTok Shop.
pub struct TiktokMarketplace;

/// The one TikTok Shop.
pub static TIKTOK: TiktokMarketplace = TiktokMarketplace;

#[async_trait::async_trait]
impl Marketplace for TiktokMarketplace {
    fn connector(
        &self,
        _conn: &connection::Model,
        _hosts: &Hosts,
        _creds: Credentials,
        _pass: Pass,
    ) -> Result<Box<dyn Connector>, SyncError> {
        Err(SyncError::Failed(
            "TikTok Shop channels are updated by their pushes only; there is no listing API to read"
                .to_owned(),
        ))
    }

    fn consent_url(
        &self,
        settings: &SyncSettings,
        app: &App,
        _callback: &str,
        state: &str,
    ) -> AppResult<String> {
        // TikTok sends the seller back to the redirect registered with the app, with the state
        // it was given.
        let service = settings
            .apps
            .tiktok_service_id
            .as_deref()
            .unwrap_or(&app.id);
        let query = serde_urlencoded::to_string([("service_id", service), ("state", state)])
            .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
        Ok(format!(
            "{}/open/authorize?{query}",
            settings.apps.tiktok_consent
        ))
    }

    /// The code for tokens (an unsigned call carrying the app secret), then the authorized
    /// shops (a signed call) for the shop's id (§3.2).
    async fn exchange(
        &self,
        settings: &SyncSettings,
        http: &HttpClient,
        app: &App,
        code: &str,
        _shop_id: Option<&str>,
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
        let url = format!("{}{SHOPS}", settings.apps.tiktok_api);
        let shops = http
            .call(
                "tiktok authorized shops",
                |c| {
                    let mut params = vec![
                        ("app_key".to_owned(), app.id.clone()),
                        ("timestamp".to_owned(), Utc::now().timestamp().to_string()),
                    ];
                    let sign = tiktok_sign(&app.secret, SHOPS, &params, b"");
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
            expires_at: expiry(data.get("access_token_expire_in").and_then(Value::as_i64)),
        })
    }

    async fn verify_push(
        &self,
        db: &DatabaseConnection,
        settings: &SyncSettings,
        d: &Delivery<'_>,
    ) -> AppResult<(Uuid, String)> {
        verify_app_key(db, settings, d, ConnectorKind::TiktokShop, "shop_id").await
    }

    /// No listing API to re-read yet: the event is kept as received.
    async fn apply_push(
        &self,
        _txn: &DatabaseTransaction,
        _ev: &webhook_event::Model,
        _channel_id: Uuid,
    ) -> AppResult<()> {
        Ok(())
    }
}

/// TikTok Shop (202309) request sign: lowercase hex HMAC, keyed with the app secret, of
/// `secret + path + sorted query key+value pairs (without sign and access_token) + raw body +
/// secret` (`marketplaces.md` §3.3).
pub fn tiktok_sign(
    app_secret: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "sign" && k != "access_token")
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut base = app_secret.as_bytes().to_vec();
    base.extend_from_slice(path.as_bytes());
    for (k, v) in sorted {
        base.extend_from_slice(k.as_bytes());
        base.extend_from_slice(v.as_bytes());
    }
    base.extend_from_slice(body);
    base.extend_from_slice(app_secret.as_bytes());
    hmac_hex(app_secret.as_bytes(), &base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// `marketplaces.md` §3.3 T1 (TikTok's own documented example) and T2 (the SDK's test).
    #[test]
    fn tiktok_signs_as_its_documentation_says() {
        assert_eq!(
            tiktok_sign(
                "e59af819cc",
                "/authorization/202309/shops",
                &pairs(&[("app_key", "29a39d"), ("timestamp", "1623812664")]),
                b""
            ),
            "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
        );
        assert_eq!(
            tiktok_sign(
                "app_secret",
                "/test-api",
                &pairs(&[("foo", "bar"), ("access_token", "t")]),
                b""
            ),
            "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
        );
    }
}

//! Shopee Open Platform v2 (`marketplaces.md` §1), all of it: HMAC-SHA256 signing of the shop
//! and public APIs (§1.3), the consent page and the code exchange (§1.2), pushes signed over the
//! URL and body (§1.6) that bring the next sync forward, and the listing reader
//! ([`listings`]).

mod listings;

pub use listings::Shopee;

use chrono::Utc;
use entity::{channel_connection as connection, webhook_event};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde_json::{Value, json};
use uuid::Uuid;

use super::push::{Delivery, body_hash, connection_by_shop, header, refuse, shop_in};
use super::{
    Connector, ConnectorKind, Credentials, Granted, Hosts, Marketplace, Pass, expiry, hmac_hex,
    host, required, sync_soon, text, verify_hex,
};
use crate::error::{AppError, AppResult};
use crate::sync::client::{HttpClient, SyncError, Verdict};
use crate::sync::settings::{App, SyncSettings};

const AUTH: &str = "/api/v2/shop/auth_partner";
const TOKEN: &str = "/api/v2/auth/token/get";

/// Shopee.
pub struct ShopeeMarketplace;

/// The one Shopee.
pub static SHOPEE: ShopeeMarketplace = ShopeeMarketplace;

#[async_trait::async_trait]
impl Marketplace for ShopeeMarketplace {
    fn connector(
        &self,
        conn: &connection::Model,
        hosts: &Hosts,
        creds: Credentials,
        pass: Pass,
    ) -> Result<Box<dyn Connector>, SyncError> {
        Ok(Box::new(Shopee::new(
            host(&hosts.shopee),
            required(conn.partner_id.clone(), "partner id")?,
            required(creds.app_secret, "partner key")?,
            required(conn.shop_id.clone(), "shop id")?,
            required(creds.access_token, "access token")?,
            creds.refresh_token,
            pass,
        )))
    }

    fn consent_url(
        &self,
        settings: &SyncSettings,
        app: &App,
        callback: &str,
        state: &str,
    ) -> AppResult<String> {
        // Shopee echoes no state: it rides in the redirect address, which Shopee extends with
        // the code and the shop id.
        let redirect = format!("{callback}?state={state}");
        let ts = Utc::now().timestamp();
        let sign = shopee_public_sign(&app.secret, &app.id, AUTH, ts);
        let query = serde_urlencoded::to_string([
            ("partner_id", app.id.as_str()),
            ("timestamp", &ts.to_string()),
            ("sign", &sign),
            ("redirect", &redirect),
        ])
        .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
        Ok(format!("{}{AUTH}?{query}", host(&settings.hosts.shopee)))
    }

    async fn exchange(
        &self,
        settings: &SyncSettings,
        http: &HttpClient,
        app: &App,
        code: &str,
        shop_id: Option<&str>,
    ) -> Result<Granted, SyncError> {
        let shop_id = shop_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SyncError::Auth("Shopee sent no shop_id back".to_owned()))?;
        let url = format!("{}{TOKEN}", host(&settings.hosts.shopee));
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
                    let sign = shopee_public_sign(&app.secret, &app.id, TOKEN, ts);
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
            expires_at: expiry(json.get("expire_in").and_then(Value::as_i64)),
        })
    }

    async fn verify_push(
        &self,
        db: &DatabaseConnection,
        settings: &SyncSettings,
        d: &Delivery<'_>,
    ) -> AppResult<(Uuid, String)> {
        let shop = shop_in(d.body, "shop_id")
            .ok_or_else(|| refuse(d.platform, "no shop_id in the body"))?;
        let conn = connection_by_shop(db, ConnectorKind::Shopee, &shop)
            .await?
            .ok_or_else(|| refuse(d.platform, "unknown shop"))?;
        let key = settings
            .app_secret_of(&conn)?
            .ok_or_else(|| refuse(d.platform, "the shop's connection has no partner key"))?;
        if !verify_shopee_push(&key, &d.url, d.body, header(d, "authorization")?) {
            return Err(refuse(d.platform, "bad signature"));
        }
        Ok((conn.channel_id, body_hash(d.body)))
    }

    /// A push says that something changed; the listing API says what.
    async fn apply_push(
        &self,
        txn: &DatabaseTransaction,
        _ev: &webhook_event::Model,
        channel_id: Uuid,
    ) -> AppResult<()> {
        sync_soon(txn, channel_id).await
    }
}

/// Shopee shop-API sign: lowercase hex HMAC of partner_id + path + timestamp + access_token +
/// shop_id, keyed with the partner key as UTF-8 text.
pub fn shopee_shop_sign(
    partner_key: &str,
    partner_id: &str,
    path: &str,
    timestamp: i64,
    access_token: &str,
    shop_id: &str,
) -> String {
    let base = format!("{partner_id}{path}{timestamp}{access_token}{shop_id}");
    hmac_hex(partner_key.as_bytes(), base.as_bytes())
}

/// Shopee public-API sign (token endpoints): partner_id + path + timestamp.
pub fn shopee_public_sign(
    partner_key: &str,
    partner_id: &str,
    path: &str,
    timestamp: i64,
) -> String {
    let base = format!("{partner_id}{path}{timestamp}");
    hmac_hex(partner_key.as_bytes(), base.as_bytes())
}

/// Verifies a Shopee push: `Authorization` = hex HMAC(partner key, url + "|" + raw body).
pub fn verify_shopee_push(partner_key: &str, url: &str, body: &[u8], authorization: &str) -> bool {
    let mut message = Vec::with_capacity(url.len() + 1 + body.len());
    message.extend_from_slice(url.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    verify_hex(partner_key.as_bytes(), &message, authorization)
}

#[cfg(test)]
mod tests {
    //! The worked examples of `marketplaces.md` §1.
    use super::*;

    const SHOPEE_KEY: &str = "57615053704d6470644f554a78656d50484143644964436a5568777544524579";

    #[test]
    fn shopee_shop_api_examples_s1_to_s3_and_s7() {
        let sign = |path| {
            shopee_shop_sign(
                SHOPEE_KEY,
                "2001887",
                path,
                1655714431,
                "59777174636562737266615546704c6d",
                "14701711",
            )
        };
        assert_eq!(
            sign("/api/v2/shop/get_shop_info"),
            "b914bea03c13799deb036bb9d10e689f5a6bade160c44af568646f1ef7d796c1"
        );
        assert_eq!(
            sign("/api/v2/product/get_item_list"),
            "619423c5e2b954c2b11a1c4b86dc6e9d0489e7f5f294d3d379335a7a9edf79b2"
        );
        assert_eq!(
            sign("/api/v2/product/get_item_base_info"),
            "87dd1524d4cb51687ca8e258dba1fe89d0c4dfafd9610ce050ec8bd0a8dce829"
        );
        assert_eq!(
            shopee_shop_sign(
                "test_partner_key",
                "123456",
                "/api/v2/order/get_order_list",
                1710000000,
                "token_value",
                "654321"
            ),
            "174af5342b881750dad12a896dffa27da126f1e58a9eb99b12e59a06c288735c"
        );
    }

    #[test]
    fn shopee_public_api_examples_s4_to_s6_and_sdk_s8() {
        assert_eq!(
            shopee_public_sign(
                SHOPEE_KEY,
                "847892",
                "/api/v2/shop/auth_partner",
                1655714431
            ),
            "ec7539db4814c81ea28c8ef7824149f4e80c229ffd47e629bd3ebcafbd8f8f03"
        );
        assert_eq!(
            shopee_public_sign(SHOPEE_KEY, "2001887", "/api/v2/auth/token/get", 1655714431),
            "a04e209270a2b5ad27d10a237a3f4ba9715aa3f109de7c4d52973a17ddd932ee"
        );
        assert_eq!(
            shopee_public_sign(
                SHOPEE_KEY,
                "2001887",
                "/api/v2/auth/access_token/get",
                1655714431
            ),
            "ec228461f4fda091fec25c8ff7102fe6865f07aa0159c7ff690a241d968b4f5e"
        );
        assert_eq!(
            hmac_hex(
                b"test_partner_key",
                b"/api/v2/auth/token/get123456test_partner_idtest_shop_idtest_main_account_id"
            ),
            "37c864bd9821ff5f2c2f46b2faca14eb1811a718d1fdc6dcf383cba7c74bf9e9"
        );
    }

    #[test]
    fn shopee_push_example_s9() {
        let body = br#"{"data":{"item_id":2500139861,"item_status":"BANNED"},"shop_id":14701711,"code":6,"timestamp":1655714500}"#;
        let url = "https://seller-sync.example.vn/webhooks/shopee";
        let sig = "82565fdacaffa80bbd5f5001a001aa91275fc7b50375bb4d13195dd246628223";
        assert!(verify_shopee_push(SHOPEE_KEY, url, body, sig));
        assert!(!verify_shopee_push(
            SHOPEE_KEY,
            "https://other.example.vn/webhooks/shopee",
            body,
            sig
        ));
        assert!(!verify_shopee_push(SHOPEE_KEY, url, b"{}", sig));
    }
}

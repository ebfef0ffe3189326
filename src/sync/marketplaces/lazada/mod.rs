//! Lazada Open Platform (`marketplaces.md` §2), all of it: signed, sorted parameters (uppercase
//! HMAC-SHA256, §2.3), the consent page and the code exchange on the auth host (§2.2), pushes
//! signed with the app key (§2.6) that bring the next sync forward, and the listing reader
//! ([`listings`]).

mod listings;

pub use listings::{LIMIT, Lazada, MAX_OFFSET};

use chrono::Utc;
use entity::{channel_connection as connection, webhook_event};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde_json::Value;
use uuid::Uuid;

use super::push::{Delivery, verify_app_key};
use super::{
    Connector, ConnectorKind, Credentials, Granted, Hosts, Marketplace, Pass, expiry, hmac_hex,
    host, required, sync_soon, text,
};
use crate::error::{AppError, AppResult};
use crate::sync::client::{HttpClient, SyncError, Verdict};
use crate::sync::settings::{App, SyncSettings};

const TOKEN: &str = "/auth/token/create";

/// Lazada.
pub struct LazadaMarketplace;

/// The one Lazada.
pub static LAZADA: LazadaMarketplace = LazadaMarketplace;

#[async_trait::async_trait]
impl Marketplace for LazadaMarketplace {
    fn connector(
        &self,
        conn: &connection::Model,
        hosts: &Hosts,
        creds: Credentials,
        pass: Pass,
    ) -> Result<Box<dyn Connector>, SyncError> {
        Ok(Box::new(Lazada::new(
            host(&hosts.lazada),
            host(&hosts.lazada_auth),
            required(conn.partner_id.clone(), "app key")?,
            required(creds.app_secret, "app secret")?,
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
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("force_auth", "true"),
            ("redirect_uri", callback),
            ("client_id", &app.id),
            ("state", state),
        ])
        .map_err(|e| AppError::Internal(format!("consent URL: {e}")))?;
        Ok(format!(
            "{}/oauth/authorize?{query}",
            settings.apps.lazada_consent
        ))
    }

    async fn exchange(
        &self,
        settings: &SyncSettings,
        http: &HttpClient,
        app: &App,
        code: &str,
        _shop_id: Option<&str>,
    ) -> Result<Granted, SyncError> {
        let url = format!("{}{TOKEN}", host(&settings.hosts.lazada_auth));
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
                    let sign = lazada_sign(&app.secret, TOKEN, &params);
                    params.push(("sign".to_owned(), sign));
                    c.get(&url).query(&params)
                },
                |_, body| match body.get("code").and_then(Value::as_str).unwrap_or("0") {
                    "0" => Verdict::Done,
                    "ApiCallLimit" | "ServiceTimeout" => Verdict::Retry(format!("{body}"), None),
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
            expires_at: expiry(json.get("expires_in").and_then(Value::as_i64)),
        })
    }

    async fn verify_push(
        &self,
        db: &DatabaseConnection,
        settings: &SyncSettings,
        d: &Delivery<'_>,
    ) -> AppResult<(Uuid, String)> {
        verify_app_key(db, settings, d, ConnectorKind::Lazada, "seller_id").await
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

/// Lazada sign: UPPERCASE hex HMAC of the API path followed by every parameter (but `sign`)
/// sorted by name as `name value` pairs, raw values, empty values skipped.
pub fn lazada_sign(app_secret: &str, api_path: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut base = api_path.to_owned();
    for (k, v) in sorted {
        base.push_str(k);
        base.push_str(v);
    }
    hmac_hex(app_secret.as_bytes(), base.as_bytes()).to_uppercase()
}

#[cfg(test)]
mod tests {
    //! The worked examples of `marketplaces.md` §2.
    use super::*;

    fn params(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn lazada_examples_l1_to_l5() {
        assert_eq!(
            lazada_sign(
                "helloworld",
                "/order/get",
                &params(&[
                    ("app_key", "123456"),
                    ("access_token", "test"),
                    ("timestamp", "1517820392000"),
                    ("sign_method", "sha256"),
                    ("order_id", "1234")
                ])
            ),
            "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
        );
        assert_eq!(
            lazada_sign(
                "1234",
                "/test/api",
                &params(&[
                    ("foo", "1"),
                    ("bar", "2"),
                    ("foo_bar", "3"),
                    ("foobar", "4")
                ])
            ),
            "988085883BF9D32D251478D23122C7ECC91518CDF63BA22F792000A378F52409"
        );
        assert_eq!(
            lazada_sign(
                "helloworld",
                "/products/get",
                &params(&[
                    ("app_key", "123456"),
                    ("access_token", "test"),
                    ("timestamp", "1700000000000"),
                    ("sign_method", "sha256"),
                    ("filter", "live"),
                    ("limit", "50"),
                    ("offset", "0"),
                    ("update_after", "2023-11-01T00:00:00+0700")
                ])
            ),
            "F3197C821B7448EC11F7756C5631BD3F777D3A5851CA8FC57FD95BF75ADF27A1"
        );
        assert_eq!(
            lazada_sign(
                "helloworld",
                "/auth/token/create",
                &params(&[
                    ("app_key", "123456"),
                    ("timestamp", "1700000000000"),
                    ("sign_method", "sha256"),
                    ("code", "0_123456_AbCdEfGhIjKlMnOp")
                ])
            ),
            "72A9C5411882574BDF476CD993E5F9725880C631FDA6939942D19086B8428B06"
        );
        assert_eq!(
            lazada_sign(
                "helloworld",
                "/auth/token/refresh",
                &params(&[
                    ("app_key", "123456"),
                    ("timestamp", "1700000000000"),
                    ("sign_method", "sha256"),
                    (
                        "refresh_token",
                        "50001600212wcsbdf5Ux0RbUXxqgBCIBcxMY2sfQBZ1Tp9sEo8i4fwk3zkrb"
                    )
                ])
            ),
            "721DB6B5E4A62DABF064BB4D4DF6EB727E859AD10D1924F098D3BC518CF673D0"
        );
    }
}

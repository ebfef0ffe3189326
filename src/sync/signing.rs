//! Request signing and push verification of the marketplaces (`marketplaces.md` §1.3, §1.6,
//! §2.3, §2.6, §3.6) and of the registry's own webhook scheme. Verification compares in
//! constant time (`hmac`'s `verify_slice`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// Lowercase hex HMAC-SHA256.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut m = mac(key);
    m.update(message);
    hex::encode(m.finalize().into_bytes())
}

/// Whether `signature_hex` (either case) is the HMAC-SHA256 of `message` under `key`, compared
/// in constant time.
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(given) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut m = mac(key);
    m.update(message);
    m.verify_slice(&given).is_ok()
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

/// Verifies a Shopee push: `Authorization` = hex HMAC(partner key, url + "|" + raw body).
pub fn verify_shopee_push(partner_key: &str, url: &str, body: &[u8], authorization: &str) -> bool {
    let mut message = Vec::with_capacity(url.len() + 1 + body.len());
    message.extend_from_slice(url.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    verify_hex(partner_key.as_bytes(), &message, authorization)
}

/// Verifies a Lazada (or TikTok Shop) push: `Authorization` = hex HMAC(app secret, app key +
/// raw body).
pub fn verify_app_key_push(
    app_key: &str,
    app_secret: &str,
    body: &[u8],
    authorization: &str,
) -> bool {
    let mut message = Vec::with_capacity(app_key.len() + body.len());
    message.extend_from_slice(app_key.as_bytes());
    message.extend_from_slice(body);
    verify_hex(app_secret.as_bytes(), &message, authorization)
}

/// The registry's own scheme: lowercase hex HMAC-SHA256 of `"{timestamp}.{event id}.{raw body}"`
/// keyed with the channel's shared secret. The event id is signed, so a captured delivery
/// cannot be replayed under a new id.
pub fn feed_signature(secret: &str, timestamp: &str, event_id: &str, body: &[u8]) -> String {
    hmac_hex(secret.as_bytes(), &feed_message(timestamp, event_id, body))
}

fn feed_message(timestamp: &str, event_id: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + event_id.len() + 2 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(event_id.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

/// Verifies the registry's own scheme in constant time.
pub fn verify_feed(
    secret: &str,
    timestamp: &str,
    event_id: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    verify_hex(
        secret.as_bytes(),
        &feed_message(timestamp, event_id, body),
        signature,
    )
}

#[cfg(test)]
mod tests {
    //! The worked examples of `marketplaces.md`.
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

    #[test]
    fn lazada_and_tiktok_push_examples_l6_t5_t6() {
        let l6 = br#"{"seller_id":"200123456","message_type":4,"data":{"item_id":1760954113,"sku_list":[{"shop_sku":"1760954113_VNAMZ-8975502010","seller_sku":"CAFE-ROBUSTA-500G","sku_id":8975502010}],"action":"EDITED_UPDATED","status_update_time":1700000000123},"timestamp":1700000000,"site":"lazada_vn"}"#;
        assert!(verify_app_key_push(
            "123456",
            "3412gyo124goi3124",
            l6,
            "ef83f9ecd295b2fa9ca7936a3a9c160074f81de69ca8db5df0e2701bf5bc5fb9"
        ));
        assert!(!verify_app_key_push(
            "123456",
            "wrong",
            l6,
            "ef83f9ecd295b2fa9ca7936a3a9c160074f81de69ca8db5df0e2701bf5bc5fb9"
        ));
        let t5 = br#"{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}"#;
        assert!(verify_app_key_push(
            "fake_app_key",
            "fake_app_secret",
            t5,
            "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
        ));
        let t6 = br#"{"type":15,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1700000100,"data":{"product_id":"1729592969712207008","change_source":"SELLER_CENTER","changed_fields":["title"],"update_time":1700000090}}"#;
        assert!(verify_app_key_push(
            "29a39d",
            "e59af819cc",
            t6,
            "1d47419c206760cbaad4edf7a534ac440e77df5ba9ffa85f7ec51fac12aa1aef"
        ));
    }

    #[test]
    fn the_registrys_own_scheme_round_trips() {
        let body = b"{\"items\":[]}";
        // docs/webhooks.md: printf '%s' '1700000000.evt-42.{"items":[]}' |
        //   openssl dgst -sha256 -hmac 's3cret'
        let known = "c1daf47c71b6b805dd9a21e9b84130388aecbef74c67a2bc69c2b1ce2b328e8d";
        assert_eq!(
            feed_signature("s3cret", "1700000000", "evt-42", body),
            known
        );
        assert!(verify_feed("s3cret", "1700000000", "evt-42", body, known));
        assert!(verify_feed(
            "s3cret",
            "1700000000",
            "evt-42",
            body,
            &known.to_uppercase()
        ));
        assert!(!verify_feed("s3cret", "1700000001", "evt-42", body, known));
        assert!(!verify_feed("s3cret", "1700000000", "evt-43", body, known));
        assert!(!verify_feed("other", "1700000000", "evt-42", body, known));
        assert!(!verify_feed("s3cret", "1700000000", "evt-42", body, "zz"));
    }
}

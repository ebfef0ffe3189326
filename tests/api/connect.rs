//! "Connect your shop" through the marketplace's own authorization, against the fake Shopee and
//! Lazada (their consent step simulated by a link): the registry's app, never a key of the
//! owner's; a state that is single-use, expiring and bound to who started; the shop id from the
//! marketplace; the listings read at once, as trusted evidence.

use rocket::http::{Header, Status};
use serde_json::{Value, json};

use crate::fakes::{FakeLazada, FakeShopee, consent_link};
use crate::helpers::{TestApp, id_of};

const SHOPEE_KEY: &str = "57615053704d6470644f554a78656d50484143644964436a5568777544524579";
const BASE: &str = "http://registry.test";

pub async fn with_marketplaces(shopee: &FakeShopee, lazada: &FakeLazada) -> TestApp {
    let (shopee_url, lazada_url, lazada_consent) =
        (shopee.server.uri(), lazada.url(), lazada.server.uri());
    TestApp::spawn_with(move |c| {
        c.public.base_url = Some(BASE.to_owned());
        c.marketplaces.shopee.base_url = shopee_url;
        c.marketplaces.shopee.partner_id = Some("2001887".to_owned());
        c.marketplaces.shopee.partner_key = Some(SHOPEE_KEY.to_owned());
        c.marketplaces.lazada.base_url = lazada_url.clone();
        c.marketplaces.lazada.auth_base_url = lazada_url;
        c.marketplaces.lazada.consent_url = lazada_consent;
        c.marketplaces.lazada.app_key = Some("100001".to_owned());
        c.marketplaces.lazada.app_secret = Some("helloworld".to_owned());
    })
    .await
}

/// Where `/authorize` sends the owner's browser.
async fn authorize(app: &TestApp, token: &str, channel: &Value) -> (Status, String) {
    let res = app
        .client
        .get(format!("/api/v1/channels/{}/authorize", id_of(channel)))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    let status = res.status();
    let location = res
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

/// The seller authorizes on the marketplace's consent page: the address the marketplace sends
/// the browser back to, as a path of the registry.
pub async fn consent(url: &str) -> String {
    let html = reqwest::get(url).await.unwrap().text().await.unwrap();
    let back = consent_link(&html);
    back.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("back to the registry: {back}"))
        .to_owned()
}

async fn come_back(app: &TestApp, path: &str) -> (Status, String, String) {
    let res = app.client.get(path.to_owned()).dispatch().await;
    let status = res.status();
    let location = res
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_owned();
    (
        status,
        location,
        res.into_string().await.unwrap_or_default(),
    )
}

async fn channel(app: &TestApp, admin: &str, subject: &Value, platform: &str) -> Value {
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(subject)),
            Some(admin),
            &json!({"kind": "marketplace", "platform": platform,
                    "shop_url": format!("https://{platform}.vn/htx-rau"), "active_from": "2024-01-01"}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    res.body
}

#[rocket::async_test]
async fn an_owner_connects_its_shopee_shop_without_any_key_and_the_listings_arrive() {
    let shopee = FakeShopee::start(3).await;
    let lazada = FakeLazada::start(0).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau Tân Thạnh").await;
    let owner = app.owner_of(&s).await;
    let ch = channel(&app, &admin, &s, "shopee").await;
    let audit_before = app.count("audit_log").await;

    let (status, to) = authorize(&app, &owner, &ch).await;
    assert_eq!(status, Status::Found);
    assert!(
        to.starts_with(&format!(
            "{}/api/v2/shop/auth_partner?partner_id=2001887&timestamp=",
            shopee.server.uri()
        )),
        "{to}"
    );
    assert!(
        !to.contains(SHOPEE_KEY),
        "the partner key never leaves the registry"
    );
    let back = consent(&to).await;
    assert!(back.starts_with("/oauth/shopee/callback?state="), "{back}");

    let (status, location, _) = come_back(&app, &back).await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(location, "/me?connected=true#channels");
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(conn.status, Status::Ok, "{:?}", conn.body);
    assert_eq!(
        conn.body["managed_by"], "registry",
        "the shop id came from Shopee"
    );
    assert_eq!(conn.body["shop_id"], "14701711");
    assert_eq!(conn.body["has_access_token"], true);
    assert!(
        !conn.body.to_string().contains("access-granted"),
        "tokens are never served"
    );
    let listings = app
        .get(
            &format!("/api/v1/channels/{}/listings", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(
        listings.body["total"], 3,
        "read at once: {:?}",
        listings.body
    );
    assert_eq!(
        listings.body["items"][0]["trusted"], true,
        "{:?}",
        listings.body
    );
    let channel_now = app
        .get(&format!("/api/v1/channels/{}", id_of(&ch)), Some(&owner))
        .await;
    assert_eq!(
        channel_now.body["shop_id"], "14701711",
        "the channel learnt its shop"
    );
    assert!(
        app.count("audit_log").await > audit_before,
        "the connection is in the trail"
    );
    assert_eq!(shopee.with(|s| s.bad_signatures), 0);

    // Shopee's pushes for the shop are verified with the registry's partner key.
    let body = r#"{"data":{"item_id":2500000000,"item_status":"BANNED"},"shop_id":14701711,"code":6,"timestamp":1655714500}"#;
    let signed = format!("{BASE}/api/v1/webhooks/shopee|{body}");
    let push = |auth: String| {
        app.client
            .post("/api/v1/webhooks/shopee")
            .header(rocket::http::ContentType::JSON)
            .header(Header::new("Authorization", auth))
            .body(body)
            .dispatch()
    };
    let good =
        ocop_registry::sync::marketplaces::hmac_hex(SHOPEE_KEY.as_bytes(), signed.as_bytes());
    assert_eq!(push(good).await.status(), Status::Accepted);
    assert_eq!(push("00".repeat(32)).await.status(), Status::Unauthorized);

    // The link works once.
    let (status, _, body) = come_back(&app, &back).await;
    assert_eq!(status, Status::BadRequest, "{body}");
    assert!(body.contains("đã được dùng"), "{body}");

    // Disconnect: no connection, recorded.
    let res = app
        .send_raw(
            "DELETE",
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
            String::new(),
            None,
        )
        .await;
    assert_eq!(res.status, Status::NoContent, "{:?}", res.body);
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(conn.status, Status::NotFound);
    let trail = app.audit_of(ch["id"].as_str().unwrap()).await;
    assert!(
        trail.iter().any(|e| e["action"] == "disconnect"),
        "{trail:?}"
    );
}

#[rocket::async_test]
async fn connection_links_are_single_use_expire_and_belong_to_their_channel() {
    let shopee = FakeShopee::start(1).await;
    let lazada = FakeLazada::start(2).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let other = app.seed_subject(&admin, "20335", "HTX Nấm").await;
    let owner = app.owner_of(&s).await;
    let other_owner = app.owner_of(&other).await;
    let ch = channel(&app, &admin, &s, "lazada").await;

    // Another owner cannot start it; an auditor neither; a supermarket is not a marketplace.
    assert_eq!(authorize(&app, &other_owner, &ch).await.0, Status::NotFound);
    let auditor = app
        .auditor(crate::helpers::unit("district", "502", None))
        .await;
    assert_eq!(authorize(&app, &auditor, &ch).await.0, Status::Forbidden);
    let chain = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "supermarket_chain", "platform": "Co.opmart", "active_from": "2024-01-01",
                    "submitted_on": "2024-01-01"}),
        )
        .await
        .body;
    let res = app
        .get(
            &format!("/api/v1/channels/{}/authorize", id_of(&chain)),
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["platform"]);
    // A marketplace whose app the operator did not configure here: said, not a server fault.
    let tiktok = channel(&app, &admin, &s, "tiktok_shop").await;
    let res = app
        .get(
            &format!("/api/v1/channels/{}/authorize", id_of(&tiktok)),
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["platform"]);
    assert!(
        res.body.to_string().contains("tiktok_shop"),
        "{:?}",
        res.body
    );

    // A forged state, an expired one: refused, nothing connected.
    let (_, to) = authorize(&app, &owner, &ch).await;
    assert!(to.contains("/oauth/authorize?response_type=code"), "{to}");
    let back = consent(&to).await;
    let forged = back.replace("state=", "state=00");
    assert_eq!(come_back(&app, &forged).await.0, Status::BadRequest);
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE connection_grant SET expires_at = created_at",
    )
    .await
    .unwrap();
    let (status, _, body) = come_back(&app, &back).await;
    assert_eq!(status, Status::BadRequest);
    assert!(body.contains("hết hạn"), "{body}");
    assert_eq!(app.count("channel_connection").await, 0);

    // A seller who refuses on the marketplace: nothing connected.
    let (_, to) = authorize(&app, &owner, &ch).await;
    let back = consent(&to).await;
    let state = back.split("state=").nth(1).unwrap();
    let refused = format!("/oauth/lazada/callback?code=null&error=auth_denied&state={state}");
    let (status, _, body) = come_back(&app, &refused).await;
    assert_eq!(status, Status::BadRequest);
    assert!(body.contains("chưa đồng ý"), "{body}");

    // A fresh link goes through: Lazada's seller id becomes the shop.
    let (_, to) = authorize(&app, &owner, &ch).await;
    let back = consent(&to).await;
    assert_eq!(come_back(&app, &back).await.0, Status::SeeOther);
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&admin),
        )
        .await;
    assert_eq!(conn.body["managed_by"], "registry");
    assert_eq!(conn.body["shop_id"], "200123456");
    assert_eq!(lazada.with(|s| s.bad_signatures), 0);
}

#[rocket::async_test]
async fn a_shop_other_than_the_declared_one_is_not_attached() {
    let shopee = FakeShopee::start(1).await;
    let lazada = FakeLazada::start(0).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let owner = app.owner_of(&s).await;
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&owner),
            &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "999", "active_from": "2024-01-01"}),
        )
        .await
        .body;
    let (_, to) = authorize(&app, &owner, &ch).await;
    let back = consent(&to).await;
    let (status, _, body) = come_back(&app, &back).await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert!(body.contains("14701711"), "{body}");
    assert_eq!(app.count("channel_connection").await, 0);
}

#[rocket::async_test]
async fn an_owner_hears_when_a_channel_s_evidence_goes_stale() {
    let shopee = FakeShopee::start(2).await;
    let lazada = FakeLazada::start(0).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let owner = app.owner_of(&s).await;
    let today = ocop_registry::clock::today();
    let kinds = |body: &Value| -> Vec<(String, String)> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_owned(),
                    n["on"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    // A chain the auditor verified 11 months ago: its 12-month verification lapses next month.
    let chain = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "supermarket_chain", "platform": "Co.opmart", "active_from": "2024-01-01",
                    "submitted_on": "2024-01-01"}),
        )
        .await
        .body;
    let verified_on = today - chrono::Months::new(11);
    let res = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&chain)),
            Some(&admin),
            &json!({"verified_on": verified_on.to_string()}),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let lapses = (verified_on + chrono::Months::new(12)).to_string();
    let notices = app.get("/api/v1/notices", Some(&owner)).await;
    assert_eq!(
        kinds(&notices.body),
        [("channel_verification_stale".to_owned(), lapses)],
        "{:?}",
        notices.body
    );
    assert!(
        notices.body["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Co.opmart"),
        "{:?}",
        notices.body
    );

    // A connected shop whose listings were last seen longer ago than the policy's freshness.
    let ch = channel(&app, &admin, &s, "shopee").await;
    let (_, to) = authorize(&app, &owner, &ch).await;
    assert_eq!(
        come_back(&app, &consent(&to).await).await.0,
        Status::SeeOther
    );
    let fresh = app.get("/api/v1/notices", Some(&owner)).await;
    assert_eq!(
        kinds(&fresh.body).len(),
        1,
        "listings just seen: nothing stale"
    );
    let policies = app.get("/api/v1/policies", Some(&admin)).await;
    let freshness = policies.body["items"][0]["channel_freshness_days"]
        .as_i64()
        .unwrap_or_else(|| panic!("{:?}", policies.body));
    let seen = ocop_registry::clock::now() - chrono::Duration::days(freshness + 10);
    let backend = app.db.get_database_backend();
    sea_orm::ConnectionTrait::execute_raw(
        &app.db,
        sea_orm::Statement::from_sql_and_values(
            backend,
            if backend == sea_orm::DbBackend::Postgres {
                "UPDATE listing_span SET from_at = $1, to_at = $1"
            } else {
                "UPDATE listing_span SET from_at = ?, to_at = ?"
            },
            if backend == sea_orm::DbBackend::Postgres {
                vec![seen.into()]
            } else {
                vec![seen.into(), seen.into()]
            },
        ),
    )
    .await
    .unwrap();
    let stale = app.get("/api/v1/notices", Some(&owner)).await;
    let listed = kinds(&stale.body);
    assert!(
        listed.contains(&(
            "channel_listings_stale".to_owned(),
            (ocop_registry::clock::vietnam_date(seen) + chrono::Days::new(freshness as u64))
                .to_string()
        )),
        "{listed:?}"
    );
}

#[rocket::async_test]
async fn a_tiktok_shop_connects_through_its_consent_and_its_pushes_are_verified() {
    let tiktok =
        crate::fakes::FakeTiktok::start(&format!("{BASE}/oauth/tiktok_shop/callback")).await;
    let url = tiktok.server.uri();
    let app = TestApp::spawn_with(move |c| {
        c.public.base_url = Some(BASE.to_owned());
        c.marketplaces.tiktok.app_key = Some("29a39d".to_owned());
        c.marketplaces.tiktok.app_secret = Some("e59af819cc".to_owned());
        c.marketplaces.tiktok.service_id = Some("7240000000000000001".to_owned());
        c.marketplaces.tiktok.consent_url = url.clone();
        c.marketplaces.tiktok.auth_base_url = url.clone();
        c.marketplaces.tiktok.base_url = url;
    })
    .await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let owner = app.owner_of(&s).await;
    let ch = channel(&app, &admin, &s, "tiktok_shop").await;

    let (status, to) = authorize(&app, &owner, &ch).await;
    assert_eq!(status, Status::Found);
    assert!(
        to.contains("/open/authorize?service_id=7240000000000000001&state="),
        "{to}"
    );
    assert!(
        !to.contains("e59af819cc"),
        "the app secret stays in the registry"
    );
    let back = consent(&to).await;
    let (status, location, body) = come_back(&app, &back).await;
    assert_eq!(status, Status::SeeOther, "{body}");
    assert_eq!(location, "/me?connected=true#channels");
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(conn.body["managed_by"], "registry");
    assert_eq!(conn.body["shop_id"], "7495000000000000001");
    assert_eq!(
        tiktok.with(|s| s.bad_signatures),
        0,
        "the shops call was signed right"
    );

    // TikTok's pushes for the shop are verified with the registry's app (§3.6).
    let body = r#"{"type":5,"shop_id":"7495000000000000001","timestamp":1700000000,"data":{"product_id":"1729","status":"ACTIVATE"}}"#;
    let push = |auth: String| {
        app.client
            .post("/api/v1/webhooks/tiktok_shop")
            .header(rocket::http::ContentType::JSON)
            .header(Header::new("Authorization", auth))
            .body(body)
            .dispatch()
    };
    let good = ocop_registry::sync::marketplaces::hmac_hex(
        b"e59af819cc",
        format!("29a39d{body}").as_bytes(),
    );
    assert_eq!(push(good.clone()).await.status(), Status::Accepted);
    assert_eq!(
        push(good).await.status(),
        Status::Ok,
        "a redelivery is a duplicate"
    );
    assert_eq!(push("00".repeat(32)).await.status(), Status::Unauthorized);
    assert_eq!(app.count("webhook_event").await, 1, "stored once");
}

#[rocket::async_test]
async fn a_consent_link_started_with_a_token_is_finished_only_in_the_browser_that_started_it() {
    let shopee = FakeShopee::start(1).await;
    let lazada = FakeLazada::start(0).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau Tân Thạnh").await;
    let owner = app.owner_of(&s).await;
    let ch = channel(&app, &admin, &s, "shopee").await;

    // The owner's script asks for a consent link and sends it to someone else, who completes
    // it in a browser of their own (no registry session, no cookie of the flow).
    let (_, to) = authorize(&app, &owner, &ch).await;
    let back = consent(&to).await;
    let elsewhere = app.another_instance().await.0;
    let res = elsewhere.get(back.clone()).dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
    let body = res.into_string().await.unwrap_or_default();
    assert!(body.contains("trình duyệt khác"), "{body}");
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(
        conn.status,
        Status::NotFound,
        "nothing attached: {:?}",
        conn.body
    );

    // Started again, the browser that followed the link finishes it.
    let (_, to) = authorize(&app, &owner, &ch).await;
    let back = consent(&to).await;
    let (status, location, _) = come_back(&app, &back).await;
    assert_eq!(status, Status::SeeOther, "{location}");
    let conn = app
        .get(
            &format!("/api/v1/channels/{}/connection", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(conn.status, Status::Ok, "{:?}", conn.body);
    assert_eq!(conn.body["managed_by"], "registry");
}

//! The trust boundary (docs/domain.md §7, issue "Trust boundary"): secrets never leave, owners never
//! point the registry at hosts of their choosing, evidence an owner controls alone never counts,
//! a shop belongs to one subject, webhook ids and signatures cannot be turned against another
//! channel, and a caller without access learns nothing from a status.

use std::io::Write;
use std::sync::{Arc, Mutex};

use rocket::http::{ContentType, Header, Status};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tracing::instrument::WithSubscriber;

use crate::fakes::{FakeFeed, feed_item};
use crate::helpers::{Resp, TestApp, id_of, unit};
use ocop_registry::domain::Role;
use ocop_registry::sync::marketplaces::feed::feed_signature;

/// A port on loopback that nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Everything the application logs while a future runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn channel_of(app: &TestApp, token: &str, subject: &Value, body: Value) -> Value {
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(subject)),
            Some(token),
            &body,
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    res.body
}

async fn connect(app: &TestApp, token: &str, channel: &Value, body: Value) -> Resp {
    app.send_raw(
        "PUT",
        &format!("/api/v1/channels/{}/connection", id_of(channel)),
        Some(token),
        body.to_string(),
        None,
    )
    .await
}

async fn sync(app: &TestApp, token: &str, channel: &Value) -> Resp {
    app.post(
        &format!("/api/v1/channels/{}/sync", id_of(channel)),
        Some(token),
        &json!({}),
    )
    .await
}

#[rocket::async_test]
async fn a_failing_sync_of_every_connector_leaks_no_secret() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    async {
        // Arrange: marketplace hosts and a feed on a port nothing answers.
        let down = format!("http://127.0.0.1:{}", closed_port());
        let hosts = down.clone();
        let app = TestApp::spawn_with(move |c| {
            c.marketplaces.shopee.base_url = hosts.clone();
            c.marketplaces.lazada.base_url = hosts.clone();
            c.marketplaces.lazada.auth_base_url = hosts;
        })
        .await;
        let admin = app.admin().await;
        let subject = app.seed_subject(&admin, "20335", "HTX Bí Mật").await;
        let owner = app.owner_of(&subject).await;
        let secrets = [
            "SHOPEE-PARTNER-KEY-7f3a",
            "SHOPEE-ACCESS-TOKEN-91c2",
            "SHOPEE-REFRESH-TOKEN-0b8e",
            "LAZADA-APP-SECRET-5d17",
            "LAZADA-ACCESS-TOKEN-c4a9",
            "FEED-BEARER-TOKEN-e260",
            "FEED-WEBHOOK-SECRET-3f11",
        ];
        let shopee = channel_of(&app, &admin, &subject, json!({"kind": "marketplace", "platform": "shopee", "shop_id": "14701711"})).await;
        let lazada = channel_of(&app, &admin, &subject, json!({"kind": "marketplace", "platform": "lazada", "shop_id": "100234"})).await;
        let feed = channel_of(&app, &admin, &subject, json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://htx.example.vn"})).await;
        for (ch, body) in [
            (&shopee, json!({"connector": "shopee", "partner_id": "2001887", "shop_id": "14701711",
                             "app_secret": secrets[0], "access_token": secrets[1], "refresh_token": secrets[2]})),
            (&lazada, json!({"connector": "lazada", "partner_id": "123456", "shop_id": "100234",
                             "app_secret": secrets[3], "access_token": secrets[4]})),
            (&feed, json!({"connector": "feed", "base_url": format!("{down}/feed"),
                           "app_secret": secrets[5], "webhook_secret": secrets[6]})),
        ] {
            let res = connect(&app, &admin, ch, body).await;
            assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        }

        // Act: each sync fails against the closed port.
        let mut answers = Vec::new();
        for ch in [&shopee, &lazada, &feed] {
            let run = sync(&app, &admin, ch).await;
            assert_eq!(run.status, Status::Ok, "{:?}", run.body);
            assert_eq!(run.body["status"], "failed", "{:?}", run.body);
            assert!(run.body["reason"].as_str().unwrap().contains("cannot connect"));
            answers.push(run.body.to_string());
            answers.push(connect(&app, &owner, ch, json!({"connector": "feed"})).await.body.to_string());
        }
        for token in [&admin, &owner] {
            answers.push(app.get("/api/v1/sync-runs", Some(token)).await.body.to_string());
            for ch in [&shopee, &lazada, &feed] {
                answers.push(
                    app.get(&format!("/api/v1/channels/{}/connection", id_of(ch)), Some(token))
                        .await
                        .body
                        .to_string(),
                );
            }
        }
        answers.push(app.get("/api/v1/audit?per_page=500", Some(&admin)).await.body.to_string());
        let rows = format!(
            "{:?}{:?}{:?}",
            entity::sync_run::Entity::find().all(&app.db).await.unwrap(),
            entity::audit_log::Entity::find().all(&app.db).await.unwrap(),
            entity::webhook_event::Entity::find().all(&app.db).await.unwrap(),
        );

        // Assert: no secret, and no signed query string, anywhere.
        let logged = log.text();
        assert!(logged.contains("sync failed"), "the failures were logged: {logged}");
        for (what, text) in [("answers", answers.join("\n")), ("rows", rows), ("log", logged)] {
            for s in secrets {
                assert!(!text.contains(s), "{s} found in the {what}");
            }
            for leak in ["access_token=", "sign=", "partner_id=2001887&"] {
                assert!(!text.contains(leak), "{leak} found in the {what}");
            }
        }
    }
    .with_subscriber(subscriber)
    .await;
}

#[rocket::async_test]
async fn owners_cannot_point_the_registry_at_hosts_of_their_choosing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Cổng").await;
    let owner = app.owner_of(&subject).await;
    let ch = channel_of(
        &app,
        &owner,
        &subject,
        json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://cong.example.vn"}),
    )
    .await;

    // A marketplace connection never takes a host from its writer, whoever it is.
    for token in [&owner, &admin] {
        let res = connect(
            &app,
            token,
            &ch,
            json!({"connector": "shopee", "partner_id": "1", "shop_id": "9",
                                                   "base_url": "https://evil.example.com"}),
        )
        .await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
        assert_eq!(res.error_fields(), vec!["base_url"]);
    }
    // An owner's feed is https…
    let plain = connect(
        &app,
        &owner,
        &ch,
        json!({"connector": "feed", "base_url": "http://feed.example.vn/x"}),
    )
    .await;
    assert_eq!(plain.status, Status::UnprocessableEntity);
    assert_eq!(plain.error_fields(), vec!["base_url"]);
    assert_eq!(app.count("channel_connection").await, 0, "nothing written");

    // …and reaches public addresses only, checked when called (a name resolving to loopback,
    // a literal private address, the registry's own port).
    for target in [
        format!("https://localhost:{}/feed", closed_port()),
        format!("https://127.0.0.1:{}/api/v1/tokens", closed_port()),
        "https://[::1]:5432/".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
    ] {
        let res = connect(
            &app,
            &owner,
            &ch,
            json!({"connector": "feed", "base_url": target, "app_secret": "bearer-of-owner"}),
        )
        .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        assert_eq!(res.body["managed_by"], "owner");
        let run = sync(&app, &admin, &ch).await;
        assert_eq!(run.body["status"], "failed", "{target}: {:?}", run.body);
        let reason = run.body["reason"].as_str().unwrap();
        assert!(reason.contains("not a public one"), "{target}: {reason}");
        // The owner learns that it failed, not what answered.
        let seen = app.get("/api/v1/sync-runs", Some(&owner)).await;
        let first = &seen.body["items"][0];
        assert_eq!(first["reason"], ocop_registry::sync::dto::GENERIC_FAILURE);
        assert_eq!(first["errors"], json!([]));
    }
}

#[rocket::async_test]
async fn listings_an_owner_feeds_itself_are_shown_untrusted_and_do_not_count() {
    // Arrange: an active OCOP subject whose owner connects its own feed (loopback allowed by
    // the operator for this test) and pushes a listing signed with its own secret.
    let feed = FakeFeed::start(0).await;
    let app = TestApp::spawn_with(|c| c.sync.allow_private_hosts = true).await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Tự Khai").await;
    let product = app.seed_product(&admin, &subject, "Trà sâm").await;
    // A month old by the registry's clock, whatever the day the suite runs.
    let month_ago = (ocop_registry::clock::today() - chrono::Days::new(30)).to_string();
    app.seed_recognition(&admin, &product, "QĐ 1/2024", &month_ago, 3)
        .await;
    let owner = app.owner_of(&subject).await;
    let ch = channel_of(&app, &owner, &subject, json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://tukhai.example.vn", "active_from": "2024-01-01"})).await;
    let res = connect(
        &app,
        &owner,
        &ch,
        json!({"connector": "feed", "base_url": feed.url(), "webhook_secret": "owner-secret"}),
    )
    .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let body = json!({"items": [feed_item(1)]}).to_string();
    let now = chrono::Utc::now().timestamp();
    let pushed = push(
        &app,
        &id_of(&ch).to_string(),
        "e-1",
        now,
        &body,
        "owner-secret",
    )
    .await;
    assert_eq!(pushed, Status::Accepted);
    process(&app).await;

    // Assert: the listing is there, marked untrusted, and the channel does not count under the
    // current policy (it did under version 1, which keeps its numbers).
    let listings = app
        .get(
            &format!("/api/v1/channels/{}/listings", id_of(&ch)),
            Some(&owner),
        )
        .await;
    assert_eq!(listings.body["total"], 1);
    assert_eq!(listings.body["items"][0]["trusted"], false);
    // Pushes are observed when received, so the report is for today, in the unit the commune
    // belongs to since the 2025 reform (Đà Nẵng), and the recognition is a month old.
    let today = ocop_registry::clock::today();
    let da_nang = unit("province", "48", Some("2025-07-01"));
    let report = |extra: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.get(
                &format!("/api/v1/indicators?unit_id={da_nang}&as_of={today}{extra}"),
                Some(admin),
            )
            .await
            .body
        }
    };
    let modern = |r: &Value| r["indicators"][1]["numerator"].clone();
    let current = report("").await;
    assert_eq!(current["policy"]["count_owner_managed_listings"], false);
    assert_eq!(modern(&current), 0, "{current}");
    assert_eq!(modern(&report("&policy_version=1").await), 1);
    let why = app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={da_nang}&as_of={today}&indicator=modern_channel"),
            Some(&admin),
        )
        .await;
    assert!(
        why.body.to_string().contains("owner set up itself"),
        "{}",
        why.body
    );

    // The department takes the connection over: the owner's secret no longer opens it.
    let taken = connect(
        &app,
        &admin,
        &ch,
        json!({"connector": "feed", "base_url": feed.url()}),
    )
    .await;
    assert_eq!(taken.body["managed_by"], "registry");
    assert_eq!(
        taken.body["has_webhook_secret"], false,
        "secrets set by the owner are dropped"
    );
    let replay = push(
        &app,
        &id_of(&ch).to_string(),
        "e-2",
        now,
        &body,
        "owner-secret",
    )
    .await;
    assert_eq!(replay, Status::Unauthorized);
}

async fn push(
    app: &TestApp,
    channel: &str,
    event: &str,
    ts: i64,
    body: &str,
    secret: &str,
) -> Status {
    crate::sync::push(app, channel, event, ts, body, secret)
        .await
        .status
}

/// Processes stored events until none is pending (the receiving request may already have);
/// fails at its deadline.
async fn process(app: &TestApp) {
    use sea_orm::{ColumnTrait, QueryFilter};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        ocop_registry::sync::webhooks::process_pending(&app.db, &app.sync_settings(), 100)
            .await
            .unwrap();
        let pending = entity::webhook_event::Entity::find()
            .filter(entity::webhook_event::Column::Status.ne("processed"))
            .all(&app.db)
            .await
            .unwrap();
        if pending.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events still pending: {pending:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[rocket::async_test]
async fn event_ids_belong_to_their_channel_and_are_signed() {
    let feed = FakeFeed::start(0).await;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let x = app.seed_subject(&admin, "20335", "HTX X").await;
    let v = app.seed_subject(&admin, "20335", "HTX V").await;
    let cx = channel_of(
        &app,
        &admin,
        &x,
        json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://x.example.vn"}),
    )
    .await;
    let cv = channel_of(
        &app,
        &admin,
        &v,
        json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://v.example.vn"}),
    )
    .await;
    for (ch, secret) in [(&cx, "sx"), (&cv, "sv")] {
        let res = connect(
            &app,
            &admin,
            ch,
            json!({"connector": "feed", "base_url": feed.url(), "webhook_secret": secret}),
        )
        .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    }
    let now = chrono::Utc::now().timestamp();
    let body = json!({"items": [feed_item(7)]}).to_string();
    let (x_id, v_id) = (id_of(&cx).to_string(), id_of(&cv).to_string());

    // X's event id does not shadow V's.
    assert_eq!(
        push(&app, &x_id, "order-12345", now, &body, "sx").await,
        Status::Accepted
    );
    assert_eq!(
        push(&app, &v_id, "order-12345", now, &body, "sv").await,
        Status::Accepted
    );
    assert_eq!(
        push(&app, &v_id, "order-12345", now, &body, "sv").await,
        Status::Ok,
        "a true duplicate"
    );

    // A captured delivery replayed under a new id no longer verifies.
    let sig = feed_signature("sv", &now.to_string(), "order-12345", body.as_bytes());
    assert_eq!(
        crate::sync::deliver_feed(&app, &v_id, "order-99999", now, &body, &sig)
            .await
            .status,
        Status::Unauthorized
    );
    assert_eq!(app.count("webhook_event").await, 2);
}

#[rocket::async_test]
async fn a_shop_belongs_to_one_subject() {
    let app = TestApp::spawn_with(|c| c.sync.allow_private_hosts = true).await;
    let admin = app.admin().await;
    let x = app.seed_subject(&admin, "20335", "HTX Chiếm").await;
    let v = app.seed_subject(&admin, "20335", "HTX Chủ").await;
    let ox = app.owner_of(&x).await;
    let ov = app.owner_of(&v).await;

    // The same Shopee shop id, or the same shop URL written differently: refused, without
    // naming who holds it.
    let first = channel_of(&app, &ov, &v, json!({"kind": "marketplace", "platform": "Shopee", "shop_id": "777", "shop_url": "https://shopee.vn/chu"})).await;
    for body in [
        json!({"kind": "marketplace", "platform": "shopee", "shop_id": "777"}),
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://WWW.Lazada.vn/chu-shop/"}),
        // A trailing dot on the host, an empty path segment, percent-encoding, letter case.
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn./chu-shop"}),
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn//chu-shop//"}),
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn/%63hu%2Dshop"}),
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn/CHU-Shop?from=ads#top"}),
        json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://facebook.com/HTX.Chu"}),
        // Its address with any other id is still its shop, and its id with any other address.
        json!({"kind": "marketplace", "platform": "shopee", "shop_id": "999", "shop_url": "https://shopee.vn/CHU/"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_id": "777", "shop_url": "https://shopee.vn/khac"}),
        // The platform as people write it, the mobile site, an index page, a session
        // parameter, a stray space, Facebook's short address.
        json!({"kind": "marketplace", "platform": "Shopee VN", "shop_id": "777"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://m.shopee.vn/chu"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://shopee.vn/chu/index.html"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://shopee.vn/chu;jsessionid=1"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://shopee.vn/chu%20"}),
        json!({"kind": "social_commerce", "platform": "Facebook Page", "shop_url": "https://m.facebook.com/HTX.Chu"}),
        json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://fb.com/htx.chu"}),
        // A marketplace among other words, an id written with a leading zero or in full-width
        // digits, the shop's address by its number, Facebook's language face with tracking,
        // an invisible character.
        json!({"kind": "marketplace", "platform": "Sàn Shopee", "shop_id": "777"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_id": "0777"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_id": "７７７"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://shopee.vn/shop/777"}),
        json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://vi-vn.facebook.com/htx.chu?ref=bookmarks&mibextid=x"}),
        json!({"kind": "marketplace", "platform": "shopee", "shop_url": "https://shopee.vn/chu%E2%80%8B"}),
    ] {
        if body["shop_url"] == "https://WWW.Lazada.vn/chu-shop/" {
            channel_of(&app, &ov, &v, json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn/chu-shop"})).await;
            channel_of(&app, &ov, &v, json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://www.facebook.com/htx.chu"})).await;
        }
        let res = app
            .post(
                &format!("/api/v1/subjects/{}/channels", id_of(&x)),
                Some(&ox),
                &body,
            )
            .await;
        assert_eq!(res.status, Status::Conflict, "{body}: {:?}", res.body);
        let text = res.body.to_string();
        assert!(
            !text.contains("HTX Chủ") && !text.contains(&id_of(&v).to_string()),
            "{text}"
        );
    }
    // Two Facebook profiles are two pages: the query names them there.
    channel_of(&app, &ov, &v, json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://facebook.com/profile.php?id=1001"})).await;
    channel_of(&app, &ox, &x, json!({"kind": "social_commerce", "platform": "facebook", "shop_url": "https://facebook.com/profile.php?id=2002"})).await;
    // A period that does not overlap is another holder's in time.
    let later = channel_of(&app, &ox, &x, json!({"kind": "marketplace", "platform": "shopee", "shop_id": "888", "active_to": "2024-12-31"})).await;
    let res = app.post(&format!("/api/v1/subjects/{}/channels", id_of(&v)), Some(&ov),
        &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "888", "active_from": "2025-01-01"})).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let overlap = app
        .patch(
            &format!("/api/v1/channels/{}", id_of(&later)),
            Some(&ox),
            &json!({"active_to": "2025-06-30"}),
            None,
        )
        .await;
    assert_eq!(overlap.status, Status::Conflict, "{:?}", overlap.body);

    // A connection cannot claim a shop another channel is connected to.
    let lz_v = channel_of(
        &app,
        &ov,
        &v,
        json!({"kind": "marketplace", "platform": "lazada", "shop_id": "100234"}),
    )
    .await;
    let lz_x = channel_of(
        &app,
        &ox,
        &x,
        json!({"kind": "marketplace", "platform": "lazada", "shop_id": "100999"}),
    )
    .await;
    let mine = connect(
        &app,
        &ov,
        &lz_v,
        json!({"connector": "lazada", "partner_id": "1", "shop_id": "100234", "app_secret": "a"}),
    )
    .await;
    assert_eq!(mine.status, Status::Ok, "{:?}", mine.body);
    let squat = connect(
        &app,
        &ox,
        &lz_x,
        json!({"connector": "lazada", "partner_id": "1", "shop_id": "100234", "app_secret": "b"}),
    )
    .await;
    // Not the shop its channel names.
    assert_eq!(
        squat.status,
        Status::UnprocessableEntity,
        "{:?}",
        squat.body
    );
    assert_eq!(squat.error_fields(), ["shop_id"]);
    // A channel named by its address only cannot take another's shop by its id either, nor
    // read another marketplace.
    let by_address = channel_of(
        &app,
        &ox,
        &x,
        json!({"kind": "marketplace", "platform": "lazada", "shop_url": "https://lazada.vn/shop/x-shop"}),
    )
    .await;
    let squat = connect(
        &app,
        &ox,
        &by_address,
        json!({"connector": "lazada", "partner_id": "1", "shop_id": "100234", "app_secret": "b"}),
    )
    .await;
    assert_eq!(squat.status, Status::Conflict, "{:?}", squat.body);
    let elsewhere = connect(
        &app,
        &ox,
        &by_address,
        json!({"connector": "shopee", "partner_id": "1", "shop_id": "9", "app_secret": "b"}),
    )
    .await;
    assert_eq!(
        elsewhere.error_fields(),
        ["connector"],
        "{:?}",
        elsewhere.body
    );
    let _ = first;
}

#[rocket::async_test]
async fn a_channel_token_learns_nothing_from_the_status() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Kín").await;
    let product = app.seed_product(&admin, &subject, "Mật ong").await;
    let channel = app.token(Role::Channel, None, None, Some("shopee")).await;
    let real = app
        .get(
            &format!("/api/v1/products/{}", id_of(&product)),
            Some(&channel),
        )
        .await;
    let made_up = app
        .get(
            &format!("/api/v1/products/{}", uuid::Uuid::new_v4()),
            Some(&channel),
        )
        .await;
    assert_eq!(real.status, made_up.status);
    assert_eq!(real.body, made_up.body);
    let subject_real = app
        .get(
            &format!("/api/v1/subjects/{}", id_of(&subject)),
            Some(&channel),
        )
        .await;
    let subject_made_up = app
        .get(
            &format!("/api/v1/subjects/{}", uuid::Uuid::new_v4()),
            Some(&channel),
        )
        .await;
    assert_eq!(subject_real.status, subject_made_up.status);
}

#[rocket::async_test]
async fn repeated_failed_authentications_get_429_but_valid_tokens_keep_working() {
    let app = TestApp::spawn_with(|c| c.quotas.auth_failures_per_minute = 5).await;
    let admin = app.admin().await;
    for i in 0..5 {
        let res = app.get("/api/v1/subjects", Some("ocop_not-a-token")).await;
        assert_eq!(res.status, Status::Unauthorized, "attempt {i}");
    }
    let res = app
        .client
        .get("/api/v1/subjects")
        .header(Header::new(
            "Authorization",
            "Bearer ocop_still-not-a-token",
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::TooManyRequests);
    let wait: u64 = res
        .headers()
        .get_one("Retry-After")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    // Only failures are counted: the department's valid token still works from there.
    assert_eq!(
        app.get("/api/v1/subjects", Some(&admin)).await.status,
        Status::Ok
    );
}

/// Three refused tokens from "different" clients, each naming its own address in `header`.
async fn refused_with(
    client: &rocket::local::asynchronous::Client,
    header: &str,
    values: [&str; 3],
) -> Vec<Status> {
    let mut out = Vec::new();
    for v in values {
        let res = client
            .get("/api/v1/subjects")
            .header(Header::new("Authorization", "Bearer ocop_not-a-token"))
            .header(Header::new(header.to_owned(), v.to_owned()))
            .dispatch()
            .await;
        out.push(res.status());
    }
    out
}

#[rocket::async_test]
async fn a_client_address_comes_from_the_socket_unless_the_operator_names_a_proxy_header() {
    let app = TestApp::spawn_with(|c| c.quotas.auth_failures_per_minute = 2).await;
    let (unauthorized, too_many) = (Status::Unauthorized, Status::TooManyRequests);
    // By default no header is trusted: rotating X-Real-IP or X-Forwarded-For is one client.
    let rotating = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    assert_eq!(
        refused_with(&app.client, "X-Real-IP", rotating).await,
        [unauthorized, unauthorized, too_many]
    );
    let client = app.instance_with(|f| f).await;
    assert_eq!(
        refused_with(&client, "X-Forwarded-For", rotating).await,
        [unauthorized, unauthorized, too_many]
    );
    // Behind a proxy the operator names, the header's last hop is the client: what a client
    // writes before it is not believed…
    let proxied = app
        .instance_with(|f| f.merge(("ip_header", "X-Forwarded-For")))
        .await;
    assert_eq!(
        refused_with(
            &proxied,
            "X-Forwarded-For",
            [
                "203.0.113.1, 198.51.100.7",
                "203.0.113.2, 198.51.100.7",
                "203.0.113.3, 198.51.100.7"
            ]
        )
        .await,
        [unauthorized, unauthorized, too_many]
    );
    // …and clients the proxy saw apart are counted apart.
    let proxied = app
        .instance_with(|f| f.merge(("ip_header", "X-Forwarded-For")))
        .await;
    assert_eq!(
        refused_with(
            &proxied,
            "X-Forwarded-For",
            ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        )
        .await,
        [unauthorized, unauthorized, unauthorized]
    );
}

#[rocket::async_test]
async fn secret_bearing_answers_are_never_cached_and_every_answer_has_a_csp() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post("/api/v1/tokens")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {admin}")))
        .body(json!({"role": "admin"}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Created);
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    for path in [
        "/health",
        "/api/v1/public/products",
        "/openapi.json",
        "/nowhere",
    ] {
        let res = app.client.get(path).dispatch().await;
        let csp = res
            .headers()
            .get_one("Content-Security-Policy")
            .unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(
            res.headers().get_one("X-Content-Type-Options"),
            Some("nosniff")
        );
    }
    let public = app.client.get("/api/v1/public/products").dispatch().await;
    assert_eq!(
        public.headers().get_one("Cache-Control"),
        Some("public, max-age=300, stale-while-revalidate=600"),
        "public answers may be cached"
    );
}

/// The operator's map tiles are the one other origin a page may load images from; the map's
/// scripts and Leaflet come from the registry itself.
#[rocket::async_test]
async fn map_tiles_are_the_only_other_image_origin_and_the_map_is_served_here() {
    let app = TestApp::spawn_with(|c| {
        c.maps.tiles_url = Some("https://tiles.example.vn/{z}/{x}/{y}.png".to_owned());
    })
    .await;
    let res = app.client.get("/login").dispatch().await;
    let csp = res
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap_or_default();
    assert!(
        csp.contains("img-src 'self' data: https://tiles.example.vn;")
            && csp.contains("default-src 'self';"),
        "{csp}"
    );
    for (path, kind) in [
        ("/static/leaflet/leaflet.js", "text/javascript"),
        ("/static/leaflet/leaflet.css", "text/css"),
        ("/static/map.js", "text/javascript"),
    ] {
        let res = app.client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert!(
            res.headers()
                .get_one("Content-Type")
                .unwrap_or_default()
                .starts_with(kind),
            "{path}"
        );
    }
    assert_eq!(
        app.client
            .get("/static/../Cargo.toml")
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
}

#[rocket::async_test]
async fn a_backup_restores_to_the_same_data() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Sao Lưu").await;
    let path = std::env::temp_dir().join(format!("ocop-backup-{}.db", uuid::Uuid::new_v4()));
    let result = ocop_registry::db::backup(&app.db, &path).await;
    if crate::helpers::on_postgres() {
        let err = result.unwrap_err();
        assert!(err.contains("pg_dump"), "{err}");
        return;
    }
    result.unwrap();
    // A second backup never overwrites the first.
    assert!(
        ocop_registry::db::backup(&app.db, &path)
            .await
            .unwrap_err()
            .contains("exists")
    );

    // Restore: serve the copy and read the same subject.
    let mut config = ocop_registry::config::AppConfig::default();
    config.database.url = format!("sqlite://{}?mode=rwc", path.display());
    config.sync.interval_secs = 0;
    let db = ocop_registry::prepare(&config).await.unwrap();
    let rocket = ocop_registry::build_rocket(
        rocket::Config::figment().merge(("log_level", rocket::config::LogLevel::Off)),
        config,
        db,
    )
    .unwrap();
    let restored = rocket::local::asynchronous::Client::tracked(rocket)
        .await
        .unwrap();
    let res = restored
        .get(format!("/api/v1/subjects/{}", id_of(&subject)))
        .header(Header::new("Authorization", format!("Bearer {admin}")))
        .dispatch()
        .await;
    assert_eq!(
        res.status(),
        Status::Ok,
        "the token and the subject came along"
    );
    let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_eq!(
        body,
        app.get(
            &format!("/api/v1/subjects/{}", id_of(&subject)),
            Some(&admin)
        )
        .await
        .body
    );
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
}

#[rocket::async_test]
async fn a_redirect_is_never_followed() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // The feed answers with a redirect to a page that would pass for a feed.
    use wiremock::matchers::path;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/elsewhere"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/elsewhere"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"items": [], "next_cursor": null})),
        )
        .mount(&server)
        .await;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Chuyển Hướng").await;
    let ch = channel_of(
        &app,
        &admin,
        &subject,
        json!({"kind": "own_webshop", "platform": "feed", "shop_url": "https://chuyen.example.vn"}),
    )
    .await;
    let res = connect(
        &app,
        &admin,
        &ch,
        json!({"connector": "feed", "base_url": format!("{}/feed", server.uri())}),
    )
    .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let run = sync(&app, &admin, &ch).await;
    assert_eq!(run.body["status"], "failed", "{:?}", run.body);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        1,
        "one call, to the feed only: {requests:?}"
    );
}

//! Channel sync against fake marketplaces on loopback, and signed webhooks.

use std::time::{Duration, Instant};

use ocop_registry::domain::Role;
use ocop_registry::sync::marketplaces::feed::feed_signature;
use ocop_registry::sync::marketplaces::hmac_hex;
use ocop_registry::sync::webhooks;
use rocket::http::{ContentType, Header, Status};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fakes::{FakeFeed, FakeLazada, FakeShopee, Fault, feed_item};
use crate::helpers::{Resp, TestApp, id_of};

struct Shop {
    app: TestApp,
    admin: String,
    subject: Value,
    channel: Value,
}

impl Shop {
    async fn new(app: TestApp, platform: &str) -> Shop {
        let admin = app.admin().await;
        let subject = app
            .seed_subject(&admin, "20335", "HTX Thương mại điện tử")
            .await;
        let channel = app
            .post(
                &format!("/api/v1/subjects/{}/channels", id_of(&subject)),
                Some(&admin),
                &json!({"kind": "marketplace", "platform": platform, "shop_url": "https://shop.example.vn/htx",
                        "active_from": "2024-01-01"}),
            )
            .await
            .body;
        Shop {
            app,
            admin,
            subject,
            channel,
        }
    }

    fn id(&self) -> uuid::Uuid {
        id_of(&self.channel)
    }

    async fn connect(&self, body: Value) -> Resp {
        self.app
            .send_raw(
                "PUT",
                &format!("/api/v1/channels/{}/connection", self.id()),
                Some(&self.admin),
                body.to_string(),
                None,
            )
            .await
    }

    /// The channel's connection as the API shows it.
    async fn connection(&self) -> Value {
        let res = self
            .app
            .get(
                &format!("/api/v1/channels/{}/connection", self.id()),
                Some(&self.admin),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        res.body
    }

    async fn sync(&self, full: bool) -> Value {
        let q = if full { "?full=true" } else { "" };
        let res = self
            .app
            .post(
                &format!("/api/v1/channels/{}/sync{q}", self.id()),
                Some(&self.admin),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        res.body
    }

    async fn listings(&self, extra: &str) -> Value {
        self.app
            .get(
                &format!(
                    "/api/v1/channels/{}/listings?per_page=500{extra}",
                    self.id()
                ),
                Some(&self.admin),
            )
            .await
            .body
    }

    async fn status_of(&self, external_id: &str) -> String {
        let all = self.listings("").await;
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["external_id"] == external_id)
            .map(|l| l["status"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no listing {external_id}"))
    }
}

/// An application whose marketplace hosts (the operator's setting) are the fake at `url`.
async fn marketplaces_at(url: &str) -> TestApp {
    let url = url.to_owned();
    TestApp::spawn_with(move |c| {
        c.marketplaces.shopee.base_url = url.clone();
        c.marketplaces.lazada.base_url = url.clone();
        c.marketplaces.lazada.auth_base_url = url;
    })
    .await
}

async fn feed_shop(feed: &FakeFeed) -> Shop {
    feed_shop_with(TestApp::spawn().await, feed).await
}

async fn feed_shop_with(app: TestApp, feed: &FakeFeed) -> Shop {
    let shop = Shop::new(app, "postmart").await;
    let res = shop
        .connect(
            json!({"connector": "feed", "base_url": feed.url(), "app_secret": "feed-token",
                        "webhook_secret": "whsec-1", "rate_limit_per_minute": 6000}),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    shop
}

#[rocket::async_test]
async fn a_multi_page_sync_upserts_every_listing_idempotently() {
    let feed = FakeFeed::start(250).await;
    let shop = feed_shop(&feed).await;

    let run = shop.sync(false).await;

    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["full_pass"], true, "the first pass reads everything");
    assert_eq!(run["complete"], true);
    assert_eq!(run["pages"], 3);
    assert_eq!(run["items_seen"], 250);
    assert_eq!(run["added"], 250);
    let listings = shop.listings("").await;
    assert_eq!(listings["total"], 250);
    assert_eq!(listings["items"][0]["price_vnd"], "125000");
    let q = feed.with(|s| s.queries[0].clone());
    assert!(q.contains(&("limit".to_owned(), "100".to_owned())));

    // Again, with one title changed: nothing duplicated, one change.
    feed.with(|s| s.items[7]["title"] = json!("Trà sâm hộp mới"));
    let again = shop.sync(true).await;
    assert_eq!(again["added"], 0);
    assert_eq!(again["changed"], 1);
    assert_eq!(shop.listings("").await["total"], 250);
    let runs = shop
        .app
        .get(
            &format!("/api/v1/sync-runs?channel_id={}", shop.id()),
            Some(&shop.admin),
        )
        .await;
    assert_eq!(runs.body["total"], 2);

    // An incremental pass reads from the watermark, less the overlap for late updates.
    let watermark: chrono::DateTime<chrono::Utc> = shop.connection().await["watermark"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let inc = shop.sync(false).await;
    assert_eq!(inc["full_pass"], false);
    let from: chrono::DateTime<chrono::Utc> =
        inc["watermark_from"].as_str().unwrap().parse().unwrap();
    assert_eq!(watermark - from, chrono::Duration::minutes(5), "{inc}");
    let last = feed.with(|s| s.queries.last().unwrap().clone());
    assert!(last.iter().any(|(k, _)| k == "updated_since"), "{last:?}");
}

#[rocket::async_test]
async fn a_complete_full_pass_marks_missing_listings_removed_and_unlisted_ones_unlisted() {
    let shopee = FakeShopee::start(130).await;
    let shop = Shop::new(marketplaces_at(&shopee.server.uri()).await, "shopee").await;
    let res = shop
        .connect(json!({"connector": "shopee", "partner_id": "2001887",
                        "shop_id": "14701711", "app_secret": "57615053704d6470644f554a78656d50484143644964436a5568777544524579",
                        "access_token": "access-0", "refresh_token": "refresh-0"}))
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["has_app_secret"], true);
    assert!(
        !res.body.to_string().contains("access-0"),
        "credentials are never served"
    );

    let first = shop.sync(true).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["pages"], 2);
    assert_eq!(first["added"], 130);
    assert_eq!(
        shopee.with(|s| s.bad_signatures),
        0,
        "every request was signed correctly"
    );

    // The seller unlists one item, deletes another, Shopee bans a third, a fourth vanishes.
    shopee.with(|s| {
        s.items[0].1 = "UNLIST".to_owned();
        s.items[1].1 = "SELLER_DELETE".to_owned();
        s.items[2].1 = "BANNED".to_owned();
        s.items.remove(3);
    });
    let second = shop.sync(true).await;
    assert_eq!(second["status"], "succeeded", "{second}");
    assert_eq!(second["changed"], 3);
    assert_eq!(second["removed"], 1);
    assert_eq!(shop.status_of("2500000000").await, "unlisted");
    assert_eq!(shop.status_of("2500000001").await, "deleted");
    assert_eq!(shop.status_of("2500000002").await, "unlisted");
    assert_eq!(shop.status_of("2500000003").await, "deleted");
    assert_eq!(shop.status_of("2500000004").await, "active");
}

#[rocket::async_test]
async fn an_expired_shopee_token_is_refreshed_once_and_stored() {
    let shopee = FakeShopee::start(5).await;
    let shop = Shop::new(marketplaces_at(&shopee.server.uri()).await, "shopee").await;
    shop.connect(json!({"connector": "shopee", "partner_id": "2001887",
                        "shop_id": "14701711", "app_secret": "57615053704d6470644f554a78656d50484143644964436a5568777544524579",
                        "access_token": "access-0", "refresh_token": "refresh-0"}))
        .await;
    shopee.with(|s| s.access_tokens.insert("access-0".to_owned(), false));

    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(shopee.with(|s| s.refreshes), 1);
    let conn = shop
        .app
        .get(
            &format!("/api/v1/channels/{}/connection", shop.id()),
            Some(&shop.admin),
        )
        .await;
    assert!(conn.body["token_expires_at"].is_string());

    // The stored (rotated) token is used next time; when it and the refresh fail, the run fails
    // with a clear reason after one refresh attempt.
    assert_eq!(shop.sync(true).await["status"], "succeeded");
    assert_eq!(shopee.with(|s| s.refreshes), 1, "no refresh needed");
    shopee.with(|s| {
        s.access_tokens.clear();
        s.refresh_tokens.clear();
    });
    let failed = shop.sync(true).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("credentials refused"),
        "{failed}"
    );
    assert!(
        failed["reason"].as_str().unwrap().contains("refresh"),
        "{failed}"
    );
    assert_eq!(
        shop.listings("&status=active").await["total"],
        5,
        "nothing changed"
    );
}

#[rocket::async_test]
async fn lazada_pages_by_fifty_with_signed_sorted_parameters_and_refreshes_its_token() {
    let lazada = FakeLazada::start(120).await;
    let shop = Shop::new(marketplaces_at(&lazada.url()).await, "lazada").await;
    shop.connect(json!({"connector": "lazada",
                        "partner_id": "123456", "shop_id": "200123456", "app_secret": "helloworld",
                        "access_token": "lz-access-stale", "refresh_token": "lz-refresh-0"}))
        .await;

    let run = shop.sync(true).await;

    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["pages"], 3, "50 + 50 + 20");
    assert_eq!(run["added"], 120);
    assert_eq!(
        lazada.with(|s| (s.bad_signatures, s.max_limit_seen, s.refreshes)),
        (0, 50, 1)
    );
    let listings = shop.listings("").await;
    let first = listings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["external_id"] == "2807000000")
        .unwrap()
        .clone();
    assert_eq!(
        first["price_vnd"], "125000",
        "the special price wins when set"
    );
    let second = listings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["external_id"] == "2807000001")
        .unwrap()
        .clone();
    assert_eq!(second["price_vnd"], "150000");
}

#[rocket::async_test]
async fn a_429_with_retry_after_is_waited_for_then_the_sync_goes_on() {
    let feed = FakeFeed::start(10).await;
    feed.with(|s| s.faults_by_call.insert(1, Fault::TooMany(1)));
    let shop = feed_shop(&feed).await;

    let started = Instant::now();
    let run = shop.sync(true).await;

    assert_eq!(run["status"], "succeeded", "{run}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(
        retries(&run),
        vec![1000],
        "the wait Retry-After asked, not the backoff: {run}"
    );
    assert!(run["errors"].to_string().contains("HTTP 429"), "{run}");
    assert_eq!(feed.with(|s| s.calls), 2);
}

/// The waits (ms) a run's notes record before each retry, in order.
fn retries(run: &Value) -> Vec<u64> {
    run["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes: {run}"))
        .iter()
        .filter_map(|n| {
            let n = n.as_str()?;
            let (_, tail) = n.split_once("; retry ")?;
            let ms = tail.split_once(" in ")?.1.strip_suffix(" ms")?;
            Some(ms.parse().unwrap())
        })
        .collect()
}

/// A feed shop on an application whose retry policy is `backoff_ms` doubling, waits capped at
/// `max_wait_secs`.
async fn retrying_shop(feed: &FakeFeed, backoff_ms: u64, max_wait_secs: u64) -> Shop {
    let app = TestApp::spawn_with(move |c| {
        c.sync.backoff_ms = backoff_ms;
        c.sync.max_wait_secs = max_wait_secs;
        c.sync.max_attempts = 4;
    })
    .await;
    feed_shop_with(app, feed).await
}

#[rocket::async_test]
async fn retry_after_as_an_http_date_is_waited_for_up_to_the_longest_wait() {
    // An HTTP date two seconds ahead.
    let feed = FakeFeed::start(4).await;
    feed.with(|s| s.faults_by_call.insert(1, Fault::TooManyUntil(2)));
    let shop = retrying_shop(&feed, 10, 60).await;
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let waits = retries(&run);
    assert_eq!(waits.len(), 1, "{run}");
    // The date has whole seconds, and the answer takes a moment to be read: between about
    // one and two seconds, far from the backoff.
    assert!(
        (500..=2000).contains(&waits[0]),
        "the date's wait, not the 10-20 ms backoff: {run}"
    );

    // A date an hour ahead is cut to the longest wait the operator allows.
    let feed = FakeFeed::start(4).await;
    feed.with(|s| s.faults_by_call.insert(1, Fault::TooManyUntil(3600)));
    let shop = retrying_shop(&feed, 10, 1).await;
    let started = Instant::now();
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(retries(&run), vec![1000], "{run}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(feed.with(|s| s.calls), 2);
}

#[rocket::async_test]
async fn the_backoff_doubles_with_each_retry_and_stops_at_the_longest_wait() {
    let feed = FakeFeed::start(4).await;
    feed.with(|s| {
        for call in 1..=3 {
            s.faults_by_call.insert(call, Fault::Status(503));
        }
    });
    // 300 ms doubling, plus up to as much again of jitter: 300-600, 600-1200, 1200-2400; the
    // longest wait is 1 s.
    let shop = retrying_shop(&feed, 300, 1).await;
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let waits = retries(&run);
    assert_eq!(waits.len(), 3, "{run}");
    assert!((300..=600).contains(&waits[0]), "{waits:?}");
    assert!((600..=1000).contains(&waits[1]), "{waits:?}");
    assert_eq!(waits[2], 1000, "capped: {waits:?}");
    assert_eq!(feed.with(|s| s.calls), 4);

    // Out of attempts: the run fails and says so.
    let feed = FakeFeed::start(4).await;
    feed.with(|s| {
        for call in 1..=4 {
            s.faults_by_call.insert(call, Fault::Status(502));
        }
    });
    let shop = retrying_shop(&feed, 10, 1).await;
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 502; gave up after 4 attempts"),
        "{run}"
    );
    assert_eq!(retries(&run).len(), 3, "{run}");
    assert_eq!(shop.listings("").await["total"], 0);
}

#[rocket::async_test]
async fn shopee_and_lazada_rate_limits_sent_with_http_200_are_retried() {
    let shopee = FakeShopee::start(5).await;
    let url = shopee.server.uri();
    let app = TestApp::spawn_with(move |c| {
        c.marketplaces.shopee.base_url = url.clone();
        c.sync.backoff_ms = 10;
    })
    .await;
    let shop = Shop::new(app, "shopee").await;
    shop.connect(json!({"connector": "shopee", "partner_id": "2001887",
                        "shop_id": "14701711", "app_secret": "57615053704d6470644f554a78656d50484143644964436a5568777544524579",
                        "access_token": "access-0", "refresh_token": "refresh-0"}))
        .await;
    shopee.with(|s| s.throttled = 2);
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["added"], 5, "{run}");
    assert_eq!(retries(&run).len(), 2, "{run}");
    assert!(
        run["errors"].to_string().contains("error_rate_limit"),
        "{run}"
    );
    assert_eq!(shopee.with(|s| s.throttled), 0);

    let lazada = FakeLazada::start(60).await;
    let url = lazada.url();
    let app = TestApp::spawn_with(move |c| {
        c.marketplaces.lazada.base_url = url.clone();
        c.marketplaces.lazada.auth_base_url = url.clone();
        c.sync.backoff_ms = 10;
    })
    .await;
    let shop = Shop::new(app, "lazada").await;
    shop.connect(json!({"connector": "lazada",
                        "partner_id": "123456", "shop_id": "200123456", "app_secret": "helloworld",
                        "access_token": "lz-access-0", "refresh_token": "lz-refresh-0"}))
        .await;
    lazada.with(|s| s.throttled = 1);
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["added"], 60, "{run}");
    assert_eq!(retries(&run).len(), 1, "{run}");
    assert!(run["errors"].to_string().contains("ApiCallLimit"), "{run}");
    assert_eq!(
        lazada.with(|s| s.listing_calls),
        3,
        "two pages of 50, one of them asked twice"
    );
}

#[rocket::async_test]
async fn a_500_then_success_is_retried() {
    let feed = FakeFeed::start(10).await;
    feed.with(|s| s.faults_by_call.insert(1, Fault::Status(500)));
    let shop = feed_shop(&feed).await;
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["added"], 10);
    assert!(run["errors"].to_string().contains("HTTP 500"));
}

#[rocket::async_test]
async fn a_marketplace_that_does_not_answer_in_time_fails_the_run() {
    let feed = FakeFeed::start(10).await;
    feed.with(|s| s.failing_page = Some((0, Fault::Delay(Duration::from_secs(3)))));
    let app = TestApp::spawn_with(|c| {
        c.sync.timeout_secs = 0.3;
        c.sync.max_attempts = 2;
    })
    .await;
    let shop = feed_shop_with(app, &feed).await;

    let run = shop.sync(true).await;

    assert_eq!(run["status"], "failed");
    assert!(
        run["reason"].as_str().unwrap().contains("timed out"),
        "{run}"
    );
    assert_eq!(feed.with(|s| s.calls), 2, "one retry");
    assert_eq!(shop.listings("").await["total"], 0);
}

#[rocket::async_test]
async fn malformed_json_fails_the_run_and_changes_nothing() {
    let feed = FakeFeed::start(30).await;
    let shop = feed_shop(&feed).await;
    let first = shop.sync(true).await;
    assert_eq!(first["added"], 30);
    let before = shop.listings("").await;
    let watermark = shop.connection().await["watermark"].clone();
    assert!(watermark.is_string(), "a complete pass sets the watermark");

    feed.with(|s| {
        s.items[0]["title"] = json!("Changed");
        s.failing_page = Some((0, Fault::Malformed));
    });
    let run = shop.sync(true).await;

    assert_eq!(run["status"], "failed");
    assert!(
        run["reason"].as_str().unwrap().contains("malformed"),
        "{run}"
    );
    assert_eq!(run["complete"], false);
    assert_eq!(shop.listings("").await, before, "listings unchanged");
    // The watermark stays where the last complete pass left it.
    assert_eq!(shop.connection().await["watermark"], watermark);
    let runs = shop
        .app
        .get(
            &format!("/api/v1/sync-runs?channel_id={}&status=failed", shop.id()),
            Some(&shop.admin),
        )
        .await;
    assert_eq!(runs.body["total"], 1);
}

#[rocket::async_test]
async fn a_failure_on_page_3_of_5_marks_nothing_removed() {
    let feed = FakeFeed::start(500).await;
    let shop = feed_shop(&feed).await;
    assert_eq!(shop.sync(true).await["added"], 500);

    // Pages 3 to 5 fail; items of pages 4-5 are unseen by this pass but must not be removed.
    feed.with(|s| s.failing_page = Some((2, Fault::Status(503))));
    let run = shop.sync(true).await;

    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["pages"], 2, "two pages were read before the failure");
    assert_eq!(run["removed"], 0);
    assert_eq!(shop.listings("&status=active").await["total"], 500);
    assert_eq!(shop.listings("&status=deleted").await["total"], 0);
}

/// A pass longer than one write batch (1,000 listings) writes each batch while reading the
/// next; a failure late in the pass keeps every batch read before it, in full, and still
/// concludes nothing about the rest.
#[rocket::async_test]
async fn a_long_pass_is_written_batch_by_batch_and_a_late_failure_keeps_what_was_read() {
    let feed = FakeFeed::start(2550).await;
    let shop = feed_shop(&feed).await;
    let first = shop.sync(true).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(first["pages"], 26);
    assert_eq!(first["items_seen"], 2550);
    assert_eq!(first["added"], 2550);
    assert_eq!(shop.app.count("listing").await, 2550);

    // Every title changes; page 23 (0-based 22) and after fail: 2,200 listings are read, in
    // two full batches and a partial one.
    feed.with(|s| {
        for (i, item) in s.items.iter_mut().enumerate() {
            item["title"] = json!(format!("renamed {i}"));
        }
        s.failing_page = Some((22, Fault::Status(503)));
    });
    let run = shop.sync(true).await;

    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["pages"], 22, "{run}");
    assert_eq!(run["items_seen"], 2200, "{run}");
    assert_eq!(run["changed"], 2200, "{run}");
    assert_eq!(run["added"], 0, "{run}");
    assert_eq!(run["removed"], 0, "{run}");
    assert_eq!(
        shop.app.count("listing WHERE title LIKE 'renamed %'").await,
        2200
    );
    assert_eq!(shop.listings("&status=active").await["total"], 2550);
}

#[rocket::async_test]
async fn one_bad_item_is_recorded_without_failing_the_run() {
    let feed = FakeFeed::start(5).await;
    feed.with(|s| {
        s.items[2]["status"] = json!("frozen");
        s.items[3]["price_vnd"] = json!("12,5");
    });
    let shop = feed_shop(&feed).await;
    let run = shop.sync(true).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["item_errors"], 2);
    assert_eq!(run["added"], 3);
    assert!(
        run["errors"].to_string().contains("unknown status"),
        "{run}"
    );
}

#[rocket::async_test]
async fn one_channels_failure_does_not_stop_the_others() {
    let good = FakeFeed::start(4).await;
    let bad = FakeFeed::start(4).await;
    bad.with(|s| s.failing_page = Some((0, Fault::Status(500))));
    let shop = feed_shop(&good).await;
    let other = shop
        .app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&shop.subject)),
            Some(&shop.admin),
            &json!({"kind": "marketplace", "platform": "voso", "shop_url": "https://voso.vn/x"}),
        )
        .await
        .body;
    let res = shop
        .app
        .send_raw(
            "PUT",
            &format!("/api/v1/channels/{}/connection", id_of(&other)),
            Some(&shop.admin),
            json!({"connector": "feed", "base_url": bad.url()}).to_string(),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok);

    let (_, runs) = ocop_registry::sync::scheduler::tick(
        &shop.app.db,
        &shop.app.sync_settings(),
        ocop_registry::domain::RunTrigger::Scheduler,
    )
    .await;

    assert_eq!(runs.len(), 2);
    let mut statuses: Vec<&str> = runs.iter().map(|r| r.status.code()).collect();
    statuses.sort();
    assert_eq!(statuses, vec!["failed", "succeeded"]);
    assert_eq!(shop.listings("").await["total"], 4);
}

#[rocket::async_test]
async fn who_may_sync_and_see_runs() {
    let feed = FakeFeed::start(3).await;
    let shop = feed_shop(&feed).await;
    let owner = shop.app.owner_of(&shop.subject).await;
    let path = format!("/api/v1/channels/{}/sync", shop.id());

    assert_eq!(
        shop.app.post(&path, Some(&owner), &json!({})).await.status,
        Status::Forbidden
    );
    let wrong_platform = shop
        .app
        .token(Role::Channel, None, None, Some("shopee"))
        .await;
    assert_eq!(
        shop.app
            .post(&path, Some(&wrong_platform), &json!({}))
            .await
            .status,
        Status::NotFound
    );
    let own = shop
        .app
        .token(Role::Channel, None, None, Some("postmart"))
        .await;
    let res = shop.app.post(&path, Some(&own), &json!({})).await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let runs = shop.app.get("/api/v1/sync-runs", Some(&own)).await;
    assert_eq!(runs.body["total"], 1);
    assert_eq!(
        shop.app
            .get("/api/v1/sync-runs", Some(&wrong_platform))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        shop.app.get("/api/v1/sync-runs", Some(&owner)).await.body["total"],
        1
    );

    // Auditors of the unit configure a shop for the department, owners their own shop.
    let auditor = shop
        .app
        .auditor(crate::helpers::unit("province", "49", None))
        .await;
    let res = shop
        .app
        .send_raw(
            "PUT",
            &format!("/api/v1/channels/{}/connection", shop.id()),
            Some(&auditor),
            json!({"connector": "feed", "base_url": feed.url()}).to_string(),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["managed_by"], "registry");
    let bad = shop
        .app
        .send_raw(
            "PUT",
            &format!("/api/v1/channels/{}/connection", shop.id()),
            Some(&owner),
            json!({"connector": "shopee", "shop_id": "1"}).to_string(),
            None,
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert_eq!(bad.error_fields(), vec!["partner_id"]);
}

#[rocket::async_test]
async fn credentials_are_encrypted_at_rest_with_a_key() {
    let feed = FakeFeed::start(2).await;
    let app = TestApp::spawn_with(|c| c.secret_key = Some("ab".repeat(32))).await;
    let shop = feed_shop_with(app, &feed).await;
    let row = entity::channel_connection::Entity::find_by_id(shop.id())
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap();
    let stored = format!("{row:?}");
    assert!(
        !stored.contains("feed-token") && !stored.contains("whsec-1"),
        "{stored}"
    );
    assert_eq!(
        shop.sync(true).await["status"],
        "succeeded",
        "the decrypted token still works"
    );
}

/// A feed push signed with `secret` (the registry's scheme).
pub(crate) async fn push(
    app: &TestApp,
    channel: &str,
    event: &str,
    ts: i64,
    body: &str,
    secret: &str,
) -> Resp {
    let sig = feed_signature(secret, &ts.to_string(), event, body.as_bytes());
    deliver_feed(app, channel, event, ts, body, &sig).await
}

/// A feed push with the given signature (a replay, a forgery).
pub(crate) async fn deliver_feed(
    app: &TestApp,
    channel: &str,
    event: &str,
    ts: i64,
    body: &str,
    sig: &str,
) -> Resp {
    let res = app
        .client
        .post("/api/v1/webhooks/feed")
        .header(ContentType::JSON)
        .header(Header::new("X-Ocop-Channel", channel.to_owned()))
        .header(Header::new("X-Ocop-Event-Id", event.to_owned()))
        .header(Header::new("X-Ocop-Timestamp", ts.to_string()))
        .header(Header::new("X-Ocop-Signature", sig.to_owned()))
        .body(body)
        .dispatch()
        .await;
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    Resp {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        etag: None,
        content_type: None,
    }
}

/// A push of the registry's scheme signed with the test channel's secret, through `client`.
async fn deliver(
    client: &rocket::local::asynchronous::Client,
    channel: &str,
    event: &str,
    ts: i64,
    body: &str,
) -> Status {
    let sig = feed_signature("whsec-1", &ts.to_string(), event, body.as_bytes());
    client
        .post("/api/v1/webhooks/feed")
        .header(ContentType::JSON)
        .header(Header::new("X-Ocop-Channel", channel.to_owned()))
        .header(Header::new("X-Ocop-Event-Id", event.to_owned()))
        .header(Header::new("X-Ocop-Timestamp", ts.to_string()))
        .header(Header::new("X-Ocop-Signature", sig))
        .body(body)
        .dispatch()
        .await
        .status()
}

async fn wait_processed(app: &TestApp) {
    let settings = app.sync_settings();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        webhooks::process_pending(&app.db, &settings, 10)
            .await
            .unwrap();
        let pending = entity::webhook_event::Entity::find()
            .filter(entity::webhook_event::Column::Status.eq("pending"))
            .all(&app.db)
            .await
            .unwrap();
        if pending.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} webhook events still pending after 10 s",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[rocket::async_test]
async fn feed_webhooks_are_verified_stored_processed_once_and_refused_when_forged() {
    let feed = FakeFeed::start(0).await;
    let shop = feed_shop(&feed).await;
    let channel = shop.id().to_string();
    let now = chrono::Utc::now().timestamp();
    let body = json!({"items": [feed_item(1), feed_item(2)]}).to_string();

    let good = push(&shop.app, &channel, "evt-1", now, &body, "whsec-1").await;
    assert_eq!(good.status, Status::Accepted, "{:?}", good.body);
    assert_eq!(good.body["status"], "accepted");
    wait_processed(&shop.app).await;
    assert_eq!(shop.listings("").await["total"], 2);

    let dup = push(&shop.app, &channel, "evt-1", now, &body, "whsec-1").await;
    assert_eq!(dup.status, Status::Ok);
    assert_eq!(dup.body["status"], "duplicate");
    let events = entity::webhook_event::Entity::find()
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status.code(), "processed");
    assert_eq!(events[0].attempts, 1, "processed exactly once");

    let forged = push(&shop.app, &channel, "evt-2", now, &body, "not-the-secret").await;
    assert_eq!(forged.status, Status::Unauthorized);
    assert_eq!(forged.body["error"]["code"], "unauthorized");
    let stale = push(&shop.app, &channel, "evt-3", now - 310, &body, "whsec-1").await;
    assert_eq!(stale.status, Status::Unauthorized);
    let future = push(&shop.app, &channel, "evt-4", now + 310, &body, "whsec-1").await;
    assert_eq!(future.status, Status::Unauthorized);
    let tampered_body = json!({"items": [feed_item(9)]}).to_string();
    let sig = feed_signature("whsec-1", &now.to_string(), "evt-5", body.as_bytes());
    let tampered = shop
        .app
        .client
        .post("/api/v1/webhooks/feed")
        .header(ContentType::JSON)
        .header(Header::new("X-Ocop-Channel", channel.clone()))
        .header(Header::new("X-Ocop-Event-Id", "evt-5"))
        .header(Header::new("X-Ocop-Timestamp", now.to_string()))
        .header(Header::new("X-Ocop-Signature", sig))
        .body(tampered_body)
        .dispatch()
        .await;
    assert_eq!(tampered.status(), Status::Unauthorized);
    let big = format!("{{\"items\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024));
    let oversized = push(&shop.app, &channel, "evt-6", now, &big, "whsec-1").await;
    assert_eq!(oversized.status, Status::PayloadTooLarge);
    assert_eq!(oversized.body["error"]["code"], "payload_too_large");

    assert_eq!(
        entity::webhook_event::Entity::find()
            .all(&shop.app.db)
            .await
            .unwrap()
            .len(),
        1,
        "no trace of refused pushes"
    );
    let unknown = shop
        .app
        .post("/api/v1/webhooks/ebay", None, &json!({}))
        .await;
    assert_eq!(unknown.status, Status::NotFound);
}

#[rocket::async_test]
async fn shopee_and_lazada_pushes_are_verified_with_their_own_schemes() {
    let shopee = FakeShopee::start(1).await;
    let shop = Shop::new(marketplaces_at(&shopee.server.uri()).await, "shopee").await;
    let key = "57615053704d6470644f554a78656d50484143644964436a5568777544524579";
    shop.connect(json!({"connector": "shopee", "partner_id": "2001887",
                        "shop_id": "14701711", "app_secret": key, "access_token": "access-0"}))
        .await;
    let body = r#"{"data":{"item_id":2500139861,"item_status":"BANNED"},"shop_id":14701711,"code":6,"timestamp":1655714500}"#;
    // No public URL is configured: the URL Shopee signed is the registry's listening address.
    let url = &format!(
        "{}/api/v1/webhooks/shopee",
        ocop_registry::http::listening_base(shop.app.client.rocket().config())
    );
    let mut signed = url.as_bytes().to_vec();
    signed.push(b'|');
    signed.extend_from_slice(body.as_bytes());
    let good = hmac_hex(key.as_bytes(), &signed);
    let send = |auth: String| {
        shop.app
            .client
            .post("/api/v1/webhooks/shopee")
            .header(ContentType::JSON)
            .header(Header::new("Authorization", auth))
            .body(body)
            .dispatch()
    };
    assert_eq!(send(good.clone()).await.status(), Status::Accepted);
    assert_eq!(
        send(good).await.status(),
        Status::Ok,
        "a redelivery is a duplicate"
    );
    assert_eq!(send("00".repeat(32)).await.status(), Status::Unauthorized);
    assert_eq!(shop.app.count("webhook_event").await, 1, "stored once");
    wait_processed(&shop.app).await;
    let conn = shop
        .app
        .get(
            &format!("/api/v1/channels/{}/connection", shop.id()),
            Some(&shop.admin),
        )
        .await;
    assert!(
        conn.body["next_sync_at"].is_string(),
        "the push brings the next sync forward"
    );

    let lazada = Shop::new(TestApp::spawn().await, "lazada").await;
    lazada
        .connect(json!({"connector": "lazada", "partner_id": "123456",
                        "shop_id": "200123456", "app_secret": "3412gyo124goi3124", "access_token": "x"}))
        .await;
    let l6 = r#"{"seller_id":"200123456","message_type":4,"data":{"item_id":1760954113,"sku_list":[{"shop_sku":"1760954113_VNAMZ-8975502010","seller_sku":"CAFE-ROBUSTA-500G","sku_id":8975502010}],"action":"EDITED_UPDATED","status_update_time":1700000000123},"timestamp":1700000000,"site":"lazada_vn"}"#;
    let send = || {
        lazada
            .app
            .client
            .post("/api/v1/webhooks/lazada")
            .header(ContentType::JSON)
            .header(Header::new(
                "Authorization",
                "ef83f9ecd295b2fa9ca7936a3a9c160074f81de69ca8db5df0e2701bf5bc5fb9",
            ))
            .body(l6)
            .dispatch()
    };
    assert_eq!(
        send().await.status(),
        Status::Accepted,
        "the worked example L6 verifies"
    );
    assert_eq!(
        send().await.status(),
        Status::Ok,
        "a redelivery is a duplicate"
    );
    assert_eq!(lazada.app.count("webhook_event").await, 1, "stored once");
}

/// Two processes on one database (the production case is PostgreSQL; SQLite files are checked
/// too) race for the same channel and the same event; each is done exactly once.
#[rocket::async_test]
async fn two_instances_never_sync_one_channel_or_process_one_event_twice() {
    let feed = FakeFeed::start(300).await;
    let shop = feed_shop(&feed).await;
    let (other, other_db) = shop.app.another_instance().await;
    let path = format!("/api/v1/channels/{}/sync?full=true", shop.id());
    // The first sync holds the channel while its first page is held in the fake; the second
    // asks then, and the page goes once it has its answer.
    feed.gate.close();
    let bearer = Header::new("Authorization", format!("Bearer {}", shop.admin));
    let a = shop
        .app
        .client
        .post(path.clone())
        .header(bearer.clone())
        .dispatch();
    let b = async {
        feed.gate.reached(1).await;
        let res = other
            .post(path.clone())
            .header(bearer.clone())
            .dispatch()
            .await;
        feed.gate.open();
        res
    };
    let (ra, rb) = tokio::join!(a, b);
    assert_eq!(
        rb.status(),
        Status::Conflict,
        "the second was told it is running"
    );
    let mut statuses = vec![ra.status().code, rb.status().code];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![200, 409],
        "one instance synced, the other was told it is running"
    );
    let runs = entity::sync_run::Entity::find()
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.code(), "succeeded");
    assert_eq!(feed.with(|s| s.calls), 3, "the shop was read once");
    assert_eq!(shop.listings("").await["total"], 300);

    // The same event, claimed by both processes at once: applied once.
    let now = chrono::Utc::now().timestamp();
    let body = json!({"items": [feed_item(1000)]}).to_string();
    let channel = shop.id().to_string();
    let (da, db_) = tokio::join!(
        deliver(&shop.app.client, &channel, "race-1", now, &body),
        deliver(&other, &channel, "race-1", now, &body)
    );
    let mut codes = vec![da.code, db_.code];
    codes.sort();
    assert_eq!(codes, vec![200, 202], "one accepted, one duplicate");
    let settings_a = shop.app.sync_settings();
    let settings_b = other
        .rocket()
        .state::<ocop_registry::sync::SyncSettings>()
        .unwrap()
        .clone();
    let (pa, pb) = tokio::join!(
        webhooks::process_pending(&shop.app.db, &settings_a, 10),
        webhooks::process_pending(&other_db, &settings_b, 10)
    );
    wait_processed(&shop.app).await;
    let events = entity::webhook_event::Entity::find()
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status.code(), "processed");
    // The receiving process may already have applied it (0 here); "once" is proven by the
    // event's single attempt and the listing's single version below.
    assert!(
        pa.unwrap() + pb.unwrap() <= 1,
        "at most one of the two racing workers completed it"
    );
    assert_eq!(events[0].attempts, 1, "claimed once");
    let listing = entity::listing::Entity::find()
        .filter(entity::listing::Column::ExternalId.eq("SKU-01000"))
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].version, 1, "applied once");
}

/// Another process's claim on the channel, and the run it began, as a process leaves them when
/// it dies mid-sync: the lease until `until`.
async fn foreign_claim(shop: &Shop, until: chrono::DateTime<chrono::Utc>) -> uuid::Uuid {
    use sea_orm::{ActiveValue::Set, sea_query::Expr};
    entity::channel_connection::Entity::update_many()
        .col_expr(
            entity::channel_connection::Column::LeaseOwner,
            Expr::value("other-host:4242"),
        )
        .col_expr(
            entity::channel_connection::Column::LeaseUntil,
            Expr::value(until),
        )
        .filter(entity::channel_connection::Column::ChannelId.eq(shop.id()))
        .exec(&shop.app.db)
        .await
        .unwrap();
    let id = uuid::Uuid::new_v4();
    let started = ocop_registry::clock::now() - chrono::Duration::minutes(3);
    sea_orm::ActiveModelTrait::insert(
        entity::sync_run::ActiveModel {
            id: Set(id),
            channel_id: Set(shop.id()),
            trigger: Set(ocop_registry::domain::RunTrigger::Scheduler),
            status: Set(ocop_registry::domain::RunStatus::Running),
            full_pass: Set(true),
            complete: Set(false),
            started_at: Set(started),
            finished_at: Set(None),
            pages: Set(1),
            items_seen: Set(50),
            added: Set(0),
            changed: Set(0),
            removed: Set(0),
            item_errors: Set(0),
            errors: Set("[]".into()),
            reason: Set(None),
            watermark_from: Set(None),
            claimed_by: Set("other-host:4242".into()),
        },
        &shop.app.db,
    )
    .await
    .unwrap();
    id
}

#[rocket::async_test]
async fn a_live_foreign_lease_refuses_a_sync_and_an_expired_one_is_taken_over() {
    let feed = FakeFeed::start(3).await;
    let shop = feed_shop(&feed).await;
    let now = ocop_registry::clock::now();
    let abandoned = foreign_claim(&shop, now + chrono::Duration::minutes(2)).await;
    let path = format!("/api/v1/channels/{}/sync", shop.id());

    // The other process's lease is live: no run here, the marketplace not called, its run
    // left as it is.
    let res = shop.app.post(&path, Some(&shop.admin), &json!({})).await;
    assert_eq!(res.status, Status::Conflict, "{:?}", res.body);
    assert_eq!(feed.with(|s| s.calls), 0, "the marketplace was not read");
    let runs = entity::sync_run::Entity::find()
        .all(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.code(), "running");
    let conn = shop.connection().await;
    assert_eq!(conn["running"], true, "{conn}");

    // Its lease has run out (the process died): the sync runs, and the run it left is closed
    // as failed, with why and when.
    foreign_claim_expired(&shop).await;
    let run = shop.sync(false).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["items_seen"], 3, "{run}");
    let old = entity::sync_run::Entity::find_by_id(abandoned)
        .one(&shop.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status.code(), "failed");
    assert_eq!(
        old.reason.as_deref(),
        Some("abandoned: the process running it stopped before finishing")
    );
    assert!(old.finished_at.is_some_and(|t| t >= now), "{old:?}");
    let conn = shop.connection().await;
    assert_eq!(conn["running"], false, "released after the run: {conn}");
}

async fn foreign_claim_expired(shop: &Shop) {
    use sea_orm::sea_query::Expr;
    entity::channel_connection::Entity::update_many()
        .col_expr(
            entity::channel_connection::Column::LeaseUntil,
            Expr::value(ocop_registry::clock::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::channel_connection::Column::ChannelId.eq(shop.id()))
        .exec(&shop.app.db)
        .await
        .unwrap();
}

/// The webhook event `id` as stored.
async fn event(app: &TestApp, id: uuid::Uuid) -> entity::webhook_event::Model {
    entity::webhook_event::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no event {id}"))
}

#[rocket::async_test]
async fn an_event_acknowledged_by_a_receiver_that_died_is_processed_once_after_its_lease() {
    use sea_orm::sea_query::Expr;
    use webhooks::{Delivery, Received};
    let feed = FakeFeed::start(0).await;
    let shop = feed_shop(&feed).await;
    let settings = shop.app.sync_settings();
    let ts = chrono::Utc::now().timestamp().to_string();
    let body = json!({"items": [feed_item(7)]}).to_string();
    let signature = feed_signature("whsec-1", &ts, "crash-1", body.as_bytes());
    // What the receiving process did before its 202: verify the push and store it. Then it
    // claimed the event for processing (the first attempt) and died.
    let headers = [
        ("x-ocop-channel", shop.id().to_string()),
        ("x-ocop-event-id", "crash-1".to_owned()),
        ("x-ocop-timestamp", ts),
        ("x-ocop-signature", signature),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into();
    let delivery = Delivery {
        platform: "feed",
        headers,
        body: body.as_bytes(),
        url: "/api/v1/webhooks/feed".to_owned(),
    };
    let Received::Accepted(id) = webhooks::receive(&shop.app.db, &settings, delivery)
        .await
        .unwrap()
    else {
        panic!("the first delivery is accepted");
    };
    let lease = |until: chrono::DateTime<chrono::Utc>| {
        entity::webhook_event::Entity::update_many()
            .col_expr(
                entity::webhook_event::Column::LeaseOwner,
                Expr::value("dead-host:77"),
            )
            .col_expr(
                entity::webhook_event::Column::LeaseUntil,
                Expr::value(until),
            )
            .col_expr(entity::webhook_event::Column::Attempts, Expr::value(1))
            .filter(entity::webhook_event::Column::Id.eq(id))
            .exec(&shop.app.db)
    };
    lease(ocop_registry::clock::now() + chrono::Duration::minutes(4))
        .await
        .unwrap();
    let sku = || {
        entity::listing::Entity::find()
            .filter(entity::listing::Column::ExternalId.eq("SKU-00007"))
            .all(&shop.app.db)
    };

    // While the dead process's claim lasts, no other worker takes the event.
    assert_eq!(
        webhooks::process_pending(&shop.app.db, &settings, 10)
            .await
            .unwrap(),
        0
    );
    let ev = event(&shop.app, id).await;
    assert_eq!((ev.status.code(), ev.attempts), ("pending", 1));
    assert!(sku().await.unwrap().is_empty());

    // Its claim runs out: the next worker applies it, once.
    lease(ocop_registry::clock::now() - chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        webhooks::process_pending(&shop.app.db, &settings, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        webhooks::process_pending(&shop.app.db, &settings, 10)
            .await
            .unwrap(),
        0,
        "nothing left"
    );
    let ev = event(&shop.app, id).await;
    assert_eq!((ev.status.code(), ev.attempts), ("processed", 2));
    assert_eq!(ev.lease_owner, None);
    let listing = sku().await.unwrap();
    assert_eq!(listing.len(), 1);
    assert_eq!(listing[0].version, 1, "applied once");
}

#[rocket::async_test]
async fn a_stored_event_that_cannot_be_applied_fails_after_its_attempts() {
    let feed = FakeFeed::start(0).await;
    let shop = feed_shop(&feed).await;
    let ts = chrono::Utc::now().timestamp();
    // Signed correctly, so stored and acknowledged; but not the JSON the feed scheme defines.
    let res = push(
        &shop.app,
        &shop.id().to_string(),
        "broken-1",
        ts,
        "{\"items\": oops",
        "whsec-1",
    )
    .await;
    assert_eq!(res.status, Status::Accepted, "{:?}", res.body);
    let id: uuid::Uuid = res.body["event_id"].as_str().unwrap().parse().unwrap();
    // Workers try it until it is set aside: this one, and the receiving process's own, which
    // may hold it for a while.
    let settings = shop.app.sync_settings();
    let deadline = Instant::now() + Duration::from_secs(10);
    let ev = loop {
        webhooks::process_pending(&shop.app.db, &settings, 10)
            .await
            .unwrap();
        let ev = event(&shop.app, id).await;
        if ev.status.code() != "pending" {
            break ev;
        }
        assert!(
            Instant::now() < deadline,
            "still pending after 10 s: {ev:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ev.status.code(), "failed", "{ev:?}");
    assert_eq!(ev.attempts, 5, "{ev:?}");
    assert!(
        ev.error.as_deref().unwrap_or("").contains("not JSON"),
        "{ev:?}"
    );
    assert_eq!(ev.lease_owner, None);
    assert_eq!(shop.listings("").await["total"], 0);
}

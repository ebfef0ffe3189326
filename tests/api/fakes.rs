//! Fake marketplaces on loopback (`marketplaces.md` §4): they check signatures and tokens the way
//! the real ones do, page like them, and can be told to misbehave.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ocop_registry::sync::marketplaces::lazada::lazada_sign;
use ocop_registry::sync::marketplaces::shopee::{shopee_public_sign, shopee_shop_sign};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A way to answer badly.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This HTTP status with a small JSON error.
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    TooMany(u64),
    /// 429 with `Retry-After` as an HTTP date this many seconds ahead.
    TooManyUntil(i64),
    /// A body that is not JSON.
    Malformed,
    /// Answer only after this long.
    Delay(Duration),
}

fn fault_response(f: &Fault) -> ResponseTemplate {
    match f {
        Fault::Status(s) => ResponseTemplate::new(*s).set_body_json(json!({"error": "boom"})),
        Fault::TooMany(secs) => ResponseTemplate::new(429)
            .insert_header("Retry-After", secs.to_string().as_str())
            .set_body_json(json!({"error": "slow down"})),
        Fault::TooManyUntil(secs) => {
            let until = chrono::Utc::now() + chrono::Duration::seconds(*secs);
            ResponseTemplate::new(429)
                .insert_header(
                    "Retry-After",
                    until
                        .format("%a, %d %b %Y %H:%M:%S GMT")
                        .to_string()
                        .as_str(),
                )
                .set_body_json(json!({"error": "slow down"}))
        }
        Fault::Malformed => {
            ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "application/json")
        }
        Fault::Delay(d) => ResponseTemplate::new(200)
            .set_delay(*d)
            .set_body_json(json!({"items": [], "next_cursor": null})),
    }
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(q: &[(String, String)], name: &str) -> Option<String> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A marketplace's consent page: the seller's "Authorize" is a link back to the partner.
fn consent_page(marketplace: &str, back: &str) -> ResponseTemplate {
    let href = back.replace('&', "&amp;");
    ResponseTemplate::new(200).set_body_raw(
        format!(
            "<!doctype html><html><head><title>{marketplace}</title></head><body>\
             <h1>{marketplace}: authorize ocop-registry?</h1>\
             <a id=\"authorize\" href=\"{href}\">Authorize</a></body></html>"
        ),
        "text/html",
    )
}

/// The link of a consent page, as the browser would follow it.
pub fn consent_link(html: &str) -> String {
    let start = html.find("href=\"").expect("a consent link") + 6;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

/// State of the fake listing feed.
#[derive(Debug, Default)]
pub struct FeedState {
    /// Items in the feed format.
    pub items: Vec<Value>,
    /// Faults by call number (1-based), used once.
    pub faults_by_call: HashMap<usize, Fault>,
    /// A fault every time this page (0-based) is asked for.
    pub failing_page: Option<(usize, Fault)>,
    pub calls: usize,
    /// The query strings received.
    pub queries: Vec<Vec<(String, String)>>,
}

/// Holds a fake's answers while closed, so that a test arranges an overlap by waiting until a
/// request is being held rather than by sleeping and hoping. The fake answers on its own
/// thread (wiremock's), which the hold blocks.
#[derive(Default)]
pub struct Gate {
    /// (closed, requests that reached it).
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl Gate {
    pub fn close(&self) {
        self.state.lock().unwrap().0 = true;
    }

    pub fn open(&self) {
        self.state.lock().unwrap().0 = false;
        self.changed.notify_all();
    }

    /// Called by the fake for each request: counts it and waits while the gate is closed.
    fn pass(&self) {
        let mut s = self.state.lock().unwrap();
        s.1 += 1;
        let (s, timeout) = self
            .changed
            .wait_timeout_while(s, Duration::from_secs(20), |s| s.0)
            .unwrap();
        drop(s);
        assert!(!timeout.timed_out(), "the gate was never opened");
    }

    /// Waits until `n` requests have reached the gate; fails after 10 s.
    pub async fn reached(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.state.lock().unwrap().1 < n {
            assert!(
                std::time::Instant::now() < deadline,
                "{n} requests never reached the fake"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The fake generic feed.
#[derive(Clone)]
pub struct FakeFeed {
    pub state: Arc<Mutex<FeedState>>,
    pub gate: Arc<Gate>,
    pub server: Arc<MockServer>,
}

struct FeedResponder(Arc<Mutex<FeedState>>, Arc<Gate>);

impl Respond for FeedResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.1.pass();
        let mut s = self.0.lock().unwrap();
        s.calls += 1;
        let q = query(req);
        s.queries.push(q.clone());
        let call = s.calls;
        if let Some(f) = s.faults_by_call.remove(&call) {
            return fault_response(&f);
        }
        let limit: usize = param(&q, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        let offset: usize = param(&q, "cursor")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if let Some((page, f)) = &s.failing_page
            && offset / limit == *page
        {
            return fault_response(f);
        }
        let end = (offset + limit).min(s.items.len());
        let items = s.items[offset.min(end)..end].to_vec();
        let next = (end < s.items.len()).then(|| end.to_string());
        ResponseTemplate::new(200).set_body_json(json!({"items": items, "next_cursor": next}))
    }
}

impl FakeFeed {
    /// A feed of `n` active listings.
    pub async fn start(n: usize) -> FakeFeed {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(FeedState {
            items: (0..n).map(feed_item).collect(),
            ..Default::default()
        }));
        let gate = Arc::new(Gate::default());
        Mock::given(method("GET"))
            .and(path("/feed"))
            .respond_with(FeedResponder(state.clone(), gate.clone()))
            .mount(&server)
            .await;
        FakeFeed {
            state,
            gate,
            server: Arc::new(server),
        }
    }

    /// The feed's URL.
    pub fn url(&self) -> String {
        format!("{}/feed", self.server.uri())
    }

    /// Changes the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut FeedState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

/// Listing `i` in the feed format.
pub fn feed_item(i: usize) -> Value {
    json!({"id": format!("SKU-{i:05}"), "title": format!("Trà sâm hộp {i}"), "price_vnd": "125000",
           "status": "active", "updated_at": "2026-11-01T00:00:00Z"})
}

/// State of the fake Shopee.
#[derive(Debug)]
pub struct ShopeeState {
    pub partner_id: String,
    pub partner_key: String,
    pub shop_id: String,
    /// Access tokens and whether they still work.
    pub access_tokens: HashMap<String, bool>,
    /// Refresh tokens not used yet.
    pub refresh_tokens: HashSet<String>,
    /// (item id, status, name, price).
    pub items: Vec<(i64, String, String, f64)>,
    pub refreshes: usize,
    pub bad_signatures: usize,
    pub calls: usize,
    /// Authorization codes handed out by the consent page and not exchanged yet.
    pub codes: HashSet<String>,
    /// Consent pages shown.
    pub consents: usize,
    /// Listing calls still to refuse with `error_rate_limit` (sent, as Shopee does, with 200).
    pub throttled: usize,
}

/// The fake Shopee.
#[derive(Clone)]
pub struct FakeShopee {
    pub state: Arc<Mutex<ShopeeState>>,
    pub server: Arc<MockServer>,
}

fn shopee_error(code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"request_id": "r1", "error": code, "message": message}))
}

struct ShopeeResponder(Arc<Mutex<ShopeeState>>);

impl Respond for ShopeeResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        s.calls += 1;
        let q = query(req);
        let p = req.url.path().to_owned();
        let ts: i64 = param(&q, "timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
            return shopee_error("error_param", "Timestamp is expired.");
        }
        if p == "/api/v2/shop/auth_partner" {
            // The consent page (§1.2 step 1), the seller's click simulated by a link back to
            // the partner's redirect with a fresh single-use code and the shop id.
            if param(&q, "sign") != Some(shopee_public_sign(&s.partner_key, &s.partner_id, &p, ts))
                || param(&q, "partner_id").as_deref() != Some(s.partner_id.as_str())
            {
                s.bad_signatures += 1;
                return shopee_error("error_sign", "Wrong sign.");
            }
            let redirect = param(&q, "redirect").unwrap_or_default();
            s.consents += 1;
            let code = format!("shopee-code-{}", s.consents);
            s.codes.insert(code.clone());
            let sep = if redirect.contains('?') { '&' } else { '?' };
            let back = format!("{redirect}{sep}code={code}&shop_id={}", s.shop_id);
            return consent_page("Shopee", &back);
        }
        if p == "/api/v2/auth/token/get" {
            if param(&q, "sign") != Some(shopee_public_sign(&s.partner_key, &s.partner_id, &p, ts))
            {
                s.bad_signatures += 1;
                return shopee_error("error_sign", "Wrong sign.");
            }
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let code = body["code"].as_str().unwrap_or("").to_owned();
            if !s.codes.remove(&code)
                || body["shop_id"].as_i64().map(|i| i.to_string()) != Some(s.shop_id.clone())
            {
                return shopee_error("error_auth", "Invalid code");
            }
            let access = format!("access-granted-{}", s.consents);
            let refresh = format!("refresh-granted-{}", s.consents);
            s.access_tokens.insert(access.clone(), true);
            s.refresh_tokens.insert(refresh.clone());
            return ResponseTemplate::new(200).set_body_json(json!({
                "request_id": "r5", "error": "", "message": "", "access_token": access,
                "refresh_token": refresh, "expire_in": 14400}));
        }
        if p == "/api/v2/auth/access_token/get" {
            if param(&q, "sign") != Some(shopee_public_sign(&s.partner_key, &s.partner_id, &p, ts))
            {
                s.bad_signatures += 1;
                return shopee_error("error_sign", "Wrong sign.");
            }
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let rt = body["refresh_token"].as_str().unwrap_or("").to_owned();
            if !s.refresh_tokens.remove(&rt) {
                return shopee_error("error_auth", "Invalid refresh_token.");
            }
            s.refreshes += 1;
            let access = format!("access-{}", s.refreshes);
            let refresh = format!("refresh-{}", s.refreshes);
            s.access_tokens.insert(access.clone(), true);
            s.refresh_tokens.insert(refresh.clone());
            return ResponseTemplate::new(200).set_body_json(json!({
                "request_id": "r2", "error": "", "message": "", "access_token": access,
                "refresh_token": refresh, "expire_in": 14400, "partner_id": 1, "shop_id": 1}));
        }
        let Some(token) = param(&q, "access_token") else {
            return shopee_error("error_param", "There is no access_token in query.");
        };
        let expected = shopee_shop_sign(&s.partner_key, &s.partner_id, &p, ts, &token, &s.shop_id);
        if param(&q, "sign") != Some(expected) {
            s.bad_signatures += 1;
            return shopee_error("error_sign", "Wrong sign.");
        }
        if s.access_tokens.get(&token) != Some(&true) {
            return shopee_error(
                "invalid_acceess_token",
                "Invalid access_token, please have a check.",
            );
        }
        if p == "/api/v2/product/get_item_list" && s.throttled > 0 {
            s.throttled -= 1;
            return shopee_error(
                "error_rate_limit",
                "Your request has reached the API rate limit, please try again later.",
            );
        }
        match p.as_str() {
            "/api/v2/product/get_item_list" => {
                let statuses: Vec<String> = q
                    .iter()
                    .filter(|(k, _)| k == "item_status")
                    .map(|(_, v)| v.clone())
                    .collect();
                let offset: usize = param(&q, "offset")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0);
                let size: usize = param(&q, "page_size")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0);
                if !(1..=100).contains(&size) {
                    return shopee_error("error_param", "page_size");
                }
                let all: Vec<&(i64, String, String, f64)> =
                    s.items.iter().filter(|i| statuses.contains(&i.1)).collect();
                let end = (offset + size).min(all.len());
                let page: Vec<Value> = all[offset.min(end)..end]
                    .iter()
                    .map(|(id, st, _, _)| json!({"item_id": id, "item_status": st, "update_time": 1700000000, "tag": {"kit": false}}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"error": "", "message": "", "request_id": "r3",
                    "response": {"item": page, "total_count": all.len(), "has_next_page": end < all.len(), "next_offset": end}}))
            }
            "/api/v2/product/get_item_base_info" => {
                let ids: Vec<i64> = param(&q, "item_id_list")
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|i| i.parse().ok())
                    .collect();
                if ids.is_empty() || ids.len() > 50 {
                    return shopee_error("error_param", "item_id_list");
                }
                let list: Vec<Value> = s
                    .items
                    .iter()
                    .filter(|i| ids.contains(&i.0))
                    .map(|(id, st, name, price)| json!({"item_id": id, "item_status": st, "item_name": name, "has_model": false,
                        "price_info": [{"currency": "VND", "original_price": price, "current_price": price}]}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"error": "", "message": "", "request_id": "r4", "response": {"item_list": list}}))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

impl FakeShopee {
    /// A shop with `n` items, all NORMAL; access token `access-0` valid, refresh token
    /// `refresh-0` unused.
    pub async fn start(n: usize) -> FakeShopee {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(ShopeeState {
            partner_id: "2001887".to_owned(),
            partner_key: "57615053704d6470644f554a78656d50484143644964436a5568777544524579"
                .to_owned(),
            shop_id: "14701711".to_owned(),
            access_tokens: HashMap::from([("access-0".to_owned(), true)]),
            refresh_tokens: HashSet::from(["refresh-0".to_owned()]),
            items: (0..n)
                .map(|i| {
                    (
                        2_500_000_000 + i as i64,
                        "NORMAL".to_owned(),
                        format!("Cà phê Robusta {i}"),
                        125_000.0,
                    )
                })
                .collect(),
            refreshes: 0,
            bad_signatures: 0,
            calls: 0,
            codes: HashSet::new(),
            consents: 0,
            throttled: 0,
        }));
        Mock::given(wiremock::matchers::path_regex("^/api/v2/.*"))
            .respond_with(ShopeeResponder(state.clone()))
            .mount(&server)
            .await;
        FakeShopee {
            state,
            server: Arc::new(server),
        }
    }

    /// Changes the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut ShopeeState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

/// State of the fake Lazada.
#[derive(Debug)]
pub struct LazadaState {
    pub app_secret: String,
    pub access_tokens: HashMap<String, bool>,
    pub refresh_tokens: HashSet<String>,
    /// (item id, status, name, price, special price).
    pub products: Vec<(i64, String, String, f64, f64)>,
    pub refreshes: usize,
    pub bad_signatures: usize,
    pub max_limit_seen: usize,
    pub app_key: String,
    pub seller_id: String,
    /// Authorization codes handed out by the consent page and not exchanged yet.
    pub codes: HashSet<String>,
    pub consents: usize,
    /// Listing calls still to refuse with `ApiCallLimit` (sent, as Lazada does, with 200).
    pub throttled: usize,
    pub listing_calls: usize,
}

/// The fake Lazada (API and auth host on one server).
#[derive(Clone)]
pub struct FakeLazada {
    pub state: Arc<Mutex<LazadaState>>,
    pub server: Arc<MockServer>,
}

fn lazada_error(code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"code": code, "type": "ISV", "message": message, "request_id": "r"}))
}

struct LazadaResponder(Arc<Mutex<LazadaState>>);

impl Respond for LazadaResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let q = query(req);
        let p = req.url.path().trim_start_matches("/rest").to_owned();
        let Some(sign) = param(&q, "sign") else {
            return lazada_error("MissingParameter", "sign");
        };
        if sign != lazada_sign(&s.app_secret, &p, &q) {
            s.bad_signatures += 1;
            return lazada_error(
                "IncompleteSignature",
                "The request signature does not conform to lazop standards",
            );
        }
        let ts: i64 = param(&q, "timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if (chrono::Utc::now().timestamp_millis() - ts).abs() > 7_200_000 {
            return lazada_error("InvalidTimestamp", "timestamp");
        }
        match p.as_str() {
            "/auth/token/create" => {
                let code = param(&q, "code").unwrap_or_default();
                if !s.codes.remove(&code) {
                    return lazada_error("InvalidCode", "Invalid authorization code");
                }
                let access = format!("lz-access-granted-{}", s.consents);
                let refresh = format!("lz-refresh-granted-{}", s.consents);
                s.access_tokens.insert(access.clone(), true);
                s.refresh_tokens.insert(refresh.clone());
                ResponseTemplate::new(200).set_body_json(json!({"code": "0", "access_token": access,
                    "refresh_token": refresh, "expires_in": 2592000, "refresh_expires_in": 15552000,
                    "country": "vn", "account_platform": "seller_center", "account": "seller@example.vn",
                    "country_user_info": [{"country": "vn", "seller_id": s.seller_id, "user_id": "300123456", "short_code": "VN1ABCDE"}],
                    "request_id": "r"}))
            }
            "/auth/token/refresh" => {
                let rt = param(&q, "refresh_token").unwrap_or_default();
                if !s.refresh_tokens.contains(&rt) {
                    return lazada_error(
                        "IllegalRefreshToken",
                        "The specified refresh token is invalid or expired",
                    );
                }
                s.refreshes += 1;
                let access = format!("lz-access-{}", s.refreshes);
                s.access_tokens.insert(access.clone(), true);
                ResponseTemplate::new(200).set_body_json(
                    json!({"code": "0", "access_token": access, "refresh_token": rt,
                    "expires_in": 2592000, "refresh_expires_in": 15552000, "request_id": "r"}),
                )
            }
            "/products/get" => {
                let token = param(&q, "access_token").unwrap_or_default();
                if s.access_tokens.get(&token) != Some(&true) {
                    return lazada_error(
                        "IllegalAccessToken",
                        "The specified access token is invalid or expired",
                    );
                }
                s.listing_calls += 1;
                if s.throttled > 0 {
                    s.throttled -= 1;
                    return lazada_error("ApiCallLimit", "The request has exceeded the limit");
                }
                let limit: usize = param(&q, "limit")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(20);
                s.max_limit_seen = s.max_limit_seen.max(limit);
                if limit > 50 {
                    return lazada_error("19", "Invalid Limit");
                }
                let offset: usize = param(&q, "offset")
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0);
                if offset > 10_000 {
                    return lazada_error("14", "offset");
                }
                let end = (offset + limit).min(s.products.len());
                let products: Vec<Value> = s.products[offset.min(end)..end]
                    .iter()
                    .map(|(id, st, name, price, special)| json!({"item_id": id, "status": st, "created_time": "1690000000000",
                        "updated_time": "1700000000000", "attributes": {"name": name},
                        "skus": [{"SkuId": id * 10, "Status": st.to_lowercase(), "price": price, "special_price": special, "quantity": 5}]}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"code": "0", "request_id": "r",
                    "data": {"total_products": s.products.len(), "products": products}}))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

/// Lazada's consent page (§2.2 step 1).
struct LazadaConsent(Arc<Mutex<LazadaState>>);

impl Respond for LazadaConsent {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let q = query(req);
        if param(&q, "client_id").as_deref() != Some(s.app_key.as_str())
            || param(&q, "response_type").as_deref() != Some("code")
        {
            return ResponseTemplate::new(400).set_body_string("unknown app");
        }
        s.consents += 1;
        let code = format!("lazada-code-{}", s.consents);
        s.codes.insert(code.clone());
        let redirect = param(&q, "redirect_uri").unwrap_or_default();
        let state = param(&q, "state").unwrap_or_default();
        consent_page("Lazada", &format!("{redirect}?code={code}&state={state}"))
    }
}

impl FakeLazada {
    /// A seller with `n` active products; `lz-access-0` valid, `lz-refresh-0` usable.
    pub async fn start(n: usize) -> FakeLazada {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(LazadaState {
            app_secret: "helloworld".to_owned(),
            access_tokens: HashMap::from([("lz-access-0".to_owned(), true)]),
            refresh_tokens: HashSet::from(["lz-refresh-0".to_owned()]),
            products: (0..n)
                .map(|i| {
                    (
                        2_807_000_000 + i as i64,
                        "Active".to_owned(),
                        format!("Mật ong rừng {i}"),
                        150_000.0,
                        if i % 2 == 0 { 125_000.0 } else { 0.0 },
                    )
                })
                .collect(),
            refreshes: 0,
            bad_signatures: 0,
            max_limit_seen: 0,
            app_key: "100001".to_owned(),
            seller_id: "200123456".to_owned(),
            codes: HashSet::new(),
            consents: 0,
            throttled: 0,
            listing_calls: 0,
        }));
        Mock::given(wiremock::matchers::path_regex("^/rest/.*"))
            .respond_with(LazadaResponder(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/oauth/authorize"))
            .respond_with(LazadaConsent(state.clone()))
            .mount(&server)
            .await;
        FakeLazada {
            state,
            server: Arc::new(server),
        }
    }

    /// The API base URL.
    pub fn url(&self) -> String {
        format!("{}/rest", self.server.uri())
    }

    /// Changes the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut LazadaState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

/// State of the fake TikTok Shop (auth host, API host and consent page on one server).
#[derive(Debug)]
pub struct TiktokState {
    pub app_key: String,
    pub app_secret: String,
    pub service_id: String,
    /// The redirect registered with the app in Partner Center.
    pub redirect: String,
    pub shop_id: String,
    pub codes: HashSet<String>,
    pub access_tokens: HashSet<String>,
    pub consents: usize,
    pub bad_signatures: usize,
}

/// The fake TikTok Shop.
#[derive(Clone)]
pub struct FakeTiktok {
    pub state: Arc<Mutex<TiktokState>>,
    pub server: Arc<MockServer>,
}

struct TiktokResponder(Arc<Mutex<TiktokState>>);

fn tiktok_error(code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"code": code, "message": message, "request_id": "r", "data": {}}))
}

impl Respond for TiktokResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut s = self.0.lock().unwrap();
        let q = query(req);
        match req.url.path() {
            "/open/authorize" => {
                if param(&q, "service_id").as_deref() != Some(s.service_id.as_str()) {
                    return ResponseTemplate::new(400).set_body_string("unknown service");
                }
                s.consents += 1;
                let code = format!("tiktok-code-{}", s.consents);
                s.codes.insert(code.clone());
                let state = param(&q, "state").unwrap_or_default();
                consent_page(
                    "TikTok Shop",
                    &format!("{}?code={code}&state={state}", s.redirect),
                )
            }
            "/api/v2/token/get" => {
                // Unsigned: the app secret itself is checked (§3.2).
                if param(&q, "app_key").as_deref() != Some(s.app_key.as_str())
                    || param(&q, "app_secret").as_deref() != Some(s.app_secret.as_str())
                    || param(&q, "grant_type").as_deref() != Some("authorized_code")
                {
                    return tiktok_error(36004004, "invalid app");
                }
                let code = param(&q, "auth_code").unwrap_or_default();
                if !s.codes.remove(&code) {
                    return tiktok_error(36004004, "invalid auth_code");
                }
                let access = format!("tts-access-{}", s.consents);
                s.access_tokens.insert(access.clone());
                let week = chrono::Utc::now().timestamp() + 7 * 86400;
                ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "success",
                    "request_id": "r", "data": {"access_token": access, "access_token_expire_in": week,
                    "refresh_token": "tts-refresh", "refresh_token_expire_in": week + 86400 * 300,
                    "open_id": "open-1", "seller_name": "HTX Rau", "seller_base_region": "VN",
                    "user_type": 0}}))
            }
            "/authorization/202309/shops" => {
                let path = req.url.path().to_owned();
                let sign = param(&q, "sign").unwrap_or_default();
                if sign
                    != ocop_registry::sync::marketplaces::tiktok::tiktok_sign(
                        &s.app_secret,
                        &path,
                        &q,
                        &req.body,
                    )
                {
                    s.bad_signatures += 1;
                    return tiktok_error(106001, "invalid sign");
                }
                let token = req
                    .headers
                    .get("x-tts-access-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if !s.access_tokens.contains(&token) {
                    return tiktok_error(36009004, "invalid access token");
                }
                ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "success",
                    "request_id": "r", "data": {"shops": [
                        {"id": s.shop_id, "name": "HTX Rau", "region": "VN", "seller_type": "LOCAL",
                         "cipher": "ROW_abc", "code": "VNLC1"}]}}))
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

impl FakeTiktok {
    /// A seller with one shop in Việt Nam, sent back to `redirect` after consent.
    pub async fn start(redirect: &str) -> FakeTiktok {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(TiktokState {
            app_key: "29a39d".to_owned(),
            app_secret: "e59af819cc".to_owned(),
            service_id: "7240000000000000001".to_owned(),
            redirect: redirect.to_owned(),
            shop_id: "7495000000000000001".to_owned(),
            codes: HashSet::new(),
            access_tokens: HashSet::new(),
            consents: 0,
            bad_signatures: 0,
        }));
        Mock::given(method("GET"))
            .respond_with(TiktokResponder(state.clone()))
            .mount(&server)
            .await;
        FakeTiktok {
            state,
            server: Arc::new(server),
        }
    }

    /// Changes the state.
    pub fn with<R>(&self, f: impl FnOnce(&mut TiktokState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

//! The pages (issue 11): sign-in with sessions, the one-time password, CSRF, lock-out, the
//! dashboard and drill-down with the API's own figures, the public lookup — through Rocket's
//! local client, which keeps cookies like a browser.

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, unit};
use crate::indicators::Scenario;

/// A page as read: status, `Location`, body, and every `Set-Cookie`.
pub struct Html {
    pub status: Status,
    pub location: Option<String>,
    pub body: String,
    pub cookies: Vec<String>,
}

async fn read(res: rocket::local::asynchronous::LocalResponse<'_>) -> Html {
    let status = res.status();
    let location = res.headers().get_one("Location").map(str::to_owned);
    let cookies = res.headers().get("Set-Cookie").map(str::to_owned).collect();
    let body = res.into_string().await.unwrap_or_default();
    Html {
        status,
        location,
        body,
        cookies,
    }
}

pub async fn page(client: &Client, path: &str) -> Html {
    read(client.get(path.to_owned()).dispatch().await).await
}

pub async fn form(client: &Client, path: &str, fields: &[(&str, &str)]) -> Html {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    read(
        client
            .post(path.to_owned())
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await,
    )
    .await
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Creates an account through the API; returns its one-time password.
pub async fn account(app: &TestApp, admin: &str, body: Value) -> String {
    let res = app.post("/api/v1/users", Some(admin), &body).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    res.body["one_time_password"].as_str().unwrap().to_owned()
}

/// Signs in as a browser does from `/login`: the form's own hidden fields sent back.
pub async fn sign_in(client: &Client, username: &str, password: &str) -> Html {
    sign_in_from(client, "/login", username, password).await
}

/// Signs in from the sign-in page at `login` (`/login?next=…`), sending back the form's own
/// hidden `next`.
pub async fn sign_in_from(client: &Client, login: &str, username: &str, password: &str) -> Html {
    let login = page(client, login).await;
    assert_eq!(login.status, Status::Ok);
    let csrf = csrf_of(&login.body);
    let at = login
        .body
        .find("name=\"next\" value=\"")
        .expect("a next field")
        + 19;
    let next = login.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    form(
        client,
        "/login",
        &[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
            ("next", &next),
        ],
    )
    .await
}

/// Signs in with the one-time password and replaces it.
pub async fn sign_in_and_change(client: &Client, username: &str, otp: &str, new: &str) {
    let res = sign_in(client, username, otp).await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    let pw = page(client, "/password").await;
    let csrf = csrf_of(&pw.body);
    let res = form(
        client,
        "/password",
        &[
            ("csrf", &csrf),
            ("current", otp),
            ("new", new),
            ("repeat", new),
        ],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
}

#[rocket::async_test]
async fn a_person_signs_in_changes_the_one_time_password_and_signs_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Lê Văn Kiểm"}),
    )
    .await;
    let c = &app.client;

    // Not signed in: to the sign-in page, and back afterwards.
    let res = page(c, "/dashboard?unit=502").await;
    assert_eq!(res.status, Status::SeeOther);
    assert_eq!(
        res.location.as_deref(),
        Some("/login?next=%2Fdashboard%3Funit%3D502")
    );
    let login = page(c, "/login").await;
    assert!(login.body.contains("<html lang=\"vi\">"), "{}", login.body);
    assert!(
        login
            .body
            .contains("<label for=\"username\">Tên đăng nhập</label>")
    );

    // A wrong password: the form again, with the reason, and no session.
    let res = sign_in(c, "kiemtra.tamky", "not the password").await;
    assert_eq!(res.status, Status::Unauthorized);
    assert!(res.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    assert!(!res.cookies.iter().any(|k| k.starts_with("ocop_session=")));

    // The one-time password opens a session in an HttpOnly, SameSite=Lax cookie (not Secure on
    // plain http)…
    let res = sign_in(c, "kiemtra.tamky", &otp).await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/dashboard"));
    let cookie = res
        .cookies
        .iter()
        .find(|k| k.starts_with("ocop_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    // …stored as a hash only.
    let secret = cookie["ocop_session=".len()..].split(';').next().unwrap();
    let stored = entity::user_session::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.token_hash, secret);
    assert_eq!(
        stored.token_hash,
        ocop_registry::auth::service::hash(secret)
    );

    // …but nothing is shown until the one-time password is replaced.
    let res = page(c, "/dashboard").await;
    assert_eq!(res.status, Status::SeeOther);
    assert_eq!(res.location.as_deref(), Some("/password?next=%2Fdashboard"));
    let pw = page(c, "/password").await;
    assert!(
        pw.body.contains("Đây là lần đăng nhập đầu tiên"),
        "{}",
        pw.body
    );
    let csrf = csrf_of(&pw.body);
    let new = "một mật khẩu đủ dài";
    // A form without the session's token is refused and changes nothing.
    let res = form(
        c,
        "/password",
        &[
            ("csrf", "forged"),
            ("current", &otp),
            ("new", new),
            ("repeat", new),
        ],
    )
    .await;
    assert_eq!(res.status, Status::Forbidden);
    assert!(res.body.contains("mã chống giả mạo"), "{}", res.body);
    // Rules, in Vietnamese, next to the form.
    let res = form(
        c,
        "/password",
        &[
            ("csrf", &csrf),
            ("current", &otp),
            ("new", "ngắn"),
            ("repeat", "ngắn"),
        ],
    )
    .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert!(res.body.contains("ít nhất 12 ký tự"), "{}", res.body);
    let res = form(
        c,
        "/password",
        &[
            ("csrf", &csrf),
            ("current", &otp),
            ("new", new),
            ("repeat", "khác"),
        ],
    )
    .await;
    assert!(res.body.contains("không giống nhau"), "{}", res.body);
    let res = form(
        c,
        "/password",
        &[
            ("csrf", &csrf),
            ("current", &otp),
            ("new", new),
            ("repeat", new),
        ],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    let user = app.get("/api/v1/users", Some(&admin)).await.body["items"][0].clone();
    assert_eq!(user["must_change_password"], false);

    // The audit trail names the person, not a token.
    let trail = app.audit_of(user["id"].as_str().unwrap()).await;
    let change = trail
        .iter()
        .find(|e| e["action"] == "change_password")
        .expect("an audit entry for the change");
    assert_eq!(change["actor"]["name"], "Lê Văn Kiểm (kiemtra.tamky)");
    assert_eq!(change["actor"]["id"], user["id"]);

    // Signed in: the dashboard of its own unit.
    let res = page(c, "/dashboard").await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    assert!(res.body.contains("Thành phố Tam Kỳ"), "{}", res.body);
    assert!(res.body.contains("Đang đăng nhập: Lê Văn Kiểm"));

    // Signing out needs the token too, then ends the session on the server.
    let csrf = csrf_of(&res.body);
    let res = form(c, "/logout", &[("csrf", "forged")]).await;
    assert_eq!(res.status, Status::Forbidden);
    let res = form(c, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status, Status::SeeOther);
    let res = page(c, "/dashboard").await;
    assert_eq!(res.status, Status::SeeOther);
    // The old cookie, replayed, opens nothing either.
    let replay = c
        .get("/dashboard")
        .cookie(rocket::http::Cookie::new("ocop_session", secret.to_owned()))
        .dispatch()
        .await;
    assert_eq!(replay.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn the_sign_in_form_needs_its_anti_forgery_cookie() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "quantri", "role": "admin", "display_name": "Quản trị"}),
    )
    .await;
    // A sign-in posted from elsewhere carries no matching cookie (login CSRF).
    let (other, _) = app.another_instance().await;
    let res = form(
        &other,
        "/login",
        &[("username", "quantri"), ("password", &otp), ("csrf", "x")],
    )
    .await;
    assert_eq!(res.status, Status::Forbidden);
    assert_eq!(app.count("user_session").await, 0);
}

#[rocket::async_test]
async fn repeated_failed_sign_ins_lock_the_account_in_every_process() {
    let app = TestApp::spawn_with(|c| {
        c.sessions.sign_in_failures = 3;
        c.sessions.sign_in_lock_minutes = 15;
    })
    .await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "chuthe.a", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "A"}),
    )
    .await;
    for _ in 0..3 {
        let res = sign_in(&app.client, "chuthe.a", "sai mật khẩu").await;
        assert_eq!(res.status, Status::Unauthorized);
    }
    // Now even the right password waits, here and in another process on the same database.
    let res = sign_in(&app.client, "chuthe.a", &otp).await;
    assert_eq!(res.status, Status::TooManyRequests, "{}", res.body);
    assert!(res.body.contains("thử lại sau 15 phút"), "{}", res.body);
    let (other, _) = app.another_instance().await;
    let res = sign_in(&other, "chuthe.a", &otp).await;
    assert_eq!(res.status, Status::TooManyRequests);
    assert_eq!(app.count("user_session").await, 0);

    // A made-up name is answered exactly alike: refused, then locked out, in the same words
    // (which names exist cannot be learned from the lock-out).
    let mut answers = Vec::new();
    for _ in 0..4 {
        let res = sign_in(&app.client, "khong.co.ai", "sai mật khẩu").await;
        answers.push((res.status, res.body.contains("thử lại sau 15 phút")));
    }
    assert_eq!(
        answers,
        [
            (Status::Unauthorized, false),
            (Status::Unauthorized, false),
            (Status::Unauthorized, false),
            (Status::TooManyRequests, true),
        ]
    );
    let locked_real = sign_in(&app.client, "chuthe.a", "sai mật khẩu").await;
    let locked_unknown = sign_in(&app.client, "khong.co.ai", "sai mật khẩu").await;
    assert_eq!(locked_real.status, locked_unknown.status);
    let said = |body: &str| {
        body.split("id=\"form-error\">")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .map(str::to_owned)
    };
    assert!(said(&locked_real.body).is_some(), "{}", locked_real.body);
    assert_eq!(said(&locked_real.body), said(&locked_unknown.body));

    // The lock lapses: moved back past its end, the right password works and resets the count.
    use sea_orm::sea_query::Expr;
    entity::sign_in_failure::Entity::update_many()
        .col_expr(
            entity::sign_in_failure::Column::LastFailedAt,
            Expr::value(ocop_registry::clock::now() - chrono::Duration::minutes(16)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let res = sign_in(&app.client, "chuthe.a", &otp).await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    assert_eq!(
        app.count("sign_in_failure").await,
        1,
        "only the made-up name's count is left"
    );

    // Guessing the current password on /password counts as failed sign-ins: three wrong
    // guesses lock the form and the sign-in alike.
    let c = &app.client;
    let csrf = csrf_of(&page(c, "/password").await.body);
    for _ in 0..3 {
        let res = form(
            c,
            "/password",
            &[
                ("csrf", &csrf),
                ("current", "đoán thử"),
                ("new", "mật khẩu mới dài 2026"),
                ("repeat", "mật khẩu mới dài 2026"),
            ],
        )
        .await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{}", res.body);
    }
    let res = form(
        c,
        "/password",
        &[
            ("csrf", &csrf),
            ("current", &otp),
            ("new", "mật khẩu mới dài 2026"),
            ("repeat", "mật khẩu mới dài 2026"),
        ],
    )
    .await;
    assert_eq!(res.status, Status::TooManyRequests, "{}", res.body);
    let (other, _) = app.another_instance().await;
    assert_eq!(
        sign_in(&other, "chuthe.a", &otp).await.status,
        Status::TooManyRequests
    );
}

#[rocket::async_test]
async fn disabling_a_user_or_idling_ends_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.qn", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "B"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.qn", &otp, "mật khẩu mới đủ dài").await;
    assert_eq!(page(&app.client, "/dashboard").await.status, Status::Ok);

    // Idle past the limit (30 minutes by default): over.
    use sea_orm::sea_query::Expr;
    entity::user_session::Entity::update_many()
        .col_expr(
            entity::user_session::Column::LastSeenAt,
            Expr::value(ocop_registry::clock::now() - chrono::Duration::minutes(31)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        page(&app.client, "/dashboard").await.status,
        Status::SeeOther
    );

    // A fresh session, then the account is disabled: every process refuses it at once.
    let res = sign_in(&app.client, "kiemtra.qn", "mật khẩu mới đủ dài").await;
    assert_eq!(res.status, Status::SeeOther);
    assert_eq!(page(&app.client, "/dashboard").await.status, Status::Ok);
    let user = app.get("/api/v1/users", Some(&admin)).await.body["items"][0].clone();
    let res = app
        .patch(
            &format!("/api/v1/users/{}", id_of(&user)),
            Some(&admin),
            &json!({"disabled": true}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(
        page(&app.client, "/dashboard").await.status,
        Status::SeeOther
    );
    let open = entity::user_session::Entity::find()
        .filter(entity::user_session::Column::EndedAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    assert!(open.is_empty(), "{open:?}");
    // And the disabled account cannot sign in again: told so with the right password only.
    let res = sign_in(&app.client, "kiemtra.qn", "mật khẩu mới đủ dài").await;
    assert_eq!(res.status, Status::Forbidden);
    assert!(
        res.body.contains("Tài khoản này đã bị khóa"),
        "{}",
        res.body
    );
    let res = sign_in(&app.client, "kiemtra.qn", "mật khẩu khác").await;
    assert_eq!(res.status, Status::Unauthorized);
    assert!(!res.body.contains("đã bị khóa"), "{}", res.body);
}

/// The cells of the table row whose header cell holds `name`, as text.
fn row_of(html: &str, name: &str) -> Vec<String> {
    let table = &html[html.find("<table id=\"figures\">").expect("the table")..];
    let row = table
        .split("<tr")
        .find(|r| r.contains(&format!(">{name}")))
        .unwrap_or_else(|| panic!("no row for {name}"));
    row.split("<td")
        .skip(1)
        .map(|cell| {
            let inner = &cell[cell.find('>').unwrap() + 1..];
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.split("</td>").next().unwrap().chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.trim().to_owned()
        })
        .collect()
}

fn vn_percent(share: &Value) -> String {
    share
        .as_str()
        .map_or("—".to_owned(), |s| format!("{} %", s.replace('.', ",")))
}

/// The cells a report's unit should have: population, then per indicator numerator, share,
/// target, verdict and gap.
pub fn expected_cells(u: &Value) -> Vec<String> {
    let mut out = vec![u["population"].to_string()];
    for f in u["indicators"].as_array().unwrap() {
        out.push(f["numerator"].to_string());
        out.push(vn_percent(&f["share"]));
        out.push(vn_percent(&f["target"]));
        out.push(
            match f["met"].as_bool() {
                Some(true) => "Đạt",
                Some(false) => "Chưa đạt",
                None => "—",
            }
            .to_owned(),
        );
        out.push(f["gap"].as_i64().map_or("—".to_owned(), |g| g.to_string()));
    }
    out
}

#[rocket::async_test]
async fn the_dashboard_shows_the_api_figures_for_the_unit_and_every_child() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.qn", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "C"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.qn", &otp, "mật khẩu mới đủ dài").await;

    let report = sc
        .report(unit("province", "49", None), "2025-06-30", "")
        .await;
    let html = page(&app.client, "/dashboard?unit=49&date=30/06/2025").await;
    assert_eq!(html.status, Status::Ok, "{}", html.body);
    let body = &html.body;
    assert!(
        body.contains("Tỉnh Quảng Nam · số liệu ngày 30/06/2025 · chính sách v3 · 13 chủ thể OCOP"),
        "{body}"
    );
    // The hand-worked figures, as Vietnamese write them.
    assert_eq!(
        row_of(body, "Tỉnh Quảng Nam"),
        [
            "13",
            "4",
            "30,77 %",
            "30 %",
            "Đạt",
            "0",
            "4",
            "30,77 %",
            "50 %",
            "Chưa đạt",
            "3"
        ]
    );
    assert_eq!(
        row_of(body, "Thành phố Tam Kỳ"),
        [
            "10",
            "3",
            "30,00 %",
            "30 %",
            "Đạt",
            "0",
            "2",
            "20,00 %",
            "50 %",
            "Chưa đạt",
            "3"
        ]
    );
    // Every child row is the API's.
    assert_eq!(row_of(body, "Tỉnh Quảng Nam"), expected_cells(&report));
    for child in report["children"].as_array().unwrap() {
        let name = child["unit"]["name"].as_str().unwrap();
        assert_eq!(row_of(body, name), expected_cells(child), "{name}");
    }
    // The chart: a bar per child and indicator, the target lines, no inline style.
    let svg = &body[body.find("<svg").expect("a chart")..body.find("</svg>").unwrap()];
    assert_eq!(
        svg.matches("class=\"bar ").count(),
        2 * report["children"].as_array().unwrap().len()
    );
    assert_eq!(svg.matches("class=\"target ").count(), 2);
    assert!(!body.contains("style="), "CSP forbids inline styles");
    // A child opens its own dashboard; numbers open the drill-down.
    assert!(
        body.contains("href=\"/dashboard?unit=502&#38;date=2025-06-30\""),
        "{body}"
    );
    assert!(body.contains(
        "href=\"/dashboard/subjects?unit=502&#38;date=2025-06-30&#38;indicator=modern_channel&#38;counts=false\""
    ));

    // The same in English.
    let en = page(&app.client, "/dashboard?unit=49&date=2025-06-30&lang=en").await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("30.77 %"), "{}", en.body);
    // The switch is remembered…
    let again = page(&app.client, "/dashboard?unit=49&date=2025-06-30").await;
    assert!(again.body.contains("<html lang=\"en\">"));
    // …and Accept-Language decides when nothing else does — except on the public's pages,
    // which a cache keeps one copy of per chosen language (in Vietnamese unless chosen).
    let (fresh, _) = app.another_instance().await;
    let public = fresh
        .get("/")
        .header(Header::new("Accept-Language", "en-GB,en;q=0.9,vi;q=0.5"))
        .dispatch()
        .await;
    assert!(
        public
            .into_string()
            .await
            .unwrap()
            .contains("<html lang=\"vi\">")
    );
    let res = fresh
        .get("/login")
        .header(Header::new("Accept-Language", "en-GB,en;q=0.9,vi;q=0.5"))
        .dispatch()
        .await;
    assert!(
        res.into_string()
            .await
            .unwrap()
            .contains("<html lang=\"en\">")
    );

    // An auditor of Tam Kỳ may not open Điện Bàn; a malformed date is said so.
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "E"}),
    )
    .await;
    let (tam_ky, _) = app.another_instance().await;
    sign_in_and_change(&tam_ky, "kiemtra.tamky", &otp, "mật khẩu mới đủ dài").await;
    assert_eq!(
        page(&tam_ky, "/dashboard?unit=502").await.status,
        Status::Ok
    );
    let res = page(&tam_ky, "/dashboard?unit=507&date=2025-06-30").await;
    assert_eq!(res.status, Status::Forbidden, "{}", res.body);
    assert!(res.body.contains("Bạn không có quyền xem trang này."));
    let res = page(&tam_ky, "/dashboard/subjects?unit=507&date=2025-06-30").await;
    assert_eq!(res.status, Status::Forbidden, "{}", res.body);
    let res = page(&app.client, "/dashboard?unit=49&date=31/02/2025&lang=vi").await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert!(res.body.contains("Ngày không hợp lệ"));
}

#[rocket::async_test]
async fn a_former_unit_points_to_its_successor_and_the_search_finds_units_without_accents() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "quantri", "role": "admin", "display_name": "Quản trị"}),
    )
    .await;
    sign_in_and_change(&app.client, "quantri", &otp, "mật khẩu mới đủ dài").await;
    // Quảng Nam on 31/12/2025 is history: Đà Nẵng succeeded it.
    let res = page(&app.client, "/dashboard?unit=49&date=31/12/2025").await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    assert!(
        res.body
            .contains("Tỉnh Quảng Nam không còn tồn tại vào ngày 31/12/2025.")
    );
    assert!(
        res.body
            .contains("<a href=\"/dashboard?unit=48&#38;date=2025-12-31\" class=\"successor\">Thành phố Đà Nẵng</a>"),
        "{}",
        res.body
    );
    // Search by name without accents, among the units of the date.
    let res = page(&app.client, "/dashboard?date=30/06/2025&q=dien%20ban").await;
    assert!(res.body.contains("Thị xã Điện Bàn (507)"), "{}", res.body);
    let res = page(&app.client, "/dashboard?date=31/12/2025&q=dien%20ban").await;
    assert!(!res.body.contains("Thị xã Điện Bàn (507)"));
    assert!(res.body.contains("Phường Điện Bàn"), "{}", res.body);
    // No unit: the country and every province of the date to start from (63 before the
    // reform; Cà Mau comes last).
    let res = page(&app.client, "/dashboard?date=30/06/2025").await;
    assert!(res.body.contains("Tỉnh Quảng Nam (49)"));
    assert!(res.body.contains("Việt Nam (VN)"), "{}", res.body);
    assert!(res.body.contains("Tỉnh Cà Mau (96)"), "{}", res.body);
    // The country's own link opens the country's figures.
    assert!(
        res.body
            .contains("href=\"/dashboard?unit=VN&#38;date=2025-06-30\"")
    );
    let res = page(&app.client, "/dashboard?unit=VN&date=2025-06-30").await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    assert!(
        row_of(&res.body, "Tỉnh Quảng Nam").len() > 3,
        "{}",
        res.body
    );
}

#[rocket::async_test]
async fn the_drill_down_names_who_does_not_count_why_and_whom_to_call() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "D"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.tamky", &otp, "mật khẩu mới đủ dài").await;
    let base = "/dashboard/subjects?unit=502&date=2025-06-30&indicator=modern_channel";
    let res = page(&app.client, &format!("{base}&counts=false")).await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    // Tam Kỳ: 10 subjects, 2 count for modern channels, 8 do not.
    assert!(res.body.contains("Trang 1 / 1 · 8 chủ thể"), "{}", res.body);
    assert!(res.body.contains("Nguyễn Thị Hoa"), "the representative");
    assert!(res.body.contains("<a href=\"tel:"), "the phone");
    assert!(
        res.body
            .contains("Kênh bán hàng chỉ tự khai, chưa xác nhận")
    );
    assert!(
        res.body
            .contains("Thẩm định kênh hoặc kết nối gian hàng qua sàn")
    );
    // The engine's particulars, in Vietnamese too, with Vietnamese dates.
    assert!(
        res.body
            .contains("chỉ tự khai: chưa được cán bộ xác nhận đến ngày 30/06/2025"),
        "{}",
        res.body
    );
    assert!(
        !res.body.contains("declared only"),
        "no English sentence on the page"
    );

    // Filtered by reason (the API's filter): S15 only is declared-only with nothing else.
    let api = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&indicator=modern_channel&gap=declared_only",
                unit("district", "502", None)
            ),
            Some(&sc.admin),
        )
        .await;
    assert_eq!(api.status, Status::Ok, "{:?}", api.body);
    let names: Vec<&str> = api.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"S15"), "{names:?}");
    assert_eq!(api.body["total"], names.len());
    for e in api.body["items"].as_array().unwrap() {
        assert_eq!(e["modern_channel"]["gaps"], json!(["declared_only"]), "{e}");
    }
    let res = page(&app.client, &format!("{base}&gap=declared_only")).await;
    assert!(
        res.body.contains(&format!("· {} chủ thể", names.len())),
        "{}",
        res.body
    );
    assert!(res.body.contains(">S15<"));
    assert!(!res.body.contains(">S8<"), "S8 has no channel at all");
    // Sorted by name (the default) or by commune (Phường An Mỹ before Phường Tân Thạnh).
    let names_in = |html: &str| -> Vec<String> {
        // The name, linked to the subject's file.
        html.split("<th scope=\"row\">")
            .skip(1)
            .map(|r| {
                let cell = r.split("</th>").next().unwrap();
                cell.split('>')
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let by_name = page(&app.client, &format!("{base}&counts=false")).await;
    assert_eq!(
        names_in(&by_name.body),
        ["S11", "S12", "S15", "S2", "S6", "S7", "S8", "S9"]
    );
    let by_commune = page(&app.client, &format!("{base}&counts=false&sort=commune")).await;
    assert_eq!(
        names_in(&by_commune.body),
        ["S11", "S12", "S8", "S9", "S15", "S2", "S6", "S7"]
    );
    let api = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&indicator=modern_channel&counts=false&sort=commune&per_page=2&page=2",
                unit("district", "502", None)
            ),
            Some(&sc.admin),
        )
        .await;
    let names: Vec<&str> = api.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["S8", "S9"], "pages cut after sorting");

    // gap with counts=true is a contradiction; gap without indicator incomplete.
    let res = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&indicator=modern_channel&counts=true&gap=no_channel",
                unit("district", "502", None)
            ),
            Some(&sc.admin),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), ["gap"]);
}

#[rocket::async_test]
async fn the_public_finds_products_by_producer_or_commune_and_sees_nothing_personal() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Trà Sâm Ngọc Linh")
        .await;
    let p = app.seed_product(&admin, &s, "Trà túi lọc").await;
    app.seed_recognition(&admin, &p, "123/QĐ-UBND", "2024-01-15", 4)
        .await;
    let c = &app.client;
    for q in ["tra tui", "sam ngoc linh", "tan thanh"] {
        let res = page(c, &format!("/?q={}", q.replace(' ', "+"))).await;
        assert_eq!(res.status, Status::Ok);
        assert!(res.body.contains("Trà túi lọc"), "{q}: {}", res.body);
    }
    let res = page(c, "/?q=khong+co").await;
    assert!(res.body.contains("Không tìm thấy sản phẩm nào."));

    // A client's Host and X-Forwarded-* never shape the page's links (issue 30).
    let res = read(
        c.get(format!("/p/{}", id_of(&p)))
            .header(rocket::http::Header::new("Host", "evil.example"))
            .header(rocket::http::Header::new("X-Forwarded-Proto", "https"))
            .header(rocket::http::Header::new(
                "X-Forwarded-Host",
                "evil.example",
            ))
            .dispatch()
            .await,
    )
    .await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    let body = &res.body;
    assert!(!body.contains("evil.example"), "{body}");
    assert!(body.contains("★★★★☆"));
    assert!(body.contains("Số 123/QĐ-UBND ngày 15/01/2024"), "{body}");
    assert!(body.contains("HTX Trà Sâm Ngọc Linh"));
    // Phường Tân Thạnh became part of Phường Bàn Thạch on 1 July 2025.
    assert!(body.contains("Nay thuộc: Phường Bàn Thạch"), "{body}");
    assert!(body.contains("<svg"), "a QR code");
    // It points to the page itself: with no public URL configured, at the address the
    // registry listens on.
    let base = ocop_registry::http::listening_base(c.rocket().config());
    assert!(
        body.contains(&format!(">{base}/p/{}</a>", id_of(&p))),
        "{body}"
    );
    // Nothing personal: no phone, no representative, no address, no tax code.
    for private in [
        "0905",
        "Nguyễn Thị Hoa",
        "Thôn 1",
        s["tax_code"].as_str().unwrap(),
    ] {
        assert!(!body.contains(private), "{private} leaked");
    }
    // A product never rated is not public.
    let unrated = app.seed_product(&admin, &s, "Chưa xếp hạng").await;
    let res = page(c, &format!("/p/{}", id_of(&unrated))).await;
    assert_eq!(res.status, Status::NotFound);
    assert!(res.body.contains("Không tìm thấy"), "{}", res.body);
}

#[rocket::async_test]
async fn the_work_queue_decides_in_place_and_the_figures_move() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    let tam_ky = unit("district", "502", None);
    // S2 (Tam Kỳ) owns its land and submits a VietGAP certificate: it waits in the queue.
    let s2 = sc.s["S2"].clone();
    sc.area(&s2, "own", None, None).await;
    let cert = sc.cert(&s2, "vietgap", "VG-S2", &[]).await;
    assert_eq!(cert["status"], "submitted");
    let before = sc.report(tam_ky, "2025-06-30", "").await;
    assert_eq!(before["indicators"][0]["numerator"], 3);

    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.tamky", "role": "auditor", "unit_id": tam_ky,
               "display_name": "Trần Thị Thẩm"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.tamky", &otp, "mật khẩu mới đủ dài").await;
    let queue = page(&app.client, "/queue").await;
    assert_eq!(queue.status, Status::Ok, "{}", queue.body);
    assert!(
        queue
            .body
            .contains("Chứng nhận chờ thẩm định <span class=\"count\">(1)</span>"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("số VG-S2"), "{}", queue.body);
    // When it came in; only the moves a submitted certificate allows.
    assert!(queue.body.contains("Nộp ngày 05/01/2025"), "{}", queue.body);
    assert!(
        !queue.body.contains("value=\"suspended\""),
        "{}",
        queue.body
    );
    let csrf = csrf_of(&queue.body);
    let path = format!("/queue/certifications/{}", id_of(&cert));
    let version = cert["version"].to_string();
    let fields = |csrf: &str, version: &str, action: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("version".to_owned(), version.to_owned()),
            ("action".to_owned(), action.to_owned()),
            ("reason".to_owned(), "Đã kiểm tra bản gốc".to_owned()),
            ("effective_on".to_owned(), "30/06/2025".to_owned()),
        ]
    };
    let send = |f: Vec<(String, String)>| {
        let path = path.clone();
        async move {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            form(&app.client, &path, &pairs).await
        }
    };
    // Forged, stale, or without a reason: refused, nothing written.
    assert_eq!(
        send(fields("forged", &version, "verified")).await.status,
        Status::Forbidden
    );
    let stale = send(fields(&csrf, "99", "verified")).await;
    assert_eq!(stale.status, Status::UnprocessableEntity);
    assert!(
        stale.body.contains("vừa được người khác thay đổi"),
        "{}",
        stale.body
    );
    let mut no_reason = fields(&csrf, &version, "verified");
    no_reason[3].1 = String::new();
    let res = send(no_reason).await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert!(
        res.body.contains("Lý do: không được để trống"),
        "{}",
        res.body
    );
    // What was typed stays on the item (the day chosen, not today).
    assert!(res.body.contains("value=\"30/06/2025\""), "{}", res.body);
    assert_eq!(
        app.get(
            &format!("/api/v1/certifications/{}", id_of(&cert)),
            Some(&sc.admin)
        )
        .await
        .body["status"],
        "submitted"
    );

    // Verified as of 30/06/2025: S2 now counts for the value chain on that date.
    let res = send(fields(&csrf, &version, "verified")).await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    assert_eq!(
        res.location.as_deref(),
        Some("/queue?tab=certifications&done=verified")
    );
    let done = page(&app.client, "/queue?tab=certifications&done=verified").await;
    assert!(done.body.contains("Đã ghi nhận: Đã xác nhận."));
    assert!(done.body.contains("Không có việc nào."));
    let after = sc.report(tam_ky, "2025-06-30", "").await;
    assert_eq!(after["indicators"][0]["numerator"], 4);
    let trail = app.audit_of(cert["id"].as_str().unwrap()).await;
    assert!(
        trail
            .iter()
            .any(|e| e["actor"]["name"] == "Trần Thị Thẩm (kiemtra.tamky)"),
        "{trail:?}"
    );

    // The declared marketplace of S15, verified from its tab, moves the other figure.
    let channels = page(&app.client, "/queue?tab=channels").await;
    assert!(
        channels.body.contains("Sàn thương mại điện tử"),
        "{}",
        channels.body
    );
    let declared = app
        .get("/api/v1/channels?verification=declared", Some(&sc.admin))
        .await;
    let s15_channel = declared.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject_id"] == sc.s["S15"]["id"])
        .unwrap()
        .clone();
    let res = form(
        &app.client,
        &format!("/queue/channels/{}", id_of(&s15_channel)),
        &[
            ("csrf", &csrf),
            ("version", &s15_channel["version"].to_string()),
            ("action", "verified"),
            ("reason", ""),
            ("effective_on", "30/06/2025"),
        ],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    let after = sc.report(tam_ky, "2025-06-30", "").await;
    assert_eq!(after["indicators"][1]["numerator"], 3);

    // An auditor of Điện Bàn sees none of Tam Kỳ's work and cannot decide it.
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.dienban", "role": "auditor",
               "unit_id": unit("district", "507", None), "display_name": "G"}),
    )
    .await;
    let (other, _) = app.another_instance().await;
    sign_in_and_change(&other, "kiemtra.dienban", &otp, "mật khẩu mới đủ dài").await;
    let theirs = page(&other, "/queue?tab=channels").await;
    assert!(!theirs.body.contains("S15"), "{}", theirs.body);
    let cert2 = sc.cert(&s2, "vietgap", "VG-S2-2", &[]).await;
    let csrf2 = csrf_of(&theirs.body);
    let res = form(
        &other,
        &format!("/queue/certifications/{}", id_of(&cert2)),
        &[
            ("csrf", &csrf2),
            ("version", "1"),
            ("action", "verified"),
            ("reason", "x"),
            ("effective_on", "30/06/2025"),
        ],
    )
    .await;
    assert_eq!(res.status, Status::Forbidden, "{}", res.body);
}

#[rocket::async_test]
async fn a_report_frozen_from_the_dashboard_stays_as_filed_and_downloads() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Hồ Thị Chốt"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.tamky", &otp, "mật khẩu mới đủ dài").await;
    let dash = page(&app.client, "/dashboard?unit=502&date=30/06/2025").await;
    let csrf = csrf_of(&dash.body);
    assert!(dash.body.contains("id=\"freeze\""));
    // A forged freeze files nothing.
    let res = form(
        &app.client,
        "/reports",
        &[("csrf", "forged"), ("unit", "502"), ("date", "2025-06-30")],
    )
    .await;
    assert_eq!(res.status, Status::Forbidden);
    assert_eq!(app.count("indicator_report").await, 0);
    let res = form(
        &app.client,
        "/reports",
        &[("csrf", &csrf), ("unit", "502"), ("date", "2025-06-30")],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    let at = res.location.unwrap();
    assert!(at.starts_with("/reports/"), "{at}");
    let filed = page(&app.client, &at).await;
    assert!(
        filed.body.contains("bởi Hồ Thị Chốt (kiemtra.tamky)"),
        "{}",
        filed.body
    );
    assert_eq!(
        row_of(&filed.body, "Thành phố Tam Kỳ"),
        [
            "10",
            "3",
            "30,00 %",
            "30 %",
            "Đạt",
            "0",
            "2",
            "20,00 %",
            "50 %",
            "Chưa đạt",
            "3"
        ]
    );

    // The data changes (S15's channel is verified as of D): the dashboard moves, the filed
    // report does not.
    let declared = app
        .get("/api/v1/channels?verification=declared", Some(&sc.admin))
        .await;
    let s15 = declared.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject_id"] == sc.s["S15"]["id"])
        .unwrap()
        .clone();
    let res = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&s15)),
            Some(&sc.admin),
            &json!({"verified_on": "2025-06-30"}),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let live = page(&app.client, "/dashboard?unit=502&date=30/06/2025").await;
    // The dashboard of that unit and date links to the filed report, which says what changed.
    assert!(
        live.body.contains(&format!(
            "href=\"{at}\" id=\"last-frozen\">Thay đổi từ lần chốt gần nhất"
        )),
        "{}",
        live.body
    );
    assert_eq!(row_of(&live.body, "Thành phố Tam Kỳ")[6], "3");
    let again = page(&app.client, &at).await;
    assert_eq!(row_of(&again.body, "Thành phố Tam Kỳ")[6], "2");
    // …and says what moved since, and why.
    let changes = &again.body[again
        .body
        .find("Thay đổi từ khi chốt")
        .expect("the section")..];
    assert!(
        changes.contains("<strong>S15</strong> — Kênh hiện đại: nay được tính"),
        "{changes}"
    );
    // The cause names the channel (platform and shop), once.
    assert_eq!(s15["platform"], "tiki");
    let cause = format!(
        "Kênh bán hàng “Tiki — {}” (xác nhận) ghi nhận lúc",
        s15["shop_url"].as_str().unwrap()
    );
    assert_eq!(changes.matches(&cause).count(), 1, "{changes}");
    // The filed figure beside the same day's figure as known now; only the one that moved is
    // marked.
    assert!(
        changes.contains(
            "<tr class=\"moved\"><th scope=\"row\">Kênh hiện đại</th><td>2/10 chủ thể (20,00 %)</td><td>3/10 chủ thể (30,00 %) <strong>(đã thay đổi)</strong></td></tr>"
        ),
        "{changes}"
    );
    assert!(
        changes.contains("<tr><th scope=\"row\">Chuỗi giá trị xanh</th><td>3/10 chủ thể (30,00 %)</td><td>3/10 chủ thể (30,00 %)</td></tr>"),
        "{changes}"
    );

    // As known when it was filed, the dashboard and the drill-down give the filed figures.
    let id = at.trim_start_matches("/reports/");
    let filed_json = app
        .get(&format!("/api/v1/reports/{id}"), Some(&sc.admin))
        .await;
    let known = filed_json.body["report"]["known_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let known_q: String = form_urlencoded::byte_serialize(known.as_bytes()).collect();
    let then = page(
        &app.client,
        &format!("/dashboard?unit=502&date=30/06/2025&known={known_q}"),
    )
    .await;
    assert_eq!(then.status, Status::Ok, "{}", then.body);
    assert_eq!(row_of(&then.body, "Thành phố Tam Kỳ")[6], "2");
    assert!(then.body.contains("Theo dữ liệu ghi nhận đến"));
    let drill = page(
        &app.client,
        &format!(
            "/dashboard/subjects?unit=502&date=2025-06-30&indicator=modern_channel&counts=false&known={known_q}"
        ),
    )
    .await;
    assert!(drill.body.contains("· 8 chủ thể"), "{}", drill.body);
    let now = page(
        &app.client,
        "/dashboard/subjects?unit=502&date=2025-06-30&indicator=modern_channel&counts=false",
    )
    .await;
    assert!(now.body.contains("· 7 chủ thể"), "{}", now.body);
    let bad = page(
        &app.client,
        "/dashboard?unit=502&date=30/06/2025&known=h%C3%B4m+qua",
    )
    .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
    assert!(bad.body.contains("Thời điểm không hợp lệ"));
    // A moment not yet come is readable, but refused as the API refuses it: no figures are
    // shown as if known then.
    for path in [
        "/dashboard?unit=502&date=30/06/2025&known=01/01/2099+09:30",
        "/dashboard/subjects?unit=502&date=2025-06-30&indicator=modern_channel&known=01/01/2099+09:30",
        "/dashboard/export?unit=502&date=2025-06-30&known=01/01/2099+09:30&format=csv",
    ] {
        let future = page(&app.client, path).await;
        assert_eq!(future.status, Status::UnprocessableEntity, "{path}");
        assert!(
            future.body.contains("không được là ngày trong tương lai"),
            "{path}: {}",
            future.body
        );
        assert!(!future.body.contains("Thời điểm không hợp lệ"), "{path}");
    }

    // Listed, and downloadable with every subject's verdicts as filed.
    let list = page(&app.client, "/reports").await;
    assert!(
        list.body.contains(&format!("href=\"{at}\"")),
        "{}",
        list.body
    );
    let res = app
        .client
        .get(format!("{at}/export?format=xlsx"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let bytes = res.into_bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["Báo cáo OCOP", "Chủ thể OCOP"]);
    let subjects = book.worksheet_range("Chủ thể OCOP").unwrap();
    assert_eq!(
        subjects.rows().count(),
        1 + 10,
        "every Tam Kỳ subject as filed"
    );
    // The API gives the same file.
    let api = app
        .client
        .get(format!("/api/v1/reports/{id}?format=csv&lang=en"))
        .header(Header::new("Authorization", format!("Bearer {}", sc.admin)))
        .dispatch()
        .await;
    assert_eq!(api.status(), Status::Ok);
    let text = api.into_string().await.unwrap();
    assert!(
        text.contains(
            "502,Thành phố Tam Kỳ,district,2025-06-30,3,10,3,10,30.00,30,true,0,2,10,20.00"
        ),
        "{text}"
    );

    // An auditor of Điện Bàn may not open it.
    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.dienban", "role": "auditor",
               "unit_id": unit("district", "507", None), "display_name": "H"}),
    )
    .await;
    let (other, _) = app.another_instance().await;
    sign_in_and_change(&other, "kiemtra.dienban", &otp, "mật khẩu mới đủ dài").await;
    assert_eq!(page(&other, &at).await.status, Status::Forbidden);
    assert!(!page(&other, "/reports").await.body.contains(&at));
}

/// An owner signs in and lands on its own subject: what it has, and for each target whether
/// it counts today or what it lacks with the next step — the engine's verdict, the same as the
/// department's drill-down; once the auditor verifies its certificate, it counts.
#[rocket::async_test]
async fn an_owner_sees_its_subject_what_it_lacks_and_the_next_steps() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Dates relative to the registry's today: the page shows today's verdicts.
    let today = ocop_registry::clock::today();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let s = app.seed_subject(&admin, "20335", "HTX Quế Trà My").await;
    let p = app.seed_product(&admin, &s, "Quế thanh Trà My").await;
    app.seed_recognition(&admin, &p, "QĐ-12", &day(-10), 4)
        .await;
    let sid = id_of(&s);
    let res = app
        .post(
            &format!("/api/v1/subjects/{sid}/areas"),
            Some(&admin),
            &json!({"name": "Vùng quế Trà Giác", "commune_id": s["commune_id"], "material": "Quế",
                    "area_ha": "12.5", "tenure": "own", "submitted_on": day(-30)}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    app.verify_area(&admin, &res.body, &day(-20)).await;
    let cert = app
        .post(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&admin),
            &json!({"scheme": "organic", "certificate_no": "HC-77", "issuer": "QUACERT",
                    "issued_on": day(-30), "expires_on": day(300)}),
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    // What the owner must hear of: a recognition ending within 90 days, a certificate expiring
    // within 90 days, a certification rejected (with the reason).
    let older = app.seed_product(&admin, &s, "Tinh dầu quế").await;
    let decided = (today - chrono::Months::new(36) + chrono::Days::new(30)).to_string();
    let ending = app
        .seed_recognition(&admin, &older, "QĐ-7", &decided, 3)
        .await;
    let expiring = app
        .post(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-88", "issuer": "QUACERT",
                    "issued_on": day(-600), "expires_on": day(60)}),
        )
        .await;
    assert_eq!(expiring.status, Status::Created, "{:?}", expiring.body);
    let rejected = app
        .post(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&admin),
            &json!({"scheme": "globalgap", "certificate_no": "GG-5", "issuer": "Control Union",
                    "issued_on": day(-20), "expires_on": day(700),
                    "submitted_on": day(-20)}),
        )
        .await;
    let r = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&rejected.body)),
            Some(&admin),
            &json!({"to": "rejected", "reason": "bản chụp không đọc được", "effective_on": day(-1)}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{:?}", r.body);
    let owner = app.owner_of(&s).await;
    let notices = app.get("/api/v1/notices", Some(&owner)).await;
    assert_eq!(notices.status, Status::Ok, "{:?}", notices.body);
    let listed: Vec<(&str, &str, Option<&str>)> = notices.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap(),
                n["entity_id"].as_str().unwrap(),
                n["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                "certification_rejected",
                rejected.body["id"].as_str().unwrap(),
                Some("bản chụp không đọc được")
            ),
            ("recognition_expiring", ending["id"].as_str().unwrap(), None),
            (
                "certification_expiring",
                expiring.body["id"].as_str().unwrap(),
                None
            ),
        ],
        "soonest first: {:?}",
        notices.body
    );
    let forbidden = app.get("/api/v1/notices", Some(&admin)).await;
    assert_eq!(forbidden.status, Status::Forbidden);
    assert_eq!(forbidden.error_code(), "forbidden");

    let otp = account(
        &app,
        &admin,
        json!({"username": "htx.quetramy", "role": "owner", "subject_id": sid,
               "display_name": "Trần Thị Quế"}),
    )
    .await;
    let client = app.another_instance().await.0;
    sign_in_and_change(&client, "htx.quetramy", &otp, "quế thơm Trà My 2025").await;

    let me = page(&client, "/me").await;
    assert_eq!(me.status, Status::Ok, "{}", me.body);
    for shown in [
        "HTX Quế Trà My",
        "Quế thanh Trà My",
        "4 sao",
        "Vùng quế Trà Giác",
        "12,5",
        "HC-77",
        "chờ thẩm định",
        "Chủ thể có sản phẩm OCOP còn hiệu lực",
        // Recorded in Tam Kỳ's Phường Tân Thạnh, counted today where the 2025 reform put it.
        "Phường Tân Thạnh",
        "Phường Bàn Thạch",
    ] {
        assert!(me.body.contains(shown), "{shown}: {}", me.body);
    }
    let status = |html: &str, key: &str| {
        let at = html.find(&format!("id=\"status-{key}\">")).expect(key);
        html[at..]
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(status(&me.body, "value_chain"), "Chưa được tính");
    assert_eq!(status(&me.body, "modern_channel"), "Chưa được tính");
    assert!(
        me.body
            .contains("Chờ cán bộ Sở thẩm định chứng nhận đã nộp"),
        "{}",
        me.body
    );
    assert!(
        me.body.contains("Đăng ký kênh bán hàng hiện đại"),
        "{}",
        me.body
    );
    for notice in [
        "Công nhận OCOP 3 sao của sản phẩm &#34;Tinh dầu quế&#34; hết hiệu lực ngày",
        "Giấy chứng nhận VG-88 hết hạn ngày",
        "Chứng nhận GG-5 bị từ chối ngày",
        "Lý do: bản chụp không đọc được",
    ] {
        assert!(me.body.contains(notice), "{notice}: {}", me.body);
    }

    // The owner keeps its contact data current: a refusal names each field next to it, keeps
    // what was typed and saves nothing; a valid form saves through the API's own edit.
    let before = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    let csrf = csrf_of(&me.body);
    let version = before.body["version"].to_string();
    let refused = form(
        &client,
        "/me/contact",
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("address", "Thôn 2, xã Trà Giác"),
            ("representative", "Trần Thị Quế"),
            ("phone", "12"),
            ("email", "không phải thư"),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::Ok, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("id=\"error-phone\">phải là số điện thoại Việt Nam"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("id=\"error-address\""));
    assert!(refused.body.contains("value=\"Thôn 2, xã Trà Giác\""));
    let refused = form(
        &client,
        "/me/contact",
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("address", "Thôn 2, xã Trà Giác"),
            ("representative", "Trần Thị Quế"),
            ("phone", "0235 3 852 123"),
            ("email", "không phải thư"),
        ],
    )
    .await;
    assert!(
        refused.body.contains("id=\"error-email\""),
        "{}",
        refused.body
    );
    let unchanged = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(
        unchanged.body["version"], before.body["version"],
        "nothing saved"
    );
    let saved = form(
        &client,
        "/me/contact",
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("address", "Thôn 2, xã Trà Giác"),
            ("representative", "Trần Thị Quế"),
            ("phone", "0235 3 852 123"),
            ("email", "htx.quetramy@example.vn"),
        ],
    )
    .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/me?saved=true"),
        "{}",
        saved.body
    );
    let after = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(after.body["address"], "Thôn 2, xã Trà Giác");
    assert_eq!(after.body["email"], "htx.quetramy@example.vn");
    let trail = app.audit_of(&sid.to_string()).await;
    assert_eq!(
        trail.last().unwrap()["actor"]["name"],
        "Trần Thị Quế (htx.quetramy)"
    );
    // Without the form's token nothing is saved.
    let forged = form(
        &client,
        "/me/contact",
        &[
            ("csrf", "x"),
            ("version", "1"),
            ("address", ""),
            ("representative", ""),
            ("phone", ""),
            ("email", ""),
        ],
    )
    .await;
    assert_ne!(forged.status, Status::SeeOther);
    let still = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(still.body["address"], "Thôn 2, xã Trà Giác");

    // The auditor verifies the certificate: the subject counts, as the drill-down says.
    let r = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&cert.body)),
            Some(&admin),
            &json!({"to": "verified", "reason": "đối chiếu bản gốc", "effective_on": day(0)}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{:?}", r.body);
    let me = page(&client, "/me").await;
    assert_eq!(status(&me.body, "value_chain"), "Được tính");
    assert_eq!(status(&me.body, "modern_channel"), "Chưa được tính");
    // Today the commune lies in Đà Nẵng (Quảng Nam merged into it on 2025-07-01).
    let province = app
        .get(
            &format!("/api/v1/units?code=48&on={}", day(0)),
            Some(&admin),
        )
        .await;
    let province = province.body["items"][0]["id"].as_str().unwrap().to_owned();
    let drill = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={province}&as_of={}&per_page=500",
                day(0)
            ),
            Some(&admin),
        )
        .await;
    let mine = drill.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"]["id"] == s["id"])
        .unwrap_or_else(|| panic!("{:?}", drill.body));
    assert_eq!(mine["value_chain"]["counts"], true);
    assert_eq!(mine["modern_channel"]["counts"], false);

    // The page is the owner's: staff have their own pages.
    let staff = app.another_instance().await.0;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.dn", "role": "auditor", "unit_id": province, "display_name": "Lê Văn Kiểm"}),
    )
    .await;
    sign_in_and_change(&staff, "kiemtra.dn", &otp, "mật khẩu kiểm tra 2025").await;
    assert_eq!(page(&staff, "/me").await.status, Status::Forbidden);
}

/// A page read as a browser asks for it (`Accept: text/html`).
async fn browse(client: &Client, path: &str) -> Html {
    read(
        client
            .get(path.to_owned())
            .header(Header::new(
                "Accept",
                "text/html,application/xhtml+xml,*/*;q=0.8",
            ))
            .dispatch()
            .await,
    )
    .await
}

#[rocket::async_test]
async fn every_sign_in_lands_where_the_person_works_and_a_refusal_keeps_the_signed_in_header() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau Tân Thạnh").await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "htx.rau", "role": "owner", "subject_id": s["id"],
               "display_name": "Lê Văn Rau"}),
    )
    .await;
    let otp_auditor = account(
        &app,
        &admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Lê Văn Kiểm"}),
    )
    .await;
    let owner_pw = "rau sạch Tân Thạnh 2025";
    let auditor_pw = "mật khẩu mới đủ dài";
    sign_in_and_change(&app.client, "htx.rau", &otp, owner_pw).await;
    let other = app.another_instance().await.0;
    sign_in_and_change(&other, "kiemtra.tamky", &otp_auditor, auditor_pw).await;

    // The owner signs in again and again from the plain sign-in page: its own page each time.
    for _ in 0..2 {
        let out = page(&app.client, "/me").await;
        form(&app.client, "/logout", &[("csrf", &csrf_of(&out.body))]).await;
        let res = sign_in(&app.client, "htx.rau", owner_pw).await;
        assert_eq!(res.status, Status::SeeOther, "{}", res.body);
        assert_eq!(res.location.as_deref(), Some("/me"));
        let me = page(&app.client, "/me").await;
        assert_eq!(me.status, Status::Ok, "{}", me.body);
    }
    // Sent to a staff page, it still lands on its own; sent to a page it may open, there.
    for (next, lands) in [
        ("/dashboard", "/me"),
        ("/queue?tab=channels", "/me"),
        ("/p/123", "/p/123"),
        ("/me", "/me"),
    ] {
        let out = page(&app.client, "/me").await;
        form(&app.client, "/logout", &[("csrf", &csrf_of(&out.body))]).await;
        let login = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let res = sign_in_from(&app.client, &login, "htx.rau", owner_pw).await;
        assert_eq!(res.location.as_deref(), Some(lands), "next {next}");
    }
    // Staff land on the dashboard, or on the staff page they were sent to, never on /me.
    for (next, lands) in [
        ("", "/dashboard"),
        ("/queue", "/queue"),
        ("/me", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
    ] {
        let out = page(&other, "/dashboard").await;
        form(&other, "/logout", &[("csrf", &csrf_of(&out.body))]).await;
        let login = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        let res = sign_in_from(&other, &login, "kiemtra.tamky", auditor_pw).await;
        assert_eq!(res.location.as_deref(), Some(lands), "next {next:?}");
    }
    // A `next` that is no URI (a space, a control character) is no place to go, not a 500.
    for next in ["/dash board", "/dash\u{1}board", "/\u{7f}"] {
        let out = page(&other, "/dashboard").await;
        form(&other, "/logout", &[("csrf", &csrf_of(&out.body))]).await;
        let login = page(&other, "/login").await;
        let res = form(
            &other,
            "/login",
            &[
                ("username", "kiemtra.tamky"),
                ("password", auditor_pw),
                ("csrf", &csrf_of(&login.body)),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(res.status, Status::SeeOther, "next {next:?}: {}", res.body);
        assert_eq!(res.location.as_deref(), Some("/dashboard"), "next {next:?}");
    }

    // An owner who opens a staff page reads a plain refusal under its own signed-in header,
    // with a way back to its page; no role or token words.
    let res = browse(&app.client, "/dashboard").await;
    assert_eq!(res.status, Status::Forbidden);
    assert!(
        res.body.contains("Bạn không có quyền xem trang này."),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("Đang đăng nhập: Lê Văn Rau"),
        "{}",
        res.body
    );
    assert!(res.body.contains("id=\"sign-out\""), "{}", res.body);
    assert!(!res.body.contains("id=\"sign-in-link\""), "{}", res.body);
    assert!(
        res.body.contains("<a href=\"/me\" id=\"error-back\">"),
        "{}",
        res.body
    );
    for code in ["owner", "auditor", "admin", "mã truy cập"] {
        assert!(!res.body.contains(code), "{code} in {}", res.body);
    }
    // An unknown page is a page too, with the same header; the API keeps its JSON.
    let res = browse(&app.client, "/users").await;
    assert_eq!(res.status, Status::NotFound);
    assert!(
        res.body.contains("Không tìm thấy trang hoặc bản ghi."),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("Đang đăng nhập: Lê Văn Rau"),
        "{}",
        res.body
    );
    let res = browse(&app.client, "/api/v1/nothing-here").await;
    assert_eq!(res.status, Status::NotFound);
    let body: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(body["error"]["code"], "not_found");
    // Without a browser's Accept, an unknown path stays JSON (scripts, the contract).
    let res = page(&app.client, "/users").await;
    let body: Value = serde_json::from_str(&res.body).expect("JSON");
    assert_eq!(body["error"]["code"], "not_found");
}

/// The text between `start` and the next `end` in `html`.
fn between(html: &str, start: &str, end: &str) -> String {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    html[from..][..html[from..].find(end).unwrap()].to_owned()
}

#[rocket::async_test]
async fn staff_manage_accounts_in_the_browser_and_a_one_time_password_is_shown_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Tài Khoản").await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.qn2", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Lê Văn Thẩm"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.qn2", &otp, "mật khẩu mới đủ dài").await;

    // An auditor creates owners of its unit's subjects, nothing else.
    let list = page(c, "/accounts").await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    assert!(list.body.contains("HTX Tài Khoản"), "{}", list.body);
    assert!(!list.body.contains("value=\"admin\""), "{}", list.body);
    let csrf = csrf_of(&list.body);
    let sid = id_of(&s).to_string();
    let refused = form(
        c,
        "/accounts/new",
        &[
            ("csrf", &csrf),
            ("username", "quantri.moi"),
            ("display_name", "Quản Trị"),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(refused.status, Status::Forbidden, "{}", refused.body);
    let created = form(
        c,
        "/accounts/new",
        &[
            ("csrf", &csrf),
            ("username", "htx.taikhoan"),
            ("display_name", "Nguyễn Thị Chủ"),
            ("role", "owner"),
            ("subject_id", &sid),
        ],
    )
    .await;
    assert_eq!(created.status, Status::Ok, "{}", created.body);
    let first = between(&created.body, "class=\"secret\">", "</output>");
    assert!(first.len() >= 12, "{first}");
    // Shown once: the list does not show it again.
    assert!(!page(c, "/accounts").await.body.contains(&first));
    let row = between(
        &page(c, "/accounts?q=TAIKHOAN").await.body,
        "id=\"account-htx.taikhoan\"",
        "</tr>",
    );
    assert!(
        row.contains("Chủ thể OCOP") && row.contains("HTX Tài Khoản"),
        "{row}"
    );
    assert!(
        row.contains("Chưa đổi mật khẩu một lần") && row.contains("Chưa đăng nhập"),
        "{row}"
    );

    // The owner signs in elsewhere; disabling the account ends that session and tells the
    // owner, with its right password, that the account is disabled.
    let (owner, _) = app.another_instance().await;
    assert_eq!(
        sign_in(&owner, "htx.taikhoan", &first).await.status,
        Status::SeeOther
    );
    let user = app.get("/api/v1/users?q=htx.taikhoan", Some(&admin)).await;
    assert_eq!(user.body["total"], 1, "{:?}", user.body);
    assert!(
        user.body["items"][0]["last_sign_in_at"].is_string(),
        "{:?}",
        user.body
    );
    let uid = id_of(&user.body["items"][0]).to_string();
    let off = form(c, &format!("/accounts/{uid}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(
        off.location.as_deref(),
        Some("/accounts?done=disabled"),
        "{}",
        off.body
    );
    let row = between(
        &page(c, "/accounts").await.body,
        "id=\"account-htx.taikhoan\"",
        "</tr>",
    );
    assert!(row.contains("Đã khóa"), "{row}");
    assert_eq!(page(&owner, "/password").await.status, Status::SeeOther);
    let res = sign_in(&owner, "htx.taikhoan", &first).await;
    assert_eq!(res.status, Status::Forbidden);

    // Enabled again and given a new one-time password: the old one no longer opens it.
    let on = form(c, &format!("/accounts/{uid}/enable"), &[("csrf", &csrf)]).await;
    assert_eq!(on.location.as_deref(), Some("/accounts?done=enabled"));
    let reset = form(c, &format!("/accounts/{uid}/reset"), &[("csrf", &csrf)]).await;
    assert_eq!(reset.status, Status::Ok, "{}", reset.body);
    let second = between(&reset.body, "class=\"secret\">", "</output>");
    assert_ne!(first, second);
    assert_eq!(
        sign_in(&owner, "htx.taikhoan", &first).await.status,
        Status::Unauthorized
    );
    sign_in_and_change(&owner, "htx.taikhoan", &second, "mật khẩu của chủ thể 2026").await;
    // Every step is in the audit trail under the auditor's name.
    let trail = app
        .get(
            &format!("/api/v1/audit?entity=user&entity_id={uid}"),
            Some(&admin),
        )
        .await;
    let text = trail.body.to_string();
    for action in ["create", "update", "reset_password"] {
        assert!(text.contains(action), "{action}: {text}");
    }
    assert!(text.contains("kiemtra.qn2"), "{text}");

    // An owner has no accounts page.
    assert_eq!(page(&owner, "/accounts").await.status, Status::Forbidden);
}

#[rocket::async_test]
async fn connecting_a_shop_the_registry_cannot_connect_says_so_before_leaving() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Chưa Kết Nối").await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "htx.chuaketnoi", "role": "owner", "subject_id": s["id"],
               "display_name": "Trần Văn Bán"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "htx.chuaketnoi", &otp, "mật khẩu chủ thể mới 2026").await;
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "marketplace", "platform": "Shopee", "shop_url": "https://shopee.vn/chua.ket.noi"}),
        )
        .await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let csrf = csrf_of(&page(c, "/me").await.body);
    let confirm = form(
        c,
        &format!("/me/channels/{}/connect", id_of(&ch.body)),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(confirm.status, Status::Ok, "{}", confirm.body);
    assert!(confirm.body.contains("<strong>HTX Chưa Kết Nối</strong>"));
    assert!(
        confirm.body.contains("id=\"connect-unavailable\""),
        "{}",
        confirm.body
    );
    assert!(
        !confirm.body.contains("id=\"connect-go\""),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("Shopee ·"), "{}", confirm.body);
}

#[rocket::async_test]
async fn staff_find_a_subject_and_open_its_whole_file() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Trà Sâm Tam Kỳ")
        .await;
    let p = app.seed_product(&admin, &s, "Trà sâm túi lọc").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2022-12-10", 3)
        .await;
    // Elsewhere: Hà Nội's subjects are not the Quảng Nam auditor's.
    let far = app.seed_subject(&admin, "00004", "HTX Hà Nội").await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.hoso", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Trần Văn Hồ Sơ"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.hoso", &otp, "mật khẩu mới đủ dài").await;

    // Found by words typed without diacritics, in the unit typed by its code; linked.
    let list = page(c, "/subjects?q=tra%20sam&unit=49").await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    let link = format!("href=\"/subjects/{}\"", id_of(&s));
    assert!(list.body.contains(&link), "{}", list.body);
    assert!(!list.body.contains("HTX Hà Nội"), "{}", list.body);
    // Its Excel file downloads from the page's own session (the API wants a token).
    assert!(
        list.body
            .contains("href=\"/subjects/export?q=tra+sam&#38;unit=49"),
        "{}",
        list.body
    );
    let file = c
        .get("/subjects/export?q=tra%20sam&unit=49")
        .dispatch()
        .await;
    assert_eq!(file.status(), Status::Ok);
    let bytes = file.into_bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX file");
    // A page number past any list is an empty page, never a fault.
    for far in [
        "/subjects?page=9223372036854775807",
        "/reports?page=18446744073709551615",
        "/accounts?page=9223372036854775808",
    ] {
        let res = page(c, far).await;
        assert!(res.status.code < 500, "{far}: {}", res.body);
    }
    let refused = page(c, "/subjects?legal_form=guild").await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );

    // Its file: profile, products with recognitions, verdicts on a chosen day, audit trail.
    let file = page(c, &format!("/subjects/{}?date=30/06/2023", id_of(&s))).await;
    assert_eq!(file.status, Status::Ok, "{}", file.body);
    for expected in [
        "HTX Trà Sâm Tam Kỳ",
        "Trà sâm túi lọc",
        "QĐ 1",
        "30/06/2023",
        "id=\"verdict-value_chain\"",
        "id=\"trail\"",
        "Tạo mới sản phẩm",
        // Printed, it carries the signatures a Vietnamese report has.
        "Người lập biểu",
        "Thủ trưởng đơn vị",
    ] {
        assert!(file.body.contains(expected), "{expected}: {}", file.body);
    }
    let bad_day = page(c, &format!("/subjects/{}?date=31/02/2023", id_of(&s))).await;
    assert_eq!(bad_day.status, Status::UnprocessableEntity);
    // Out of the auditor's unit: refused, as in the API, without its name.
    let other = page(c, &format!("/subjects/{}", id_of(&far))).await;
    assert_eq!(other.status, Status::Forbidden, "{}", other.body);
    assert!(!other.body.contains("HTX Hà Nội"));

    // The work queue's and the drill-down's subject names link to the file.
    app.post(
        &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
        Some(&admin),
        &json!({"scheme": "vietgap", "certificate_no": "VG-1", "issuer": "Trung tâm",
                "issued_on": "2024-01-10", "expires_on": "2026-01-10"}),
    )
    .await;
    let queue = page(c, "/queue").await;
    assert!(queue.body.contains(&link), "{}", queue.body);
    // After the reform the auditor of Quảng Nam lands on what it became, told so, and is not
    // offered a unit above its reach.
    let landed = page(c, "/dashboard?date=01/08/2025").await;
    assert_eq!(landed.status, Status::Ok, "{}", landed.body);
    assert!(
        landed
            .body
            .contains("Số liệu dưới đây là của đơn vị kế thừa: Thành phố Đà Nẵng"),
        "{}",
        landed.body
    );
    assert!(landed.body.contains("id=\"summary\""), "{}", landed.body);
    assert!(!landed.body.contains("id=\"up\""), "{}", landed.body);
    // The dashboard prints on A4 with the signature block.
    let dashboard = page(c, "/dashboard?unit=502&date=30/06/2023").await;
    assert!(
        dashboard.body.contains("id=\"signatures\""),
        "{}",
        dashboard.body
    );
    // The unit field offers the provinces of the day and the unit's own children by name.
    assert!(
        dashboard
            .body
            .contains("<option value=\"49\">Tỉnh Quảng Nam</option>"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains("<option value=\"20335\">"),
        "{}",
        dashboard.body
    );
    let css = page(c, "/static/app.css").await;
    assert!(css.body.contains("@page { size: A4"), "{}", css.body);
}

#[rocket::async_test]
async fn an_auditor_completes_one_draft_and_discards_another_from_the_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tam_ky = unit("district", "502", None);
    let draft = |name: &str| {
        json!({"entity": "subject", "unit_id": tam_ky,
               "data": {"name": name, "legal_form": "cooperative", "woman_led": true}})
    };
    let first = app
        .post("/api/v1/drafts", Some(&admin), &draft("HTX Nháp Một"))
        .await;
    assert_eq!(first.status, Status::Created, "{:?}", first.body);
    let second = app
        .post("/api/v1/drafts", Some(&admin), &draft("HTX Trùng Lặp"))
        .await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.nhap", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Võ Thị Nháp"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.nhap", &otp, "mật khẩu mới đủ dài").await;

    // Listed with what each lacks, in words.
    let list = page(c, "/drafts?unit=49").await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    for expected in [
        "HTX Nháp Một",
        "HTX Trùng Lặp",
        "Xã/phường",
        "Mã số thuế",
        "Hợp tác xã",
        "<dt>Do phụ nữ làm chủ</dt><dd>Có</dd>",
        // The hint says a name serves as well as a code.
        "Mã hoặc tên xã/phường",
    ] {
        assert!(list.body.contains(expected), "{expected}: {}", list.body);
    }
    assert!(!list.body.contains("woman_led"), "{}", list.body);
    let csrf = csrf_of(&list.body);
    let first_id = id_of(&first.body).to_string();

    // A commune code that is not one: refused on the draft, nothing written.
    let refused = form(
        c,
        &format!("/drafts/{first_id}"),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("commune_id", "99999"),
            ("tax_code", "4000101453"),
        ],
    )
    .await;
    assert!(
        refused.status.code >= 400 && refused.status.code < 500,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!("id=\"error-{first_id}\"")),
        "{}",
        refused.body
    );
    assert_eq!(app.count("subject").await, 0);

    // Completed: the subject is registered.
    let done = form(
        c,
        &format!("/drafts/{first_id}"),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("commune_id", "20335"),
            ("tax_code", "4000101453"),
        ],
    )
    .await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    assert_eq!(app.count("subject").await, 1);

    // Discarded with a reason (none: refused), kept closed, the reason in the audit trail.
    let second_id = id_of(&second.body).to_string();
    let no_reason = form(
        c,
        &format!("/drafts/{second_id}/discard"),
        &[("csrf", &csrf), ("version", "1"), ("reason", " ")],
    )
    .await;
    assert_eq!(
        no_reason.status,
        Status::UnprocessableEntity,
        "{}",
        no_reason.body
    );
    let discarded = form(
        c,
        &format!("/drafts/{second_id}/discard"),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("reason", "Trùng với HTX Nháp Một"),
        ],
    )
    .await;
    assert_eq!(discarded.status, Status::SeeOther, "{}", discarded.body);
    let gone = page(c, "/drafts").await;
    assert!(gone.body.contains("id=\"drafts-none\""), "{}", gone.body);
    let closed = app
        .get("/api/v1/drafts?status=discarded", Some(&admin))
        .await;
    assert_eq!(closed.body["total"], 1, "{:?}", closed.body);
    let audit = app.audit_of(&second_id).await;
    assert_eq!(audit.last().unwrap()["action"], "discard");
    assert_eq!(
        audit.last().unwrap()["after"]["reason"],
        "Trùng với HTX Nháp Một"
    );
    // Twice is a conflict.
    let again = app
        .post(
            &format!("/api/v1/drafts/{second_id}/discard"),
            Some(&admin),
            &json!({"reason": "lần nữa"}),
        )
        .await;
    assert_eq!(again.status, Status::Conflict, "{:?}", again.body);

    // A draft from a list shows the row's own words: the commune as the file wrote it.
    let quang_nam = unit("province", "49", None);
    let imported = app
        .upload(
            &format!("/api/v1/imports?kind=subjects&on=2025-06-30&unit_id={quang_nam}"),
            &admin,
            "Tên chủ thể,Loại hình,Xã/Phường\nHTX Từ Tệp,HTX,Xã Không Có Thật\n"
                .as_bytes()
                .to_vec(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(imported.body["drafts"], 1, "{:?}", imported.body);
    let list = page(c, "/drafts?unit=49").await;
    assert!(
        list.body.contains("<dt>Dòng 2 của tệp</dt>")
            && list.body.contains("Xã/Phường: Xã Không Có Thật"),
        "{}",
        list.body
    );
}

#[rocket::async_test]
async fn an_administrator_cannot_lock_itself_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "quantri.duynhat", "role": "admin", "display_name": "Quản Trị Duy Nhất"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "quantri.duynhat", &otp, "mật khẩu mới đủ dài").await;
    let me = app
        .get("/api/v1/users?q=quantri.duynhat", Some(&admin))
        .await;
    let my_id = me.body["items"][0]["id"].as_str().unwrap().to_owned();
    let list = page(c, "/accounts").await;
    // Its own row offers no lock; sent anyway, it is refused.
    assert!(
        !list.body.contains("id=\"disable-quantri.duynhat\""),
        "{}",
        list.body
    );
    let csrf = csrf_of(&list.body);
    let refused = form(c, &format!("/accounts/{my_id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, Status::Conflict, "{}", refused.body);
    assert!(
        refused.body.contains("không thể tự khóa"),
        "{}",
        refused.body
    );
    let still = app
        .get("/api/v1/users?q=quantri.duynhat", Some(&admin))
        .await;
    assert_eq!(
        still.body["items"][0]["disabled"], false,
        "{:?}",
        still.body
    );
    assert_eq!(
        page(c, "/accounts").await.status,
        Status::Ok,
        "still signed in"
    );
}

/// A tab with more waiting than a page shows pages on; the tab's count is all of them.
#[rocket::async_test]
async fn a_queue_tab_longer_than_a_page_pages_on() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Kênh").await;
    let owner = app.owner_of(&s).await;
    for i in 0..51 {
        let res = app
            .post(
                &format!("/api/v1/subjects/{}/channels", id_of(&s)),
                Some(&owner),
                &json!({"kind": "supermarket_chain", "platform": format!("Siêu thị số {i}")}),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
    }
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.tinh", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Lê Văn Tỉnh"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.tinh", &otp, "mật khẩu mới đủ dài").await;
    let items = |html: &str| html.matches("class=\"queue-item\"").count();
    let first = page(&app.client, "/queue?tab=channels").await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    assert!(
        first.body.contains("<span class=\"count\">(51)</span>"),
        "{}",
        first.body
    );
    assert_eq!(items(&first.body), 50);
    assert!(
        first
            .body
            .contains("href=\"/queue?tab=channels&#38;page=2\" rel=\"next\""),
        "{}",
        first.body
    );
    assert!(!first.body.contains("rel=\"prev\""), "{}", first.body);
    let second = page(&app.client, "/queue?tab=channels&page=2").await;
    assert_eq!(items(&second.body), 1, "{}", second.body);
    assert!(
        second
            .body
            .contains("href=\"/queue?tab=channels&#38;page=1\" rel=\"prev\"")
    );
    assert!(!second.body.contains("rel=\"next\""), "{}", second.body);
    // A refused decision on page 2 shows page 2 again, the item's form keeping what was typed.
    let csrf = csrf_of(&second.body);
    let item = second.body.split("id=\"item-").nth(1).unwrap();
    let id = &item[..item.find('"').unwrap()];
    let refused = form(
        &app.client,
        &format!("/queue/channels/{id}"),
        &[
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("page", "2"),
            ("action", "verified"),
            ("effective_on", "31/02/2026"),
            ("reason", "Đã xem gian hàng"),
        ],
    )
    .await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!("id=\"item-{id}\"")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Đã xem gian hàng\""),
        "{}",
        refused.body
    );
}

//! Vietnamese all through (issue 31): every page each kind of person opens, and every kind of
//! refusal the API and the pages give, read in Vietnamese, carries no English word and no code of
//! the API (`issued_on`, `verified`, `value_chain`) — checked with the same word list as the
//! catalogue's own test (`ocop_registry::i18n::foreign_words`).

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of, unit};
use crate::pages::{account, csrf_of, form, page, sign_in_and_change};
use ocop_registry::i18n::foreign_words;

/// A page's text as a reader sees it: tags, style and script aside, entities read.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // What is never shown: the style sheet, scripts, the datalists' machine values.
    for hidden in ["<style", "<script"] {
        while let Some(at) = rest.find(hidden) {
            out.push_str(&rest[..at]);
            let close = format!("</{}>", &hidden[1..]);
            rest = rest[at..]
                .find(&close)
                .map_or("", |e| &rest[at + e + close.len()..]);
        }
    }
    out.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for ch in out.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}

/// A page as a browser asks for it (an unknown address answers an error page, not JSON).
async fn browse(client: &rocket::local::asynchronous::Client, path: &str) -> (Status, String) {
    let res = client
        .get(path.to_owned())
        .header(Header::new("Accept", "text/html,application/xhtml+xml"))
        .dispatch()
        .await;
    (res.status(), res.into_string().await.unwrap_or_default())
}

fn assert_vietnamese(what: &str, text: &str) {
    let foreign = foreign_words(text);
    assert!(foreign.is_empty(), "{what}: {foreign:?} in\n{text}");
}

/// Every message of an API refusal: its sentence and each field's rules.
fn refusal_texts(body: &Value) -> Vec<String> {
    let e = &body["error"];
    let mut out = vec![e["message"].as_str().unwrap_or_default().to_owned()];
    if let Some(fields) = e["fields"].as_object() {
        for rules in fields.values() {
            for r in rules.as_array().into_iter().flatten() {
                out.push(r.as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

#[rocket::async_test]
async fn every_page_and_every_refusal_reads_in_vietnamese() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Trà Sâm Tam Kỳ")
        .await;
    let sid = id_of(&s).to_string();
    let p = app.seed_product(&admin, &s, "Trà sâm túi lọc").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2022-12-10", 4)
        .await;
    for (path, body) in [
        (
            "certifications",
            json!({"scheme": "vietgap", "certificate_no": "VG-1", "issuer": "Trung tâm",
                   "issued_on": "2024-01-10", "expires_on": "2026-01-10"}),
        ),
        (
            "channels",
            json!({"kind": "marketplace", "platform": "shopee",
                   "shop_url": "https://shopee.vn/trasam", "active_from": "2024-01-01"}),
        ),
        (
            "areas",
            json!({"name": "Vùng sâm", "commune_id": commune("20335", None), "material": "Sâm",
                   "area_ha": "2.5", "tenure": "own"}),
        ),
    ] {
        let res = app
            .post(
                &format!("/api/v1/subjects/{sid}/{path}"),
                Some(&admin),
                &body,
            )
            .await;
        assert_eq!(res.status, Status::Created, "{path}: {}", res.body);
    }
    let auditor_otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.tiengviet", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Võ Thị Tiếng"}),
    )
    .await;
    let owner_otp = account(
        &app,
        &admin,
        json!({"username": "chu.tiengviet", "role": "owner", "subject_id": sid,
               "display_name": "Chủ Trà Sâm"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.tiengviet", &auditor_otp, "mật khẩu mới đủ dài").await;
    let freeze = page(c, "/dashboard?unit=49&date=30/06/2025").await;
    let csrf = csrf_of(&freeze.body);
    let frozen = form(
        c,
        "/reports",
        &[("csrf", &csrf), ("unit", "49"), ("date", "2025-06-30")],
    )
    .await;
    let report = frozen.location.clone().unwrap_or_default();

    // The department's pages.
    let mut paths = vec![
        "/dashboard?unit=49&date=30/06/2025".to_owned(),
        "/dashboard?date=01/08/2025".to_owned(),
        "/dashboard/subjects?unit=49&date=2025-06-30".to_owned(),
        "/dashboard/subjects?unit=49&date=2025-06-30&indicator=modern_channel&counts=false"
            .to_owned(),
        "/subjects".to_owned(),
        format!("/subjects/{sid}"),
        format!("/subjects/{sid}?date=30/06/2025"),
        "/drafts".to_owned(),
        "/queue".to_owned(),
        "/queue?tab=areas".to_owned(),
        "/queue?tab=channels".to_owned(),
        "/queue?tab=requests".to_owned(),
        "/reports".to_owned(),
        "/imports".to_owned(),
        "/accounts".to_owned(),
        "/units".to_owned(),
        "/units?q=tam%20ky&date=30/06/2025".to_owned(),
        "/no-such-page".to_owned(),
    ];
    if !report.is_empty() {
        paths.push(report.clone());
    }
    for path in &paths {
        let (status, body) = browse(c, path).await;
        assert!(status.code < 500, "{path}: {body}");
        assert_vietnamese(path, &text_of(&body));
    }
    // Refused forms, beside their fields.
    let subjects = page(c, "/subjects").await;
    let csrf = csrf_of(&subjects.body);
    for fields in [
        vec![
            ("f[name]", ""),
            ("f[legal_form]", "cooperative"),
            ("f[commune_id]", "x"),
        ],
        vec![
            ("f[name]", "HTX"),
            ("f[legal_form]", "enterprise"),
            ("f[commune_id]", "hoa"),
            ("f[founded_on]", "31/02/2020"),
        ],
        vec![
            ("f[name]", "HTX"),
            ("f[legal_form]", "enterprise"),
            ("f[tax_code]", "4000101454"),
            ("f[commune_id]", "20335"),
            ("f[email]", "khong-phai-email"),
            ("f[phone]", "12"),
        ],
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let res = form(c, "/subjects/new", &all).await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{}", res.body);
        assert_vietnamese("register refused", &text_of(&res.body));
    }
    let base = format!("/subjects/{sid}/forms");
    for (f, fields) in [
        (
            "recognition",
            vec![("f[stars]", "7"), ("f[decision_date]", "2099-01-01")],
        ),
        ("revoke", vec![("f[revoked_on]", "x")]),
        ("identity", vec![("f[name]", "Tên mới")]),
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let res = form(c, &format!("{base}/{f}"), &all).await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{f}: {}", res.body);
        assert_vietnamese(f, &text_of(&res.body));
    }

    // The owner's page and its refused forms; the public pages.
    let o = app.another_instance().await.0;
    sign_in_and_change(&o, "chu.tiengviet", &owner_otp, "mật khẩu chủ thể đủ dài").await;
    let me = page(&o, "/me").await;
    assert_vietnamese("/me", &text_of(&me.body));
    let (_, denied) = browse(&o, "/dashboard").await;
    assert_vietnamese("an owner on /dashboard", &text_of(&denied));
    let csrf = csrf_of(&me.body);
    for (f, fields) in [
        (
            "channel",
            vec![("f[kind]", "marketplace"), ("f[platform]", "shopee")],
        ),
        (
            "certification",
            vec![
                ("f[scheme]", "vietgap"),
                ("f[issued_on]", "10/01/2025"),
                ("f[expires_on]", "01/01/2024"),
            ],
        ),
        (
            "area",
            vec![
                ("f[name]", "Vùng"),
                ("f[area_ha]", "-1"),
                ("f[tenure]", "linked"),
            ],
        ),
        ("identity", vec![("f[effective_on]", "x")]),
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let res = form(&o, &format!("/me/forms/{f}"), &all).await;
        assert!(res.status.code < 500, "{f}: {}", res.body);
        assert!(res.body.contains("class=\"error\""), "{f}: {}", res.body);
        assert_vietnamese(f, &text_of(&res.body));
    }
    for path in [
        "/",
        "/?q=tra%20sam",
        &format!("/p/{}", id_of(&p)),
        "/p/khong-co",
    ] {
        let (_, body) = browse(&o, path).await;
        assert_vietnamese(path, &text_of(&body));
    }

    // The API's refusals, asked in Vietnamese.
    let cert_id = app
        .get(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&admin),
        )
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let channel_id = app
        .get(&format!("/api/v1/subjects/{sid}/channels"), Some(&admin))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad: Vec<(&str, String, Value)> = vec![
        ("POST", "/api/v1/subjects".into(), json!({})),
        (
            "POST",
            "/api/v1/subjects".into(),
            json!({"name": "", "legal_form": "guild", "tax_code": "123", "commune_id": "x"}),
        ),
        (
            "POST",
            "/api/v1/subjects".into(),
            json!({"name": "HTX", "legal_form": "cooperative", "commune_id": commune("20335", None),
                   "email": "x", "phone": "1", "founded_on": "2099-01-01"}),
        ),
        (
            "PATCH",
            format!("/api/v1/subjects/{sid}"),
            json!({"name": "Tên mới"}),
        ),
        (
            "POST",
            format!("/api/v1/subjects/{sid}/certifications"),
            json!({"scheme": "nope", "certificate_no": "", "issuer": "x",
                   "issued_on": "2025-01-10", "expires_on": "2024-01-10"}),
        ),
        (
            "POST",
            format!("/api/v1/subjects/{sid}/channels"),
            json!({"kind": "marketplace", "platform": "shopee",
                   "active_from": "2025-01-10", "active_to": "2024-01-10"}),
        ),
        (
            "POST",
            format!("/api/v1/subjects/{sid}/areas"),
            json!({"name": "V", "commune_id": commune("20335", None), "material": "x",
                   "area_ha": "-2", "tenure": "linked",
                   "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}),
        ),
        (
            "POST",
            format!("/api/v1/products/{}/recognitions", id_of(&p)),
            json!({"stars": 6, "decision_no": "", "decision_date": "2099-01-01",
                   "authority": "", "kind": "new", "potential_five_star": true}),
        ),
        (
            "POST",
            format!("/api/v1/certifications/{cert_id}/transitions"),
            json!({"to": "submitted", "reason": "", "effective_on": "2000-01-01"}),
        ),
        (
            "POST",
            format!("/api/v1/channels/{channel_id}/reject"),
            json!({"reason": "", "effective_on": "2099-01-01"}),
        ),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"username": "a", "role": "king", "display_name": ""}),
        ),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"username": "kiemtra.khac", "role": "auditor", "display_name": "Ai đó"}),
        ),
        (
            "GET",
            "/api/v1/indicators?unit_id=x&as_of=31/02/2025".into(),
            Value::Null,
        ),
        (
            "GET",
            format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&gap=no_channel",
                unit("province", "49", None)
            ),
            Value::Null,
        ),
        ("GET", "/api/v1/subjects/not-an-id".into(), Value::Null),
        ("GET", "/api/v1/units?level=planet".into(), Value::Null),
        (
            "POST",
            "/api/v1/policies".into(),
            json!({"validity_caps": {"nope": 500}}),
        ),
    ];
    for (method, path, body) in bad {
        let mut req = match method {
            "GET" => app.client.get(path.clone()),
            "PATCH" => app.client.patch(path.clone()),
            _ => app.client.post(path.clone()),
        };
        req = req
            .header(Header::new("Authorization", format!("Bearer {admin}")))
            .header(Header::new("Accept-Language", "vi"));
        if !body.is_null() {
            req = req.header(ContentType::JSON).body(body.to_string());
        }
        let res = req.dispatch().await;
        let status = res.status();
        let answer: Value = res.into_json().await.unwrap_or(Value::Null);
        assert!(
            (400..500).contains(&status.code),
            "{method} {path}: {status} {answer}"
        );
        for t in refusal_texts(&answer) {
            assert_vietnamese(&format!("{method} {path}"), &t);
        }
    }
}

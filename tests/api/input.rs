//! One strict door for input (api.md "Input rules that hold everywhere"): every write endpoint
//! gets the same bad inputs and answers each with the same status, naming the field, and
//! writes nothing — on SQLite and PostgreSQL alike.

use rocket::http::{ContentType, Header, Status};
use serde_json::{Value, json};

use crate::areas::area_body;
use crate::certifications::cert_body;
use crate::helpers::{TestApp, commune, id_of, subject_body, unit};

/// A write endpoint: method, path, a body it accepts, a text field that cannot be null, and
/// a date field when it has one.
struct Endpoint {
    method: &'static str,
    path: String,
    valid: Value,
    text: &'static str,
    date: Option<&'static str>,
}

async fn send(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: String,
) -> (Status, Value) {
    let req = match method {
        "POST" => app.client.post(path.to_owned()),
        "PATCH" => app.client.patch(path.to_owned()),
        _ => app.client.put(path.to_owned()),
    };
    let res = req
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(body)
        .dispatch()
        .await;
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn with(valid: &Value, field: &str, v: Value) -> Value {
    let mut b = valid.clone();
    b[field] = v;
    b
}

#[rocket::async_test]
async fn every_write_endpoint_refuses_the_same_bad_inputs_and_writes_nothing() {
    // Arrange: one record of every kind to edit.
    let app = TestApp::spawn_with(|c| c.quotas.auth_failures_per_minute = 0).await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Cửa Nghiêm").await;
    let s = id_of(&subject);
    let product = app.seed_product(&admin, &subject, "Trà sâm").await;
    let p = id_of(&product);
    let recognition = app
        .seed_recognition(&admin, &product, "QĐ 9", "2024-01-10", 4)
        .await;
    let area = app
        .post(
            &format!("/api/v1/subjects/{s}/areas"),
            Some(&admin),
            &area_body("Vùng A", "1.5"),
        )
        .await
        .body;
    let mut filed = cert_body("VG-1");
    filed["submitted_on"] = json!("2024-01-10");
    let cert = app
        .post(
            &format!("/api/v1/subjects/{s}/certifications"),
            Some(&admin),
            &filed,
        )
        .await
        .body;
    let channel = app
        .post(
            &format!("/api/v1/subjects/{s}/channels"),
            Some(&admin),
            &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "1",
                    "submitted_on": "2024-01-01"}),
        )
        .await
        .body;
    let scheme = app
        .post(
            "/api/v1/schemes",
            Some(&admin),
            &json!({"code": "ocop_green", "name": "OCOP xanh", "category": "green"}),
        )
        .await
        .body;
    let (a, c, ch, r) = (
        id_of(&area),
        id_of(&cert),
        id_of(&channel),
        id_of(&recognition),
    );
    let e = |method, path: String, valid: Value, text, date| Endpoint {
        method,
        path,
        valid,
        text,
        date,
    };
    let endpoints = vec![
        e(
            "POST",
            "/api/v1/subjects".into(),
            subject_body("HTX Mới", &commune("20335", None).to_string()),
            "name",
            Some("founded_on"),
        ),
        e(
            "PATCH",
            format!("/api/v1/subjects/{s}"),
            json!({"address": "Tam Kỳ", "founded_on": "2015-01-01"}),
            "name",
            Some("founded_on"),
        ),
        e(
            "POST",
            format!("/api/v1/subjects/{s}/products"),
            json!({"name": "Mật ong", "group": "food"}),
            "name",
            None,
        ),
        e(
            "PATCH",
            format!("/api/v1/products/{p}"),
            json!({"name": "Trà sâm túi lọc"}),
            "name",
            None,
        ),
        e(
            "POST",
            format!("/api/v1/products/{p}/recognitions"),
            json!({"stars": 3, "decision_no": "QĐ 10", "decision_date": "2024-02-01", "authority": "UBND tỉnh", "kind": "new"}),
            "decision_no",
            Some("decision_date"),
        ),
        e(
            "POST",
            format!("/api/v1/recognitions/{r}/revoke"),
            json!({"revoked_on": "2025-01-01", "decision_no": "QĐ 11", "reason": "vi phạm"}),
            "decision_no",
            Some("revoked_on"),
        ),
        e(
            "POST",
            format!("/api/v1/subjects/{s}/areas"),
            area_body("Vùng B", "2"),
            "name",
            Some("valid_from"),
        ),
        e(
            "PATCH",
            format!("/api/v1/areas/{a}"),
            json!({"area_ha": "2.5"}),
            "name",
            Some("valid_from"),
        ),
        e(
            "POST",
            format!("/api/v1/subjects/{s}/certifications"),
            cert_body("VG-2"),
            "certificate_no",
            Some("issued_on"),
        ),
        e(
            "PATCH",
            format!("/api/v1/certifications/{c}"),
            json!({"issuer": "QUACERT"}),
            "certificate_no",
            Some("expires_on"),
        ),
        e(
            "POST",
            format!("/api/v1/certifications/{c}/transitions"),
            json!({"to": "verified", "reason": "đủ hồ sơ", "effective_on": "2024-02-01"}),
            "reason",
            Some("effective_on"),
        ),
        e(
            "POST",
            format!("/api/v1/subjects/{s}/channels"),
            json!({"kind": "marketplace", "platform": "lazada", "shop_id": "2"}),
            "platform",
            Some("active_from"),
        ),
        e(
            "PATCH",
            format!("/api/v1/channels/{ch}"),
            json!({"active_from": "2024-01-01"}),
            "platform",
            Some("active_to"),
        ),
        e(
            "POST",
            format!("/api/v1/channels/{ch}/verify"),
            json!({"verified_on": "2024-03-01", "note": "đã xem gian hàng"}),
            "note",
            Some("verified_on"),
        ),
        e(
            "PUT",
            format!("/api/v1/channels/{ch}/connection"),
            json!({"connector": "shopee", "partner_id": "1", "shop_id": "1"}),
            "partner_id",
            None,
        ),
        e(
            "POST",
            "/api/v1/schemes".into(),
            json!({"code": "ocop_circular", "name": "Tuần hoàn", "category": "circular"}),
            "name",
            None,
        ),
        e(
            "PATCH",
            format!("/api/v1/schemes/{}", id_of(&scheme)),
            json!({"name": "OCOP xanh (2026)"}),
            "name",
            None,
        ),
        e(
            "POST",
            "/api/v1/policies".into(),
            json!({"channel_freshness_days": 60}),
            "value_chain_target",
            None,
        ),
        e(
            "POST",
            "/api/v1/reports".into(),
            json!({"unit_id": unit("province", "49", None), "as_of": "2025-06-30"}),
            "unit_id",
            Some("as_of"),
        ),
        e(
            "POST",
            "/api/v1/tokens".into(),
            json!({"role": "admin", "name": "kịch bản"}),
            "name",
            None,
        ),
    ];
    let audit_before = app.count("audit_log").await;
    let mut tried = 0;

    for ep in &endpoints {
        let mut cases: Vec<(String, Status, &str)> = vec![
            (format!("{} GARBAGE", ep.valid), Status::BadRequest, "body"),
            (
                format!("{}{}", ep.valid, ep.valid),
                Status::BadRequest,
                "body",
            ),
            (
                with(&ep.valid, "adress", json!("x")).to_string(),
                Status::UnprocessableEntity,
                "adress",
            ),
            (
                with(&ep.valid, ep.text, json!("a\u{0}b")).to_string(),
                Status::UnprocessableEntity,
                ep.text,
            ),
            (
                with(&ep.valid, ep.text, json!("a\u{1b}[31mb")).to_string(),
                Status::UnprocessableEntity,
                ep.text,
            ),
            (
                with(&ep.valid, ep.text, json!(5)).to_string(),
                Status::UnprocessableEntity,
                ep.text,
            ),
        ];
        // An optional note, or a token's label, may be null (it means "none" or "the
        // default"); a required or non-nullable field may not.
        if !(ep.text == "note" || ep.path.ends_with("/tokens")) {
            cases.push((
                with(&ep.valid, ep.text, Value::Null).to_string(),
                Status::UnprocessableEntity,
                ep.text,
            ));
        }
        if let Some(d) = ep.date {
            for bad in [
                "2024-2-3",
                "+262142-12-31",
                "0000-01-01",
                "1899-12-31",
                "2101-01-01",
                " 2024-01-01",
                "2024-01-01T00:00:00",
            ] {
                cases.push((
                    with(&ep.valid, d, json!(bad)).to_string(),
                    Status::UnprocessableEntity,
                    d,
                ));
            }
        }
        for (body, status, field) in cases {
            let (got, answer) = send(&app, &admin, ep.method, &ep.path, body.clone()).await;
            assert_eq!(got, status, "{} {} {body}: {answer}", ep.method, ep.path);
            let fields = answer["error"]["fields"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>());
            assert_eq!(
                fields,
                Some(vec![field.to_owned()]),
                "{} {} {body}: {answer}",
                ep.method,
                ep.path
            );
            tried += 1;
        }
    }
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "a refused request writes nothing"
    );

    // The same bodies, valid, are accepted: each refusal was the bad part's doing.
    for ep in &endpoints {
        let (got, answer) = send(&app, &admin, ep.method, &ep.path, ep.valid.to_string()).await;
        assert!(
            got.code < 300,
            "{} {} {}: {got} {answer}",
            ep.method,
            ep.path,
            ep.valid
        );
    }
    assert!(tried >= 229, "{tried} bad inputs tried");
}

#[rocket::async_test]
async fn decimals_are_written_without_sign_or_spaces_and_queries_refuse_control_characters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let subject = app.seed_subject(&admin, "20335", "HTX Số").await;
    for bad in [" 1", "1 ", "+1", "-1", "1e2"] {
        let res = app
            .post(
                &format!("/api/v1/subjects/{}/areas", id_of(&subject)),
                Some(&admin),
                &area_body("Vùng", bad),
            )
            .await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{bad:?}");
        assert_eq!(res.error_fields(), vec!["area_ha"], "{bad:?}");
    }
    for path in [
        "/api/v1/public/products?q=%00".to_owned(),
        "/api/v1/units?on=-9999-01-01".to_owned(),
        "/api/v1/units?on=2024-2-3".to_owned(),
        "/api/v1/subjects?q=tra%1F".to_owned(),
    ] {
        let res = app.get(&path, Some(&admin)).await;
        assert_eq!(res.status, Status::BadRequest, "{path}: {:?}", res.body);
        assert_eq!(res.error_code(), "bad_request");
    }
    assert_eq!(app.count("raw_material_area").await, 0);
    // A number where a code is expected: 422 naming the field, as for any wrong type.
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/products", id_of(&subject)),
            Some(&admin),
            &serde_json::json!({"name": "Trà", "group": 5}),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["group"]);
}

#[rocket::async_test]
async fn search_words_with_a_control_character_are_refused_naming_q_never_a_500() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (path, token) in [
        ("/api/v1/public/products?q=tr%00a", None),
        ("/api/v1/subjects?q=%00", Some(admin.as_str())),
        (
            "/api/v1/units?q=t%C3%A2n%0Ath%E1%BA%A1nh",
            Some(admin.as_str()),
        ),
    ] {
        let res = app.get(path, token).await;
        // A malformed query is a 400 (api.md), naming the parameter.
        assert_eq!(res.status, Status::BadRequest, "{path}: {:?}", res.body);
        assert_eq!(res.error_fields(), ["q"], "{path}");
    }
    // The search page says so too, as a page.
    let res = app
        .client
        .get("/?q=%00")
        .header(Header::new("Accept", "text/html"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.into_string().await.unwrap().contains("<html"));
}

#[rocket::async_test]
async fn no_json_body_geometry_or_form_decides_how_much_memory_the_server_takes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Vùng Lớn").await;
    let areas = format!("/api/v1/subjects/{}/areas", id_of(&s));
    let with_geometry = |g: String| {
        let mut body = crate::areas::area_body("Vùng bom", "1").to_string();
        body.truncate(body.len() - 1);
        format!("{body},\"geometry\":{g}}}")
    };
    let ring = |n: usize| {
        // n distinct vertices on a small circle around Tam Kỳ, closed.
        let mut v: Vec<String> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                format!(
                    "[{:.6},{:.6}]",
                    108.5 + 0.01 * a.cos(),
                    15.5 + 0.01 * a.sin()
                )
            })
            .collect();
        v.push(v[0].clone());
        format!("[{}]", v.join(","))
    };
    let bombs: Vec<(&str, String, Status)> = vec![
        (
            "a polygon of 20,000 vertices",
            with_geometry(format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[{}]}}",
                ring(20_000)
            )),
            Status::UnprocessableEntity,
        ),
        (
            "3,000 polygons of 4 vertices",
            with_geometry(format!(
                "{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}",
                vec![format!("[{}]", ring(3)); 3_000].join(",")
            )),
            Status::UnprocessableEntity,
        ),
        (
            "a polygon with 5,000 holes",
            with_geometry(format!(
                "{{\"type\":\"Polygon\",\"coordinates\":[{}]}}",
                vec![ring(3); 5_000].join(",")
            )),
            Status::UnprocessableEntity,
        ),
        (
            "coordinates nested 500 deep",
            with_geometry(format!(
                "{{\"type\":\"Polygon\",\"coordinates\":{}108.5{}}}",
                "[".repeat(500),
                "]".repeat(500)
            )),
            Status::BadRequest,
        ),
        (
            "a body of 2 MiB",
            with_geometry(format!(
                "{{\"type\":\"Point\",\"coordinates\":[108.5,15.5],\"pad\":\"{}\"}}",
                "x".repeat(2 * 1024 * 1024)
            )),
            Status::PayloadTooLarge,
        ),
    ];
    for (what, body, status) in bombs {
        let res = app.send_raw("POST", &areas, Some(&admin), body, None).await;
        assert_eq!(res.status, status, "{what}: {:?}", res.body);
        if status == Status::UnprocessableEntity {
            assert_eq!(res.error_fields(), ["geometry"], "{what}");
        }
    }
    // A form of a hundred thousand fields, to a page that reads three.
    let fields = (0..100_000)
        .map(|i| format!("f{i}=x"))
        .collect::<Vec<_>>()
        .join("&");
    let res = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(fields)
        .dispatch()
        .await;
    assert!(
        res.status().code >= 400 && res.status().code < 500,
        "{}",
        res.status()
    );
    // The same process still answers, and nothing was written.
    assert_eq!(app.get("/health", None).await.status, Status::Ok);
    assert_eq!(app.count("raw_material_area").await, 0);
}

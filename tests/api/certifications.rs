//! Certifications: validation, scope, the lifecycle matrix, owner edits, schemes.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::areas::area_body;
use crate::helpers::{TestApp, id_of, unit};

pub fn cert_body(no: &str) -> Value {
    json!({
        "scheme": "vietgap",
        "certificate_no": no,
        "issuer": "Trung tâm Chứng nhận Phù hợp QUACERT",
        "issued_on": "2024-01-10",
        "expires_on": "2026-01-10",
        "evidence_url": "https://docs.example.vn/vietgap/001.pdf",
        "evidence_sha256": "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
    })
}

async fn create(app: &TestApp, token: &str, subject: &Value, body: &Value) -> crate::helpers::Resp {
    app.post(
        &format!("/api/v1/subjects/{}/certifications", id_of(subject)),
        Some(token),
        body,
    )
    .await
}

async fn moves(
    app: &TestApp,
    token: &str,
    cert: &Value,
    to: &str,
    on: &str,
) -> crate::helpers::Resp {
    app.post(
        &format!("/api/v1/certifications/{}/transitions", id_of(cert)),
        Some(token),
        &json!({"to": to, "reason": format!("kiểm tra: {to}"), "effective_on": on}),
    )
    .await
}

#[rocket::async_test]
async fn certification_starts_submitted_with_history_and_warnings() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let owner = app.owner_of(&s).await;
    let mut body = cert_body("VG-001");
    // Issued two months ago by the registry's clock, claiming 28 months: not expired today.
    let issued = ocop_registry::clock::today() - chrono::Months::new(2);
    body["issued_on"] = json!(issued.to_string());
    body["expires_on"] = json!((issued + chrono::Months::new(28)).to_string());

    let res = create(&app, &owner, &s, &body).await;

    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let c = &res.body;
    assert_eq!(c["status"], "submitted");
    assert_eq!(c["category"], "green");
    assert_eq!(c["expired"], false);
    assert_eq!(
        c["evidence_sha256"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(c["history"].as_array().unwrap().len(), 1);
    assert_eq!(c["history"][0]["to"], "submitted");
    let warnings = c["warnings"].as_array().unwrap();
    assert_eq!(
        warnings.len(),
        1,
        "VietGAP claiming 28 months: {warnings:?}"
    );
    assert!(warnings[0].as_str().unwrap().contains("27 months"));

    let dup = create(&app, &owner, &s, &body).await;
    assert_eq!(dup.status, Status::Conflict);
}

#[rocket::async_test]
async fn every_certification_rule_is_rejected_with_422_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"scheme": "nonsense"}), "scheme"),
        (json!({"certificate_no": ""}), "certificate_no"),
        (json!({"issuer": ""}), "issuer"),
        (
            json!({"issued_on": "2099-01-01", "expires_on": "2099-06-01"}),
            "issued_on",
        ),
        (json!({"expires_on": "2024-01-10"}), "expires_on"),
        (json!({"expires_on": "2023-01-10"}), "expires_on"),
        (json!({"evidence_url": "ftp://x"}), "evidence_url"),
        (json!({"evidence_sha256": "abc"}), "evidence_sha256"),
        (json!({"evidence_sha256": null}), "evidence_sha256"),
        (json!({"product_id": uuid::Uuid::new_v4()}), "product_id"),
        (json!({"area_id": uuid::Uuid::new_v4()}), "area_id"),
    ];
    for (patch, field) in cases {
        let mut body = cert_body("VG-X");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = create(&app, &admin, &s, &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{patch}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{patch}");
    }
    assert_eq!(app.count("certification").await, 0);
    assert_eq!(app.count("status_event").await, 0);
}

#[rocket::async_test]
async fn certification_scoped_to_another_subjects_area_or_product_is_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Tôi").await;
    let theirs = app.seed_subject(&admin, "20335", "HTX Họ").await;
    let their_area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&theirs)),
            Some(&admin),
            &area_body("Vùng họ", "2"),
        )
        .await
        .body;
    let their_product = app.seed_product(&admin, &theirs, "Rau họ").await;
    let my_area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&mine)),
            Some(&admin),
            &area_body("Vùng tôi", "2"),
        )
        .await
        .body;
    let owner = app.owner_of(&mine).await;

    let mut body = cert_body("VG-2");
    body["area_id"] = their_area["id"].clone();
    let res = create(&app, &owner, &mine, &body).await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["area_id"]);
    body["area_id"] = my_area["id"].clone();
    body["product_id"] = their_product["id"].clone();
    let res = create(&app, &owner, &mine, &body).await;
    assert_eq!(res.error_fields(), vec!["product_id"]);
    body.as_object_mut().unwrap().remove("product_id");
    let ok = create(&app, &owner, &mine, &body).await;
    assert_eq!(ok.status, Status::Created, "{:?}", ok.body);
    assert_eq!(ok.body["area_id"], my_area["id"]);

    let moved = app
        .patch(
            &format!("/api/v1/certifications/{}", id_of(&ok.body)),
            Some(&owner),
            &json!({"area_id": their_area["id"]}),
            None,
        )
        .await;
    assert_eq!(moved.status, Status::UnprocessableEntity);
    assert_eq!(app.count("certification").await, 1);
}

/// Drives a new certification into `state`; dates ascend so every move is valid.
async fn in_state(app: &TestApp, token: &str, subject: &Value, state: &str, no: &str) -> Value {
    // Entered by the department, received when issued.
    let mut body = cert_body(no);
    body["submitted_on"] = json!("2024-01-10");
    let c = create(app, token, subject, &body).await.body;
    let path: &[&str] = match state {
        "submitted" => &[],
        "verified" => &["verified"],
        "rejected" => &["rejected"],
        "suspended" => &["verified", "suspended"],
        "revoked" => &["verified", "suspended", "revoked"],
        other => panic!("unknown state {other}"),
    };
    let mut last = c;
    for (i, to) in path.iter().enumerate() {
        let res = moves(app, token, &last, to, &format!("2024-0{}-01", i + 2)).await;
        assert_eq!(res.status, Status::Ok, "{to}: {:?}", res.body);
        last = res.body;
    }
    assert_eq!(last["status"], state);
    last
}

#[rocket::async_test]
async fn the_full_lifecycle_matrix_allows_exactly_the_legal_moves() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("district", "502", None)).await;
    let s = app.seed_subject(&admin, "20335", "HTX Ma trận").await;
    let legal = [
        ("submitted", "verified"),
        ("submitted", "rejected"),
        ("verified", "suspended"),
        ("suspended", "verified"),
        ("suspended", "revoked"),
    ];
    let mut n = 0;
    for from in ["submitted", "verified", "rejected", "suspended", "revoked"] {
        for to in ["verified", "rejected", "suspended", "revoked"] {
            n += 1;
            let c = in_state(&app, &auditor, &s, from, &format!("M-{n}")).await;
            let events_before = c["history"].as_array().unwrap().len();
            let res = moves(&app, &auditor, &c, to, "2024-06-01").await;
            if legal.contains(&(from, to)) {
                assert_eq!(res.status, Status::Ok, "{from} → {to}: {:?}", res.body);
                assert_eq!(res.body["status"], to);
                let h = res.body["history"].as_array().unwrap();
                assert_eq!(h.len(), events_before + 1);
                assert_eq!(h.last().unwrap()["from"], from);
                assert_eq!(h.last().unwrap()["effective_on"], "2024-06-01");
                assert_eq!(h.last().unwrap()["reason"], format!("kiểm tra: {to}"));
            } else {
                assert_eq!(
                    res.status,
                    Status::Conflict,
                    "{from} → {to}: {:?}",
                    res.body
                );
                let now = app
                    .get(
                        &format!("/api/v1/certifications/{}", id_of(&c)),
                        Some(&admin),
                    )
                    .await;
                assert_eq!(now.body, c, "{from} → {to} changed nothing");
            }
        }
    }
    // `submitted` is not a target, and a move may not predate the previous one.
    let c = in_state(&app, &auditor, &s, "verified", "M-last").await;
    let res = moves(&app, &auditor, &c, "submitted", "2024-06-01").await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["to"]);
    let res = moves(&app, &auditor, &c, "suspended", "2024-01-01").await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["effective_on"]);
    let res = moves(&app, &auditor, &c, "suspended", "2099-01-01").await;
    assert_eq!(res.error_fields(), vec!["effective_on"]);
}

#[rocket::async_test]
async fn owners_cannot_move_a_certification_and_outsiders_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Chủ").await;
    let owner = app.owner_of(&s).await;
    let c = create(&app, &owner, &s, &cert_body("O-1")).await.body;
    for to in ["verified", "rejected", "suspended", "revoked"] {
        let res = moves(&app, &owner, &c, to, "2024-06-01").await;
        assert_eq!(res.status, Status::Forbidden, "{to}");
    }
    let other_auditor = app.auditor(unit("district", "507", None)).await;
    let res = moves(&app, &other_auditor, &c, "verified", "2024-06-01").await;
    assert_eq!(res.status, Status::Forbidden);
    let now = app
        .get(
            &format!("/api/v1/certifications/{}", id_of(&c)),
            Some(&admin),
        )
        .await;
    assert_eq!(now.body, c);
}

#[rocket::async_test]
async fn owner_edit_of_a_key_field_sends_a_verified_certification_back_to_submitted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s = app.seed_subject(&admin, "20335", "HTX Sửa").await;
    let owner = app.owner_of(&s).await;
    let c = in_state(&app, &auditor, &s, "verified", "E-1").await;
    let path = format!("/api/v1/certifications/{}", id_of(&c));
    // A certificate always has its dates: null is refused, naming the field, and nothing moves.
    for field in ["issued_on", "expires_on"] {
        let res = app
            .patch(&path, Some(&owner), &json!({ field: null }), None)
            .await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{field}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), [field]);
    }
    assert_eq!(
        app.get(&path, Some(&admin)).await.body["status"],
        "verified"
    );

    // Every field of a certificate is a key field (docs/domain.md §7), its issuer included: the
    // owner's edit takes effect today, so re-verification can only be dated today.
    let today = ocop_registry::clock::today().to_string();
    for key in [
        json!({"issuer": "QUACERT Đà Nẵng"}),
        json!({"certificate_no": "E-1b"}),
        json!({"expires_on": "2025-12-31"}),
        json!({"scheme": "globalgap"}),
        json!({"evidence_url": "https://docs.example.vn/vietgap/002.pdf"}),
    ]
    .iter()
    {
        let current = app.get(&path, Some(&admin)).await.body;
        if current["status"] != "verified" {
            let res = moves(&app, &auditor, &current, "verified", &today).await;
            assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        }
        let res = app.patch(&path, Some(&owner), key, None).await;
        assert_eq!(res.status, Status::Ok, "{key}: {:?}", res.body);
        assert_eq!(res.body["status"], "submitted", "{key}");
        let last = res.body["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["from"], "verified");
        assert_eq!(last["to"], "submitted");
    }

    // An auditor's correction does not.
    let current = app.get(&path, Some(&admin)).await.body;
    let verified = moves(&app, &auditor, &current, "verified", &today)
        .await
        .body;
    let etag = verified["version"].to_string();
    let fixed = app
        .patch(
            &path,
            Some(&auditor),
            &json!({"certificate_no": "E-1c"}),
            Some(&etag),
        )
        .await;
    assert_eq!(fixed.status, Status::Ok, "{:?}", fixed.body);
    assert_eq!(fixed.body["status"], "verified");

    // A revoked certification cannot be edited.
    let r = in_state(&app, &auditor, &s, "revoked", "E-2").await;
    let res = app
        .patch(
            &format!("/api/v1/certifications/{}", id_of(&r)),
            Some(&owner),
            &json!({"issuer": "x"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Conflict);
}

#[rocket::async_test]
async fn owner_cannot_read_or_change_another_subjects_certifications() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Tôi").await;
    let theirs = app.seed_subject(&admin, "20335", "HTX Họ").await;
    let c = create(&app, &admin, &theirs, &cert_body("T-1")).await.body;
    let owner = app.owner_of(&mine).await;
    let id = id_of(&c);

    for res in [
        app.get(&format!("/api/v1/certifications/{id}"), Some(&owner))
            .await,
        app.get(
            &format!("/api/v1/subjects/{}/certifications", id_of(&theirs)),
            Some(&owner),
        )
        .await,
        app.patch(
            &format!("/api/v1/certifications/{id}"),
            Some(&owner),
            &json!({"issuer": "x"}),
            None,
        )
        .await,
        create(&app, &owner, &theirs, &cert_body("T-2")).await,
        moves(&app, &owner, &c, "verified", "2024-06-01").await,
    ] {
        assert_eq!(res.status, Status::NotFound, "{:?}", res.body);
    }
    assert_eq!(
        app.get(&format!("/api/v1/certifications/{id}"), Some(&admin))
            .await
            .body,
        c
    );
}

#[rocket::async_test]
async fn the_scheme_catalogue_is_seeded_and_only_admins_edit_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;

    let list = app.get("/api/v1/schemes", Some(&auditor)).await;
    assert_eq!(list.status, Status::Ok);
    let items = list.body["items"].as_array().unwrap();
    let cat = |code: &str| {
        items
            .iter()
            .find(|s| s["code"] == code)
            .map(|s| s["category"].clone())
            .unwrap()
    };
    assert_eq!(items.len(), 12);
    assert_eq!(cat("organic"), "green");
    assert_eq!(cat("circular_model"), "circular");
    assert_eq!(cat("haccp"), "quality");

    let new = json!({"code": "ocop_green", "name": "OCOP xanh", "category": "green"});
    assert_eq!(
        app.post("/api/v1/schemes", Some(&auditor), &new)
            .await
            .status,
        Status::Forbidden
    );
    let created = app.post("/api/v1/schemes", Some(&admin), &new).await;
    assert_eq!(created.status, Status::Created, "{:?}", created.body);
    assert_eq!(
        app.post("/api/v1/schemes", Some(&admin), &new).await.status,
        Status::Conflict
    );
    let bad = app
        .post(
            "/api/v1/schemes",
            Some(&admin),
            &json!({"code": "Bad Code", "name": "x", "category": "blue"}),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity);

    let haccp = items.iter().find(|s| s["code"] == "haccp").unwrap();
    let path = format!("/api/v1/schemes/{}", id_of(haccp));
    assert_eq!(
        app.patch(&path, Some(&auditor), &json!({"category": "green"}), None)
            .await
            .status,
        Status::Forbidden
    );
    let edited = app
        .patch(
            &path,
            Some(&admin),
            &json!({"max_validity_months": 36}),
            None,
        )
        .await;
    assert_eq!(edited.status, Status::Ok);
    assert_eq!(edited.body["max_validity_months"], 36);
    let audit = app.audit_of(&id_of(haccp).to_string()).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["before"]["max_validity_months"], Value::Null);
    // Auditors read catalogue changes in their trail.
    let seen = app.get("/api/v1/audit?entity=scheme", Some(&auditor)).await;
    assert_eq!(seen.body["total"], 2);
}

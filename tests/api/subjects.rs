//! Subjects: creation, validation, uniqueness, concurrency, search and scope.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of, subject_body, unit};

#[rocket::async_test]
async fn create_subject_returns_201_and_persists_with_one_audit_record() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut body = subject_body("HTX Trà sâm Tân Thạnh", &commune("20335", None).to_string());
    body["tax_code"] = json!("0100 233.488");
    body["phone"] = json!("+84 235 3851 234");

    // Act
    let res = app.post("/api/v1/subjects", Some(&admin), &body).await;

    // Assert
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.etag.as_deref(), Some("\"1\""));
    let s = &res.body;
    assert_eq!(s["tax_code"], "0100233488", "normalised");
    assert_eq!(s["phone"], "02353851234", "normalised");
    assert_eq!(s["commune"]["code"], "20335");
    assert_eq!(s["version"], 1);
    let fetched = app
        .get(&format!("/api/v1/subjects/{}", id_of(s)), Some(&admin))
        .await;
    assert_eq!(fetched.status, Status::Ok);
    assert_eq!(
        &fetched.body, s,
        "what the write returned is what is stored"
    );

    let audit = app.audit_of(&id_of(s).to_string()).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["action"], "create");
    assert_eq!(audit[0]["entity"], "subject");
    assert_eq!(audit[0]["before"], Value::Null);
    assert_eq!(&audit[0]["after"], s);
    assert_eq!(audit[0]["actor"]["role"], "admin");
}

/// Every field rule answers 422 naming the field, and writes nothing.
#[rocket::async_test]
async fn every_subject_rule_is_rejected_with_422_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let good = subject_body("HTX Mẫu", &commune("20335", None).to_string());
    let district = unit("district", "502", None).to_string();
    let long = "x".repeat(256);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("empty name", json!({"name": "   "}), "name"),
        ("long name", json!({"name": long}), "name"),
        (
            "unknown legal form",
            json!({"legal_form": "company"}),
            "legal_form",
        ),
        (
            "tax code check digit",
            json!({"tax_code": "0100233480"}),
            "tax_code",
        ),
        ("tax code shape", json!({"tax_code": "12345"}), "tax_code"),
        (
            "tax code all zero",
            json!({"tax_code": "0100000000"}),
            "tax_code",
        ),
        (
            "branch 000",
            json!({"tax_code": "0314409058-000"}),
            "tax_code",
        ),
        (
            "tax code letters",
            json!({"tax_code": "01002334A8"}),
            "tax_code",
        ),
        ("missing tax code", json!({"tax_code": null}), "tax_code"),
        (
            "personal id for a cooperative",
            json!({"tax_code": "049085012345"}),
            "tax_code",
        ),
        (
            "commune is a district",
            json!({"commune_id": district}),
            "commune_id",
        ),
        (
            "unknown commune",
            json!({"commune_id": uuid::Uuid::new_v4()}),
            "commune_id",
        ),
        (
            "commune not an id",
            json!({"commune_id": "Tân Thạnh"}),
            "commune_id",
        ),
        ("bad phone", json!({"phone": "0105 123 456"}), "phone"),
        ("short phone", json!({"phone": "12345"}), "phone"),
        ("bad email", json!({"email": "htx at example"}), "email"),
        (
            "future founding",
            json!({"founded_on": "2099-01-01"}),
            "founded_on",
        ),
        (
            "bad date",
            json!({"founded_on": "2020-02-30"}),
            "founded_on",
        ),
        (
            "woman_led not bool",
            json!({"woman_led": "yes"}),
            "woman_led",
        ),
        ("missing name", json!({"name": null}), "name"),
    ];
    for (what, patch, field) in cases {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() && k == "name" {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let res = app.post("/api/v1/subjects", Some(&admin), &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{what}: {:?}",
            res.body
        );
        assert_eq!(res.error_code(), "validation_failed", "{what}");
        assert!(
            res.error_fields().contains(&field.to_owned()),
            "{what}: {:?}",
            res.body
        );
    }
    assert_eq!(app.count("subject").await, 0);
    assert_eq!(
        app.count("audit_log").await,
        1,
        "only the admin token's creation"
    );

    // The same rules hold on PATCH, and nothing changes.
    let s = app.seed_subject(&admin, "20335", "HTX Đúng").await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));
    for (patch, field) in [
        (json!({"tax_code": "0100233480"}), "tax_code"),
        (json!({"tax_code": null}), "tax_code"),
        (
            json!({"legal_form": "enterprise", "tax_code": "049085012345"}),
            "tax_code",
        ),
        (json!({"phone": "999"}), "phone"),
        (json!({"name": ""}), "name"),
        (json!({"commune_id": district}), "commune_id"),
    ] {
        // Identity fields change with the day the change takes effect.
        let mut patch = patch;
        patch["effective_on"] = json!("2025-01-01");
        let res = app.patch(&path, Some(&admin), &patch, None).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{patch}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{patch}");
    }
    let after = app.get(&path, Some(&admin)).await;
    assert_eq!(after.body, s);
}

#[rocket::async_test]
async fn tax_code_rules_depend_on_legal_form() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let c = commune("20335", None).to_string();

    let mut household = subject_body("Hộ kinh doanh Lê Văn Tâm", &c);
    household["legal_form"] = json!("household_business");
    household["tax_code"] = json!("049 085 012 345");
    let res = app.post("/api/v1/subjects", Some(&admin), &household).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["tax_code"], "049085012345");

    let mut group = subject_body("Tổ hợp tác Mây tre", &c);
    group["legal_form"] = json!("cooperative_group");
    group.as_object_mut().unwrap().remove("tax_code");
    let res = app.post("/api/v1/subjects", Some(&admin), &group).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["tax_code"], Value::Null);

    let mut branch = subject_body("Chi nhánh Công ty", &c);
    branch["legal_form"] = json!("enterprise");
    branch["tax_code"] = json!("0314409058-002");
    let res = app.post("/api/v1/subjects", Some(&admin), &branch).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
}

#[rocket::async_test]
async fn duplicate_tax_code_is_409_on_create_and_patch() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let c = commune("20335", None).to_string();
    let mut first = subject_body("HTX Một", &c);
    first["tax_code"] = json!("0100233488");
    assert_eq!(
        app.post("/api/v1/subjects", Some(&admin), &first)
            .await
            .status,
        Status::Created
    );

    let mut second = subject_body("HTX Hai", &c);
    second["tax_code"] = json!("0100-233-488");
    let res = app.post("/api/v1/subjects", Some(&admin), &second).await;
    assert_eq!(res.status, Status::Conflict, "{:?}", res.body);
    assert_eq!(res.error_code(), "conflict");
    assert_eq!(app.count("subject").await, 1);

    let other = app.seed_subject(&admin, "20335", "HTX Ba").await;
    let res = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&other)),
            Some(&admin),
            &json!({"tax_code": "0100233488", "effective_on": "2025-01-01"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Conflict);
    let unchanged = app
        .get(&format!("/api/v1/subjects/{}", id_of(&other)), Some(&admin))
        .await;
    assert_eq!(unchanged.body, other);
}

#[rocket::async_test]
async fn stale_if_match_is_412_and_leaves_the_row_unchanged() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Phiên bản").await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));

    let first = app
        .patch(
            &path,
            Some(&admin),
            &json!({"address": "Thôn 2"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(first.status, Status::Ok, "{:?}", first.body);
    assert_eq!(first.etag.as_deref(), Some("\"2\""));
    assert_eq!(first.body["version"], 2);

    let stale = app
        .patch(
            &path,
            Some(&admin),
            &json!({"address": "Thôn 9"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
    assert_eq!(stale.error_code(), "precondition_failed");

    let now = app.get(&path, Some(&admin)).await;
    assert_eq!(now.body, first.body);
    assert_eq!(app.audit_of(&id_of(&s).to_string()).await.len(), 2);

    let bad = app
        .patch(
            &path,
            Some(&admin),
            &json!({"address": "x"}),
            Some("yesterday"),
        )
        .await;
    assert_eq!(bad.status, Status::BadRequest);
    // Half-quoted is no ETag of this API's either (schemathesis sent `50"`).
    for half in ["2\"", "\"2", "W/2", "W/\"2"] {
        let res = app
            .patch(&path, Some(&admin), &json!({"address": "x"}), Some(half))
            .await;
        assert_eq!(res.status, Status::BadRequest, "{half}");
    }
}

#[rocket::async_test]
async fn patch_records_before_and_after_and_a_no_op_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Cũ").await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));

    let res = app
        .patch(
            &path,
            Some(&admin),
            &json!({"name": "  HTX   Mới ", "email": null, "woman_led": false,
                    "effective_on": "2025-01-01"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["name"], "HTX Mới");
    assert_eq!(res.body["email"], Value::Null);
    assert_eq!(
        res.body["representative"], s["representative"],
        "absent fields stay"
    );

    let same = app
        .patch(&path, Some(&admin), &json!({"name": "HTX Mới"}), None)
        .await;
    assert_eq!(same.status, Status::Ok);
    assert_eq!(same.body["version"], 2, "no new version for a no-op");

    let audit = app.audit_of(&id_of(&s).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1]["action"], "update");
    assert_eq!(audit[1]["before"], s);
    assert_eq!(audit[1]["after"], res.body);
}

#[rocket::async_test]
async fn subject_search_ignores_case_and_accents_and_filters_by_unit_and_form() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.seed_subject(&admin, "20335", "HTX Trà sâm Tam Kỳ")
        .await;
    app.seed_subject(&admin, "20551", "HTX Rau sạch Điện Bàn")
        .await;
    let mut e = subject_body("Công ty Đường Điện", &commune("20551", None).to_string());
    e["legal_form"] = json!("enterprise");
    assert_eq!(
        app.post("/api/v1/subjects", Some(&admin), &e).await.status,
        Status::Created
    );

    let tra = app.get("/api/v1/subjects?q=tra%20sam", Some(&admin)).await;
    assert_eq!(tra.body["total"], 1);
    assert_eq!(tra.body["items"][0]["name"], "HTX Trà sâm Tam Kỳ");
    let dien = app.get("/api/v1/subjects?q=DIEN%20BAN", Some(&admin)).await;
    assert_eq!(dien.body["total"], 1);
    assert_eq!(dien.body["items"][0]["name"], "HTX Rau sạch Điện Bàn");
    let duong = app.get("/api/v1/subjects?q=duong", Some(&admin)).await;
    assert_eq!(duong.body["total"], 1, "đ folds to d");

    let dien_ban = unit("district", "507", None);
    let in_unit = app
        .get(
            &format!("/api/v1/subjects?unit_id={dien_ban}"),
            Some(&admin),
        )
        .await;
    assert_eq!(in_unit.body["total"], 2);
    let enterprises = app
        .get(
            &format!("/api/v1/subjects?unit_id={dien_ban}&legal_form=enterprise"),
            Some(&admin),
        )
        .await;
    assert_eq!(enterprises.body["total"], 1);

    // Across the reform: the new Đà Nẵng commune reaches subjects recorded in its predecessors.
    let ban_thach = commune("20335", Some("2025-07-01"));
    let new_unit = app
        .get(
            &format!("/api/v1/subjects?unit_id={ban_thach}"),
            Some(&admin),
        )
        .await;
    assert_eq!(new_unit.body["total"], 1);
    assert_eq!(new_unit.body["items"][0]["name"], "HTX Trà sâm Tam Kỳ");

    let paged = app
        .get("/api/v1/subjects?per_page=2&page=2", Some(&admin))
        .await;
    assert_eq!(paged.body["total"], 3);
    assert_eq!(paged.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged.body["page"], 2);
}

#[rocket::async_test]
async fn auditor_sees_and_edits_only_its_subtree() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let inside = app.seed_subject(&admin, "20335", "HTX Trong").await;
    let outside = app.seed_subject(&admin, "20551", "HTX Ngoài").await;

    let list = app.get("/api/v1/subjects", Some(&tam_ky)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], inside["id"]);

    let get = app
        .get(
            &format!("/api/v1/subjects/{}", id_of(&outside)),
            Some(&tam_ky),
        )
        .await;
    assert_eq!(get.status, Status::Forbidden);
    let patch = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&outside)),
            Some(&tam_ky),
            &json!({"address": "x"}),
            None,
        )
        .await;
    assert_eq!(patch.status, Status::Forbidden);
    let create = app
        .post(
            "/api/v1/subjects",
            Some(&tam_ky),
            &subject_body("HTX Mới", &commune("20551", None).to_string()),
        )
        .await;
    assert_eq!(create.status, Status::Forbidden);
    let unchanged = app
        .get(
            &format!("/api/v1/subjects/{}", id_of(&outside)),
            Some(&admin),
        )
        .await;
    assert_eq!(unchanged.body, outside);
    assert_eq!(app.count("subject").await, 2);

    // Inside: allowed, and the new Đà Nẵng commune its communes became counts as inside.
    let ok = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&inside)),
            Some(&tam_ky),
            &json!({"address": "Thôn 5"}),
            None,
        )
        .await;
    assert_eq!(ok.status, Status::Ok);
    let created = app
        .post(
            "/api/v1/subjects",
            Some(&tam_ky),
            &subject_body(
                "HTX Bàn Thạch",
                &commune("20335", Some("2025-07-01")).to_string(),
            ),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{:?}", created.body);
}

#[rocket::async_test]
async fn owners_cannot_create_subjects_and_see_only_their_own() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Của tôi").await;
    app.seed_subject(&admin, "20335", "HTX Người khác").await;
    let owner = app.owner_of(&mine).await;

    let list = app.get("/api/v1/subjects", Some(&owner)).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["items"][0]["id"], mine["id"]);
    let create = app
        .post(
            "/api/v1/subjects",
            Some(&owner),
            &subject_body("HTX Mới", &commune("20335", None).to_string()),
        )
        .await;
    assert_eq!(create.status, Status::Forbidden);
    let edit = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&mine)),
            Some(&owner),
            &json!({"phone": "0935 111 222"}),
            None,
        )
        .await;
    assert_eq!(edit.status, Status::Ok);
    assert_eq!(edit.body["phone"], "0935111222");
    let audit = app.audit_of(&id_of(&mine).to_string()).await;
    assert_eq!(audit[1]["actor"]["role"], "owner");
}

//! Products and recognitions.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of};

#[rocket::async_test]
async fn recognition_defaults_to_36_months_and_revocation_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà sâm").await;

    let r = app
        .post(
            &format!("/api/v1/products/{}/recognitions", id_of(&p)),
            Some(&admin),
            &json!({"stars": 4, "potential_five_star": true, "score": "87.50",
                    "decision_no": " 1234/QĐ-UBND ", "decision_date": "2022-01-31",
                    "authority": "UBND tỉnh Quảng Nam", "batch": "Đợt 1", "kind": "new"}),
        )
        .await;
    assert_eq!(r.status, Status::Created, "{:?}", r.body);
    assert_eq!(r.body["valid_until"], "2025-01-31");
    assert_eq!(r.body["score"], "87.5");
    assert_eq!(r.body["decision_no"], "1234/QĐ-UBND");
    assert_eq!(r.body["status"], "expired");
    assert_eq!(r.body["subject_id"], s["id"]);

    let leap = app
        .seed_recognition(&admin, &p, "5/QĐ", "2021-02-28", 3)
        .await;
    assert_eq!(leap["valid_until"], "2024-02-28");

    let dup = app
        .post(
            &format!("/api/v1/products/{}/recognitions", id_of(&p)),
            Some(&admin),
            &json!({"stars": 3, "decision_no": "1234/QĐ-UBND", "decision_date": "2023-01-01",
                    "authority": "UBND", "kind": "new"}),
        )
        .await;
    assert_eq!(dup.status, Status::Conflict);

    // Dates relative to the registry's clock: "recent" stays recent whenever the suite runs.
    let today = ocop_registry::clock::today();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let recent = app.seed_recognition(&admin, &p, "9/QĐ", &day(-60), 3).await;
    assert_eq!(recent["status"], "active");
    let path = format!("/api/v1/recognitions/{}/revoke", id_of(&recent));
    let too_early = app
        .post(
            &path,
            Some(&admin),
            &json!({"revoked_on": day(-90), "decision_no": "77/QĐ", "reason": "vi phạm"}),
        )
        .await;
    assert_eq!(too_early.status, Status::UnprocessableEntity);
    assert_eq!(too_early.error_fields(), vec!["revoked_on"]);
    let revoked = app
        .post(&path, Some(&admin), &json!({"revoked_on": day(-10), "decision_no": "77/QĐ", "reason": "Không duy trì chất lượng"}))
        .await;
    assert_eq!(revoked.status, Status::Ok, "{:?}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(revoked.body["revoked_on"], day(-10));
    assert_eq!(revoked.body["revocation_decision_no"], "77/QĐ");
    let again = app
        .post(
            &path,
            Some(&admin),
            &json!({"revoked_on": day(-5), "decision_no": "78/QĐ", "reason": "x"}),
        )
        .await;
    assert_eq!(again.status, Status::Conflict);

    let audit = app.audit_of(&id_of(&recent).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1]["action"], "revoke");
    assert_eq!(audit[1]["before"]["revoked_on"], Value::Null);
    assert_eq!(audit[1]["after"], revoked.body);

    let list = app
        .get(
            &format!("/api/v1/products/{}/recognitions", id_of(&p)),
            Some(&admin),
        )
        .await;
    assert_eq!(list.body["total"], 3);
    assert_eq!(
        list.body["items"][0]["decision_date"],
        day(-60),
        "newest first"
    );
}

#[rocket::async_test]
async fn every_product_and_recognition_rule_is_rejected_with_422_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Mẫu").await;
    let p = app.seed_product(&admin, &s, "Mì Quảng").await;
    let products_before = app.count("product").await;
    let audit_before = app.count("audit_log").await;

    let product_cases: Vec<(Value, &str)> = vec![
        (json!({"name": "", "group": "food"}), "name"),
        (json!({"name": "x".repeat(256), "group": "food"}), "name"),
        (json!({"name": "Mì", "group": "noodles"}), "group"),
        (json!({"group": "food"}), "name"),
        (
            json!({"name": "Mì", "group": "food", "description": "x".repeat(5001)}),
            "description",
        ),
    ];
    for (body, field) in product_cases {
        let res = app
            .post(
                &format!("/api/v1/subjects/{}/products", id_of(&s)),
                Some(&admin),
                &body,
            )
            .await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{body}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }
    let patch = app
        .patch(
            &format!("/api/v1/products/{}", id_of(&p)),
            Some(&admin),
            &json!({"group": "x"}),
            None,
        )
        .await;
    assert_eq!(patch.status, Status::UnprocessableEntity);

    let good = json!({"stars": 3, "decision_no": "1/QĐ", "decision_date": "2023-05-01",
                      "authority": "UBND tỉnh Quảng Nam", "kind": "new"});
    let recognition_cases: Vec<(Value, &str)> = vec![
        (json!({"stars": 2}), "stars"),
        (json!({"stars": 6}), "stars"),
        (json!({"stars": "three"}), "stars"),
        (json!({"score": "101"}), "score"),
        (json!({"score": "-1"}), "score"),
        (json!({"score": "87.555"}), "score"),
        (json!({"score": 87}), "score"),
        (json!({"decision_date": "2017-12-31"}), "decision_date"),
        (json!({"decision_date": "2099-01-01"}), "decision_date"),
        (json!({"decision_no": ""}), "decision_no"),
        (json!({"authority": " "}), "authority"),
        (json!({"kind": "renewal"}), "kind"),
        (json!({"valid_until": "2023-05-01"}), "valid_until"),
        (
            json!({"stars": 3, "potential_five_star": true}),
            "potential_five_star",
        ),
    ];
    for (patch, field) in recognition_cases {
        let mut body = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app
            .post(
                &format!("/api/v1/products/{}/recognitions", id_of(&p)),
                Some(&admin),
                &body,
            )
            .await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{patch}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{patch}");
    }
    let r = app
        .seed_recognition(&admin, &p, "2/QĐ", "2023-05-01", 3)
        .await;
    for (body, field) in [
        (
            json!({"revoked_on": "2099-01-01", "decision_no": "3/QĐ", "reason": "x"}),
            "revoked_on",
        ),
        (
            json!({"revoked_on": "2024-01-01", "decision_no": "", "reason": "x"}),
            "decision_no",
        ),
        (
            json!({"revoked_on": "2024-01-01", "decision_no": "3/QĐ", "reason": ""}),
            "reason",
        ),
    ] {
        let res = app
            .post(
                &format!("/api/v1/recognitions/{}/revoke", id_of(&r)),
                Some(&admin),
                &body,
            )
            .await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{body}");
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }

    assert_eq!(app.count("product").await, products_before);
    assert_eq!(app.count("recognition").await, 1);
    // One audit record more: the valid recognition.
    assert_eq!(app.count("audit_log").await, audit_before + 1);
    let unchanged = app
        .get(&format!("/api/v1/recognitions/{}", id_of(&r)), Some(&admin))
        .await;
    assert_eq!(unchanged.body, r);
}

#[rocket::async_test]
async fn product_writes_are_audited_with_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Nước mắm").await;
    let owner = app.owner_of(&s).await;

    let created = app
        .post(
            &format!("/api/v1/subjects/{}/products", id_of(&s)),
            Some(&owner),
            &json!({"name": "Nước mắm cá cơm", "group": "food", "subgroup": "Gia vị"}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{:?}", created.body);
    let path = format!("/api/v1/products/{}", id_of(&created.body));
    let edited = app
        .patch(
            &path,
            Some(&owner),
            &json!({"description": "Chai 500 ml", "subgroup": null}),
            created.etag.as_deref(),
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{:?}", edited.body);
    assert_eq!(edited.body["subgroup"], Value::Null);
    assert_eq!(edited.body["version"], 2);

    let audit = app.audit_of(&id_of(&created.body).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["after"], created.body);
    assert_eq!(audit[1]["before"], created.body);
    assert_eq!(audit[1]["after"], edited.body);
    assert_eq!(audit[1]["subject_id"], s["id"]);

    let stale = app
        .patch(&path, Some(&owner), &json!({"name": "Khác"}), Some("\"1\""))
        .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
    assert_eq!(app.get(&path, Some(&owner)).await.body, edited.body);
}

#[rocket::async_test]
async fn owners_cannot_rate_or_revoke_their_own_products() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Gốm").await;
    let p = app.seed_product(&admin, &s, "Gốm Thanh Hà").await;
    let r = app
        .seed_recognition(&admin, &p, "1/QĐ", "2024-01-01", 3)
        .await;
    let owner = app.owner_of(&s).await;

    let rate = app
        .post(
            &format!("/api/v1/products/{}/recognitions", id_of(&p)),
            Some(&owner),
            &json!({"stars": 5, "decision_no": "X", "decision_date": "2024-01-01", "authority": "Tôi", "kind": "upgrade"}),
        )
        .await;
    assert_eq!(rate.status, Status::Forbidden);
    let revoke = app
        .post(
            &format!("/api/v1/recognitions/{}/revoke", id_of(&r)),
            Some(&owner),
            &json!({"revoked_on": "2024-06-01", "decision_no": "X", "reason": "x"}),
        )
        .await;
    assert_eq!(revoke.status, Status::Forbidden);
    assert_eq!(app.count("recognition").await, 1);
    let read = app
        .get(&format!("/api/v1/recognitions/{}", id_of(&r)), Some(&owner))
        .await;
    assert_eq!(read.status, Status::Ok);
    assert_eq!(read.body["revoked_on"], Value::Null);
}

#[rocket::async_test]
async fn public_lookup_needs_no_token_and_folds_accents() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà sâm Ngọc Linh").await;
    app.seed_recognition(&admin, &p, "1/QĐ", "2021-01-01", 3)
        .await;
    app.seed_recognition(&admin, &p, "2/QĐ", "2024-03-01", 4)
        .await;
    app.seed_product(&admin, &s, "Trà chưa xếp hạng").await;

    let res = app.get("/api/v1/public/products?q=tra%20sam", None).await;

    assert_eq!(res.status, Status::Ok);
    assert_eq!(res.body["total"], 1, "{:?}", res.body);
    let item = &res.body["items"][0];
    assert_eq!(item["name"], "Trà sâm Ngọc Linh");
    assert_eq!(item["stars"], 4, "the latest decision");
    assert_eq!(item["valid_until"], "2027-03-01");
    assert_eq!(item["subject_name"], "HTX Trà");
    assert_eq!(item["commune"]["code"], "20335");
    assert!(item.get("tax_code").is_none() && item.get("phone").is_none());
}

/// The list of recognitions says until when a star rating is valid as a reader takes it: its
/// last day (the API's `valid_until` is the first day it no longer is).
#[rocket::async_test]
async fn the_recognitions_list_names_the_last_valid_day() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà sâm Ngọc Linh").await;
    app.seed_recognition(&admin, &p, "2/QĐ", "2024-03-01", 4)
        .await;
    let path = format!("/api/v1/products/{}/recognitions", id_of(&p));
    assert_eq!(
        app.get(&path, Some(&admin)).await.body["items"][0]["valid_until"],
        "2027-03-01"
    );
    let res = app
        .client
        .get(format!("{path}?format=csv"))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {admin}"),
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let csv = res.into_string().await.unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "Hiệu lực đến").unwrap();
    assert_eq!(row[at], "28/02/2027", "{csv}");
}

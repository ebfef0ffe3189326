//! The audit trail: readable by administrators and, within their unit, auditors.

use rocket::http::Status;
use serde_json::json;

use crate::helpers::{TestApp, id_of, unit};

#[rocket::async_test]
async fn auditors_read_the_trail_of_their_subtree_only_and_owners_not_at_all() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let inside = app.seed_subject(&admin, "20335", "HTX Tam Kỳ").await;
    let outside = app.seed_subject(&admin, "20551", "HTX Điện Bàn").await;
    app.seed_product(&admin, &inside, "Trà").await;
    app.seed_product(&admin, &outside, "Rau").await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let owner = app.owner_of(&inside).await;

    let seen = app.get("/api/v1/audit?per_page=500", Some(&tam_ky)).await;
    assert_eq!(seen.status, Status::Ok);
    let items = seen.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the subject and its product: {items:?}");
    assert!(items.iter().all(|e| e["subject_id"] == inside["id"]));

    let all = app.get("/api/v1/audit?per_page=500", Some(&admin)).await;
    assert!(
        all.body["total"].as_u64().unwrap() >= 4 + 3,
        "subjects, products and tokens"
    );
    let subjects_only = app.get("/api/v1/audit?entity=subject", Some(&admin)).await;
    assert_eq!(subjects_only.body["total"], 2);
    let one = app
        .get(
            &format!("/api/v1/audit?subject_id={}", id_of(&outside)),
            Some(&admin),
        )
        .await;
    assert_eq!(one.body["total"], 2);
    let future = app
        .get("/api/v1/audit?since=2100-12-31", Some(&admin))
        .await;
    assert_eq!(future.body["total"], 0);

    assert_eq!(
        app.get("/api/v1/audit", Some(&owner)).await.status,
        Status::Forbidden
    );
    let bad = app.get("/api/v1/audit?entity_id=abc", Some(&admin)).await;
    assert_eq!(bad.status, Status::BadRequest);
    assert_eq!(bad.error_fields(), vec!["entity_id"]);
}

#[rocket::async_test]
async fn a_rejected_write_leaves_no_audit_record() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Một").await;
    let before = app.count("audit_log").await;

    let res = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&s)),
            Some(&admin),
            &json!({"commune_id": uuid::Uuid::new_v4()}),
            None,
        )
        .await;

    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(app.count("audit_log").await, before);
}

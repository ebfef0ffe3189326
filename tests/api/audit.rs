//! The audit trail: readable by administrators and, within their unit, auditors.

use rocket::http::Status;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use serde_json::json;

use crate::helpers::{TestApp, commune, id_of, subject_body, unit};

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
    let mut entities: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["entity"].as_str())
        .collect();
    entities.sort_unstable();
    // Every write, once: the two subjects, their products, the three tokens issued above.
    assert_eq!(
        entities,
        [
            "api_token",
            "api_token",
            "api_token",
            "product",
            "product",
            "subject",
            "subject"
        ]
    );
    assert_eq!(all.body["total"], 7);
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

/// Makes every insert into the audit trail fail, as a full disk or a broken constraint would.
async fn refuse_audit_records(db: &DatabaseConnection) {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        }
        _ => {
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
        }
    };
    db.execute_unprepared(sql).await.expect("trigger");
}

/// The audit record is written in the same transaction as the change it records: when it
/// cannot be written, the change is not made either (README, "Audit trail").
#[rocket::async_test]
async fn a_change_whose_audit_record_fails_is_not_made() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Ghi Vết").await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));
    let (audits, versions) = (
        app.count("audit_log").await,
        app.count("subject_version").await,
    );
    refuse_audit_records(&app.db).await;

    let edit = app
        .patch(
            &path,
            Some(&admin),
            &json!({"address": "Thôn 9"}),
            Some("1"),
        )
        .await;
    assert_eq!(edit.status, Status::InternalServerError, "{:?}", edit.body);
    assert_eq!(edit.body["error"]["code"], "internal_error");
    let create = app
        .post(
            "/api/v1/subjects",
            Some(&admin),
            &subject_body("HTX Không Vết", &commune("20335", None).to_string()),
        )
        .await;
    assert_eq!(
        create.status,
        Status::InternalServerError,
        "{:?}",
        create.body
    );

    let now = app.get(&path, Some(&admin)).await.body;
    assert_eq!(now["version"], 1);
    assert_eq!(now["address"], s["address"]);
    let list = app.get("/api/v1/subjects", Some(&admin)).await.body;
    assert_eq!(list["total"], 1, "the creation left no subject");
    assert_eq!(app.count("audit_log").await, audits);
    assert_eq!(app.count("subject_version").await, versions);

    let drop = match app.db.get_database_backend() {
        DbBackend::Postgres => "DROP TRIGGER refuse_audit ON audit_log",
        _ => "DROP TRIGGER refuse_audit",
    };
    app.db.execute_unprepared(drop).await.expect("drop trigger");
    let edit = app
        .patch(
            &path,
            Some(&admin),
            &json!({"address": "Thôn 9"}),
            Some("1"),
        )
        .await;
    assert_eq!(edit.status, Status::Ok, "{:?}", edit.body);
    assert_eq!(edit.body["version"], 2);
    assert_eq!(app.count("audit_log").await, audits + 1);
}

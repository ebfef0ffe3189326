//! Người dùng: accounts of the people who will sign in to the pages, with the scope a token
//! would have; Argon2id hashes; a one-time password shown once.

use rocket::http::Status;
use serde_json::json;

use crate::helpers::{TestApp, id_of, unit};

#[rocket::async_test]
async fn an_account_gets_a_one_time_password_shown_once_and_stored_as_argon2id() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "kiemtoan.tamky", "role": "auditor",
                    "unit_id": unit("district", "502", None),
                    "display_name": "Nguyễn Thị Kiểm"}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let otp = res.body["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(otp.len(), 16);
    assert_eq!(res.body["user"]["must_change_password"], true);
    assert_eq!(res.body["user"]["display_name"], "Nguyễn Thị Kiểm");
    assert!(res.body["user"].get("password_hash").is_none());

    // Stored as an Argon2id hash of that password, and nowhere in clear.
    let stored: entity::app_user::Model = {
        use sea_orm::EntityTrait;
        entity::app_user::Entity::find_by_id(id_of(&res.body["user"]))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
    };
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(ocop_registry::users::password::verify(
        &otp,
        &stored.password_hash
    ));
    let trail = app.audit_of(&stored.id.to_string()).await;
    assert_eq!(trail.len(), 1);
    let text = serde_json::to_string(&trail).unwrap();
    assert!(!text.contains(&otp) && !text.contains("argon2"), "{text}");

    // Listed without secrets; a user name is taken once.
    let list = app.get("/api/v1/users", Some(&admin)).await;
    assert_eq!(list.body["total"], 1);
    assert!(!list.body.to_string().contains(&otp));
    let again = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "kiemtoan.tamky", "role": "admin", "display_name": "Khác"}),
        )
        .await;
    assert_eq!(again.status, Status::Conflict);
}

#[rocket::async_test]
async fn an_auditor_manages_the_owner_accounts_of_its_unit_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let ours = app.seed_subject(&admin, "20335", "HTX Tam Kỳ").await;
    let theirs = app.seed_subject(&admin, "20551", "HTX Điện Bàn").await;
    let owner = |subject: &serde_json::Value, name: &str| {
        json!({"username": name, "role": "owner", "subject_id": id_of(subject),
               "display_name": "Chủ nhiệm HTX"})
    };

    let created = app
        .post("/api/v1/users", Some(&tam_ky), &owner(&ours, "htx.tamky"))
        .await;
    assert_eq!(created.status, Status::Created, "{:?}", created.body);
    for (body, status) in [
        (owner(&theirs, "htx.dienban"), Status::Forbidden),
        (
            json!({"username": "kiemtoan2", "role": "auditor",
                   "unit_id": unit("district", "502", None), "display_name": "A"}),
            Status::Forbidden,
        ),
        (
            json!({"username": "admin2", "role": "admin", "display_name": "A"}),
            Status::Forbidden,
        ),
    ] {
        let res = app.post("/api/v1/users", Some(&tam_ky), &body).await;
        assert_eq!(res.status, status, "{body}: {:?}", res.body);
    }
    let by_admin = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &owner(&theirs, "htx.dienban"),
        )
        .await;
    assert_eq!(by_admin.status, Status::Created);

    // The auditor sees and disables its unit's owner only; an owner manages nothing.
    let seen = app.get("/api/v1/users", Some(&tam_ky)).await;
    assert_eq!(seen.body["total"], 1, "{:?}", seen.body);
    assert_eq!(seen.body["items"][0]["username"], "htx.tamky");
    let other = format!("/api/v1/users/{}", id_of(&by_admin.body["user"]));
    assert_eq!(
        app.patch(&other, Some(&tam_ky), &json!({"disabled": true}), None)
            .await
            .status,
        Status::Forbidden
    );
    let path = format!("/api/v1/users/{}", id_of(&created.body["user"]));
    let disabled = app
        .patch(
            &path,
            Some(&tam_ky),
            &json!({"disabled": true}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(disabled.status, Status::Ok, "{:?}", disabled.body);
    assert_eq!(disabled.body["disabled"], true);
    let stale = app
        .patch(
            &path,
            Some(&tam_ky),
            &json!({"disabled": false}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(stale.status, Status::PreconditionFailed);
    let owner_token = app.owner_of(&ours).await;
    assert_eq!(
        app.get("/api/v1/users", Some(&owner_token)).await.status,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn bad_accounts_are_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (body, field) in [
        (
            json!({"username": "Viết Hoa", "role": "admin", "display_name": "A"}),
            "username",
        ),
        (
            json!({"username": "ab", "role": "admin", "display_name": "A"}),
            "username",
        ),
        (
            json!({"username": "kenh", "role": "channel", "display_name": "A"}),
            "role",
        ),
        (
            json!({"username": "kiemtoan", "role": "auditor", "display_name": "A"}),
            "unit_id",
        ),
        (
            json!({"username": "chuthe", "role": "owner", "display_name": "A"}),
            "subject_id",
        ),
        (
            json!({"username": "chuthe", "role": "owner", "display_name": "A",
                   "subject_id": uuid::Uuid::nil()}),
            "subject_id",
        ),
        (
            json!({"username": "ten", "role": "admin", "display_name": " "}),
            "display_name",
        ),
        (
            json!({"username": "ten", "role": "admin", "display_name": "A", "password": "x"}),
            "password",
        ),
    ] {
        let res = app.post("/api/v1/users", Some(&admin), &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{body}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field], "{body}");
    }
    assert_eq!(app.count("app_user").await, 0, "nothing written");
}

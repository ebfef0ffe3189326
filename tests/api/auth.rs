//! Tokens, roles and scope.

use ocop_registry::domain::Role;
use rocket::http::Status;
use serde_json::json;

use crate::helpers::{TestApp, id_of, unit};

#[rocket::async_test]
async fn missing_wrong_and_revoked_tokens_get_401() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    let none = app.get("/api/v1/subjects", None).await;
    assert_eq!(none.status, Status::Unauthorized);
    assert_eq!(none.error_code(), "unauthorized");
    let wrong = app
        .get("/api/v1/subjects", Some("ocop_not-a-real-token"))
        .await;
    assert_eq!(wrong.status, Status::Unauthorized);
    let res = app
        .client
        .get("/api/v1/subjects")
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Basic {admin}"),
        ))
        .dispatch()
        .await;
    assert_eq!(
        res.status(),
        Status::Unauthorized,
        "only Bearer is accepted"
    );

    // Issue and revoke a token through the API.
    let created = app
        .post(
            "/api/v1/tokens",
            Some(&admin),
            &json!({"role": "admin", "name": "kế toán"}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{:?}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ocop_"));
    assert_eq!(
        app.get("/api/v1/subjects", Some(&secret)).await.status,
        Status::Ok
    );
    let listed = app.get("/api/v1/tokens", Some(&admin)).await;
    assert!(
        !listed.body.to_string().contains(&secret),
        "secrets are never listed"
    );

    let revoked = app
        .send_raw(
            "DELETE",
            &format!("/api/v1/tokens/{}", id_of(&created.body)),
            Some(&admin),
            String::new(),
            None,
        )
        .await;
    assert_eq!(revoked.status, Status::Ok, "{:?}", revoked.body);
    assert!(revoked.body["revoked_at"].is_string());
    let after = app.get("/api/v1/subjects", Some(&secret)).await;
    assert_eq!(after.status, Status::Unauthorized);

    // The token's own audit trail has no secret either.
    let audit = app.audit_of(&id_of(&created.body).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert!(!audit[0].to_string().contains(&secret));
}

#[rocket::async_test]
async fn token_rules_are_validated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (body, field) in [
        (json!({"role": "auditor"}), "unit_id"),
        (json!({"role": "owner"}), "subject_id"),
        (json!({"role": "channel"}), "platform"),
        (
            json!({"role": "channel", "platform": "Shopee VN"}),
            "platform",
        ),
        (json!({"role": "root"}), "role"),
        (
            json!({"role": "auditor", "unit_id": uuid::Uuid::new_v4()}),
            "unit_id",
        ),
    ] {
        let res = app.post("/api/v1/tokens", Some(&admin), &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{body}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }
    let auditor = app.auditor(unit("province", "49", None)).await;
    let res = app
        .post("/api/v1/tokens", Some(&auditor), &json!({"role": "admin"}))
        .await;
    assert_eq!(
        res.status,
        Status::Forbidden,
        "only administrators issue tokens"
    );
    assert_eq!(app.count("api_token").await, 2);
}

/// An owner token aimed at another subject's records, with every verb: 404, nothing changed.
#[rocket::async_test]
async fn owner_of_one_subject_gets_404_for_every_verb_on_another() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Của tôi").await;
    let theirs = app.seed_subject(&admin, "20335", "HTX Hàng xóm").await;
    let product = app.seed_product(&admin, &theirs, "Bánh tráng").await;
    let rec = app
        .seed_recognition(&admin, &product, "1/QĐ", "2024-01-01", 3)
        .await;
    let owner = app.owner_of(&mine).await;
    let (s, p, r) = (id_of(&theirs), id_of(&product), id_of(&rec));
    let audit_before = app.count("audit_log").await;

    let reads = [
        format!("/api/v1/subjects/{s}"),
        format!("/api/v1/subjects/{s}/products"),
        format!("/api/v1/products/{p}"),
        format!("/api/v1/products/{p}/recognitions"),
        format!("/api/v1/recognitions/{r}"),
    ];
    for path in &reads {
        let res = app.get(path, Some(&owner)).await;
        assert_eq!(res.status, Status::NotFound, "GET {path}: {:?}", res.body);
    }
    let writes = [
        (
            "PATCH",
            format!("/api/v1/subjects/{s}"),
            json!({"name": "Chiếm"}),
        ),
        (
            "POST",
            format!("/api/v1/subjects/{s}/products"),
            json!({"name": "X", "group": "food"}),
        ),
        (
            "PATCH",
            format!("/api/v1/products/{p}"),
            json!({"name": "Chiếm"}),
        ),
        (
            "POST",
            format!("/api/v1/products/{p}/recognitions"),
            json!({"stars": 5, "decision_no": "X", "decision_date": "2024-01-01", "authority": "X", "kind": "new"}),
        ),
        (
            "POST",
            format!("/api/v1/recognitions/{r}/revoke"),
            json!({"revoked_on": "2024-06-01", "decision_no": "X", "reason": "x"}),
        ),
    ];
    for (method, path, body) in &writes {
        let res = app
            .send_raw(method, path, Some(&owner), body.to_string(), None)
            .await;
        assert_eq!(
            res.status,
            Status::NotFound,
            "{method} {path}: {:?}",
            res.body
        );
        assert_eq!(res.error_code(), "not_found");
    }
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "nothing written"
    );
    assert_eq!(
        app.get(&format!("/api/v1/subjects/{s}"), Some(&admin))
            .await
            .body,
        theirs
    );
    assert_eq!(
        app.get(&format!("/api/v1/products/{p}"), Some(&admin))
            .await
            .body,
        product
    );
    assert_eq!(app.count("product").await, 1);
    assert_eq!(
        app.get(&format!("/api/v1/recognitions/{r}"), Some(&admin))
            .await
            .body,
        rec
    );

    // The same answer as for a record that does not exist at all, but for the id it names.
    let nobody = uuid::Uuid::new_v4();
    let ghost = app
        .get(&format!("/api/v1/subjects/{nobody}"), Some(&owner))
        .await;
    let foreign = app
        .get(&format!("/api/v1/subjects/{s}"), Some(&owner))
        .await;
    assert_eq!(ghost.status, Status::NotFound);
    assert_eq!(
        foreign.body.to_string().replace(&s.to_string(), "ID"),
        ghost.body.to_string().replace(&nobody.to_string(), "ID"),
        "another's subject and no subject answer alike"
    );
}

#[rocket::async_test]
async fn auditor_outside_its_subtree_is_refused_for_child_records() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let outside = app.seed_subject(&admin, "20551", "HTX Điện Bàn").await;
    let product = app.seed_product(&admin, &outside, "Rau").await;
    let rec = app
        .seed_recognition(&admin, &product, "1/QĐ", "2024-01-01", 3)
        .await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let (p, r) = (id_of(&product), id_of(&rec));

    for path in [
        format!("/api/v1/products/{p}"),
        format!("/api/v1/products/{p}/recognitions"),
        format!("/api/v1/recognitions/{r}"),
    ] {
        assert_eq!(
            app.get(&path, Some(&tam_ky)).await.status,
            Status::Forbidden,
            "{path}"
        );
    }
    let rate = app
        .post(
            &format!("/api/v1/products/{p}/recognitions"),
            Some(&tam_ky),
            &json!({"stars": 3, "decision_no": "2/QĐ", "decision_date": "2024-01-01", "authority": "X", "kind": "new"}),
        )
        .await;
    assert_eq!(rate.status, Status::Forbidden);
    assert_eq!(app.count("recognition").await, 1);

    // Quảng Nam's auditor reaches it, and so does Đà Nẵng's after the merge.
    let quang_nam = app.auditor(unit("province", "49", None)).await;
    assert_eq!(
        app.get(&format!("/api/v1/products/{p}"), Some(&quang_nam))
            .await
            .status,
        Status::Ok
    );
    let da_nang = app
        .auditor(unit("province", "48", Some("2025-07-01")))
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/products/{p}"), Some(&da_nang))
            .await
            .status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn channel_tokens_reach_no_registry_records() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Kênh").await;
    let channel = app.token(Role::Channel, None, None, Some("shopee")).await;

    assert_eq!(
        app.get("/api/v1/subjects", Some(&channel)).await.status,
        Status::Forbidden
    );
    assert_eq!(
        app.get(&format!("/api/v1/subjects/{}", id_of(&s)), Some(&channel))
            .await
            .status,
        Status::Forbidden
    );
    assert_eq!(
        app.get("/api/v1/units", Some(&channel)).await.status,
        Status::Forbidden
    );
    assert_eq!(
        app.get("/api/v1/audit", Some(&channel)).await.status,
        Status::Forbidden
    );
}

/// `ocop-registry token create` and `token revoke`: the operator's tokens work at once, and a
/// revoked one is refused at the next request, with the revocation in the audit trail under
/// the command line's name.
#[rocket::async_test]
async fn tokens_are_issued_and_revoked_from_the_command_line() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let district = unit("district", "502", None).to_string();
    let out = app
        .command()
        .args([
            "token",
            "create",
            "--role",
            "auditor",
            "--unit-id",
            &district,
        ])
        .args(["--name", "Phòng Nông nghiệp Tam Kỳ"])
        .output()
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).expect("utf-8");
    let secret = secret.trim();
    assert_eq!(secret.lines().count(), 1, "the secret alone: {secret:?}");
    assert_eq!(
        app.get("/api/v1/subjects", Some(secret)).await.status,
        Status::Ok
    );

    let tokens = app.get("/api/v1/tokens?per_page=100", Some(&admin)).await;
    let issued: Vec<&serde_json::Value> = tokens.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["name"] == "Phòng Nông nghiệp Tam Kỳ")
        .collect();
    assert_eq!(issued.len(), 1, "{:?}", tokens.body);
    assert_eq!(issued[0]["role"], "auditor");
    assert_eq!(issued[0]["unit_id"], district.as_str());
    let id = issued[0]["id"].as_str().expect("id").to_owned();

    let out = app
        .command()
        .args(["token", "revoke", &id])
        .output()
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refused = app.get("/api/v1/subjects", Some(secret)).await;
    assert_eq!(refused.status, Status::Unauthorized);
    assert_eq!(refused.body["error"]["code"], "unauthorized");

    let trail = app
        .get(&format!("/api/v1/audit?entity_id={id}"), Some(&admin))
        .await;
    let actions: Vec<(&str, &str)> = trail.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["actor"]["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("create", "command line"))
            && actions.contains(&("revoke", "command line")),
        "{:?}",
        trail.body
    );

    // An id that names no token: a failure the operator sees, and nothing written.
    let audits = app.count("audit_log").await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let out = app
        .command()
        .args(["token", "revoke", &ghost])
        .output()
        .expect("run the binary");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&ghost),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.count("audit_log").await, audits);
}

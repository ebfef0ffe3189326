//! The integrity rules of policy version 2 (docs/domain.md §7), each against version 1, which keeps
//! its numbers: a certificate counts at most its scheme's validity, an auditor's verification
//! of a channel lasts 12 months, and a unit without population has not "met" anything.

use rocket::http::Status;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, unit};

async fn report(app: &TestApp, admin: &str, unit_id: uuid::Uuid, d: &str, v: i32) -> Value {
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={unit_id}&as_of={d}&policy_version={v}"),
            Some(admin),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body
}

fn numerator(r: &Value, key: &str) -> i64 {
    r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap()["numerator"]
        .as_i64()
        .unwrap()
}

#[rocket::async_test]
async fn version_2_caps_certificates_ages_verifications_and_leaves_empty_units_out() {
    // Arrange: an active OCOP subject in Tam Kỳ with its own land, a VietGAP certificate that
    // claims 47 months (the scheme allows 27), and a Shopee shop verified on 2023-04-15.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Toàn Vẹn").await;
    let p = app.seed_product(&admin, &s, "Trà sâm").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2023-01-10", 3)
        .await;
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &json!({"name": "Vùng nhà", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Sâm", "area_ha": "1", "tenure": "own", "valid_from": "2022-01-01"}),
        )
        .await;
    assert_eq!(area.status, Status::Created, "{:?}", area.body);
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-47", "issuer": "QUACERT",
                    "issued_on": "2022-01-10", "expires_on": "2025-12-10",
                    "submitted_on": "2022-01-10"}),
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    assert!(
        !cert.body["warnings"].as_array().unwrap().is_empty(),
        "the over-long claim is flagged"
    );
    let moved = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&cert.body)),
            Some(&admin),
            &json!({"to": "verified", "reason": "đủ hồ sơ", "effective_on": "2022-02-01"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "4711",
                    "active_from": "2023-01-01", "submitted_on": "2023-01-01"}),
        )
        .await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let verified = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&ch.body)),
            Some(&admin),
            &json!({"verified_on": "2023-04-15"}),
        )
        .await;
    assert_eq!(verified.status, Status::Ok, "{:?}", verified.body);
    let tam_ky = unit("district", "502", None);

    // The certificate counts to issue + 27 months (2024-04-10, exclusive) under version 2, to
    // its claimed expiry under version 1.
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-09", 2).await,
            "value_chain"
        ),
        1
    );
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-10", 2).await,
            "value_chain"
        ),
        0
    );
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-10", 1).await,
            "value_chain"
        ),
        1
    );
    let why = app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={tam_ky}&as_of=2024-04-10&indicator=value_chain&policy_version=2"),
            Some(&admin),
        )
        .await;
    let text = why.body.to_string();
    assert!(
        text.contains("allows at most 27 months") && text.contains("counted until 2024-04-10"),
        "{text}"
    );

    // The verification evidences the channel 12 months (to 2024-04-15, exclusive).
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-14", 2).await,
            "modern_channel"
        ),
        1
    );
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-15", 2).await,
            "modern_channel"
        ),
        0
    );
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2024-04-15", 1).await,
            "modern_channel"
        ),
        1
    );
    let why = app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={tam_ky}&as_of=2024-04-15&indicator=modern_channel&policy_version=2"),
            Some(&admin),
        )
        .await;
    assert!(
        why.body.to_string().contains("lapsed on 2024-04-15"),
        "{}",
        why.body
    );

    // A commune without subjects: not applicable under version 2, "met" under version 1.
    let empty = unit("commune", "20341", None);
    let v2 = report(&app, &admin, empty, "2024-04-10", 2).await;
    assert_eq!(v2["population"], 0);
    for f in v2["indicators"].as_array().unwrap() {
        assert_eq!(
            (&f["share"], &f["met"], &f["gap"]),
            (&Value::Null, &Value::Null, &Value::Null)
        );
    }
    let v1 = report(&app, &admin, empty, "2024-04-10", 1).await;
    assert_eq!(v1["indicators"][0]["met"], true);
    assert_eq!(v1["indicators"][0]["gap"], 0);
    let csv = app
        .client
        .get(format!(
            "/api/v1/indicators?unit_id={empty}&as_of=2024-04-10&policy_version=2&format=csv&lang=en"
        ))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {admin}"),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.contains(",0,0,,30,,,0,0,,50,,,"),
        "empty cells for not applicable: {row}"
    );
}

#[rocket::async_test]
async fn a_relocation_is_dated_and_never_moves_a_past_figure() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Dời Đi").await;
    let p = app.seed_product(&admin, &s, "Nước mắm").await;
    app.seed_recognition(&admin, &p, "QĐ 2", "2023-01-10", 3)
        .await;
    let owner = app.owner_of(&s).await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));
    let (tan_thanh, vinh_dien, an_my) = (
        crate::helpers::commune("20335", None),
        crate::helpers::commune("20551", None),
        crate::helpers::commune("20341", None),
    );
    let population = |r: Value| r["population"].as_i64().unwrap();

    // The owner cannot move its subject, nor rename it; the department needs a date.
    let res = app
        .patch(
            &path,
            Some(&owner),
            &json!({"commune_id": vinh_dien, "name": "HTX Mới"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["commune_id", "name"]);
    let res = app
        .patch(&path, Some(&admin), &json!({"commune_id": vinh_dien}), None)
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["effective_on"]);
    assert_eq!(app.count("subject_relocation").await, 0, "nothing written");

    // A move effective 2025-03-01 leaves 2024 where it was.
    let before_2024 = population(report(&app, &admin, tan_thanh, "2024-12-31", 2).await);
    let res = app
        .patch(
            &path,
            Some(&admin),
            &json!({"commune_id": vinh_dien, "effective_on": "2025-03-01"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["commune_id"], vinh_dien.to_string());
    let history = res.body["location_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["commune_id"], tan_thanh.to_string());
    assert_eq!(history[0]["effective_on"], Value::Null);
    assert_eq!(history[1]["effective_on"], "2025-03-01");
    assert_eq!(
        population(report(&app, &admin, tan_thanh, "2024-12-31", 2).await),
        before_2024
    );
    assert_eq!(before_2024, 1);
    assert_eq!(
        population(report(&app, &admin, vinh_dien, "2024-12-31", 2).await),
        0
    );
    assert_eq!(
        population(report(&app, &admin, tan_thanh, "2025-03-01", 2).await),
        0
    );
    assert_eq!(
        population(report(&app, &admin, vinh_dien, "2025-03-01", 2).await),
        1
    );

    // A back-dated move recorded later: effective 2024-06-01 to An Mỹ. The commune of record
    // stays where the latest effective move took it; each day reads its own place.
    let res = app
        .patch(
            &path,
            Some(&admin),
            &json!({"commune_id": an_my, "effective_on": "2024-06-01"}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(
        res.body["commune_id"],
        vinh_dien.to_string(),
        "still where it is now"
    );
    assert_eq!(res.body["commune"]["code"], "20551");
    assert_eq!(
        population(report(&app, &admin, tan_thanh, "2024-05-31", 2).await),
        1
    );
    assert_eq!(
        population(report(&app, &admin, an_my, "2024-12-31", 2).await),
        1
    );
    assert_eq!(
        population(report(&app, &admin, tan_thanh, "2024-12-31", 2).await),
        0
    );
    assert_eq!(
        population(report(&app, &admin, vinh_dien, "2025-03-01", 2).await),
        1
    );
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?subject_id={}&entity=subject_relocation",
                id_of(&s)
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(
        audit.body["total"], 2,
        "each move is in the audit trail: {}",
        audit.body
    );
    let moves = audit.body["items"].as_array().unwrap();
    assert!(
        moves
            .iter()
            .any(|m| m["after"]["effective_on"] == "2024-06-01"
                && m["after"]["to_commune_id"] == an_my.to_string()
                && m["after"]["from_commune_id"] == tan_thanh.to_string()),
        "the move is recorded whole: {}",
        audit.body
    );
}

#[rocket::async_test]
async fn an_owner_asks_and_the_department_decides_an_identity_change() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Xin Đổi").await;
    let other = app.seed_subject(&admin, "20335", "HTX Khác").await;
    let owner = app.owner_of(&s).await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let elsewhere = app.auditor(unit("district", "503", None)).await;
    let path = format!("/api/v1/subjects/{}/change-requests", id_of(&s));
    let body = json!({"changes": {"name": "HTX Đổi Tên", "commune_id": crate::helpers::commune("20551", None)},
                      "effective_on": "2025-02-01", "reason": "Giấy chứng nhận đăng ký HTX cấp lại"});

    // Filing: the owner, for its own subject only, with something to change and a reason.
    let filed = app.post(&path, Some(&owner), &body).await;
    assert_eq!(filed.status, Status::Created, "{:?}", filed.body);
    assert_eq!(filed.body["status"], "pending");
    let not_mine = app
        .post(
            &format!("/api/v1/subjects/{}/change-requests", id_of(&other)),
            Some(&owner),
            &body,
        )
        .await;
    assert_eq!(not_mine.status, Status::NotFound);
    let empty = app
        .post(
            &path,
            Some(&owner),
            &json!({"changes": {}, "effective_on": "2025-02-01", "reason": "x"}),
        )
        .await;
    assert_eq!(empty.status, Status::UnprocessableEntity);
    assert_eq!(empty.error_fields(), vec!["changes"]);
    let by_admin = app.post(&path, Some(&admin), &body).await;
    assert_eq!(
        by_admin.status,
        Status::Forbidden,
        "the department edits directly"
    );

    // Listing: the owner sees its own, the auditor of the unit the pending ones.
    let pending = app
        .get("/api/v1/change-requests?status=pending", Some(&auditor))
        .await;
    assert_eq!(pending.body["total"], 1, "{}", pending.body);
    assert_eq!(
        app.get("/api/v1/change-requests", Some(&owner)).await.body["total"],
        1
    );
    let decide = format!("/api/v1/change-requests/{}/decision", id_of(&filed.body));
    let approve = json!({"decision": "approve", "reason": "đúng hồ sơ"});
    assert_eq!(
        app.post(&decide, Some(&owner), &approve).await.status,
        Status::Forbidden
    );
    let outside = app.post(&decide, Some(&elsewhere), &approve).await;
    assert_eq!(outside.status, Status::Forbidden, "{:?}", outside.body);

    // Approval applies the change as of its effective date, in the audit trail.
    let decided = app.post(&decide, Some(&auditor), &approve).await;
    assert_eq!(decided.status, Status::Ok, "{:?}", decided.body);
    assert_eq!(decided.body["status"], "approved");
    let now = app
        .get(&format!("/api/v1/subjects/{}", id_of(&s)), Some(&owner))
        .await;
    assert_eq!(now.body["name"], "HTX Đổi Tên");
    assert_eq!(
        now.body["location_history"][1]["effective_on"],
        "2025-02-01"
    );
    assert_eq!(
        app.post(&decide, Some(&auditor), &approve).await.status,
        Status::Conflict
    );

    // A rejection changes nothing but the request.
    let second = app
        .post(&path, Some(&owner), &json!({"changes": {"name": "HTX Tên Khác"}, "effective_on": "2025-03-01", "reason": "đổi tên"}))
        .await;
    let rejected = app
        .post(
            &format!("/api/v1/change-requests/{}/decision", id_of(&second.body)),
            Some(&admin),
            &json!({"decision": "reject", "reason": "thiếu quyết định"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["decision_reason"], "thiếu quyết định");
    let still = app
        .get(&format!("/api/v1/subjects/{}", id_of(&s)), Some(&owner))
        .await;
    assert_eq!(still.body["name"], "HTX Đổi Tên");
}

#[rocket::async_test]
async fn no_decision_is_dated_before_the_submission_it_decides_on() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Nộp Muộn").await;
    let owner = app.owner_of(&s).await;
    let before = ocop_registry::clock::today().to_string();
    let body = json!({"scheme": "organic", "certificate_no": "HC-1", "issuer": "QUACERT",
                      "issued_on": "2023-01-10", "expires_on": "2026-01-10"});
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&owner),
            &body,
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    let after = ocop_registry::clock::today().to_string();
    let submitted = cert.body["history"][0]["effective_on"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        submitted == before || submitted == after,
        "submitted on the day it was received ({submitted}), not on issued_on"
    );
    // A verification dated before that day is refused, naming the date.
    let path = format!("/api/v1/certifications/{}/transitions", id_of(&cert.body));
    let early = app
        .post(
            &path,
            Some(&admin),
            &json!({"to": "verified", "reason": "đã kiểm tra hồ sơ giấy", "effective_on": "2023-02-01"}),
        )
        .await;
    assert_eq!(
        early.status,
        Status::UnprocessableEntity,
        "{:?}",
        early.body
    );
    assert_eq!(early.error_fields(), ["effective_on"]);
    let moved = app
        .post(
            &path,
            Some(&admin),
            &json!({"to": "verified", "reason": "đã kiểm tra hồ sơ giấy", "effective_on": submitted}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);

    // An owner cannot date its submission back; the department, entering a dossier it
    // received earlier, can — and decides on it from then, not before.
    let mut back = body.clone();
    back["certificate_no"] = json!("HC-2");
    back["submitted_on"] = json!("2023-01-20");
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&owner),
            &back,
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["submitted_on"]);
    let filed = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &back,
        )
        .await;
    assert_eq!(filed.status, Status::Created, "{:?}", filed.body);
    assert_eq!(filed.body["history"][0]["effective_on"], "2023-01-20");
    let path = format!("/api/v1/certifications/{}/transitions", id_of(&filed.body));
    for (on, status) in [
        ("2023-01-19", Status::UnprocessableEntity),
        ("2023-02-01", Status::Ok),
    ] {
        let res = app
            .post(
                &path,
                Some(&admin),
                &json!({"to": "verified", "reason": "đã kiểm tra", "effective_on": on}),
            )
            .await;
        assert_eq!(res.status, status, "{on}: {:?}", res.body);
    }
    // Areas alike.
    let mut area = crate::areas::area_body("Vùng nộp muộn", "1");
    area["submitted_on"] = json!("2023-03-01");
    assert_eq!(
        app.post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&owner),
            &area
        )
        .await
        .error_fields(),
        ["submitted_on"]
    );
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &area,
        )
        .await;
    assert_eq!(area.status, Status::Created, "{:?}", area.body);
    let res = app
        .post(
            &format!("/api/v1/areas/{}/transitions", id_of(&area.body)),
            Some(&admin),
            &json!({"to": "verified", "reason": "đã kiểm tra", "effective_on": "2023-02-28"}),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["effective_on"]);
}

#[rocket::async_test]
async fn a_back_dated_verification_shows_in_changes_and_not_in_the_filed_figure() {
    // Arrange: an active subject with its own land and a submitted VietGAP certificate; the
    // department files Tam Kỳ's report for 2025-06-30 (value chain: 0).
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s = app.seed_subject(&admin, "20335", "HTX Muộn Màng").await;
    let p = app.seed_product(&admin, &s, "Mật ong").await;
    app.seed_recognition(&admin, &p, "QĐ 3", "2023-01-10", 3)
        .await;
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &json!({"name": "Vùng ong", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Mật", "area_ha": "2", "tenure": "own", "valid_from": "2022-01-01",
                    "submitted_on": "2022-01-01"}),
        )
        .await;
    app.verify_area(&admin, &area.body, "2022-01-01").await;
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-9", "issuer": "QUACERT",
                    "issued_on": "2025-01-10", "expires_on": "2027-01-10",
                    "submitted_on": "2025-01-10"}),
        )
        .await
        .body;
    let tam_ky = unit("district", "502", None);
    let filed = app
        .post(
            "/api/v1/reports",
            Some(&auditor),
            &json!({"unit_id": tam_ky, "as_of": "2025-06-30"}),
        )
        .await;
    assert_eq!(filed.status, Status::Created, "{:?}", filed.body);
    let report_id = filed.body["id"].as_str().unwrap().to_owned();
    assert_eq!(numerator(&filed.body["report"], "value_chain"), 0);

    // Act: a verification effective 2025-05-01, entered after the filing.
    let moved = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&cert)),
            Some(&auditor),
            &json!({"to": "verified", "reason": "hồ sơ bổ sung", "effective_on": "2025-05-01"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);

    // Assert: the live figure moved, the filed one did not, and `changes` says who, when and
    // as of when.
    assert_eq!(
        numerator(
            &report(&app, &admin, tam_ky, "2025-06-30", 2).await,
            "value_chain"
        ),
        1
    );
    let again = app
        .get(&format!("/api/v1/reports/{report_id}"), Some(&auditor))
        .await;
    assert_eq!(numerator(&again.body["report"], "value_chain"), 0);
    // As the registry knew it when the report was filed, the figure is still the filed one.
    let known_at = filed.body["report"]["known_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_known = app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={tam_ky}&as_of=2025-06-30&known_at={}",
                known_at.replace('+', "%2B").replace(':', "%3A")
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(as_known.status, Status::Ok, "{:?}", as_known.body);
    assert_eq!(numerator(&as_known.body, "value_chain"), 0);
    assert_eq!(as_known.body["known_at"], known_at.as_str());
    // Between that instant and now, `changes` finds the same subject without naming a report.
    let between = app
        .get(
            &format!(
                "/api/v1/indicators/changes?unit_id={tam_ky}&as_of=2025-06-30&since={}",
                known_at.replace('+', "%2B").replace(':', "%3A")
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(between.status, Status::Ok, "{:?}", between.body);
    assert_eq!(between.body["since_report"], Value::Null);
    assert_eq!(
        between.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        between.body
    );
    assert_eq!(between.body["items"][0]["subject"]["id"], s["id"]);
    let changes = app
        .get(
            &format!(
                "/api/v1/indicators/changes?unit_id={tam_ky}&as_of=2025-06-30&since={report_id}"
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(changes.status, Status::Ok, "{:?}", changes.body);
    let items = changes.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", changes.body);
    assert_eq!(items[0]["subject"]["id"], s["id"]);
    assert_eq!(items[0]["indicator"], "value_chain");
    assert_eq!(
        (items[0]["before"].clone(), items[0]["after"].clone()),
        (json!(false), json!(true))
    );
    let because = items[0]["because"].as_array().unwrap();
    let transition = because
        .iter()
        .find(|c| c["entity"] == "certification")
        .unwrap_or_else(|| panic!("{because:?}"));
    assert_eq!(transition["effective_on"], "2025-05-01");
    assert!(
        transition["recorded_by"]
            .as_str()
            .unwrap()
            .contains("Cán bộ"),
        "{transition}"
    );
    assert!(
        transition["recorded_at"].as_str().unwrap() > filed.body["frozen_at"].as_str().unwrap()
    );

    // A report of another date is not a point of comparison for this one.
    let wrong = app
        .get(
            &format!(
                "/api/v1/indicators/changes?unit_id={tam_ky}&as_of=2025-07-31&since={report_id}"
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(wrong.status, Status::UnprocessableEntity);
    assert_eq!(wrong.error_fields(), vec!["since"]);
}

/// What `changes` lists accounts exactly for the difference between the two figures, numerator
/// and population alike: subjects entering the population (a recognition recorded late) and
/// leaving it (a relocation) are listed as well as those whose counting flipped.
#[rocket::async_test]
async fn changes_account_for_subjects_entering_and_leaving_the_population() {
    // Arrange: in Tam Kỳ, S1 is recognised and sells on a verified Shopee shop; S2 has a product
    // but no decision yet; the department files the report for 2025-06-30.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s1 = app.seed_subject(&admin, "20335", "HTX Dời Đi").await;
    let p1 = app.seed_product(&admin, &s1, "Nước mắm").await;
    app.seed_recognition(&admin, &p1, "QĐ 1", "2023-01-10", 3)
        .await;
    let shop = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s1)),
            Some(&admin),
            &crate::channels::filed(crate::channels::shop_body(), "2024-01-01"),
        )
        .await;
    assert_eq!(shop.status, Status::Created, "{:?}", shop.body);
    let verified = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&shop.body)),
            Some(&auditor),
            &json!({"verified_on": "2025-02-01"}),
        )
        .await;
    assert_eq!(verified.status, Status::Ok, "{:?}", verified.body);
    let s2 = app.seed_subject(&admin, "20341", "HTX Mới Vào").await;
    let p2 = app.seed_product(&admin, &s2, "Trà").await;
    let tam_ky = unit("district", "502", None);
    let filed = app
        .post(
            "/api/v1/reports",
            Some(&auditor),
            &json!({"unit_id": tam_ky, "as_of": "2025-06-30"}),
        )
        .await;
    assert_eq!(filed.status, Status::Created, "{:?}", filed.body);
    assert_eq!(filed.body["report"]["population"], 1);
    assert_eq!(numerator(&filed.body["report"], "modern_channel"), 1);

    // Act: S2's 2024 decision is entered; S1 moved to Điện Bàn on 2025-03-01.
    app.seed_recognition(&admin, &p2, "QĐ 2", "2024-05-10", 4)
        .await;
    let moved = app
        .patch(
            &format!("/api/v1/subjects/{}", id_of(&s1)),
            Some(&admin),
            &json!({"commune_id": crate::helpers::commune("20551", None), "effective_on": "2025-03-01"}),
            None,
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);

    // Assert: both subjects are listed under both indicators, and before + listed = after.
    let live = report(&app, &admin, tam_ky, "2025-06-30", 2).await;
    assert_eq!(live["population"], 1);
    let changes = app
        .get(
            &format!(
                "/api/v1/indicators/changes?unit_id={tam_ky}&as_of=2025-06-30&since={}",
                id_of(&filed.body)
            ),
            Some(&auditor),
        )
        .await;
    assert_eq!(changes.status, Status::Ok, "{:?}", changes.body);
    let items = changes.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{}", changes.body);
    for key in ["value_chain", "modern_channel"] {
        let figure = changes.body["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["indicator"] == key)
            .unwrap();
        let tally = |side: &str| {
            (
                figure[side]["numerator"].as_i64().unwrap(),
                figure[side]["population"].as_i64().unwrap(),
            )
        };
        assert_eq!(
            tally("before"),
            (numerator(&filed.body["report"], key), 1),
            "{key}"
        );
        assert_eq!(tally("after"), (numerator(&live, key), 1), "{key}");
        let (mut n, mut pop) = tally("before");
        for c in items.iter().filter(|c| c["indicator"] == key) {
            let one = |f: &str| i64::from(c[f].as_bool().unwrap());
            n += one("after") - one("before");
            pop += one("in_population_after") - one("in_population_before");
        }
        assert_eq!((n, pop), tally("after"), "{key}: {}", changes.body);
    }
    let left = items
        .iter()
        .find(|c| c["subject"]["id"] == s1["id"] && c["indicator"] == "modern_channel")
        .unwrap();
    assert_eq!(
        [
            &left["before"],
            &left["in_population_before"],
            &left["in_population_after"]
        ],
        [&json!(true), &json!(true), &json!(false)]
    );
    assert!(
        left["because"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["effective_on"] == "2025-03-01"),
        "{left}"
    );
    let entered = items
        .iter()
        .find(|c| c["subject"]["id"] == s2["id"] && c["indicator"] == "value_chain")
        .unwrap();
    assert_eq!(
        [
            &entered["after"],
            &entered["in_population_before"],
            &entered["in_population_after"]
        ],
        [&json!(false), &json!(false), &json!(true)]
    );
    assert!(
        entered["because"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["entity"] == "recognition"),
        "{entered}"
    );
}

#[rocket::async_test]
async fn change_requests_refuse_bad_input_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Cẩn Thận").await;
    let owner = app.owner_of(&s).await;
    let path = format!("/api/v1/subjects/{}/change-requests", id_of(&s));
    let valid =
        json!({"changes": {"name": "HTX Mới"}, "effective_on": "2025-02-01", "reason": "đổi tên"});
    for (body, status, field) in [
        (format!("{valid} x"), Status::BadRequest, "body"),
        (
            json!({"changes": {"nam": "X"}, "effective_on": "2025-02-01", "reason": "r"})
                .to_string(),
            Status::UnprocessableEntity,
            "changes.nam",
        ),
        (
            json!({"changes": {"name": null}, "effective_on": "2025-02-01", "reason": "r"})
                .to_string(),
            Status::UnprocessableEntity,
            "changes.name",
        ),
        (
            json!({"changes": {"name": "X"}, "effective_on": "2025-2-1", "reason": "r"})
                .to_string(),
            Status::UnprocessableEntity,
            "effective_on",
        ),
        (
            json!({"changes": {"name": "X"}, "effective_on": "2099-01-01", "reason": "r"})
                .to_string(),
            Status::UnprocessableEntity,
            "effective_on",
        ),
        (
            json!({"changes": {"name": "X"}, "effective_on": "2025-02-01", "reason": "  "})
                .to_string(),
            Status::UnprocessableEntity,
            "reason",
        ),
    ] {
        let res = app
            .send_raw("POST", &path, Some(&owner), body.clone(), None)
            .await;
        assert_eq!(res.status, status, "{body}: {:?}", res.body);
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }
    assert_eq!(app.count("change_request").await, 0, "nothing written");
    let filed = app.post(&path, Some(&owner), &valid).await;
    let decide = format!("/api/v1/change-requests/{}/decision", id_of(&filed.body));
    let res = app
        .post(
            &decide,
            Some(&admin),
            &json!({"decision": "maybe", "reason": "r"}),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["decision"]);
    let still = app.get("/api/v1/change-requests", Some(&admin)).await;
    assert_eq!(still.body["items"][0]["status"], "pending");
}

/// The numerator of `key` where Tam Kỳ's subjects count on `d` under the current policy: Tam
/// Kỳ before the reform of 1 July 2025, Đà Nẵng after it.
fn tam_ky_on(d: &str) -> uuid::Uuid {
    if d < "2025-07-01" {
        unit("district", "502", None)
    } else {
        unit("province", "48", Some("2025-07-01"))
    }
}

async fn tam_ky_numerator(app: &TestApp, admin: &str, d: &str, key: &str) -> i64 {
    let tam_ky = tam_ky_on(d);
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={tam_ky}&as_of={d}"),
            Some(admin),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    numerator(&res.body, key)
}

#[rocket::async_test]
async fn an_owners_edit_after_verification_never_moves_a_date_an_auditor_vouched_for() {
    // Arrange: an OCOP subject in Tam Kỳ with its own land since 2022; an organic certificate
    // valid 2022-06-01 to 2024-06-01, verified from 2023-01-05; a traditional market stall
    // verified on 2025-07-16.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà Tam Kỳ").await;
    let owner = app.owner_of(&s).await;
    let p = app.seed_product(&admin, &s, "Trà sâm").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2022-12-10", 3)
        .await;
    // Rated again in 2024: in the population through 2027.
    let p2 = app.seed_product(&admin, &s, "Trà xanh").await;
    app.seed_recognition(&admin, &p2, "QĐ 2", "2024-12-01", 3)
        .await;
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &json!({"name": "Vùng nhà", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Chè", "area_ha": "1", "tenure": "own", "valid_from": "2022-01-01",
                    "submitted_on": "2022-01-01"}),
        )
        .await;
    assert_eq!(area.status, Status::Created, "{:?}", area.body);
    app.verify_area(&admin, &area.body, "2022-01-01").await;
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "organic", "certificate_no": "HC-01", "issuer": "Viện Môi trường Nông nghiệp",
                    "issued_on": "2022-06-01", "expires_on": "2024-06-01", "submitted_on": "2022-06-01"}),
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    let cert_id = id_of(&cert.body);
    let moved = app
        .post(
            &format!("/api/v1/certifications/{cert_id}/transitions"),
            Some(&admin),
            &json!({"to": "verified", "reason": "đủ hồ sơ", "effective_on": "2023-01-05"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    let stall = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            // Filed by the department from the owner's paper declaration.
            Some(&admin),
            &json!({"kind": "traditional", "platform": "Chợ Tam Kỳ", "active_from": "2024-01-01",
                    "submitted_on": "2024-01-01"}),
        )
        .await;
    assert_eq!(stall.status, Status::Created, "{:?}", stall.body);
    let stall_id = id_of(&stall.body);
    let verified = app
        .post(
            &format!("/api/v1/channels/{stall_id}/verify"),
            Some(&admin),
            &json!({"verified_on": "2025-07-16"}),
        )
        .await;
    assert_eq!(verified.status, Status::Ok, "{:?}", verified.body);
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2023-06-30", "value_chain").await,
        1
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-30", "value_chain").await,
        0
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2026-01-15", "modern_channel").await,
        0
    );
    let on = app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={}&as_of=2026-01-15",
                tam_ky_on("2026-01-15")
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(on.body["population"], 1, "{:?}", on.body);

    // Act: the owner extends the certificate to 2026-11-30, and re-purposes the stall as a
    // Shopee shop open since 2020 with no end.
    let edited = app
        .patch(
            &format!("/api/v1/certifications/{cert_id}"),
            Some(&owner),
            &json!({"expires_on": "2026-11-30"}),
            None,
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{:?}", edited.body);
    assert_eq!(edited.body["status"], "submitted");
    // The view shows what the auditor vouched for beside what waits for it.
    assert_eq!(edited.body["pending_changes"], json!(["expires_on"]));
    assert_eq!(
        edited.body["verified_version"]["values"]["expires_on"],
        "2024-06-01"
    );
    assert_eq!(edited.body["verified_version"]["verified_on"], "2023-01-05");
    let repurposed = app
        .patch(
            &format!("/api/v1/channels/{stall_id}"),
            Some(&owner),
            &json!({"kind": "marketplace", "platform": "shopee",
                    "shop_url": "https://shopee.vn/rt-fake-shop", "active_from": "2020-01-01"}),
            None,
        )
        .await;
    assert_eq!(repurposed.status, Status::Ok, "{:?}", repurposed.body);
    assert_eq!(repurposed.body["verification"]["status"], "declared");
    assert_eq!(
        repurposed.body["pending_changes"],
        json!(["kind", "platform", "shop_url", "active_from"])
    );
    assert_eq!(
        repurposed.body["verified_version"]["values"]["kind"],
        "traditional"
    );

    // Assert: no date an auditor did not vouch for counts; the dates it did still do.
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-30", "value_chain").await,
        0
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2023-06-30", "value_chain").await,
        1
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2026-01-15", "modern_channel").await,
        0
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2021-06-30", "modern_channel").await,
        0
    );
    // The explanation names the values the verification saw.
    let tam_ky = tam_ky_on("2023-06-30");
    let why = app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={tam_ky}&as_of=2023-06-30&indicator=value_chain"),
            Some(&admin),
        )
        .await;
    let text = why.body.to_string();
    assert!(text.contains("until 2024-06-01"), "{text}");
    let why = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2026-01-15&indicator=modern_channel",
                tam_ky_on("2026-01-15")
            ),
            Some(&admin),
        )
        .await;
    let text = why.body.to_string();
    assert!(
        text.contains("the verification of 2025-07-16 was of channel Chợ Tam Kỳ"),
        "{text}"
    );

    // The issuer is a key field too: a verified certificate whose issuer the owner changes
    // goes back to the auditor.
    let other = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-02", "issuer": "QUACERT",
                    "issued_on": "2024-06-01", "expires_on": "2026-06-01", "submitted_on": "2024-06-01"}),
        )
        .await;
    let other_id = id_of(&other.body);
    app.post(
        &format!("/api/v1/certifications/{other_id}/transitions"),
        Some(&admin),
        &json!({"to": "verified", "reason": "đủ hồ sơ", "effective_on": "2024-07-01"}),
    )
    .await;
    let edited = app
        .patch(
            &format!("/api/v1/certifications/{other_id}"),
            Some(&owner),
            &json!({"issuer": "Một tổ chức khác"}),
            None,
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{:?}", edited.body);
    assert_eq!(edited.body["status"], "submitted");
}

/// The value-chain numerator of Tam Kỳ on `d` under policy version `v`.
async fn value_chain_under(app: &TestApp, admin: &str, d: &str, v: i32) -> i64 {
    numerator(&report(app, admin, tam_ky_on(d), d, v).await, "value_chain")
}

/// The value-chain explanation of Tam Kỳ's subjects on `d` (current policy), as text.
async fn value_chain_reasons(app: &TestApp, admin: &str, d: &str) -> String {
    let res = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of={d}&indicator=value_chain",
                tam_ky_on(d)
            ),
            Some(admin),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body.to_string()
}

#[rocket::async_test]
async fn an_area_counts_only_as_an_auditor_or_a_verified_certificate_vouched_for_it() {
    // Arrange: an OCOP subject in Tam Kỳ (rated 2022 and 2024) with a verified organic
    // certificate valid 2022-06-01 to 2024-06-01, and a linked area whose contract ran
    // 2020-06-01 to 2023-05-31 (36 months), on file since 2020.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s = app.seed_subject(&admin, "20335", "HTX Quế Tam Kỳ").await;
    let owner = app.owner_of(&s).await;
    let p = app.seed_product(&admin, &s, "Tinh dầu quế").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2022-12-10", 3)
        .await;
    let p2 = app.seed_product(&admin, &s, "Quế thanh").await;
    app.seed_recognition(&admin, &p2, "QĐ 2", "2024-12-01", 3)
        .await;
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "organic", "certificate_no": "HC-Q1", "issuer": "QUACERT",
                    "issued_on": "2022-06-01", "expires_on": "2024-06-01", "submitted_on": "2022-06-01"}),
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    let moved = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&cert.body)),
            Some(&auditor),
            &json!({"to": "verified", "reason": "đủ hồ sơ", "effective_on": "2022-07-01"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            // Entered by the department from the dossier it received in 2020.
            Some(&admin),
            &json!({"name": "Vùng quế Trà Mai", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Quế", "area_ha": "12.5", "tenure": "linked", "submitted_on": "2020-06-01",
                    "linkage": {"contract_no": "HĐLK-07", "counterparty": "Tổ hợp tác quế",
                                "counterparty_kind": "households", "households": 30,
                                "start_on": "2020-06-01", "end_on": "2023-05-31"}}),
        )
        .await;
    assert_eq!(area.status, Status::Created, "{:?}", area.body);
    assert_eq!(area.body["status"], "submitted");
    assert_eq!(area.body["verified_version"], Value::Null);
    let area_id = id_of(&area.body);

    // Registered, not verified: version 2 counts it as registered, version 3 does not, and
    // says why.
    assert_eq!(value_chain_under(&app, &admin, "2023-03-31", 2).await, 1);
    assert_eq!(value_chain_under(&app, &admin, "2023-03-31", 3).await, 0);
    let why = value_chain_reasons(&app, &admin, "2023-03-31").await;
    assert!(
        why.contains(
            "was submitted on 2023-03-31: policy version 3 counts an area only when an auditor \
             verified it"
        ),
        "{why}"
    );

    // The auditor's queue holds it; an owner cannot read the queue nor decide.
    let queue = app
        .get("/api/v1/areas?status=submitted", Some(&auditor))
        .await;
    assert_eq!(queue.status, Status::Ok, "{:?}", queue.body);
    assert_eq!(queue.body["total"], 1);
    assert_eq!(queue.body["items"][0]["linkage"]["contract_no"], "HĐLK-07");
    assert_eq!(
        app.get("/api/v1/areas?status=submitted", Some(&owner))
            .await
            .status,
        Status::Forbidden
    );
    let path = format!("/api/v1/areas/{area_id}/transitions");
    let by_owner = app
        .post(
            &path,
            Some(&owner),
            &json!({"to": "verified", "reason": "tự xác nhận", "effective_on": "2022-01-01"}),
        )
        .await;
    assert_eq!(by_owner.status, Status::Forbidden, "{:?}", by_owner.body);
    let illegal = app
        .post(
            &path,
            Some(&auditor),
            &json!({"to": "suspended", "reason": "chưa xác nhận", "effective_on": "2022-01-01"}),
        )
        .await;
    assert_eq!(illegal.status, Status::Conflict, "{:?}", illegal.body);

    // Verified from 2022-09-01: counts from then, while its contract runs.
    let verified = app
        .post(
            &path,
            Some(&auditor),
            &json!({"to": "verified", "reason": "đã kiểm tra hợp đồng", "effective_on": "2022-09-01"}),
        )
        .await;
    assert_eq!(verified.status, Status::Ok, "{:?}", verified.body);
    assert_eq!(verified.body["status"], "verified");
    assert_eq!(
        verified.body["verified_version"]["values"]["linkage"]["end_on"],
        "2023-05-31"
    );
    assert_eq!(value_chain_under(&app, &admin, "2022-08-31", 3).await, 0);
    assert_eq!(value_chain_under(&app, &admin, "2023-03-31", 3).await, 1);
    let why = value_chain_reasons(&app, &admin, "2023-03-31").await;
    assert!(why.contains("the area was verified by"), "{why}");
    assert_eq!(value_chain_under(&app, &admin, "2023-06-30", 3).await, 0);

    // The owner extends its contract to 2028: back to the auditor, and no date moves under
    // version 3 (version 2, which reads the area as registered, moves).
    let edited = app
        .patch(
            &format!("/api/v1/areas/{area_id}"),
            Some(&owner),
            &json!({"linkage": {"contract_no": "HĐLK-07", "counterparty": "Tổ hợp tác quế",
                                "counterparty_kind": "households", "households": 30,
                                "start_on": "2020-06-01", "end_on": "2028-05-31"}}),
            None,
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{:?}", edited.body);
    assert_eq!(edited.body["status"], "submitted");
    assert_eq!(edited.body["pending_changes"], json!(["linkage"]));
    assert_eq!(
        edited.body["verified_version"]["values"]["linkage"]["end_on"],
        "2023-05-31"
    );
    assert_eq!(value_chain_under(&app, &admin, "2023-06-30", 3).await, 0);
    assert_eq!(value_chain_under(&app, &admin, "2023-03-31", 3).await, 1);
    assert_eq!(value_chain_under(&app, &admin, "2023-06-30", 2).await, 1);
    // A name is the owner's to change: no new verification needed.
    let renamed = app
        .patch(
            &format!("/api/v1/areas/{}", id_of(&verified.body)),
            Some(&admin),
            &json!({"name": "Vùng quế Trà Mai (đổi tên)"}),
            None,
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{:?}", renamed.body);

    // An own area the owner posts with a validity years back does not count either.
    let posted = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&owner),
            &json!({"name": "Đất nhà", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Quế", "area_ha": "1", "tenure": "own", "valid_from": "2015-01-01"}),
        )
        .await;
    assert_eq!(posted.status, Status::Created, "{:?}", posted.body);
    assert_eq!(value_chain_under(&app, &admin, "2023-07-15", 3).await, 0);
    // Nor one on the department's file since 2023, never verified.
    let own = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &json!({"name": "Đất nhà 2", "commune_id": crate::helpers::commune("20335", None),
                    "material": "Quế", "area_ha": "1", "tenure": "own", "valid_from": "2015-01-01",
                    "submitted_on": "2023-01-01"}),
        )
        .await;
    assert_eq!(own.status, Status::Created, "{:?}", own.body);
    assert_eq!(value_chain_under(&app, &admin, "2023-07-15", 3).await, 0);

    // A VietGAP certificate of that area, verified from 2023-07-01: the area counts while the
    // certificate does (as the certificate's verification saw the area), whatever the owner
    // edits later.
    let scoped = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-Q2", "issuer": "QUACERT",
                    "issued_on": "2023-01-10", "expires_on": "2025-01-10", "submitted_on": "2023-01-10",
                    "area_id": id_of(&own.body)}),
        )
        .await;
    assert_eq!(scoped.status, Status::Created, "{:?}", scoped.body);
    let moved = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&scoped.body)),
            Some(&auditor),
            &json!({"to": "verified", "reason": "đánh giá tại vùng", "effective_on": "2023-07-01"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    assert_eq!(value_chain_under(&app, &admin, "2023-07-15", 3).await, 1);
    let why = value_chain_reasons(&app, &admin, "2023-07-15").await;
    assert!(
        why.contains("in the scope of verified certification VG-Q2"),
        "{why}"
    );
    // Before the certificate's verification nothing vouches for the area.
    assert_eq!(value_chain_under(&app, &admin, "2023-06-30", 3).await, 0);
    let own_id = id_of(&own.body);
    let shrunk = app
        .patch(
            &format!("/api/v1/areas/{own_id}"),
            Some(&owner),
            &json!({"valid_to": "2023-01-01"}),
            None,
        )
        .await;
    assert_eq!(shrunk.status, Status::Ok, "{:?}", shrunk.body);
    assert_eq!(value_chain_under(&app, &admin, "2023-07-15", 3).await, 1);
    // An auditor's refusal of the area outweighs the certificate's scope from its date.
    let refused = app
        .post(
            &format!("/api/v1/areas/{own_id}/transitions"),
            Some(&auditor),
            &json!({"to": "rejected", "reason": "không có vùng này", "effective_on": "2023-08-01"}),
        )
        .await;
    assert_eq!(refused.status, Status::Ok, "{:?}", refused.body);
    assert_eq!(value_chain_under(&app, &admin, "2023-07-15", 3).await, 1);
    assert_eq!(value_chain_under(&app, &admin, "2023-08-15", 3).await, 0);
    let why = value_chain_reasons(&app, &admin, "2023-08-15").await;
    assert!(why.contains("was rejected on 2023-08-15"), "{why}");
}

#[rocket::async_test]
async fn a_refused_channel_counts_by_no_listing_and_a_connected_one_keeps_its_shop() {
    // Arrange: a rated subject in Tam Kỳ whose Shopee shop the department filed on
    // 2024-01-01 and connected through a registry-managed connection; the sync saw a listing
    // active on 2025-06-20.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Gian Hàng").await;
    let owner = app.owner_of(&s).await;
    let p = app.seed_product(&admin, &s, "Trà sâm").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2024-12-01", 3)
        .await;
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "55501",
                    "shop_url": "https://shopee.vn/htx.gian.hang", "active_from": "2024-01-01",
                    "submitted_on": "2024-01-01"}),
        )
        .await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let ch_id = id_of(&ch.body);
    let conn = app
        .send_raw(
            "PUT",
            &format!("/api/v1/channels/{ch_id}/connection"),
            Some(&admin),
            json!({"connector": "shopee", "partner_id": "1", "shop_id": "55501", "app_secret": "k"})
                .to_string(),
            None,
        )
        .await;
    assert_eq!(conn.status, Status::Ok, "{:?}", conn.body);
    let model = entity::sales_channel::Entity::find_by_id(ch_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    ocop_registry::channels::observe::observe(
        &app.db,
        &model,
        crate::indicators::vn_noon("2025-06-20"),
        true,
        &[ocop_registry::channels::observe::Observation {
            external_id: "9001".to_owned(),
            title: "Trà sâm 100g".to_owned(),
            price_vnd: Some(125_000),
            status: ocop_registry::domain::ListingStatus::Active,
        }],
    )
    .await
    .unwrap();
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-30", "modern_channel").await,
        1,
        "a trusted listing seen on 2025-06-20"
    );

    // The connected channel keeps its shop: the owner cannot make it name another.
    let path = format!("/api/v1/channels/{ch_id}");
    for patch in [
        json!({"shop_url": "https://shopee.vn/shop-khac"}),
        json!({"shop_id": "55502"}),
        json!({"platform": "lazada"}),
    ] {
        let moved = app.patch(&path, Some(&owner), &patch, None).await;
        assert_eq!(moved.status, Status::Conflict, "{patch}: {:?}", moved.body);
    }

    // An auditor refuses the channel from 2025-06-25: its listings no longer count from then.
    let refused = app
        .post(
            &format!("/api/v1/channels/{ch_id}/reject"),
            Some(&admin),
            &json!({"reason": "Gian hàng không bán sản phẩm OCOP", "effective_on": "2025-06-25"}),
        )
        .await;
    assert_eq!(refused.status, Status::Ok, "{:?}", refused.body);
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-24", "modern_channel").await,
        1
    );
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-30", "modern_channel").await,
        0
    );
    let tam_ky = tam_ky_on("2025-06-30");
    let why = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={tam_ky}&as_of=2025-06-30&indicator=modern_channel"
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(why.status, Status::Ok, "{:?}", why.body);
    let item = &why.body["items"][0]["modern_channel"];
    assert_eq!(item["counts"], false, "{item}");
    assert!(
        item["reasons"]
            .to_string()
            .contains("was refused by an auditor on 2025-06-25"),
        "{item}"
    );
    // The owner's new evidence sends it back to the auditor from today: the refused dates stay
    // refused.
    let evidenced = app
        .patch(
            &path,
            Some(&owner),
            &json!({"evidence_url": "https://shopee.vn/htx.gian.hang/giay-phep"}),
            None,
        )
        .await;
    assert_eq!(evidenced.status, Status::Ok, "{:?}", evidenced.body);
    assert_eq!(evidenced.body["verification"]["status"], "declared");
    assert_eq!(
        tam_ky_numerator(&app, &admin, "2025-06-30", "modern_channel").await,
        0
    );
}

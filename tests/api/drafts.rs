//! Drafts (docs/domain.md §9): incomplete records are kept with what they miss, shown to the
//! department only, never counted, and become records when completed.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of, next_tax_code, unit};

async fn drafts_excluded(app: &TestApp, token: &str, unit_id: uuid::Uuid, known: &str) -> i64 {
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={unit_id}&as_of=2024-12-31{known}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body["drafts_excluded"].as_i64().unwrap()
}

#[rocket::async_test]
async fn a_cooperative_without_commune_and_tax_code_is_a_draft_until_completed() {
    // Arrange: a list names a cooperative of Tam Kỳ, no commune, no tax code.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let elsewhere = app.auditor(unit("district", "503", None)).await;
    let tam_ky = unit("district", "502", None);
    let data = json!({"name": "HTX Nháp Tam Kỳ", "legal_form": "cooperative",
                      "phone": "0235 3 852 123"});

    // Act: keep it as a draft.
    let res = app
        .post(
            "/api/v1/drafts",
            Some(&auditor),
            &json!({"entity": "subject", "unit_id": tam_ky, "data": data}),
        )
        .await;

    // Assert: kept with what it misses, not a subject, seen by the department of its unit only.
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["missing"], json!(["commune_id", "tax_code"]));
    assert_eq!(res.body["status"], "open");
    let draft = res.body.clone();
    assert_eq!(app.count("subject").await, 0);
    let listed = app.get("/api/v1/drafts", Some(&auditor)).await;
    assert_eq!(listed.body["total"], 1, "{:?}", listed.body);
    assert_eq!(
        app.get("/api/v1/drafts", Some(&elsewhere)).await.body["total"],
        0
    );
    let mine = app
        .get(
            &format!("/api/v1/drafts?unit_id={tam_ky}&entity=subject"),
            Some(&admin),
        )
        .await;
    assert_eq!(mine.body["total"], 1);
    let public = app.get("/api/v1/public/products?q=Nh%C3%A1p", None).await;
    assert_eq!(public.body["total"], 0, "{:?}", public.body);
    assert_eq!(drafts_excluded(&app, &admin, tam_ky, "").await, 1);
    assert_eq!(
        drafts_excluded(&app, &admin, unit("province", "49", None), "").await,
        1
    );
    assert_eq!(
        drafts_excluded(&app, &admin, unit("district", "503", None), "").await,
        0
    );

    // Completing part of it leaves a draft; completing the rest registers the subject.
    let path = format!("/api/v1/drafts/{}", id_of(&draft));
    let half = app
        .patch(
            &path,
            Some(&auditor),
            &json!({"data": {"commune_id": commune("20335", None)}}),
            None,
        )
        .await;
    assert_eq!(half.status, Status::Ok, "{:?}", half.body);
    assert_eq!(half.body["missing"], json!(["tax_code"]));
    assert_eq!(app.count("subject").await, 0);
    let before_completion = ocop_registry::clock::now();
    let done = app
        .patch(
            &path,
            Some(&auditor),
            &json!({"data": {"tax_code": next_tax_code()}}),
            None,
        )
        .await;
    assert_eq!(done.status, Status::Ok, "{:?}", done.body);
    assert_eq!(done.body["status"], "completed");
    assert_eq!(done.body["missing"], json!([]));
    let subject = app
        .get(
            &format!(
                "/api/v1/subjects/{}",
                done.body["record_id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(subject.status, Status::Ok);
    assert_eq!(subject.body["name"], "HTX Nháp Tam Kỳ");
    assert_eq!(subject.body["phone"], "02353852123");
    assert_eq!(drafts_excluded(&app, &admin, tam_ky, "").await, 0);
    // As known before it was completed, the report still left it out.
    let known = format!(
        "&known_at={}",
        before_completion
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            .replace(':', "%3A")
    );
    assert_eq!(drafts_excluded(&app, &admin, tam_ky, &known).await, 1);
    let again = app
        .patch(&path, Some(&auditor), &json!({"data": {}}), None)
        .await;
    assert_eq!(again.status, Status::Conflict);
}

#[rocket::async_test]
async fn a_rating_without_decision_number_counts_only_once_completed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Chờ Quyết Định")
        .await;
    let p = app.seed_product(&admin, &s, "Nước mắm").await;
    let tam_ky = unit("district", "502", None);
    let res = app
        .post(
            "/api/v1/drafts",
            Some(&admin),
            &json!({"entity": "recognition", "parent_id": id_of(&p),
                    "data": {"stars": 4, "authority": "UBND tỉnh Quảng Nam", "kind": "new",
                             "decision_date": "2023-05-10"}}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["missing"], json!(["decision_no"]));
    let population = |r: &Value| r["population"].as_i64().unwrap();
    let report = app
        .get(
            &format!("/api/v1/indicators?unit_id={tam_ky}&as_of=2024-12-31"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        (
            population(&report.body),
            report.body["drafts_excluded"].as_i64()
        ),
        (0, Some(1))
    );

    let done = app
        .patch(
            &format!("/api/v1/drafts/{}", id_of(&res.body)),
            Some(&admin),
            &json!({"data": {"decision_no": "QĐ 77/QĐ-UBND"}}),
            Some(&format!("\"{}\"", res.body["version"])),
        )
        .await;
    assert_eq!(done.status, Status::Ok, "{:?}", done.body);
    let report = app
        .get(
            &format!("/api/v1/indicators?unit_id={tam_ky}&as_of=2024-12-31"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        (
            population(&report.body),
            report.body["drafts_excluded"].as_i64()
        ),
        (1, Some(0))
    );
    let recognitions = app
        .get(
            &format!("/api/v1/products/{}/recognitions", id_of(&p)),
            Some(&admin),
        )
        .await;
    assert_eq!(
        recognitions.body["items"][0]["decision_no"],
        "QĐ 77/QĐ-UBND"
    );
}

#[rocket::async_test]
async fn drafts_refuse_bad_input_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tam_ky = unit("district", "502", None);
    let owner_subject = app.seed_subject(&admin, "20335", "HTX Chủ").await;
    let owner = app.owner_of(&owner_subject).await;
    let drafts_before = app.count("draft").await;
    for (token, body, status, field) in [
        // A given field is checked by the rule of its create request.
        (
            &admin,
            json!({"entity": "subject", "unit_id": tam_ky,
                        "data": {"name": "HTX A", "legal_form": "cooperative", "phone": "12"}}),
            Status::UnprocessableEntity,
            "phone",
        ),
        // What identifies the record is not optional.
        (
            &admin,
            json!({"entity": "subject", "unit_id": tam_ky,
                        "data": {"legal_form": "cooperative"}}),
            Status::UnprocessableEntity,
            "name",
        ),
        // Without a commune, the draft needs a place.
        (
            &admin,
            json!({"entity": "subject",
                        "data": {"name": "HTX A", "legal_form": "cooperative"}}),
            Status::UnprocessableEntity,
            "unit_id",
        ),
        // Nothing missing: that is a record, not a draft.
        (
            &admin,
            json!({"entity": "subject",
                        "data": {"name": "HTX A", "legal_form": "cooperative_group",
                                 "commune_id": commune("20335", None)}}),
            Status::UnprocessableEntity,
            "data",
        ),
        (
            &admin,
            json!({"entity": "recognition",
                        "data": {"stars": 3, "authority": "UBND", "kind": "new"}}),
            Status::UnprocessableEntity,
            "parent_id",
        ),
        (
            &admin,
            json!({"entity": "area", "data": {}}),
            Status::UnprocessableEntity,
            "entity",
        ),
        // A product draft may lack its group, not its name.
        (
            &admin,
            json!({"entity": "product", "data": {}}),
            Status::UnprocessableEntity,
            "name",
        ),
        // Owners keep no drafts: drafts are the department's.
        (
            &owner,
            json!({"entity": "subject", "unit_id": tam_ky,
                        "data": {"name": "HTX A", "legal_form": "cooperative"}}),
            Status::Forbidden,
            "",
        ),
    ] {
        let res = app.post("/api/v1/drafts", Some(token), &body).await;
        assert_eq!(res.status, status, "{body}: {:?}", res.body);
        if !field.is_empty() {
            assert_eq!(res.error_fields(), vec![field], "{body}");
        }
    }
    assert_eq!(app.count("draft").await, drafts_before, "nothing written");
    assert_eq!(
        app.get("/api/v1/drafts", Some(&owner)).await.status,
        Status::Forbidden
    );
}

//! Sales channels: declaration, verification, owner edits, listings, scope.

use entity::listing;
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, unit};

pub fn shop_body() -> Value {
    json!({"kind": "marketplace", "platform": "Shopee", "shop_url": "https://shopee.vn/htx.tra.sam",
           "shop_id": "14701711", "active_from": "2024-01-01"})
}

/// `body` as the department files a declaration it received on `on`.
pub fn filed(mut body: Value, on: &str) -> Value {
    body["submitted_on"] = json!(on);
    body
}

async fn declare(
    app: &TestApp,
    token: &str,
    subject: &Value,
    body: &Value,
) -> crate::helpers::Resp {
    app.post(
        &format!("/api/v1/subjects/{}/channels", id_of(subject)),
        Some(token),
        body,
    )
    .await
}

#[rocket::async_test]
async fn channels_of_every_kind_are_declared_then_verified_by_auditors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s = app.seed_subject(&admin, "20335", "HTX Kênh").await;
    let owner = app.owner_of(&s).await;

    let shop = declare(&app, &owner, &s, &shop_body()).await;
    assert_eq!(shop.status, Status::Created, "{:?}", shop.body);
    assert_eq!(
        shop.body["platform"], "shopee",
        "known marketplaces are stored by code"
    );
    assert_eq!(shop.body["verification"]["status"], "declared");
    for (kind, platform) in [
        ("social_commerce", "TikTok Shop"),
        ("own_webshop", "website"),
        ("supermarket_chain", "Co.opmart"),
        ("convenience_chain", "WinMart+"),
        ("ocop_showroom", "Điểm OCOP Tam Kỳ"),
        ("export", "Nhật Bản"),
        ("traditional", "Chợ Tam Kỳ"),
    ] {
        let mut body = json!({"kind": kind, "platform": platform});
        if matches!(kind, "social_commerce" | "own_webshop") {
            body["shop_url"] = json!(format!("https://example.vn/shop-{kind}"));
        }
        let res = declare(&app, &owner, &s, &body).await;
        assert_eq!(res.status, Status::Created, "{kind}: {:?}", res.body);
    }
    assert_eq!(
        app.get(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&owner)
        )
        .await
        .body["total"],
        8
    );

    let path = format!("/api/v1/channels/{}/verify", id_of(&shop.body));
    let by_owner = app
        .post(&path, Some(&owner), &json!({"verified_on": "2024-03-01"}))
        .await;
    assert_eq!(by_owner.status, Status::Forbidden);
    let too_early = app
        .post(&path, Some(&auditor), &json!({"verified_on": "2023-12-31"}))
        .await;
    assert_eq!(too_early.status, Status::UnprocessableEntity);
    assert_eq!(too_early.error_fields(), vec!["verified_on"]);
    // The owner declared it today: nobody verified it before that.
    let declared_on = shop.body["history"][0]["effective_on"].clone();
    assert_eq!(shop.body["history"][0]["to"], "declared");
    let before_declared = app
        .post(&path, Some(&auditor), &json!({"verified_on": "2024-03-01"}))
        .await;
    assert_eq!(before_declared.status, Status::UnprocessableEntity);
    assert_eq!(before_declared.error_fields(), vec!["verified_on"]);
    // An owner cannot date its own declaration back.
    let backdated = declare(&app, &owner, &s, &filed(shop_body(), "2024-02-01")).await;
    assert_eq!(backdated.error_fields(), vec!["submitted_on"]);
    let future = app
        .post(&path, Some(&auditor), &json!({"verified_on": "2099-01-01"}))
        .await;
    assert_eq!(future.error_fields(), vec!["verified_on"]);
    let ok = app
        .post(
            &path,
            Some(&auditor),
            &json!({"verified_on": declared_on, "note": "Đã kiểm tra gian hàng"}),
        )
        .await;
    assert_eq!(ok.status, Status::Ok, "{:?}", ok.body);
    let v = &ok.body["verification"];
    assert_eq!(v["status"], "verified");
    assert_eq!(v["verified_on"], declared_on);
    assert_eq!(v["note"], "Đã kiểm tra gian hàng");
    assert_eq!(v["verified_by"], "Cán bộ thử nghiệm");
    let again = app
        .post(&path, Some(&auditor), &json!({"verified_on": declared_on}))
        .await;
    assert_eq!(again.status, Status::Conflict);

    let audit = app.audit_of(&id_of(&shop.body).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1]["action"], "verify");
    assert_eq!(audit[1]["before"]["verification"]["status"], "declared");
}

#[rocket::async_test]
async fn every_channel_rule_is_rejected_with_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Kênh").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"kind": "flea_market"}), "kind"),
        (json!({"platform": ""}), "platform"),
        (json!({"shop_url": "shopee.vn/x"}), "shop_url"),
        (json!({"shop_url": null, "shop_id": null}), "shop_url"),
        (
            json!({"active_from": "2024-05-01", "active_to": "2024-04-30"}),
            "active_to",
        ),
        (json!({"evidence_url": "not a url"}), "evidence_url"),
    ];
    for (patch, field) in cases {
        let mut body = shop_body();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let res = declare(&app, &admin, &s, &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{patch}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{patch}");
    }
    assert_eq!(app.count("sales_channel").await, 0);
}

#[rocket::async_test]
async fn owner_change_of_the_shop_withdraws_the_verification() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Kênh").await;
    let owner = app.owner_of(&s).await;
    let shop = declare(&app, &admin, &s, &filed(shop_body(), "2024-02-01"))
        .await
        .body;
    let verified = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&shop)),
            Some(&admin),
            &json!({"verified_on": "2024-03-01"}),
        )
        .await
        .body;
    let path = format!("/api/v1/channels/{}", id_of(&shop));

    let end = app
        .patch(
            &path,
            Some(&owner),
            &json!({"active_to": "2026-12-31"}),
            None,
        )
        .await;
    assert_eq!(end.status, Status::Ok, "{:?}", end.body);
    assert_eq!(end.body["active_to"], "2026-12-31");
    assert_eq!(
        end.body["verification"]["status"], "verified",
        "not a key field"
    );
    let moved = app
        .patch(
            &path,
            Some(&owner),
            &json!({"shop_url": "https://shopee.vn/other"}),
            Some(&end.body["version"].to_string()),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    assert_eq!(moved.body["verification"]["status"], "declared");
    assert_eq!(moved.body["verification"]["verified_on"], Value::Null);
    let h = moved.body["history"].as_array().unwrap();
    assert_eq!(
        h.len(),
        3,
        "declared on 2024-02-01, verified on 2024-03-01, withdrawn today: {h:?}"
    );
    assert_eq!(h[0]["effective_on"], "2024-02-01");
    assert_eq!(h[1]["effective_on"], "2024-03-01");
    assert_eq!(h[2]["to"], "declared");
    assert_ne!(verified["version"], moved.body["version"]);
}

#[rocket::async_test]
async fn owner_widening_the_active_period_withdraws_the_verification() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Kỳ Hạn").await;
    let owner = app.owner_of(&s).await;
    let shop = declare(&app, &admin, &s, &filed(shop_body(), "2024-02-01"))
        .await
        .body;
    app.post(
        &format!("/api/v1/channels/{}/verify", id_of(&shop)),
        Some(&admin),
        &json!({"verified_on": "2024-03-01"}),
    )
    .await;
    let path = format!("/api/v1/channels/{}", id_of(&shop));
    // An administrator's correction is not the owner's claim.
    let by_admin = app
        .patch(
            &path,
            Some(&admin),
            &json!({"active_from": "2023-06-01"}),
            None,
        )
        .await;
    assert_eq!(by_admin.body["verification"]["status"], "verified");
    // Closing the period (2023-06-01 → 2025-12-31) narrows it: the verification stands.
    let closed = app
        .patch(
            &path,
            Some(&owner),
            &json!({"active_to": "2025-12-31"}),
            None,
        )
        .await;
    assert_eq!(closed.body["verification"]["status"], "verified");
    // Moving the start back to 2019 claims what the auditor never saw.
    let widened = app
        .patch(
            &path,
            Some(&owner),
            &json!({"active_from": "2019-01-01"}),
            None,
        )
        .await;
    assert_eq!(widened.status, Status::Ok, "{:?}", widened.body);
    assert_eq!(widened.body["verification"]["status"], "declared");
}

#[rocket::async_test]
async fn listings_are_listed_and_hidden_from_other_owners() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Tôi").await;
    let theirs = app.seed_subject(&admin, "20335", "HTX Họ").await;
    let channel = declare(&app, &admin, &theirs, &shop_body()).await.body;
    // Listings are written by the channel sync; here one is put in place directly.
    let now = ocop_registry::clock::now();
    listing::Model {
        id: uuid::Uuid::now_v7(),
        channel_id: id_of(&channel),
        subject_id: id_of(&theirs),
        external_id: "2500139861".to_owned(),
        title: "Trà sâm 100g".to_owned(),
        price_vnd: Some(125_000),
        status: "active".parse().expect("a known code"),
        product_id: None,
        first_seen_at: now,
        last_seen_at: now,
        open_span_id: None,
        trusted: true,
        version: 1,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .reset_all()
    .insert(&app.db)
    .await
    .unwrap();
    let owner_mine = app.owner_of(&mine).await;
    let owner_theirs = app.owner_of(&theirs).await;
    let path = format!("/api/v1/channels/{}/listings", id_of(&channel));

    let seen = app.get(&path, Some(&owner_theirs)).await;
    assert_eq!(seen.status, Status::Ok);
    assert_eq!(seen.body["total"], 1);
    assert_eq!(seen.body["items"][0]["price_vnd"], "125000");
    assert_eq!(
        app.get(&format!("{path}?status=unlisted"), Some(&owner_theirs))
            .await
            .body["total"],
        0
    );

    for res in [
        app.get(&path, Some(&owner_mine)).await,
        app.get(
            &format!("/api/v1/channels/{}", id_of(&channel)),
            Some(&owner_mine),
        )
        .await,
        app.get(
            &format!("/api/v1/subjects/{}/channels", id_of(&theirs)),
            Some(&owner_mine),
        )
        .await,
        app.patch(
            &format!("/api/v1/channels/{}", id_of(&channel)),
            Some(&owner_mine),
            &json!({"platform": "lazada"}),
            None,
        )
        .await,
        declare(&app, &owner_mine, &theirs, &shop_body()).await,
        app.post(
            &format!("/api/v1/channels/{}/verify", id_of(&channel)),
            Some(&owner_mine),
            &json!({"verified_on": "2024-03-01"}),
        )
        .await,
    ] {
        assert_eq!(res.status, Status::NotFound, "{:?}", res.body);
    }
    assert_eq!(
        app.get(
            &format!("/api/v1/channels/{}", id_of(&channel)),
            Some(&admin)
        )
        .await
        .body,
        channel
    );
}

#[rocket::async_test]
async fn an_auditor_rejects_a_declared_channel_until_its_owner_declares_it_again() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Kênh Bị Từ Chối")
        .await;
    let owner = app.owner_of(&s).await;
    let ch = declare(&app, &owner, &s, &shop_body()).await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let path = format!("/api/v1/channels/{}/reject", id_of(&ch.body));
    // Not before the owner declared it (today).
    let early = app
        .post(
            &path,
            Some(&auditor),
            &json!({"reason": "Gian hàng không bán sản phẩm OCOP", "effective_on": "2024-02-01"}),
        )
        .await;
    assert_eq!(
        early.status,
        Status::UnprocessableEntity,
        "{:?}",
        early.body
    );
    assert_eq!(early.error_fields(), ["effective_on"]);
    let declared_on = ch.body["history"][0]["effective_on"].clone();
    let body = json!({"reason": "Gian hàng không bán sản phẩm OCOP", "effective_on": declared_on});

    // Owners cannot refuse, and a refusal needs a reason and a date not in the future.
    assert_eq!(
        app.post(&path, Some(&owner), &body).await.status,
        Status::Forbidden
    );
    let bad = app
        .post(
            &path,
            Some(&auditor),
            &json!({"reason": " ", "effective_on": "2099-01-01"}),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity, "{:?}", bad.body);
    assert_eq!(bad.error_fields(), ["effective_on", "reason"]);

    // Rejected: out of the queue, with the reason in its history; not twice.
    let rejected = app.post(&path, Some(&auditor), &body).await;
    assert_eq!(rejected.status, Status::Ok, "{:?}", rejected.body);
    assert_eq!(rejected.body["verification"]["status"], "rejected");
    let last = rejected.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to"], "rejected");
    assert_eq!(last["reason"], "Gian hàng không bán sản phẩm OCOP");
    let queue = app
        .get("/api/v1/channels?verification=declared", Some(&auditor))
        .await;
    assert_eq!(queue.body["total"], 0, "{:?}", queue.body);
    assert_eq!(
        app.post(&path, Some(&auditor), &body).await.status,
        Status::Conflict
    );

    // Taking its evidence away is not new evidence.
    let removed = app
        .patch(
            &format!("/api/v1/channels/{}", id_of(&ch.body)),
            Some(&owner),
            &json!({"evidence_url": null}),
            None,
        )
        .await;
    assert_eq!(removed.status, Status::Ok, "{:?}", removed.body);
    assert_eq!(removed.body["verification"]["status"], "rejected");
    // New evidence for the refused shop is a new declaration for the auditor, from the day
    // after the refusal: a refusal holds for the day it takes effect.
    let evidenced = app
        .patch(
            &format!("/api/v1/channels/{}", id_of(&ch.body)),
            Some(&owner),
            &json!({"evidence_url": "https://shopee.vn/htx.tra.sam/giay-phep"}),
            None,
        )
        .await;
    assert_eq!(evidenced.status, Status::Ok, "{:?}", evidenced.body);
    assert_eq!(evidenced.body["verification"]["status"], "declared");
    let day_after: chrono::NaiveDate = declared_on.as_str().unwrap().parse().unwrap();
    let day_after = day_after.succ_opt().unwrap().to_string();
    let last_move = |body: &Value| body["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last_move(&evidenced.body)["effective_on"],
        day_after.as_str()
    );
    let queue = app
        .get("/api/v1/channels?verification=declared", Some(&auditor))
        .await;
    assert_eq!(queue.body["total"], 1, "{:?}", queue.body);

    // Declaring another shop the same day does not bring the refused day back either.
    let edited = app
        .patch(
            &format!("/api/v1/channels/{}", id_of(&ch.body)),
            Some(&owner),
            &json!({"shop_url": "https://shopee.vn/htx.tra.sam.chinh.hang", "shop_id": "14701712"}),
            None,
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{:?}", edited.body);
    assert_eq!(edited.body["verification"]["status"], "declared");
    assert_eq!(last_move(&edited.body)["effective_on"], day_after.as_str());
    // Nobody verifies it on the refused day.
    let verified = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&ch.body)),
            Some(&auditor),
            &json!({"verified_on": declared_on}),
        )
        .await;
    assert_eq!(
        verified.status,
        Status::UnprocessableEntity,
        "{:?}",
        verified.body
    );
}

#[rocket::async_test]
async fn an_auditor_withdraws_a_verified_channel() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rút Xác Nhận").await;
    let shop = declare(&app, &admin, &s, &filed(shop_body(), "2024-02-01"))
        .await
        .body;
    let id = id_of(&shop);
    let ok = app
        .post(
            &format!("/api/v1/channels/{id}/verify"),
            Some(&admin),
            &json!({"verified_on": "2024-03-01"}),
        )
        .await;
    assert_eq!(ok.status, Status::Ok, "{:?}", ok.body);
    let withdrawn = app
        .post(
            &format!("/api/v1/channels/{id}/reject"),
            Some(&admin),
            &json!({"reason": "Gian hàng của đơn vị khác", "effective_on": "2025-01-10"}),
        )
        .await;
    assert_eq!(withdrawn.status, Status::Ok, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["verification"]["status"], "rejected");
    assert_eq!(withdrawn.body["verification"]["verified_on"], Value::Null);
    let again = app
        .post(
            &format!("/api/v1/channels/{id}/reject"),
            Some(&admin),
            &json!({"reason": "lần nữa", "effective_on": "2025-01-11"}),
        )
        .await;
    assert_eq!(again.status, Status::Conflict, "{:?}", again.body);
    let vi = again.body["error"]["message"].as_str().unwrap_or_default();
    assert!(!vi.contains("chứng nhận"), "{vi}");
}

#[rocket::async_test]
async fn an_owner_s_new_shop_is_a_new_declaration_even_before_any_verification() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Đổi Sàn").await;
    let owner = app.owner_of(&s).await;
    let shop = declare(&app, &admin, &s, &filed(shop_body(), "2023-08-01"))
        .await
        .body;
    let id = id_of(&shop);
    let moved = app
        .patch(
            &format!("/api/v1/channels/{id}"),
            Some(&owner),
            &json!({"platform": "tiki", "shop_url": "https://tiki.vn/cua-hang/htx-doi-san",
                    "shop_id": null, "active_from": "2020-01-01"}),
            None,
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    let history = moved.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["to"], "declared");
    // The Tiki shop was declared today: no verification of it dated in 2024.
    let verified = app
        .post(
            &format!("/api/v1/channels/{id}/verify"),
            Some(&admin),
            &json!({"verified_on": "2024-01-01"}),
        )
        .await;
    assert_eq!(
        verified.status,
        Status::UnprocessableEntity,
        "{:?}",
        verified.body
    );
    assert_eq!(verified.error_fields(), ["verified_on"]);
}

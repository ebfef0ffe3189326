//! Administrative units across the 2025 reforms.

use rocket::http::Status;

use crate::helpers::{TestApp, commune, unit};

#[rocket::async_test]
async fn code_20335_is_tan_thanh_in_2024_and_ban_thach_in_late_2025() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    // Act
    let before = app
        .get("/api/v1/units?code=20335&on=2024-06-01", Some(&admin))
        .await;
    let after = app
        .get("/api/v1/units?code=20335&on=2025-08-01", Some(&admin))
        .await;
    let all = app.get("/api/v1/units?code=20335", Some(&admin)).await;

    // Assert
    assert_eq!(before.status, Status::Ok);
    assert_eq!(before.body["total"], 1);
    let old = &before.body["items"][0];
    assert_eq!(old["name"], "Phường Tân Thạnh");
    assert_eq!(old["parent_id"], unit("district", "502", None).to_string());
    assert_eq!(after.body["total"], 1);
    let new = &after.body["items"][0];
    assert_eq!(new["name"], "Phường Bàn Thạch");
    assert_eq!(
        new["parent_id"],
        unit("province", "48", Some("2025-07-01")).to_string()
    );
    assert_eq!(all.body["total"], 2, "one code, two unit versions");

    let parent = app
        .get(
            &format!("/api/v1/units/{}", old["parent_id"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    assert_eq!(parent.body["name"], "Thành phố Tam Kỳ");
}

#[rocket::async_test]
async fn unit_detail_lists_successors_and_predecessors() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    let old = app
        .get(
            &format!("/api/v1/units/{}", commune("20335", None)),
            Some(&admin),
        )
        .await;
    assert_eq!(old.status, Status::Ok);
    // Where it lies, as the list says it (the unit's own detail named nothing).
    assert_eq!(
        old.body["within"],
        serde_json::json!(["Thành phố Tam Kỳ", "Tỉnh Quảng Nam"])
    );
    let successors = old.body["successors"].as_array().unwrap();
    assert_eq!(successors.len(), 1);
    assert_eq!(successors[0]["unit"]["name"], "Phường Bàn Thạch");
    assert_eq!(successors[0]["effective_on"], "2025-07-01");
    assert_eq!(successors[0]["kind"], "succeeded");

    let new = app
        .get(
            &format!("/api/v1/units/{}", commune("20335", Some("2025-07-01"))),
            Some(&admin),
        )
        .await;
    let mut preds: Vec<&str> = new.body["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unit"]["code"].as_str().unwrap())
        .collect();
    preds.sort();
    assert_eq!(preds, vec!["20335", "20362", "20375"]);
}

#[rocket::async_test]
async fn nong_son_communes_sit_under_que_son_in_march_2025() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let que_son = unit("district", "509", None);
    let nong_son = unit("district", "519", None);

    let in_2025 = app
        .get(
            &format!("/api/v1/units?parent_id={que_son}&on=2025-03-01&per_page=500"),
            Some(&admin),
        )
        .await;
    let codes: Vec<&str> = in_2025.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    for c in ["20656", "20668", "20669", "20671", "20692"] {
        assert!(
            codes.contains(&c),
            "{c} under Quế Sơn on 2025-03-01: {codes:?}"
        );
    }

    let in_2024 = app
        .get(
            &format!("/api/v1/units?parent_id={nong_son}&on=2024-06-01&per_page=500"),
            Some(&admin),
        )
        .await;
    let codes_2024: Vec<&str> = in_2024.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(codes_2024.contains(&"20656") && codes_2024.contains(&"20672"));
    let nong_son_2025 = app
        .get("/api/v1/units?code=519&on=2025-03-01", Some(&admin))
        .await;
    assert_eq!(
        nong_son_2025.body["total"], 0,
        "Nông Sơn district ended on 2025-01-01"
    );
}

#[rocket::async_test]
async fn unit_search_ignores_case_and_accents() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    let res = app
        .get("/api/v1/units?q=DIEN%20BAN&level=district", Some(&admin))
        .await;

    assert_eq!(res.status, Status::Ok);
    assert_eq!(res.body["total"], 1);
    assert_eq!(res.body["items"][0]["name"], "Thị xã Điện Bàn");
}

#[rocket::async_test]
async fn loading_units_twice_adds_nothing() {
    let app = TestApp::spawn().await;
    let units = app.count("unit").await;
    let links = app.count("unit_link").await;

    let added = ocop_registry::units::loader::load(&app.db).await.unwrap();

    assert_eq!(added, (0, 0));
    assert_eq!(app.count("unit").await, units);
    assert_eq!(app.count("unit_link").await, links);
    // The national file, with Quảng Nam's own (loader unit test for the arithmetic), and the
    // country above the provinces.
    assert_eq!(units, 14_166);
}

#[rocket::async_test]
async fn units_query_rejects_a_bad_date_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    let res = app.get("/api/v1/units?on=2025-02-30", Some(&admin)).await;

    assert_eq!(res.status, Status::BadRequest);
    assert_eq!(res.error_fields(), vec!["on"]);
    let missing = app.get("/api/v1/units/not-a-uuid", Some(&admin)).await;
    assert_eq!(missing.status, Status::NotFound);
}

/// What `ocop-registry report --unit-code` resolves codes with: a code asked for outside its
/// validity names when it was valid instead of a bare "not found".
#[rocket::async_test]
async fn a_unit_code_asked_for_outside_its_validity_says_when_it_was_valid() {
    use ocop_registry::error::AppError;
    use ocop_registry::units::service::by_code_on;
    let app = TestApp::spawn().await;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();

    let quang_nam = by_code_on(&app.db, "49", day("2025-06-30")).await.unwrap();
    assert_eq!(quang_nam.id, unit("province", "49", None));

    match by_code_on(&app.db, "49", day("2025-12-31")).await {
        Err(AppError::BadRequest { message, .. }) => {
            let message = message.to_string();
            assert!(message.contains("– 2025-07-01, id"), "{message}");
            assert!(
                message.contains(&unit("province", "49", None).to_string()),
                "{message}"
            );
        }
        other => panic!("expected a 400 naming the validity, got {other:?}"),
    }
    assert!(matches!(
        by_code_on(&app.db, "99999", day("2025-12-31")).await,
        Err(AppError::NotFound { .. })
    ));
}

//! `serve --demo` tells the README's story: Quảng Nam's subjects, both indicators partly met on
//! 30/06/2025, the README's search, and the demo owner's submissions in the demo auditor's queue.

use rocket::http::Status;
use serde_json::Value;

use crate::helpers::{TestApp, id_of, unit};

#[rocket::async_test]
async fn the_demo_gives_the_readme_walk_through() {
    let app = TestApp::spawn().await;
    ocop_registry::demo::run(&app.db, "http://127.0.0.1:8000")
        .await
        .unwrap();
    let admin = app.admin().await;
    let quang_nam = unit("province", "49", None);

    // Unit 49 on 30/06/2025: most of the 200 subjects, both indicators partly met.
    let report = app
        .get(
            &format!("/api/v1/indicators?unit_id={quang_nam}&as_of=2025-06-30"),
            Some(&admin),
        )
        .await;
    assert_eq!(report.status, Status::Ok, "{:?}", report.body);
    let population = report.body["population"].as_i64().unwrap();
    assert!((150..=200).contains(&population), "population {population}");
    for ind in report.body["indicators"].as_array().unwrap() {
        let n = ind["numerator"].as_i64().unwrap();
        assert!(0 < n && n < population, "{ind}");
    }

    // Every area's polygon lies in Quảng Nam (its communes' districts) and measures what the
    // area declares.
    let mut drawn = 0;
    for page in 1.. {
        let areas = app
            .get(
                &format!("/api/v1/areas?per_page=100&page={page}"),
                Some(&admin),
            )
            .await;
        let items = areas.body["items"].as_array().unwrap().clone();
        for a in &items {
            let Some(ring) = a["geometry"]["coordinates"][0].as_array() else {
                continue;
            };
            drawn += 1;
            assert_eq!(a["warnings"], serde_json::json!([]), "{a}");
            for p in ring {
                let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                assert!(
                    (107.2..108.8).contains(&lon) && (14.9..16.2).contains(&lat),
                    "{a}"
                );
            }
        }
        if items.len() < 100 {
            break;
        }
    }
    assert!(drawn > 20, "{drawn} areas drawn");

    // The README's search finds subjects of Tam Kỳ, typed without diacritics.
    let found = app.get("/api/v1/subjects?q=tam%20ky", Some(&admin)).await;
    assert!(
        found.body["total"].as_i64().unwrap() > 0,
        "{:?}",
        found.body
    );

    // The demo owner's subject is in Quảng Nam, and the demo auditor of unit 49 has its
    // submissions to decide.
    let owner = app.get("/api/v1/users?q=chuthe", Some(&admin)).await.body["items"][0].clone();
    let subject_id = owner["subject_id"].as_str().unwrap().to_owned();
    let auditor = app.auditor(quang_nam).await;
    let subject = app
        .get(&format!("/api/v1/subjects/{subject_id}"), Some(&auditor))
        .await;
    assert_eq!(subject.status, Status::Ok, "{:?}", subject.body);
    let waiting = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["subject_id"] == subject.body["id"])
            .count()
    };
    let certs = app
        .get(
            "/api/v1/certifications?status=submitted&per_page=100",
            Some(&auditor),
        )
        .await;
    let areas = app
        .get(
            "/api/v1/areas?status=submitted&per_page=100",
            Some(&auditor),
        )
        .await;
    assert!(
        waiting(&certs.body) + waiting(&areas.body) > 0,
        "{} {}",
        certs.body,
        areas.body
    );
    assert_eq!(id_of(&subject.body).to_string(), subject_id);
}

//! Every province (issue 14): the whole country's units in both editions, auditors anywhere,
//! subjects following the 1 July 2025 successions — splits included.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, subject_body, unit};

fn population(report: &Value) -> i64 {
    report["population"].as_i64().unwrap_or(-1)
}

async fn report(app: &TestApp, token: &str, unit_id: uuid::Uuid, as_of: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={unit_id}&as_of={as_of}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body
}

#[rocket::async_test]
async fn an_auditor_of_ha_giang_registers_subjects_and_they_follow_the_2025_successions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (old, new) = (None, Some("2025-07-01"));
    let ha_giang = unit("province", "02", old);
    let tuyen_quang = unit("province", "08", new);
    let auditor = app.auditor(ha_giang).await;

    // Phường Trần Phú went whole into Phường Hà Giang 2; Phường Quang Trung was split between
    // Hà Giang 2 and Hà Giang 1.
    let mut subjects = Vec::new();
    for (name, commune) in [
        ("HTX Chè Shan Trần Phú", "00691"),
        ("HTX Cam Quang Trung", "00688"),
    ] {
        let res = app
            .post(
                "/api/v1/subjects",
                Some(&auditor),
                &subject_body(name, &unit("commune", commune, old).to_string()),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        let s = res.body;
        let p = app
            .seed_product(&auditor, &s, &format!("Sản phẩm {name}"))
            .await;
        app.seed_recognition(&auditor, &p, &format!("QĐ-{commune}"), "2024-06-01", 3)
            .await;
        subjects.push(s);
    }
    // Another province's auditor cannot register there.
    let lao_cai = app.auditor(unit("province", "10", old)).await;
    let res = app
        .post(
            "/api/v1/subjects",
            Some(&lao_cai),
            &subject_body("HTX Ngoài tỉnh", &unit("commune", "00691", old).to_string()),
        )
        .await;
    assert_eq!(res.status, Status::Forbidden, "{:?}", res.body);

    // Before the reform: Hà Giang counts both.
    let before = report(&app, &auditor, ha_giang, "2025-06-30").await;
    assert_eq!(population(&before), 2, "{before}");
    // After it: Tuyên Quang, which Hà Giang became part of, counts both, for its own auditor.
    let tq_auditor = app.auditor(tuyen_quang).await;
    let after = report(&app, &tq_auditor, tuyen_quang, "2025-12-01").await;
    assert_eq!(population(&after), 2, "{after}");
    // The split commune's subject is not counted in a new commune that holds part of its old one.
    let hg2 = unit("commune", "00691", new);
    let hg1 = unit("commune", "00694", new);
    let in_hg2 = report(&app, &admin, hg2, "2025-12-01").await;
    assert_eq!(population(&in_hg2), 1, "{in_hg2}");
    let ambiguous = in_hg2["ambiguous_geography"].to_string();
    assert!(
        ambiguous.contains(subjects[1]["id"].as_str().unwrap()),
        "{in_hg2}"
    );
    assert_eq!(
        population(&report(&app, &admin, hg1, "2025-12-01").await),
        0
    );

    // A relocation with its effective date settles it.
    let sid = id_of(&subjects[1]);
    let current = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    let res = app
        .patch(
            &format!("/api/v1/subjects/{sid}"),
            Some(&admin),
            &json!({"commune_id": hg1, "effective_on": "2025-07-01"}),
            current.etag.as_deref(),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let in_hg1 = report(&app, &admin, hg1, "2025-12-01").await;
    assert_eq!(population(&in_hg1), 1, "{in_hg1}");
    let in_hg2 = report(&app, &admin, hg2, "2025-12-01").await;
    assert_eq!(in_hg2["ambiguous_geography"], json!([]), "{in_hg2}");
    assert_eq!(
        population(&report(&app, &tq_auditor, tuyen_quang, "2025-12-01").await),
        2
    );
}

#[rocket::async_test]
async fn units_are_found_across_the_country_with_their_province() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .get(
            "/api/v1/units?q=tan%20thanh&level=commune&on=2025-06-30&per_page=100",
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let items = res.body["items"].as_array().unwrap();
    assert!(
        items.len() > 10,
        "dozens of Tân Thành / Tân Thạnh: {}",
        items.len()
    );
    let provinces: std::collections::HashSet<String> = items
        .iter()
        .map(|u| {
            u["within"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(provinces.len() > 5, "{provinces:?}");
    assert!(provinces.contains("Tỉnh Quảng Nam"), "{provinces:?}");
    // The island special zones trace back to their districts.
    let ly_son = app
        .get(
            &format!("/api/v1/units/{}", unit("district", "536", None)),
            Some(&admin),
        )
        .await;
    assert_eq!(ly_son.status, Status::Ok);
    assert!(
        ly_son.body["successors"]
            .to_string()
            .contains("Đặc khu Lý Sơn"),
        "{:?}",
        ly_son.body
    );
}

/// A database made when the registry knew only Quảng Nam (its two files) is upgraded: the rest
/// of the country is added, and nothing that pointed to a unit points elsewhere.
#[rocket::async_test]
async fn an_upgrade_from_a_quang_nam_only_database_keeps_every_id() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::HashSet;
    let app = TestApp::spawn().await;
    let full = app.count("unit").await;
    let full_links = app.count("unit_link").await;
    // The previous release held Quảng Nam's units (until 2025-07-01) and the Đà Nẵng units of
    // 1 July that replaced them: take every other unit out, as that database never had them.
    let qn: Vec<Value> =
        serde_json::from_str(include_str!("../../data/units/quang_nam_2019_2025.json")).unwrap();
    let dn: Vec<Value> = serde_json::from_str(include_str!(
        "../../data/units/da_nang_2025_from_quang_nam.json"
    ))
    .unwrap();
    let code = |u: &Value| u["code"].as_str().unwrap().to_owned();
    let old_qn: HashSet<String> = qn.iter().map(code).collect();
    let new_dn: HashSet<String> = dn.iter().map(code).chain(["48".to_owned()]).collect();
    let units = entity::unit::Entity::find().all(&app.db).await.unwrap();
    let reform = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let kept = |u: &entity::unit::Model| {
        if u.valid_from == Some(reform) {
            new_dn.contains(&u.code)
        } else {
            old_qn.contains(&u.code)
        }
    };
    let gone: Vec<uuid::Uuid> = units.iter().filter(|u| !kept(u)).map(|u| u.id).collect();
    // Nor the country unit above the provinces.
    entity::unit::Entity::update_many()
        .col_expr(
            entity::unit::Column::ParentId,
            sea_orm::sea_query::Expr::value(Option::<uuid::Uuid>::None),
        )
        .filter(entity::unit::Column::Level.eq("province"))
        .exec(&app.db)
        .await
        .unwrap();
    let ids_before: HashSet<uuid::Uuid> = units.iter().filter(|u| kept(u)).map(|u| u.id).collect();
    for chunk in gone.chunks(500) {
        entity::unit_link::Entity::delete_many()
            .filter(entity::unit_link::Column::FromUnitId.is_in(chunk.to_vec()))
            .exec(&app.db)
            .await
            .unwrap();
        entity::unit_link::Entity::delete_many()
            .filter(entity::unit_link::Column::ToUnitId.is_in(chunk.to_vec()))
            .exec(&app.db)
            .await
            .unwrap();
    }
    for level in ["commune", "district", "province", "country"] {
        for chunk in gone.chunks(500) {
            entity::unit::Entity::delete_many()
                .filter(entity::unit::Column::Id.is_in(chunk.to_vec()))
                .filter(entity::unit::Column::Level.eq(level))
                .exec(&app.db)
                .await
                .unwrap();
        }
    }
    assert_eq!(app.count("unit").await as usize, ids_before.len());

    // What that database holds: a subject of Tân Thạnh, its area, a report frozen for Tam Kỳ.
    let admin = app.admin().await;
    let s = app
        .seed_subject(&admin, "20335", "HTX Trước nâng cấp")
        .await;
    let p = app.seed_product(&admin, &s, "Sản phẩm cũ").await;
    app.seed_recognition(&admin, &p, "QĐ-1", "2024-06-01", 3)
        .await;
    let tam_ky = unit("district", "502", None);
    let frozen = app
        .post(
            "/api/v1/reports",
            Some(&admin),
            &json!({"unit_id": tam_ky, "as_of": "2025-06-30"}),
        )
        .await;
    assert_eq!(frozen.status, Status::Created, "{:?}", frozen.body);
    let report_path = format!("/api/v1/reports/{}", id_of(&frozen.body));
    let filed = app.get(&report_path, Some(&admin)).await.body;

    // The upgrade: the loader of this release, as at start-up.
    let (added, _) = ocop_registry::units::loader::load(&app.db).await.unwrap();
    assert_eq!(added as usize, gone.len());
    assert_eq!(app.count("unit").await, full);
    assert_eq!(app.count("unit_link").await, full_links);
    let after: HashSet<uuid::Uuid> = entity::unit::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert!(
        ids_before.is_subset(&after),
        "every existing id is still there"
    );
    // The provinces it held now lie in the country, like the others.
    let country = unit("country", "VN", None);
    let orphans = entity::unit::Entity::find()
        .filter(entity::unit::Column::Level.eq("province"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.parent_id != Some(country))
        .count();
    assert_eq!(orphans, 0);
    let subject = app
        .get(&format!("/api/v1/subjects/{}", id_of(&s)), Some(&admin))
        .await;
    assert_eq!(subject.body["commune_id"], s["commune_id"]);
    assert_eq!(
        app.get(&report_path, Some(&admin)).await.body,
        filed,
        "the filed report is unchanged"
    );
    // And a second start adds nothing.
    assert_eq!(
        ocop_registry::units::loader::load(&app.db).await.unwrap(),
        (0, 0)
    );
}

/// The country is a unit like any other: its report has every province valid on the day as a
/// child (63 before the reform, 34 after), the children add up to it, and only administrators
/// and auditors of the whole country read it.
#[rocket::async_test]
async fn the_whole_country_is_reported_with_every_province_as_a_child() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let country = unit("country", "VN", None);
    // Hà Giang (into Tuyên Quang), Quảng Nam (into Đà Nẵng), Cà Mau (which took in Bạc Liêu).
    for (name, commune) in [
        ("HTX Chè Shan", "00691"),
        ("HTX Quế Trà My", "20335"),
        ("HTX Tôm Cà Mau", "31999"),
    ] {
        let s = app.seed_subject(&admin, commune, name).await;
        let p = app
            .seed_product(&admin, &s, &format!("Sản phẩm {name}"))
            .await;
        app.seed_recognition(&admin, &p, &format!("QĐ-{commune}"), "2024-06-01", 3)
            .await;
    }
    let child = |r: &Value, code: &str| -> i64 {
        r["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["unit"]["code"] == code)
            .map_or(-1, |c| c["population"].as_i64().unwrap())
    };
    for (as_of, provinces, counted) in [
        (
            "2025-06-30",
            63,
            [("02", 1), ("49", 1), ("96", 1), ("08", 0)],
        ),
        (
            "2025-12-01",
            34,
            [("08", 1), ("48", 1), ("96", 1), ("02", -1)],
        ),
    ] {
        let r = report(&app, &admin, country, as_of).await;
        assert_eq!(r["unit"]["name"], "Việt Nam");
        assert_eq!(population(&r), 3, "{as_of}: {r}");
        let children = r["children"].as_array().unwrap();
        assert_eq!(children.len(), provinces, "{as_of}");
        let sum: i64 = children
            .iter()
            .map(|c| c["population"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 3, "{as_of}");
        for (code, n) in counted {
            assert_eq!(child(&r, code), n, "{as_of}: province {code}");
        }
    }

    // A province's auditor does not read the country; an auditor of the country does.
    let ha_giang = app.auditor(unit("province", "02", None)).await;
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={country}&as_of=2025-06-30"),
            Some(&ha_giang),
        )
        .await;
    assert_eq!(res.status, Status::Forbidden, "{:?}", res.body);
    assert_eq!(res.error_code(), "forbidden");
    let national = app.auditor(country).await;
    assert_eq!(
        population(&report(&app, &national, country, "2025-12-01").await),
        3
    );

    // It is found as a unit, and the units inside it do not repeat its name.
    let res = app.get("/api/v1/units?level=country", Some(&admin)).await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["items"][0]["id"], country.to_string());
    let res = app.get("/api/v1/units?code=49", Some(&admin)).await;
    assert_eq!(res.body["items"][0]["parent_id"], country.to_string());
    assert_eq!(res.body["items"][0]["within"], json!([]));
}

//! Raw-material areas: exact hectares, GeoJSON, linkage contracts, scope.

use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of};

pub fn area_body(name: &str, ha: &str) -> Value {
    json!({
        "name": name,
        "commune_id": commune("20335", None),
        "material": "Sâm Ngọc Linh",
        "variety": "Panax vietnamensis",
        "area_ha": ha,
        "tenure": "own",
        "valid_from": "2022-01-01"
    })
}

fn square(lon: f64, lat: f64) -> Value {
    json!([
        [lon, lat],
        [lon + 0.01, lat],
        [lon + 0.01, lat + 0.01],
        [lon, lat + 0.01],
        [lon, lat]
    ])
}

#[rocket::async_test]
async fn hectares_are_exact_and_sum_exactly() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Sâm").await;
    let path = format!("/api/v1/subjects/{}/areas", id_of(&s));

    let big = app
        .post(&path, Some(&admin), &area_body("Vùng lớn", "12.3456"))
        .await;
    let tiny = app
        .post(&path, Some(&admin), &area_body("Vùng nhỏ", "0.0001"))
        .await;
    let max = app
        .post(&path, Some(&admin), &area_body("Vùng tối đa", "99999.9999"))
        .await;

    assert_eq!(big.status, Status::Created, "{:?}", big.body);
    assert_eq!(big.body["area_ha"], "12.3456");
    assert_eq!(tiny.body["area_ha"], "0.0001");
    assert_eq!(max.body["area_ha"], "99999.9999");
    let fetched = app
        .get(
            &format!("/api/v1/areas/{}", id_of(&tiny.body)),
            Some(&admin),
        )
        .await;
    assert_eq!(fetched.body["area_ha"], "0.0001");
    let list = app.get(&path, Some(&admin)).await;
    assert_eq!(list.body["total"], 3);
    assert_eq!(
        list.body["total_area_ha"], "100012.3456",
        "12.3456 + 0.0001 + 99999.9999"
    );
}

#[rocket::async_test]
async fn every_area_rule_is_rejected_with_422_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Sâm").await;
    let path = format!("/api/v1/subjects/{}/areas", id_of(&s));
    let open_ring = json!([[108.0, 15.0], [108.1, 15.0], [108.1, 15.1], [108.0, 15.1]]);
    let many: Vec<Value> = (0..10_001)
        .map(|i| json!([108.0 + f64::from(i) * 1e-6, 15.0]))
        .chain(std::iter::once(json!([108.0, 15.0])))
        .collect();
    let linkage = json!({"contract_no": "HĐ-01", "counterparty": "Tổ hợp tác Trà Linh",
                         "counterparty_kind": "households", "households": 40,
                         "start_on": "2022-01-01", "end_on": "2024-12-31"});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"area_ha": "0"}), "area_ha"),
        (json!({"area_ha": "-1"}), "area_ha"),
        (json!({"area_ha": "1.23456"}), "area_ha"),
        (json!({"area_ha": "100000.0001"}), "area_ha"),
        (json!({"area_ha": 12.5}), "area_ha"),
        (json!({"area_ha": "mười"}), "area_ha"),
        (json!({"name": ""}), "name"),
        (json!({"material": " "}), "material"),
        (json!({"tenure": "borrowed"}), "tenure"),
        (json!({"commune_id": uuid::Uuid::new_v4()}), "commune_id"),
        (
            json!({"growing_area_code": "VN 49 / ?"}),
            "growing_area_code",
        ),
        (
            json!({"valid_from": "2024-01-01", "valid_to": "2023-12-31"}),
            "valid_to",
        ),
        (
            json!({"geometry": {"type": "Polygon", "coordinates": [open_ring]}}),
            "geometry",
        ),
        (
            json!({"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}),
            "geometry",
        ),
        (
            json!({"geometry": {"type": "Point", "coordinates": [108.2, 30.0]}}),
            "geometry",
        ),
        (
            json!({"geometry": {"type": "LineString", "coordinates": [[108.0, 15.0], [108.1, 15.1]]}}),
            "geometry",
        ),
        (
            json!({"geometry": {"type": "Polygon", "coordinates": [many]}}),
            "geometry",
        ),
        (
            json!({"geometry": {"type": "Polygon", "coordinates": "none"}}),
            "geometry",
        ),
        (json!({"tenure": "linked"}), "linkage"),
        (json!({"tenure": "own", "linkage": linkage}), "linkage"),
        (
            json!({"tenure": "linked", "linkage": {"contract_no": "HĐ-02", "counterparty": "HTX",
                   "counterparty_kind": "cooperative", "start_on": "2024-01-01", "end_on": "2023-01-01"}}),
            "linkage.end_on",
        ),
        (
            json!({"tenure": "linked", "linkage": {"contract_no": "HĐ-03", "counterparty": "HTX",
                   "counterparty_kind": "guild", "start_on": "2022-01-01", "end_on": "2025-01-01"}}),
            "linkage.counterparty_kind",
        ),
        (
            json!({"tenure": "linked", "linkage": {"contract_no": "HĐ-04", "counterparty": "HTX",
                   "counterparty_kind": "households", "households": 0,
                   "start_on": "2022-01-01", "end_on": "2025-01-01"}}),
            "linkage.households",
        ),
    ];
    for (patch, field) in cases {
        let mut body = area_body("Vùng", "1.5");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.post(&path, Some(&admin), &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{field}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{patch}");
    }
    assert_eq!(app.count("raw_material_area").await, 0);

    // The geometry rules hold on PATCH too.
    let ok = app
        .post(&path, Some(&admin), &area_body("Vùng", "1.5"))
        .await;
    let res = app
        .patch(
            &format!("/api/v1/areas/{}", id_of(&ok.body)),
            Some(&admin),
            &json!({"geometry": {"type": "Polygon", "coordinates": [[[108.0, 15.0], [108.1, 15.0], [108.1, 15.1], [108.0, 15.1]]]}}),
            None,
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), vec!["geometry"]);
    // …said in the reader's language, down to which ring of which polygon.
    assert_eq!(
        res.body["error"]["fields"]["geometry"][0],
        "đa giác 1 vòng 1 chưa khép kín: vị trí cuối phải trùng vị trí đầu"
    );
    let en = app
        .patch(
            &format!("/api/v1/areas/{}?lang=en", id_of(&ok.body)),
            Some(&admin),
            &json!({"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}),
            None,
        )
        .await;
    assert_eq!(
        en.body["error"]["fields"]["geometry"][0],
        "the point [2.35, 48.85] lies outside Vietnam's territory (its mainland, waters and islands, the Hoàng Sa and Trường Sa archipelagos included)"
    );
}

/// Areas are real places: valid shapes inside Vietnam (both archipelagos included), stored
/// counter-clockwise, measured on the ellipsoid; declared hectares far from the polygons' are
/// flagged, and verifying a flagged area takes a reason for it.
#[rocket::async_test]
async fn areas_are_valid_places_measured_and_flagged_when_their_hectares_stray() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Ranh Giới").await;
    let path = format!("/api/v1/subjects/{}/areas", id_of(&s));
    let with = |name: &str, ha: &str, geometry: Value| {
        let mut body = area_body(name, ha);
        body["geometry"] = geometry;
        body
    };
    let polygon = |ring: Value| json!({"type": "Polygon", "coordinates": [ring]});
    let refused = [
        (
            "bowtie",
            polygon(json!([
                [108.0, 15.0],
                [108.1, 15.1],
                [108.1, 15.0],
                [108.0, 15.1],
                [108.0, 15.0]
            ])),
            "tự cắt",
        ),
        (
            "flat",
            polygon(json!([
                [108.0, 15.0],
                [108.1, 15.0],
                [108.2, 15.0],
                [108.0, 15.0]
            ])),
            "",
        ),
        (
            "overlapping parts",
            json!({"type": "MultiPolygon", "coordinates": [[square(108.0, 15.0)], [square(108.005, 15.005)]]}),
            "chồng lên nhau",
        ),
        (
            "Vientiane",
            json!({"type": "Point", "coordinates": [102.6, 17.97]}),
            "ngoài lãnh thổ",
        ),
        ("Hainan", polygon(square(110.0, 19.5)), "ngoài lãnh thổ"),
        (
            "Nghệ An, Điện Biên, Hà Nội: most of it in Laos",
            polygon(json!([
                [105.68, 18.67],
                [103.02, 21.38],
                [105.85, 21.03],
                [105.68, 18.67]
            ])),
            "rộng hơn 100000 ha",
        ),
    ];
    for (what, geometry, says) in refused {
        let res = app
            .post(&path, Some(&admin), &with(what, "1", geometry))
            .await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{what}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec!["geometry"], "{what}");
        let message = res.body["error"]["fields"]["geometry"][0].as_str().unwrap();
        assert!(message.contains(says), "{what}: {message}");
    }
    assert_eq!(app.count("raw_material_area").await, 0);
    // The archipelagos are Vietnam's.
    for (island, lon, lat) in [("Hoàng Sa", 112.33, 16.83), ("Trường Sa", 111.92, 8.64)] {
        let res = app
            .post(
                &path,
                Some(&admin),
                &with(
                    island,
                    "1",
                    json!({"type": "Point", "coordinates": [lon, lat]}),
                ),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{island}: {:?}", res.body);
    }
    // Sent clockwise: stored counter-clockwise, measured (pyproj: 119.0005 ha), not flagged.
    let clockwise = json!([
        [108.0, 15.0],
        [108.0, 15.01],
        [108.01, 15.01],
        [108.01, 15.0],
        [108.0, 15.0]
    ]);
    let fair = app
        .post(
            &path,
            Some(&admin),
            &with("Vùng đúng", "115", polygon(clockwise)),
        )
        .await;
    assert_eq!(fair.status, Status::Created, "{:?}", fair.body);
    assert_eq!(
        fair.body["geometry"]["coordinates"][0][1],
        json!([108.01, 15.0])
    );
    assert_eq!(fair.body["geometry_area_ha"], "119.0005");
    assert_eq!(fair.body["warnings"], json!([]));
    // Declared a tenth of its polygon: flagged, and not verified without a reason for it.
    let ring = json!([
        [108.0, 15.0],
        [108.01, 15.0],
        [108.01, 15.01],
        [108.0, 15.01],
        [108.0, 15.0]
    ]);
    let stray = app
        .post(
            &path,
            Some(&admin),
            &with("Vùng lệch", "11.9", polygon(ring)),
        )
        .await;
    assert_eq!(stray.status, Status::Created, "{:?}", stray.body);
    assert_eq!(stray.body["warnings"][0]["code"], "hectares_differ");
    assert_eq!(stray.body["warnings"][0]["difference_percent"], "-90.0");
    let transitions = format!("/api/v1/areas/{}/transitions", id_of(&stray.body));
    // The auditor's queue and the subject's page say so, in Vietnamese figures.
    let otp = crate::pages::account(
        &app,
        &admin,
        json!({"username": "kiemtra.vung", "role": "auditor",
               "unit_id": crate::helpers::unit("province", "49", None), "display_name": "Kiểm Tra Vùng"}),
    )
    .await;
    crate::pages::sign_in_and_change(&app.client, "kiemtra.vung", &otp, "mật khẩu mới đủ dài")
        .await;
    let warning =
        "diện tích khai báo 11,9 ha lệch -90,0% so với diện tích theo ranh giới (119,0005 ha)";
    for path in [
        "/queue?tab=areas".to_owned(),
        format!("/subjects/{}", id_of(&s)),
    ] {
        let html = crate::pages::page(&app.client, &path).await;
        assert!(html.body.contains(warning), "{path}: {}", html.body);
    }
    let today = ocop_registry::clock::today().to_string();
    let verify = json!({"to": "verified", "reason": "Đã kiểm tra hồ sơ", "effective_on": today});
    let res = app.post(&transitions, Some(&admin), &verify).await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), vec!["warning_reason"]);
    // Blanks and invisible characters are no reason.
    for blank in ["", "   ", "\u{a0}\u{200b}", "-"] {
        let mut said = verify.clone();
        said["warning_reason"] = json!(blank);
        let res = app.post(&transitions, Some(&admin), &said).await;
        assert_eq!(
            res.error_fields(),
            vec!["warning_reason"],
            "{blank:?}: {:?}",
            res.body
        );
    }
    assert!(
        res.body["error"]["fields"]["warning_reason"][0]
            .as_str()
            .unwrap()
            .contains("lệch -90.0%"),
        "{:?}",
        res.body
    );
    let mut with_reason = verify.clone();
    with_reason["warning_reason"] = json!("Ranh giới cũ; diện tích theo hợp đồng đã đo lại");
    let res = app.post(&transitions, Some(&admin), &with_reason).await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let reason = res.body["history"].as_array().unwrap().last().unwrap()["reason"].clone();
    assert_eq!(
        reason,
        "Đã kiểm tra hồ sơ — Ranh giới cũ; diện tích theo hợp đồng đã đo lại"
    );
}

#[rocket::async_test]
async fn linked_area_carries_its_contract_and_geometry() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Quế").await;
    let mut body = area_body("Vùng quế liên kết", "25.5");
    body["tenure"] = json!("linked");
    body["growing_area_code"] = json!("VN-49-515-20500-001-23");
    body["geometry"] = json!({"type": "MultiPolygon", "coordinates": [[square(108.2, 15.2)], [square(108.3, 15.3)]]});
    body["linkage"] = json!({"contract_no": "HĐLK-12/2022", "counterparty": "Tổ hợp tác quế Trà My",
                             "counterparty_kind": "cooperative_group", "households": 35,
                             "start_on": "2022-01-01", "end_on": "2024-12-31"});

    let res = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s)),
            Some(&admin),
            &body,
        )
        .await;

    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let l = &res.body["linkage"];
    assert_eq!(l["contract_no"], "HĐLK-12/2022");
    assert_eq!(l["months"], 36, "2022-01-01 to 2024-12-31 inclusive");
    assert_eq!(res.body["growing_area_code"], "VN-49-515-20500-001-23");
    assert_eq!(res.body["geometry"]["type"], "MultiPolygon");

    // Leaving `linked` drops the contract; the audit trail keeps it.
    let path = format!("/api/v1/areas/{}", id_of(&res.body));
    let own = app
        .patch(&path, Some(&admin), &json!({"tenure": "leased"}), None)
        .await;
    assert_eq!(own.status, Status::Ok, "{:?}", own.body);
    assert_eq!(own.body["linkage"], Value::Null);
    let audit = app.audit_of(&id_of(&res.body).to_string()).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[1]["before"]["linkage"]["households"], 35);
    assert_eq!(audit[1]["after"]["linkage"], Value::Null);
}

#[rocket::async_test]
async fn owner_cannot_read_or_change_another_subjects_areas() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mine = app.seed_subject(&admin, "20335", "HTX Tôi").await;
    let theirs = app.seed_subject(&admin, "20335", "HTX Họ").await;
    let area = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&theirs)),
            Some(&admin),
            &area_body("Vùng họ", "3"),
        )
        .await
        .body;
    let owner = app.owner_of(&mine).await;

    let get = app
        .get(&format!("/api/v1/areas/{}", id_of(&area)), Some(&owner))
        .await;
    let list = app
        .get(
            &format!("/api/v1/subjects/{}/areas", id_of(&theirs)),
            Some(&owner),
        )
        .await;
    let patch = app
        .patch(
            &format!("/api/v1/areas/{}", id_of(&area)),
            Some(&owner),
            &json!({"area_ha": "1"}),
            None,
        )
        .await;
    let create = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&theirs)),
            Some(&owner),
            &area_body("x", "1"),
        )
        .await;

    for r in [&get, &list, &patch, &create] {
        assert_eq!(r.status, Status::NotFound, "{:?}", r.body);
    }
    assert_eq!(
        app.get(&format!("/api/v1/areas/{}", id_of(&area)), Some(&admin))
            .await
            .body,
        area
    );
    assert_eq!(app.count("raw_material_area").await, 1);
}

/// A unit's map draws every area in its communes on the day, and marks those the value-chain
/// indicator stands on (verified, of a subject that counts) apart from the merely verified.
#[rocket::async_test]
async fn a_units_map_marks_the_areas_the_indicator_counts() {
    use crate::pages::{account, page, sign_in_and_change};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // S1 counts: recognised, its own verified area, a verified VietGAP certificate.
    let s1 = app.seed_subject(&admin, "20335", "HTX Được Tính").await;
    let p1 = app.seed_product(&admin, &s1, "Mật ong").await;
    app.seed_recognition(&admin, &p1, "QĐ 1", "2023-01-10", 3)
        .await;
    let mut counted = area_body("Vùng ong", "119");
    counted["geometry"] = json!({"type": "Polygon", "coordinates": [square(108.40, 15.50)]});
    counted["submitted_on"] = json!("2022-01-01");
    let counted = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s1)),
            Some(&admin),
            &counted,
        )
        .await;
    assert_eq!(counted.status, Status::Created, "{:?}", counted.body);
    app.verify_area(&admin, &counted.body, "2022-01-01").await;
    let cert = app
        .post(
            &format!("/api/v1/subjects/{}/certifications", id_of(&s1)),
            Some(&admin),
            &json!({"scheme": "vietgap", "certificate_no": "VG-1", "issuer": "QUACERT",
                    "issued_on": "2025-01-10", "expires_on": "2027-01-10",
                    "submitted_on": "2025-01-10"}),
        )
        .await;
    assert_eq!(cert.status, Status::Created, "{:?}", cert.body);
    let moved = app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(&cert.body)),
            Some(&admin),
            &json!({"to": "verified", "reason": "đã kiểm tra", "effective_on": "2025-02-01"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{:?}", moved.body);
    // S2 has a verified area but is not recognised: drawn, not counted.
    let s2 = app
        .seed_subject(&admin, "20335", "HTX Chưa Công Nhận")
        .await;
    let mut other = area_body("Vùng quế", "118");
    other["geometry"] = json!({"type": "Polygon", "coordinates": [square(108.43, 15.50)]});
    other["submitted_on"] = json!("2022-01-01");
    let other = app
        .post(
            &format!("/api/v1/subjects/{}/areas", id_of(&s2)),
            Some(&admin),
            &other,
        )
        .await;
    assert_eq!(other.status, Status::Created, "{:?}", other.body);
    app.verify_area(&admin, &other.body, "2022-01-01").await;
    let tam_ky = crate::helpers::unit("district", "502", None);
    let value_chain = app
        .get(
            &format!("/api/v1/indicators?unit_id={tam_ky}&as_of=2025-06-30"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        value_chain.body["indicators"][0]["numerator"], 1,
        "{:?}",
        value_chain.body
    );

    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.bando2", "role": "auditor",
               "unit_id": crate::helpers::unit("province", "49", None), "display_name": "Bản Đồ"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.bando2", &otp, "mật khẩu bản đồ 2025").await;
    let map = page(&app.client, "/dashboard/map?unit=502&date=30/06/2025").await;
    assert_eq!(map.status, Status::Ok, "{}", map.body);
    assert!(
        map.body
            .contains("2 vùng có ranh giới, 1 vùng đang được tính"),
        "{}",
        map.body
    );
    let statuses: Vec<&str> = ["counting", "verified", "submitted"]
        .into_iter()
        .filter(|s| {
            map.body
                .contains(&format!("&#34;status&#34;:&#34;{s}&#34;"))
        })
        .collect();
    assert_eq!(statuses, ["counting", "verified"], "{}", map.body);
    // Before either area was in force, nothing to draw.
    let before = page(&app.client, "/dashboard/map?unit=502&date=31/12/2021").await;
    assert!(before.body.contains("id=\"map-none\""), "{}", before.body);
    // Read as the dashboard reads them: without a unit, the auditor's own; a code of another
    // time, the one unit it became (Quảng Nam, 49, became part of Đà Nẵng).
    let own = page(&app.client, "/dashboard/map?date=30/06/2025").await;
    assert_eq!(own.status, Status::Ok, "{}", own.body);
    assert!(own.body.contains("Tỉnh Quảng Nam"), "{}", own.body);
    let later = page(&app.client, "/dashboard/map?unit=49&date=01/01/2026").await;
    assert_eq!(later.status, Status::Ok, "{}", later.body);
    assert!(later.body.contains("Thành phố Đà Nẵng"), "{}", later.body);
    assert!(!later.body.contains("/api/v1/units"), "{}", later.body);
}

//! The department's whole job on a subject in the browser (issue 31): register a subject, edit
//! its identity with the day it takes effect, add a product, record a star recognition and
//! revoke it — each through the API's services, refused beside its field with nothing written —
//! and units found by their names or opened as a tree of a chosen day.

use rocket::http::Status;
use serde_json::json;

use crate::helpers::{TestApp, unit};
use crate::pages::{account, csrf_of, form, page, sign_in_and_change};

#[rocket::async_test]
async fn an_auditor_registers_edits_recognises_and_revokes_from_the_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.dangky", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Lê Thị Đăng Ký"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.dangky", &otp, "mật khẩu mới đủ dài").await;

    // The list offers the register form, its commune field a list of the auditor's communes
    // by name, each with its province and code.
    let list = page(c, "/subjects").await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    assert!(list.body.contains("id=\"form-subject\""), "{}", list.body);
    assert!(list.body.contains("list=\"communes\""), "{}", list.body);
    assert!(
        list.body
            .contains("<option value=\"Phường Bàn Thạch — Thành phố Đà Nẵng (20335)\">"),
        "{}",
        list.body
    );
    let csrf = csrf_of(&list.body);
    let before = app.count("subject").await;
    let register = |tax: &'static str, commune: &'static str| {
        let csrf = csrf.clone();
        async move {
            form(
                c,
                "/subjects/new",
                &[
                    ("csrf", csrf.as_str()),
                    ("f[name]", "HTX Rau Bàn Thạch"),
                    ("f[legal_form]", "cooperative"),
                    ("f[tax_code]", tax),
                    ("f[commune_id]", commune),
                    ("f[founded_on]", "15/03/2019"),
                ],
            )
            .await
        }
    };
    // A wrong tax code is refused beside its field, in Vietnamese, as typed; nothing written.
    let refused = register("4000101454", "ban thach").await;
    assert_eq!(
        refused.status,
        Status::UnprocessableEntity,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("id=\"error-subject-tax_code\">chữ số kiểm tra"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"HTX Rau Bàn Thạch\""));
    // The page opens on a summary of what to correct, each item a link to its field.
    assert!(
        refused.body.contains("id=\"subject-summary\"")
            && refused.body.contains("autofocus")
            && refused
                .body
                .contains("<a href=\"#subject-tax_code\">Mã số thuế: chữ số kiểm tra"),
        "{}",
        refused.body
    );
    assert_eq!(app.count("subject").await, before);
    // A commune name shared by several units is not chosen silently: the refusal names them.
    let ambiguous = register("4000101453", "hoa").await;
    assert_eq!(ambiguous.status, Status::UnprocessableEntity);
    assert!(
        ambiguous.body.contains("là tên của nhiều đơn vị"),
        "{}",
        ambiguous.body
    );
    assert_eq!(app.count("subject").await, before);
    // Every slip of a form is said at once: a missing name with an impossible date.
    let slips = form(
        c,
        "/subjects/new",
        &[
            ("csrf", csrf.as_str()),
            ("f[name]", " "),
            ("f[legal_form]", "cooperative"),
            ("f[commune_id]", "ban thach"),
            ("f[founded_on]", "31/02/2020"),
        ],
    )
    .await;
    assert_eq!(slips.status, Status::UnprocessableEntity);
    for field in ["name", "founded_on"] {
        assert!(
            slips
                .body
                .contains(&format!("id=\"error-subject-{field}\"")),
            "{field}: {}",
            slips.body
        );
    }
    // A name shared by units of several provinces, however many partial matches come first.
    let shared = register("4000101453", "hoa phu").await;
    assert_eq!(
        shared.status,
        Status::UnprocessableEntity,
        "{}",
        shared.body
    );
    assert!(
        shared.body.contains("là tên của nhiều đơn vị"),
        "{}",
        shared.body
    );
    // A picker's choice whose name is not its code's is refused, not read by the code alone.
    let mismatch = register("4000101453", "Phường Hải Châu (20335)").await;
    assert_eq!(mismatch.status, Status::UnprocessableEntity);
    assert!(
        mismatch
            .body
            .contains("“Phường Hải Châu” không phải tên của đơn vị mã 20335"),
        "{}",
        mismatch.body
    );
    assert_eq!(app.count("subject").await, before);
    // Typed without accents, the commune is the one unit of that name: registered.
    let done = register("4000101453", "ban thach").await;
    assert_eq!(done.status, Status::SeeOther, "{}", done.body);
    let to = done.location.unwrap();
    assert!(to.ends_with("?done=subject"), "{to}");
    let sid = to["/subjects/".len()..to.find('?').unwrap()].to_owned();
    let api = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(api.body["commune"]["code"], "20335", "{}", api.body);
    assert_eq!(api.body["founded_on"], "2019-03-15");

    let file = page(c, &to).await;
    assert!(file.body.contains("Đã đăng ký chủ thể."), "{}", file.body);
    let csrf = csrf_of(&file.body);
    let version = api.body["version"].to_string();
    let base = format!("/subjects/{sid}/forms");
    // An identity change without the day it takes effect is refused naming that day.
    let no_day = form(
        c,
        &format!("{base}/identity"),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("f[name]", "HTX Rau sạch Bàn Thạch"),
            ("f[legal_form]", "cooperative"),
            ("f[tax_code]", "4000101453"),
            ("f[commune_id]", "Phường Bàn Thạch (20335)"),
        ],
    )
    .await;
    assert_eq!(
        no_day.status,
        Status::UnprocessableEntity,
        "{}",
        no_day.body
    );
    assert!(
        no_day.body.contains("id=\"error-identity-effective_on\""),
        "{}",
        no_day.body
    );
    let renamed = form(
        c,
        &format!("{base}/identity"),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("f[name]", "HTX Rau sạch Bàn Thạch"),
            ("f[legal_form]", "cooperative"),
            ("f[tax_code]", "4000101453"),
            ("f[commune_id]", "Phường Bàn Thạch (20335)"),
            ("f[effective_on]", "01/08/2025"),
        ],
    )
    .await;
    assert_eq!(renamed.status, Status::SeeOther, "{}", renamed.body);
    let api = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(api.body["name"], "HTX Rau sạch Bàn Thạch");
    // Only the name changed: the commune typed as the picker offers it is the same unit, not
    // the commune that bore its code before the reform.
    assert_eq!(api.body["commune"]["code"], "20335");
    assert_eq!(api.body["commune"]["name"], "Phường Bàn Thạch");
    // Sent back unchanged, the form says nothing changed (and writes nothing).
    let audit_before = app.count("audit_log").await;
    let same = form(
        c,
        &format!("{base}/identity"),
        &[
            ("csrf", &csrf),
            ("version", &api.body["version"].to_string()),
            ("f[name]", "HTX Rau sạch Bàn Thạch"),
            ("f[legal_form]", "cooperative"),
            ("f[tax_code]", "4000101453"),
            (
                "f[commune_id]",
                "Phường Bàn Thạch — Thành phố Đà Nẵng (20335)",
            ),
            ("f[effective_on]", "01/09/2025"),
        ],
    )
    .await;
    assert_eq!(same.status, Status::UnprocessableEntity, "{}", same.body);
    assert!(same.body.contains("Không có gì thay đổi"), "{}", same.body);
    assert_eq!(app.count("audit_log").await, audit_before);

    // A product, then its recognition, chosen from the subject's own products.
    let added = form(
        c,
        &format!("{base}/product"),
        &[
            ("csrf", &csrf),
            ("f[name]", "Rau mầm Bàn Thạch"),
            ("f[group]", "food"),
        ],
    )
    .await;
    assert_eq!(added.status, Status::SeeOther, "{}", added.body);
    let products = app
        .get(&format!("/api/v1/subjects/{sid}/products"), Some(&admin))
        .await;
    let pid = products.body["items"][0]["id"].as_str().unwrap().to_owned();
    let recognise = |potential: &'static str| {
        let (csrf, pid, base) = (csrf.clone(), pid.clone(), base.clone());
        async move {
            form(
                c,
                &format!("{base}/recognition"),
                &[
                    ("csrf", csrf.as_str()),
                    ("f[product_id]", pid.as_str()),
                    ("f[stars]", "3"),
                    ("f[potential_five_star]", potential),
                    ("f[kind]", "new"),
                    ("f[decision_no]", "QĐ 1234/QĐ-UBND"),
                    ("f[decision_date]", "10/12/2024"),
                    ("f[authority]", "UBND thành phố Đà Nẵng"),
                ],
            )
            .await
        }
    };
    let wrong = recognise("true").await;
    assert_eq!(wrong.status, Status::UnprocessableEntity, "{}", wrong.body);
    assert!(wrong.body.contains("chỉ sản phẩm 4 sao"), "{}", wrong.body);
    assert_eq!(app.count("recognition").await, 0);
    let recorded = recognise("false").await;
    assert_eq!(recorded.status, Status::SeeOther, "{}", recorded.body);
    let recs = app
        .get(
            &format!("/api/v1/products/{pid}/recognitions"),
            Some(&admin),
        )
        .await;
    let rid = recs.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(recs.body["items"][0]["stars"], 3);
    assert_eq!(recs.body["items"][0]["valid_until"], "2027-12-10");

    // Its row offers the revocation, which opens the form with the recognition chosen.
    let file = page(c, &format!("/subjects/{sid}")).await;
    let revoke_href = format!("href=\"/subjects/{sid}?revoke={rid}#form-revoke\"");
    assert!(file.body.contains(&revoke_href), "{}", file.body);
    let opened = page(c, &format!("/subjects/{sid}?revoke={rid}")).await;
    assert!(
        opened
            .body
            .contains(&format!("<option value=\"{rid}\" selected>")),
        "{}",
        opened.body
    );
    let revoked = form(
        c,
        &format!("{base}/revoke"),
        &[
            ("csrf", &csrf),
            ("f[recognition_id]", &rid),
            ("f[revoked_on]", "01/03/2025"),
            ("f[decision_no]", "QĐ 99/QĐ-UBND"),
            ("f[reason]", "Không duy trì chất lượng sản phẩm"),
        ],
    )
    .await;
    assert_eq!(revoked.status, Status::SeeOther, "{}", revoked.body);
    let rec = app
        .get(&format!("/api/v1/recognitions/{rid}"), Some(&admin))
        .await;
    assert_eq!(rec.body["revoked_on"], "2025-03-01", "{}", rec.body);
    // Every step is in the subject's audit trail, by the auditor.
    let file = page(c, &format!("/subjects/{sid}")).await;
    assert!(file.body.contains("Lê Thị Đăng Ký"), "{}", file.body);
    assert!(
        !file.body.contains(&revoke_href),
        "revoked: nothing to revoke"
    );

    // An owner cannot use the department's forms.
    let owner_otp = account(
        &app,
        &admin,
        json!({"username": "chu.banthach", "role": "owner", "subject_id": sid,
               "display_name": "Chủ HTX"}),
    )
    .await;
    let o = app.another_instance().await.0;
    sign_in_and_change(&o, "chu.banthach", &owner_otp, "mật khẩu chủ thể đủ dài").await;
    let me = page(&o, "/me").await;
    let owner_csrf = csrf_of(&me.body);
    let denied = form(
        &o,
        &format!("{base}/product"),
        &[
            ("csrf", &owner_csrf),
            ("f[name]", "Sản phẩm lạ"),
            ("f[group]", "food"),
        ],
    )
    .await;
    assert_eq!(denied.status, Status::Forbidden, "{}", denied.body);
    assert_eq!(
        app.get(&format!("/api/v1/subjects/{sid}/products"), Some(&admin))
            .await
            .body["total"],
        1
    );
}

#[rocket::async_test]
async fn units_are_found_by_name_and_opened_as_the_tree_of_a_day() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.donvi", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Phạm Đơn Vị"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "kiemtra.donvi", &otp, "mật khẩu mới đủ dài").await;

    let found = page(c, "/units?q=dien%20ban&date=30/06/2025").await;
    assert_eq!(found.status, Status::Ok, "{}", found.body);
    assert!(found.body.contains("Thị xã Điện Bàn"), "{}", found.body);
    assert!(
        found
            .body
            .contains("href=\"/dashboard?unit=507&#38;date=2025-06-30\""),
        "{}",
        found.body
    );
    // The provinces of a day, and below one its districts (before the reform)…
    let provinces = page(c, "/units?date=30/06/2025").await;
    assert!(
        provinces.body.contains("Tỉnh Quảng Nam"),
        "{}",
        provinces.body
    );
    let at = provinces
        .body
        .find("class=\"below\">Tỉnh Quảng Nam")
        .unwrap();
    let href_at = provinces.body[..at].rfind("href=\"").unwrap() + 6;
    let below = provinces.body[href_at..at]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    let districts = page(c, &below).await;
    assert!(
        districts.body.contains("Thành phố Tam Kỳ"),
        "{}",
        districts.body
    );
    // …and after it, no province of that name: it merged into Đà Nẵng.
    let after = page(c, "/units?date=01/08/2025").await;
    assert!(!after.body.contains("Tỉnh Quảng Nam"), "{}", after.body);
    assert!(after.body.contains("Thành phố Đà Nẵng"));

    // After the reform, Đà Nẵng's communes grouped by the district, or the province, they were
    // formed from.
    let plain = page(c, "/dashboard?unit=48&date=01/08/2025").await;
    assert_eq!(plain.status, Status::Ok, "{}", plain.body);
    assert!(plain.body.contains("id=\"grouping\""), "{}", plain.body);
    assert!(!plain.body.contains("class=\"group\""));
    let by_district = page(c, "/dashboard?unit=48&date=01/08/2025&group=district").await;
    assert!(
        by_district
            .body
            .contains("<tr class=\"group\"><th colspan=\"12\" scope=\"rowgroup\">Thuộc huyện cũ: Thành phố Tam Kỳ</th></tr>"),
        "{}",
        by_district.body
    );
    let by_province = page(c, "/dashboard?unit=48&date=01/08/2025&group=province").await;
    assert!(
        by_province
            .body
            .contains(">Thuộc tỉnh cũ: Tỉnh Quảng Nam</th>"),
        "{}",
        by_province.body
    );
    assert!(
        by_province
            .body
            .contains(">Thuộc tỉnh cũ: Thành phố Đà Nẵng</th>")
    );
    // The figures are the same rows, only ordered under their groups.
    let rows = |html: &str| html.matches("class=\"child\"").count();
    assert_eq!(rows(&plain.body), rows(&by_district.body));

    // The dashboard and the subject list take a unit by its name as well as its code.
    let by_name = page(c, "/dashboard?unit=dien%20ban&date=30/06/2025").await;
    assert_eq!(by_name.status, Status::Ok, "{}", by_name.body);
    assert!(by_name.body.contains("value=\"507\""), "{}", by_name.body);
    let unknown = page(c, "/subjects?unit=khong%20co%20dau").await;
    assert_eq!(
        unknown.status,
        Status::UnprocessableEntity,
        "{}",
        unknown.body
    );
    assert!(
        unknown.body.contains("không có đơn vị nào tên"),
        "{}",
        unknown.body
    );
}

#[rocket::async_test]
async fn a_subject_selling_only_at_a_market_is_told_to_declare_a_modern_channel() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "Cơ sở Bánh Tráng").await;
    let p = app.seed_product(&admin, &s, "Bánh tráng nướng").await;
    app.seed_recognition(&admin, &p, "QĐ 7", "2024-03-01", 3)
        .await;
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/channels", s["id"].as_str().unwrap()),
            Some(&admin),
            &json!({"kind": "traditional", "platform": "Chợ Tam Kỳ", "active_from": "2024-01-01"}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{}", res.body);
    let explained = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&indicator=modern_channel&counts=false",
                unit("province", "49", None)
            ),
            Some(&admin),
        )
        .await;
    let mine = explained.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"]["id"] == s["id"])
        .unwrap_or_else(|| panic!("{}", explained.body))
        .clone();
    // Not "update the channel's period": what it lacks is a modern channel.
    assert_eq!(
        mine["modern_channel"]["gaps"],
        json!(["no_channel"]),
        "{mine}"
    );
}

#[rocket::async_test]
async fn the_subject_list_filters_by_stars_and_by_being_counted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Recognitions dated from the registry's own today, so the test holds on any day.
    let recent = (ocop_registry::clock::today() - chrono::Days::new(30)).to_string();
    for (i, (name, decided, stars)) in [
        ("HTX Bốn Sao", Some(recent.as_str()), 4),
        ("HTX Ba Sao", Some(recent.as_str()), 3),
        ("HTX Hết Hạn", Some("2019-01-10"), 4),
        ("HTX Chưa Công Nhận", None, 0),
    ]
    .into_iter()
    .enumerate()
    {
        let s = app.seed_subject(&admin, "20335", name).await;
        if let Some(day) = decided {
            let p = app
                .seed_product(&admin, &s, &format!("Sản phẩm {name}"))
                .await;
            app.seed_recognition(&admin, &p, &format!("QĐ {i}"), day, stars)
                .await;
        }
    }
    let names = |body: &serde_json::Value| {
        let mut n: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    let four = app.get("/api/v1/subjects?stars=4", Some(&admin)).await;
    assert_eq!(
        names(&four.body),
        ["HTX Bốn Sao"],
        "an expired 4-star is not"
    );
    let counted = app.get("/api/v1/subjects?counted=true", Some(&admin)).await;
    assert_eq!(names(&counted.body), ["HTX Ba Sao", "HTX Bốn Sao"]);
    let not = app
        .get("/api/v1/subjects?counted=false", Some(&admin))
        .await;
    assert_eq!(names(&not.body), ["HTX Chưa Công Nhận", "HTX Hết Hạn"]);
    let bad = app.get("/api/v1/subjects?stars=6", Some(&admin)).await;
    assert!(
        bad.status.code == 400 || bad.status.code == 422,
        "{}",
        bad.body
    );

    // The page's filters are the API's, and its Excel link keeps them.
    let otp = account(
        &app,
        &admin,
        json!({"username": "quantri.loc", "role": "admin", "display_name": "Mai Lọc"}),
    )
    .await;
    let c = &app.client;
    sign_in_and_change(c, "quantri.loc", &otp, "mật khẩu mới đủ dài").await;
    let list = page(c, "/subjects?stars=3&counted=true").await;
    assert_eq!(list.status, Status::Ok, "{}", list.body);
    assert!(list.body.contains("HTX Ba Sao"), "{}", list.body);
    assert!(!list.body.contains(">HTX Bốn Sao<"), "{}", list.body);
    assert!(
        list.body
            .contains("<option value=\"3\" selected>3 sao</option>"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("stars=3&#38;counted=true"),
        "the export keeps the filters: {}",
        list.body
    );
    let refused = page(c, "/subjects?counted=maybe").await;
    assert_eq!(refused.status, Status::UnprocessableEntity);
}

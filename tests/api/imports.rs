//! Spreadsheets in: a department's list as it is (a title row, Vietnamese headings, districts
//! without communes, missing tax codes, a merged commune, a repeated row), dry run and real run
//! agreeing, drafts for what cannot count yet, errors naming row and column, nothing written
//! when a row is wrong, and a second run changing nothing.

use rocket::http::{ContentType, Status};
use serde_json::Value;

use crate::helpers::{TestApp, commune, id_of, multipart, next_tax_code, unit};

/// The list as a clerk would have it (semicolons, a BOM, a title row, a blank row).
fn list(tax1: &str, tax2: &str, with_errors: bool) -> Vec<u8> {
    let mut rows = vec![
        "DANH SÁCH CHỦ THỂ OCOP TỈNH QUẢNG NAM NĂM 2024".to_owned(),
        String::new(),
        "STT;Tên chủ thể;Loại hình;Mã số thuế;Quận/Huyện;Xã/Phường;Địa chỉ;Điện thoại;Ghi chú"
            .to_owned(),
        // 4: complete, the form abbreviated, the place without accents or level word.
        format!(
            "1;HTX Nông nghiệp Tam Thăng;HTX;{tax1};TP Tam Ky;tam thang;Thôn 1;0235 3 852 123;"
        ),
        // 5: an enterprise named with its form, a district but no commune, no tax code.
        "2;Công ty TNHH Sâm Ngọc Linh;;;Nam Trà My;;;;".to_owned(),
        // 6: a production facility (no tax code needed) in a commune merged on 2025-01-01.
        "3;Cơ sở Bánh tráng Bà Hai;Cơ sở sản xuất;;Phú Ninh;Xã Tam Vinh;;;".to_owned(),
        // 7: a cooperative in Hội An.
        format!("4;Hợp tác xã Rau Trà Quế;Hợp tác xã;{tax2};Hội An;Cẩm Hà;;0905 123 456;"),
    ];
    if with_errors {
        // 8: no name; 9: the first row again; 10: a commune that is not there (a draft).
        rows.push("5;;HTX;;Tam Kỳ;Tam Thăng;;;".to_owned());
        rows.push(format!(
            "6;HTX Nông nghiệp Tam Thăng;HTX;{tax1};Tam Kỳ;Tam Thăng;;;"
        ));
        rows.push("7;Hộ kinh doanh Lê Văn Tư;;;Núi Thành;Xã Không Có;;;".to_owned());
    }
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(rows.join("\r\n").into_bytes());
    bytes
}

fn path(dry_run: bool) -> String {
    let quang_nam = unit("province", "49", None);
    format!("/api/v1/imports?kind=subjects&on=2025-06-30&unit_id={quang_nam}&dry_run={dry_run}")
}

/// The rows and columns a summary's errors name.
fn where_wrong(s: &Value) -> Vec<(i64, &str)> {
    s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap()))
        .collect()
}

fn figures(s: &Value) -> [i64; 5] {
    ["rows", "created", "updated", "unchanged", "drafts"].map(|k| s[k].as_i64().unwrap())
}

#[rocket::async_test]
async fn a_departments_list_imports_as_it_is_with_a_dry_run_that_tells_the_truth() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (tax1, tax2) = (next_tax_code(), next_tax_code());
    let csv = ContentType::new("text", "csv");
    let subjects_before = app.count("subject").await;
    let audit_before = app.count("audit_log").await;

    // With rows in error: the dry run and the real run say the same, neither writes.
    let bad = list(&tax1, &tax2, true);
    let dry = app
        .upload(&path(true), &admin, bad.clone(), csv.clone())
        .await;
    assert_eq!(dry.status, Status::Ok, "{:?}", dry.body);
    let real = app.upload(&path(false), &admin, bad, csv.clone()).await;
    assert_eq!(real.status, Status::Ok, "{:?}", real.body);
    for s in [&dry.body, &real.body] {
        assert_eq!(s["applied"], false, "{s}");
        assert_eq!(figures(s), [7, 3, 0, 0, 2], "{s}");
    }
    assert_eq!(dry.body["errors"], real.body["errors"]);
    // Each row's fate in the file's order; nothing was kept, so nothing made has an id.
    let fates: Vec<(i64, &str, bool)> = real.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().unwrap(),
                r["result"].as_str().unwrap(),
                r["id"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        fates,
        [
            (4, "created", false),
            (5, "draft", false),
            (6, "created", false),
            (7, "created", false),
            (8, "error", false),
            (9, "error", false),
            (10, "draft", false)
        ]
    );
    // The same file returned with its results, as a workbook: each row after its fate and
    // its errors, its cells as sent.
    let book = app
        .client
        .post(format!("{}&format=xlsx", path(true)))
        .header(csv.clone())
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {admin}"),
        ))
        .body(list(&tax1, &tax2, true))
        .dispatch()
        .await;
    assert_eq!(book.status(), Status::Ok);
    let book = book.into_bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 8, "{rows:?}");
    assert_eq!(
        rows[0][..7],
        [
            "Dòng",
            "Kết quả",
            "Bản ghi",
            "Mã bản ghi",
            "Đường dẫn",
            "Lỗi / ghi chú",
            "STT"
        ]
    );
    assert_eq!(
        rows[1][..2],
        ["4", "Sẽ tạo mới"],
        "a check says what it would do"
    );
    assert_eq!(rows[1][7], "HTX Nông nghiệp Tam Thăng", "{rows:?}");
    assert_eq!(rows[5][1], "Lỗi");
    assert!(rows[5][5].starts_with("Tên chủ thể: "), "{rows:?}");
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "a check writes nothing"
    );
    let errors: Vec<(i64, String, String)> = real.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, 8, "{errors:?}");
    assert_eq!(errors[0].1, "Tên chủ thể");
    assert!(errors[0].2.contains("không ghi tên chủ thể"), "{errors:?}");
    assert_eq!((errors[1].0, errors[1].2.as_str()), (9, "trùng với dòng 4"));
    // The merged commune is taken as its successor, and the summary says so; a commune not
    // found is kept as a draft, and the summary says so too.
    let notes = real.body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        (&notes[1]["row"], &notes[1]["column"]),
        (&serde_json::json!(10), &serde_json::json!("Xã/Phường"))
    );
    let unknown = notes[1]["message"].as_str().unwrap();
    assert!(
        unknown.contains("\"Xã Không Có\"") && unknown.contains("bản nháp"),
        "{notes:?}"
    );
    assert_eq!(notes[0]["row"], 6);
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("Thị trấn Phú Thịnh"),
        "{notes:?}"
    );
    assert_eq!(
        real.body["ignored_columns"],
        serde_json::json!(["STT", "Ghi chú"])
    );
    assert_eq!(app.count("subject").await, subjects_before);
    assert_eq!(app.count("draft").await, 0);
    assert_eq!(app.count("audit_log").await, audit_before);

    // The corrected list: a dry run, then the real run, with the same figures.
    let good = list(&tax1, &tax2, false);
    let dry = app
        .upload(&path(true), &admin, good.clone(), csv.clone())
        .await;
    assert_eq!(figures(&dry.body), [4, 3, 0, 0, 1], "{:?}", dry.body);
    assert_eq!(dry.body["applied"], false);
    assert_eq!(app.count("subject").await, subjects_before);
    let real = app
        .upload(&path(false), &admin, good.clone(), csv.clone())
        .await;
    assert_eq!(figures(&real.body), [4, 3, 0, 0, 1], "{:?}", real.body);
    assert_eq!(real.body["applied"], true);
    assert_eq!(real.body["errors"], serde_json::json!([]));
    assert_eq!(app.count("subject").await, subjects_before + 3);
    // Applied, each row names its record and the page that shows it.
    let first = &real.body["results"][0];
    assert_eq!(
        (&first["row"], &first["result"], &first["entity"]),
        (
            &serde_json::json!(4),
            &serde_json::json!("created"),
            &serde_json::json!("subject")
        )
    );
    let made = app
        .get(
            &format!("/api/v1/subjects/{}", first["id"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    assert_eq!(made.body["tax_code"], tax1.as_str(), "{:?}", made.body);
    assert_eq!(
        first["link"],
        format!("/subjects/{}", first["id"].as_str().unwrap())
    );
    let drafted = &real.body["results"][1];
    assert_eq!(
        (&drafted["result"], &drafted["entity"]),
        (&serde_json::json!("draft"), &serde_json::json!("draft"))
    );
    assert_eq!(
        drafted["link"],
        format!("/drafts#draft-{}", drafted["id"].as_str().unwrap())
    );
    assert_eq!(app.count("draft").await, 1);

    // Complete rows are records, as the API would have made them.
    let found = app
        .get(&format!("/api/v1/subjects?q={tax1}"), Some(&admin))
        .await;
    let s = &found.body["items"][0];
    assert_eq!(s["name"], "HTX Nông nghiệp Tam Thăng");
    assert_eq!(s["legal_form"], "cooperative");
    assert_eq!(s["phone"], "02353852123");
    assert_eq!(s["commune"]["code"], "20362");
    // The enterprise without commune or tax code is a draft in its district, not invented.
    let drafts = app.get("/api/v1/drafts", Some(&admin)).await;
    let d = &drafts.body["items"][0];
    assert_eq!(d["data"]["name"], "Công ty TNHH Sâm Ngọc Linh");
    assert_eq!(d["data"]["legal_form"], "enterprise");
    assert_eq!(d["missing"], serde_json::json!(["commune_id", "tax_code"]));
    assert_eq!(d["unit_id"], unit("district", "516", None).to_string());
    // Nothing of it is public.
    let public = app
        .get("/api/v1/public/products?q=Sam%20Ngoc%20Linh", None)
        .await;
    assert_eq!(
        public.body["items"],
        serde_json::json!([]),
        "{:?}",
        public.body
    );
    // Each record was written with its audit entry.
    let audited = app.count("audit_log").await - audit_before;
    assert_eq!(audited, 4);

    // The same file again: nothing to do.
    let again = app.upload(&path(false), &admin, good, csv.clone()).await;
    assert_eq!(figures(&again.body), [4, 0, 0, 4, 0], "{:?}", again.body);
    assert_eq!(app.count("subject").await, subjects_before + 3);
    assert_eq!(app.count("draft").await, 1);
    assert_eq!(app.count("audit_log").await - audit_before, 4);

    // A commune not found on the date: a draft in the district the row names, lacking its
    // commune, with the row's words kept.
    let mut unknown = b"\xEF\xBB\xBF".to_vec();
    unknown.extend(
        "Tên chủ thể;Loại hình;Quận/Huyện;Xã/Phường\r\nHộ kinh doanh Lê Văn Tư;;Núi Thành;Xã Không Có"
            .as_bytes(),
    );
    let kept = app.upload(&path(false), &admin, unknown, csv.clone()).await;
    assert_eq!(figures(&kept.body), [1, 0, 0, 0, 1], "{:?}", kept.body);
    let drafts = app
        .get(
            "/api/v1/drafts?q=L%C3%AA%20V%C4%83n%20T%C6%B0",
            Some(&admin),
        )
        .await;
    let d = drafts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["data"]["name"] == "Hộ kinh doanh Lê Văn Tư")
        .unwrap_or_else(|| panic!("{:?}", drafts.body));
    assert_eq!(
        d["missing"],
        serde_json::json!(["commune_id", "tax_code"]),
        "{d}"
    );
    assert_eq!(d["unit_id"], unit("district", "517", None).to_string());
    assert_eq!(d["source"][0]["cells"]["Xã/Phường"], "Xã Không Có", "{d}");

    // A later list with a new phone number updates the contact data, nothing else.
    let mut newer = String::from_utf8(list(&tax1, &tax2, false)).unwrap();
    newer = newer.replace("0235 3 852 123", "0235 3 999 888");
    let updated = app
        .upload(&path(false), &admin, newer.into_bytes(), csv)
        .await;
    assert_eq!(
        figures(&updated.body),
        [4, 0, 1, 3, 0],
        "{:?}",
        updated.body
    );
}

/// Accents may be left out of a place's name, but a name written with other accents (Tân
/// Thành, where Tam Kỳ has only Phường Tân Thạnh) is taken for that unit only with a note.
#[rocket::async_test]
async fn a_commune_written_with_other_accents_is_taken_with_a_note_never_silently() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let rows = [
        "Tên chủ thể;Loại hình;Quận/Huyện;Xã/Phường".to_owned(),
        "Cơ sở Nấm Hương;Cơ sở;Tam Kỳ;tan thanh".to_owned(),
        "Cơ sở Nấm Rơm;Cơ sở;Tam Kỳ;Tân Thành".to_owned(),
        "Cơ sở Nấm Mèo;Cơ sở;Tam Kỳ;Phường Tân Thạnh".to_owned(),
    ];
    let res = app
        .upload(
            &path(false),
            &admin,
            rows.join("\n").into_bytes(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(figures(&res.body), [3, 3, 0, 0, 0], "{:?}", res.body);
    let notes = res.body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["row"], 3, "{notes:?}");
    let said = notes[0]["message"].as_str().unwrap();
    assert!(
        said.contains("\"Tân Thành\"") && said.contains("Phường Tân Thạnh"),
        "{said}"
    );
    let tan_thanh = unit("commune", "20335", None);
    for r in res.body["results"].as_array().unwrap() {
        let s = app
            .get(
                &format!("/api/v1/subjects/{}", r["id"].as_str().unwrap()),
                Some(&admin),
            )
            .await;
        assert_eq!(s.body["commune_id"], tan_thanh.to_string(), "{:?}", s.body);
    }
}

/// A list placing a registered subject in another commune moves it as a dated identity change,
/// effective on the list's date, and says so; the same list again changes nothing.
#[rocket::async_test]
async fn a_list_that_places_a_subject_elsewhere_moves_it_on_the_lists_date() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Nấm Tân Thạnh").await;
    let tax = s["tax_code"].as_str().unwrap().to_owned();
    let list = format!(
        "Tên chủ thể;Mã số thuế;Quận/Huyện;Xã/Phường\nHTX Nấm Tân Thạnh;{tax};Tam Kỳ;Tam Thăng"
    );
    let csv = ContentType::new("text", "csv");
    let res = app
        .upload(&path(false), &admin, list.clone().into_bytes(), csv.clone())
        .await;
    assert_eq!(figures(&res.body), [1, 0, 1, 0, 0], "{:?}", res.body);
    let notes = res.body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let said = notes[0]["message"].as_str().unwrap();
    assert!(
        said.contains("Tam Thăng") && said.contains("30/06/2025"),
        "{said}"
    );
    let moved = app
        .get(&format!("/api/v1/subjects/{}", id_of(&s)), Some(&admin))
        .await
        .body;
    assert!(
        moved["commune"]["name"]
            .as_str()
            .unwrap()
            .contains("Tam Thăng"),
        "{moved}"
    );
    let history = moved["location_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[1]["effective_on"], "2025-06-30", "{history:?}");
    let again = app
        .upload(&path(false), &admin, list.into_bytes(), csv)
        .await;
    assert_eq!(figures(&again.body), [1, 0, 0, 1, 0], "{:?}", again.body);
    assert_eq!(again.body["notes"], serde_json::json!([]));
}

#[rocket::async_test]
async fn files_that_are_not_lists_are_refused_with_what_to_do_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let csv = ContentType::new("text", "csv");
    let refuse = |body: &Value| {
        assert_eq!(body["error"]["code"], "validation_failed", "{body}");
        body["error"]["fields"]["file"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Windows-1258 ("Tên" with a lone 0xEA) and UTF-16.
    let cp1258 = b"T\xEAn ch\xFA th\xEA\n".to_vec();
    let res = app.upload(&path(true), &admin, cp1258, csv.clone()).await;
    assert!(refuse(&res.body).contains("CSV UTF-8"), "{:?}", res.body);
    let utf16 = vec![0xFF, 0xFE, b'T', 0, b'e', 0];
    let res = app.upload(&path(true), &admin, utf16, csv.clone()).await;
    assert!(refuse(&res.body).contains("UTF-16"), "{:?}", res.body);
    // No header row.
    let res = app
        .upload(&path(true), &admin, b"a;b\n1;2\n".to_vec(), csv.clone())
        .await;
    assert!(refuse(&res.body).contains("dòng tiêu đề"), "{:?}", res.body);
    // A list of subjects sent as products: the message names the kind chosen.
    let res = app
        .upload(
            "/api/v1/imports?kind=products&dry_run=true",
            &admin,
            "Tên chủ thể;Loại hình;Mã số thuế\nHTX A;HTX;\n"
                .as_bytes()
                .to_vec(),
            csv.clone(),
        )
        .await;
    assert!(
        refuse(&res.body).contains("danh sách sản phẩm được công nhận")
            && refuse(&res.body).contains("hãy chọn đúng loại"),
        "{:?}",
        res.body
    );
    // A zip that is no workbook.
    let res = app
        .upload(
            &path(true),
            &admin,
            b"PK\x03\x04garbage".to_vec(),
            csv.clone(),
        )
        .await;
    assert!(refuse(&res.body).contains(".xlsx"), "{:?}", res.body);
    // A workbook with a formula.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Tên chủ thể").unwrap();
    sheet.write_string(0, 1, "Loại hình").unwrap();
    sheet.write_formula(1, 0, "=\"HTX \"&\"A\"").unwrap();
    let res = app
        .upload(
            &path(true),
            &admin,
            book.save_to_buffer().unwrap(),
            ContentType::Binary,
        )
        .await;
    assert!(refuse(&res.body).contains("ô A2"), "{:?}", res.body);
    // More than 20 MiB: refused before it is read.
    let big = vec![b'a'; 21 * 1024 * 1024];
    let res = app.upload(&path(true), &admin, big, csv.clone()).await;
    assert_eq!(res.status, Status::PayloadTooLarge, "{:?}", res.body);
    assert_eq!(res.body["error"]["code"], "payload_too_large");
    // Owners and channels import nothing.
    let subject = app.seed_subject(&admin, "20335", "HTX Chủ Thể").await;
    let owner = app.owner_of(&subject).await;
    let res = app
        .upload(&path(true), &owner, list("x", "y", false), csv)
        .await;
    assert_eq!(res.status, Status::Forbidden, "{:?}", res.body);
    assert_eq!(app.count("draft").await, 0);
}

#[rocket::async_test]
async fn a_workbook_with_typed_dates_and_the_template_import_alike() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The template names every column and gives an example row that itself imports, as it
    // is, in today's units (the reform of 1 July 2025 made them): each row clean, in Vietnamese.
    let t = app
        .get(
            "/api/v1/imports/template?kind=subjects&format=csv&lang=vi",
            Some(&admin),
        )
        .await;
    assert_eq!(t.status, Status::Ok);
    let text = t.body.as_str().unwrap().to_owned();
    assert!(
        text.starts_with(
            "\u{feff}Mã chủ thể,Tên chủ thể,Loại hình,Mã số thuế,Tỉnh/Thành phố,Quận/Huyện,Mã xã,Xã/Phường"
        ),
        "{text}"
    );
    let res = app
        .upload(
            "/api/v1/imports?kind=subjects&lang=vi",
            &admin,
            text.into_bytes(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(figures(&res.body), [1, 1, 0, 0, 0], "{:?}", res.body);
    assert_eq!(res.body["notes"], serde_json::json!([]));
    // The templates of the lists of evidence and of products: their example rows land on that
    // subject.
    for kind in ["products", "areas", "certifications", "channels"] {
        let t = app
            .get(
                &format!("/api/v1/imports/template?kind={kind}&format=csv"),
                Some(&admin),
            )
            .await;
        let res = app
            .upload(
                &format!("/api/v1/imports?kind={kind}&lang=vi"),
                &admin,
                t.body.as_str().unwrap().as_bytes().to_vec(),
                ContentType::new("text", "csv"),
            )
            .await;
        // Products: the subject is there, the row's product and recognition are new.
        assert_eq!(
            figures(&res.body),
            [1, 1, 0, 0, 0],
            "{kind}: {:?}",
            res.body
        );
        assert_eq!(
            (res.body["errors"].clone(), res.body["notes"].clone()),
            (serde_json::json!([]), serde_json::json!([])),
            "{kind}"
        );
    }

    // A workbook as a spreadsheet types it: a real date cell, and numbers where the list means
    // text — a tax code and phones that lost their leading zero or plus.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, h) in [
        "Tên chủ thể",
        "Loại hình",
        "Mã số thuế",
        "Xã",
        "Ngày thành lập",
        "Điện thoại",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2016, 4, 5).unwrap();
    let format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (row, name, form, tax, phone) in [
        (1, "HTX Cẩm Kim", "HTX", 4000101453.0, 905444555.0),
        (
            2,
            "Công ty Cẩm Thanh",
            "Công ty TNHH",
            100233488.0,
            84905333444.0,
        ),
    ] {
        sheet.write_string(row, 0, name).unwrap();
        sheet.write_string(row, 1, form).unwrap();
        sheet.write_number(row, 2, tax).unwrap();
        sheet.write_string(row, 3, "Cẩm Kim").unwrap();
        sheet
            .write_datetime_with_format(row, 4, &date, &format)
            .unwrap();
        sheet.write_number(row, 5, phone).unwrap();
    }
    let res = app
        .upload(
            &path(false),
            &admin,
            book.save_to_buffer().unwrap(),
            ContentType::Binary,
        )
        .await;
    assert_eq!(figures(&res.body), [2, 2, 0, 0, 0], "{:?}", res.body);
    for (tax, phone, form) in [
        ("4000101453", "0905444555", "cooperative"),
        ("0100233488", "0905333444", "enterprise"),
    ] {
        let found = app
            .get(&format!("/api/v1/subjects?q={tax}"), Some(&admin))
            .await;
        let s = &found.body["items"][0];
        assert_eq!(
            (
                &s["tax_code"],
                &s["phone"],
                &s["legal_form"],
                &s["founded_on"]
            ),
            (
                &Value::from(tax),
                &Value::from(phone),
                &Value::from(form),
                &Value::from("2016-04-05")
            ),
            "{s}"
        );
    }
}

/// A province's list of recognised products as the press prints it: producers without tax
/// codes or communes, years without decisions, "tiềm năng 5 sao", no product group for some, a
/// merged commune, a repeated row and a row without a product.
fn products_list(tax: &str) -> Vec<u8> {
    [
        "STT;Tên sản phẩm;Nhóm sản phẩm;Chủ thể;Mã số thuế;Huyện;Xã;Hạng sao;Năm công nhận;Số quyết định;Ngày quyết định".to_owned(),
        format!("1;Trà xanh Tam Thăng;Đồ uống;HTX Nông nghiệp Tam Thăng;{tax};Tam Kỳ;Tam Thăng;4 sao;2024;1234/QĐ-UBND;15/08/2024"),
        format!("2;Mật ong Tam Thăng;Thực phẩm;HTX Nông nghiệp Tam Thăng;{tax};Tam Kỳ;Tam Thăng;3★;2023;;"),
        "3;Sâm Ngọc Linh củ tươi;Dược liệu;Công ty TNHH Sâm Ngọc Linh;;Nam Trà My;;tiềm năng 5 sao;2022;;".to_owned(),
        "4;Rượu sâm;Đồ uống;Công ty TNHH Sâm Ngọc Linh;;Nam Trà My;;4 sao;2022;;".to_owned(),
        "5;Bánh tráng Bà Hai;;Cơ sở bánh tráng Bà Hai;;Phú Ninh;Tam Vinh;3 sao;2021;56/QĐ-UBND;01/03/2021".to_owned(),
        format!("6;Trà xanh Tam Thăng;Đồ uống;HTX Nông nghiệp Tam Thăng;{tax};Tam Kỳ;Tam Thăng;4 sao;2024;1234/QĐ-UBND;15/08/2024"),
        "7;;Thực phẩm;HTX Nông nghiệp Tam Thăng;;Tam Kỳ;Tam Thăng;3 sao;2024;;".to_owned(),
    ]
    .join("\n")
    .into_bytes()
}

fn products_path(dry_run: bool) -> String {
    let quang_nam = unit("province", "49", None);
    format!(
        "/api/v1/imports?kind=products&on=2025-06-30&unit_id={quang_nam}&partial=true&dry_run={dry_run}"
    )
}

#[rocket::async_test]
async fn a_press_list_of_products_becomes_records_drafts_and_errors_and_a_rerun_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tax = next_tax_code();
    let csv = ContentType::new("text", "csv");

    let dry = app
        .upload(
            &products_path(true),
            &admin,
            products_list(&tax),
            csv.clone(),
        )
        .await;
    let real = app
        .upload(
            &products_path(false),
            &admin,
            products_list(&tax),
            csv.clone(),
        )
        .await;
    for s in [&dry.body, &real.body] {
        // rows, created, updated, unchanged, drafts
        assert_eq!(figures(s), [7, 1, 0, 0, 4], "{s}");
        assert_eq!(s["errors"].as_array().unwrap().len(), 2, "{s}");
    }
    assert_eq!(dry.body["errors"], real.body["errors"]);
    assert_eq!(dry.body["applied"], false);
    assert_eq!(
        real.body["applied"], true,
        "partial: the rows not in error are applied"
    );
    let errors = real.body["errors"].as_array().unwrap();
    assert_eq!(
        (errors[0]["row"].as_i64(), errors[0]["message"].as_str()),
        (Some(7), Some("trùng với dòng 2"))
    );
    assert_eq!(
        (errors[1]["row"].as_i64(), errors[1]["column"].as_str()),
        (Some(8), Some("Tên sản phẩm"))
    );

    // The complete row: the producer, the product and its recognition, as the API makes them;
    // who recognised it follows from the stars and the province.
    let found = app
        .get(&format!("/api/v1/subjects?q={tax}"), Some(&admin))
        .await;
    let subject = &found.body["items"][0];
    let products = app
        .get(
            &format!(
                "/api/v1/subjects/{}/products",
                subject["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    let names: Vec<&str> = products.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let tea = products.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Trà xanh Tam Thăng")
        .unwrap();
    let recs = app
        .get(
            &format!(
                "/api/v1/products/{}/recognitions",
                tea["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    let r = &recs.body["items"][0];
    assert_eq!(r["stars"], 4);
    assert_eq!(r["decision_no"], "1234/QĐ-UBND");
    assert_eq!(r["decision_date"], "2024-08-15");
    assert_eq!(r["authority"], "UBND tỉnh Quảng Nam");
    assert_eq!(r["kind"], "new");
    let public = app
        .get("/api/v1/public/products?q=tra%20xanh%20tam%20thang", None)
        .await;
    assert_eq!(
        public.body["items"].as_array().unwrap().len(),
        1,
        "{:?}",
        public.body
    );

    // What cannot count yet waits as drafts, with what it misses and the rows it stands for.
    let drafts = app.get("/api/v1/drafts", Some(&admin)).await;
    let drafts = drafts.body["items"].as_array().unwrap().clone();
    assert_eq!(drafts.len(), 3, "{drafts:?}");
    let of = |entity: &str| {
        drafts
            .iter()
            .find(|d| d["entity"] == entity)
            .unwrap()
            .clone()
    };
    let company = of("subject");
    assert_eq!(company["data"]["name"], "Công ty TNHH Sâm Ngọc Linh");
    assert_eq!(
        company["missing"],
        serde_json::json!(["commune_id", "tax_code"])
    );
    let rows: Vec<i64> = company["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, [4, 5]);
    assert_eq!(company["source"][0]["cells"]["Hạng sao"], "tiềm năng 5 sao");
    let honey = of("recognition");
    assert_eq!(
        honey["missing"],
        serde_json::json!(["decision_no", "decision_date"])
    );
    assert_eq!(honey["data"]["stars"], 3);
    assert_eq!(honey["source"][0]["year"], 2023);
    let cake = of("product");
    assert_eq!(cake["missing"], serde_json::json!(["group"]));
    assert_eq!(cake["data"]["name"], "Bánh tráng Bà Hai");
    assert_eq!(real.body["notes"][0]["row"], 6);
    // The drafts download as a list for the clerk (and the download is recorded).
    let file = app
        .client
        .get("/api/v1/drafts?format=csv")
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {admin}"),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert_eq!(file.lines().count(), 4, "{file}");
    assert!(file.contains("commune_id, tax_code"), "{file}");
    let exports = app.get("/api/v1/audit?entity=export", Some(&admin)).await;
    assert_eq!(exports.body["items"][0]["after"]["file"], "ban-nhap");
    // Nothing held back is public.
    let public = app.get("/api/v1/public/products?q=sam", None).await;
    assert_eq!(public.body["items"], serde_json::json!([]));

    // The same list again: nothing to do.
    let again = app
        .upload(
            &products_path(false),
            &admin,
            products_list(&tax),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&again.body), [7, 0, 0, 5, 0], "{:?}", again.body);
    assert_eq!(app.count("draft").await, 3);
    // A recorded decision given other stars is named, not passed over as unchanged.
    let restarred = String::from_utf8(products_list(&tax)).unwrap().replacen(
        "4 sao;2024;1234/QĐ-UBND",
        "3 sao;2024;1234/QĐ-UBND",
        1,
    );
    let refused = app
        .upload(
            &products_path(true),
            &admin,
            restarred.into_bytes(),
            csv.clone(),
        )
        .await;
    assert_eq!(
        where_wrong(&refused.body),
        [(2, "Hạng sao"), (8, "Tên sản phẩm")],
        "{:?}",
        refused.body
    );

    // The company's draft completed, the list again registers its products (the potential
    // five star as 4★ with the flag) and nothing else.
    let tra_mai = crate::helpers::commune("20944", None);
    let complete = app
        .patch(
            &format!("/api/v1/drafts/{}", company["id"].as_str().unwrap()),
            Some(&admin),
            &serde_json::json!({"data": {"commune_id": tra_mai, "tax_code": next_tax_code()}}),
            None,
        )
        .await;
    assert!(
        complete.body["record_id"].is_string(),
        "{:?}",
        complete.body
    );
    let after = app
        .upload(&products_path(false), &admin, products_list(&tax), csv)
        .await;
    // Rows 4 and 5: the product and recognitions wait for their decision numbers.
    assert_eq!(figures(&after.body), [7, 0, 0, 3, 2], "{:?}", after.body);
    let drafts = app
        .get("/api/v1/drafts?entity=recognition", Some(&admin))
        .await;
    let ginseng = drafts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["data"]["potential_five_star"] == true)
        .unwrap()
        .clone();
    assert_eq!(ginseng["data"]["stars"], 4);
}

/// An exported list of subjects imports back to no change, as CSV and as XLSX.
#[rocket::async_test]
async fn the_subject_export_reimports_to_no_change() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.seed_subject(&admin, "20335", "HTX Tân Thạnh").await;
    app.seed_subject(&admin, "20551", "HTX Vĩnh Điện").await;
    for (format, content_type) in [
        ("csv", ContentType::new("text", "csv")),
        ("xlsx", ContentType::Binary),
    ] {
        let file = app
            .client
            .get(format!("/api/v1/subjects?format={format}"))
            .header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {admin}"),
            ))
            .dispatch()
            .await
            .into_bytes()
            .await
            .unwrap();
        let res = app.upload(&path(false), &admin, file, content_type).await;
        assert_eq!(
            figures(&res.body),
            [2, 0, 0, 2, 0],
            "{format}: {:?}",
            res.body
        );
        assert_eq!(res.body["errors"], serde_json::json!([]), "{format}");
    }
}

/// The page checks a list first (nothing written, each row's fate in a table), then applies it.
#[rocket::async_test]
async fn an_auditor_checks_then_applies_a_list_from_the_page() {
    use crate::pages::{account, csrf_of, page, sign_in_and_change};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let otp = account(
        &app,
        &admin,
        serde_json::json!({"username": "kiemtra.qn", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Kiểm Tra"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.qn", &otp, "mật khẩu mới đủ dài").await;
    let form = page(&app.client, "/imports").await;
    assert_eq!(form.status, Status::Ok);
    // The list every other names first.
    assert!(form.body.contains("<option value=\"subjects\" selected>"));
    assert!(
        form.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        form.body
    );
    let csrf = csrf_of(&form.body);
    let tax = next_tax_code();
    let subjects_before = app.count("subject").await;
    let send = |action: &'static str, csrf: String, file: Vec<u8>| {
        let client = &app.client;
        async move {
            let (ct, body) = multipart(
                &[
                    ("csrf", &csrf),
                    ("kind", "products"),
                    ("on", "30/06/2025"),
                    ("action", action),
                ],
                Some(("danh-sach.csv", &file)),
            );
            let res = client
                .post("/imports")
                .header(ct)
                .body(body)
                .dispatch()
                .await;
            let status = res.status();
            (status, res.into_string().await.unwrap_or_default())
        }
    };
    // Checked: the rows' fate, the errors by row and column, nothing written.
    let (status, body) = send("check", csrf.clone(), products_list(&tax)).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body.contains("Chỉ kiểm tra: chưa ghi gì."), "{body}");
    assert!(
        body.contains("<td>7</td><td>1</td><td>0</td><td>0</td><td>4</td><td>2</td>"),
        "{body}"
    );
    assert!(body.contains("trùng với dòng 2"), "{body}");
    assert!(
        body.contains("<tr class=\"fate-error\"><td>") && body.contains("<td>Sẽ lưu bản nháp</td>"),
        "{body}"
    );
    assert_eq!(app.count("subject").await, subjects_before);
    // The same check as a workbook of the rows with their results.
    let result = {
        let (ct, body) = multipart(
            &[
                ("csrf", &csrf),
                ("kind", "products"),
                ("on", "30/06/2025"),
                ("action", "result"),
            ],
            Some(("danh-sach.csv", &products_list(&tax))),
        );
        app.client
            .post("/imports")
            .header(ct)
            .body(body)
            .dispatch()
            .await
    };
    assert_eq!(result.status(), Status::Ok);
    assert_eq!(
        result
            .content_type()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(app.count("subject").await, subjects_before);
    // Applied without the rows in error: written, and said so.
    let clean: Vec<u8> = String::from_utf8(products_list(&tax))
        .unwrap()
        .lines()
        .take(6)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let (status, body) = send("apply", csrf.clone(), clean).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert!(body.contains("Đã nhập danh sách."), "{body}");
    assert!(
        body.contains("<a href=\"/subjects/"),
        "each row links its record: {body}"
    );
    assert_eq!(app.count("subject").await, subjects_before + 2);
    // A form without the session's token is refused.
    let (status, _) = send("apply", "forged".to_owned(), products_list(&tax)).await;
    assert_ne!(status, Status::Ok);
}

/// Every list the registry exports imports back to no change — subjects, products,
/// recognitions, areas with their contracts, certifications, channels — as XLSX, as CSV in
/// Vietnamese and as CSV in English.
#[rocket::async_test]
async fn every_kind_exported_reimports_to_no_change() {
    let sc = crate::indicators::Scenario::build().await;
    let (app, admin) = (&sc.app, sc.admin.as_str());
    // Names that repeat: Phường Hồng Châu (Hưng Yên) ended with the reform and a new ward of
    // that name took another code; four communes are Xã Lương Sơn today.
    let mut extra = Vec::new();
    for (code, from, name) in [
        ("11968", None, "HTX Hồng Châu"),
        ("17641", Some("2025-07-01"), "HTX Lương Sơn"),
    ] {
        let s = app
            .post(
                "/api/v1/subjects",
                Some(admin),
                &crate::helpers::subject_body(name, &commune(code, from).to_string()),
            )
            .await;
        assert_eq!(s.status, Status::Created, "{:?}", s.body);
        let mut area = crate::areas::area_body(&format!("Vùng {name}"), "1.5");
        area["commune_id"] = serde_json::json!(commune(code, from));
        // Coordinates with every digit a float has (they read back exactly).
        area["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": [[
            [106.123_456_789_012_34, 20.987_654_321_098_76], [106.134_567_890_123_45, 20.987_654_321_098_76],
            [106.134_567_890_123_45, 20.998_765_432_109_87], [106.123_456_789_012_34, 20.987_654_321_098_76]
        ]]});
        if from.is_none() {
            // A surveyed boundary of 4,000 vertices, 1.5 ha: longer than a spreadsheet cell
            // holds and than a CSV line of the other lists.
            let n = 4_000;
            let mut ring: Vec<[f64; 2]> = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * f64::from(i) / f64::from(n);
                    [106.129 + 0.000_664 * a.cos(), 20.993 + 0.000_62 * a.sin()]
                })
                .collect();
            ring.push(ring[0]);
            area["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": [ring]});
        }
        let a = app
            .post(
                &format!("/api/v1/subjects/{}/areas", id_of(&s.body)),
                Some(admin),
                &area,
            )
            .await;
        assert_eq!(a.status, Status::Created, "{:?}", a.body);
        // One revoked: a list that changes nothing about it is not refused.
        if from.is_some() {
            for to in ["verified", "suspended", "revoked"] {
                let moved = app
                    .post(
                        &format!("/api/v1/areas/{}/transitions", id_of(&a.body)),
                        Some(admin),
                        &serde_json::json!({"to": to, "reason": "Kiểm tra hợp đồng",
                            "effective_on": ocop_registry::clock::today().to_string(),
                            "warning_reason": "Ranh giới đo lại"}),
                    )
                    .await;
                assert_eq!(moved.status, Status::Ok, "{to}: {:?}", moved.body);
            }
        }
        extra.push(s.body);
    }
    let mut subjects: Vec<&Value> = sc.s.values().chain(&extra).collect();
    subjects.sort_by_key(|s| s["name"].as_str().unwrap_or_default().to_owned());
    // (export path, import kind) for every list.
    let mut lists = vec![
        ("/api/v1/subjects?per_page=1".to_owned(), "subjects"),
        (
            "/api/v1/certifications?per_page=1".to_owned(),
            "certifications",
        ),
        ("/api/v1/channels?per_page=1".to_owned(), "channels"),
    ];
    for s in &subjects {
        let id = s["id"].as_str().unwrap();
        lists.push((
            format!("/api/v1/subjects/{id}/products?per_page=1"),
            "products",
        ));
        lists.push((format!("/api/v1/subjects/{id}/areas?per_page=1"), "areas"));
        let products = app
            .get(&format!("/api/v1/subjects/{id}/products"), Some(admin))
            .await;
        for p in products.body["items"].as_array().unwrap() {
            lists.push((
                format!(
                    "/api/v1/products/{}/recognitions?per_page=1",
                    p["id"].as_str().unwrap()
                ),
                "products",
            ));
        }
    }
    let audit_before = app.count("audit_log").await;
    let mut rows_seen = std::collections::HashMap::new();
    for (list, kind) in &lists {
        let total = app.get(list, Some(admin)).await.body["total"]
            .as_i64()
            .unwrap();
        for (format, lang, content_type) in [
            ("xlsx", "vi", ContentType::Binary),
            ("csv", "vi", ContentType::new("text", "csv")),
            ("csv", "en", ContentType::new("text", "csv")),
        ] {
            let file = app
                .client
                .get(format!("{list}&format={format}&lang={lang}"))
                .header(rocket::http::Header::new(
                    "Authorization",
                    format!("Bearer {admin}"),
                ))
                .dispatch()
                .await
                .into_bytes()
                .await
                .unwrap();
            let res = app
                // Today's units, the whole country: the file's codes name each place.
                .upload(
                    &format!("/api/v1/imports?kind={kind}"),
                    admin,
                    file,
                    content_type,
                )
                .await;
            assert_eq!(
                res.status,
                Status::Ok,
                "{list} {format} {lang}: {:?}",
                res.body
            );
            assert_eq!(
                (res.body["errors"].clone(), res.body["notes"].clone()),
                (serde_json::json!([]), serde_json::json!([])),
                "{list} {format} {lang}"
            );
            assert_eq!(
                figures(&res.body),
                [total, 0, 0, total, 0],
                "{list} {format} {lang}: every row found and left as it is"
            );
            *rows_seen.entry(*kind).or_insert(0) += total;
        }
    }
    // Every kind had rows to prove it, and no re-import wrote anything.
    for kind in [
        "subjects",
        "products",
        "areas",
        "certifications",
        "channels",
    ] {
        assert!(
            rows_seen.get(kind).is_some_and(|n| *n > 0),
            "{kind}: {rows_seen:?}"
        );
    }
    let exports = app
        .get("/api/v1/audit?entity=export", Some(admin))
        .await
        .body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(app.count("audit_log").await - audit_before, exports);
}

/// The lists of evidence a department keeps — raw-material areas with their contracts, a
/// certification body's certificates, the shops — name producers as the department writes
/// them: by tax code, or by name and commune. Each row lands on the registered subject, is
/// held in the draft of a subject still incomplete, or is an error naming its column; nothing
/// registers a producer, a re-run changes nothing, and a corrected row updates its record.
#[rocket::async_test]
async fn lists_of_areas_certificates_and_shops_land_on_their_subjects() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tax = next_tax_code();
    let csv = ContentType::new("text", "csv");
    let quang_nam = unit("province", "49", None);
    let import = |kind: &str, dry_run: bool, partial: bool| {
        format!(
            "/api/v1/imports?kind={kind}&on=2025-06-30&unit_id={quang_nam}&dry_run={dry_run}&partial={partial}"
        )
    };
    let file = |rows: &[String]| {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(rows.join("\r\n").into_bytes());
        bytes
    };
    // The producers: one complete, one a draft (a cooperative without its tax code), one
    // named by a commune merged on 2025-01-01.
    let subjects = file(&[
        "Tên chủ thể;Loại hình;Mã số thuế;Huyện;Xã".to_owned(),
        format!("HTX Nông nghiệp Tam Thăng;HTX;{tax};TP Tam Kỳ;Tam Thăng"),
        "HTX Rau Trà Quế;HTX;;Hội An;Cẩm Hà".to_owned(),
        "Cơ sở Bánh tráng Bà Hai;Cơ sở sản xuất;;Phú Ninh;Xã Tam Vinh".to_owned(),
    ]);
    let res = app
        .upload(
            &import("subjects", false, false),
            &admin,
            subjects,
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&res.body), [3, 2, 0, 0, 1], "{:?}", res.body);
    let subjects_before = app.count("subject").await;

    let areas = |hectares: &str| {
        file(&[
            "DANH SÁCH VÙNG NGUYÊN LIỆU GẮN VỚI SẢN PHẨM OCOP".to_owned(),
            "STT;Tên chủ thể;Mã số thuế;Huyện;Xã;Tên vùng;Nguyên liệu;Diện tích;Hình thức;Số hợp đồng;Bên liên kết;Loại bên liên kết;Số hộ;Ngày ký hợp đồng;Ngày kết thúc hợp đồng".to_owned(),
            // 3: by tax code, linked, a decimal comma.
            format!("1;HTX Nông nghiệp Tam Thăng;{tax};;;Vùng chè Tam Thăng;Chè;{hectares};Liên kết;05/2024/HĐLK;Tổ hợp tác chè Tam Thăng;Tổ hợp tác;42;01/01/2024;31/12/2028"),
            // 4: by name and a merged commune; the area lies in the subject's commune.
            "2;Cơ sở Bánh tráng Bà Hai;;Phú Ninh;Tam Vinh;Ruộng lúa Tam Vinh;Lúa;3;đất thuê;;;;;;".to_owned(),
            // 5: the subject is still a draft: the row waits in it.
            "3;HTX Rau Trà Quế;;Hội An;Cẩm Hà;Vườn rau Trà Quế;Rau;1,2;tự có;;;;;;".to_owned(),
        ])
    };
    let mut with_errors = String::from_utf8(areas("12,5")).unwrap();
    with_errors.push_str(&format!(
        "\r\n4;HTX Không Có;;Tam Kỳ;Tam Thăng;Vùng quế;Quế;2;tự có;;;;;;\
         \r\n5;HTX Nông nghiệp Tam Thăng;{tax};;;Vùng quế;Quế;2;Liên kết;;;;;;\
         \r\n6;HTX Nông nghiệp Tam Thăng;{tax};;;Vùng chè Tam Thăng;Chè;12,5;Liên kết;05/2024/HĐLK;Tổ hợp tác chè Tam Thăng;Tổ hợp tác;42;01/01/2024;31/12/2028"
    ));
    let areas_before = app.count("raw_material_area").await;
    let dry = app
        .upload(
            &import("areas", true, false),
            &admin,
            with_errors.clone().into_bytes(),
            csv.clone(),
        )
        .await;
    let real = app
        .upload(
            &import("areas", false, false),
            &admin,
            with_errors.clone().into_bytes(),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&dry.body), [6, 2, 0, 0, 1], "{:?}", dry.body);
    assert_eq!(dry.body["errors"], real.body["errors"]);
    assert_eq!(real.body["applied"], false);
    let errors = where_wrong(&real.body);
    assert_eq!(
        errors,
        [(6, "Tên chủ thể"), (7, "Số hợp đồng"), (8, "")],
        "{:?}",
        real.body["errors"]
    );
    assert!(
        real.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("chưa được đăng ký"),
        "{:?}",
        real.body["errors"][0]
    );
    assert_eq!(app.count("raw_material_area").await, areas_before);
    // Rows in error left out on request, the rest applied whole.
    let partial = app
        .upload(
            &import("areas", false, true),
            &admin,
            with_errors.into_bytes(),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&partial.body), [6, 2, 0, 0, 1]);
    assert_eq!(partial.body["applied"], true);
    assert_eq!(app.count("raw_material_area").await, areas_before + 2);
    assert_eq!(
        app.count("subject").await,
        subjects_before,
        "no producer registered"
    );
    let tam_thang = app
        .get(&format!("/api/v1/subjects?q={tax}"), Some(&admin))
        .await
        .body["items"][0]
        .clone();
    let listed = app
        .get(
            &format!(
                "/api/v1/subjects/{}/areas",
                tam_thang["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    let area = &listed.body["items"][0];
    assert_eq!(
        (
            area["area_ha"].as_str(),
            area["tenure"].as_str(),
            area["linkage"]["households"].as_i64()
        ),
        (Some("12.5"), Some("linked"), Some(42))
    );
    assert_eq!(area["commune_id"], tam_thang["commune_id"]);
    // The draft holds the row for when it is completed.
    let drafts = app.get("/api/v1/drafts?entity=subject", Some(&admin)).await;
    let held = drafts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["data"]["name"] == "HTX Rau Trà Quế")
        .unwrap();
    assert!(
        held["source"].to_string().contains("Vườn rau Trà Quế"),
        "{held}"
    );
    // A re-run changes nothing; a corrected area is updated, recorded like an edit.
    let again = app
        .upload(
            &import("areas", false, false),
            &admin,
            areas("12,5"),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&again.body), [3, 0, 0, 3, 0], "{:?}", again.body);
    let corrected = app
        .upload(
            &import("areas", false, false),
            &admin,
            areas("13"),
            csv.clone(),
        )
        .await;
    assert_eq!(
        figures(&corrected.body),
        [3, 0, 1, 2, 0],
        "{:?}",
        corrected.body
    );
    let trail = app.audit_of(area["id"].as_str().unwrap()).await;
    assert_eq!(trail.last().unwrap()["after"]["area_ha"], "13");

    // The certification body's list: a scheme as Vietnamese write it, the area by its name.
    let certs = file(&[
        "Tên chủ thể;Mã số thuế;Huyện;Xã;Chứng nhận;Số GCN;Tổ chức chứng nhận;Ngày cấp;Ngày hết hạn;Vùng nguyên liệu".to_owned(),
        format!("HTX Nông nghiệp Tam Thăng;{tax};;;VietGAP;VG-2024-0101;Trung tâm Chứng nhận Phù hợp;15/03/2024;15/03/2026;Vùng chè Tam Thăng"),
        "Cơ sở Bánh tráng Bà Hai;;Phú Ninh;Tam Vinh;Hữu cơ;HC-2024-07;Trung tâm Chứng nhận Phù hợp;01/06/2024;01/06/2027;".to_owned(),
        format!("HTX Nông nghiệp Tam Thăng;{tax};;;Chứng nhận XYZ;X-1;Trung tâm;01/06/2024;01/06/2027;"),
        format!("HTX Nông nghiệp Tam Thăng;{tax};;;VietGAP;VG-2024-0102;Trung tâm;01/06/2024;01/06/2026;Vùng không có"),
    ]);
    let res = app
        .upload(
            &import("certifications", false, true),
            &admin,
            certs.clone(),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&res.body), [4, 2, 0, 0, 0], "{:?}", res.body);
    let columns: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["Chứng nhận", "Vùng nguyên liệu"],
        "{:?}",
        res.body["errors"]
    );
    let listed = app
        .get(
            &format!(
                "/api/v1/subjects/{}/certifications",
                tam_thang["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    let cert = &listed.body["items"][0];
    assert_eq!(
        (
            cert["scheme"].as_str(),
            cert["status"].as_str(),
            cert["area_id"].clone()
        ),
        (Some("vietgap"), Some("submitted"), area["id"].clone()),
        "imported certificates wait for an auditor's verification"
    );
    let again = app
        .upload(
            &import("certifications", false, true),
            &admin,
            certs,
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&again.body), [4, 0, 0, 2, 0], "{:?}", again.body);

    // The shops: kinds as Vietnamese write them; a shop another subject holds is refused.
    let shops = file(&[
        "Tên chủ thể;Mã số thuế;Huyện;Xã;Loại kênh;Sàn;Link gian hàng;Hoạt động từ".to_owned(),
        format!("HTX Nông nghiệp Tam Thăng;{tax};;;Sàn TMĐT;Shopee;https://shopee.vn/htx.tamthang;01/03/2024"),
        format!("HTX Nông nghiệp Tam Thăng;{tax};;;Chuỗi siêu thị;Co.opmart;;01/01/2024"),
        "Cơ sở Bánh tráng Bà Hai;;Phú Ninh;Tam Vinh;Sàn TMĐT;Shopee;https://shopee.vn/htx.tamthang;01/03/2024".to_owned(),
        "Cơ sở Bánh tráng Bà Hai;;Phú Ninh;Tam Vinh;Bán dạo;Chợ;;".to_owned(),
    ]);
    let res = app
        .upload(
            &import("channels", false, true),
            &admin,
            shops.clone(),
            csv.clone(),
        )
        .await;
    assert_eq!(figures(&res.body), [4, 2, 0, 0, 0], "{:?}", res.body);
    let errors = where_wrong(&res.body);
    assert_eq!(
        errors,
        [(4, ""), (5, "Loại kênh")],
        "{:?}",
        res.body["errors"]
    );
    let listed = app
        .get(
            &format!(
                "/api/v1/subjects/{}/channels",
                tam_thang["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    let kinds: Vec<(&str, &str)> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["verification"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("marketplace", "declared"),
            ("supermarket_chain", "declared")
        ]
    );
    let again = app
        .upload(&import("channels", false, true), &admin, shops, csv.clone())
        .await;
    assert_eq!(figures(&again.body), [4, 0, 0, 2, 0], "{:?}", again.body);
    // A list does not move a shop from one producer to another.
    let taken = file(&[
        "Tên chủ thể;Huyện;Xã;Loại kênh;Sàn;Link gian hàng".to_owned(),
        "Cơ sở Bánh tráng Bà Hai;Phú Ninh;Tam Vinh;Sàn TMĐT;Shopee;https://shopee.vn/htx.tamthang"
            .to_owned(),
    ]);
    let res = app
        .upload(&import("channels", false, false), &admin, taken, csv)
        .await;
    assert_eq!(res.body["errors"][0]["column"], "Link gian hàng");
    assert_eq!(
        res.body["errors"][0]["message"],
        "đã được đăng ký cho chủ thể khác (HTX Nông nghiệp Tam Thăng)"
    );
}

/// A workbook of two cells, `A1` and the one at (`row`, `col`), with its parts rewritten by
/// `edit` (part name, text) — a file as a hostile sender would craft it.
fn workbook(row: u32, col: u16, edit: impl Fn(&str, String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Tên chủ thể").unwrap();
    sheet.write_string(row, col, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut from = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..from.len() {
        let mut part = from.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut text = String::new();
        part.read_to_string(&mut text).unwrap();
        to.start_file(name.clone(), stored).unwrap();
        to.write_all(edit(&name, text).as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

/// `book` with its part `from` renamed `to` (the reader finds parts in any letter case).
fn renamed(book: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        out.start_file(if name == from { to.to_owned() } else { name }, stored)
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[rocket::async_test]
async fn no_file_decides_how_much_memory_the_server_takes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let xlsx = ContentType::new(
        "application",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    );
    let csv = ContentType::new("text", "csv");
    let same = |_: &str, text: String| text;
    let bombs: Vec<(&str, Vec<u8>, ContentType)> = vec![
        // The sheet's box from A1 to XFD1048576: 17 billion cells (a reader laying it out
        // asked for 549 GB and the process aborted).
        (
            "A1 and XFD1048576",
            workbook(1_048_575, 16_383, same),
            xlsx.clone(),
        ),
        ("A1 and Z400000", workbook(399_999, 25, same), xlsx.clone()),
        // A declared extent that lies: two cells, a dimension of the whole sheet.
        (
            "a dimension of the whole sheet",
            workbook(1, 1, |name, text| {
                if name.starts_with("xl/worksheets/") {
                    text.replace(
                        "<dimension ref=\"A1:B2\"/>",
                        "<dimension ref=\"A1:XFD1048576\"/>",
                    )
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // One cell of a megabyte (a reader holds a cell's text whole; one of 150 MB took
        // 600 MB).
        (
            "a cell of a megabyte",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    text.replace("<t>x</t>", &format!("<t>{}</t>", "x".repeat(1024 * 1024)))
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // 1.1 million empty shared strings, none announced (a reader keeps each one; 14
        // million took 40 s of CPU).
        (
            "a million unannounced empty shared strings",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    let text = text.replace(" count=", " c=").replace("uniqueCount=", "u=");
                    let at = text.find("<si>").unwrap();
                    format!(
                        "{}{}{}",
                        &text[..at],
                        "<si/>".repeat(1_100_000),
                        &text[at..]
                    )
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // The same shared strings under a name in other letters, announcing ten trillion (a
        // reader that reserved room for them aborted the process).
        (
            "ten trillion shared strings announced in SharedStrings.XML",
            renamed(
                workbook(1, 1, |name, text| {
                    if name == "xl/sharedStrings.xml" {
                        text.replace(" count=\"", " count=\"10000000000000\" c=\"")
                            .replace("uniqueCount=\"", "uniqueCount=\"10000000000000\" u=\"")
                    } else {
                        text
                    }
                }),
                "xl/sharedStrings.xml",
                "xl/SharedStrings.XML",
            ),
            xlsx.clone(),
        ),
        // One shared string of six rich-text runs of 200 KB each.
        (
            "one string of many runs",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    let run = format!("<r><t>{}</t></r>", "x".repeat(200 * 1024));
                    text.replace("<t>x</t>", &run.repeat(6))
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // 1.1 million empty shared strings under a long namespace prefix.
        (
            "a million prefixed shared strings",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    let text = text.replace(" count=", " c=").replace("uniqueCount=", "u=");
                    let at = text.find("<si>").unwrap();
                    format!(
                        "{}{}{}",
                        &text[..at],
                        "<abcdefghij:si/>".repeat(1_100_000),
                        &text[at..]
                    )
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // Ten trillion announced by an `sst` element after another one (the reader skips
        // what comes before it).
        (
            "ten trillion shared strings announced after a first element",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    text.replacen("<sst ", "<x/><sst ", 1)
                        .replace(" count=\"", " count=\"10000000000000\" c=\"")
                        .replace("uniqueCount=\"", "uniqueCount=\"10000000000000\" u=\"")
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // One string of runs that empty cells inside it would have counted apart.
        (
            "one string of runs split by empty cells",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    let run = format!("<r><t>{}</t></r><c/><is/>", "x".repeat(200 * 1024));
                    text.replace("<t>x</t>", &run.repeat(6))
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // A font name of 5,000 characters: the reader copies it into every cell format.
        (
            "a style of a long font name",
            workbook(1, 1, |name, text| {
                if name == "xl/styles.xml" {
                    text.replacen(
                        "<name val=\"Calibri\"/>",
                        &format!("<name val=\"{}\"/>", "x".repeat(5000)),
                        1,
                    )
                } else {
                    text
                }
            }),
            xlsx.clone(),
        ),
        // Shared strings announcing four billion entries (a reader reserves room for them).
        (
            "four billion shared strings announced",
            workbook(1, 1, |name, text| {
                if name == "xl/sharedStrings.xml" {
                    let at = text.find("count=").unwrap();
                    let end = text[at..].find('>').unwrap() + at;
                    format!(
                        "{} count=\"4000000000\" uniqueCount=\"4000000000\"{}",
                        &text[..text[..at].rfind(' ').unwrap()],
                        &text[end..]
                    )
                } else {
                    text
                }
            }),
            xlsx,
        ),
        // A CSV line of a million columns, and one of three megabytes.
        (
            "a CSV line of a million columns",
            format!("Tên chủ thể{}\n", ",".repeat(1_000_000)).into_bytes(),
            csv.clone(),
        ),
        (
            "a CSV line of three megabytes",
            format!("Tên chủ thể,\"{}\"\n", "x".repeat(3 * 1024 * 1024)).into_bytes(),
            csv,
        ),
    ];
    for (what, bytes, content_type) in bombs {
        let res = app.upload(&path(true), &admin, bytes, content_type).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{what}: {:?}",
            res.body
        );
        let message = res.body["error"]["fields"]["file"][0]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("quá"), "{what}: {message}");
    }
    // A cell reference past any sheet (the reader's arithmetic overflows on it): a file it
    // cannot read, 422, not a 500.
    let overflow = workbook(1, 1, |name, text| {
        if name.starts_with("xl/worksheets/") {
            text.replace("r=\"B2\"", "r=\"ZZZZZZZ99999999999\"")
        } else {
            text
        }
    });
    let res = app
        .upload(
            &path(true),
            &admin,
            overflow,
            ContentType::new(
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["file"]);
    // JSON nested past any record's shape is refused as malformed, not followed down.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let res = app
        .send_raw("POST", "/api/v1/subjects", Some(&admin), deep, None)
        .await;
    assert!(
        res.status.code >= 400 && res.status.code < 500,
        "{:?}",
        res.status
    );
    // The same process still answers, and nothing was written.
    let res = app.get("/health", None).await;
    assert_eq!(res.status, Status::Ok);
    assert_eq!(app.count("subject").await, 0);
    assert_eq!(app.count("draft").await, 0);
}

/// A commune code is looked up in the importer's unit: a code of a commune elsewhere is said to
/// be outside it (not "no such code"), and one of no commune at all is said not to exist.
#[rocket::async_test]
async fn a_commune_code_outside_the_importers_unit_is_named_as_such() {
    let app = TestApp::spawn().await;
    let auditor = app
        .auditor(unit("province", "48", Some("2025-07-01")))
        .await;
    let tax = next_tax_code();
    let list = format!(
        "Tên chủ thể,Loại hình,Mã số thuế,Mã xã,Xã/Phường\n\
         HTX Ba Đình,HTX,{tax},00004,Phường Ba Đình\n\
         HTX Không Có,HTX,{},99999,Xã Không Có\n",
        next_tax_code()
    );
    let res = app
        .upload(
            "/api/v1/imports?kind=subjects&lang=vi",
            &auditor,
            list.into_bytes(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["column"], "Mã xã");
    let outside = errors[0]["message"].as_str().unwrap();
    assert!(
        outside.contains("Phường Ba Đình") && outside.contains("ngoài đơn vị"),
        "{outside}"
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("không có xã/phường nào mang mã 99999"),
        "{errors:?}"
    );
    assert_eq!(res.body["applied"], false);
}

/// A province or district written beside a commune code must be where that commune lies (or
/// lay): a contradiction is an error on that column, not a silent choice of the code.
#[rocket::async_test]
async fn a_province_or_district_contradicting_the_commune_code_is_an_error() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let list = format!(
        "Tên chủ thể,Loại hình,Mã số thuế,Tỉnh/Thành phố,Quận/Huyện,Mã xã,Xã/Phường\n\
         HTX Một,HTX,{},Tỉnh Hưng Yên,,20335,Phường Tân Thạnh\n\
         HTX Hai,HTX,{},Quảng Nam,Huyện Núi Thành,20335,Phường Tân Thạnh\n\
         HTX Ba,HTX,{},quang nam,Tam Ky,20335,Phường Tân Thạnh\n",
        next_tax_code(),
        next_tax_code(),
        next_tax_code()
    );
    let res = app
        .upload(
            &format!("{}&lang=vi", path(true)),
            &admin,
            list.into_bytes(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(
        where_wrong(&res.body),
        vec![(2, "Tỉnh/Thành phố"), (3, "Quận/Huyện")],
        "{:?}",
        res.body
    );
    let said = res.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        said.contains("Phường Tân Thạnh") && said.contains("Tỉnh Hưng Yên"),
        "{said}"
    );
    // A list of 2026 writes today's city beside a code of a ward it absorbed: that is where
    // the row is placed, so it is no contradiction.
    let list = format!(
        "Tên chủ thể,Loại hình,Mã số thuế,Tỉnh/Thành phố,Mã xã,Xã/Phường\n\
         HTX Bốn,HTX,{},Đà Nẵng,20404,Phường Cẩm Phô\n",
        next_tax_code()
    );
    let res = app
        .upload(
            "/api/v1/imports?kind=subjects&on=2026-01-01&dry_run=true&lang=vi",
            &admin,
            list.into_bytes(),
            ContentType::new("text", "csv"),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(where_wrong(&res.body), vec![], "{:?}", res.body);
}

/// A list of products names each product by its `Mã sản phẩm` (and a recognition by its
/// `Mã công nhận`): a renamed product or a new description updates that product, recorded like
/// an edit, never a second product; an id that is not the producer's, or a row that contradicts
/// a recorded decision, is an error naming that column, and nothing is written.
#[rocket::async_test]
async fn products_are_found_by_their_id_renamed_and_described_and_never_taken_from_another() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà Sâm").await;
    let p = app.seed_product(&admin, &s, "Trà sâm").await;
    let r = app
        .seed_recognition(&admin, &p, "QĐ 7", "2024-05-10", 4)
        .await;
    let other = app.seed_subject(&admin, "20341", "HTX Khác").await;
    let theirs = app.seed_product(&admin, &other, "Mật ong").await;
    let (sid, pid, rid) = (id_of(&s), id_of(&p), id_of(&r));
    let csv = ContentType::new("text", "csv");
    let import = |rows: &[String]| -> Vec<u8> {
        let mut text =
            "Mã sản phẩm;Mã chủ thể;Tên sản phẩm;Nhóm sản phẩm;Phân nhóm;Mô tả\n".to_owned();
        text.push_str(&rows.join("\n"));
        text.into_bytes()
    };
    let path = "/api/v1/imports?kind=products";

    // Renamed and described in the file: the same product, updated.
    let renamed = import(&[format!(
        "{pid};{sid};Trà sâm túi lọc;Đồ uống;Trà thảo mộc;Trà sâm đóng túi lọc 2 g"
    )]);
    let res = app.upload(path, &admin, renamed.clone(), csv.clone()).await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(figures(&res.body), [1, 0, 1, 0, 0], "{:?}", res.body);
    let products = app
        .get(&format!("/api/v1/subjects/{sid}/products"), Some(&admin))
        .await;
    assert_eq!(products.body["total"], 1, "{:?}", products.body);
    let product = &products.body["items"][0];
    assert_eq!(product["name"], "Trà sâm túi lọc");
    assert_eq!(product["subgroup"], "Trà thảo mộc");
    assert_eq!(product["description"], "Trà sâm đóng túi lọc 2 g");
    let trail = app
        .get(
            &format!("/api/v1/audit?entity=product&entity_id={pid}"),
            Some(&admin),
        )
        .await;
    assert!(
        trail.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "update"),
        "{:?}",
        trail.body
    );
    // The same file again changes nothing.
    let again = app.upload(path, &admin, renamed, csv.clone()).await;
    assert_eq!(figures(&again.body), [1, 0, 0, 1, 0], "{:?}", again.body);

    // Another producer's product, an unknown id, a word that is no id: each refused by column.
    let audit_before = app.count("audit_log").await;
    let bad = import(&[
        format!("{};{sid};Mật ong;Thực phẩm;;", id_of(&theirs)),
        format!("{};{sid};Trà;Đồ uống;;", uuid::Uuid::nil()),
        format!("SP-1;{sid};Trà;Đồ uống;;"),
    ]);
    let res = app.upload(path, &admin, bad, csv.clone()).await;
    assert_eq!(
        where_wrong(&res.body),
        [(2, "Mã sản phẩm"), (3, "Mã sản phẩm"), (4, "Mã sản phẩm")],
        "{:?}",
        res.body
    );
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("chủ thể khác"),
        "{:?}",
        res.body
    );
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "nothing written"
    );

    // A recognition named by its id must agree with the recorded decision.
    let decision = |stars: u8| {
        format!(
            "Mã công nhận;Mã chủ thể;Tên sản phẩm;Hạng sao;Số quyết định;Ngày quyết định\n\
             {rid};{sid};Trà sâm túi lọc;{stars} sao;QĐ 7;10/05/2024"
        )
        .into_bytes()
    };
    let same = app.upload(path, &admin, decision(4), csv.clone()).await;
    assert_eq!(figures(&same.body), [1, 0, 0, 1, 0], "{:?}", same.body);
    let differs = app.upload(path, &admin, decision(5), csv).await;
    assert_eq!(
        where_wrong(&differs.body),
        [(2, "Mã công nhận")],
        "{:?}",
        differs.body
    );
    assert_eq!(
        app.count("audit_log").await,
        audit_before,
        "nothing written"
    );
}

/// What a returned file and its results must not do: name an id a check did not keep (a row
/// updating what an earlier row made), run a heading as a formula, or take a commune of
/// another province for a misspelling of one of the importer's own.
#[rocket::async_test]
async fn a_checked_file_keeps_no_ids_runs_no_formulas_and_names_communes_elsewhere() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("province", "49", None)).await;
    let csv = ContentType::new("text", "csv");
    let tax = next_tax_code();
    let file = format!(
        "Tên chủ thể;Loại hình;Mã số thuế;Quận/Huyện;Xã/Phường;Điện thoại;=HYPERLINK(\"http://x\")\n\
         HTX Hai Dòng;HTX;{tax};Tam Kỳ;Tân Thạnh;;\n\
         HTX Hai Dòng;HTX;;Tam Kỳ;Tân Thạnh;0905 111 222;\n\
         HTX Hà Nội;HTX;;;Phường Hoàn Kiếm;;"
    );
    let res = app
        .upload(
            &path(true),
            &auditor,
            file.clone().into_bytes(),
            csv.clone(),
        )
        .await;
    let results = res.body["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|r| r["result"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["created", "updated", "error"],
        "{:?}",
        res.body
    );
    assert!(results.iter().all(|r| r["id"].is_null()), "{:?}", res.body);
    assert_eq!(where_wrong(&res.body), [(4, "Xã/Phường")]);
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ngoài đơn vị"),
        "{:?}",
        res.body
    );
    let returned = app
        .client
        .post(format!("{}&format=csv", path(true)))
        .header(csv)
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {auditor}"),
        ))
        .body(file)
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let heading = returned.lines().next().unwrap();
    assert!(heading.contains("'=HYPERLINK"), "{heading}");
    assert_eq!(app.count("draft").await, 0);
    let _ = admin;
}

/// A problem with a column the file does not have is named by the template's heading for a
/// Vietnamese reader (the field's API name in English), never by an English key.
#[rocket::async_test]
async fn a_missing_column_is_named_as_the_template_heads_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let list = "Loại kênh,Nền tảng,Từ ngày\nChuỗi siêu thị,Co.opmart,01/01/2025\n";
    for (lang, column) in [("vi", "Tên chủ thể"), ("en", "name")] {
        let res = app
            .upload(
                &format!("/api/v1/imports?kind=channels&dry_run=true&lang={lang}"),
                &admin,
                list.as_bytes().to_vec(),
                ContentType::new("text", "csv"),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        assert_eq!(
            where_wrong(&res.body),
            vec![(2, column)],
            "{lang}: {:?}",
            res.body
        );
    }
}

/// The returned workbook's links are whole addresses: a workbook has no page to be relative to.
#[rocket::async_test]
async fn the_returned_workbook_links_each_record_by_its_whole_address() {
    let app =
        TestApp::spawn_with(|c| c.public.base_url = Some("https://ocop.example.vn".into())).await;
    let admin = app.admin().await;
    let list = format!(
        "Tên chủ thể,Loại hình,Mã số thuế,Mã xã,Xã/Phường\nHTX Một,HTX,{},20335,Phường Tân Thạnh\n",
        next_tax_code()
    );
    let book = app
        .client
        .post(format!("{}&format=xlsx", path(false)))
        .header(ContentType::new("text", "csv"))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {admin}"),
        ))
        .body(list)
        .dispatch()
        .await;
    assert_eq!(book.status(), Status::Ok);
    let book = book.into_bytes().await.unwrap();
    // A link a clerk can click, not an address to copy.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book.clone())).unwrap();
    let rels = std::io::read_to_string(zip.by_name("xl/worksheets/_rels/sheet1.xml.rels").unwrap());
    assert!(
        rels.unwrap()
            .contains("Target=\"https://ocop.example.vn/subjects/")
    );
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let row: Vec<String> = sheet
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(row[1], "Tạo mới", "{row:?}");
    assert_eq!(
        row[4],
        format!("https://ocop.example.vn/subjects/{}", row[3]),
        "{row:?}"
    );
}

//! Spreadsheets out: every list and report as CSV (UTF-8 with a BOM) or XLSX, with Vietnamese
//! headings unless `lang=en`, every matching row (not a page), the caller's scope kept.

use calamine::{Data, Reader, Xlsx};
use rocket::http::{Header, Status};
use serde_json::json;

use crate::helpers::{TestApp, unit};
use crate::indicators::Scenario;
use crate::pages::{account, page, sign_in_and_change};

/// A download: status, content type, `Content-Disposition`, bytes.
struct File {
    status: Status,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

async fn download(app: &TestApp, path: &str, token: Option<&str>) -> File {
    let mut req = app.client.get(path.to_owned());
    if let Some(t) = token {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    let res = req.dispatch().await;
    File {
        status: res.status(),
        content_type: res
            .content_type()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        disposition: res
            .headers()
            .get_one("Content-Disposition")
            .unwrap_or_default()
            .to_owned(),
        bytes: res.into_bytes().await.unwrap_or_default(),
    }
}

/// The first sheet of a workbook, as text cells.
fn sheet_of(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[rocket::async_test]
async fn the_subject_list_downloads_whole_in_the_readers_language_and_scope() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let a = app.seed_subject(&admin, "20335", "HTX Điện An").await;
    app.seed_subject(&admin, "20341", "HTX An Mỹ").await;
    app.seed_subject(&admin, "20551", "Cơ sở Hội An").await;

    // Every subject, whatever the page size asked.
    let csv = download(&app, "/api/v1/subjects?format=csv&per_page=1", Some(&admin)).await;
    assert_eq!(csv.status, Status::Ok);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert_eq!(csv.disposition, "attachment; filename=\"chu-the-ocop.csv\"");
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(csv.bytes).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(
            "\u{feff}Mã chủ thể,Tên chủ thể,Loại hình,Mã số thuế,Mã xã,Xã/Phường,Quận/Huyện,Tỉnh/Thành phố,"
        ),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(text.contains(",HTX Điện An,Hợp tác xã,"), "{text}");
    // The place as a code (names repeat across provinces and reforms) and as its names.
    assert!(
        text.contains(",20335,Phường Tân Thạnh,Thành phố Tam Kỳ,Tỉnh Quảng Nam,"),
        "{text}"
    );
    assert!(
        text.contains(",01/03/2015"),
        "dates as Vietnamese write them: {text}"
    );

    // XLSX in English, read back as Excel would.
    let xlsx = download(&app, "/api/v1/subjects?format=xlsx&lang=en", Some(&admin)).await;
    assert_eq!(xlsx.status, Status::Ok);
    assert_eq!(xlsx.content_type, XLSX);
    assert_eq!(
        xlsx.disposition,
        "attachment; filename=\"chu-the-ocop.xlsx\""
    );
    let rows = sheet_of(&xlsx.bytes);
    assert_eq!(rows[0][..3], ["id", "name", "legal_form"]);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().any(|r| r[1] == "Cơ sở Hội An"));

    // An owner's download holds its own subject only.
    let owner = app.owner_of(&a).await;
    let mine = download(&app, "/api/v1/subjects?format=csv", Some(&owner)).await;
    let text = String::from_utf8(mine.bytes).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("HTX Điện An"));
    // Each download of personal data is in the audit trail: who, which file, how many rows,
    // what was asked (docs/domain.md §10); the JSON list is not an export.
    app.get("/api/v1/subjects", Some(&admin)).await;
    let exports = app.get("/api/v1/audit?entity=export", Some(&admin)).await;
    let entries = exports.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{entries:?}");
    let first = entries.last().unwrap();
    assert_eq!(first["actor"]["role"], "admin");
    assert_eq!(first["after"]["file"], "chu-the-ocop");
    assert_eq!(first["after"]["rows"], 3);
    assert_eq!(
        first["after"]["request"],
        "/api/v1/subjects?format=csv&per_page=1"
    );
    assert_eq!(entries[0]["actor"]["role"], "owner");
    assert_eq!(entries[0]["after"]["rows"], 1);
    // A format that does not exist is refused, naming the parameter (a malformed query: 400).
    let res = app.get("/api/v1/subjects?format=pdf", Some(&admin)).await;
    assert_eq!(res.status, Status::BadRequest, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["format"]);
}

#[rocket::async_test]
async fn the_report_and_the_explanations_download_with_the_api_numbers() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    let tam_ky = unit("district", "502", None);
    let report = sc.report(tam_ky, "2025-06-30", "").await;

    let xlsx = download(
        app,
        &format!("/api/v1/indicators?unit_id={tam_ky}&as_of=2025-06-30&format=xlsx"),
        Some(&sc.admin),
    )
    .await;
    assert_eq!(xlsx.status, Status::Ok);
    assert_eq!(
        xlsx.disposition,
        "attachment; filename=\"bao-cao-ocop-502-2025-06-30.xlsx\""
    );
    let all = sheet_of(&xlsx.bytes);
    // A title block first: what, the unit, the day and policy, known when, made by whom.
    assert_eq!(all[0][0], "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU OCOP");
    assert_eq!(all[1][0], "Đơn vị: Thành phố Tam Kỳ");
    assert_eq!(
        all[2][0],
        "Ngày số liệu: 30/06/2025 · Chính sách phiên bản 3"
    );
    assert!(
        all[3][0].starts_with("Theo dữ liệu ghi nhận đến: "),
        "{:?}",
        all[3]
    );
    assert!(all[4][0].starts_with("Lập lúc "), "{:?}", all[4]);
    let rows = &all[6..];
    assert_eq!(rows[0][0], "Mã đơn vị", "no internal id first");
    assert_eq!(rows[0][1], "Đơn vị hành chính");
    assert_eq!(rows[0][8], "Chuỗi giá trị xanh: tỷ lệ (%)");
    assert_eq!(rows[0][18], "Mã định danh đơn vị");
    assert_eq!(rows.len(), 2 + report["children"].as_array().unwrap().len());
    // Tam Kỳ: 10 subjects, value chain 3 = 30 %, modern 2 = 20 %, gap 3.
    assert_eq!(rows[1][1], "Thành phố Tam Kỳ");
    assert_eq!(rows[1][2], "Huyện/Quận/Thị xã", "the level in words");
    assert_eq!(rows[1][5], "10");
    // Shares are percentages (0.3 shown 30,00 %).
    assert_eq!((rows[1][6].as_str(), rows[1][8].as_str()), ("3", "0.3"));
    assert_eq!(rows[1][10], "Đạt", "the verdict in words");
    assert_eq!((rows[1][12].as_str(), rows[1][14].as_str()), ("2", "0.2"));
    assert_eq!(rows[1][17], "3");

    // The explanations: every population subject with its contacts and what is missing.
    let csv = download(
        app,
        &format!(
            "/api/v1/indicators/subjects?unit_id={tam_ky}&as_of=2025-06-30&indicator=modern_channel&counts=false&format=csv"
        ),
        Some(&sc.admin),
    )
    .await;
    assert_eq!(csv.status, Status::Ok);
    let text = String::from_utf8(csv.bytes).unwrap();
    assert_eq!(text.lines().count(), 1 + 8, "{text}");
    let s15 = text.lines().find(|l| l.contains(",S15,")).unwrap();
    assert!(s15.contains("Nguyễn Thị Hoa"), "{s15}");
    assert!(
        s15.contains("Kênh bán hàng chỉ tự khai, chưa xác nhận"),
        "{s15}"
    );
    // The list holds contacts: its download is in the audit trail; the report's is not.
    let exports = app
        .get("/api/v1/audit?entity=export", Some(&sc.admin))
        .await;
    let entries = exports.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["after"]["rows"], 8);
}

#[rocket::async_test]
async fn the_pages_export_what_they_show_to_the_signed_in_only() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    // Not signed in: to the sign-in page, no file.
    let res = page(
        &app.client,
        "/dashboard/export?unit=49&date=30/06/2025&format=xlsx",
    )
    .await;
    assert_eq!(res.status, Status::SeeOther);

    let otp = account(
        app,
        &sc.admin,
        json!({"username": "kiemtra.qn", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "F"}),
    )
    .await;
    sign_in_and_change(&app.client, "kiemtra.qn", &otp, "mật khẩu mới đủ dài").await;
    let dash = page(&app.client, "/dashboard?unit=49&date=30/06/2025").await;
    assert!(dash.body.contains(
        "href=\"/dashboard/export?unit=49&#38;date=2025-06-30&#38;format=xlsx\" id=\"export-xlsx\""
    ));
    let xlsx = download(
        app,
        "/dashboard/export?unit=49&date=2025-06-30&format=xlsx",
        None,
    )
    .await;
    assert_eq!(xlsx.status, Status::Ok);
    let rows = sheet_of(&xlsx.bytes);
    assert_eq!(rows[7][1], "Tỉnh Quảng Nam");
    assert_eq!(rows[7][5], "13");
    assert!(
        rows[4][0].ends_with("người lập: F (kiemtra.qn)"),
        "{:?}",
        rows[4]
    );

    let drill =
        "/dashboard/subjects?unit=502&date=2025-06-30&indicator=modern_channel&counts=false";
    let html = page(&app.client, drill).await;
    let link = "/dashboard/subjects/export?unit=502&date=2025-06-30&indicator=modern_channel&counts=false&format=csv";
    assert!(
        html.body.contains(&link.replace('&', "&#38;")),
        "{}",
        html.body
    );
    let csv = download(app, link, None).await;
    assert_eq!(
        csv.status,
        Status::Ok,
        "{:?}",
        String::from_utf8_lossy(&csv.bytes)
    );
    assert_eq!(String::from_utf8(csv.bytes).unwrap().lines().count(), 9);
    let bad = download(app, &link.replace("format=csv", "format=pdf"), None).await;
    assert_eq!(bad.status, Status::UnprocessableEntity);
}

/// The department's other lists download whole, as the JSON lists hold them; those holding
/// people's data (drafts, the audit trail) are recorded as exports.
#[rocket::async_test]
async fn every_list_downloads_whole_as_csv_or_xlsx() {
    let sc = Scenario::build().await;
    let app = &sc.app;
    for (path, title) in [
        ("/api/v1/certifications", "Số giấy chứng nhận"),
        ("/api/v1/channels", "Đường dẫn gian hàng"),
        ("/api/v1/audit", "Người thực hiện"),
    ] {
        let json = app
            .get(&format!("{path}?per_page=1"), Some(&sc.admin))
            .await;
        let total = json.body["total"].as_u64().unwrap() as usize;
        assert!(total > 1, "{path}: {total}");
        let xlsx = download(
            app,
            &format!("{path}?format=xlsx&per_page=1"),
            Some(&sc.admin),
        )
        .await;
        assert_eq!(xlsx.status, Status::Ok, "{path}");
        let rows = sheet_of(&xlsx.bytes);
        assert!(rows[0].iter().any(|h| h == title), "{path}: {:?}", rows[0]);
        let data_rows = rows.len() - 1;
        if path.ends_with("audit") {
            // The trail grows by its own export while it is read.
            assert!(data_rows >= total, "{path}: {data_rows} rows for {total}");
        } else {
            assert_eq!(data_rows, total, "{path}");
        }
        let csv = download(app, &format!("{path}?format=csv&lang=en"), Some(&sc.admin)).await;
        let text = String::from_utf8(csv.bytes).unwrap();
        assert!(text.starts_with('\u{feff}'), "{path}");
    }
    let certs = download(app, "/api/v1/certifications?format=csv", Some(&sc.admin)).await;
    let text = String::from_utf8(certs.bytes).unwrap();
    assert!(
        text.contains(",đã xác nhận,"),
        "statuses in Vietnamese: {text}"
    );
    let exports = app
        .get("/api/v1/audit?entity=export", Some(&sc.admin))
        .await;
    let files: Vec<&str> = exports.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["after"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["nhat-ky", "nhat-ky"],
        "only the audit trail holds people's data here"
    );
}

#[rocket::async_test]
async fn no_csv_export_carries_a_formula_an_owner_wrote() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà Sâm").await;
    let owner = app.owner_of(&s).await;
    let sid = s["id"].as_str().unwrap();
    // Text an owner writes, each starting the way a spreadsheet program starts a formula.
    let hostile = [
        "=HYPERLINK(\"https://evil.example\",\"Bấm vào\")",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
    ];
    for name in hostile {
        app.seed_product(&owner, &s, name).await;
    }
    let mut area = crate::areas::area_body(hostile[1], "1.5");
    area["material"] = json!(hostile[0]);
    let res = app
        .post(
            &format!("/api/v1/subjects/{sid}/areas"),
            Some(&owner),
            &area,
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let mut cert = crate::certifications::cert_body("=1+1");
    cert["issuer"] = json!(hostile[3]);
    let res = app
        .post(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&owner),
            &cert,
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);

    let mut seen = 0;
    for path in [
        "/api/v1/subjects?format=csv".to_owned(),
        format!("/api/v1/subjects/{sid}/products?format=csv"),
        format!("/api/v1/subjects/{sid}/areas?format=csv"),
        "/api/v1/certifications?format=csv".to_owned(),
        "/api/v1/audit?format=csv".to_owned(),
        format!("/api/v1/subjects/{sid}/products?format=csv&lang=en"),
    ] {
        let file = download(&app, &path, Some(&admin)).await;
        assert_eq!(file.status, Status::Ok, "{path}");
        let text = String::from_utf8(file.bytes).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for record in reader.records() {
            for field in record.unwrap().iter() {
                assert!(
                    !field.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{path}: {field:?}"
                );
                if hostile.iter().any(|h| field == format!("'{h}")) {
                    seen += 1;
                }
            }
        }
    }
    // The text is all there, shown as text (a leading ').
    assert!(seen >= 8, "{seen}");
}

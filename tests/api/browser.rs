//! The pages in a real browser (Chromium through WebDriver): what a person who has never seen
//! the registry does with a user name and a one-time password. Screenshots of every page go
//! to `target/browser-screenshots/`.
//!
//! Needs `chromium` and `chromium-driver` (Debian). Without them the test says it was skipped —
//! unless `OCOP_BROWSER_TESTS=required` (CI), where their absence fails it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::unit;
use crate::indicators::Scenario;
use crate::pages::{account, expected_cells};

struct Driver {
    child: Child,
    _profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self._profile).ok();
    }
}

fn found(path: &str) -> Option<String> {
    std::path::Path::new(path).exists().then(|| path.to_owned())
}

/// Chromium and its driver, or `None` (and a line saying so) when they are not installed.
fn browser() -> Option<(String, String)> {
    let chromium = std::env::var("CHROMIUM")
        .ok()
        .or_else(|| found("/usr/bin/chromium"));
    let driver = std::env::var("CHROMEDRIVER")
        .ok()
        .or_else(|| found("/usr/bin/chromedriver"));
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            let required = std::env::var("OCOP_BROWSER_TESTS").is_ok_and(|v| v == "required");
            assert!(
                !required,
                "OCOP_BROWSER_TESTS=required but chromium / chromedriver are not installed"
            );
            eprintln!(
                "SKIPPED: browser tests need chromium and chromium-driver \
                 (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

async fn start() -> Option<(Driver, Client)> {
    let (chromium, chromedriver) = browser()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = std::env::temp_dir().join(format!("ocop-chromium-{}", uuid::Uuid::new_v4()));
    let driver = Driver {
        child,
        _profile: profile.clone(),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Flags from this machine's notes: without the background-networking ones Chromium keeps
    // calling out to a network that is closed here.
    let caps = json!({"goog:chromeOptions": {"binary": chromium, "args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--accept-lang=vi-VN,vi",
        format!("--user-data-dir={}", profile.display()),
    ], "prefs": {"intl.accept_languages": "vi-VN,vi"}}});
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .ok();
    let client = ClientBuilder::rustls()
        .expect("TLS roots")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    Some((driver, client))
}

fn screenshots() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// Types `text` into the field, and checks the field holds it: on a loaded machine a key may be
/// typed before the field is cleared, and the form would then carry both.
async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    let mut held = None;
    for _ in 0..3 {
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
        held = e.prop("value").await.unwrap();
        if held.as_deref() == Some(text) {
            return;
        }
    }
    panic!("{css} holds {held:?}, not {text:?}");
}

/// Clicks a link or a submit button and waits until the browser is on the next page (fails
/// after 10 s: a wait that cannot fail proves nothing).
async fn click(c: &Client, css: &str) {
    // A mark on the page that the next page will not have: a form answered at the same
    // address is a new page too.
    c.execute("window.__before_click = true;", vec![])
        .await
        .unwrap();
    let before = c.current_url().await.unwrap();
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..200 {
        let left = c
            .execute("return window.__before_click === undefined;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if left {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("clicking {css} on {before} led nowhere");
}

/// The text of the element with this id (the page's source in the failure otherwise).
async fn text_of(c: &Client, id: &str) -> String {
    // Waited for: under a loaded machine a page may still be arriving.
    let found = c
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Id(id))
        .await;
    match found {
        Ok(e) => e.text().await.unwrap(),
        Err(e) => panic!(
            "no #{id} ({e}) on {}: {}",
            path_of(c).await,
            c.source().await.unwrap_or_default()
        ),
    }
}

async fn path_of(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The figures table as the browser shows it: row header → cells.
async fn table(c: &Client) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for row in c.find_all(Locator::Css("#figures tbody tr")).await.unwrap() {
        let name = row
            .find(Locator::Css("th"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut cells = Vec::new();
        for td in row.find_all(Locator::Css("td")).await.unwrap() {
            cells.push(td.text().await.unwrap().trim().to_owned());
        }
        out.push((name.trim_end_matches(" ▸").trim().to_owned(), cells));
    }
    out
}

/// The browser's table holds the API report's unit and every child, number for number.
fn same_figures(shown: &[(String, Vec<String>)], report: &Value) {
    let mut want = vec![(
        report["unit"]["name"].as_str().unwrap().to_owned(),
        expected_cells(report),
    )];
    for child in report["children"].as_array().unwrap() {
        want.push((
            child["unit"]["name"].as_str().unwrap().to_owned(),
            expected_cells(child),
        ));
    }
    assert_eq!(shown, want.as_slice());
}

/// Decodes the QR code in a PNG.
fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            img.get_pixel(x as u32, y as u32).0[0]
        });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap().1
}

#[rocket::async_test]
async fn a_newcomer_signs_in_reads_the_figures_drills_down_and_the_public_scans_the_qr() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let sc = Scenario::build().await;
    // S2 (Tam Kỳ) owns its land and has submitted a VietGAP certificate: it waits in the queue.
    let s2 = sc.s["S2"].clone();
    sc.area(&s2, "own", None, None).await;
    let vg = sc.cert(&s2, "vietgap", "VG-S2", &[]).await;
    // …and an organic one the auditor will refuse.
    let organic = sc.cert(&s2, "organic", "HC-S2", &[]).await;
    let otp = account(
        &sc.app,
        &sc.admin,
        json!({"username": "kiemtra.quangnam", "role": "auditor",
               "unit_id": unit("province", "49", None),
               "display_name": "Nguyễn Văn Thẩm"}),
    )
    .await;
    let base = sc.app.serve().await;

    // Signing in with the one-time password leads to choosing one's own.
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    assert!(path_of(&c).await.starts_with("/login"));
    shot(&c, "01-dang-nhap").await;
    fill(&c, "#username", "kiemtra.quangnam").await;
    fill(&c, "#password", &otp).await;
    click(&c, "#sign-in").await;
    assert_eq!(path_of(&c).await, "/password?next=%2Fdashboard");
    shot(&c, "02-doi-mat-khau").await;
    fill(&c, "#current", &otp).await;
    fill(&c, "#new", "mật khẩu của tôi 2025").await;
    fill(&c, "#repeat", "mật khẩu của tôi 2025").await;
    click(&c, "#save-password").await;
    let now = path_of(&c).await;
    assert!(
        now.starts_with("/dashboard"),
        "{now}: {}",
        c.source().await.unwrap()
    );

    // Quảng Nam on 30/06/2025, typed as people write dates.
    fill(&c, "#unit", "49").await;
    fill(&c, "#date", "30/06/2025").await;
    click(&c, "#show").await;
    let summary = text_of(&c, "summary").await;
    assert!(
        summary.starts_with("Tỉnh Quảng Nam · số liệu ngày 30/06/2025"),
        "{summary}"
    );
    let report = sc
        .report(unit("province", "49", None), "2025-06-30", "")
        .await;
    same_figures(&table(&c).await, &report);
    shot(&c, "03-bang-dieu-khien-quang-nam").await;

    // Which subjects in Tam Kỳ do not count for modern channels, and why.
    let tam_ky = c
        .find(Locator::XPath(
            "//table[@id='figures']//tr[th[contains(., 'Tam Kỳ')]]/td[11]/a",
        ))
        .await
        .unwrap();
    let before = c.current_url().await.unwrap();
    tam_ky.click().await.unwrap();
    while c.current_url().await.unwrap() == before {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        path_of(&c)
            .await
            .starts_with("/dashboard/subjects?unit=502")
    );
    let paging = text_of(&c, "paging").await;
    assert!(paging.ends_with("8 chủ thể"), "{paging}");
    let rows = c
        .find_all(Locator::Css("#subjects tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 8);
    let reasons = text_of(&c, "subjects").await;
    assert!(
        reasons.contains("Kênh bán hàng chỉ tự khai, chưa xác nhận"),
        "{reasons}"
    );
    shot(&c, "04-chu-the-chua-tinh").await;

    // A name opens the subject's file on the report's day, with its verdicts and audit trail.
    let drill = path_of(&c).await;
    click(&c, "#subjects tbody tr th a").await;
    assert!(
        path_of(&c).await.starts_with("/subjects/"),
        "{}",
        path_of(&c).await
    );
    assert_eq!(
        c.find(Locator::Css("#date"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap(),
        Some("30/06/2025".to_owned())
    );
    let file = text_of(&c, "verdict-modern_channel").await;
    assert!(file.contains("hiện đại"), "{file}");
    assert!(c.find(Locator::Css("#trail")).await.is_ok());
    shot(&c, "04b-ho-so-chu-the").await;
    // The subject list finds it by words typed without accents.
    click(&c, "#nav-subjects").await;
    fill(&c, "#q", "s11").await;
    click(&c, "#search").await;
    let found = text_of(&c, "subjects").await;
    assert!(found.contains("S11"), "{found}");
    shot(&c, "04c-chu-the-ocop").await;
    // A draft from a list is completed in its form: the cooperative is registered.
    let draft = sc
        .app
        .post(
            "/api/v1/drafts",
            Some(&sc.admin),
            &json!({"entity": "subject", "unit_id": unit("district", "502", None),
                    "data": {"name": "HTX Nháp Trình Duyệt", "legal_form": "cooperative"}}),
        )
        .await;
    let draft_id = draft.body["id"].as_str().unwrap().to_owned();
    click(&c, "#nav-drafts").await;
    shot(&c, "04d-ban-nhap").await;
    fill(&c, &format!("#commune_id-{draft_id}"), "20335").await;
    fill(&c, &format!("#tax_code-{draft_id}"), "4000101453").await;
    click(&c, &format!("#complete-button-{draft_id}")).await;
    assert!(text_of(&c, "done").await.starts_with("Đã hoàn thiện"));
    c.goto(&format!("{base}{drill}")).await.unwrap();

    // Đà Nẵng after the reform, through the same form.
    click(&c, "#back").await;
    fill(&c, "#unit", "48").await;
    fill(&c, "#date", "31/12/2025").await;
    click(&c, "#show").await;
    let da_nang = sc
        .app
        .get("/api/v1/units?code=48&on=2025-12-31", Some(&sc.admin))
        .await;
    let da_nang = crate::helpers::id_of(&da_nang.body["items"][0]);
    let report = sc.report(da_nang, "2025-12-31", "").await;
    same_figures(&table(&c).await, &report);
    shot(&c, "05-bang-dieu-khien-da-nang").await;

    // The work queue: verify S2's certificate as of 30/06/2025…
    click(&c, "#nav-queue").await;
    let queue = text_of(&c, "queue").await;
    assert!(queue.contains("VG-S2"), "{queue}");
    shot(&c, "06-viec-can-tham-dinh").await;
    // The organic claim is refused with its reason; nothing else moves.
    let item =
        |c: &serde_json::Value, what: &str| format!("#item-{} {what}", c["id"].as_str().unwrap());
    fill(
        &c,
        &item(&organic, "input[name=reason]"),
        "Giấy chứng nhận không khớp tên chủ thể",
    )
    .await;
    fill(
        &c,
        &item(&organic, "input[name=effective_on]"),
        "30/06/2025",
    )
    .await;
    click(&c, &item(&organic, "button.reject")).await;
    assert_eq!(text_of(&c, "done").await, "Đã ghi nhận: Từ chối.");
    assert!(!text_of(&c, "queue").await.contains("HC-S2"));
    fill(&c, &item(&vg, "input[name=reason]"), "Đã đối chiếu bản gốc").await;
    fill(&c, &item(&vg, "input[name=effective_on]"), "30/06/2025").await;
    click(&c, &item(&vg, "button.verify")).await;
    assert!(text_of(&c, "done").await.starts_with("Đã ghi nhận"));
    // …and Tam Kỳ's value chain moves from 3 to 4 subjects, as the API says.
    c.goto(&format!("{base}/dashboard?unit=49&date=30/06/2025"))
        .await
        .unwrap();
    let report = sc
        .report(unit("province", "49", None), "2025-06-30", "")
        .await;
    let shown = table(&c).await;
    same_figures(&shown, &report);
    let tam_ky = shown.iter().find(|(n, _)| n == "Thành phố Tam Kỳ").unwrap();
    assert_eq!(tam_ky.1[1], "4", "{tam_ky:?}");

    // Freeze the figures and download the filed report as XLSX, with the browser's session.
    click(&c, "#freeze").await;
    assert!(path_of(&c).await.starts_with("/reports/"));
    shot(&c, "07-bao-cao-da-chot").await;
    // Printed on A4 as the browser prints it: the report's title block and signatures, saved
    // beside the screenshots.
    let pdf = c
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let pages = pdf.windows(11).filter(|w| w == b"/Type /Page").count()
        - pdf.windows(12).filter(|w| w == b"/Type /Pages").count();
    assert!((1..=3).contains(&pages), "{pages} pages");
    std::fs::write(screenshots().join("07b-bao-cao-in-a4.pdf"), &pdf).unwrap();
    let href = c
        .find(Locator::Id("export-xlsx"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let cookies = c
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|k| format!("{}={}", k.name(), k.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let file = reqwest::Client::new()
        .get(format!("{base}{href}"))
        .header("Cookie", cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    let bytes = file.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("Báo cáo OCOP").unwrap();
    // Under the report's title block (five lines and a blank one), the headings, then the unit.
    let title = sheet.rows().next().unwrap();
    assert_eq!(
        title[0].to_string(),
        "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU OCOP"
    );
    assert!(
        sheet.rows().nth(4).unwrap()[0]
            .to_string()
            .starts_with("Chốt số liệu lúc"),
        "a frozen report says when and by whom"
    );
    let qn = sheet.rows().nth(7).unwrap();
    assert_eq!(qn[1].to_string(), "Tỉnh Quảng Nam");
    assert_eq!(qn[5].to_string(), report["population"].to_string());
    assert_eq!(
        qn[6].to_string(),
        report["indicators"][0]["numerator"].to_string()
    );

    // A list of raw-material areas from the department's spreadsheet: checked first (nothing
    // written), then applied without its bad row.
    let s2_tax = s2["tax_code"].as_str().unwrap();
    let list = std::env::temp_dir().join(format!("vung-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &list,
        format!(
            "\u{feff}Tên chủ thể;Mã số thuế;Tên vùng;Nguyên liệu;Diện tích (ha);Hình thức\r\n\
             {};{s2_tax};Vùng quế Tam Kỳ;Quế;2,5;tự có\r\n\
             Không rõ;;Vùng không chủ;Quế;1;tự có\r\n",
            s2["name"].as_str().unwrap()
        ),
    )
    .unwrap();
    click(&c, "#nav-imports").await;
    let submit = async |button: &str, partial: bool| {
        c.find(Locator::Id("kind"))
            .await
            .unwrap()
            .select_by_value("areas")
            .await
            .unwrap();
        fill(&c, "#on", "30/06/2025").await;
        c.find(Locator::Id("file"))
            .await
            .unwrap()
            .send_keys(list.to_str().unwrap())
            .await
            .unwrap();
        let partial_box = c
            .find(Locator::Css("#upload input[name=partial]"))
            .await
            .unwrap();
        if partial_box.is_selected().await.unwrap() != partial {
            partial_box.click().await.unwrap();
        }
        let old = c.find(Locator::Css("html")).await.unwrap();
        c.find(Locator::Css(&format!("#upload button[value={button}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        // The answer is a new page at the same address: wait for the old one to go.
        for _ in 0..200 {
            if old.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{button}: no answer");
    };
    let areas_before = sc.app.count("raw_material_area").await;
    submit("check", false).await;
    let figures: Vec<String> = {
        let mut cells = Vec::new();
        for td in c.find_all(Locator::Css("#figures td")).await.unwrap() {
            cells.push(td.text().await.unwrap());
        }
        cells
    };
    assert_eq!(
        figures,
        ["2", "1", "0", "0", "0", "1"],
        "{}",
        c.source().await.unwrap()
    );
    let errors = text_of(&c, "errors").await;
    assert!(errors.contains("Tên chủ thể"), "{errors}");
    assert_eq!(sc.app.count("raw_material_area").await, areas_before);
    shot(&c, "08-nhap-danh-sach-kiem-tra").await;
    submit("apply", true).await;
    assert_eq!(text_of(&c, "applied").await, "Đã nhập danh sách.");
    shot(&c, "09-nhap-danh-sach-da-ghi").await;
    let areas = sc
        .app
        .get(
            &format!("/api/v1/subjects/{}/areas", s2["id"].as_str().unwrap()),
            Some(&sc.admin),
        )
        .await;
    assert!(
        areas.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Vùng quế Tam Kỳ" && a["area_ha"] == "2.5"),
        "{:?}",
        areas.body
    );
    std::fs::remove_file(&list).ok();

    // The public, on a phone: search without accents, open the product, scan its code.
    click(&c, "#sign-out").await;
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&format!("{base}/")).await.unwrap();
    fill(&c, "#q", "san pham s4").await;
    click(&c, "#search").await;
    shot(&c, "10-tra-cuu").await;
    click(&c, "#results a").await;
    let url = c.current_url().await.unwrap().to_string();
    assert!(url.starts_with(&format!("{base}/p/")), "{url}");
    let name = text_of(&c, "product-name").await;
    assert_eq!(name, "Sản phẩm S4");
    let qr = c.find(Locator::Css("#qr svg")).await.unwrap();
    let png = qr.screenshot().await.unwrap();
    assert_eq!(decode_qr(&png), url);
    shot(&c, "11-san-pham-qr").await;

    // S2's owner, given a user name and a one-time password, lands on its own subject and reads
    // what it lacks — as the engine explains it for today.
    let otp = account(
        &sc.app,
        &sc.admin,
        json!({"username": "htx.s2", "role": "owner", "subject_id": s2["id"],
               "display_name": "Chủ thể S2"}),
    )
    .await;
    c.set_window_size(1280, 900).await.unwrap();
    c.goto(&format!("{base}/me")).await.unwrap();
    assert!(path_of(&c).await.starts_with("/login"));
    fill(&c, "#username", "htx.s2").await;
    fill(&c, "#password", &otp).await;
    click(&c, "#sign-in").await;
    fill(&c, "#current", &otp).await;
    fill(&c, "#new", "mật khẩu chủ thể S2").await;
    fill(&c, "#repeat", "mật khẩu chủ thể S2").await;
    click(&c, "#save-password").await;
    assert_eq!(path_of(&c).await, "/me", "{}", c.source().await.unwrap());
    assert_eq!(
        text_of(&c, "subject-name").await,
        s2["name"].as_str().unwrap()
    );
    let today = ocop_registry::clock::today().to_string();
    for key in ["value_chain", "modern_channel"] {
        let shown = text_of(&c, &format!("status-{key}")).await;
        assert!(
            [
                "Được tính",
                "Chưa được tính",
                "Đủ điều kiện (khi có sản phẩm OCOP còn hiệu lực)"
            ]
            .contains(&shown.as_str()),
            "{key}: {shown}"
        );
        if shown == "Chưa được tính" {
            let steps = text_of(&c, &format!("steps-{key}")).await;
            assert!(!steps.trim().is_empty(), "{key} on {today}: no next step");
        }
    }
    shot(&c, "12-chu-the-cua-toi").await;

    c.close().await.unwrap();
}

/// Picks an option of a `<select>` by its value.
async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// Opens a folded form of `/me`.
async fn open_form(c: &Client, form: &str) {
    c.find(Locator::Css(&format!("#form-{form} summary")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Whether the page is wider than its window: a phone would scroll it sideways.
async fn scrolls_sideways(c: &Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth > window.innerWidth + 1;",
        vec![],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

/// Signs in with a one-time password and chooses one's own password.
async fn first_sign_in(c: &Client, base: &str, path: &str, username: &str, otp: &str, new: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    assert!(path_of(c).await.starts_with("/login"));
    fill(c, "#username", username).await;
    fill(c, "#password", otp).await;
    click(c, "#sign-in").await;
    fill(c, "#current", otp).await;
    fill(c, "#new", new).await;
    fill(c, "#repeat", new).await;
    click(c, "#save-password").await;
}

#[rocket::async_test]
async fn an_owner_submits_its_scan_connects_its_shop_and_counts_once_the_auditor_verifies() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let shopee = crate::fakes::FakeShopee::start(3).await;
    let shopee_url = shopee.server.uri();
    let app = crate::helpers::TestApp::spawn_with(move |cfg| {
        cfg.marketplaces.shopee.base_url = shopee_url;
        cfg.marketplaces.shopee.partner_id = Some("2001887".to_owned());
        cfg.marketplaces.shopee.partner_key =
            Some("57615053704d6470644f554a78656d50484143644964436a5568777544524579".to_owned());
    })
    .await;
    let admin = app.admin().await;
    // A cooperative of today's Phường Bàn Thạch (Đà Nẵng) with a product recognised last month
    // and its own land: it lacks a verified green certificate and a proven modern channel.
    let today = ocop_registry::clock::today();
    let vn = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    let ban_thach = unit("commune", "20335", Some("2025-07-01"));
    let s = app
        .post(
            "/api/v1/subjects",
            Some(&admin),
            &crate::helpers::subject_body("HTX Nông sản Bàn Thạch", &ban_thach.to_string()),
        )
        .await
        .body;
    let sid = s["id"].as_str().unwrap().to_owned();
    let p = app.seed_product(&admin, &s, "Rau an toàn Bàn Thạch").await;
    app.seed_recognition(
        &admin,
        &p,
        "QĐ-45",
        &(today - chrono::Days::new(30)).to_string(),
        3,
    )
    .await;
    let res = app
        .post(
            &format!("/api/v1/subjects/{sid}/areas"),
            Some(&admin),
            &json!({"name": "Ruộng rau Bàn Thạch", "commune_id": ban_thach, "material": "Rau",
                    "area_ha": "3.2", "tenure": "own"}),
        )
        .await;
    assert_eq!(res.status.code, 201, "{:?}", res.body);
    let da_nang = unit("province", "48", Some("2025-07-01"));
    let auditor_otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.danang", "role": "auditor", "unit_id": da_nang,
               "display_name": "Võ Văn Kiểm"}),
    )
    .await;
    let base = app.serve().await;

    // The auditor of Đà Nẵng gives the cooperative its account from the accounts page; the
    // one-time password is shown once, to hand over.
    first_sign_in(
        &c,
        &base,
        "/accounts",
        "kiemtra.danang",
        &auditor_otp,
        "kiểm tra Đà Nẵng 2025",
    )
    .await;
    c.goto(&format!("{base}/accounts")).await.unwrap();
    fill(&c, "#username", "htx.banthach").await;
    fill(&c, "#display_name", "Phan Thị Rau").await;
    choose(&c, "#role", "owner").await;
    choose(&c, "#subject_id", &sid).await;
    click(&c, "#create-account").await;
    let owner_otp = text_of(&c, "one-time-password").await;
    assert!(owner_otp.len() >= 12, "{owner_otp}");
    shot(&c, "19b-tao-tai-khoan").await;
    click(&c, "#sign-out").await;

    // The owner signs in and reads what it lacks.
    first_sign_in(
        &c,
        &base,
        "/me",
        "htx.banthach",
        &owner_otp,
        "rau sạch Bàn Thạch 2025",
    )
    .await;
    assert_eq!(path_of(&c).await, "/me");
    assert_eq!(text_of(&c, "status-value_chain").await, "Chưa được tính");
    assert_eq!(text_of(&c, "status-modern_channel").await, "Chưa được tính");
    assert!(
        text_of(&c, "steps-value_chain")
            .await
            .contains("Nộp chứng nhận xanh")
    );
    shot(&c, "20-chu-the-chua-duoc-tinh").await;

    // Submits its VietGAP certificate with the scanned PDF — no id, no hash typed.
    let scan = std::env::temp_dir().join(format!("giay-chung-nhan-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&scan, crate::documents::scanned_pdf("VG-BT-01")).unwrap();
    open_form(&c, "certification").await;
    choose(&c, "#certification-scheme", "vietgap").await;
    fill(&c, "#certification-certificate_no", "VG-BT-01").await;
    fill(
        &c,
        "#certification-issuer",
        "Trung tâm Chứng nhận Phù hợp QUACERT",
    )
    .await;
    fill(
        &c,
        "#certification-issued_on",
        &vn(today - chrono::Days::new(20)),
    )
    .await;
    fill(
        &c,
        "#certification-expires_on",
        &vn(today + chrono::Days::new(700)),
    )
    .await;
    c.find(Locator::Css("#certification-evidence_document_id"))
        .await
        .unwrap()
        .send_keys(&scan.display().to_string())
        .await
        .unwrap();
    shot(&c, "21-nop-chung-nhan").await;
    click(&c, "#certification-submit").await;
    assert_eq!(
        text_of(&c, "done").await,
        "Đã nộp chứng nhận: cán bộ Sở sẽ thẩm định."
    );
    std::fs::remove_file(&scan).ok();

    // Declares its Shopee shop, then connects it through Shopee's consent page.
    open_form(&c, "channel").await;
    choose(&c, "#channel-kind", "marketplace").await;
    fill(&c, "#channel-platform", "Shopee").await;
    fill(&c, "#channel-shop_url", "https://shopee.vn/htx.banthach").await;
    fill(
        &c,
        "#channel-active_from",
        &vn(today - chrono::Days::new(60)),
    )
    .await;
    click(&c, "#channel-submit").await;
    assert_eq!(text_of(&c, "done").await, "Đã khai báo kênh bán hàng.");
    click(&c, "#channels button[id^=connect-]").await;
    // The registry first says which subject the shop will be attached to.
    assert!(
        text_of(&c, "connect-subject")
            .await
            .contains("HTX Nông sản Bàn Thạch"),
    );
    shot(&c, "21b-xac-nhan-ket-noi").await;
    click(&c, "#connect-go").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&shopee.server.uri()),
        "on Shopee's consent page"
    );
    shot(&c, "22-trang-dong-y-shopee").await;
    click(&c, "#authorize").await;
    assert_eq!(path_of(&c).await, "/me?connected=true");
    assert!(
        text_of(&c, "done")
            .await
            .starts_with("Đã kết nối gian hàng")
    );
    assert!(text_of(&c, "channels").await.contains("đã kết nối qua sàn"));
    // The listings arrived: the shop now proves the modern channel.
    assert_eq!(text_of(&c, "status-modern_channel").await, "Được tính");
    assert_eq!(text_of(&c, "status-value_chain").await, "Chưa được tính");
    shot(&c, "23-da-ket-noi-gian-hang").await;
    click(&c, "#sign-out").await;

    // The auditor opens the scan from the queue and verifies the certificate.
    c.goto(&format!("{base}/queue")).await.unwrap();
    fill(&c, "#username", "kiemtra.danang").await;
    fill(&c, "#password", "kiểm tra Đà Nẵng 2025").await;
    click(&c, "#sign-in").await;
    assert_eq!(path_of(&c).await, "/queue");
    let queue = text_of(&c, "queue").await;
    assert!(queue.contains("VG-BT-01"), "{queue}");
    let scan_link = c
        .find(Locator::Css("#queue a.evidence"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(scan_link.starts_with("/documents/"), "{scan_link}");
    fill(&c, "#queue input[name=reason]", "Đã đối chiếu bản gốc").await;
    fill(&c, "#queue input[name=effective_on]", &vn(today)).await;
    click(&c, "#queue button.verify").await;
    assert!(text_of(&c, "done").await.starts_with("Đã ghi nhận"));
    // …and the field the owner registered, from the queue's areas tab (policy version 3
    // counts an area only once verified).
    click(&c, "#tab-areas").await;
    let queue = text_of(&c, "queue").await;
    assert!(queue.contains("Ruộng rau Bàn Thạch"), "{queue}");
    fill(&c, "#queue input[name=reason]", "Đã kiểm tra thực địa").await;
    fill(&c, "#queue input[name=effective_on]", &vn(today)).await;
    click(&c, "#queue button.verify").await;
    assert!(text_of(&c, "done").await.starts_with("Đã ghi nhận"));
    shot(&c, "23b-vung-nguyen-lieu-da-xac-nhan").await;

    // Both targets now count for the subject, and the dashboard shows the API's numbers.
    let explained = app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={da_nang}&as_of={today}&per_page=500"),
            Some(&admin),
        )
        .await;
    let mine = explained.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"]["id"] == sid || e["subject_id"] == sid)
        .unwrap_or_else(|| panic!("{:?}", explained.body))
        .clone();
    assert_eq!(mine["value_chain"]["counts"], true, "{mine}");
    assert_eq!(mine["modern_channel"]["counts"], true, "{mine}");
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    let report = app
        .get(
            &format!("/api/v1/indicators?unit_id={da_nang}&as_of={today}"),
            Some(&admin),
        )
        .await
        .body;
    for i in report["indicators"].as_array().unwrap() {
        assert_eq!(i["numerator"], 1, "{}: {i}", i["key"]);
    }
    same_figures(&table(&c).await, &report);
    shot(&c, "24-bang-dieu-khien-da-nang").await;

    // The owner, back on its page, sees its subject count for both targets.
    click(&c, "#sign-out").await;
    c.goto(&format!("{base}/me")).await.unwrap();
    fill(&c, "#username", "htx.banthach").await;
    fill(&c, "#password", "rau sạch Bàn Thạch 2025").await;
    click(&c, "#sign-in").await;
    assert_eq!(path_of(&c).await, "/me");
    assert_eq!(text_of(&c, "status-value_chain").await, "Được tính");
    assert_eq!(text_of(&c, "status-modern_channel").await, "Được tính");
    shot(&c, "25-chu-the-duoc-tinh").await;
    c.close().await.unwrap();
}

#[rocket::async_test]
async fn an_administrator_manages_accounts_and_an_owner_lands_home_on_a_phone() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà Quế").await;
    let sid = s["id"].as_str().unwrap().to_owned();
    let p = app.seed_product(&admin, &s, "Trà Quế túi lọc").await;
    app.seed_recognition(&admin, &p, "QĐ-12", "2024-05-10", 4)
        .await;
    let admin_otp = account(
        &app,
        &admin,
        json!({"username": "quantri.so", "role": "admin", "display_name": "Đỗ Quản Trị"}),
    )
    .await;
    let base = app.serve().await;

    // The administrator creates an auditor of Đà Nẵng; its one-time password is shown once.
    first_sign_in(
        &c,
        &base,
        "/accounts",
        "quantri.so",
        &admin_otp,
        "quản trị Sở 2025 an toàn",
    )
    .await;
    assert_eq!(path_of(&c).await, "/accounts");
    let da_nang = unit("province", "48", Some("2025-07-01")).to_string();
    fill(&c, "#username", "kiemtra.moi").await;
    fill(&c, "#display_name", "Hồ Thị Kiểm").await;
    choose(&c, "#role", "auditor").await;
    choose(&c, "#unit_id", &da_nang).await;
    click(&c, "#create-account").await;
    assert!(text_of(&c, "one-time-password").await.len() >= 12);
    // An owner's account without its subject is refused, and the form keeps what was typed.
    fill(&c, "#username", "chu.traque").await;
    fill(&c, "#display_name", "Ngô Văn Quế").await;
    choose(&c, "#role", "owner").await;
    click(&c, "#create-account").await;
    assert!(!text_of(&c, "form-error").await.is_empty());
    let kept = c
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(kept, "chu.traque");
    choose(&c, "#subject_id", &sid).await;
    click(&c, "#create-account").await;
    let first_otp = text_of(&c, "one-time-password").await;
    assert!(first_otp.len() >= 12, "{first_otp}");
    shot(&c, "26-quan-tri-tao-tai-khoan").await;
    // Disable the auditor (its sessions end), enable it again, and give the owner a new
    // one-time password (the first one lost).
    click(&c, "#disable-kiemtra\\.moi").await;
    assert!(text_of(&c, "done").await.starts_with("Đã khóa tài khoản"));
    assert!(text_of(&c, "account-kiemtra.moi").await.contains("Đã khóa"));
    click(&c, "#enable-kiemtra\\.moi").await;
    assert_eq!(text_of(&c, "done").await, "Đã mở khóa tài khoản.");
    click(&c, "#reset-chu\\.traque").await;
    let owner_otp = text_of(&c, "one-time-password").await;
    assert_ne!(owner_otp, first_otp);
    shot(&c, "27-quan-tri-cap-lai-mat-khau").await;
    click(&c, "#sign-out").await;

    // The owner, on a 360 px phone, signs in from the bare sign-in page twice and lands on its
    // own page both times, which never scrolls sideways.
    c.set_window_size(360, 740).await.unwrap();
    first_sign_in(
        &c,
        &base,
        "/login",
        "chu.traque",
        &owner_otp,
        "trà quế Trà Linh 2025",
    )
    .await;
    assert_eq!(path_of(&c).await, "/me");
    assert!(
        !scrolls_sideways(&c).await,
        "/me scrolls sideways at 360 px"
    );
    shot(&c, "28-chu-the-tren-dien-thoai").await;
    click(&c, "#sign-out").await;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "#username", "chu.traque").await;
    fill(&c, "#password", "trà quế Trà Linh 2025").await;
    click(&c, "#sign-in").await;
    assert_eq!(path_of(&c).await, "/me");
    assert_eq!(text_of(&c, "subject-name").await, "HTX Trà Quế");
    // The public pages a buyer opens on the same phone.
    for path in ["/".to_owned(), format!("/p/{}", p["id"].as_str().unwrap())] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        assert!(
            !scrolls_sideways(&c).await,
            "{path} scrolls sideways at 360 px"
        );
    }
    shot(&c, "29-trang-san-pham-dien-thoai").await;
    c.close().await.unwrap();
}

/// The areas of a subject on a map, with no tile server: the polygons drawn (SVG paths), the
/// view fitted to them, a scale bar and a graticule; each area coloured by its status.
/// What the page's map of areas drew, once its scripts ran (`null` if they never did): each
/// area's path and whether it lies inside the map's box, the scale bar, the zoom buttons, the
/// graticule, the tiles.
async fn map_drawn(c: &Client) -> Value {
    for _ in 0..50 {
        let drawn = c
            .execute(
                r#"const map = document.querySelector('#map-areas');
                   if (!map || map.dataset.ready !== 'true') { return null; }
                   const box = map.querySelector('.map-canvas').getBoundingClientRect();
                   const areas = [...map.querySelectorAll('path.area')].map(p => {
                     const r = p.getBoundingClientRect();
                     return {d: p.getAttribute('d').length, inside: r.left >= box.left && r.right <= box.right
                       && r.top >= box.top && r.bottom <= box.bottom, wide: r.width > 50,
                       status: p.classList.contains('submitted')};
                   });
                   return {areas, scale: !!map.querySelector('.leaflet-control-scale-line'),
                     zoom: [...map.querySelectorAll('.leaflet-control-zoom a')].map(a => a.title),
                     graticule: map.querySelectorAll('path.graticule').length,
                     tiles: map.querySelectorAll('img.leaflet-tile').length};"#,
                vec![],
            )
            .await
            .unwrap();
        if !drawn.is_null() {
            return drawn;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Value::Null
}

#[rocket::async_test]
async fn an_auditor_sees_a_subjects_areas_on_a_map_without_a_tile_server() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Bản Đồ").await;
    let path = format!("/api/v1/subjects/{}/areas", crate::helpers::id_of(&s));
    for (name, ha, lon) in [("Vùng quế", "119", 108.40), ("Vùng chè", "118", 108.43)] {
        let mut area = crate::areas::area_body(name, ha);
        area["geometry"] = json!({"type": "Polygon", "coordinates": [[
            [lon, 15.5], [lon + 0.01, 15.5], [lon + 0.01, 15.51], [lon, 15.51], [lon, 15.5]
        ]]});
        let res = app.post(&path, Some(&admin), &area).await;
        assert_eq!(res.status, rocket::http::Status::Created, "{:?}", res.body);
    }
    // A small area of another producer of Tam Kỳ, far from these two: on the unit's map it is
    // under a pixel, so a dot marks it.
    let far = app.seed_subject(&admin, "20335", "HTX Xa").await;
    let mut small = crate::areas::area_body("Vùng nhỏ", "0.19");
    small["geometry"] = json!({"type": "Polygon", "coordinates": [[
        [108.3, 15.55], [108.3004, 15.55], [108.3004, 15.5504], [108.3, 15.5504], [108.3, 15.55]
    ]]});
    let res = app
        .post(
            &format!("/api/v1/subjects/{}/areas", crate::helpers::id_of(&far)),
            Some(&admin),
            &small,
        )
        .await;
    assert_eq!(res.status, rocket::http::Status::Created, "{:?}", res.body);
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.bando", "role": "auditor",
               "unit_id": unit("province", "49", None), "display_name": "Trần Bản Đồ"}),
    )
    .await;
    let base = app.serve().await;
    c.goto(&format!("{base}/subjects/{}", crate::helpers::id_of(&s)))
        .await
        .unwrap();
    fill(&c, "#username", "kiemtra.bando").await;
    fill(&c, "#password", &otp).await;
    click(&c, "#sign-in").await;
    fill(&c, "#current", &otp).await;
    fill(&c, "#new", "mật khẩu bản đồ 2025").await;
    fill(&c, "#repeat", "mật khẩu bản đồ 2025").await;
    click(&c, "#save-password").await;
    assert!(
        path_of(&c).await.starts_with("/subjects/"),
        "{}",
        path_of(&c).await
    );
    // Drawn once the scripts ran: two areas inside the map's box, a scale bar, a graticule.
    let drawn = map_drawn(&c).await;
    c.execute(
        "document.querySelector('#map-areas').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "20-ban-do-vung-nguyen-lieu").await;
    let areas = drawn["areas"].as_array().expect("the map drew");
    assert_eq!(areas.len(), 2, "{drawn}");
    for a in areas {
        assert!(a["d"].as_u64().unwrap() > 10, "{drawn}");
        assert_eq!(
            (&a["inside"], &a["wide"], &a["status"]),
            (&json!(true), &json!(true), &json!(true)),
            "fitted to the polygons, coloured as submitted: {drawn}"
        );
    }
    assert_eq!(drawn["scale"], true, "{drawn}");
    assert_eq!(drawn["zoom"], json!(["Phóng to", "Thu nhỏ"]), "{drawn}");
    assert!(drawn["graticule"].as_u64().unwrap() >= 2, "{drawn}");
    assert_eq!(drawn["tiles"], 0, "no tile server: {drawn}");

    // The unit's map, from the dashboard: both areas of Tam Kỳ on the day, fitted.
    c.goto(&format!("{base}/dashboard?unit=502&date=30/06/2025"))
        .await
        .unwrap();
    click(&c, "#unit-map").await;
    let mut unit_map = Value::Null;
    for _ in 0..50 {
        unit_map = c
            .execute(
                r#"const map = document.querySelector('#map-unit');
                   if (!map || map.dataset.ready !== 'true') { return null; }
                   const box = map.querySelector('.map-canvas').getBoundingClientRect();
                   const drawn = [...map.querySelectorAll('path.area')].filter(p => {
                     const r = p.getBoundingClientRect();
                     return r.left >= box.left && r.right <= box.right && r.width > 20;
                   }).length;
                   const dots = [...map.querySelectorAll('path.area-dot')].filter(p => {
                     const r = p.getBoundingClientRect();
                     return r.left >= box.left && r.right <= box.right && r.width >= 10;
                   }).length;
                   return {drawn, dots};"#,
                vec![],
            )
            .await
            .unwrap();
        if !unit_map.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    shot(&c, "22-ban-do-don-vi").await;
    assert_eq!(
        unit_map,
        json!({"drawn": 2, "dots": 1}),
        "{}",
        path_of(&c).await
    );
    assert!(
        text_of(&c, "map-figures")
            .await
            .contains("3 vùng có ranh giới"),
        "{}",
        text_of(&c, "map-figures").await
    );

    // The owner sees its own areas on its home page, drawn the same way.
    let otp = account(
        &app,
        &admin,
        json!({"username": "htx.bando", "role": "owner", "subject_id": s["id"],
               "display_name": "Chủ HTX Bản Đồ"}),
    )
    .await;
    click(&c, "#sign-out").await;
    first_sign_in(&c, &base, "/me", "htx.bando", &otp, "mật khẩu chủ thể 2025").await;
    assert_eq!(path_of(&c).await, "/me");
    let mine = map_drawn(&c).await;
    c.execute(
        "document.querySelector('#map-areas').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    shot(&c, "21-ban-do-cua-chu-the").await;
    let areas = mine["areas"].as_array().expect("the owner's map drew");
    assert_eq!(areas.len(), 2, "{mine}");
    for a in areas {
        assert_eq!(
            (&a["inside"], &a["wide"]),
            (&json!(true), &json!(true)),
            "{mine}"
        );
    }
    assert_eq!(mine["tiles"], 0, "{mine}");
}

#[rocket::async_test]
async fn a_buyer_on_a_phone_finds_a_product_where_to_buy_its_label_and_reports_a_problem() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.admin().await;
    let days_ago = crate::public::days_ago;
    // A Quảng Nam producer with a verified Shopee shop, and a namesake product in Hà Nội.
    let s = app
        .seed_subject(&admin, "20335", "HTX Trà Sâm Tam Kỳ")
        .await;
    let p = app.seed_product(&admin, &s, "Trà sâm Ngọc Linh").await;
    app.seed_recognition(&admin, &p, "15/QĐ-UBND", &days_ago(30), 4)
        .await;
    crate::public::verified_shop(&app, &admin, &s, crate::channels::shop_body()).await;
    let far = app.seed_subject(&admin, "00004", "HTX Hà Nội").await;
    let other = app.seed_product(&admin, &far, "Trà sâm Hà Nội").await;
    app.seed_recognition(&admin, &other, "16/QĐ-UBND", &days_ago(30), 3)
        .await;
    let quang_nam = app
        .get("/api/v1/units?level=province&code=49", Some(&admin))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.tamky", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Phạm Thu"}),
    )
    .await;
    let base = app.serve().await;

    // Without accents, narrowed to Quảng Nam.
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&format!("{base}/")).await.unwrap();
    fill(&c, "#q", "tra sam").await;
    choose(&c, "#province", &quang_nam).await;
    click(&c, "#search").await;
    let results = text_of(&c, "results").await;
    assert!(results.contains("Trà sâm Ngọc Linh"), "{results}");
    assert!(!results.contains("Hà Nội"), "{results}");
    assert!(
        !scrolls_sideways(&c).await,
        "the search scrolls sideways at 360 px"
    );
    shot(&c, "40-tra-cuu-tinh").await;

    // The product: where it comes from, who recognised it, where to buy it.
    click(&c, "#results a").await;
    let page_url = c.current_url().await.unwrap().to_string();
    assert!(text_of(&c, "commune").await.contains("Tỉnh Quảng Nam"));
    assert_eq!(text_of(&c, "authority").await, "UBND tỉnh Quảng Nam");
    let shops = text_of(&c, "where-to-buy").await;
    assert!(
        shops.contains("Shopee") && shops.contains("shopee.vn/htx.tra.sam"),
        "{shops}"
    );
    assert!(
        !scrolls_sideways(&c).await,
        "the product page scrolls sideways at 360 px"
    );
    shot(&c, "41-san-pham-noi-mua").await;

    // Its label, opened as the browser shows it and zoomed as a person would, scans back to
    // the page.
    choose(&c, "#label-size", "50").await;
    click(&c, "#label-svg").await;
    assert!(path_of(&c).await.contains("/label.svg?size=50"));
    c.execute(
        "document.documentElement.setAttribute('width', '340');\
         document.documentElement.setAttribute('height', '340');",
        vec![],
    )
    .await
    .unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join("42-nhan-in.png"), &png).unwrap();
    assert_eq!(decode_qr(&png), page_url);

    // A problem reported from the product's page.
    c.goto(&page_url).await.unwrap();
    click(&c, "#report-link").await;
    c.find(Locator::Css("#kind-fake_label"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(
        &c,
        "#report-text",
        "Tem OCOP in mờ, không quét được, bán ở chợ Tam Kỳ.",
    )
    .await;
    fill(&c, "#report-contact", "0905 123 456").await;
    // A person takes a few seconds; the form refuses a faster one.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    click(&c, "#report-submit").await;
    assert!(text_of(&c, "report-done").await.contains("Cảm ơn"));
    assert!(
        !scrolls_sideways(&c).await,
        "the report form scrolls sideways at 360 px"
    );
    shot(&c, "43-phan-anh").await;

    // Tam Kỳ's auditor answers it in the queue, publishes the answer and closes it.
    c.set_window_size(1280, 900).await.unwrap();
    first_sign_in(
        &c,
        &base,
        "/queue?tab=feedback",
        "kiemtra.tamky",
        &otp,
        "mật khẩu Thu 2026",
    )
    .await;
    assert!(text_of(&c, "tab-feedback").await.contains("(1)"));
    let report = app.get("/api/v1/problem-reports", Some(&admin)).await;
    let id = report.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        text_of(&c, &format!("item-{id}"))
            .await
            .contains("0905 123 456")
    );
    fill(
        &c,
        &format!("#reason-{id}"),
        "Sở đã xác minh: tem giả, đã báo quản lý thị trường.",
    )
    .await;
    c.find(Locator::Css(&format!("#publish-{id}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shot(&c, "44-hang-doi-phan-anh").await;
    click(&c, &format!("#item-{id} button[value=answer]")).await;
    assert!(text_of(&c, "done").await.contains("Đã trả lời"));
    fill(&c, &format!("#reason-{id}"), "Đã xử lý xong.").await;
    click(&c, &format!("#item-{id} button[value=close]")).await;
    assert!(text_of(&c, "tab-feedback").await.contains("(0)"));

    // The public sees the department's answer, never the report or its sender.
    c.goto(&page_url).await.unwrap();
    let answers = text_of(&c, "answers").await;
    assert!(answers.contains("tem giả"), "{answers}");
    let source = c.source().await.unwrap();
    assert!(!source.contains("0905 123 456") && !source.contains("in mờ"));
    c.close().await.unwrap();
}

/// Whether the image matched by `css` has loaded (a broken picture has no natural width).
async fn image_loaded(c: &Client, css: &str) -> bool {
    for _ in 0..100 {
        let loaded = c
            .execute(
                "const i = document.querySelector(arguments[0]);\
                 return !!i && i.complete && i.naturalWidth > 0;",
                vec![json!(css)],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        if loaded {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[rocket::async_test]
async fn an_owner_uploads_a_photo_the_auditor_approves_it_and_the_buyer_sees_it() {
    let Some((_driver, c)) = start().await else {
        return;
    };
    let app = crate::helpers::TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Nấm Tam Kỳ").await;
    let p = app.seed_product(&admin, &s, "Nấm linh chi Tam Kỳ").await;
    app.seed_recognition(&admin, &p, "21/QĐ-UBND", &crate::public::days_ago(30), 4)
        .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let owner_otp = account(
        &app,
        &admin,
        json!({"username": "htx.nam", "role": "owner", "subject_id": s["id"],
               "display_name": "Lê Thị Nấm"}),
    )
    .await;
    let auditor_otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra.nam", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Trần Duyệt"}),
    )
    .await;
    // A photo as a phone takes it: 1600 × 1200, with the EXIF a phone writes.
    let photo = std::env::temp_dir().join(format!("ocop-photo-{}.jpg", uuid::Uuid::new_v4()));
    std::fs::write(&photo, crate::photos::phone_jpeg_sized(1600, 1200)).unwrap();
    let base = app.serve().await;

    // The owner, on a laptop, from its page to the product's photos.
    c.set_window_size(1366, 900).await.unwrap();
    first_sign_in(&c, &base, "/me", "htx.nam", &owner_otp, "nấm linh chi 2026").await;
    assert_eq!(path_of(&c).await, "/me");
    click(&c, &format!("#photos-{pid}")).await;
    assert!(text_of(&c, "photos-none").await.len() > 1);
    c.find(Locator::Css("#photo-file"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "#photo-upload").await;
    std::fs::remove_file(&photo).ok();
    assert!(text_of(&c, "done").await.contains("48 giờ"));
    let waiting = app
        .get("/api/v1/product-photos?status=waiting", Some(&admin))
        .await
        .body;
    let photo_id = waiting["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(
        text_of(&c, &format!("photo-{photo_id}"))
            .await
            .contains("Chờ")
    );
    assert!(image_loaded(&c, &format!("#photo-{photo_id} img")).await);
    shot(&c, "45-anh-san-pham-1366").await;
    c.set_window_size(360, 800).await.unwrap();
    assert!(
        !scrolls_sideways(&c).await,
        "the photos page scrolls sideways at 360 px"
    );
    shot(&c, "45-anh-san-pham-360").await;

    // Not public while it waits for review.
    let page = format!("{base}/p/{pid}");
    c.goto(&page).await.unwrap();
    assert!(text_of(&c, "commune").await.contains("Quảng Nam"));
    assert!(c.find(Locator::Id("product-photo")).await.is_err());
    c.delete_all_cookies().await.unwrap();

    // Tam Kỳ's auditor sees the photo in the queue and approves it.
    c.set_window_size(1366, 900).await.unwrap();
    first_sign_in(
        &c,
        &base,
        "/queue?tab=photos",
        "kiemtra.nam",
        &auditor_otp,
        "duyệt ảnh Tam Kỳ 2026",
    )
    .await;
    assert!(text_of(&c, "tab-photos").await.contains("(1)"));
    let item = format!("#item-{photo_id}");
    assert!(image_loaded(&c, &format!("{item} img")).await);
    shot(&c, "46-hang-doi-anh").await;
    click(&c, &format!("{item} button[value=approve]")).await;
    assert!(text_of(&c, "tab-photos").await.contains("(0)"));

    // The buyer's phone shows it, sized for the phone.
    c.delete_all_cookies().await.unwrap();
    c.set_window_size(360, 800).await.unwrap();
    c.goto(&page).await.unwrap();
    assert!(image_loaded(&c, "#product-photo").await);
    let shown = c
        .execute(
            "const i = document.getElementById('product-photo');\
             return [i.currentSrc, i.getBoundingClientRect().width];",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        shown[0]
            .as_str()
            .unwrap()
            .contains(&format!("/photos/{photo_id}/")),
        "{shown}"
    );
    assert!(shown[1].as_f64().unwrap() <= 360.0, "{shown}");
    assert!(
        !scrolls_sideways(&c).await,
        "the product page with its photo scrolls sideways at 360 px"
    );
    shot(&c, "47-san-pham-co-anh-360").await;
    c.close().await.unwrap();
}

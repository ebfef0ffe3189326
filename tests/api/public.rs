//! The public's product page and search (issue 34): where a product comes from, where to buy
//! it, search ranked and filtered, and answers made for caches.

use rocket::http::{Header, Status};
use serde_json::{Value, json};

use crate::channels::{filed, shop_body};
use crate::helpers::{TestApp, id_of};
use crate::pages::page;

/// A day `days` before the registry's today, as the API writes it.
pub fn days_ago(days: u64) -> String {
    ocop_registry::clock::today()
        .checked_sub_days(chrono::Days::new(days))
        .unwrap()
        .to_string()
}

/// Renames a product as the department does.
async fn rename(app: &TestApp, admin: &str, product: &Value, name: &str) {
    let path = format!("/api/v1/products/{}", id_of(product));
    let current = app.get(&path, Some(admin)).await;
    let res = app
        .patch(
            &path,
            Some(admin),
            &json!({"name": name}),
            current.etag.as_deref(),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
}

/// A channel of `subject` the department files and verifies today.
pub async fn verified_shop(app: &TestApp, admin: &str, subject: &Value, body: Value) -> Value {
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(subject)),
            Some(admin),
            &filed(body, "2024-01-01"),
        )
        .await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let v = app
        .post(
            &format!("/api/v1/channels/{}/verify", id_of(&ch.body)),
            Some(admin),
            &json!({"verified_on": days_ago(0)}),
        )
        .await;
    assert_eq!(v.status, Status::Ok, "{:?}", v.body);
    v.body
}

#[rocket::async_test]
async fn the_product_page_names_the_province_the_authority_and_where_to_buy() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà Sâm").await;
    let p = app.seed_product(&admin, &s, "Trà sâm túi lọc").await;
    app.seed_recognition(&admin, &p, "123/QĐ-UBND", &days_ago(400), 4)
        .await;
    verified_shop(&app, &admin, &s, shop_body()).await;
    verified_shop(
        &app,
        &admin,
        &s,
        json!({"kind": "supermarket_chain", "platform": "Co.opmart", "active_from": "2024-01-01"}),
    )
    .await;
    // Declared by its owner and never verified nor seen live: not a place to send a buyer.
    let declared = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &filed(
                json!({"kind": "marketplace", "platform": "Lazada",
                       "shop_url": "https://www.lazada.vn/shop/chua-xac-nhan", "active_from": "2024-01-01"}),
                "2024-01-01",
            ),
        )
        .await;
    assert_eq!(declared.status, Status::Created, "{:?}", declared.body);

    let api = app
        .get(&format!("/api/v1/public/products/{}", id_of(&p)), None)
        .await;
    assert_eq!(api.status, Status::Ok, "{:?}", api.body);
    let b = &api.body;
    assert_eq!(b["authority"], "UBND tỉnh Quảng Nam");
    assert_eq!(b["commune"]["code"], "20335");
    assert_eq!(
        b["province"]["code"], "49",
        "Tân Thạnh was recorded in Quảng Nam"
    );
    // After the 2025 reform: Phường Bàn Thạch, in the city of Đà Nẵng.
    let today = &b["commune_today"][0];
    assert_eq!(today["province"]["name"], "Thành phố Đà Nẵng", "{b}");
    let shops = b["where_to_buy"].as_array().unwrap();
    let platforms: Vec<&str> = shops
        .iter()
        .map(|s| s["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["shopee", "Co.opmart"], "{b}");
    assert_eq!(shops[0]["shop_url"], "https://shopee.vn/htx.tra.sam");
    assert_eq!(shops[0]["evidenced_by"], "verified");
    for private in ["tax_code", "phone", "representative", "address"] {
        assert!(b.get(private).is_none(), "{private}");
    }

    let res = page(&app.client, &format!("/p/{}", id_of(&p))).await;
    assert_eq!(res.status, Status::Ok);
    let body = &res.body;
    assert!(body.contains("Phường Tân Thạnh, Tỉnh Quảng Nam"), "{body}");
    // A shared link says the rating stands.
    assert!(
        body.contains("og:description\" content=\"4 sao · Còn hiệu lực đến"),
        "{body}"
    );
    assert!(body.contains("Thành phố Đà Nẵng"), "{body}");
    assert!(body.contains("UBND tỉnh Quảng Nam"));
    assert!(body.contains("Nơi mua"));
    assert!(
        body.contains("href=\"https://shopee.vn/htx.tra.sam\""),
        "{body}"
    );
    assert!(body.contains("Co.opmart"));
    assert!(
        !body.contains("chua-xac-nhan"),
        "a declared shop is not shown"
    );
    // A card for a shared link and a Product for search engines, which cannot end its script.
    assert!(
        body.contains("<meta property=\"og:title\" content=\"Trà sâm túi lọc\">"),
        "{body}"
    );
    let ld = body
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|r| r.split("</script>").next())
        .expect("JSON-LD");
    let ld: Value = serde_json::from_str(ld).unwrap();
    assert_eq!(ld["@type"], "Product");
    assert_eq!(ld["brand"]["name"], "HTX Trà Sâm");
    assert!(ld["award"].as_str().unwrap().contains("4 sao"), "{ld}");

    // What the page shows changed: so did its validator.
    let path = format!("/p/{}", id_of(&p));
    let before = app.client.get(path.clone()).dispatch().await;
    let etag = before.headers().get_one("ETag").unwrap().to_owned();
    rename(&app, &admin, &p, "Trà sâm túi lọc Ngọc Linh").await;
    let after = app
        .client
        .get(path)
        .header(Header::new("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(after.status(), Status::Ok);
    assert_ne!(after.headers().get_one("ETag"), Some(etag.as_str()));
}

#[rocket::async_test]
async fn the_search_ranks_product_names_first_and_filters_by_province_stars_and_validity() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Its producer's name holds "Trà sâm"; the product's does not.
    let s1 = app.seed_subject(&admin, "20335", "HTX Trà Sâm Hữu").await;
    let by_producer = app.seed_product(&admin, &s1, "Bánh tráng nướng").await;
    app.seed_recognition(&admin, &by_producer, "1/QĐ", &days_ago(30), 3)
        .await;
    // Elsewhere (Hà Nội), with a name that matches.
    let s2 = app.seed_subject(&admin, "00004", "Công ty Hà Thành").await;
    let by_name = app.seed_product(&admin, &s2, "Trà sâm Hà Thành").await;
    app.seed_recognition(&admin, &by_name, "2/QĐ", &days_ago(30), 4)
        .await;
    // Expired long ago (three years of validity).
    let old = app.seed_product(&admin, &s1, "Trà sâm cũ").await;
    app.seed_recognition(&admin, &old, "3/QĐ", "2019-01-01", 5)
        .await;

    let names = |res: &crate::helpers::Resp| -> Vec<String> {
        res.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/api/v1/public/products?q=tra+sam", None).await;
    assert_eq!(
        names(&all),
        ["Trà sâm cũ", "Trà sâm Hà Thành", "Bánh tráng nướng"],
        "name matches first, then the producer's"
    );
    let valid = app
        .get("/api/v1/public/products?q=tra+sam&valid=true", None)
        .await;
    assert_eq!(names(&valid), ["Trà sâm Hà Thành", "Bánh tráng nướng"]);
    let four = app
        .get("/api/v1/public/products?q=tra+sam&stars=4", None)
        .await;
    assert_eq!(names(&four), ["Trà sâm Hà Thành"]);
    let bad = app.get("/api/v1/public/products?stars=7", None).await;
    assert_eq!(bad.status, Status::BadRequest, "{:?}", bad.body);
    assert_eq!(bad.error_fields(), ["stars"]);

    // Province filter on the page: former Quảng Nam, and today's Đà Nẵng that took it in.
    let units = app
        .get("/api/v1/units?level=province&code=49", Some(&admin))
        .await;
    let quang_nam = id_of(&units.body["items"][0]);
    let res = page(
        &app.client,
        &format!("/?q=tra+sam&province={quang_nam}&valid=1"),
    )
    .await;
    assert_eq!(res.status, Status::Ok, "{}", res.body);
    assert!(res.body.contains("Bánh tráng nướng"), "{}", res.body);
    assert!(!res.body.contains("Trà sâm Hà Thành"));
    assert!(!res.body.contains("Trà sâm cũ"), "no longer valid");
    assert!(
        res.body.contains("Trước sắp xếp năm 2025"),
        "former provinces"
    );
    // A tax code never finds its producer: the public cannot test a person's id.
    let tax = s1["tax_code"].as_str().unwrap_or("0401234567");
    let by_tax = app
        .get(&format!("/api/v1/public/products?q={tax}"), None)
        .await;
    assert_eq!(by_tax.body["total"], 0, "{:?}", by_tax.body);
    let pieces = format!("{} {}", &tax[..8], &tax[2..]);
    let by_pieces = app
        .get(
            &format!("/api/v1/public/products?q={}", pieces.replace(' ', "+")),
            None,
        )
        .await;
    assert_eq!(by_pieces.body["total"], 0, "{pieces}: {:?}", by_pieces.body);
    // The search's indexes follow a rename at once (kept by the database itself).
    rename(&app, &admin, &by_name, "Mật ong Hà Thành").await;
    let renamed = app.get("/api/v1/public/products?q=mat-ong", None).await;
    assert_eq!(names(&renamed), ["Mật ong Hà Thành"]);
    let before = app
        .get("/api/v1/public/products?q=tra+sam&stars=4", None)
        .await;
    assert_eq!(names(&before), Vec::<String>::new());
    let long = app
        .get("/api/v1/public/products?q=a+b+c+d+e+f+g+h+i", None)
        .await;
    assert_eq!(long.status, Status::UnprocessableEntity);
    assert_eq!(long.error_fields(), ["q"]);
}

#[rocket::async_test]
async fn public_answers_carry_validators_and_a_304_is_never_counted() {
    let app = TestApp::spawn_with(|c| {
        c.quotas.public_requests_per_minute = 1;
        c.quotas.public_burst = 2;
        c.public.cache_seconds = 300;
    })
    .await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà xanh").await;
    app.seed_recognition(&admin, &p, "1/QĐ", "2024-01-01", 3)
        .await;
    let path = format!("/p/{}", id_of(&p));
    let first = app.client.get(path.clone()).dispatch().await;
    assert_eq!(first.status(), Status::Ok);
    let etag = first.headers().get_one("ETag").unwrap().to_owned();
    let modified = first.headers().get_one("Last-Modified").unwrap().to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");
    assert_eq!(
        first.headers().get_one("Cache-Control"),
        Some("public, max-age=300, stale-while-revalidate=600")
    );
    // Revalidations as many as a crowd sends: none is counted.
    for _ in 0..5 {
        let again = app
            .client
            .get(path.clone())
            .header(Header::new("If-None-Match", etag.clone()))
            .dispatch()
            .await;
        assert_eq!(again.status(), Status::NotModified);
        assert_eq!(again.headers().get_one("ETag"), Some(etag.as_str()));
    }
    let since = app
        .client
        .get(path.clone())
        .header(Header::new("If-Modified-Since", modified.clone()))
        .dispatch()
        .await;
    assert_eq!(since.status(), Status::NotModified);
    // The second full answer is the bucket's last.
    assert_eq!(
        app.client.get(path.clone()).dispatch().await.status(),
        Status::Ok
    );
    let over = app.client.get(path.clone()).dispatch().await;
    assert_eq!(over.status(), Status::TooManyRequests);
    assert!(over.headers().get_one("Retry-After").is_some());
    // Whatever it sends, a client over its allowance makes nothing new be drawn: a page not
    // kept is counted before it is rendered.
    for conditional in [
        ("If-None-Match", "*"),
        ("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"),
    ] {
        let res = app
            .client
            .get("/api/v1/public/products")
            .header(Header::new(conditional.0, conditional.1))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::TooManyRequests, "{conditional:?}");
    }
    // Even then, a client with the current page is answered.
    let still = app
        .client
        .get(path.clone())
        .header(Header::new("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(still.status(), Status::NotModified);
}

#[rocket::async_test]
async fn public_pages_are_kept_by_each_process_for_a_few_seconds() {
    let app = TestApp::spawn_with(|c| c.public.cache_seconds = 300).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà xanh").await;
    app.seed_recognition(&admin, &p, "1/QĐ", "2024-01-01", 3)
        .await;
    let path = format!("/api/v1/public/products/{}", id_of(&p));
    let first = app.get(&path, None).await;
    rename(&app, &admin, &p, "Trà xanh Tiên Phước").await;
    // Within the interval the process answers what it rendered, validators and all; English
    // is a page of its own.
    let kept = app.get(&path, None).await;
    assert_eq!(kept.body["name"], "Trà xanh");
    assert_eq!(kept.etag, first.etag);
    let english = app.get(&format!("{path}?lang=en"), None).await;
    assert_eq!(english.body["name"], "Trà xanh Tiên Phước");
}

/// The QR codes in an SVG drawing, read back from its pixels.
fn qr_in_svg(svg: &str) -> Vec<String> {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let side = 600;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(side, side).unwrap();
    let scale = side as f32 / tree.size().width();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(side as usize, side as usize, |x, y| {
            // Transparent is paper: white.
            let p = pixmap.pixel(x as u32, y as u32).unwrap().demultiply();
            if p.alpha() < 128 { 255 } else { p.red() }
        });
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

#[rocket::async_test]
async fn a_label_carries_the_qr_of_the_page_its_stars_and_its_last_valid_day() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Trà").await;
    let p = app.seed_product(&admin, &s, "Trà xanh").await;
    let r = app
        .seed_recognition(&admin, &p, "9/QĐ", &days_ago(30), 4)
        .await;
    let last_day =
        chrono::NaiveDate::parse_from_str(r["valid_until"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap()
            .pred_opt()
            .unwrap()
            .format("%d/%m/%Y")
            .to_string();
    let base = ocop_registry::http::listening_base(app.client.rocket().config());
    let page_url = format!("{base}/p/{}", id_of(&p));

    let res = app
        .client
        .get(format!("/p/{}/label.svg?size=20", id_of(&p)))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::SVG));
    let svg = res.into_string().await.unwrap();
    assert!(svg.contains(r#"width="20mm" height="20mm""#), "{svg}");
    assert!(svg.contains("OCOP ★★★★<"), "{svg}");
    assert!(svg.contains(&format!("Hiệu lực đến {last_day}")), "{svg}");
    assert_eq!(qr_in_svg(&svg), [page_url]);

    let res = app
        .client
        .get(format!("/p/{}/label.pdf?size=50", id_of(&p)))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::PDF));
    let pdf = res.into_bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // 5 cm is 141.73 points.
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("141.73"), "a 5 cm page");
    assert!(text.contains("FontFile2"), "the font is embedded");

    assert_eq!(
        app.client
            .get(format!("/p/{}/label.pdf?size=50", id_of(&p)))
            .dispatch()
            .await
            .headers()
            .get_one("Content-Disposition"),
        Some(format!("attachment; filename=\"nhan-ocop-{}-50mm.pdf\"", id_of(&p)).as_str())
    );
    for size in ["10", "51", "abc", "-1"] {
        let res = app
            .get(&format!("/p/{}/label.svg?size={size}", id_of(&p)), None)
            .await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{size}");
    }
    // No label for a rating that is no longer in force.
    let old = app.seed_product(&admin, &s, "Trà cũ").await;
    app.seed_recognition(&admin, &old, "1/QĐ", "2019-01-01", 3)
        .await;
    let res = app
        .get(&format!("/p/{}/label.pdf", id_of(&old)), None)
        .await;
    assert_eq!(res.status, Status::Conflict);
}

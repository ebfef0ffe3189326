//! Product photos (issue 34): an owner's photo is checked by its content, kept only as the
//! registry's own renditions (upright, no metadata), shown publicly once its review window has
//! passed unless an auditor of its unit rejected it — or at once, under a setting.

use std::io::Cursor;

use rocket::http::{Header, Status};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, multipart, unit};
use crate::pages::{account, csrf_of, form, page, sign_in_and_change};

/// What a phone's camera writes into a photo: a position and the tag saying the picture is
/// stored sideways (EXIF orientation 6: turn it a quarter clockwise to show it).
pub const SECRET: &str = "GPS 15.5736N 108.4740E";

/// A JPEG 200 × 100, red on the left, blue on the right, carrying [`SECRET`] and orientation 6.
pub fn phone_jpeg() -> Vec<u8> {
    phone_jpeg_sized(200, 100)
}

/// [`phone_jpeg`] at another size: red on the left half, blue on the right.
pub fn phone_jpeg_sized(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    // TIFF, big-endian: one IFD at 8 with Orientation = 6 and ImageDescription = SECRET.
    let text = [SECRET.as_bytes(), b"\0"].concat();
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x02".to_vec();
    tiff.extend([0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x06, 0, 0]);
    tiff.extend([0x01, 0x0E, 0x00, 0x02]);
    tiff.extend((text.len() as u32).to_be_bytes());
    tiff.extend(38u32.to_be_bytes());
    tiff.extend([0, 0, 0, 0]);
    tiff.extend(&text);
    let app1 = [b"Exif\0\0".as_slice(), &tiff].concat();
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn wide_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(2000, 1000, image::Rgb([30, 160, 60]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A file's status, type, cache policy and bytes.
async fn file(app: &TestApp, path: &str, token: Option<&str>) -> (Status, String, String, Vec<u8>) {
    let mut req = app.client.get(path.to_owned());
    if let Some(t) = token {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    let res = req.dispatch().await;
    let status = res.status();
    let ct = res
        .content_type()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let cache = res
        .headers()
        .get_one("Cache-Control")
        .unwrap_or_default()
        .to_owned();
    (
        status,
        ct,
        cache,
        res.into_bytes().await.unwrap_or_default(),
    )
}

async fn rated(app: &TestApp, admin: &str, name: &str) -> (Value, Value) {
    let s = app.seed_subject(admin, "20335", name).await;
    let p = app.seed_product(admin, &s, "Trà sâm túi lọc").await;
    app.seed_recognition(admin, &p, "12/QĐ", "2024-01-15", 4)
        .await;
    (s, p)
}

async fn public_photo(app: &TestApp, p: &Value) -> Value {
    let res = app
        .get(&format!("/api/v1/public/products/{}", id_of(p)), None)
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body["photo"].clone()
}

#[rocket::async_test]
async fn an_owners_photo_is_stripped_upright_and_public_after_review_unless_rejected() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (s, p) = rated(&app, &admin, "HTX Trà Sâm").await;
    let (other, _) = rated(&app, &admin, "HTX Nấm").await;
    let owner = app.owner_of(&s).await;
    let other_owner = app.owner_of(&other).await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let hoi_an = app.auditor(unit("district", "503", None)).await;
    let path = format!("/api/v1/products/{}/photos", id_of(&p));

    // Not a photo, by its content, whatever its name: refused, nothing kept.
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n";
    let res = app
        .post_form(&path, Some(&owner), &[], Some(("anh.jpg", pdf)))
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["file"]);
    let res = app
        .post_form(
            &path,
            Some(&other_owner),
            &[],
            Some(("a.jpg", &phone_jpeg())),
        )
        .await;
    assert_eq!(res.status, Status::NotFound, "another owner's product");
    assert_eq!(app.count("product_photo").await, 0);

    let res = app
        .post_form(
            &path,
            Some(&owner),
            &[],
            Some(("IMG_0001.JPG", &phone_jpeg())),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let first = res.body.clone();
    assert_eq!(first["status"], "waiting");
    assert_eq!(first["public"], false);
    // Turned upright: the sideways 200 × 100 shows 100 × 200, never enlarged.
    assert_eq!(
        (first["width"].as_i64(), first["height"].as_i64()),
        (Some(100), Some(200))
    );
    let own = format!("/api/v1/product-photos/{}/files/320", id_of(&first));
    let (status, ct, _, bytes) = file(&app, &own, Some(&owner)).await;
    assert_eq!((status, ct.as_str()), (Status::Ok, "image/jpeg"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("Exif") && !text.contains(SECRET),
        "metadata kept"
    );
    let shown = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (100, 200));
    let (top, bottom) = (shown.get_pixel(50, 20).0, shown.get_pixel(50, 180).0);
    assert!(top[0] > 150 && top[2] < 100, "red on top: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "blue below: {bottom:?}");
    // Those who do not reach the subject see nothing of it.
    assert_eq!(
        file(&app, &own, Some(&other_owner)).await.0,
        Status::NotFound
    );
    assert_eq!(file(&app, &own, Some(&hoi_an)).await.0, Status::Forbidden);

    // In its review window: not public, on the page or by its address.
    assert_eq!(public_photo(&app, &p).await, Value::Null);
    let public = format!("/photos/{}/640.jpg", id_of(&first));
    assert_eq!(file(&app, &public, None).await.0, Status::NotFound);
    let queue = app
        .get("/api/v1/product-photos?status=waiting", Some(&tam_ky))
        .await;
    assert_eq!(queue.body["total"], 1, "{:?}", queue.body);
    assert_eq!(queue.body["items"][0]["product_name"], "Trà sâm túi lọc");
    let elsewhere = app
        .get("/api/v1/product-photos?status=waiting", Some(&hoi_an))
        .await;
    assert_eq!(elsewhere.body["total"], 0);

    // Only staff decide, on the version read.
    let approve = format!("/api/v1/product-photos/{}/approve", id_of(&first));
    let res = app
        .send_raw("POST", &approve, Some(&owner), String::new(), Some("1"))
        .await;
    assert_eq!(res.status, Status::Forbidden);
    let res = app
        .send_raw("POST", &approve, Some(&tam_ky), String::new(), Some("7"))
        .await;
    assert_eq!(res.status, Status::PreconditionFailed);
    let res = app
        .send_raw("POST", &approve, Some(&tam_ky), String::new(), Some("1"))
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(public_photo(&app, &p).await["id"], first["id"]);
    let (status, ct, cache, _) = file(&app, &public, None).await;
    assert_eq!((status, ct.as_str()), (Status::Ok, "image/jpeg"));
    assert!(cache.starts_with("public"), "{cache}");
    let res = app
        .send_raw("POST", &approve, Some(&tam_ky), String::new(), None)
        .await;
    assert_eq!(res.status, Status::Conflict, "approved twice");

    // A newer photo waits its window; the approved one stays on the page meanwhile.
    let res = app
        .post_form(&path, Some(&owner), &[], Some(("tra.png", &wide_png())))
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let second = res.body.clone();
    assert_eq!(public_photo(&app, &p).await["id"], first["id"]);
    // The window ends (moved back as if 48 hours had passed): the newer one shows.
    let past = ocop_registry::clock::now() - chrono::Duration::hours(1);
    entity::product_photo::Entity::update_many()
        .col_expr(entity::product_photo::Column::PublicFrom, Expr::value(past))
        .filter(entity::product_photo::Column::Id.eq(id_of(&second)))
        .exec(&app.db)
        .await
        .unwrap();
    let shown = public_photo(&app, &p).await;
    assert_eq!(shown["id"], second["id"]);
    let widths: Vec<i64> = shown["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["width"].as_i64().unwrap())
        .collect();
    assert_eq!(widths, [320, 640, 1280]);
    let (_, _, _, small) = file(&app, &format!("/photos/{}/320.jpg", id_of(&second)), None).await;
    let small = image::load_from_memory(&small).unwrap();
    assert_eq!((small.width(), small.height()), (320, 160));

    // An auditor takes it down with a reason its producer reads; the approved one is back.
    let reject = format!("/api/v1/product-photos/{}/reject", id_of(&second));
    let res = app
        .post(&reject, Some(&tam_ky), &json!({"reason": " "}))
        .await;
    assert_eq!(res.error_fields(), ["reason"]);
    let res = app
        .post(
            &reject,
            Some(&tam_ky),
            &json!({"reason": "Ảnh không phải sản phẩm này."}),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(public_photo(&app, &p).await["id"], first["id"]);
    let gone = format!("/photos/{}/320.jpg", id_of(&second));
    assert_eq!(file(&app, &gone, None).await.0, Status::NotFound);
    let res = app
        .post(&reject, Some(&tam_ky), &json!({"reason": "Lần nữa"}))
        .await;
    assert_eq!(res.status, Status::Conflict);
    let mine = app.get(&path, Some(&owner)).await;
    assert_eq!(mine.body[0]["status"], "rejected");
    assert_eq!(mine.body[0]["reason"], "Ảnh không phải sản phẩm này.");
    // And among its notices, with the reason.
    let notices = app.get("/api/v1/notices", Some(&owner)).await.body;
    let rejected: Vec<&Value> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "photo_rejected")
        .collect();
    assert_eq!(rejected.len(), 1, "{notices}");
    assert_eq!(rejected[0]["reason"], "Ảnh không phải sản phẩm này.");
    assert!(
        rejected[0]["message"].as_str().unwrap().contains("Trà sâm"),
        "{notices}"
    );
    let trail: Vec<String> = app
        .audit_of(&id_of(&second).to_string())
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(trail, ["create", "reject"]);
}

#[rocket::async_test]
async fn under_the_setting_a_photo_shows_at_once_and_staff_decide_from_the_queue() {
    let app = TestApp::spawn_with(|c| c.documents.photo_review_hours = 0).await;
    let admin = app.admin().await;
    let (s, p) = rated(&app, &admin, "HTX Trà Sâm").await;
    let c = &app.another_instance().await.0;
    let otp = account(
        &app,
        &admin,
        json!({"username": "htx.trasam", "role": "owner", "subject_id": s["id"],
               "display_name": "HTX Trà Sâm"}),
    )
    .await;
    sign_in_and_change(c, "htx.trasam", &otp, "mat-khau-moi-2026").await;
    // From the owner's page to its product's photos.
    let photos = format!("/products/{}/photos", id_of(&p));
    assert!(page(c, "/me").await.body.contains(&photos));
    let html = page(c, &photos).await;
    assert_eq!(html.status, Status::Ok);
    let csrf = csrf_of(&html.body);
    let send = |bytes: Vec<u8>| {
        let (ct, body) = multipart(&[("csrf", &csrf)], Some(("anh.jpg", &bytes)));
        c.post(photos.clone()).header(ct).body(body).dispatch()
    };
    let res = send(b"not a photo at all".to_vec()).await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let text = res.into_string().await.unwrap();
    assert!(text.contains("tệp phải là ảnh JPEG hoặc PNG"), "{text}");
    // Over the limit: said on the form, in megabytes.
    let res = send(vec![0xFF; 10 * 1024 * 1024 + 1]).await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let text = res.into_string().await.unwrap();
    assert!(
        text.contains("lớn hơn giới hạn 10 MB") && text.contains("id=\"photo-form\""),
        "{text}"
    );
    let res = send(phone_jpeg()).await;
    assert_eq!(res.status(), Status::SeeOther);
    let html = page(c, &format!("{photos}?done=1")).await;
    assert!(
        html.body.contains("ảnh hiện trên trang công khai ngay"),
        "{}",
        html.body
    );
    let shown = public_photo(&app, &p).await;
    assert!(shown["id"].is_string(), "public at once: {shown}");
    let public_page = page(c, &format!("/p/{}", id_of(&p))).await;
    assert!(public_page.body.contains("id=\"product-photo\""));
    assert!(public_page.body.contains("og:image"));

    // Still in the queue of its unit, where an auditor may take it down.
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Kiểm Tra"}),
    )
    .await;
    let c = &app.another_instance().await.0;
    sign_in_and_change(c, "kiemtra", &otp, "mat-khau-moi-2026").await;
    let queue = page(c, "/queue?tab=photos").await;
    assert!(
        queue
            .body
            .contains("Ảnh sản phẩm <span class=\"count\">(1)</span>"),
        "{}",
        queue.body
    );
    let id = shown["id"].as_str().unwrap();
    assert!(queue.body.contains(&format!("/product-photos/{id}/640")));
    let (status, ct, _, _) = {
        let res = c.get(format!("/product-photos/{id}/640")).dispatch().await;
        let ct = res
            .content_type()
            .map(|c| c.to_string())
            .unwrap_or_default();
        (res.status(), ct, (), ())
    };
    assert_eq!((status, ct.as_str()), (Status::Ok, "image/jpeg"));
    let csrf = csrf_of(&queue.body);
    let path = format!("/queue/photos/{id}");
    // A rejection needs its reason: said on the queue, nothing changed.
    let res = form(
        c,
        &path,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("action", "reject"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{}", res.body);
    assert!(public_photo(&app, &p).await.is_object());
    let res = form(
        c,
        &path,
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("action", "reject"),
            ("reason", "Ảnh mờ"),
        ],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    assert_eq!(public_photo(&app, &p).await, Value::Null);
    let queue = page(c, "/queue?tab=photos").await;
    assert!(
        queue
            .body
            .contains("Ảnh sản phẩm <span class=\"count\">(0)</span>")
    );
}

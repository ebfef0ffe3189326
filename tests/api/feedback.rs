//! Phản ánh (issue 34): the public reports a problem with a product; it reaches the queue of the
//! product's unit, where an auditor answers, links and closes it; only a published answer shows.

use rocket::http::{ContentType, Status};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, multipart_with, unit};
use crate::pages::{account, form, page, sign_in_and_change};

/// A form token handed out `age` seconds ago (a person takes a few seconds to fill the form).
async fn aged_token(app: &TestApp, product: &Value, age: i64) -> String {
    let key = ocop_registry::feedback::token::key(&app.db).await.unwrap();
    let id = id_of(product);
    let issued = ocop_registry::clock::now().timestamp() - age;
    ocop_registry::feedback::token::issue(&key, id, issued)
}

async fn rated_product(app: &TestApp, admin: &str) -> (Value, Value) {
    let s = app.seed_subject(admin, "20335", "HTX Trà Sâm").await;
    let p = app.seed_product(admin, &s, "Trà sâm túi lọc").await;
    app.seed_recognition(admin, &p, "12/QĐ", "2024-01-15", 4)
        .await;
    (s, p)
}

fn report_body(token: &str) -> Value {
    json!({"kind": "fake_label", "text": "Nhãn OCOP in mờ, không có mã QR, bán ở chợ Tam Kỳ.",
           "contact": "0905 111 222", "form_token": token})
}

#[rocket::async_test]
async fn a_report_is_refused_without_a_fair_form_and_past_the_limits() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, p) = rated_product(&app, &admin).await;
    let path = format!("/api/v1/public/products/{}/reports", id_of(&p));
    // A form sent back at once is a script's.
    let fresh = app
        .get(
            &format!("/api/v1/public/products/{}/report-form", id_of(&p)),
            None,
        )
        .await;
    assert_eq!(fresh.status, Status::Ok);
    let token = fresh.body["form_token"].as_str().unwrap();
    let fast = app.post(&path, None, &report_body(token)).await;
    assert_eq!(fast.status, Status::UnprocessableEntity);
    assert_eq!(fast.error_fields(), ["form_token"]);
    // A made-up token, an old one, another product's.
    let old = aged_token(&app, &p, 3 * 60 * 60).await;
    for bad in ["123.abcd", old.as_str()] {
        let res = app.post(&path, None, &report_body(bad)).await;
        assert_eq!(res.error_fields(), ["form_token"], "{bad}");
    }
    // The hidden field, filled.
    let token = aged_token(&app, &p, 10).await;
    let mut trap = report_body(&token);
    trap["website"] = json!("http://spam.example");
    let res = app.post(&path, None, &trap).await;
    assert_eq!(res.error_fields(), ["website"]);
    // A product never rated cannot be reported.
    let s = app.seed_subject(&admin, "20335", "HTX Khác").await;
    let unrated = app.seed_product(&admin, &s, "Chưa xếp hạng").await;
    let res = app
        .get(
            &format!("/api/v1/public/products/{}/report-form", id_of(&unrated)),
            None,
        )
        .await;
    assert_eq!(res.status, Status::NotFound);
    // One form files one report.
    let first = app.post(&path, None, &report_body(&token)).await;
    assert_eq!(first.status, Status::Created, "{:?}", first.body);
    let again = app.post(&path, None, &report_body(&token)).await;
    assert_eq!(again.status, Status::Conflict, "{:?}", again.body);
    // Five a day from one address; nothing written past it.
    for i in 1..5 {
        let token = aged_token(&app, &p, 10).await;
        let res = app.post(&path, None, &report_body(&token)).await;
        assert_eq!(res.status, Status::Created, "{i}: {:?}", res.body);
    }
    let token = aged_token(&app, &p, 10).await;
    let sixth = app
        .client
        .post(path.clone())
        .header(ContentType::JSON)
        .body(report_body(&token).to_string())
        .dispatch()
        .await;
    assert_eq!(sixth.status(), Status::TooManyRequests);
    // Until the first of the five leaves the day: a day less the moments the test took.
    let wait: i64 = sixth
        .headers()
        .get_one("Retry-After")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((86_000..=86_400).contains(&wait), "Retry-After: {wait}");
    // The page's form says the same, with the same header.
    let token = aged_token(&app, &p, 10).await;
    let page = app
        .client
        .post(format!("/p/{}/report", id_of(&p)))
        .header(ContentType::Form)
        .body(format!(
            "kind=quality&text=V%E1%BA%A9n+%C4%91%E1%BB%A5c&form_token={token}"
        ))
        .dispatch()
        .await;
    assert_eq!(page.status(), Status::TooManyRequests);
    let wait: i64 = page
        .headers()
        .get_one("Retry-After")
        .expect("Retry-After on the page")
        .parse()
        .unwrap();
    assert!((86_000..=86_400).contains(&wait), "Retry-After: {wait}");
    let all = app.get("/api/v1/problem-reports", Some(&admin)).await;
    assert_eq!(all.body["total"], 5);
    // The address itself is never kept.
    let stored = app
        .get("/api/v1/audit?entity=problem_report", Some(&admin))
        .await;
    assert!(
        !stored.body.to_string().contains("0.0.0.0"),
        "{}",
        stored.body
    );
}

#[rocket::async_test]
async fn a_report_reaches_the_units_queue_is_answered_published_and_closed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (s, p) = rated_product(&app, &admin).await;
    let token = aged_token(&app, &p, 10).await;
    let sent = app
        .post(
            &format!("/api/v1/public/products/{}/reports", id_of(&p)),
            None,
            &report_body(&token),
        )
        .await;
    assert_eq!(sent.status, Status::Created, "{:?}", sent.body);
    let report_id = sent.body["id"].as_str().unwrap().to_owned();
    assert!(
        sent.body.get("contact").is_none(),
        "nothing of it comes back"
    );

    // Tam Kỳ's auditor sees it, with the contact; Núi Thành's does not.
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let elsewhere = app.auditor(unit("district", "517", None)).await;
    let mine = app
        .get("/api/v1/problem-reports?open=true", Some(&tam_ky))
        .await;
    assert_eq!(mine.body["total"], 1, "{:?}", mine.body);
    assert_eq!(mine.body["items"][0]["contact"], "0905 111 222");
    let theirs = app.get("/api/v1/problem-reports", Some(&elsewhere)).await;
    assert_eq!(theirs.body["total"], 0);
    let owner = app.owner_of(&s).await;
    let refused = app.get("/api/v1/problem-reports", Some(&owner)).await;
    assert_eq!(refused.status, Status::Forbidden);
    // The public page says nothing of it.
    let public = page(&app.client, &format!("/p/{}", id_of(&p))).await;
    assert!(!public.body.contains("Nhãn OCOP in mờ"));
    assert!(!public.body.contains("Trả lời của Sở"));

    // An answer, published; a link must be a revocation of this product.
    let answer = format!("/api/v1/problem-reports/{report_id}/answer");
    let bad_link = app
        .post(
            &answer,
            Some(&tam_ky),
            &json!({"answer": "Đã kiểm tra", "linked_recognition_id": report_id}),
        )
        .await;
    assert_eq!(bad_link.error_fields(), ["linked_recognition_id"]);
    let answered = app
        .post(
            &answer,
            Some(&tam_ky),
            &json!({"answer": "Sở đã kiểm tra: nhãn tại chợ Tam Kỳ là nhãn giả, đã chuyển quản lý thị trường.",
                    "publish": true}),
        )
        .await;
    assert_eq!(answered.status, Status::Ok, "{:?}", answered.body);
    assert_eq!(answered.body["status"], "answered");
    let public = page(&app.client, &format!("/p/{}", id_of(&p))).await;
    assert!(
        public
            .body
            .contains("nhãn giả, đã chuyển quản lý thị trường"),
        "{}",
        public.body
    );
    assert!(
        !public.body.contains("0905 111 222"),
        "the contact stays with staff"
    );
    // Its producer reads the published answer among its notices.
    let notices = app.get("/api/v1/notices", Some(&owner)).await.body;
    let answers: Vec<&Value> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "report_answered")
        .collect();
    assert_eq!(answers.len(), 1, "{notices}");
    assert!(
        answers[0]["reason"]
            .as_str()
            .unwrap()
            .contains("đã chuyển quản lý thị trường"),
        "{notices}"
    );
    let answers = app
        .get(
            &format!("/api/v1/public/products/{}/answers", id_of(&p)),
            None,
        )
        .await;
    assert_eq!(answers.body[0]["kind"], "fake_label");
    // Answered again without saying: the answer stays as public as it was.
    let current = app
        .get(
            &format!("/api/v1/problem-reports?product_id={}", id_of(&p)),
            Some(&tam_ky),
        )
        .await;
    let reanswered = app
        .post(
            &answer,
            Some(&tam_ky),
            &json!({"answer": "Bổ sung: đã thu giữ 40 hộp."}),
        )
        .await;
    assert_eq!(reanswered.status, Status::Ok, "{:?}", reanswered.body);
    assert_eq!(
        reanswered.body["answer_published"], true,
        "{:?}",
        current.body
    );

    // Closed with a reason; closed stays closed; every step is in the trail.
    let close = format!("/api/v1/problem-reports/{report_id}/close");
    let closed = app
        .post(&close, Some(&tam_ky), &json!({"reason": "Đã xử lý xong"}))
        .await;
    assert_eq!(closed.status, Status::Ok, "{:?}", closed.body);
    assert_eq!(closed.body["status"], "closed");
    let again = app
        .post(&close, Some(&tam_ky), &json!({"reason": "Lần nữa"}))
        .await;
    assert_eq!(again.status, Status::Conflict);
    let trail = app
        .get(
            &format!("/api/v1/audit?entity=problem_report&entity_id={report_id}"),
            Some(&admin),
        )
        .await;
    let mut actions: Vec<&str> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, ["answer", "answer", "close", "create"]);
}

#[rocket::async_test]
async fn the_report_form_page_sends_and_the_queue_answers_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (s, p) = rated_product(&app, &admin).await;
    let c = &app.client;
    let product_page = page(c, &format!("/p/{}", id_of(&p))).await;
    assert!(
        product_page
            .body
            .contains(&format!("/p/{}/report", id_of(&p)))
    );
    let form_page = page(c, &format!("/p/{}/report", id_of(&p))).await;
    assert_eq!(form_page.status, Status::Ok);
    assert!(form_page.body.contains("Nhãn OCOP giả"));
    // Sent as filled by a person (the form's token aged as by reading and typing).
    let token = aged_token(&app, &p, 20).await;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", "quality")
        .append_pair("text", "Chai trà bị vẩn đục dù còn hạn sử dụng.")
        .append_pair("contact", "")
        .append_pair("website", "")
        .append_pair("form_token", &token)
        .finish();
    let res = c
        .post(format!("/p/{}/report", id_of(&p)))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    // To the thanks by a redirect: reloading it sends nothing again.
    assert_eq!(res.status(), Status::SeeOther);
    let thanks = res.headers().get_one("Location").unwrap().to_owned();
    assert_eq!(thanks, format!("/p/{}/report?sent=1", id_of(&p)));
    let text = page(c, &thanks).await.body;
    assert!(text.contains("Cảm ơn bạn"), "{text}");
    // Another site's page cannot send reports through its visitors.
    let res = c
        .post(format!("/p/{}/report", id_of(&p)))
        .header(ContentType::Form)
        .header(rocket::http::Header::new("Sec-Fetch-Site", "cross-site"))
        .body(format!(
            "kind=other&text=Spam&form_token={}",
            aged_token(&app, &p, 20).await
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    // Nothing chosen: the form again, what was typed kept, the field named.
    let res = c
        .post(format!("/p/{}/report", id_of(&p)))
        .header(ContentType::Form)
        .body(format!(
            "text=Thi%E1%BA%BFu+lo%E1%BA%A1i&form_token={}",
            aged_token(&app, &p, 20).await
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let text = res.into_string().await.unwrap();
    assert!(text.contains("Thiếu loại"), "{text}");
    // Sent too soon, with a photo: the form says why, and that the photo must be chosen again
    // (a browser never refills a file input).
    let fresh = aged_token(&app, &p, 0).await;
    let (ct, body) = multipart_with(
        &[
            ("kind", "quality"),
            ("text", "Vẩn đục"),
            ("form_token", &fresh),
        ],
        "photo",
        Some(("anh.jpg", &crate::photos::phone_jpeg())),
    );
    let res = c
        .post(format!("/p/{}/report", id_of(&p)))
        .header(ct)
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    let text = res.into_string().await.unwrap();
    assert!(
        text.contains("gửi quá nhanh") && text.contains("hãy chọn lại ảnh"),
        "{text}"
    );

    // The auditor of the unit finds it in the queue's tab, marked on the subject's page.
    let otp = account(
        &app,
        &admin,
        json!({"username": "kiemtra", "role": "auditor",
               "unit_id": unit("district", "502", None), "display_name": "Kiểm Tra"}),
    )
    .await;
    sign_in_and_change(c, "kiemtra", &otp, "mat-khau-moi-2026").await;
    let staff = c;
    let file = page(staff, &format!("/subjects/{}", id_of(&s))).await;
    assert!(file.body.contains("1 phản ánh đang mở"), "{}", file.body);
    let queue = page(staff, "/queue?tab=feedback").await;
    assert!(
        queue
            .body
            .contains("Phản ánh <span class=\"count\">(1)</span>"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Chai trà bị vẩn đục"));
    let reports = app.get("/api/v1/problem-reports", Some(&admin)).await;
    let item = &reports.body["items"][0];
    let csrf = crate::pages::csrf_of(&queue.body);
    let res = form(
        staff,
        &format!("/queue/feedback/{}", id_of(item)),
        &[
            ("csrf", csrf.as_str()),
            ("version", &item["version"].to_string()),
            ("action", "close"),
            ("reason", "Sở đã lấy mẫu kiểm tra: đạt yêu cầu."),
        ],
    )
    .await;
    assert_eq!(res.status, Status::SeeOther, "{}", res.body);
    let queue = page(staff, "/queue?tab=feedback").await;
    assert!(
        queue
            .body
            .contains("Phản ánh <span class=\"count\">(0)</span>")
    );
    let file = page(staff, &format!("/subjects/{}", id_of(&s))).await;
    assert!(!file.body.contains("phản ánh đang mở"));
}

/// Behind a proxy that passes its own upstream `Host`, an old browser's `Origin` names the
/// registry's public address: that is this site, not another.
#[rocket::async_test]
async fn a_report_from_the_registrys_public_address_is_not_taken_for_another_sites() {
    let app =
        TestApp::spawn_with(|c| c.public.base_url = Some("https://ocop.example.vn".into())).await;
    let admin = app.admin().await;
    let (_, p) = rated_product(&app, &admin).await;
    let path = format!("/api/v1/public/products/{}/reports", id_of(&p));
    let send = async |origin: &str| {
        let (ct, body) = multipart_with(&[("kind", "quality")], "photo", None);
        app.client
            .post(path.clone())
            .header(ct)
            .header(rocket::http::Header::new("Origin", origin.to_owned()))
            .header(rocket::http::Header::new("Host", "127.0.0.1:8000"))
            .body(body)
            .dispatch()
            .await
            .status()
    };
    // Past the site check, the form itself is judged (it lacks its text and token).
    for ours in ["https://ocop.example.vn", "http://127.0.0.1:8000"] {
        assert_eq!(send(ours).await, Status::UnprocessableEntity, "{ours}");
    }
    for theirs in [
        "https://ocop.example.vn.evil.example",
        "https://evil.example",
        "null",
    ] {
        assert_eq!(send(theirs).await, Status::Forbidden, "{theirs}");
    }
    assert_eq!(app.count("problem_report").await, 0);
}

#[rocket::async_test]
async fn a_report_may_carry_a_photo_seen_by_staff_only_without_its_metadata() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, p) = rated_product(&app, &admin).await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let hoi_an = app.auditor(unit("district", "503", None)).await;
    let path = format!("/api/v1/public/products/{}/reports", id_of(&p));
    let send_parts = async |photo: &[u8], twice: bool| {
        let token = aged_token(&app, &p, 10).await;
        let fields = [
            ("kind", "fake_label"),
            ("text", "Tem OCOP dán đè lên nhãn cũ, ảnh kèm theo."),
            ("form_token", token.as_str()),
        ];
        let (ct, mut body) = multipart_with(&fields, "photo", Some(("IMG_2001.JPG", photo)));
        if twice {
            // The same photo part again, before the closing boundary.
            let head = b"------ocopboundary7MA4YWxkTrZu0gW\r\nContent-Disposition: form-data; name=\"photo\"";
            let start = body.windows(head.len()).position(|w| w == head).unwrap();
            let end = body.len() - b"------ocopboundary7MA4YWxkTrZu0gW--\r\n".len();
            let again = body[start..end].to_vec();
            body.splice(end..end, again);
        }
        let res = app
            .client
            .post(path.clone())
            .header(ct)
            .body(body)
            .dispatch()
            .await;
        let status = res.status();
        let body: Value = res.into_json().await.unwrap_or(Value::Null);
        (status, body)
    };
    let send = async |photo: &[u8]| send_parts(photo, false).await;
    // Another site's page cannot post the form through its visitors (no preflight guards it).
    let token = aged_token(&app, &p, 10).await;
    let fields = [
        ("kind", "quality"),
        ("text", "Gửi từ trang khác"),
        ("form_token", token.as_str()),
    ];
    let (ct, body) = multipart_with(&fields, "photo", None);
    let res = app
        .client
        .post(path.clone())
        .header(ct)
        .header(rocket::http::Header::new("Sec-Fetch-Site", "cross-site"))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    // Nor from a browser too old to say where the page was: its Origin says it.
    for origin in ["https://evil.example", "null"] {
        let (ct, body) = multipart_with(&fields, "photo", None);
        let res = app
            .client
            .post(path.clone())
            .header(ct)
            .header(rocket::http::Header::new("Origin", origin))
            .header(rocket::http::Header::new("Host", "ocop.example.vn"))
            .body(body)
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Forbidden, "{origin}");
    }
    // Not a photo, two photos, a photo over the limit: the field is named (or the limit), and
    // nothing is written — the report is not filed without the photo it was sent with.
    let (status, body) = send(b"GIF89a not really").await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"].get("photo").is_some(), "{body}");
    let (status, body) = send_parts(&crate::photos::phone_jpeg(), true).await;
    assert_eq!(status, Status::UnprocessableEntity, "{body}");
    assert!(body["error"]["fields"].get("photo").is_some(), "{body}");
    for over in [10 * 1024 * 1024 + 1, 20 * 1024 * 1024 + 1] {
        let (status, body) = send(&vec![0xFF; over]).await;
        assert_eq!(status, Status::PayloadTooLarge, "{over}: {body}");
    }
    assert_eq!(app.count("problem_report").await, 0);

    let (status, body) = send(&crate::photos::phone_jpeg()).await;
    assert_eq!(status, Status::Created, "{body}");
    let photo = format!("/api/v1/problem-reports/{}/photo", id_of(&body));
    let read = async |token: Option<&str>| {
        let mut req = app.client.get(photo.clone());
        if let Some(t) = token {
            req = req.header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {t}"),
            ));
        }
        let res = req.dispatch().await;
        (res.status(), res.into_bytes().await.unwrap_or_default())
    };
    let (status, bytes) = read(Some(&tam_ky)).await;
    assert_eq!(status, Status::Ok);
    assert!(image::load_from_memory(&bytes).is_ok());
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("Exif") && !text.contains(crate::photos::SECRET));
    assert_eq!(read(Some(&hoi_an)).await.0, Status::Forbidden);
    assert_eq!(read(None).await.0, Status::Unauthorized);
    let list = app.get("/api/v1/problem-reports", Some(&tam_ky)).await;
    assert_eq!(list.body["items"][0]["has_photo"], true);
}

//! Owners' documents: uploads checked from their content, hashed by the registry, read only by
//! those who reach the subject, and named as the evidence of a certification.

use rocket::http::{Header, Status};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::certifications::cert_body;
use crate::helpers::{TestApp, id_of, unit};

/// A small but real PDF header and body, as a scanner writes them.
pub fn scanned_pdf(marker: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n%\u{e2}\u{e3}\u{cf}\u{d3}\n1 0 obj << /Type /Catalog >> endobj\n% {marker}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// A document's file as a reader gets it: status, type, disposition, bytes.
async fn fetch(app: &TestApp, id: &str, token: Option<&str>) -> (Status, String, String, Vec<u8>) {
    let mut req = app.client.get(format!("/api/v1/documents/{id}"));
    if let Some(t) = token {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    let res = req.dispatch().await;
    let status = res.status();
    let ct = res
        .content_type()
        .map(|c| c.to_string())
        .unwrap_or_default();
    let disposition = res
        .headers()
        .get_one("Content-Disposition")
        .unwrap_or_default()
        .to_owned();
    (
        status,
        ct,
        disposition,
        res.into_bytes().await.unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn an_owner_uploads_a_scan_read_only_by_those_who_reach_its_subject() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau Tân Thạnh").await;
    let other = app.seed_subject(&admin, "20335", "HTX Nấm").await;
    let owner = app.owner_of(&s).await;
    let other_owner = app.owner_of(&other).await;
    let tam_ky = app.auditor(unit("district", "502", None)).await;
    let hoi_an = app.auditor(unit("district", "503", None)).await;
    let pdf = scanned_pdf("VG-001");

    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&owner),
            &[],
            Some(("Giấy chứng nhận VietGAP.pdf", &pdf)),
        )
        .await;

    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let doc = res.body;
    assert_eq!(doc["sha256"], hex::encode(Sha256::digest(&pdf)));
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(doc["size"], pdf.len());
    assert_eq!(doc["file_name"], "Giấy chứng nhận VietGAP.pdf");
    assert_eq!(
        doc["subject_id"], s["id"],
        "an owner's document is its subject's"
    );
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        app.audit_of(id).await.len(),
        1,
        "the upload is in the audit trail"
    );

    let (status, ct, disposition, bytes) = fetch(&app, id, Some(&owner)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(ct, "application/pdf");
    assert_eq!(bytes, pdf, "the same bytes come back");
    assert!(
        disposition.starts_with("attachment; filename=\"Giay chung nhan VietGAP.pdf\"")
            && disposition.ends_with(
                "filename*=UTF-8''Gi%E1%BA%A5y%20ch%E1%BB%A9ng%20nh%E1%BA%ADn%20VietGAP.pdf"
            ),
        "{disposition}"
    );
    for (who, token, expected) in [
        ("the auditor of its district", Some(&tam_ky), Status::Ok),
        ("an administrator", Some(&admin), Status::Ok),
        ("another owner", Some(&other_owner), Status::NotFound),
        (
            "another district's auditor",
            Some(&hoi_an),
            Status::Forbidden,
        ),
        ("nobody signed in", None, Status::Unauthorized),
    ] {
        let (status, _, _, bytes) = fetch(&app, id, token.map(String::as_str)).await;
        assert_eq!(status, expected, "{who}");
        if status != Status::Ok {
            assert!(!bytes.starts_with(b"%PDF"), "{who} got the file");
        }
    }

    // Owners upload for their own subject only; auditors say whose, inside their unit.
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&other_owner),
            &[("subject_id", s["id"].as_str().unwrap())],
            Some(("x.pdf", &pdf)),
        )
        .await;
    assert_eq!(res.status, Status::NotFound, "{:?}", res.body);
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&tam_ky),
            &[],
            Some(("x.pdf", &pdf)),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), ["subject_id"]);
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&hoi_an),
            &[("subject_id", s["id"].as_str().unwrap())],
            Some(("x.pdf", &pdf)),
        )
        .await;
    assert_eq!(res.status, Status::Forbidden);
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&tam_ky),
            &[("subject_id", s["id"].as_str().unwrap())],
            Some(("bien-ban.pdf", &pdf)),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["uploaded_by"], "Cán bộ thử nghiệm");
    assert_eq!(res.body["subject_id"], s["id"]);
}

#[rocket::async_test]
async fn uploads_that_are_not_a_pdf_jpeg_or_png_or_too_large_write_nothing() {
    let app = TestApp::spawn_with(|c| c.documents.max_bytes = 4096).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let owner = app.owner_of(&s).await;
    let before = app.count("document").await;

    let cases: Vec<(&str, Vec<u8>, Status, &str)> = vec![
        (
            "a web page named .pdf",
            b"<html><script>alert(1)</script></html>".to_vec(),
            Status::UnprocessableEntity,
            "validation_failed",
        ),
        (
            "a program named .pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(),
            Status::UnprocessableEntity,
            "validation_failed",
        ),
        (
            "an empty file",
            Vec::new(),
            Status::UnprocessableEntity,
            "validation_failed",
        ),
        (
            "a scan over the limit",
            [scanned_pdf("big"), vec![b' '; 5000]].concat(),
            Status::PayloadTooLarge,
            "payload_too_large",
        ),
    ];
    for (what, bytes, status, code) in cases {
        let res = app
            .post_form(
                "/api/v1/documents",
                Some(&owner),
                &[],
                Some(("scan.pdf", &bytes)),
            )
            .await;
        assert_eq!(res.status, status, "{what}: {:?}", res.body);
        assert_eq!(res.error_code(), code, "{what}");
    }
    let res = app
        .post_form("/api/v1/documents", Some(&owner), &[], None)
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity);
    assert_eq!(res.error_fields(), ["file"]);
    let res = app
        .post(
            "/api/v1/documents",
            Some(&owner),
            &json!({"file": "JVBERi0x"}),
        )
        .await;
    assert_eq!(res.status, Status::UnsupportedMediaType, "{:?}", res.body);
    let garbled = app
        .upload(
            "/api/v1/documents",
            &owner,
            b"this is not a multipart body".to_vec(),
            rocket::http::ContentType::new("multipart", "form-data").with_params(("boundary", "x")),
        )
        .await;
    assert_eq!(
        garbled.status,
        Status::UnprocessableEntity,
        "{:?}",
        garbled.body
    );
    assert_eq!(garbled.error_fields(), ["file"]);
    // A field the form does not have is refused by its name, not ignored (a client that
    // misspells `subject_id` must not have its document filed elsewhere).
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&owner),
            &[("subjectid", s["id"].as_str().unwrap())],
            Some(("scan.pdf", &scanned_pdf("extra"))),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["subjectid"]);
    let res = app
        .post_form(
            "/api/v1/documents",
            Some(&owner),
            &[("subject_id", "")],
            Some(("scan.pdf", &scanned_pdf("empty id"))),
        )
        .await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["subject_id"]);
    assert_eq!(app.count("document").await, before, "nothing was recorded");
    // A JPEG and a PNG are accepted, whatever their name says.
    for (name, bytes, ct) in [
        (
            "anh.pdf",
            vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0],
            "image/jpeg",
        ),
        (
            "anh",
            vec![
                0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D',
                b'R',
            ],
            "image/png",
        ),
    ] {
        let res = app
            .post_form("/api/v1/documents", Some(&owner), &[], Some((name, &bytes)))
            .await;
        assert_eq!(res.status, Status::Created, "{name}: {:?}", res.body);
        assert_eq!(res.body["content_type"], ct);
    }
}

#[rocket::async_test]
async fn a_certificate_is_submitted_with_its_uploaded_scan_as_evidence() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau").await;
    let other = app.seed_subject(&admin, "20335", "HTX Nấm").await;
    let owner = app.owner_of(&s).await;
    let other_owner = app.owner_of(&other).await;
    let pdf = scanned_pdf("VG-009");
    let doc = app
        .post_form(
            "/api/v1/documents",
            Some(&owner),
            &[],
            Some(("vg.pdf", &pdf)),
        )
        .await
        .body;
    let foreign = app
        .post_form(
            "/api/v1/documents",
            Some(&other_owner),
            &[],
            Some(("vg.pdf", &scanned_pdf("other"))),
        )
        .await
        .body;
    let path = format!("/api/v1/subjects/{}/certifications", id_of(&s));
    let mut body = cert_body("VG-009");
    body.as_object_mut().unwrap().remove("evidence_url");
    body.as_object_mut().unwrap().remove("evidence_sha256");

    // Another subject's document is refused like a missing one; a URL and a document at once
    // are refused too. Nothing is written.
    let before = app.count("certification").await;
    body["evidence_document_id"] = foreign["id"].clone();
    let res = app.post(&path, Some(&owner), &body).await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["evidence_document_id"]);
    let mut both = cert_body("VG-009");
    both["evidence_document_id"] = doc["id"].clone();
    let res = app.post(&path, Some(&owner), &both).await;
    assert_eq!(res.status, Status::UnprocessableEntity, "{:?}", res.body);
    assert_eq!(res.error_fields(), ["evidence_document_id"]);
    assert_eq!(app.count("certification").await, before);

    body["evidence_document_id"] = doc["id"].clone();
    let res = app.post(&path, Some(&owner), &body).await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    assert_eq!(res.body["status"], "submitted");
    assert_eq!(res.body["evidence_document_id"], doc["id"]);
    assert_eq!(
        res.body["evidence_sha256"], doc["sha256"],
        "the hash is the registry's, not typed by hand"
    );
    assert_eq!(res.body["evidence_url"], json!(null));

    // Removing the document removes the hash it brought.
    let cert = res.body;
    let res = app
        .patch(
            &format!("/api/v1/certifications/{}", id_of(&cert)),
            Some(&owner),
            &json!({"evidence_document_id": null}),
            cert["version"]
                .as_i64()
                .map(|v| format!("\"{v}\""))
                .as_deref(),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    assert_eq!(res.body["evidence_document_id"], json!(null));
    assert_eq!(res.body["evidence_sha256"], json!(null));
}

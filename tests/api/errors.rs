//! The error envelope on every failure, `/health` and `/openapi.json`.

use rocket::http::{ContentType, Header, Status};
use serde_json::Value;

use crate::helpers::TestApp;

fn assert_envelope(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[rocket::async_test]
async fn unknown_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(res.status, Status::NotFound);
    assert_eq!(res.content_type.as_deref(), Some("application/json"));
    assert_envelope(&res.body, "not_found");
}

#[rocket::async_test]
async fn malformed_json_is_a_json_400() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .send_raw(
            "POST",
            "/api/v1/subjects",
            Some(&admin),
            "{\"name\": ".to_owned(),
            None,
        )
        .await;
    assert_eq!(res.status, Status::BadRequest);
    assert_envelope(&res.body, "bad_request");
    assert_eq!(app.count("subject").await, 0);
}

#[rocket::async_test]
async fn oversized_body_is_a_json_413() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let res = app
        .send_raw("POST", "/api/v1/subjects", Some(&admin), big, None)
        .await;
    assert_eq!(res.status, Status::PayloadTooLarge);
    assert_envelope(&res.body, "payload_too_large");
}

#[rocket::async_test]
async fn wrong_content_type_is_a_json_415() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = app
        .client
        .post("/api/v1/subjects")
        .header(ContentType::Form)
        .header(Header::new("Authorization", format!("Bearer {admin}")))
        .body("name=x")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::UnsupportedMediaType);
    let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_envelope(&body, "unsupported_media_type");
}

#[rocket::async_test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status, Status::Ok);
    assert_eq!(res.body["status"], "ok");
    let expected = if crate::helpers::on_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(res.body["database"], expected);
}

/// Every route Rocket serves is in the OpenAPI document, with the same method and path — but
/// the pages, which are HTML for people, not API.
#[rocket::async_test]
async fn openapi_lists_every_route() {
    let app = TestApp::spawn().await;
    let res = app.get("/openapi.json", None).await;
    assert_eq!(res.status, Status::Ok);
    let paths = res.body["paths"].as_object().unwrap();
    let pages: Vec<(String, String)> = ocop_registry::web::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.uri.to_string()))
        .collect();
    let api: Vec<&rocket::Route> = app
        .client
        .rocket()
        .routes()
        .filter(|r| !pages.contains(&(r.method.to_string(), r.uri.to_string())))
        .collect();
    assert!(api.len() + pages.len() == app.client.rocket().routes().count());
    let mut missing = Vec::new();
    for route in &api {
        let path = route
            .uri
            .path()
            .to_string()
            .replace('<', "{")
            .replace("..>", "}")
            .replace('>', "}");
        let method = route.method.as_str().to_ascii_lowercase();
        if paths.get(&path).and_then(|p| p.get(&method)).is_none() {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    // One operation may be served by two routes (a report as JSON or as a form with a photo).
    let served: std::collections::BTreeSet<(String, String)> = api
        .iter()
        .map(|r| (r.method.to_string(), r.uri.path().to_string()))
        .collect();
    assert_eq!(
        documented,
        served.len(),
        "no documented route that is not served"
    );
    assert!(res.body["components"]["securitySchemes"]["bearer"].is_object());
    // The upload form refuses fields it does not have, and says so.
    assert_eq!(
        res.body["components"]["schemas"]["DocumentUploadForm"]["additionalProperties"],
        false
    );

    // Every `$ref` resolves, and every operation documents the error envelope for faults.
    let mut refs = Vec::new();
    collect_refs(&res.body, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        assert!(
            res.body["components"]["schemas"][name].is_object(),
            "unresolvable reference {r}"
        );
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(
                op["responses"]["500"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{method} {path} documents no 500"
            );
        }
    }
}

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match v {
                    serde_json::Value::String(s) if key == "$ref" => out.push(s.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Files are described as files: an import's body is CSV or an XLSX workbook, a download and a
/// document binary with their media types — so a generated client sends and saves files.
#[rocket::async_test]
async fn openapi_describes_files_as_binary_with_their_media_types() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json", None).await.body;
    let binary = serde_json::json!(["string", "binary"]);
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let body = &doc["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"];
    for media in ["text/csv", XLSX] {
        assert_eq!(
            schema_of(&doc, &body[media]["schema"]),
            binary,
            "import {media}"
        );
    }
    for (path, media) in [
        ("/api/v1/reports/{id}", XLSX),
        ("/api/v1/reports/{id}", "text/csv"),
        ("/api/v1/imports/template", XLSX),
        ("/api/v1/documents/{id}", "application/pdf"),
    ] {
        let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        assert_eq!(
            schema_of(&doc, &content[media]["schema"]),
            binary,
            "{path} {media}: {content}"
        );
    }
}

/// A schema's type and format, its `$ref` followed.
fn schema_of(doc: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    serde_json::json!([schema["type"], schema["format"]])
}

/// The bundled Swagger UI: served from the binary, pointed at `/openapi.json`, and a missing file
/// of it is the JSON 404 like any other.
#[rocket::async_test]
async fn swagger_ui_is_served_offline_and_reads_the_openapi_document() {
    let app = TestApp::spawn().await;
    let res = app.client.get("/docs").dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(res.headers().get_one("Location"), Some("/docs/"));

    let res = app.client.get("/docs/").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::HTML));
    let page = res.into_string().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(
        !page.contains("://"),
        "the page loads nothing from elsewhere"
    );

    let res = app
        .client
        .get("/docs/swagger-initializer.js")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let script = res.into_string().await.unwrap();
    assert!(script.contains("\"/openapi.json\""), "{script}");

    let res = app.get("/docs/no-such-file.js", None).await;
    assert_eq!(res.status, Status::NotFound);
    assert_envelope(&res.body, "not_found");
}

/// A path asked with a method it does not have: 405 with `Allow` and the envelope; an unknown
/// path stays 404.
#[rocket::async_test]
async fn a_method_a_path_does_not_have_is_405_with_allow() {
    let app = TestApp::spawn().await;
    for (method, path, allow) in [
        (rocket::http::Method::Put, "/api/v1/subjects", "GET, POST"),
        (rocket::http::Method::Delete, "/health", "GET"),
        (
            rocket::http::Method::Post,
            "/api/v1/subjects/01a22c86-937f-777a-9235-770a18e0677d",
            "GET, PATCH",
        ),
        (rocket::http::Method::Trace, "/api/v1/tokens", "GET, POST"),
    ] {
        let res = app.client.req(method, path).dispatch().await;
        assert_eq!(res.status(), Status::MethodNotAllowed, "{method} {path}");
        assert_eq!(
            res.headers().get_one("Allow"),
            Some(allow),
            "{method} {path}"
        );
        let body: serde_json::Value =
            serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
        assert_envelope(&body, "method_not_allowed");
    }
    let res = app.client.put("/api/v1/nothing-here").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
}

/// The document states the rules the server enforces, so a client generated from it never
/// sends what the server refuses (schemathesis checks the rest in `.ci/schemathesis`).
#[rocket::async_test]
async fn the_openapi_document_states_the_input_rules() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json", None).await.body;
    let schemas = &doc["components"]["schemas"];
    // Request bodies refuse unknown fields.
    for name in [
        "CreateSubject",
        "UpdateSubject",
        "CreateProduct",
        "CreateArea",
        "LinkageInput",
        "CreateCertification",
        "TransitionInput",
        "CreateChannel",
        "ConnectionInput",
        "CreatePolicy",
        "FreezeReport",
        "CreateToken",
    ] {
        assert_eq!(
            schemas[name]["additionalProperties"], false,
            "{name} accepts unknown fields"
        );
    }
    // Fields a PATCH may leave out but not clear are not nullable; ones it may clear are.
    assert_eq!(
        schemas["UpdateSubject"]["properties"]["name"]["type"],
        "string"
    );
    assert_eq!(
        schemas["UpdateChannel"]["properties"]["shop_url"]["type"],
        serde_json::json!(["string", "null"])
    );
    // Names, codes, dates and decimals carry their lengths, patterns and ranges.
    let name = &schemas["CreateSubject"]["properties"]["name"];
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], 255);
    assert!(name["pattern"].as_str().unwrap().contains("x00-"));
    assert_eq!(
        schemas["CreateRecognition"]["properties"]["decision_date"]["pattern"],
        ocop_registry::openapi::DATE_PATTERN
    );
    assert!(schemas["CreateArea"]["properties"]["area_ha"]["pattern"].is_string());
    assert_eq!(
        schemas["CreateRecognition"]["properties"]["stars"]["minimum"],
        3
    );
    assert_eq!(
        schemas["CreateRecognition"]["properties"]["stars"]["maximum"],
        5
    );
    // Path ids are UUIDs; query dates carry the range; If-Match is an ETag.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" && p["name"] == "id" {
                    assert_eq!(p["schema"]["format"], "uuid", "{method} {path}");
                }
                if p["schema"]["format"] == "date" {
                    assert_eq!(
                        p["schema"]["pattern"],
                        ocop_registry::openapi::DATE_PATTERN,
                        "{method} {path} {}",
                        p["name"]
                    );
                }
                if p["name"] == "If-Match" {
                    assert!(p["schema"]["pattern"].is_string(), "{method} {path}");
                }
            }
        }
    }
}

/// Error messages follow the reader's language like the pages (Vietnamese first), down to the
/// particulars: field rules, refusals that name records and values, the parsers' complaints.
/// The code never changes.
#[rocket::async_test]
async fn error_messages_follow_the_readers_language_and_the_code_stays() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bad = serde_json::json!({"name": ""});
    let vi = app.post("/api/v1/subjects", Some(&admin), &bad).await;
    assert_eq!(vi.error_code(), "validation_failed");
    let en = app
        .post("/api/v1/subjects?lang=en", Some(&admin), &bad)
        .await;
    assert_eq!(en.error_code(), "validation_failed");
    assert_eq!(en.body["error"]["message"], "legal_form: is required");
    // The sentence names the field as a person reads it; `fields` keeps the code.
    assert_eq!(
        vi.body["error"]["message"],
        "Loại hình: là thông tin bắt buộc"
    );
    assert_eq!(
        vi.body["error"]["fields"]["legal_form"][0],
        "là thông tin bắt buộc"
    );
    assert_eq!(en.body["error"]["fields"]["legal_form"][0], "is required");

    // A value the owner typed in Vietnamese for a code the API expects.
    let tam_thang = crate::helpers::commune("20335", None).to_string();
    let mut typed = crate::helpers::subject_body("HTX Tam Thăng", &tam_thang);
    typed["legal_form"] = serde_json::json!("hợp tác xã");
    let vi = app.post("/api/v1/subjects", Some(&admin), &typed).await;
    assert_eq!(vi.error_code(), "validation_failed");
    let rule = vi.body["error"]["fields"]["legal_form"][0]
        .as_str()
        .unwrap();
    assert!(
        rule.starts_with("giá trị “hợp tác xã” không hợp lệ: phải là một trong ")
            && rule.contains("cooperative"),
        "{rule}"
    );

    // A refusal naming a record: the tax code already registered.
    let first = app
        .post(
            "/api/v1/subjects",
            Some(&admin),
            &crate::helpers::subject_body("HTX A", &tam_thang),
        )
        .await;
    assert_eq!(first.status, Status::Created, "{:?}", first.body);
    let mut again = crate::helpers::subject_body("HTX B", &tam_thang);
    again["tax_code"] = first.body["tax_code"].clone();
    let tax = first.body["tax_code"].as_str().unwrap();
    let vi = app.post("/api/v1/subjects", Some(&admin), &again).await;
    assert_eq!(vi.error_code(), "conflict");
    assert_eq!(
        vi.body["error"]["message"],
        format!("mã số thuế {tax} đã được đăng ký cho chủ thể “HTX A”")
    );
    let en = app
        .post("/api/v1/subjects?lang=en", Some(&admin), &again)
        .await;
    assert_eq!(
        en.body["error"]["message"],
        format!("tax code {tax} is already registered to subject “HTX A”")
    );

    // A record that does not exist, by its entity's name.
    let missing = "/api/v1/products/6f1c1f0e-0000-4000-8000-000000000000";
    let vi = app.get(missing, Some(&admin)).await;
    assert_eq!(vi.error_code(), "not_found");
    assert_eq!(
        vi.body["error"]["message"],
        "không tìm thấy bản ghi: Sản phẩm “6f1c1f0e-0000-4000-8000-000000000000”"
    );

    // Accept-Language decides when nothing else does.
    let res = app
        .client
        .get("/api/v1/no-such-thing")
        .header(rocket::http::Header::new(
            "Accept-Language",
            "en-US,en;q=0.9",
        ))
        .dispatch()
        .await;
    let body: serde_json::Value = res.into_json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        body["error"]["message"],
        "no resource at GET /api/v1/no-such-thing"
    );
    let res = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(
        res.body["error"]["message"],
        "không có tài nguyên tại GET /api/v1/no-such-thing"
    );
}

//! What an operator sees (issue 32): `/metrics` in Prometheus's format, for administrators
//! only; every answer's request id; one JSON log line per request with `OCOP_LOG_FORMAT=json`.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use rocket::http::{Header, Status};

use crate::helpers::{TestApp, unit};

/// The samples of a scrape, read by a Prometheus text-format parser.
fn scrape(text: &str) -> Vec<prometheus_parse::Sample> {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines)
        .expect("Prometheus text format")
        .samples
}

fn value(s: &prometheus_parse::Sample) -> f64 {
    match s.value {
        prometheus_parse::Value::Counter(v)
        | prometheus_parse::Value::Gauge(v)
        | prometheus_parse::Value::Untyped(v) => v,
        _ => f64::NAN,
    }
}

#[rocket::async_test]
async fn metrics_count_requests_by_route_and_status_for_administrators_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let auditor = app.auditor(unit("district", "502", None)).await;

    let anonymous = app.get("/metrics", None).await;
    assert_eq!(anonymous.status, Status::Unauthorized);
    assert_eq!(anonymous.body["error"]["code"], "unauthorized");
    let refused = app.get("/metrics", Some(&auditor)).await;
    assert_eq!(refused.status, Status::Forbidden, "{:?}", refused.body);

    // A creation, three reads of the subject list and one of an unknown subject.
    app.seed_subject(&admin, "20335", "HTX Đo Đếm").await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/subjects", Some(&admin)).await.status,
            Status::Ok
        );
    }
    let missing = format!("/api/v1/subjects/{}", uuid::Uuid::new_v4());
    assert_eq!(
        app.get(&missing, Some(&admin)).await.status,
        Status::NotFound
    );

    let res = app
        .client
        .get("/metrics")
        .header(Header::new("Authorization", format!("Bearer {admin}")))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert!(
        res.content_type()
            .is_some_and(|c| c.to_string().starts_with("application/openmetrics-text")),
        "{:?}",
        res.content_type()
    );
    let text = res.into_string().await.expect("a body");
    let samples = scrape(&text);
    let requests = |route: &str, status: &str| {
        samples
            .iter()
            .filter(|s| {
                s.metric == "ocop_http_requests_total"
                    && s.labels.get("route") == Some(route)
                    && s.labels.get("status") == Some(status)
                    && s.labels.get("method") == Some("GET")
            })
            .map(value)
            .sum::<f64>()
    };
    // Metrics are the process's: other tests running in this one count too.
    assert!(requests("/api/v1/subjects", "200") >= 3.0, "{text}");
    assert!(requests("/api/v1/subjects/<id>", "404") >= 1.0, "{text}");
    assert!(requests("/metrics", "401") >= 1.0, "{text}");
    assert!(
        samples
            .iter()
            .any(|s| s.metric == "ocop_http_request_duration_seconds_count"
                && s.labels.get("route") == Some("/api/v1/subjects")
                && value(s) >= 3.0),
        "{text}"
    );
    for name in [
        "ocop_webhook_queue_depth",
        "ocop_webhook_queue_oldest_age_seconds",
        "ocop_db_pool_connections",
    ] {
        assert!(samples.iter().any(|s| s.metric == name), "{name}: {text}");
    }
    // A creation passes through the write path: on SQLite, the group commit's batch.
    if app.config.database.url.starts_with("sqlite:") {
        assert!(
            samples
                .iter()
                .any(|s| s.metric == "ocop_group_commit_batch_size_count" && value(s) >= 1.0),
            "{text}"
        );
    }
}

#[rocket::async_test]
async fn every_answer_carries_a_request_id_and_a_callers_is_kept_only_when_trusted() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get("/health")
        .header(Header::new("X-Request-Id", "proxy-abc-123"))
        .dispatch()
        .await;
    let id = res.headers().get_one("X-Request-Id").expect("an id");
    assert_ne!(id, "proxy-abc-123", "not trusted by default");
    assert_eq!(id.len(), 32, "{id}");
    let other = app.client.get("/health").dispatch().await;
    assert_ne!(other.headers().get_one("X-Request-Id"), Some(id));

    let trusting = TestApp::spawn_with(|c| c.telemetry.trust_request_id = true).await;
    let res = trusting
        .client
        .get("/health")
        .header(Header::new("X-Request-Id", "proxy-abc-123"))
        .dispatch()
        .await;
    assert_eq!(res.headers().get_one("X-Request-Id"), Some("proxy-abc-123"));
    // Not an id to write into a log: replaced.
    let res = trusting
        .client
        .get("/health")
        .header(Header::new("X-Request-Id", "a b\tc"))
        .dispatch()
        .await;
    assert_ne!(res.headers().get_one("X-Request-Id"), Some("a b\tc"));
}

/// The real binary with `OCOP_LOG_FORMAT=json`: every line on standard error is one JSON
/// object, and a request's line names its id, route, status, latency and the caller's role.
#[rocket::async_test]
async fn json_logs_are_one_object_per_line_with_a_line_per_request() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = app
        .command()
        .arg("serve")
        .env("OCOP_LOG_FORMAT", "json")
        .env_remove("RUST_LOG")
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_TRUST_REQUEST_ID", "true")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A route whose guard only resolves the caller (a subject's read), and a very long path.
    let subject = app.seed_subject(&admin, "20335", "HTX Nhật Ký").await;
    let read = http
        .get(format!(
            "{base}/api/v1/subjects/{}",
            subject["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .header("X-Request-Id", "log-test-read")
        .send()
        .await
        .expect("an answer");
    assert_eq!(read.status(), reqwest::StatusCode::OK);
    let long = format!("{base}/{}", "a".repeat(5000));
    let res = http
        .get(&long)
        .header("X-Request-Id", "log-test-long")
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status(), reqwest::StatusCode::NOT_FOUND);
    let res = http
        .get(format!("{base}/api/v1/subjects"))
        .bearer_auth(&admin)
        .header("X-Request-Id", "log-test-42")
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("log-test-42")
    );
    // The line is written after the answer is sent: give it a moment, then stop the server.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().expect("stop the server");
    let stderr = server.stderr.take().expect("its standard error");
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map(|l| l.expect("a line"))
        .collect();
    server.wait().ok();
    assert!(!lines.is_empty());
    let objects: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let line = objects
        .iter()
        .find(|o| o["request_id"] == "log-test-42")
        .unwrap_or_else(|| panic!("no line for the request: {lines:#?}"));
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["message"], "request");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/api/v1/subjects");
    assert_eq!(line["status"], 200);
    assert_eq!(line["role"], "admin");
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes"
    );
    let of = |id: &str| {
        objects
            .iter()
            .find(|o| o["request_id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}: {lines:#?}"))
    };
    assert_eq!(of("log-test-read")["role"], "admin");
    assert_eq!(of("log-test-read")["route"], "/api/v1/subjects/<id>");
    let path = of("log-test-long")["path"]
        .as_str()
        .expect("a path")
        .to_owned();
    assert!(
        path.len() <= 256 + '…'.len_utf8() && path.ends_with('…'),
        "{path}"
    );
    // Rocket's own per-request lines are off: they would write the path (and a query) again.
    assert!(
        lines.iter().all(|l| !l.contains("No matching routes")),
        "{lines:#?}"
    );
}

/// A metrics address that is not an IP address and a port stops start-up, saying so, rather
/// than leaving the server running without it.
#[rocket::async_test]
async fn a_wrong_metrics_address_stops_start_up() {
    let app = TestApp::spawn().await;
    let out = app
        .command()
        .arg("serve")
        .env("ROCKET_METRICS_ADDRESS", "localhost:9464")
        .env("ROCKET_PORT", "0")
        .output()
        .expect("run the binary");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("ROCKET_METRICS_ADDRESS must be an IP address and a port"),
        "{said}"
    );
}

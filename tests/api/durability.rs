//! Durability (issue 15): the request path was made cheaper without giving up any
//! acknowledged write. The real binary is killed with SIGKILL in the middle of a stream of
//! creations; every creation it answered 201 must be there afterwards with its audit record.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::{audit_log, subject};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::helpers::{TestApp, commune, subject_body};

const CLIENTS: usize = 8;
const KILL_AFTER: usize = 150;

#[rocket::async_test]
async fn every_acknowledged_creation_survives_a_kill_9() {
    let app = TestApp::spawn().await;
    let out = app
        .command()
        .args(["token", "create", "--role", "admin"])
        .output()
        .expect("run the binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = app
        .command()
        .arg("serve")
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_AUTH_FAILURES_PER_MINUTE", "0")
        .env("ROCKET_PUBLIC_REQUESTS_PER_MINUTE", "0")
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let acked: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    let body = subject_body("HTX Bền Vững", &commune("20335", None).to_string());
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, base, token, acked) = (http.clone(), base.clone(), token.clone(), acked.clone());
        let mut body = body.clone();
        clients.push(tokio::spawn(async move {
            loop {
                body["tax_code"] = crate::helpers::next_tax_code().into();
                let sent = http
                    .post(format!("{base}/api/v1/subjects"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                // Once the server is gone, requests fail: this client is done.
                let Ok(res) = sent else { return };
                assert_eq!(res.status(), reqwest::StatusCode::CREATED);
                let Ok(view) = res.json::<serde_json::Value>().await else {
                    return;
                };
                let id = view["id"].as_str().and_then(|s| s.parse().ok());
                acked.lock().unwrap().push(id.expect("an id"));
            }
        }));
    }
    while acked.lock().unwrap().len() < KILL_AFTER {
        assert!(Instant::now() < deadline, "too few creations acknowledged");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    for c in clients {
        c.await.expect("a client panicked");
    }

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);
    let stored: HashSet<Uuid> = subject::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let audited: HashSet<Uuid> = audit_log::Entity::find()
        .filter(audit_log::Column::Entity.eq("subject"))
        .filter(audit_log::Column::Action.eq("create"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.entity_id)
        .collect();
    let lost: Vec<&Uuid> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged and lost, such as {:?}",
        lost.len(),
        &lost[..lost.len().min(3)]
    );
    // Unacknowledged creations in flight at the kill may have landed, but never half.
    assert_eq!(
        stored, audited,
        "every subject with its audit record, and only those"
    );
    eprintln!(
        "{} acknowledged, {} stored after SIGKILL",
        acked.len(),
        stored.len()
    );
}

/// `backup` (like every command but `serve` and `migrate`) works on an existing registry: run
/// where the database is not, it says so and creates nothing, rather than copying a new empty
/// registry and exiting 0. Where the database is, it copies it.
#[rocket::async_test]
async fn a_backup_of_a_database_that_is_not_there_is_refused() {
    let dir = std::env::temp_dir().join(format!("ocop-nodb-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ocop-registry"))
        .current_dir(&dir)
        .env_remove("DATABASE_URL")
        .env("ROCKET_LOG_LEVEL", "off")
        .args(["backup", "--to", "copy.db"])
        .output()
        .expect("run the binary");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("there is no database at ocop-registry.db") && said.contains("DATABASE_URL"),
        "{said}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir).expect("the folder").collect();
    assert!(left.is_empty(), "nothing created: {left:?}");

    let app = TestApp::spawn().await;
    if app.config.database.url.starts_with("sqlite:") {
        let copy = dir.join("copy.db");
        let out = app
            .command()
            .args(["backup", "--to", copy.to_str().expect("utf-8")])
            .output()
            .expect("run the binary");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::metadata(&copy).expect("the copy").len() > 0);
    }
    std::fs::remove_dir_all(&dir).ok();
}

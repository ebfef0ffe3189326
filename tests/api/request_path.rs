//! What a request costs the database (issue 15): the statements an authenticated read and a
//! creation run, counted exactly, so a round trip added to the hot path fails here.

use std::time::Duration;

use entity::subject;
use rocket::http::{ContentType, Header, Status};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use serde_json::Value;

use crate::helpers::{StatementLog, TestApp, commune, id_of, on_postgres, subject_body, unit};

/// Holds the right to write subjects, as another writer in the middle of its transaction
/// would: SQLite's write lock (`BEGIN IMMEDIATE`), or on PostgreSQL a table lock that lets
/// reads through and makes inserts wait.
async fn hold_the_write_lock(db: &DatabaseConnection) -> DatabaseTransaction {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .expect("begin");
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE subject IN EXCLUSIVE MODE")
            .await
            .expect("lock");
    }
    txn
}

fn bearer(t: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {t}"))
}

/// A creation refused for what it reads is answered while another writer holds the lock: its
/// checks run before it waits for its turn to write (issue 15), so a bad request never queues
/// behind the writers, and the time inside SQLite's single write lock is the inserts alone.
#[rocket::async_test]
async fn a_creation_checks_what_it_reads_before_its_turn_to_write() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let taken = app.seed_subject(&admin, "20335", "HTX Đã Có").await;
    let (client, _log) = app.counted_instance().await;
    let lock = hold_the_write_lock(&app.db).await;

    let mut in_a_district = subject_body("HTX Huyện", &unit("district", "502", None).to_string());
    in_a_district["tax_code"] = Value::Null;
    in_a_district["legal_form"] = "cooperative_group".into();
    let mut tax_taken = subject_body("HTX Trùng Mã", &commune("20335", None).to_string());
    tax_taken["tax_code"] = taken["tax_code"].clone();
    let code = taken["tax_code"].as_str().expect("tax code");
    // The 422 names the field; the 409 the code and its holder.
    for (body, status, named) in [
        (in_a_district, Status::UnprocessableEntity, "commune_id"),
        (tax_taken, Status::Conflict, code),
    ] {
        // Waiting for the lock would end after SQLite's 5 s busy timeout in a 500; the
        // deadline only stops a broken build from hanging here.
        let res = tokio::time::timeout(
            Duration::from_secs(4),
            client
                .post("/api/v1/subjects")
                .header(bearer(&admin))
                .header(ContentType::JSON)
                .body(body.to_string())
                .dispatch(),
        )
        .await
        .expect("answered while another writer holds the lock");
        assert_eq!(res.status(), status);
        let body: Value = res.into_json().await.expect("json");
        let error = body["error"].to_string();
        assert!(error.contains(named), "{named} not named in {error}");
    }
    lock.rollback().await.expect("rollback");
    let count = app.get("/api/v1/subjects", Some(&admin)).await.body["total"].clone();
    assert_eq!(count, 1, "nothing written by the refused creations");
}

/// Once `checked` creations have found their tax codes free (and wait for their turn to
/// write), gives `code` to `holder` in the transaction that holds the lock, and commits it.
async fn take_once_checked(
    log: &StatementLog,
    checked: usize,
    lock: DatabaseTransaction,
    code: &str,
    holder: uuid::Uuid,
) {
    log.wait_for_n("\"tax_code\" =", checked, Duration::from_secs(10))
        .await;
    let take = Query::update()
        .table(subject::Entity)
        .value(subject::Column::TaxCode, code)
        .and_where(Expr::col(subject::Column::Id).eq(holder))
        .to_owned();
    lock.execute(&take).await.expect("take the code");
    lock.commit().await.expect("commit");
}

/// The tax-code check runs before the write lock, so another writer may take the code in
/// between: the unique index catches it, and the answer is the same 409 naming the code as the
/// check's. The overlap is arranged from the statement log, not guessed with a sleep.
#[rocket::async_test]
async fn a_tax_code_taken_while_a_creation_waits_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other = app.seed_subject(&admin, "20335", "HTX Khác").await;
    let (client, log) = app.counted_instance().await;
    let body = subject_body("HTX Chậm Chân", &commune("20335", None).to_string());
    let code = body["tax_code"].as_str().expect("tax code").to_owned();

    let lock = hold_the_write_lock(&app.db).await;
    log.start();
    let create = client
        .post("/api/v1/subjects")
        .header(bearer(&admin))
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch();
    // The creation has found the code free and now waits for its turn to write.
    let interfere = take_once_checked(&log, 1, lock, &code, id_of(&other));
    let (res, ()) = tokio::join!(create, interfere);
    assert_eq!(res.status(), Status::Conflict);
    let body: Value = res.into_json().await.expect("json");
    assert_eq!(body["error"]["code"], "conflict");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&code) && message.contains(other["name"].as_str().unwrap()),
        "the conflict names the code and its holder: {message}"
    );
    let list = app.get("/api/v1/subjects", Some(&admin)).await.body;
    assert_eq!(list["total"], 1, "nothing written by the refused creation");
}

/// Creations waiting for their turn are written together (db::write_at_once); one whose tax
/// code was taken meanwhile fails alone, with its 409, and every other is made with its version
/// and its audit record.
#[rocket::async_test]
async fn creations_written_together_fail_alone() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other = app.seed_subject(&admin, "20335", "HTX Khác").await;
    let (client, log) = app.counted_instance().await;
    // As many as PostgreSQL's pool lets wait on its table lock at once (each waiting insert
    // holds a connection).
    let bodies: Vec<Value> = (0..4)
        .map(|i| {
            subject_body(
                &format!("HTX Cùng Lúc {i}"),
                &commune("20335", None).to_string(),
            )
        })
        .collect();
    let code = bodies[1]["tax_code"].as_str().expect("tax code").to_owned();

    let lock = hold_the_write_lock(&app.db).await;
    log.start();
    let creations = futures::future::join_all(bodies.iter().map(|body| {
        client
            .post("/api/v1/subjects")
            .header(bearer(&admin))
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
    }));
    // Every creation has found its code free and waits to write.
    let interfere = take_once_checked(&log, 4, lock, &code, id_of(&other));
    let (responses, ()) = tokio::join!(creations, interfere);
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().code).collect();
    assert_eq!(statuses, [201, 409, 201, 201]);
    assert_eq!(
        app.get("/api/v1/subjects", Some(&admin)).await.body["total"],
        4
    );
    assert_eq!(
        app.count("audit_log WHERE entity = 'subject' AND action = 'create'")
            .await,
        4
    );
    assert_eq!(app.count("subject_version").await, 4);
    let written: Vec<String> = log.take();
    if app.db.get_database_backend() == DbBackend::Sqlite {
        assert!(
            written
                .iter()
                .any(|s| s.matches("INSERT INTO \"subject\"").count() > 1),
            "creations that waited together were sent together"
        );
    }
}

#[rocket::async_test]
async fn an_authenticated_read_and_a_creation_cost_a_known_number_of_statements() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Đo Lường").await;
    let owner = app.owner_of(&s).await;
    let (client, log) = app.counted_instance().await;
    let path = format!("/api/v1/subjects/{}", id_of(&s));

    let mut costs = Vec::new();
    for (who, token) in [("admin", &admin), ("owner", &owner)] {
        // The first read of a process warms its caches (the unit graph, the token's actor);
        // the second is the steady state.
        for round in 0..2 {
            log.start();
            let res = client
                .get(path.as_str())
                .header(bearer(token))
                .dispatch()
                .await;
            let statements = log.take();
            assert_eq!(res.status(), Status::Ok);
            if round == 1 {
                // The token, remembered, is confirmed live by the read's own statement.
                assert!(
                    statements.iter().all(|st| st.contains("api_token")),
                    "{statements:?}"
                );
                eprintln!("GET subject as {who}: {} statements", statements.len());
                for st in &statements {
                    eprintln!("  {st}");
                }
                costs.push((who, statements.len()));
            }
        }
    }
    log.start();
    let res = client
        .post("/api/v1/subjects")
        .header(bearer(&admin))
        .header(ContentType::JSON)
        .body(subject_body("HTX Mới", &commune("20335", None).to_string()).to_string())
        .dispatch()
        .await;
    let statements = log.take();
    assert_eq!(res.status(), Status::Created);
    eprintln!("POST subject: {} statements", statements.len());
    for st in &statements {
        eprintln!("  {st}");
    }
    costs.push(("create", statements.len()));
    // A read: the subject joined to its commune, whether it moved (the communes of its
    // location history are read only when it did) and whether the remembered token is live. A creation: the token; the tax
    // code's other holder (the commune, read once, is kept: units are never edited); then the
    // row, its first version and its audit record — on SQLite sent as one text with the other
    // creations waiting (db::write_at_once), on PostgreSQL one statement each
    // (docs/benchmarks.md, "Request path").
    let sqlite = app.db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let written = statements.last().unwrap();
    if sqlite {
        assert_eq!(written.matches("INSERT INTO").count(), 3, "{written}");
    }
    let create = if sqlite { 3 } else { 5 };
    assert_eq!(costs, [("admin", 1), ("owner", 1), ("create", create)]);
}

/// A request's status and body.
async fn ask(
    client: &rocket::local::asynchronous::Client,
    path: &str,
    token: &str,
) -> (Status, String) {
    let res = client.get(path).header(bearer(token)).dispatch().await;
    (res.status(), res.into_string().await.unwrap_or_default())
}

/// Revokes, through `app`, the token of subject `s`'s owner.
async fn revoke_owner_token(app: &TestApp, admin: &str, s: &Value) {
    let tokens = app.get("/api/v1/tokens?per_page=100", Some(admin)).await;
    let id = tokens.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject_id"] == s["id"])
        .map(id_of)
        .unwrap();
    let revoked = app
        .send_raw(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(admin),
            String::new(),
            None,
        )
        .await;
    assert_eq!(revoked.status, Status::Ok, "{:?}", revoked.body);
}

/// A process that remembers a token still asks the database whether it is live, in the read's
/// own statement: a token revoked by another process is refused at once — for the subject read
/// before, for another owner's, for one that does not exist (a revoked token learns nothing of
/// either), and on every other route.
#[rocket::async_test]
async fn a_token_revoked_by_another_process_is_refused_at_once_by_one_that_remembers_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Nhớ Mã").await;
    let other = app.seed_subject(&admin, "20335", "HTX Bên Cạnh").await;
    let owner = app.owner_of(&s).await;
    let (b, _) = app.another_instance().await;
    let mine = format!("/api/v1/subjects/{}", id_of(&s));
    let theirs = format!("/api/v1/subjects/{}", id_of(&other));
    let ghost = format!("/api/v1/subjects/{}", uuid::Uuid::new_v4());
    for _ in 0..2 {
        assert_eq!(ask(&b, &mine, &owner).await.0, Status::Ok);
    }
    assert_eq!(ask(&b, &theirs, &owner).await.0, Status::NotFound);
    assert_eq!(ask(&b, &ghost, &owner).await.0, Status::NotFound);

    revoke_owner_token(&app, &admin, &s).await;

    for path in [mine.as_str(), &theirs, &ghost, "/api/v1/subjects"] {
        let (status, body) = ask(&b, path, &owner).await;
        assert_eq!(status, Status::Unauthorized, "{path}: {body}");
        assert!(body.contains("\"unauthorized\""), "{path}: {body}");
    }
    // The other tokens B remembers are untouched.
    assert_eq!(ask(&b, &mine, &admin).await.0, Status::Ok);
    assert_eq!(ask(&b, &mine, &admin).await.0, Status::Ok);
}

/// A revoked token that a process still remembers is refused by the read's own statement, and
/// that refusal counts against the client's failed authentications as the guard's would: once
/// over the allowance, 429 — each refusal counted once.
#[rocket::async_test]
async fn a_remembered_token_refused_by_the_read_counts_as_a_failed_authentication() {
    let app = TestApp::spawn_with(|c| c.quotas.auth_failures_per_minute = 2).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Đếm Lỗi").await;
    let owner = app.owner_of(&s).await;
    let (b, _) = app.another_instance().await;
    let mine = format!("/api/v1/subjects/{}", id_of(&s));
    assert_eq!(ask(&b, &mine, &owner).await.0, Status::Ok);
    revoke_owner_token(&app, &admin, &s).await;

    let statuses = [
        ask(&b, &mine, &owner).await,
        ask(&b, &mine, &owner).await,
        ask(&b, &mine, &owner).await,
    ];
    let codes: Vec<Status> = statuses.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        codes,
        [
            Status::Unauthorized,
            Status::Unauthorized,
            Status::TooManyRequests
        ],
        "{statuses:?}"
    );
    assert!(
        statuses[2].1.contains("too_many_requests"),
        "{}",
        statuses[2].1
    );
}

/// SQLite's write-ahead log stays bounded while creations and reads run together: its automatic
/// checkpoint (every 1,000 pages) keeps up, so the file holds what a few checkpoint intervals
/// write (about 7 MB here), not all that the creations wrote (22 MB with checkpoints off).
#[rocket::async_test]
async fn the_sqlite_wal_stays_bounded_under_concurrent_creations_and_reads() {
    if on_postgres() {
        // PostgreSQL's own WAL is the server's to recycle.
        return;
    }
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Đọc Liên Tục").await;
    let read = format!("/api/v1/subjects/{}", id_of(&s));
    let commune = commune("20335", None).to_string();
    let wal = app
        .config
        .database
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .map(|path| format!("{path}-wal"))
        .unwrap();
    for round in 0..60 {
        let creations = futures::future::join_all((0..25).map(|i| {
            app.client
                .post("/api/v1/subjects")
                .header(bearer(&admin))
                .header(ContentType::JSON)
                .body(subject_body(&format!("HTX Nhật Ký {round}-{i}"), &commune).to_string())
                .dispatch()
        }));
        let reads = futures::future::join_all((0..25).map(|_| {
            app.client
                .get(read.as_str())
                .header(bearer(&admin))
                .dispatch()
        }));
        let (created, read) = tokio::join!(creations, reads);
        assert!(created.iter().all(|r| r.status() == Status::Created));
        assert!(read.iter().all(|r| r.status() == Status::Ok));
    }
    let pages: i64 = {
        use sea_orm::ConnectionTrait;
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT page_size FROM pragma_page_size",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "page_size").unwrap()
    };
    let size = std::fs::metadata(&wal).expect("the WAL file").len();
    let bound = 3 * 1_000 * u64::try_from(pages).unwrap();
    eprintln!("WAL after 1,500 creations and 1,500 reads: {size} bytes (bound {bound})");
    assert!(size <= bound, "the WAL holds {size} bytes, over {bound}");
}

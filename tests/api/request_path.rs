//! What a request costs the database (issue 15): the statements an authenticated read and a
//! creation run, counted exactly, so a round trip added to the hot path fails here.

use rocket::http::{ContentType, Header, Status};

use crate::helpers::{TestApp, commune, id_of, subject_body};

#[rocket::async_test]
async fn an_authenticated_read_and_a_creation_cost_a_known_number_of_statements() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Đo Lường").await;
    let owner = app.owner_of(&s).await;
    let (client, log) = app.counted_instance().await;
    let bearer = |t: &str| Header::new("Authorization", format!("Bearer {t}"));
    let path = format!("/api/v1/subjects/{}", id_of(&s));

    let mut costs = Vec::new();
    for (who, token) in [("admin", &admin), ("owner", &owner)] {
        // The first read of a process warms its caches (the unit graph); the second is the
        // steady state.
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
    // A read: the token; the subject; its commune; its relocations (the communes of its
    // location history are read only when it moved). A creation: the token; the commune; the tax code's other holder; the
    // row, its first version and its audit record (docs/benchmarks.md, "Request path").
    assert_eq!(costs, [("admin", 4), ("owner", 4), ("create", 6)]);
}

//! Recorded time beside effective time (docs/domain.md §8): a report "as known at" a past instant is
//! the report the registry gave at that instant, whatever was recorded later — back-dated
//! entries, edits, relocations, revocations, catalogue changes.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocket::http::Status;
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of, on_postgres, unit};

/// The report dates every step is checked on (before the 2025 reform, when the province and its
/// districts existed).
const DATES: [&str; 3] = ["2023-06-30", "2024-12-31", "2025-06-30"];

/// A unit's code, population and the two numerators.
type Row = (String, i64, i64, i64);

/// The figures of a report that must hold: the unit's and each child's population and
/// numerators.
fn figures(r: &Value) -> Vec<Row> {
    let row = |u: &Value| {
        let n = |k: &str| {
            u["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["key"] == k)
                .unwrap()["numerator"]
                .as_i64()
                .unwrap()
        };
        (
            u["unit"]["code"].as_str().unwrap().to_owned(),
            u["population"].as_i64().unwrap(),
            n("value_chain"),
            n("modern_channel"),
        )
    };
    let mut out = vec![row(r)];
    out.extend(r["children"].as_array().unwrap().iter().map(row));
    out
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

async fn report(app: &TestApp, token: &str, d: &str, known_at: Option<DateTime<Utc>>) -> Value {
    let province = unit("province", "49", None);
    let known = known_at.map_or(String::new(), |t| {
        format!("&known_at={}", urlencoding(&instant(t)))
    });
    let res = app
        .get(
            &format!("/api/v1/indicators?unit_id={province}&as_of={d}{known}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    res.body
}

/// `+` and `:` in a query value.
fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn date(rng: &mut StdRng, from_year: i32, to_year: i32) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.random_range(from_year..=to_year),
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    )
}

/// What the random history has built so far.
#[derive(Default)]
struct World {
    subjects: Vec<Value>,
    products: Vec<Value>,
    recognitions: Vec<Value>,
    certs: Vec<Value>,
    areas: Vec<Value>,
    channels: Vec<Value>,
}

/// One random write through the API, as an administrator or an auditor would make it. Writes
/// the registry refuses (a transition it does not allow, a revocation before the decision) are
/// part of the history too: they must change nothing.
async fn step(app: &TestApp, admin: &str, rng: &mut StdRng, w: &mut World, n: usize) -> String {
    let pick = |rng: &mut StdRng, v: &Vec<Value>| v[rng.random_range(0..v.len())].clone();
    let communes = ["20335", "20341", "20551"];
    // Weighted towards what moves the value-chain figure (certificates, their moves, areas) and
    // the catalogue's caps that bound them.
    const OPS: [u32; 16] = [0, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 9, 9];
    let op = OPS[rng.random_range(0..OPS.len())];
    let res = match op {
        0 => {
            let p = pick(rng, &w.products);
            let res = app
                .post(
                    &format!("/api/v1/products/{}/recognitions", id_of(&p)),
                    Some(admin),
                    &json!({"stars": rng.random_range(2..=4), "decision_no": format!("QĐ {n}"),
                            "decision_date": date(rng, 2019, 2025),
                            "authority": "UBND tỉnh Quảng Nam", "kind": "new"}),
                )
                .await;
            if res.status == Status::Created {
                w.recognitions.push(res.body.clone());
            }
            res
        }
        1 if !w.recognitions.is_empty() => {
            let r = pick(rng, &w.recognitions);
            app.post(
                &format!("/api/v1/recognitions/{}/revoke", id_of(&r)),
                Some(admin),
                &json!({"revoked_on": date(rng, 2020, 2025), "decision_no": format!("TH {n}"),
                        "reason": "vi phạm"}),
            )
            .await
        }
        2 => {
            let s = pick(rng, &w.subjects);
            let issued = date(rng, 2021, 2025);
            let years: i32 = rng.random_range(1..=4);
            let expires = format!(
                "{}{}",
                issued[..4].parse::<i32>().unwrap() + years,
                &issued[4..]
            );
            let res = app
                .post(
                    &format!("/api/v1/subjects/{}/certifications", id_of(&s)),
                    Some(admin),
                    &json!({"scheme": "vietgap", "certificate_no": format!("VG-{n}"),
                            "issuer": "QUACERT", "issued_on": issued, "expires_on": expires,
                            "submitted_on": "2019-01-01"}),
                )
                .await;
            if res.status == Status::Created {
                w.certs.push(res.body.clone());
            }
            res
        }
        3 if !w.certs.is_empty() => {
            let c = pick(rng, &w.certs);
            let to = ["verified", "verified", "verified", "suspended", "revoked"]
                [rng.random_range(0..5)];
            app.post(
                &format!("/api/v1/certifications/{}/transitions", id_of(&c)),
                Some(admin),
                &json!({"to": to, "reason": "kiểm tra", "effective_on": date(rng, 2021, 2025)}),
            )
            .await
        }
        4 => {
            let s = pick(rng, &w.subjects);
            let body = if rng.random_bool(0.5) {
                json!({"name": format!("Vùng {n}"), "commune_id": commune("20335", None),
                       "material": "Quế", "area_ha": "2", "tenure": "own",
                       "valid_from": date(rng, 2019, 2025), "submitted_on": "2019-01-01"})
            } else {
                let start = date(rng, 2019, 2024);
                let end = format!("{}{}", start[..4].parse::<i32>().unwrap() + 3, &start[4..]);
                json!({"name": format!("Vùng {n}"), "commune_id": commune("20335", None),
                       "material": "Quế", "area_ha": "3,5", "tenure": "linked",
                       "linkage_contract_no": format!("HĐ {n}"), "linkage_counterparty": "THT",
                       "linkage_counterparty_kind": "households", "linkage_households": 12,
                       "linkage_start_on": start, "linkage_end_on": end,
                       "submitted_on": "2019-01-01"})
            };
            let res = app
                .post(
                    &format!("/api/v1/subjects/{}/areas", id_of(&s)),
                    Some(admin),
                    &body,
                )
                .await;
            if res.status == Status::Created {
                // Verified on a drawn day (policy version 3 counts verified areas only).
                let verified = app
                    .verify_area(admin, &res.body, &date(rng, 2021, 2025))
                    .await;
                w.areas.push(verified);
            }
            res
        }
        5 if !w.areas.is_empty() => {
            let a = pick(rng, &w.areas);
            let valid_to = if rng.random_bool(0.7) {
                json!(date(rng, 2022, 2025))
            } else {
                Value::Null
            };
            app.patch(
                &format!("/api/v1/areas/{}", id_of(&a)),
                Some(admin),
                &json!({"valid_to": valid_to}),
                None,
            )
            .await
        }
        6 => {
            let s = pick(rng, &w.subjects);
            let res = app
                .post(
                    &format!("/api/v1/subjects/{}/channels", id_of(&s)),
                    Some(admin),
                    &json!({"kind": "marketplace", "platform": "shopee",
                            "shop_id": format!("{}", 9000 + n),
                            "active_from": date(rng, 2019, 2024)}),
                )
                .await;
            if res.status == Status::Created {
                w.channels.push(res.body.clone());
            }
            res
        }
        7 if !w.channels.is_empty() => {
            let c = pick(rng, &w.channels);
            app.post(
                &format!("/api/v1/channels/{}/verify", id_of(&c)),
                Some(admin),
                &json!({"verified_on": date(rng, 2022, 2025)}),
            )
            .await
        }
        8 => {
            let s = pick(rng, &w.subjects);
            let to = commune(communes[rng.random_range(0..communes.len())], None);
            app.patch(
                &format!("/api/v1/subjects/{}", id_of(&s)),
                Some(admin),
                &json!({"commune_id": to, "effective_on": date(rng, 2022, 2025)}),
                None,
            )
            .await
        }
        _ => {
            let schemes = app.get("/api/v1/schemes", Some(admin)).await;
            let vietgap = schemes.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["code"] == "vietgap")
                .unwrap()
                .clone();
            let months = [12, 24, 27, 36][rng.random_range(0..4)];
            app.patch(
                &format!("/api/v1/schemes/{}", id_of(&vietgap)),
                Some(admin),
                &json!({"max_validity_months": months}),
                None,
            )
            .await
        }
    };
    assert!(
        res.status.code < 500,
        "step {n} (op {op}) failed: {:?}",
        res.body
    );
    format!("op {op} → {}", res.status.code)
}

#[rocket::async_test]
async fn reports_recomputed_as_known_at_any_past_instant_match_what_was_computed_then() {
    // Arrange: six active subjects in three communes of two districts, each with a product.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut w = World::default();
    for (i, c) in ["20335", "20341", "20551", "20335", "20341", "20551"]
        .iter()
        .enumerate()
    {
        let s = app
            .seed_subject(&admin, c, &format!("HTX Lịch Sử {i}"))
            .await;
        let p = app.seed_product(&admin, &s, &format!("Sản phẩm {i}")).await;
        // Half active on every report date, half only on the first.
        let decided = if i % 2 == 0 {
            "2022-09-01"
        } else {
            "2021-03-01"
        };
        app.seed_recognition(&admin, &p, &format!("QĐ gốc {i}"), decided, 3)
            .await;
        w.subjects.push(s);
        w.products.push(p);
    }
    // A smaller history on PostgreSQL, whose round trips are slower.
    let steps = if on_postgres() { 50 } else { 120 };
    let seed = 20_251_130;
    let mut rng = StdRng::seed_from_u64(seed);

    // Act: after every write, note the instant and the reports the registry gives then; freeze
    // one now and then.
    let mut seen: Vec<(DateTime<Utc>, String, Vec<Vec<Row>>)> = Vec::new();
    let mut frozen: Vec<(String, Value)> = Vec::new();
    for n in 0..steps {
        let what = step(&app, &admin, &mut rng, &mut w, n).await;
        let at = ocop_registry::clock::now();
        let mut now = Vec::new();
        for d in DATES {
            now.push(figures(&report(&app, &admin, d, None).await));
        }
        seen.push((at, what, now));
        if n % 15 == 7 {
            let f = app
                .post(
                    "/api/v1/reports",
                    Some(&admin),
                    &json!({"unit_id": unit("province", "49", None), "as_of": DATES[n % 3]}),
                )
                .await;
            assert_eq!(f.status, Status::Created, "{:?}", f.body);
            frozen.push((DATES[n % 3].to_owned(), f.body));
        }
    }

    // Assert: every report, recomputed as known at its instant, gives the same figures.
    let changed = seen.windows(2).filter(|p| p[0].2 != p[1].2).count();
    assert!(
        changed >= steps / 20,
        "the random history should move the figures ({changed} of {steps} steps did)"
    );
    for (k, (at, what, then)) in seen.iter().enumerate() {
        for (d, figures_then) in DATES.iter().zip(then) {
            let again = figures(&report(&app, &admin, d, Some(*at)).await);
            assert_eq!(
                &again, figures_then,
                "seed {seed}: the report for {d} as known at {at} ({what}) differs"
            );
            // The explanations, read from the same versions, say what the count says.
            if k % 4 == 0 {
                let list = app
                    .get(
                        &format!(
                            "/api/v1/indicators/subjects?unit_id={}&as_of={d}&per_page=100&known_at={}",
                            unit("province", "49", None),
                            urlencoding(&instant(*at))
                        ),
                        Some(&admin),
                    )
                    .await;
                assert_eq!(list.status, Status::Ok, "{:?}", list.body);
                let items = list.body["items"].as_array().unwrap();
                let counting = items
                    .iter()
                    .filter(|i| i["value_chain"]["counts"] == true)
                    .count() as i64;
                assert_eq!(counting, figures_then[0].2, "{d} as known at {at}");
                assert!(
                    !list.body.to_string().contains("internal inconsistency"),
                    "{d} as known at {at}: {}",
                    list.body
                );
            }
        }
    }
    // A frozen report records its knowledge time; recomputing with it gives what was filed.
    assert!(!frozen.is_empty());
    for (d, f) in &frozen {
        let known_at: DateTime<Utc> = f["report"]["known_at"].as_str().unwrap().parse().unwrap();
        let again = report(&app, &admin, d, Some(known_at)).await;
        assert_eq!(
            figures(&again),
            figures(&f["report"]),
            "frozen report {}",
            f["id"]
        );
    }
}

#[rocket::async_test]
async fn a_listing_counts_as_known_only_once_its_sighting_was_recorded() {
    use entity::sales_channel;
    use ocop_registry::channels::observe::{Observation, observe};
    use ocop_registry::domain::ListingStatus;
    use sea_orm::EntityTrait;

    // Arrange: an active subject with a Shopee shop; the marketplace saw its listing on
    // 1 February 2025, long before the window of a report for 30 June (90 days).
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Gian Hàng").await;
    let p = app.seed_product(&admin, &s, "Trà").await;
    app.seed_recognition(&admin, &p, "QĐ 1", "2023-03-01", 3)
        .await;
    let ch = app
        .post(
            &format!("/api/v1/subjects/{}/channels", id_of(&s)),
            Some(&admin),
            &json!({"kind": "marketplace", "platform": "shopee", "shop_id": "4242"}),
        )
        .await;
    assert_eq!(ch.status, Status::Created, "{:?}", ch.body);
    let channel = sales_channel::Entity::find_by_id(id_of(&ch.body))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let item = Observation {
        external_id: "sp-1".to_owned(),
        title: "Trà".to_owned(),
        price_vnd: Some(90_000),
        status: ListingStatus::Active,
    };
    let seen = |d: &str| -> DateTime<Utc> { format!("{d}T03:00:00Z").parse().unwrap() };
    observe(
        &app.db,
        &channel,
        seen("2025-02-01"),
        true,
        std::slice::from_ref(&item),
    )
    .await
    .unwrap();
    let first = ocop_registry::clock::now();
    let mc = |r: &Value| figures(r)[0].3;
    assert_eq!(mc(&report(&app, &admin, "2025-06-30", None).await), 0);

    // Act: later, the sync sees it again, on 20 June 2025; the span grows over the window.
    observe(&app.db, &channel, seen("2025-06-20"), true, &[item])
        .await
        .unwrap();

    // Assert: it counts now, and not as known before the second sighting was recorded.
    assert_eq!(mc(&report(&app, &admin, "2025-06-30", None).await), 1);
    assert_eq!(
        mc(&report(&app, &admin, "2025-06-30", Some(first)).await),
        0
    );
    let explained = app
        .get(
            &format!(
                "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&known_at={}",
                unit("province", "49", None),
                urlencoding(&instant(first))
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(explained.status, Status::Ok, "{:?}", explained.body);
    let item = &explained.body["items"][0];
    assert_eq!(item["modern_channel"]["counts"], false, "{item}");
    assert!(
        !item["modern_channel"]["reasons"]
            .to_string()
            .contains("internal inconsistency"),
        "{item}"
    );
}

#[rocket::async_test]
async fn known_at_must_be_a_past_instant() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let province = unit("province", "49", None);
    for (value, status) in [
        ("2100-01-01T00:00:00Z", Status::UnprocessableEntity),
        ("2025-13-01T00:00:00Z", Status::UnprocessableEntity),
        ("2025-06-30", Status::UnprocessableEntity),
        ("1800-01-01T00:00:00Z", Status::UnprocessableEntity),
    ] {
        let res = app
            .get(
                &format!(
                    "/api/v1/indicators?unit_id={province}&as_of=2025-06-30&known_at={}",
                    urlencoding(value)
                ),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status, status, "{value}: {:?}", res.body);
        assert_eq!(res.error_fields(), vec!["known_at"], "{value}");
    }
    // `changes` compares two past instants, in order.
    for (query, field) in [
        ("since=yesterday", "since"),
        ("since=2100-01-01T00%3A00%3A00Z", "since"),
        (
            "since=2025-01-01T00%3A00%3A00Z&until=2024-01-01T00%3A00%3A00Z",
            "until",
        ),
        (
            "since=2025-01-01T00%3A00%3A00Z&until=2100-01-01T00%3A00%3A00Z",
            "until",
        ),
    ] {
        let res = app
            .get(
                &format!("/api/v1/indicators/changes?unit_id={province}&as_of=2025-06-30&{query}"),
                Some(&admin),
            )
            .await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{query}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field], "{query}");
    }
    // Before anything was recorded, nothing is known: an empty province, not an error.
    let empty = report(
        &app,
        &admin,
        "2025-06-30",
        Some("2020-01-01T00:00:00+07:00".parse().unwrap()),
    )
    .await;
    assert_eq!(empty["population"], 0);
    assert_eq!(empty["known_at"], "2019-12-31T17:00:00Z");
}

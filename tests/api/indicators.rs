//! The indicator engine on a hand-built scenario whose answers are worked out below, rule by
//! rule, at each edge.
//!
//! Report date D = 2025-06-30. Every subject has an active 3★ recognition decided 2024-01-15
//! (valid until 2027-01-15) unless said otherwise.
//!
//! | subject | commune | what it tests | population on D | value chain on D | modern channel on D |
//! |---|---|---|---|---|---|
//! | S1 | 20551 | recognition of 2022-06-30 expires exactly on D | no | – | – |
//! | S2 | 20335 | recognition of 2022-07-01 expires the day after D | yes | no | no |
//! | S3 | 20551 | recognition revoked on D | no | – | – |
//! | S4 | 20335 | two rated products; circular cert + leased area; verified supermarket | yes (once) | yes | yes |
//! | S6 | 20335 | green cert verified, suspended 2025-06-01; own area; verified showroom (not modern) | yes | no | no |
//! | S7 | 20335 | green cert verified 2025-07-10 (after D); own area | yes | no | no |
//! | S8 | 20341 | quality (HACCP) cert verified; own area | yes | no | no |
//! | S9 | 20341 | green cert; linkage contract of 35 months | yes | no | no |
//! | S10 | 20335 | green cert; linkage contract of 36 months; verified marketplace | yes | yes | yes |
//! | S11 | 20341 | green cert; short contract but a growing-area code | yes | yes | no |
//! | S12 | 20341 | marketplace verified 2025-07-15 (after D) | yes | no | no |
//! | S13 | 20551 | active listing seen 90 days before D | yes | no | yes |
//! | S14 | 20551 | active listing seen 91 days before D | yes | no | no |
//! | S15 | 20335 | declared-only marketplace | yes | no | no |
//! | S16 | 20551 | green cert + own area; verified convenience chain | yes | yes | yes |
//!
//! Tam Kỳ (502): 20335 {S2 S4 S6 S7 S10 S15} + 20341 {S8 S9 S11 S12} = 10; value chain S4 S10
//! S11 = 3/10 = 30.00 % (exactly the target: met, gap 0); modern S4 S10 = 2/10 = 20.00 %, gap
//! ⌈50 % × 10⌉ − 2 = 3. Điện Bàn (507): 20551 {S13 S14 S16} = 3; value chain S16 = 1/3 =
//! 33.33 %; modern S13 S16 = 2/3 = 66.67 %. Quảng Nam (49): 13; value chain 4/13 = 30.77 %
//! (met); modern 4/13 = 30.77 %, gap ⌈6.5⌉ − 4 = 3.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::sales_channel;
use ocop_registry::channels::observe::{Observation, observe};
use ocop_registry::domain::ListingStatus;
use rocket::http::Status;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, commune, id_of, unit};

const D: &str = "2025-06-30";

/// The hand-worked scenario above (the pages' tests read the same figures).
pub(crate) struct Scenario {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) s: std::collections::HashMap<&'static str, Value>,
}

pub(crate) fn vn_noon(day: &str) -> DateTime<Utc> {
    let d: NaiveDate = day.parse().unwrap();
    // 12:00 in Vietnam is 05:00 UTC.
    Utc.from_utc_datetime(&d.and_hms_opt(5, 0, 0).unwrap())
}

impl Scenario {
    async fn subject(&mut self, key: &'static str, commune_code: &str) -> Value {
        let s = self.app.seed_subject(&self.admin, commune_code, key).await;
        self.s.insert(key, s.clone());
        s
    }

    async fn rated(&mut self, key: &'static str, commune_code: &str) -> Value {
        let s = self.subject(key, commune_code).await;
        let p = self
            .app
            .seed_product(&self.admin, &s, &format!("Sản phẩm {key}"))
            .await;
        self.app
            .seed_recognition(&self.admin, &p, &format!("QĐ-{key}"), "2024-01-15", 3)
            .await;
        s
    }

    pub(crate) async fn cert(
        &self,
        s: &Value,
        scheme: &str,
        no: &str,
        moves: &[(&str, &str)],
    ) -> Value {
        let res = self
            .app
            .post(
                &format!("/api/v1/subjects/{}/certifications", id_of(s)),
                Some(&self.admin),
                &json!({"scheme": scheme, "certificate_no": no, "issuer": "QUACERT",
                        "issued_on": "2025-01-05", "expires_on": "2027-01-05",
                        "submitted_on": "2025-01-05"}),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        let mut c = res.body;
        for (to, on) in moves {
            let r = self
                .app
                .post(
                    &format!("/api/v1/certifications/{}/transitions", id_of(&c)),
                    Some(&self.admin),
                    &json!({"to": to, "reason": "thẩm định", "effective_on": on}),
                )
                .await;
            assert_eq!(r.status, Status::Ok, "{:?}", r.body);
            c = r.body;
        }
        c
    }

    pub(crate) async fn area(
        &self,
        s: &Value,
        tenure: &str,
        linkage: Option<(&str, &str)>,
        code: Option<&str>,
    ) -> Value {
        let mut body = json!({"name": format!("Vùng {tenure}"), "commune_id": commune("20335", None),
                              "material": "Quế", "area_ha": "2.5", "tenure": tenure,
                              "submitted_on": "2020-01-01"});
        if let Some((start, end)) = linkage {
            body["linkage"] = json!({"contract_no": format!("HĐ-{start}-{end}"), "counterparty": "Tổ hợp tác",
                                     "counterparty_kind": "households", "households": 12,
                                     "start_on": start, "end_on": end});
        }
        if let Some(code) = code {
            body["growing_area_code"] = json!(code);
        }
        let res = self
            .app
            .post(
                &format!("/api/v1/subjects/{}/areas", id_of(s)),
                Some(&self.admin),
                &body,
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        // Verified before every date the scenario reports on (policy version 3).
        self.app
            .verify_area(&self.admin, &res.body, "2020-01-01")
            .await
    }

    async fn channel(
        &self,
        s: &Value,
        kind: &str,
        platform: &str,
        verified_on: Option<&str>,
    ) -> Value {
        let res = self
            .app
            .post(
                &format!("/api/v1/subjects/{}/channels", id_of(s)),
                Some(&self.admin),
                &json!({"kind": kind, "platform": platform,
                        "shop_url": format!("https://shop.example.vn/{}", uuid::Uuid::new_v4()),
                        "active_from": "2024-01-01", "submitted_on": "2024-01-01"}),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        let mut c = res.body;
        if let Some(on) = verified_on {
            let r = self
                .app
                .post(
                    &format!("/api/v1/channels/{}/verify", id_of(&c)),
                    Some(&self.admin),
                    &json!({"verified_on": on}),
                )
                .await;
            assert_eq!(r.status, Status::Ok, "{:?}", r.body);
            c = r.body;
        }
        c
    }

    /// The sync saw one active listing on the channel at noon of `day`.
    async fn listing_seen(&self, channel: &Value, external_id: &str, day: &str) {
        let model = sales_channel::Entity::find_by_id(id_of(channel))
            .one(&self.app.db)
            .await
            .unwrap()
            .unwrap();
        observe(
            &self.app.db,
            &model,
            vn_noon(day),
            true,
            &[Observation {
                external_id: external_id.to_owned(),
                title: "Trà sâm 100g".to_owned(),
                price_vnd: Some(125_000),
                status: ListingStatus::Active,
            }],
        )
        .await
        .unwrap();
    }

    pub(crate) async fn build() -> Scenario {
        let app = TestApp::spawn().await;
        let admin = app.admin().await;
        let mut sc = Scenario {
            app,
            admin,
            s: Default::default(),
        };
        // S1: recognition expiring exactly on D; S2: the day after.
        let s1 = sc.subject("S1", "20551").await;
        let p = sc.app.seed_product(&sc.admin, &s1, "Sản phẩm S1").await;
        let r = sc
            .app
            .seed_recognition(&sc.admin, &p, "QĐ-S1", "2022-06-30", 3)
            .await;
        assert_eq!(r["valid_until"], D);
        let s2 = sc.subject("S2", "20335").await;
        let p = sc.app.seed_product(&sc.admin, &s2, "Sản phẩm S2").await;
        sc.app
            .seed_recognition(&sc.admin, &p, "QĐ-S2", "2022-07-01", 3)
            .await;
        // S3: revoked on D.
        let s3 = sc.subject("S3", "20551").await;
        let p = sc.app.seed_product(&sc.admin, &s3, "Sản phẩm S3").await;
        let r = sc
            .app
            .seed_recognition(&sc.admin, &p, "QĐ-S3", "2024-01-01", 4)
            .await;
        let res = sc
            .app
            .post(
                &format!("/api/v1/recognitions/{}/revoke", id_of(&r)),
                Some(&sc.admin),
                &json!({"revoked_on": D, "decision_no": "TH-1", "reason": "thu hồi"}),
            )
            .await;
        assert_eq!(res.status, Status::Ok);
        // S4: two rated products, counted once.
        let s4 = sc.rated("S4", "20335").await;
        let p2 = sc
            .app
            .seed_product(&sc.admin, &s4, "Sản phẩm S4 thứ hai")
            .await;
        sc.app
            .seed_recognition(&sc.admin, &p2, "QĐ-S4b", "2023-09-01", 4)
            .await;
        sc.cert(
            &s4,
            "circular_model",
            "KTTH-4",
            &[("verified", "2025-02-01")],
        )
        .await;
        sc.area(&s4, "leased", None, None).await;
        sc.channel(&s4, "supermarket_chain", "Co.opmart", Some("2025-01-01"))
            .await;
        // S6: suspended before D; a verified showroom, which is not a modern kind.
        let s6 = sc.rated("S6", "20335").await;
        sc.cert(
            &s6,
            "vietgap",
            "VG-6",
            &[("verified", "2025-01-10"), ("suspended", "2025-06-01")],
        )
        .await;
        sc.area(&s6, "own", None, None).await;
        sc.channel(&s6, "ocop_showroom", "Điểm OCOP Tam Kỳ", Some("2025-01-01"))
            .await;
        // S7: verified after D.
        let s7 = sc.rated("S7", "20335").await;
        sc.cert(&s7, "vietgap", "VG-7", &[("verified", "2025-07-10")])
            .await;
        sc.area(&s7, "own", None, None).await;
        // S8: a quality scheme.
        let s8 = sc.rated("S8", "20341").await;
        sc.cert(&s8, "haccp", "HACCP-8", &[("verified", "2025-02-01")])
            .await;
        sc.area(&s8, "own", None, None).await;
        // S9 and S10: linkage contracts of 35 and 36 months.
        let s9 = sc.rated("S9", "20341").await;
        sc.cert(&s9, "organic", "HC-9", &[("verified", "2025-02-01")])
            .await;
        let a9 = sc
            .area(&s9, "linked", Some(("2023-01-01", "2025-11-30")), None)
            .await;
        assert_eq!(a9["linkage"]["months"], 35);
        let s10 = sc.rated("S10", "20335").await;
        sc.cert(&s10, "organic", "HC-10", &[("verified", "2025-02-01")])
            .await;
        let a10 = sc
            .area(&s10, "linked", Some(("2023-01-01", "2025-12-31")), None)
            .await;
        assert_eq!(a10["linkage"]["months"], 36);
        sc.channel(&s10, "marketplace", "shopee", Some("2025-03-01"))
            .await;
        // S11: only a growing-area code makes its area stable.
        let s11 = sc.rated("S11", "20341").await;
        sc.cert(&s11, "globalgap", "GG-11", &[("verified", "2025-02-01")])
            .await;
        sc.area(
            &s11,
            "linked",
            Some(("2025-01-01", "2025-12-31")),
            Some("VN-49-502-20341-001-24"),
        )
        .await;
        // S12: channel verified after D.
        let s12 = sc.rated("S12", "20341").await;
        sc.channel(&s12, "marketplace", "lazada", Some("2025-07-15"))
            .await;
        // S13 and S14: listings seen 90 and 91 days before D.
        let s13 = sc.rated("S13", "20551").await;
        let c13 = sc.channel(&s13, "marketplace", "shopee", None).await;
        sc.listing_seen(&c13, "L-13", "2025-04-01").await;
        let s14 = sc.rated("S14", "20551").await;
        let c14 = sc.channel(&s14, "marketplace", "shopee", None).await;
        sc.listing_seen(&c14, "L-14", "2025-03-31").await;
        // S15: declared only.
        let s15 = sc.rated("S15", "20335").await;
        sc.channel(&s15, "marketplace", "tiki", None).await;
        // S16: counts for both.
        let s16 = sc.rated("S16", "20551").await;
        sc.cert(&s16, "vietgap", "VG-16", &[("verified", "2025-02-01")])
            .await;
        sc.area(&s16, "own", None, None).await;
        sc.channel(&s16, "convenience_chain", "WinMart+", Some("2025-02-01"))
            .await;
        sc
    }

    pub(crate) async fn report(&self, unit_id: uuid::Uuid, as_of: &str, extra: &str) -> Value {
        let res = self
            .app
            .get(
                &format!("/api/v1/indicators?unit_id={unit_id}&as_of={as_of}{extra}"),
                Some(&self.admin),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        res.body
    }

    async fn explain(&self, unit_id: uuid::Uuid, as_of: &str, extra: &str) -> Value {
        let res = self
            .app
            .get(
                &format!("/api/v1/indicators/subjects?unit_id={unit_id}&as_of={as_of}&per_page=500{extra}"),
                Some(&self.admin),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        res.body
    }

    fn names(list: &Value) -> Vec<String> {
        let mut v: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["subject"]["name"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    }
}

/// `(numerator, denominator, share, met, gap)` of one indicator in a report row.
fn fig(row: &Value, key: &str) -> (i64, i64, Value, Option<bool>, Option<i64>) {
    let f = row["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap();
    (
        f["numerator"].as_i64().unwrap(),
        f["denominator"].as_i64().unwrap(),
        f["share"].clone(),
        f["met"].as_bool(),
        f["gap"].as_i64(),
    )
}

fn child<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"]["code"] == code)
        .unwrap_or_else(|| panic!("no child {code}"))
}

#[rocket::async_test]
async fn the_scenario_gives_the_hand_worked_figures_at_every_edge() {
    let sc = Scenario::build().await;
    let quang_nam = unit("province", "49", None);
    let tam_ky = unit("district", "502", None);

    // Province, rolled up over two levels.
    let p = sc.report(quang_nam, D, "").await;
    assert_eq!(p["unit"]["code"], "49");
    assert_eq!(p["as_of"], D);
    assert_eq!(p["policy"]["version"], 3, "the current built-in version");
    assert_eq!(p["policy"]["verify_areas"], true);
    assert_eq!(p["policy"]["validity_caps"]["organic"], 24);
    assert_eq!(p["policy"]["min_linkage_months"], 36);
    assert_eq!(p["population"], 13);
    assert_eq!(
        fig(&p, "value_chain"),
        (4, 13, json!("30.77"), Some(true), Some(0))
    );
    assert_eq!(
        fig(&p, "modern_channel"),
        (4, 13, json!("30.77"), Some(false), Some(3))
    );
    assert_eq!(
        p["children"].as_array().unwrap().len(),
        17,
        "18 districts less Nông Sơn"
    );
    let tk = child(&p, "502");
    assert_eq!(tk["population"], 10);
    assert_eq!(
        fig(tk, "value_chain"),
        (3, 10, json!("30.00"), Some(true), Some(0)),
        "exactly on target"
    );
    assert_eq!(
        fig(tk, "modern_channel"),
        (2, 10, json!("20.00"), Some(false), Some(3))
    );
    let db = child(&p, "507");
    assert_eq!(db["population"], 3);
    assert_eq!(
        fig(db, "value_chain"),
        (1, 3, json!("33.33"), Some(true), Some(0)),
        "1/3 rounds down"
    );
    assert_eq!(
        fig(db, "modern_channel"),
        (2, 3, json!("66.67"), Some(true), Some(0)),
        "2/3 rounds up"
    );
    let empty = child(&p, "504");
    assert_eq!(empty["population"], 0);
    assert_eq!(
        fig(empty, "value_chain"),
        (0, 0, Value::Null, None, None),
        "denominator 0: share null"
    );
    let sum: i64 = p["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["population"].as_i64().unwrap())
        .sum();
    assert_eq!(
        sum, 13,
        "the province is the sum of its districts' distinct subjects"
    );
    assert!(p["ambiguous_geography"].as_array().unwrap().is_empty());

    // The district and its communes.
    let t = sc.report(tam_ky, D, "").await;
    assert_eq!(t["population"], 10);
    assert_eq!(
        fig(&t, "value_chain"),
        (3, 10, json!("30.00"), Some(true), Some(0))
    );
    let c1 = child(&t, "20335");
    assert_eq!(c1["population"], 6);
    assert_eq!(
        fig(c1, "value_chain"),
        (2, 6, json!("33.33"), Some(true), Some(0))
    );
    assert_eq!(
        fig(c1, "modern_channel"),
        (2, 6, json!("33.33"), Some(false), Some(1))
    );
    let c2 = child(&t, "20341");
    assert_eq!(c2["population"], 4);
    assert_eq!(
        fig(c2, "value_chain"),
        (1, 4, json!("25.00"), Some(false), Some(1))
    );
    assert_eq!(
        fig(c2, "modern_channel"),
        (0, 4, json!("0.00"), Some(false), Some(2))
    );

    // The day before D: S1 (expires on D) and S3 (revoked on D) are still active.
    let before = sc.report(quang_nam, "2025-06-29", "").await;
    assert_eq!(before["population"], 15);
    // A commune report has no children.
    let commune_report = sc.report(commune("20341", None), D, "").await;
    assert_eq!(commune_report["population"], 4);
    assert!(commune_report["children"].as_array().unwrap().is_empty());
}

#[rocket::async_test]
async fn explanations_name_the_evidence_or_what_is_missing_and_agree_with_the_report() {
    let sc = Scenario::build().await;
    let quang_nam = unit("province", "49", None);
    let tam_ky = unit("district", "502", None);

    let vc_yes = sc
        .explain(tam_ky, D, "&indicator=value_chain&counts=true")
        .await;
    assert_eq!(Scenario::names(&vc_yes), vec!["S10", "S11", "S4"]);
    let vc_no = sc
        .explain(tam_ky, D, "&indicator=value_chain&counts=false")
        .await;
    assert_eq!(
        Scenario::names(&vc_no),
        vec!["S12", "S15", "S2", "S6", "S7", "S8", "S9"]
    );
    let by_name = |list: &Value, name: &str| -> Value {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["subject"]["name"] == name)
            .unwrap()
            .clone()
    };
    let reasons = |item: &Value, key: &str| -> String { item[key]["reasons"].to_string() };

    let s9 = by_name(&vc_no, "S9");
    assert!(
        s9.get("modern_channel").is_none(),
        "only the asked indicator"
    );
    assert!(
        reasons(&s9, "value_chain").contains("runs 35 months, policy needs 36"),
        "{s9}"
    );
    assert!(reasons(&by_name(&vc_no, "S6"), "value_chain").contains("was suspended on 2025-06-30"));
    // Submitted when the department received it, verified with an effective date after D.
    assert!(reasons(&by_name(&vc_no, "S7"), "value_chain").contains("was submitted on 2025-06-30"));
    assert!(reasons(&by_name(&vc_no, "S8"), "value_chain").contains("quality scheme"));
    assert!(
        reasons(&by_name(&vc_no, "S2"), "value_chain")
            .contains("no verified green or circular certification valid on 2025-06-30")
    );
    let s10 = by_name(&vc_yes, "S10");
    assert_eq!(
        s10["value_chain"]["certification"]["certificate_no"],
        "HC-10"
    );
    assert!(
        s10["value_chain"]["area"]["stable_because"]
            .as_str()
            .unwrap()
            .contains("36 months")
    );
    let s11 = by_name(&vc_yes, "S11");
    assert_eq!(
        s11["value_chain"]["area"]["stable_because"],
        "growing-area code VN-49-502-20341-001-24"
    );
    assert_eq!(s10["placed_in"]["code"], "20335");
    assert_eq!(s10["active_recognitions"].as_array().unwrap().len(), 1);

    let mc = sc.explain(quang_nam, D, "&indicator=modern_channel").await;
    assert_eq!(mc["total"], 13);
    let s13 = by_name(&mc, "S13");
    assert_eq!(s13["modern_channel"]["counts"], true);
    assert_eq!(s13["modern_channel"]["channel"]["evidenced_by"], "observed");
    assert_eq!(
        s13["modern_channel"]["channel"]["listing"]["external_id"],
        "L-13"
    );
    let s14 = by_name(&mc, "S14");
    assert_eq!(s14["modern_channel"]["counts"], false);
    assert!(
        reasons(&s14, "modern_channel")
            .contains("no active listing seen from 2025-04-01 to 2025-06-30")
    );
    assert!(
        reasons(&by_name(&mc, "S12"), "modern_channel")
            .contains("verified on 2025-07-15, after 2025-06-30")
    );
    assert!(reasons(&by_name(&mc, "S6"), "modern_channel").contains("not a modern kind"));
    assert!(reasons(&by_name(&mc, "S15"), "modern_channel").contains("declared only"));
    assert_eq!(
        by_name(&mc, "S4")["modern_channel"]["channel"]["evidenced_by"],
        "verified"
    );

    // For every unit of the scenario, the explanations add up to the report, and no verdict is
    // contradicted by its explanation.
    for u in [
        quang_nam,
        tam_ky,
        unit("district", "507", None),
        commune("20335", None),
    ] {
        let r = sc.report(u, D, "").await;
        let all = sc.explain(u, D, "").await;
        assert_eq!(all["total"], r["population"]);
        let count = |key: &str| {
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i[key]["counts"] == true)
                .count() as i64
        };
        assert_eq!(count("value_chain"), fig(&r, "value_chain").0);
        assert_eq!(count("modern_channel"), fig(&r, "modern_channel").0);
        assert!(!all.to_string().contains("internal inconsistency"));
    }
    let bad = sc
        .app
        .get(
            &format!("/api/v1/indicators/subjects?unit_id={tam_ky}&as_of={D}&counts=true"),
            Some(&sc.admin),
        )
        .await;
    assert_eq!(
        bad.status,
        Status::UnprocessableEntity,
        "parameters that do not go together"
    );
    assert_eq!(bad.error_fields(), vec!["indicator"]);
}

#[rocket::async_test]
async fn the_same_subject_counts_for_tam_ky_before_the_reform_and_ban_thach_after() {
    let sc = Scenario::build().await;
    let da_nang = unit("province", "48", Some("2025-07-01"));
    let ban_thach = commune("20335", Some("2025-07-01"));
    const D2: &str = "2025-12-31";

    // Quảng Nam and Tam Kỳ no longer exist on D2.
    for u in [unit("province", "49", None), unit("district", "502", None)] {
        let res = sc
            .app
            .get(
                &format!("/api/v1/indicators?unit_id={u}&as_of={D2}"),
                Some(&sc.admin),
            )
            .await;
        assert_eq!(res.status, Status::UnprocessableEntity);
        assert_eq!(res.error_fields(), vec!["unit_id"]);
    }
    let q = sc
        .app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={}&as_of={D2}",
                unit("province", "49", None)
            ),
            Some(&sc.admin),
        )
        .await;
    assert!(
        q.body.to_string().contains("Thành phố Đà Nẵng"),
        "{:?}",
        q.body
    );

    let dn = sc.report(da_nang, D2, "").await;
    // S2's recognition (2022-07-01) expired on 2025-07-01: 12 remain.
    assert_eq!(dn["population"], 12);
    // The 78 communes formed from Quảng Nam's and the 16 of former Đà Nẵng.
    assert_eq!(dn["children"].as_array().unwrap().len(), 94);
    let bt = child(&dn, "20335");
    assert_eq!(bt["unit"]["name"], "Phường Bàn Thạch");
    // Tân Thạnh's S4 S6 S7 S10 S15 (S2 has expired) are Bàn Thạch's; on D2 S7's verification
    // (2025-07-10) holds and S10's contract still covers the day: S4 S7 S10 = 3/5.
    assert_eq!(bt["population"], 5);
    assert_eq!(
        fig(bt, "value_chain"),
        (3, 5, json!("60.00"), Some(true), Some(0))
    );
    // S12's marketplace was verified 2025-07-15 and now counts; S13's listing is stale:
    // S4 S10 S12 S16.
    assert_eq!(fig(&dn, "modern_channel").0, 4);

    let s10 = sc.s["S10"].clone();
    let before = sc
        .explain(
            unit("district", "502", None),
            D,
            "&indicator=value_chain&counts=true",
        )
        .await;
    assert!(
        before["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["subject"]["id"] == s10["id"])
    );
    let after = sc
        .explain(ban_thach, D2, "&indicator=value_chain&counts=true")
        .await;
    let item = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["subject"]["id"] == s10["id"])
        .unwrap()
        .clone();
    assert_eq!(item["placed_in"]["name"], "Phường Bàn Thạch");
    assert_eq!(
        item["subject"]["commune"]["name"], "Phường Tân Thạnh",
        "as recorded"
    );
}

#[rocket::async_test]
async fn csv_has_one_row_per_unit_with_the_same_numbers() {
    let sc = Scenario::build().await;
    let tam_ky = unit("district", "502", None);
    let res = sc
        .app
        .client
        .get(format!(
            "/api/v1/indicators?unit_id={tam_ky}&as_of={D}&format=csv&lang=en"
        ))
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", sc.admin),
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::CSV));
    let text = res.into_string().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A BOM first, so that Excel reads UTF-8; headings for scripts with lang=en.
    assert!(lines[0].starts_with(
        "\u{feff}unit_code,unit_name,level,as_of,policy_version,population,value_chain_numerator"
    ));
    assert!(lines[0].ends_with(",unit_id"), "{}", lines[0]);
    let json = sc.report(tam_ky, D, "").await;
    assert_eq!(
        lines.len(),
        1 + 1 + json["children"].as_array().unwrap().len()
    );
    assert!(lines[1].starts_with("502,Thành phố Tam Kỳ,district,2025-06-30,3,10,3,10,30.00,30,true,0,2,10,20.00,50,false,3,"), "{}", lines[1]);
    assert!(text.contains(
        "\n20341,Phường An Mỹ,commune,2025-06-30,3,4,1,4,25.00,30,false,1,0,4,0.00,50,false,2,"
    ));
}

#[rocket::async_test]
async fn a_frozen_report_stays_the_same_after_data_and_policy_change() {
    let sc = Scenario::build().await;
    let tam_ky = unit("district", "502", None);

    let frozen = sc
        .app
        .post(
            "/api/v1/reports",
            Some(&sc.admin),
            &json!({"unit_id": tam_ky, "as_of": D}),
        )
        .await;
    assert_eq!(frozen.status, Status::Created, "{:?}", frozen.body);
    let id = id_of(&frozen.body);
    assert_eq!(frozen.body["report"]["population"], 10);
    assert_eq!(
        frozen.body["subjects"].as_array().unwrap().len(),
        10,
        "every population subject"
    );
    let path = format!("/api/v1/reports/{id}");
    let first = sc
        .app
        .client
        .get(path.clone())
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", sc.admin),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let workbook = |lang: &'static str| {
        let request = sc
            .app
            .client
            .get(format!("{path}?format=xlsx&lang={lang}"))
            .header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {}", sc.admin),
            ));
        async move { request.dispatch().await.into_bytes().await.unwrap() }
    };
    let filed = [workbook("vi").await, workbook("en").await];

    // The data changes: S10's certificate is suspended from before D.
    let s10 = &sc.s["S10"];
    let certs = sc
        .app
        .get(
            &format!("/api/v1/subjects/{}/certifications", id_of(s10)),
            Some(&sc.admin),
        )
        .await;
    let cert = &certs.body["items"][0];
    let res = sc
        .app
        .post(
            &format!("/api/v1/certifications/{}/transitions", id_of(cert)),
            Some(&sc.admin),
            &json!({"to": "suspended", "reason": "hết hiệu lực", "effective_on": "2025-03-01"}),
        )
        .await;
    assert_eq!(res.status, Status::Ok, "{:?}", res.body);
    let live = sc.report(tam_ky, D, "").await;
    assert_eq!(fig(&live, "value_chain").0, 2, "S10 no longer counts");

    // A new policy: 35-month contracts suffice (S9 counts again), declared channels count.
    let next = sc
        .app
        .post("/api/v1/policies", Some(&sc.admin), &json!({"min_linkage_months": 35, "count_declared_channels": true, "note": "QĐ 12/2026"}))
        .await;
    assert_eq!(next.status, Status::Created, "{:?}", next.body);
    assert_eq!(next.body["version"], 4);
    let live2 = sc.report(tam_ky, D, "").await;
    assert_eq!(live2["policy"]["version"], 4);
    assert_eq!(fig(&live2, "value_chain").0, 3, "S4 S9 S11");
    assert_eq!(
        fig(&live2, "modern_channel").0,
        4,
        "S4 S10, and S12 S15 declared"
    );
    let old_policy = sc.report(tam_ky, D, "&policy_version=1").await;
    assert_eq!(fig(&old_policy, "value_chain").0, 2);
    let policies = sc.app.get("/api/v1/policies", Some(&sc.admin)).await;
    assert_eq!(policies.body["current_version"], 4);
    assert_eq!(policies.body["items"].as_array().unwrap().len(), 4);

    // The frozen report is byte for byte what it was, with its own policy and figures.
    let again = sc
        .app
        .client
        .get(path.clone())
        .header(rocket::http::Header::new(
            "Authorization",
            format!("Bearer {}", sc.admin),
        ))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert_eq!(again, first);
    // Its workbooks too, downloaded later (a workbook records when it was written: a second
    // on, a file written at download would differ).
    rocket::tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(filed[0].starts_with(b"PK"), "a workbook");
    assert_eq!(
        [workbook("vi").await, workbook("en").await],
        filed,
        "the workbooks as filed"
    );
    let parsed: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(parsed["report"]["policy"]["version"], 3);
    assert_eq!(
        fig(&parsed["report"], "value_chain"),
        (3, 10, json!("30.00"), Some(true), Some(0))
    );

    let listed = sc.app.get("/api/v1/reports", Some(&sc.admin)).await;
    assert_eq!(listed.body["total"], 1);
    let audit = sc.app.audit_of(&id.to_string()).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["entity"], "report");
}

#[rocket::async_test]
async fn reports_are_scoped_and_validated() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let tam_ky = unit("district", "502", None);
    let dien_ban_auditor = app.auditor(unit("district", "507", None)).await;
    let da_nang_auditor = app
        .auditor(unit("province", "48", Some("2025-07-01")))
        .await;
    let s = app.seed_subject(&admin, "20335", "HTX").await;
    let owner = app.owner_of(&s).await;

    let q = format!("/api/v1/indicators?unit_id={tam_ky}&as_of={D}");
    assert_eq!(
        app.get(&q, Some(&dien_ban_auditor)).await.status,
        Status::Forbidden
    );
    assert_eq!(app.get(&q, Some(&owner)).await.status, Status::Forbidden);
    assert_eq!(
        app.get(&q, Some(&da_nang_auditor)).await.status,
        Status::Ok,
        "Đà Nẵng inherits Tam Kỳ"
    );
    let freeze = app
        .post(
            "/api/v1/reports",
            Some(&dien_ban_auditor),
            &json!({"unit_id": tam_ky, "as_of": D}),
        )
        .await;
    assert_eq!(freeze.status, Status::Forbidden);
    assert_eq!(app.count("indicator_report").await, 0);

    for (query, field) in [
        (format!("/api/v1/indicators?as_of={D}"), "unit_id"),
        (format!("/api/v1/indicators?unit_id={tam_ky}"), "as_of"),
        (
            format!("/api/v1/indicators?unit_id={tam_ky}&as_of=2025-13-01"),
            "as_of",
        ),
        (
            format!("/api/v1/indicators?unit_id={tam_ky}&as_of={D}&format=pdf"),
            "format",
        ),
        (
            format!("/api/v1/indicators?unit_id={tam_ky}&as_of={D}&policy_version=0"),
            "policy_version",
        ),
    ] {
        let res = app.get(&query, Some(&admin)).await;
        assert_eq!(res.status, Status::BadRequest, "{query}: {:?}", res.body);
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{query}");
    }
    let no_such_policy = app
        .get(
            &format!("/api/v1/indicators?unit_id={tam_ky}&as_of={D}&policy_version=9"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        no_such_policy.status,
        Status::NotFound,
        "a version that does not exist"
    );
    let unknown = app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={}&as_of={D}",
                uuid::Uuid::new_v4()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(
        unknown.status,
        Status::NotFound,
        "a unit that does not exist"
    );
    for (body, field) in [
        (json!({"as_of": D}), "unit_id"),
        (json!({"unit_id": tam_ky, "as_of": "yesterday"}), "as_of"),
    ] {
        let res = app.post("/api/v1/reports", Some(&admin), &body).await;
        assert_eq!(res.status, Status::UnprocessableEntity, "{body}");
        assert_eq!(res.error_fields(), vec![field.to_owned()]);
    }
    for (body, field) in [
        (json!({"min_linkage_months": 0}), "min_linkage_months"),
        (json!({"value_chain_target": "101"}), "value_chain_target"),
        (
            json!({"value_chain_categories": []}),
            "value_chain_categories",
        ),
        (
            json!({"modern_kinds": ["marketplace", "marketplace"]}),
            "modern_kinds",
        ),
        (json!({"modern_kinds": ["bazaar"]}), "modern_kinds[0]"),
    ] {
        let res = app.post("/api/v1/policies", Some(&admin), &body).await;
        assert_eq!(
            res.status,
            Status::UnprocessableEntity,
            "{body}: {:?}",
            res.body
        );
        assert_eq!(res.error_fields(), vec![field.to_owned()], "{body}");
    }
    assert_eq!(
        app.post(
            "/api/v1/policies",
            Some(&admin),
            &json!({"min_linkage_months": 36})
        )
        .await
        .status,
        Status::Conflict,
        "no change, no new version"
    );
    let auditor_policy = app
        .post(
            "/api/v1/policies",
            Some(&da_nang_auditor),
            &json!({"min_linkage_months": 24}),
        )
        .await;
    assert_eq!(auditor_policy.status, Status::Forbidden);
    assert_eq!(
        app.count("indicator_policy").await,
        3,
        "the three built-in versions, nothing more"
    );
}

#[rocket::async_test]
async fn a_subject_recorded_after_the_reform_is_ambiguous_before_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Registered in the new Phường Bàn Thạch, formed from three Tam Kỳ communes, and rated in
    // 2024: on 2025-06-30 its commune maps back to all three.
    let mut body = crate::helpers::subject_body(
        "HTX Bàn Thạch",
        &commune("20335", Some("2025-07-01")).to_string(),
    );
    body["legal_form"] = json!("cooperative");
    let s = app.post("/api/v1/subjects", Some(&admin), &body).await.body;
    let p = app.seed_product(&admin, &s, "Chè").await;
    app.seed_recognition(&admin, &p, "QĐ-1", "2024-03-01", 3)
        .await;

    let t = app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={}&as_of={D}",
                unit("district", "502", None)
            ),
            Some(&admin),
        )
        .await
        .body;
    assert_eq!(t["population"], 1, "every candidate lies in Tam Kỳ");
    let amb = t["ambiguous_geography"].as_array().unwrap();
    assert_eq!(amb.len(), 1);
    assert_eq!(amb[0]["subject_id"], s["id"]);
    assert_eq!(amb[0]["counted_in_unit"], true);
    let mut codes: Vec<&str> = amb[0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, vec!["20335", "20362", "20375"]);
    let communes: i64 = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["population"].as_i64().unwrap())
        .sum();
    assert_eq!(communes, 0, "not guessed into any commune");
    let one = app
        .get(
            &format!(
                "/api/v1/indicators?unit_id={}&as_of={D}",
                commune("20362", None)
            ),
            Some(&admin),
        )
        .await
        .body;
    assert_eq!(one["population"], 0);
    assert_eq!(one["ambiguous_geography"][0]["counted_in_unit"], false);
}

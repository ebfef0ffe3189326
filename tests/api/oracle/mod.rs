//! The engine against an independent oracle (`rules.rs`): about 2,000 seeded subjects whose
//! every validity ends on, or a day either side of, the report dates; every unit of the tree
//! and every child row compared — population, numerators, shares, targets met and gaps — under
//! every policy version, on both databases.

mod rows;
mod rules;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{
    certification, certification_scheme, listing_span, raw_material_area, recognition,
    sales_channel, subject_relocation, unit,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocket::http::Status;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;

use self::rows::Rows;
use self::rules::{Geography, Registry, Rules, plus_months, tallies};
use crate::helpers::TestApp;

/// The reports are asked for on the day before, the day of and the day after each of these:
/// a day in the middle of the period, the two 2025 reforms, and a late day. The generator puts
/// validity ends, decisions, verifications, relocations and listing sightings on them.
const ANCHORS: [&str; 4] = ["2024-03-15", "2025-01-01", "2025-07-01", "2025-11-20"];

const SUBJECTS: usize = 2_000;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plus_days(d: NaiveDate, n: i64) -> NaiveDate {
    d + TimeDelta::days(n)
}

/// Every report date.
fn report_dates() -> Vec<NaiveDate> {
    ANCHORS
        .iter()
        .flat_map(|a| (-1..=1).map(move |k| plus_days(day(a), k)))
        .collect()
}

/// Seeded choices of dates that fall on the boundaries.
struct Draw {
    rng: StdRng,
    anchors: Vec<NaiveDate>,
}

impl Draw {
    /// A report date, or a day either side of one.
    fn near(&mut self) -> NaiveDate {
        let a = self.anchors[self.rng.random_range(0..self.anchors.len())];
        plus_days(a, self.rng.random_range(-1..=1))
    }

    /// A day between 2020 and mid-2026, most often near a report date.
    fn any(&mut self) -> NaiveDate {
        if self.rng.random_bool(0.6) {
            self.near()
        } else {
            plus_days(day("2020-01-01"), self.rng.random_range(0..2_370))
        }
    }

    /// A day strictly after `d`: near a report date when one is, else within about two years.
    fn after(&mut self, d: NaiveDate) -> NaiveDate {
        for _ in 0..3 {
            let n = self.near();
            if n > d {
                return n;
            }
        }
        plus_days(d, self.rng.random_range(1..800))
    }

    /// A day on or after `d`.
    fn from(&mut self, d: NaiveDate) -> NaiveDate {
        if self.rng.random_bool(0.2) {
            d
        } else {
            self.after(d)
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.rng.random_range(0..v.len())]
    }
}

/// The start of a Vietnamese day (UTC+7) as an instant, plus `minutes`.
fn vietnamese_midnight(d: NaiveDate, minutes: i64) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::hours(7) + TimeDelta::minutes(minutes)
}

/// The commune versions subjects are placed in: Quảng Nam's and Đà Nẵng's before and after
/// each 2025 reform, and a few elsewhere (never counted in those provinces).
async fn commune_pools(db: &DatabaseConnection, geography: &Geography) -> Vec<Vec<Uuid>> {
    let communes = unit::Entity::find()
        .filter(unit::Column::Level.eq("commune"))
        .all(db)
        .await
        .unwrap();
    let province =
        |code: &str, on: &str| geography.by_code_on("province", code, day(on)).unwrap().id;
    let valid = |u: &unit::Model, on: &str| {
        let d = day(on);
        u.valid_from.is_none_or(|f| f <= d) && u.valid_to.is_none_or(|t| d < t)
    };
    let pool = |root: Uuid, on: &str| {
        let mut v: Vec<Uuid> = communes
            .iter()
            .filter(|c| valid(c, on) && geography.within(c.id, root))
            .map(|c| c.id)
            .collect();
        v.sort();
        assert!(!v.is_empty(), "no commune under {root} on {on}");
        v
    };
    let quang_nam = province("49", "2024-12-31");
    let da_nang_before = province("48", "2025-06-30");
    let da_nang_after = province("48", "2025-07-01");
    let ha_noi = province("01", "2025-06-30");
    let mut quang_nam_2025: Vec<Uuid> = pool(quang_nam, "2025-03-01");
    let before = pool(quang_nam, "2024-12-31");
    quang_nam_2025.retain(|c| !before.contains(c));
    assert!(
        !quang_nam_2025.is_empty(),
        "no commune made on 1 January 2025"
    );
    vec![
        before,
        quang_nam_2025,
        pool(da_nang_before, "2025-06-30"),
        pool(da_nang_after, "2025-07-01"),
        pool(ha_noi, "2025-06-30"),
    ]
}

/// Writes `n` subjects with everything the rules read, drawn with `seed`.
async fn generate(db: &DatabaseConnection, geography: &Geography, n: usize, seed: u64) {
    let pools = commune_pools(db, geography).await;
    let schemes = certification_scheme::Entity::find().all(db).await.unwrap();
    let mut g = Draw {
        rng: StdRng::seed_from_u64(seed),
        anchors: ANCHORS.iter().map(|a| day(a)).collect(),
    };
    let now = Utc::now();
    let mut rows = Rows::default();
    let mut edits = Vec::new();
    let kinds = [
        "marketplace",
        "social_commerce",
        "own_webshop",
        "supermarket_chain",
        "convenience_chain",
        "ocop_showroom",
        "export",
        "traditional",
    ];
    for i in 0..n {
        let sid = Uuid::new_v4();
        // Quảng Nam before and after 1 January 2025, Đà Nẵng before and after 1 July, Hà Nội.
        let pool = match g.rng.random_range(0..100) {
            0..45 => &pools[0],
            45..55 => &pools[1],
            55..70 => &pools[2],
            70..95 => &pools[3],
            _ => &pools[4],
        };
        let recorded = *g.pick(pool);
        // One in eight moves once or twice; the live record holds the last commune.
        let mut commune = recorded;
        if g.chance(0.125) {
            let mut on = g.any();
            for seq in 1..=g.rng.random_range(1..=2) {
                let into = g.pick(&pools[..4]);
                let to = *g.pick(into);
                rows.relocations.push(
                    subject_relocation::Model {
                        id: Uuid::now_v7(),
                        subject_id: sid,
                        seq,
                        from_commune_id: commune,
                        to_commune_id: to,
                        effective_on: on,
                        recorded_at: now,
                        recorded_by: "oracle".to_owned(),
                        reason: None,
                    }
                    .into_active_model()
                    .reset_all(),
                );
                commune = to;
                on = g.from(on);
            }
        }
        rows.subjects.push(
            rows::subject(sid, i, commune, now)
                .into_active_model()
                .reset_all(),
        );
        // Products rated once or twice: 2 to 5 stars, decided on a report date or ending on
        // one (36 months, or an earlier expiry), sometimes revoked.
        for p in 0..g.rng.random_range(1..=2) {
            let pid = Uuid::new_v4();
            rows.products.push(
                rows::product(pid, sid, i, p, now)
                    .into_active_model()
                    .reset_all(),
            );
            for k in 0..g.rng.random_range(1..=2) {
                let decided = if g.chance(0.5) {
                    g.any()
                } else {
                    // Ends on a boundary.
                    g.near()
                        .checked_sub_months(chrono::Months::new(36))
                        .unwrap()
                };
                let valid_until = if g.chance(0.85) {
                    plus_months(decided, 36)
                } else {
                    g.after(decided)
                };
                let revoked_on = g.chance(0.1).then(|| g.from(decided));
                let decision_no = format!("{i}-{p}-{k}");
                rows.recognitions.push(
                    recognition::Model {
                        stars: *g.pick(&[2, 3, 3, 4, 5]),
                        revoked_on,
                        ..rows::recognition(pid, sid, decision_no, (decided, valid_until), now)
                    }
                    .into_active_model()
                    .reset_all(),
                );
            }
        }
        // Raw-material areas of every tenure; contracts of 23 to 48 months around 36. Most
        // verified by an auditor (sometimes suspended, revoked, or edited by the owner after
        // the verification and verified again), some rejected or never decided.
        let mut area_ids = Vec::new();
        for _ in 0..g.rng.random_range(0..=2) {
            let tenure = *g.pick(&["own", "leased", "linked", "linked"]);
            let valid_from = g.chance(0.8).then(|| g.any());
            let valid_to = g
                .chance(0.4)
                .then(|| g.from(valid_from.unwrap_or(day("2020-01-01"))));
            let linked = tenure == "linked";
            let start = g.any();
            let end = if g.chance(0.5) {
                let months = *g.pick(&[23, 24, 35, 36, 37, 48]);
                plus_days(plus_months(start, months), g.rng.random_range(-2..=0))
            } else {
                g.after(start)
            };
            let contract = linked.then(|| rows::Contract {
                start,
                end,
                // As the registry fills it when a contract is written.
                months: i32::try_from(ocop_registry::areas::dto::contract_months(start, end))
                    .unwrap(),
            });
            let area = rows::area(sid, i, recorded, tenure, contract, now);
            let mut moves = vec![("submitted", g.any())];
            if g.chance(0.1) {
                moves.push(("rejected", g.any()));
            } else if g.chance(0.7) {
                let mut last = g.from(valid_from.unwrap_or(day("2021-01-01")));
                moves.push(("verified", last));
                if g.chance(0.2) {
                    last = g.from(last);
                    moves.push(("suspended", last));
                    if g.chance(0.5) {
                        moves.push(("revoked", g.from(last)));
                    }
                } else if g.chance(0.3) {
                    // The owner turns it into its own land, held for ever (docs/domain.md §7).
                    moves.push(("submitted", g.from(last)));
                    edits.push(Edit::Area(area.id));
                    if g.chance(0.5) {
                        moves.push(("verified", g.from(last)));
                    }
                }
            }
            area_ids.push(area.id);
            rows.timed_events("area", area.id, &timed(&moves, now), "oracle");
            rows.areas.push(
                raw_material_area::Model {
                    growing_area_code: g.chance(0.25).then(|| format!("VN-49-{i}")),
                    valid_from,
                    valid_to,
                    status: moves.last().unwrap().0.parse().expect("a known code"),
                    ..area
                }
                .into_active_model()
                .reset_all(),
            );
        }
        // Certificates of every scheme, with histories as auditors make them: submitted when
        // recorded; verified (possibly back-dated before the submission), suspended,
        // reinstated, revoked or rejected, each move on or after the previous one; sent back
        // to `submitted` by an owner's edit.
        for c in 0..g.rng.random_range(0..=2) {
            let cid = Uuid::new_v4();
            // Capped schemes half the time, issued so that the cap ends on a boundary.
            let capped: Vec<&certification_scheme::Model> = schemes
                .iter()
                .filter(|s| s.max_validity_months.is_some())
                .collect();
            let scheme = if g.chance(0.5) {
                (*g.pick(&capped)).clone()
            } else {
                g.pick(&schemes).clone()
            };
            let issued = match (scheme.max_validity_months, g.rng.random_range(0..3)) {
                (Some(m), 0) => g
                    .near()
                    .checked_sub_months(chrono::Months::new(u32::try_from(m).unwrap()))
                    .unwrap(),
                _ => g.any(),
            };
            let expires = if g.chance(0.5) {
                plus_months(issued, *g.pick(&[12, 24, 27, 36, 48]))
            } else {
                g.after(issued)
            };
            let submitted = plus_days(issued, g.rng.random_range(0..90));
            let mut moves = vec![("submitted", submitted)];
            if g.chance(0.1) {
                moves.push(("rejected", g.from(submitted)));
            } else if g.chance(0.8) {
                let mut last = if g.chance(0.3) {
                    issued
                } else {
                    g.from(issued)
                };
                moves.push(("verified", last));
                if g.chance(0.3) {
                    last = g.from(last);
                    moves.push(("suspended", last));
                    if g.chance(0.5) {
                        last = g.from(last);
                        moves.push(("verified", last));
                    } else if g.chance(0.5) {
                        moves.push(("revoked", g.from(last)));
                    }
                } else if g.chance(0.3) {
                    // The owner edits its key fields after the verification (docs/domain.md §7): a
                    // longer validity, an earlier issue date or both, sent back to
                    // `submitted`; sometimes verified again, seeing the new values.
                    let edited = g.from(last);
                    moves.push(("submitted", edited));
                    let new_issued = if g.chance(0.3) {
                        plus_days(issued, -400)
                    } else {
                        issued
                    };
                    let new_expires = plus_months(expires, *g.pick(&[12, 36, 60]));
                    edits.push(Edit::Certification(cid, new_issued, new_expires));
                    if g.chance(0.5) {
                        moves.push(("verified", g.from(last)));
                    }
                }
            }
            let status = moves.last().unwrap().0;
            let no = format!("C-{i}-{c}");
            // Scoped to one of the subject's areas a third of the time (a certificate that
            // vouches for the area under policy version 3).
            let area_id = (!area_ids.is_empty() && g.chance(0.35)).then(|| *g.pick(&area_ids));
            rows.certifications.push(
                certification::Model {
                    area_id,
                    ..rows::certification(cid, sid, scheme.id, no, issued, expires, status, now)
                }
                .into_active_model()
                .reset_all(),
            );
            rows.timed_events("certification", cid, &timed(&moves, now), "oracle");
        }
        // Channels of every kind: verified by an auditor (on or after the channel began),
        // sometimes sent back to declared by an owner's edit and verified again, or refused;
        // listings
        // seen by the sync in spans that start or end a minute either side of a Vietnamese
        // midnight at the edges of the freshness windows.
        for c in 0..g.rng.random_range(0..=2) {
            let chid = Uuid::new_v4();
            let kind = *g.pick(&kinds);
            let active_from = g.chance(0.7).then(|| g.any());
            let active_to = g
                .chance(0.3)
                .then(|| g.from(active_from.unwrap_or(day("2020-01-01"))));
            let mut moves = Vec::new();
            if g.chance(0.15) {
                // Refused by an auditor (its listings no longer count), sometimes declared
                // again by the owner with new evidence.
                let last = g.from(active_from.unwrap_or(day("2021-01-01")));
                moves.push(("rejected", last));
                if g.chance(0.5) {
                    moves.push(("declared", g.from(last)));
                }
            } else if g.chance(0.6) {
                let mut last = g.from(active_from.unwrap_or(day("2021-01-01")));
                moves.push(("verified", last));
                if g.chance(0.25) {
                    // The owner re-purposes the channel: another kind, a wider period.
                    last = g.from(last);
                    moves.push(("declared", last));
                    edits.push(Edit::Channel(
                        chid,
                        g.pick(&kinds).to_string(),
                        g.chance(0.5).then(|| day("2019-01-01")),
                    ));
                    if g.chance(0.5) {
                        moves.push(("verified", g.from(last)));
                    }
                } else if g.chance(0.3) {
                    // The owner says the verified shop stopped: its last day counts no more.
                    edits.push(Edit::ChannelStop(chid, g.from(last)));
                }
            }
            let verified_on = match moves.last() {
                Some(("verified", on)) => Some(*on),
                _ => None,
            };
            let url = format!("https://shopee.vn/oracle-{i}-{c}");
            let verified = verified_on.map(|on| (on, "oracle"));
            rows.channels.push(
                sales_channel::Model {
                    active_from,
                    active_to,
                    verification_status: moves
                        .last()
                        .map_or("declared", |(s, _)| s)
                        .parse()
                        .expect("a known code"),
                    ..rows::channel(chid, sid, kind, url, verified, now)
                }
                .into_active_model()
                .reset_all(),
            );
            rows.timed_events("channel", chid, &timed(&moves, now), "oracle");
            for l in 0..g.rng.random_range(0..=2) {
                let lid = Uuid::new_v4();
                let trusted = g.chance(0.7);
                listing_spans(&mut g, &mut rows, lid, chid, trusted);
                let external = format!("{i}-{c}-{l}");
                rows.listings.push(
                    rows::listing(lid, chid, sid, i, external, trusted, (now, now), now)
                        .into_active_model()
                        .reset_all(),
                );
            }
        }
    }
    let txn = ocop_registry::db::begin_write(db).await.unwrap();
    rows.write(&*txn).await.unwrap();
    // The rows as first recorded are their first versions; the owners' edits come after.
    ocop_registry::history::backfill(&*txn).await.unwrap();
    let edited_at = now + TimeDelta::minutes(1);
    for edit in edits {
        let (entity, id) = match edit {
            Edit::Certification(id, issued, expires) => {
                certification::Entity::update_many()
                    .col_expr(certification::Column::IssuedOn, Expr::value(issued))
                    .col_expr(certification::Column::ExpiresOn, Expr::value(expires))
                    .filter(certification::Column::Id.eq(id))
                    .exec(&*txn)
                    .await
                    .unwrap();
                ("certification", id)
            }
            Edit::Area(id) => {
                raw_material_area::Entity::update_many()
                    .col_expr(raw_material_area::Column::Tenure, Expr::value("own"))
                    .col_expr(
                        raw_material_area::Column::ValidFrom,
                        Expr::value(day("2019-01-01")),
                    )
                    .col_expr(
                        raw_material_area::Column::ValidTo,
                        Expr::value(None::<NaiveDate>),
                    )
                    .filter(raw_material_area::Column::Id.eq(id))
                    .exec(&*txn)
                    .await
                    .unwrap();
                ("area", id)
            }
            Edit::Channel(id, kind, active_from) => {
                sales_channel::Entity::update_many()
                    .col_expr(sales_channel::Column::Kind, Expr::value(kind))
                    .col_expr(sales_channel::Column::ActiveFrom, Expr::value(active_from))
                    .col_expr(
                        sales_channel::Column::ActiveTo,
                        Expr::value(None::<NaiveDate>),
                    )
                    .filter(sales_channel::Column::Id.eq(id))
                    .exec(&*txn)
                    .await
                    .unwrap();
                ("channel", id)
            }
            Edit::ChannelStop(id, to) => {
                sales_channel::Entity::update_many()
                    .col_expr(sales_channel::Column::ActiveTo, Expr::value(Some(to)))
                    .filter(sales_channel::Column::Id.eq(id))
                    .exec(&*txn)
                    .await
                    .unwrap();
                ("channel", id)
            }
        };
        ocop_registry::history::keep(&*txn, entity, id, edited_at, false)
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

/// An owner's edit of a record's key fields after its verification, applied once the rows
/// are written: a certification's new issue and expiry dates; a channel's new kind and
/// period (from a new start, or none, to no end); an area made the owner's own land for ever.
enum Edit {
    Certification(Uuid, NaiveDate, NaiveDate),
    Area(Uuid),
    Channel(Uuid, String, Option<NaiveDate>),
    /// The owner says the shop stopped on a day (a narrowing: no new declaration).
    ChannelStop(Uuid, NaiveDate),
}

/// Moves recorded one after another: those up to the owner's edit when the rows were written,
/// the edit's `submitted`/`declared` a minute later (with the edit), a verification after it
/// two minutes later (seeing the edited values).
fn timed<'a>(
    moves: &[(&'a str, NaiveDate)],
    now: DateTime<Utc>,
) -> Vec<(&'a str, NaiveDate, DateTime<Utc>)> {
    let mut at = now;
    let mut out = Vec::new();
    for (i, (to, on)) in moves.iter().enumerate() {
        let back = i > 0 && matches!(*to, "submitted" | "declared");
        if back {
            at = now + TimeDelta::minutes(1);
        } else if at > now {
            at = now + TimeDelta::minutes(2);
        }
        out.push((*to, *on, at));
    }
    out
}

/// One or two spans in which a listing was seen active: ending at the start of the freshness
/// window of a report date (30 or 90 days) or starting at the end of a report day, give or
/// take a minute around Vietnamese midnight; or somewhere in between.
fn listing_spans(g: &mut Draw, rows: &mut Rows, listing: Uuid, channel: Uuid, trusted: bool) {
    for _ in 0..g.rng.random_range(1..=2) {
        let minute = *g.pick(&[-1, 0, 1, 600]);
        let (from_at, to_at) = match g.rng.random_range(0..3) {
            0 => {
                let window = *g.pick(&[30, 90]);
                let to = vietnamese_midnight(plus_days(g.near(), -window), minute);
                (to - TimeDelta::days(g.rng.random_range(0..40)), to)
            }
            1 => {
                let from = vietnamese_midnight(plus_days(g.near(), 1), minute);
                (from, from + TimeDelta::days(g.rng.random_range(0..40)))
            }
            _ => {
                let from = vietnamese_midnight(g.any(), minute);
                (from, from + TimeDelta::hours(g.rng.random_range(0..2_000)))
            }
        };
        rows.spans.push(
            listing_span::Model {
                id: Uuid::now_v7(),
                listing_id: listing,
                channel_id: channel,
                from_at,
                to_at,
                trusted,
                recorded_at: to_at,
            }
            .into_active_model()
            .reset_all(),
        );
    }
}

/// The figure the document gives for a numerator over a population (§4.5, §4.6, §7): the
/// share in percent rounded half away from zero to two decimals, the target met when
/// numerator × 100 ≥ target × population, the gap ⌈target × population / 100⌉ − numerator
/// (never below 0); for an empty unit, no share, and under a policy that says so no verdict.
fn figure(numerator: i64, population: i64, target: &str, not_applicable: bool) -> Value {
    let (n, d) = (Decimal::from(numerator), Decimal::from(population));
    let t: Decimal = target.parse().unwrap();
    let hundred = Decimal::ONE_HUNDRED;
    let share = (population > 0).then(|| {
        let s = (n * hundred / d).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        format!("{s:.2}")
    });
    let (met, gap) = if population == 0 && not_applicable {
        (None, None)
    } else {
        let needed = (t * d / hundred).ceil();
        (
            Some(n * hundred >= t * d),
            Some((needed - n).max(Decimal::ZERO)),
        )
    };
    json!({
        "numerator": numerator,
        "denominator": population,
        "share": share,
        "target": target,
        "met": met,
        "gap": gap.map(|g| i64::try_from(g).unwrap()),
    })
}

/// The figures a report row must show for unit `u`.
fn expected(tally: &HashMap<Uuid, (i64, i64, i64)>, u: Uuid, p: &Rules) -> Value {
    let (population, vc, mc) = tally.get(&u).copied().unwrap_or_default();
    let na = p.empty_units_not_applicable;
    json!({
        "population": population,
        "value_chain": figure(vc, population, &p.value_chain_target, na),
        "modern_channel": figure(mc, population, &p.modern_channel_target, na),
    })
}

/// The same figures read off a report row.
fn shown(row: &Value) -> Value {
    let indicator = |key: &str| {
        let f = row["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {row}"));
        json!({
            "numerator": f["numerator"],
            "denominator": f["denominator"],
            "share": f["share"],
            "target": f["target"],
            "met": f["met"],
            "gap": f["gap"],
        })
    };
    json!({
        "population": row["population"],
        "value_chain": indicator("value_chain"),
        "modern_channel": indicator("modern_channel"),
    })
}

/// What the comparisons covered, so that a generator that stopped exercising a rule fails.
#[derive(Debug, Default)]
struct Coverage {
    reports: usize,
    rows: usize,
    value_chain: i64,
    modern_channel: i64,
    population: i64,
    met: usize,
    missed: usize,
    not_applicable: usize,
    ambiguous: usize,
}

#[rocket::async_test]
async fn the_engine_agrees_with_a_plain_reading_of_the_rules_on_every_unit_date_and_policy() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A second capped scheme beside VietGAP's 27 months.
    let res = app
        .post(
            "/api/v1/schemes",
            Some(&admin),
            &json!({"code": "oracle_circular", "name": "Mô hình kinh tế tuần hoàn (12 tháng)",
                    "category": "circular", "max_validity_months": 12}),
        )
        .await;
    assert_eq!(res.status, Status::Created, "{:?}", res.body);
    let geography = Geography::load(&app.db).await.unwrap();
    generate(&app.db, &geography, SUBJECTS, 20_251_130).await;
    // Versions 1 to 3 are built in; two more turn every other switch.
    for body in [
        json!({"min_linkage_months": 24, "growing_area_code_is_stable": false,
               "value_chain_categories": ["green", "circular", "quality"],
               "modern_kinds": ["marketplace", "ocop_showroom", "export", "traditional"],
               "channel_freshness_days": 30, "count_owner_managed_listings": true,
               "verification_valid_months": 6, "empty_units_not_applicable": false,
               "validity_caps": {"vietgap": 27, "oracle_circular": 12, "organic": 36},
               "value_chain_target": "12.5", "modern_channel_target": "33.33"}),
        json!({"count_declared_channels": true, "cap_certificate_validity": false,
               "verify_areas": false,
               "value_chain_categories": ["circular"], "min_linkage_months": 37,
               "value_chain_target": "0", "modern_channel_target": "100"}),
    ] {
        let res = app.post("/api/v1/policies", Some(&admin), &body).await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
    }
    let listed = app.get("/api/v1/policies", Some(&admin)).await;
    let policies: Vec<Rules> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Rules::from_json(p).unwrap_or_else(|| panic!("unreadable policy {p}")))
        .collect();
    assert_eq!(policies.len(), 5);
    let registry = Registry::load(&app.db).await.unwrap();
    let geography = &registry.geography;
    let mut seen = Coverage::default();
    for (pi, p) in policies.iter().enumerate() {
        for (di, d) in report_dates().into_iter().enumerate() {
            // The rules do not depend on the level of the unit and the tree does not depend on
            // the policy: every date runs from the country down to the communes under one
            // policy (a different one for consecutive dates), and from the two provinces to
            // their children under the others.
            let to_communes = di % policies.len() == pi;
            let verdicts = registry.population(d, p);
            seen.ambiguous += verdicts.iter().filter(|v| v.lands.len() > 1).count();
            let tally = tallies(geography, &verdicts);
            // From the country (its provinces as children) or from the two provinces, down.
            let mut todo = if to_communes {
                vec![geography.by_code_on("country", "VN", d).unwrap().id]
            } else {
                ["49", "48"]
                    .iter()
                    .filter_map(|code| geography.by_code_on("province", code, d))
                    .map(|u| u.id)
                    .collect()
            };
            while let Some(u) = todo.pop() {
                let path = format!(
                    "/api/v1/indicators?unit_id={u}&as_of={d}&policy_version={}",
                    p.version
                );
                let report = app.get(&path, Some(&admin)).await;
                assert_eq!(report.status, Status::Ok, "{path}: {:?}", report.body);
                let name = &geography.units[&u].name;
                let want = expected(&tally, u, p);
                assert_eq!(
                    shown(&report.body),
                    want,
                    "{name} on {d} under policy {}",
                    p.version
                );
                seen.reports += 1;
                let mut children: Vec<&unit::Model> = geography.children_on(u, d);
                children.sort_by_key(|c| c.id);
                let mut rows: Vec<&Value> =
                    report.body["children"].as_array().unwrap().iter().collect();
                rows.sort_by_key(|r| r["unit"]["id"].as_str().unwrap().to_owned());
                assert_eq!(
                    rows.iter()
                        .map(|r| r["unit"]["id"].as_str().unwrap().to_owned())
                        .collect::<Vec<_>>(),
                    children
                        .iter()
                        .map(|c| c.id.to_string())
                        .collect::<Vec<_>>(),
                    "the children of {name} on {d}"
                );
                for (row, child) in rows.iter().zip(&children) {
                    let want = expected(&tally, child.id, p);
                    assert_eq!(
                        shown(row),
                        want,
                        "{} (child of {name}) on {d} under policy {}",
                        child.name,
                        p.version
                    );
                    seen.rows += 1;
                    seen.population += want["population"].as_i64().unwrap();
                    for key in ["value_chain", "modern_channel"] {
                        match want[key]["met"].as_bool() {
                            Some(true) => seen.met += 1,
                            Some(false) => seen.missed += 1,
                            None => seen.not_applicable += 1,
                        }
                    }
                    seen.value_chain += want["value_chain"]["numerator"].as_i64().unwrap();
                    seen.modern_channel += want["modern_channel"]["numerator"].as_i64().unwrap();
                    let descend = match child.level.code() {
                        "province" => ["49", "48"].contains(&child.code.as_str()),
                        "district" => to_communes,
                        _ => false,
                    };
                    if descend {
                        todo.push(child.id);
                    }
                }
            }
        }
    }
    // The data reach every branch: otherwise the agreement proves little.
    assert!(
        seen.population > 0 && seen.value_chain > 0 && seen.modern_channel > 0,
        "{seen:?}"
    );
    assert!(
        seen.value_chain < seen.population && seen.modern_channel < seen.population,
        "{seen:?}"
    );
    assert!(
        seen.met > 0 && seen.missed > 0 && seen.not_applicable > 0,
        "{seen:?}"
    );
    assert!(seen.ambiguous > 0, "{seen:?}");
}

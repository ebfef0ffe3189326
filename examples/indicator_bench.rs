//! Benchmark of the indicator engine.
//!
//! Fills a fresh database with N synthetic subjects in realistic proportions (products,
//! recognitions, raw-material areas, certifications with their status history, channels with
//! verifications, listings with activity spans) spread over the real Quảng Nam communes (or,
//! with `--spread country`, over every commune of the country), then times the province report
//! (or the whole country's, every province a child: `indicators::service::compute`, what
//! `GET /api/v1/indicators` does) against one hand-written SQL query computing the same numerators and denominators
//! (none of the engine's code: its communes come from the tests' oracle, `tests/api/oracle/rules.rs`),
//! and checks both give the same numbers — on the live tables, and "as known at" an instant
//! between the load and a later batch of edits (a twentieth of the areas closed), over the
//! versions the registry keeps (domain.md §8).
//!
//! ```sh
//! cargo run --release --example indicator_bench -- --subjects 10000,100000 --database sqlite
//! cargo run --release --example indicator_bench -- --subjects 10000,100000 \
//!     --database postgres://postgres@127.0.0.1:5432/postgres
//! cargo run --release --example indicator_bench -- --subjects 100000 --spread country
//! ```
//! SQLite files go to `bench-data/` (kept, so `--reuse` skips generation); PostgreSQL gets one
//! database per size (`ocop_bench_<n>`), dropped afterwards unless `--keep`.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use clap::Parser;
use entity::{
    listing, listing_span, listing_span_extension, raw_material_area, recognition, sales_channel,
    subject, unit,
};
use ocop_registry::config::{AppConfig, DatabaseConfig};
use ocop_registry::history::{self, Known};
use ocop_registry::unit_graph::{UnitGraph, valid_on};
use ocop_registry::{clock, indicators, policies, prepare};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Statement,
};
use uuid::Uuid;

// The communes of the hand-written query come from the tests' independent reading of the
// rules (domain.md §5), not from the engine's placement.
#[allow(dead_code, reason = "only the geography is needed here")]
#[path = "../tests/api/oracle/rules.rs"]
mod rules;

// The rows the generator writes, as the oracle's generator writes them.
#[path = "../tests/api/oracle/rows.rs"]
mod rows;
use rows::Rows;

#[derive(Parser)]
struct Args {
    /// Comma-separated subject counts.
    #[arg(long, default_value = "10000,100000")]
    subjects: String,
    /// `sqlite` or a PostgreSQL URL (of a database the bench may create others from).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Timed runs of each query (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Reuse an existing database of the right size instead of generating.
    #[arg(long)]
    reuse: bool,
    /// Keep PostgreSQL bench databases (and with `--reuse`, use them again).
    #[arg(long)]
    keep: bool,
    /// Where the subjects are: Quảng Nam (and the Đà Nẵng communes it became), reported as the
    /// province; or the whole country, reported as the country.
    #[arg(long, value_enum, default_value_t = Spread::QuangNam)]
    spread: Spread,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Spread {
    QuangNam,
    Country,
}

impl Spread {
    /// The unit reported on, and the one whose reach the subjects are drawn from.
    fn unit_code(self) -> &'static str {
        match self {
            Spread::QuangNam => "49",
            Spread::Country => ocop_registry::units::dataset::COUNTRY_CODE,
        }
    }

    fn file_tag(self) -> &'static str {
        match self {
            Spread::QuangNam => "",
            Spread::Country => "-country",
        }
    }
}

const AS_OF: NaiveDate = clock::date(2025, 6, 30);

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    println!(
        "| unit | database | subjects | rows generated | generation | known at | report (median) | hand-written SQL (median) | ratio | population | value chain | modern channel |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in args.subjects.split(',').map(|s| s.trim().parse::<usize>()) {
        let n = n?;
        let (config, cleanup) = database_for(&args, n).await?;
        let db = prepare(&config).await?;
        let existing = subject::Entity::find().count(&db).await?;
        let (rows, gen_time) = if args.reuse && existing == n as u64 {
            (0, Duration::ZERO)
        } else {
            anyhow::ensure!(
                existing == 0,
                "the bench database is not empty; delete it or use --reuse"
            );
            let t = Instant::now();
            let rows = generate(&db, n, args.spread).await?;
            (rows, t.elapsed())
        };
        let known = later_edits(&db).await?;
        analyze(&db).await?;
        let province =
            ocop_registry::units::service::by_code_on(&db, args.spread.unit_code(), AS_OF)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        // Version 2 against the hand-written query (which reads areas as registered); version
        // 3 (verified areas, certificate scopes, every scheme's cap) timed alone — the
        // indicator oracle in `tests/` checks its figures.
        let policy = policies::service::get(&db, Some(2))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let policy_3 = policies::service::get(&db, Some(3))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;

        // The country's report reads every subject; the hand-written query, with no list, too.
        let communes = match args.spread {
            Spread::Country => None,
            Spread::QuangNam => Some(
                rules::Geography::load(&db)
                    .await?
                    .communes_counting_in(province.id, AS_OF),
            ),
        };
        let mut results = Vec::new();
        for (label, at) in [("now", Known(None)), ("before the edits", known)] {
            let mut report_times = Vec::new();
            let mut report = None;
            for _ in 0..=args.runs {
                let t = Instant::now();
                let graph_now = UnitGraph::load(&db).await?;
                let r =
                    indicators::service::compute(&db, &graph_now, &policy, province.id, AS_OF, at)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                report_times.push(t.elapsed());
                report = Some(r);
            }
            let mut hand_times = Vec::new();
            let mut hand = (0, 0, 0);
            for _ in 0..=args.runs {
                let t = Instant::now();
                hand = hand_written(&db, &policy, communes.as_deref(), at.0).await?;
                hand_times.push(t.elapsed());
            }
            let report = report.ok_or_else(|| anyhow::anyhow!("no report"))?;
            let engine = (
                report.population,
                report.indicators[0].numerator,
                report.indicators[1].numerator,
            );
            anyhow::ensure!(
                engine == hand,
                "{label}: the engine {engine:?} and the hand-written query {hand:?} disagree"
            );
            results.push(engine);
            // The first run warms caches; the median of the others is reported.
            let (r, h) = (median(&report_times[1..]), median(&hand_times[1..]));
            println!(
                "| {} | {} | {n} | {} | {} | {label} | {} | {} | {:.2} | {} | {} | {} |",
                province.name,
                if config.database.url.starts_with("sqlite") {
                    "SQLite"
                } else {
                    "PostgreSQL"
                },
                if rows == 0 {
                    "(reused)".to_owned()
                } else {
                    rows.to_string()
                },
                if rows == 0 {
                    "–".to_owned()
                } else {
                    format!("{:.1} s", gen_time.as_secs_f64())
                },
                ms(r),
                ms(h),
                r.as_secs_f64() / h.as_secs_f64(),
                engine.0,
                engine.1,
                engine.2
            );
        }
        // The edits closed areas: known before them, more subjects had a stable area.
        anyhow::ensure!(
            results[1].1 > results[0].1,
            "the later edits should lower the value-chain count: {results:?}"
        );
        let mut v3_times = Vec::new();
        let mut v3 = None;
        for _ in 0..=args.runs {
            let t = Instant::now();
            let graph_now = UnitGraph::load(&db).await?;
            let r = indicators::service::compute(
                &db,
                &graph_now,
                &policy_3,
                province.id,
                AS_OF,
                Known(None),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            v3_times.push(t.elapsed());
            v3 = Some(r);
        }
        let v3 = v3.ok_or_else(|| anyhow::anyhow!("no report"))?;
        // Only verified areas count: fewer subjects than version 2 read.
        anyhow::ensure!(
            v3.indicators[0].numerator < results[0].1,
            "version 3 should count fewer value chains than version 2: {} vs {}",
            v3.indicators[0].numerator,
            results[0].1
        );
        println!(
            "| {} (policy v3) | {} | {n} | – | – | now | {} | – | – | {} | {} | {} |",
            province.name,
            if config.database.url.starts_with("sqlite") {
                "SQLite"
            } else {
                "PostgreSQL"
            },
            ms(median(&v3_times[1..])),
            v3.population,
            v3.indicators[0].numerator,
            v3.indicators[1].numerator
        );
        db.close().await?;
        if let Some(c) = cleanup
            && !args.keep
        {
            c.await?;
        }
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>;

async fn database_for(args: &Args, n: usize) -> anyhow::Result<(AppConfig, Option<Cleanup>)> {
    if args.database == "sqlite" {
        std::fs::create_dir_all("bench-data")?;
        let path = format!("bench-data/bench-{n}{}.db", args.spread.file_tag());
        if !args.reuse {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{path}{suffix}")).ok();
            }
        }
        let config = AppConfig {
            database: DatabaseConfig {
                url: format!("sqlite://{path}?mode=rwc"),
                ..Default::default()
            },
            ..AppConfig::default()
        };
        return Ok((config, None));
    }
    let admin = Database::connect(args.database.clone()).await?;
    let name = format!("ocop_bench_{n}{}", args.spread.file_tag().replace('-', "_"));
    if !args.reuse {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    let base = args
        .database
        .rsplit_once('/')
        .map_or(args.database.as_str(), |(b, _)| b);
    let config = AppConfig {
        database: DatabaseConfig {
            url: format!("{base}/{name}"),
            ..Default::default()
        },
        ..AppConfig::default()
    };
    let cleanup: Cleanup = Box::pin(async move {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        Ok(())
    });
    Ok((config, Some(cleanup)))
}

/// Records the loaded rows' first versions, then, an hour later by the registry's clock, closes a
/// twentieth of the raw-material areas at the end of 2024 (live row and versions, as an edit
/// through the API does). Returns a knowledge time between the two.
async fn later_edits(db: &DatabaseConnection) -> anyhow::Result<Known> {
    history::backfill(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let loaded = subject::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|s| s.created_at)
        .max()
        .unwrap_or_else(clock::now);
    let later = loaded + chrono::Duration::hours(1);
    let areas: Vec<Uuid> = raw_material_area::Entity::find()
        .filter(raw_material_area::Column::ValidTo.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|a| a.area_m2 % 20 == 0)
        .map(|a| a.id)
        .collect();
    let txn = ocop_registry::db::begin_write(db).await?;
    for id in areas {
        raw_material_area::Entity::update_many()
            .col_expr(
                raw_material_area::Column::ValidTo,
                sea_orm::sea_query::Expr::value(clock::date(2024, 12, 31)),
            )
            .filter(raw_material_area::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        history::keep(&txn, "area", id, later, false)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    txn.commit().await?;
    Ok(Known(Some(loaded + chrono::Duration::minutes(30))))
}

/// Fresh statistics for the planners after a bulk load.
async fn analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    // The same word on both databases.
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

fn day(rng: &mut StdRng, from: NaiveDate, span_days: u64) -> NaiveDate {
    from.checked_add_days(Days::new(rng.random_range(0..span_days)))
        .unwrap_or(from)
}

/// Generates `n` subjects and everything under them; returns the number of rows written.
async fn generate(db: &DatabaseConnection, n: usize, spread: Spread) -> anyhow::Result<u64> {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let graph = UnitGraph::load(db).await?;
    let root = ocop_registry::units::service::by_code_on(db, spread.unit_code(), AS_OF)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The communes the root's records can be in: its own, and what they became in 2025.
    let reach = graph.reach(root.id);
    let mut units: Vec<unit::Model> = unit::Entity::find()
        .filter(unit::Column::Level.eq("commune"))
        .all(db)
        .await?
        .into_iter()
        .filter(|u| reach.contains(&u.id))
        .collect();
    // Sorted, so a seed draws the same communes whatever order the database returns.
    units.sort_by_key(|u| u.id);
    let old: Vec<Uuid> = units
        .iter()
        .filter(|u| valid_on(u, clock::date(2024, 12, 31)))
        .map(|u| u.id)
        .collect();
    let new: Vec<Uuid> = units
        .iter()
        .filter(|u| valid_on(u, clock::date(2025, 7, 1)))
        .map(|u| u.id)
        .collect();
    let schemes = entity::certification_scheme::Entity::find().all(db).await?;
    let now = clock::now();
    let forms = [
        "cooperative",
        "enterprise",
        "household_business",
        "production_facility",
        "cooperative_group",
    ];
    let kinds = [
        "marketplace",
        "marketplace",
        "supermarket_chain",
        "social_commerce",
        "ocop_showroom",
        "traditional",
    ];
    let mut b = Rows::default();
    let mut written = 0;
    let mut txn = ocop_registry::db::begin_write(db).await?;
    for i in 0..n {
        let sid = Uuid::now_v7();
        // One in ten registered after the July 2025 reform, in a new commune, and rated after it.
        let after_reform = i % 10 == 9;
        let commune = if after_reform {
            new[rng.random_range(0..new.len())]
        } else {
            old[rng.random_range(0..old.len())]
        };
        b.subjects.push(
            subject::Model {
                legal_form: forms[i % forms.len()].parse().expect("a known code"),
                woman_led: i % 3 == 0,
                ..rows::subject(sid, i, commune, now)
            }
            .into_active_model()
            .reset_all(),
        );
        // Products, each rated once; a tenth re-rated. Decisions spread over 2019-2025, so about
        // half the subjects are active on the report date.
        for p in 0..rng.random_range(1..=3) {
            let pid = Uuid::now_v7();
            b.products.push(
                rows::product(pid, sid, i, p, now)
                    .into_active_model()
                    .reset_all(),
            );
            let ratings = if rng.random_bool(0.1) { 2 } else { 1 };
            for k in 0..ratings {
                let decided = if after_reform {
                    day(&mut rng, clock::date(2025, 7, 1), 300)
                } else {
                    day(&mut rng, clock::date(2019, 1, 1), 6 * 365)
                };
                let decision_no = format!("{i}-{p}-{k}");
                let valid_until = clock::add_months(decided, 36);
                b.recognitions.push(
                    recognition::Model {
                        stars: if rng.random_bool(0.15) { 4 } else { 3 },
                        revoked_on: rng
                            .random_bool(0.01)
                            .then(|| decided.checked_add_days(Days::new(300)).unwrap_or(decided)),
                        ..rows::recognition(pid, sid, decision_no, (decided, valid_until), now)
                    }
                    .into_active_model()
                    .reset_all(),
                );
            }
        }
        // Areas: 70 % of subjects, one or two, of every tenure.
        if rng.random_bool(0.7) {
            for _ in 0..rng.random_range(1..=2) {
                let tenure = ["own", "leased", "linked"][rng.random_range(0..3)];
                let start = day(&mut rng, clock::date(2021, 1, 1), 4 * 365);
                let months = [24u32, 36, 48, 60][rng.random_range(0..4)];
                let end = clock::add_months(start, months).pred_opt().unwrap_or(start);
                let linked = tenure == "linked";
                let contract = linked.then_some(rows::Contract {
                    start,
                    end,
                    months: months as i32,
                });
                // Submitted when it began; three in five verified three weeks later, one in
                // ten refused (policy version 3 counts only verified areas).
                let mut moves = vec![("submitted", start)];
                let decided = start.checked_add_days(Days::new(21)).unwrap_or(start);
                if rng.random_bool(0.6) {
                    moves.push(("verified", decided));
                } else if rng.random_bool(0.25) {
                    moves.push(("rejected", decided));
                }
                let area = raw_material_area::Model {
                    area_m2: rng.random_range(1..400_000),
                    growing_area_code: rng.random_bool(0.2).then(|| format!("VN-49-{i}")),
                    valid_from: Some(start),
                    status: moves[moves.len() - 1].0.parse().expect("a known code"),
                    ..rows::area(sid, i, commune, tenure, contract, now)
                };
                b.events("area", area.id, &moves, "bench", now);
                b.areas.push(area.into_active_model().reset_all());
            }
        }
        // Certifications: 40 % of subjects, with submitted → verified (→ suspended) histories.
        if rng.random_bool(0.4) {
            let cid = Uuid::now_v7();
            let issued = day(&mut rng, clock::date(2022, 1, 1), 3 * 365);
            let scheme = &schemes[rng.random_range(0..schemes.len())];
            let mut status = "submitted";
            let mut events = vec![(status, issued)];
            if rng.random_bool(0.7) {
                status = "verified";
                events.push((
                    status,
                    issued.checked_add_days(Days::new(30)).unwrap_or(issued),
                ));
                if rng.random_bool(0.15) {
                    status = "suspended";
                    events.push((
                        status,
                        issued.checked_add_days(Days::new(200)).unwrap_or(issued),
                    ));
                }
            }
            let (no, expires) = (format!("C-{i}"), clock::add_months(issued, 36));
            b.certifications.push(
                rows::certification(cid, sid, scheme.id, no, issued, expires, status, now)
                    .into_active_model()
                    .reset_all(),
            );
            b.events("certification", cid, &events, "bench", now);
        }
        // Channels: 60 % of subjects; half verified; marketplace shops have three listings seen
        // by the sync over the months before and after the report date.
        if rng.random_bool(0.6) {
            for _ in 0..rng.random_range(1..=2) {
                let chid = Uuid::now_v7();
                let kind = kinds[rng.random_range(0..kinds.len())];
                let from = day(&mut rng, clock::date(2022, 1, 1), 3 * 365);
                let verified = rng.random_bool(0.5);
                let verified_on = from
                    .checked_add_days(Days::new(rng.random_range(10..400)))
                    .unwrap_or(from);
                let url = format!("https://shopee.vn/{i}");
                let by = verified.then_some((verified_on, "bench"));
                b.channels.push(
                    sales_channel::Model {
                        active_from: Some(from),
                        ..rows::channel(chid, sid, kind, url, by, now)
                    }
                    .into_active_model()
                    .reset_all(),
                );
                if verified {
                    b.events("channel", chid, &[("verified", verified_on)], "bench", now);
                } else if rng.random_bool(0.15) {
                    // Refused by an auditor: its listings no longer count.
                    b.events("channel", chid, &[("rejected", verified_on)], "bench", now);
                }
                if kind == "marketplace" {
                    // A quarter of the shops are seen through connections their owners set up
                    // (a deterministic choice, so both databases get the same data).
                    let trusted = i % 4 != 0;
                    for l in 0..3 {
                        let lid = Uuid::now_v7();
                        let seen =
                            clock::day_start_utc(day(&mut rng, clock::date(2025, 1, 1), 365));
                        let until = seen + chrono::Duration::days(rng.random_range(0..60));
                        let span = Uuid::now_v7();
                        let external = format!("{i}-{l}");
                        b.listings.push(
                            listing::Model {
                                open_span_id: Some(span),
                                ..rows::listing(
                                    lid,
                                    chid,
                                    sid,
                                    i,
                                    external,
                                    trusted,
                                    (seen, until),
                                    now,
                                )
                            }
                            .into_active_model()
                            .reset_all(),
                        );
                        b.spans.push(
                            listing_span::Model {
                                id: span,
                                listing_id: lid,
                                channel_id: chid,
                                from_at: seen,
                                to_at: until,
                                trusted,
                                recorded_at: seen,
                            }
                            .into_active_model()
                            .reset_all(),
                        );
                        // Seen daily: known to have reached its end when it did.
                        b.extensions.push(
                            listing_span_extension::Model {
                                id: Uuid::now_v7(),
                                span_id: span,
                                to_at: until,
                                recorded_at: until,
                            }
                            .into_active_model()
                            .reset_all(),
                        );
                    }
                }
            }
        }
        if (i + 1) % 5000 == 0 {
            written += b.write(&*txn).await?;
            txn.commit().await?;
            txn = ocop_registry::db::begin_write(db).await?;
        }
    }
    written += b.write(&*txn).await?;
    txn.commit().await?;
    Ok(written)
}

/// The last day `d` such that a period of `months` starting on `d` has ended by `as_of`, found
/// by walking back day by day (on purpose not the engine's arithmetic).
fn last_lapsed_start(as_of: NaiveDate, months: u32) -> NaiveDate {
    let mut d = as_of;
    while d
        .checked_add_months(chrono::Months::new(months))
        .is_none_or(|end| end > as_of)
    {
        d = d.pred_opt().unwrap_or(NaiveDate::MIN);
    }
    d
}

/// The start of a Vietnamese calendar day (UTC+7), in UTC.
fn vietnam_midnight(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    let ict = chrono::FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!());
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(ict).single())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// The same numbers written by hand, independently of the engine's code, for policy version 2: the unit's totals, each rule a semi-join (`IN` in a `WHERE` clause) on the
/// population; with no communes, every subject (the country).
async fn hand_written(
    db: &DatabaseConnection,
    policy: &policies::dto::Policy,
    communes: Option<&[Uuid]>,
    known_at: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<(i64, i64, i64)> {
    let mut q = Binds {
        backend: db.get_database_backend(),
        values: Vec::new(),
    };
    // Each table as known: its versions valid at the instant; events and relocations recorded
    // by then; listing spans recorded by then, ending at their last recorded growth.
    let v = |q: &mut Binds, table: &str| -> String {
        let Some(t) = known_at else {
            return table.to_owned();
        };
        match table {
            "status_event" => format!("(SELECT * FROM status_event WHERE at <= {})", q.bind(t)),
            "subject_relocation" => format!(
                "(SELECT * FROM subject_relocation WHERE recorded_at <= {})",
                q.bind(t)
            ),
            "listing_span" => {
                let (a, b) = (q.bind(t), q.bind(t));
                format!(
                    "(SELECT s.id, s.channel_id, s.trusted, s.from_at, \
                       (SELECT COALESCE(MAX(x.to_at), s.from_at) FROM listing_span_extension x \
                        WHERE x.span_id = s.id AND x.recorded_at <= {a}) AS to_at \
                     FROM listing_span s WHERE s.recorded_at <= {b})"
                )
            }
            _ => {
                let (a, b) = (q.bind(t), q.bind(t));
                format!(
                    "(SELECT * FROM {table}_version WHERE recorded_at <= {a} \
                     AND NOT (superseded_at IS NOT NULL AND superseded_at <= {b}))"
                )
            }
        }
    };
    let [rel1, rel2, rel3, rel4] = std::array::from_fn(|_| v(&mut q, "subject_relocation"));
    let (subjects, recognitions, certs, schemes) = (
        v(&mut q, "subject"),
        v(&mut q, "recognition"),
        v(&mut q, "certification"),
        v(&mut q, "certification_scheme"),
    );
    let (events1, areas, channels, events2, spans) = (
        v(&mut q, "status_event"),
        v(&mut q, "raw_material_area"),
        v(&mut q, "sales_channel"),
        v(&mut q, "status_event"),
        v(&mut q, "listing_span"),
    );
    let d = |q: &mut Binds| q.bind(AS_OF);
    let placed = match communes {
        Some(list) => format!(
            "COALESCE(moved.commune_id, s.commune_id) IN ({}) AND ",
            list.iter()
                .map(|c| q.bind(*c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    let (d1, d2, d3) = (d(&mut q), d(&mut q), d(&mut q));
    let (d4, d5, d6) = (d(&mut q), d(&mut q), d(&mut q));
    let (d7, d8, d9, d10) = (d(&mut q), d(&mut q), d(&mut q), d(&mut q));
    let min = q.bind(policy.min_linkage_months);
    let (d11, d12, d13) = (d(&mut q), d(&mut q), d(&mut q));
    // Listings seen from the start of day D − freshness to the end of day D.
    let days = chrono::Days::new(u64::try_from(policy.channel_freshness_days)?);
    let w_from = vietnam_midnight(AS_OF - days);
    let w_to = vietnam_midnight(AS_OF + chrono::Days::new(1));
    let (w1, w2) = (q.bind(w_from), q.bind(w_to));
    // Certificates count at most their scheme's validity (the default catalogue: VietGAP 27
    // months); verifications last `verification_valid_months`.
    let capped = if policy.cap_certificate_validity {
        let cut = q.bind(last_lapsed_start(AS_OF, 27));
        format!(" AND NOT (cs.code = 'vietgap' AND c.issued_on <= {cut})")
    } else {
        String::new()
    };
    let fresh = match policy.verification_valid_months {
        Some(m) => format!(
            " AND e.effective_on > {}",
            q.bind(last_lapsed_start(AS_OF, u32::try_from(m)?))
        ),
        None => String::new(),
    };
    let trusted = if policy.count_owner_managed_listings {
        String::new()
    } else {
        format!(" AND ls.trusted = {}", q.bind(true))
    };
    let events3 = v(&mut q, "status_event");
    let d14 = d(&mut q);
    let (m1, m2) = (d(&mut q), d(&mut q));
    let text = format!(
        "WITH moved AS MATERIALIZED (
           SELECT m.subject_id, m.to_commune_id AS commune_id FROM {rel1} m
           WHERE m.seq = (SELECT x.seq FROM {rel2} x
                          WHERE x.subject_id = m.subject_id AND x.effective_on <= {m1}
                          ORDER BY x.effective_on DESC, x.seq DESC LIMIT 1)
           UNION ALL
           SELECT m.subject_id, m.from_commune_id FROM {rel3} m
           WHERE m.seq = (SELECT x.seq FROM {rel4} x WHERE x.subject_id = m.subject_id
                          ORDER BY x.effective_on, x.seq LIMIT 1)
             AND m.effective_on > {m2}),
         p AS MATERIALIZED (
           SELECT s.id FROM {subjects} s LEFT JOIN moved ON moved.subject_id = s.id
           WHERE {placed}s.id IN (SELECT r.subject_id FROM {recognitions} r
                          WHERE r.stars >= 3 AND r.decision_date <= {d1} AND r.valid_until > {d2}
                            AND (r.revoked_on IS NULL OR r.revoked_on > {d3})))
         SELECT
           (SELECT COUNT(*) FROM p) AS population,
           (SELECT COUNT(*) FROM p
             WHERE p.id IN (
                 SELECT c.subject_id FROM {certs} c
                 JOIN {schemes} cs ON cs.id = c.scheme_id
                 WHERE cs.category IN ('green', 'circular') AND c.issued_on <= {d4} AND c.expires_on > {d5}{capped}
                   AND 'verified' = (SELECT e.to_status FROM {events1} e
                                     WHERE e.entity_id = c.id AND e.entity = 'certification'
                                       AND e.effective_on <= {d6} ORDER BY e.seq DESC LIMIT 1))
               AND p.id IN (
                 SELECT a.subject_id FROM {areas} a
                 WHERE (a.valid_from IS NULL OR a.valid_from <= {d7}) AND (a.valid_to IS NULL OR a.valid_to >= {d8})
                   AND (a.tenure IN ('own', 'leased') OR a.growing_area_code IS NOT NULL
                        OR (a.tenure = 'linked' AND a.linkage_start_on <= {d9}
                            AND a.linkage_end_on >= {d10} AND a.linkage_months >= {min})))) AS value_chain,
           (SELECT COUNT(*) FROM p
             WHERE p.id IN (
                 SELECT ch.subject_id FROM {channels} ch
                 WHERE ch.kind IN ('marketplace', 'social_commerce', 'own_webshop', 'supermarket_chain', 'convenience_chain')
                   AND (ch.active_from IS NULL OR ch.active_from <= {d11})
                   AND (ch.active_to IS NULL OR ch.active_to >= {d12})
                   AND (1 = (SELECT CASE WHEN e.to_status = 'verified'{fresh} THEN 1 ELSE 0 END
                             FROM {events2} e
                             WHERE e.entity_id = ch.id AND e.entity = 'channel'
                               AND e.effective_on <= {d13} ORDER BY e.seq DESC LIMIT 1)
                        OR (EXISTS (SELECT 1 FROM {spans} ls WHERE ls.channel_id = ch.id
                                    AND ls.to_at >= {w1} AND ls.from_at < {w2}{trusted})
                            AND 'rejected' <> COALESCE((SELECT e.to_status FROM {events3} e
                                WHERE e.entity_id = ch.id AND e.entity = 'channel'
                                  AND e.effective_on <= {d14} ORDER BY e.seq DESC LIMIT 1), ''))))) AS modern_channel"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(q.backend, text, q.values))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    Ok((
        row.try_get::<i64>("", "population")?,
        row.try_get::<i64>("", "value_chain")?,
        row.try_get::<i64>("", "modern_channel")?,
    ))
}

/// Values bound in the order their numbered markers are written (`$n` on PostgreSQL, `?n` on
/// SQLite).
struct Binds {
    backend: DbBackend,
    values: Vec<sea_orm::Value>,
}

impl Binds {
    fn bind(&mut self, v: impl Into<sea_orm::Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }
}

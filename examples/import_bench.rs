//! Benchmark of list imports (issue 12): a generated list of recognised products — a producer,
//! a product and a complete recognition on each row, one row in ten without its tax code (a
//! draft) — imported into a fresh SQLite database: the dry run, then the real run.
//!
//! ```sh
//! cargo run --release --example import_bench -- --rows 10000 --kind products
//! cargo run --release --example import_bench -- --rows 10000 --kind subjects
//! cargo run --release --example import_bench -- --rows 10000 --auditor   # as Quảng Nam's auditor
//! ```

use std::collections::HashSet;
use std::time::Instant;

use clap::Parser;
use ocop_registry::auth::Actor;
use ocop_registry::config::AppConfig;
use ocop_registry::i18n::Lang;
use ocop_registry::imports::dto::{ImportKind, ImportQuery};
use ocop_registry::unit_graph::{UnitGraph, valid_on};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[derive(Parser)]
struct Args {
    /// Rows of the generated list.
    #[arg(long, default_value_t = 10_000)]
    rows: usize,
    /// `products` (producer, product and recognition per row) or `subjects`.
    #[arg(long, default_value = "products", value_parser = ["products", "subjects"])]
    kind: String,
    /// Import as Quảng Nam's auditor (scope checked on every row) instead of an administrator.
    #[arg(long)]
    auditor: bool,
    /// The database (a fresh SQLite file by default; a PostgreSQL URL of an empty database).
    #[arg(long, default_value = "bench-data/import-bench.db")]
    database: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let database_url = if args.database.starts_with("postgres") {
        args.database.clone()
    } else {
        std::fs::create_dir_all("bench-data")?;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", args.database));
        }
        format!("sqlite://{}?mode=rwc", args.database)
    };
    let mut config = AppConfig::default();
    config.database.url = database_url;
    config.sync.interval_secs = 0;
    let db = ocop_registry::prepare(&config).await?;
    let on = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
    let graph = UnitGraph::load(&db).await?;
    // Quảng Nam's communes on that day, with their districts' names.
    let mut places: Vec<(String, String)> = graph
        .communes()
        .filter_map(|id| graph.get(id))
        .filter(|c| valid_on(c, on) && c.code.starts_with("20"))
        .filter_map(|c| {
            let d = graph.get(c.parent_id?)?;
            Some((d.name.clone(), c.name.clone()))
        })
        .collect();
    places.sort();
    anyhow::ensure!(!places.is_empty(), "no commune loaded");

    let mut rng = StdRng::seed_from_u64(12);
    let mut taxes = HashSet::new();
    let mut csv = String::from(
        "Tên sản phẩm;Nhóm sản phẩm;Chủ thể;Mã số thuế;Huyện;Xã;Hạng sao;Số quyết định;Ngày quyết định\n",
    );
    for i in 0..args.rows {
        let (district, commune) = &places[i % places.len()];
        let tax = if i % 10 == 9 {
            String::new()
        } else {
            loop {
                let t = ocop_registry::demo::tax_code(&mut rng);
                if taxes.insert(t.clone()) {
                    break t;
                }
            }
        };
        csv.push_str(&format!(
            "Sản phẩm {i};Thực phẩm;HTX Số {i};{tax};{district};{commune};{} sao;{}/QĐ-UBND;15/08/2024\n",
            3 + i % 3,
            1000 + i
        ));
    }
    let mut actor = Actor::system("import bench");
    if args.auditor {
        let quang_nam = graph
            .all()
            .filter_map(|id| graph.get(id))
            .find(|u| {
                u.level == ocop_registry::domain::UnitLevel::Province
                    && u.code == "49"
                    && valid_on(u, on)
            })
            .map(|u| u.id);
        actor.role = ocop_registry::domain::Role::Auditor;
        actor.unit_id = Some(quang_nam.ok_or_else(|| anyhow::anyhow!("no Quảng Nam"))?);
    }
    let quiet = |_: usize, _: usize| {};
    for dry_run in [true, false] {
        let q = ImportQuery {
            format: None,
            kind: if args.kind == "products" {
                ImportKind::Products
            } else {
                ImportKind::Subjects
            },
            dry_run,
            partial: false,
            on: Some(on),
            unit_id: None,
            authority: None,
            sheet: None,
            lang: None,
        };
        let t = Instant::now();
        let s = ocop_registry::imports::run(&db, &actor, &q, csv.as_bytes(), Lang::Vi, &quiet)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            s.errors.is_empty(),
            "errors: {:?}",
            &s.errors[..3.min(s.errors.len())]
        );
        println!(
            "{:<8} {} rows: {} created, {} drafts in {secs:.2} s ({:.0} rows/s)",
            if dry_run { "dry run" } else { "real" },
            s.rows,
            s.created,
            s.drafts,
            s.rows as f64 / secs
        );
    }
    Ok(())
}

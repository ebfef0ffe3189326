//! Adds rated products to a registry's database, for the public search's benchmark
//! (`WHAT=public PRODUCTS=20000 scripts/load`, docs/benchmarks.md): producers spread over every
//! commune of today's map, each with two products named as OCOP products are ("Trà sâm Ngọc
//! Linh", "Bánh tráng nướng Đại Lộc"), each rated once. Rows go straight to the tables (the
//! search's indexes follow by themselves: triggers on SQLite, the GIN indexes on PostgreSQL).
//!
//! ```sh
//! cargo run --release --example many_products -- --database sqlite://registry.db --products 20000
//! ```

use chrono::{Days, Months, NaiveDate};
use clap::Parser;
use entity::{enums::UnitLevel, unit};
use ocop_registry::text::fold;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};
use uuid::Uuid;

#[allow(
    dead_code,
    reason = "only subjects, products and recognitions are needed here"
)]
#[path = "../tests/api/oracle/rows.rs"]
mod rows;

#[derive(Parser)]
struct Args {
    /// The registry's database (already migrated: start the registry on it first).
    #[arg(long)]
    database: String,
    /// How many products to add (two per producer).
    #[arg(long, default_value_t = 20_000)]
    products: usize,
}

/// What OCOP products are called: the kind, then the place.
const KINDS: &[&str] = &[
    "Trà sâm",
    "Trà xanh",
    "Bánh tráng nướng",
    "Nước mắm cá cơm",
    "Mật ong rừng",
    "Tỏi cô đơn",
    "Mì Quảng",
    "Gạo hữu cơ",
    "Rượu Bàu Đá",
    "Nấm linh chi",
    "Cà phê rang xay",
    "Quế Trà My",
    "Hồ tiêu",
    "Bánh tét lá cẩm",
    "Tinh dầu sả",
    "Chè dây",
    "Sâm Ngọc Linh",
    "Mắm tôm chua",
    "Bưởi da xanh",
    "Dưa hấu",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = Database::connect(args.database.as_str()).await?;
    let communes = unit::Entity::find()
        .filter(unit::Column::Level.eq(UnitLevel::Commune))
        .filter(unit::Column::ValidTo.is_null())
        .all(&db)
        .await?;
    anyhow::ensure!(
        !communes.is_empty(),
        "no communes: is the database migrated?"
    );
    let mut rng = StdRng::seed_from_u64(34);
    let now = ocop_registry::clock::now();
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).expect("a date");
    let mut batch = rows::Rows::default();
    let mut added = 0;
    for i in 0..args.products.div_ceil(2) {
        let commune = &communes[rng.random_range(0..communes.len())];
        let place = commune
            .name
            .trim_start_matches("Xã ")
            .trim_start_matches("Phường ")
            .trim_start_matches("Đặc khu ")
            .to_owned();
        let subject_id = Uuid::now_v7();
        let mut s = rows::subject(subject_id, i, commune.id, now);
        s.name = format!(
            "HTX {} {place} {i}",
            KINDS[rng.random_range(0..KINDS.len())]
        );
        s.search_text = fold(&s.name);
        batch.subjects.push(s.into());
        for p in 0..2 {
            if added == args.products {
                break;
            }
            let product_id = Uuid::now_v7();
            let mut m = rows::product(product_id, subject_id, i, p, now);
            m.name = format!("{} {place}", KINDS[rng.random_range(0..KINDS.len())]);
            m.name_folded = fold(&m.name);
            batch.products.push(m.into());
            let decided = start + Days::new(rng.random_range(0..1000));
            let mut r = rows::recognition(
                product_id,
                subject_id,
                format!("{}/QĐ-UBND", 5000 + added),
                (decided, decided + Months::new(36)),
                now,
            );
            r.stars = [3, 3, 3, 4, 5][rng.random_range(0..5)];
            batch.recognitions.push(r.into());
            added += 1;
        }
        if batch.products.len() >= 2000 {
            batch.write(&db).await?;
        }
    }
    batch.write(&db).await?;
    println!("added {added} rated products");
    Ok(())
}

//! Benchmark of the pages against the API they show (issue 11): the province dashboard against
//! `GET /api/v1/indicators` for the same unit and date, and a page of the drill-down, through
//! Rocket's local client (every layer but the socket) on a database made by `indicator_bench`.
//!
//! ```sh
//! cargo run --release --example indicator_bench -- --subjects 100000 --database sqlite
//! cargo run --release --example page_bench -- --database bench-data/bench-100000.db
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use ocop_registry::auth::Actor;
use ocop_registry::config::AppConfig;
use ocop_registry::domain::Role;
use ocop_registry::tokens::dto::CreateToken;
use ocop_registry::users::dto::CreateUser;
use ocop_registry::users::sessions::{self, Policy};
use ocop_registry::{build_rocket, prepare, tokens, users};
use rocket::http::{Cookie, Header, Status};
use rocket::local::asynchronous::Client;

#[derive(Parser)]
struct Args {
    /// The SQLite file `indicator_bench` made (or a PostgreSQL URL of such a database).
    #[arg(long, default_value = "bench-data/bench-100000.db")]
    database: String,
    /// Timed runs of each request (the median is reported; one more warms up).
    #[arg(long, default_value_t = 5)]
    runs: usize,
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
        anyhow::ensure!(
            std::path::Path::new(&args.database).exists(),
            "{} does not exist: run indicator_bench first",
            args.database
        );
        format!("sqlite://{}?mode=rwc", args.database)
    };
    let mut config = AppConfig::default();
    config.database.url = database_url;
    config.sync.interval_secs = 0;
    let db = prepare(&config).await?;
    let fail = |e: ocop_registry::error::AppError| anyhow::anyhow!("{e}");
    // An administrator's token for the API and a session for the pages.
    let admin = Actor::system("page bench");
    let token = tokens::service::create(
        &db,
        &admin,
        CreateToken {
            role: Role::Admin,
            unit_id: None,
            subject_id: None,
            platform: None,
            name: Some("page bench".to_owned()),
        },
    )
    .await
    .map_err(fail)?
    .secret;
    let username = format!("bench{}", uuid::Uuid::new_v4().simple());
    let password = "bench password, long enough".to_owned();
    users::service::create(
        &db,
        &admin,
        CreateUser {
            username: username.clone(),
            role: Role::Admin,
            unit_id: None,
            subject_id: None,
            display_name: "Bench".to_owned(),
        },
        Some(password.clone()),
    )
    .await
    .map_err(fail)?;
    let secret = sessions::sign_in(&db, Policy::from_config(&config), &username, &password)
        .await
        .map_err(fail)?
        .secret;
    let province = ocop_registry::units::service::by_code_on(
        &db,
        "49",
        chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default(),
    )
    .await
    .map_err(fail)?;
    let figment = rocket::Config::figment().merge(("log_level", rocket::config::LogLevel::Off));
    let client = Client::untracked(build_rocket(figment, config, db)?).await?;

    let time = |path: String, with_session: bool| {
        let client = &client;
        let token = token.clone();
        let secret = secret.clone();
        async move {
            let mut times = Vec::new();
            let mut size = 0;
            for _ in 0..=args.runs {
                let mut req = client.get(path.clone());
                req = if with_session {
                    req.cookie(Cookie::new("ocop_session", secret.clone()))
                } else {
                    req.header(Header::new("Authorization", format!("Bearer {token}")))
                };
                let t = Instant::now();
                let res = req.dispatch().await;
                let status = res.status();
                let body = res.into_bytes().await.unwrap_or_default();
                times.push(t.elapsed());
                anyhow::ensure!(status == Status::Ok, "{path}: {status}");
                size = body.len();
            }
            Ok::<_, anyhow::Error>((median(&times[1..]), size))
        }
    };
    let api = time(
        format!(
            "/api/v1/indicators?unit_id={}&as_of=2025-06-30",
            province.id
        ),
        false,
    )
    .await?;
    let dashboard = time("/dashboard?unit=49&date=30/06/2025".to_owned(), true).await?;
    let drill = time(
        "/dashboard/subjects?unit=49&date=2025-06-30&indicator=modern_channel&counts=false"
            .to_owned(),
        true,
    )
    .await?;
    let drill_api = time(
        format!(
            "/api/v1/indicators/subjects?unit_id={}&as_of=2025-06-30&indicator=modern_channel&counts=false",
            province.id
        ),
        false,
    )
    .await?;
    println!("| request | median | body |");
    println!("|---|---|---|");
    for (label, (t, size)) in [
        ("GET /api/v1/indicators (province 49, 30/06/2025)", api),
        ("GET /dashboard?unit=49&date=30/06/2025", dashboard),
        (
            "GET /api/v1/indicators/subjects (page 1 of those not counting)",
            drill_api,
        ),
        ("GET /dashboard/subjects (page 1 of 50 not counting)", drill),
    ] {
        println!("| {label} | {} | {} KB |", ms(t), size / 1024);
    }
    println!(
        "\ndashboard / API report: {:.2}; drill-down page: {}",
        dashboard.0.as_secs_f64() / api.0.as_secs_f64(),
        ms(drill.0)
    );
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

//! Benchmark of the channel sync: N listings from a local fake marketplace feed (pages of 100,
//! generated on the fly, so the fake holds nothing), into a fresh database, through the same
//! `sync::runs::run` as `POST /api/v1/channels/{id}/sync`. Prints the time and the peak
//! resident memory of the process (`VmHWM`); run it once per size to compare peaks.
//!
//! ```sh
//! cargo run --release --example sync_bench -- --listings 100000
//! cargo run --release --example sync_bench -- --listings 100000 --database postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::time::Instant;

use clap::Parser;
use ocop_registry::auth::Actor;
use ocop_registry::channels::dto::CreateChannel;
use ocop_registry::config::AppConfig;
use ocop_registry::domain::{ChannelKind, LegalForm};
use ocop_registry::subjects::dto::CreateSubject;
use ocop_registry::sync::dto::{ConnectionInput, ConnectorKind, SyncOptions};
use ocop_registry::sync::{SyncSettings, connection, runs};
use ocop_registry::units::dataset::unit_id;
use ocop_registry::{channels, prepare, subjects};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Parser)]
struct Args {
    /// Listings in the fake shop.
    #[arg(long, default_value_t = 100_000)]
    listings: usize,
    /// `sqlite` or a PostgreSQL URL (a database `ocop_sync_bench` is created next to it).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Only serve the fake marketplace and print its address (the bench runs it in a child
    /// process, so the memory measured is the registry's alone).
    #[arg(long)]
    fake_only: bool,
}

/// Pages of the fake feed, made on request: `cursor` is the offset.
struct GeneratedFeed(usize);

impl Respond for GeneratedFeed {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            q.iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let offset = get("cursor").unwrap_or(0);
        let limit = get("limit").unwrap_or(100);
        let end = (offset + limit).min(self.0);
        let items: Vec<_> = (offset..end)
            .map(|i| {
                json!({"id": format!("SKU-{i:07}"), "title": format!("Trà sâm Ngọc Linh hộp {i}"),
                            "price_vnd": (100_000 + i % 50 * 1000).to_string(), "status": "active"})
            })
            .collect();
        let next = (end < self.0).then(|| end.to_string());
        ResponseTemplate::new(200).set_body_json(json!({"items": items, "next_cursor": next}))
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn serve_fake(listings: usize) -> anyhow::Result<()> {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .respond_with(GeneratedFeed(listings))
        .mount(&server)
        .await;
    println!("{}", server.uri());
    std::future::pending::<()>().await;
    Ok(())
}

/// Starts the fake marketplace in a child process; returns it and its address.
fn spawn_fake(listings: usize) -> anyhow::Result<(std::process::Child, String)> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--fake-only", "--listings", &listings.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    Ok((child, line.trim().to_owned()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.fake_only {
        return serve_fake(args.listings).await;
    }
    let (mut fake, uri) = spawn_fake(args.listings)?;
    let result = measure(&args, &uri).await;
    fake.kill().ok();
    result
}

async fn measure(args: &Args, uri: &str) -> anyhow::Result<()> {
    let url = if args.database == "sqlite" {
        std::fs::create_dir_all("bench-data")?;
        for suffix in ["", "-wal", "-shm"] {
            std::fs::remove_file(format!("bench-data/sync-bench.db{suffix}")).ok();
        }
        "sqlite://bench-data/sync-bench.db?mode=rwc".to_owned()
    } else {
        let admin = Database::connect(args.database.clone()).await?;
        admin
            .execute_unprepared("DROP DATABASE IF EXISTS ocop_sync_bench WITH (FORCE)")
            .await?;
        admin
            .execute_unprepared("CREATE DATABASE ocop_sync_bench")
            .await?;
        let base = args
            .database
            .rsplit_once('/')
            .map_or(args.database.as_str(), |(b, _)| b);
        format!("{base}/ocop_sync_bench")
    };
    let mut config = AppConfig::default();
    config.database.url = url;
    let db = prepare(&config).await?;
    let settings = SyncSettings::from_config(&config).map_err(anyhow::Error::msg)?;
    let actor = Actor::cli();
    let fail = |e: ocop_registry::error::AppError| anyhow::anyhow!("{e}");
    let subject = subjects::service::create(
        &db,
        &actor,
        CreateSubject {
            name: "HTX Bench".to_owned(),
            legal_form: LegalForm::CooperativeGroup,
            tax_code: None,
            commune_id: unit_id("commune", "20335", None),
            address: None,
            representative: None,
            phone: None,
            email: None,
            woman_led: false,
            founded_on: None,
        },
    )
    .await
    .map_err(fail)?;
    let channel = channels::service::create(
        &db,
        &actor,
        subject.id,
        CreateChannel {
            kind: ChannelKind::Marketplace,
            platform: "postmart".to_owned(),
            shop_url: Some(uri.to_owned()),
            shop_id: None,
            active_from: None,
            active_to: None,
            evidence_url: None,
            evidence_document_id: None,
            submitted_on: None,
        },
    )
    .await
    .map_err(fail)?;
    connection::put(
        &db,
        &settings,
        &actor,
        channel.id,
        ConnectionInput {
            connector: ConnectorKind::Feed,
            base_url: Some(format!("{uri}/feed")),
            partner_id: None,
            shop_id: None,
            app_secret: None,
            access_token: None,
            refresh_token: None,
            token_expires_at: None,
            webhook_secret: None,
            rate_limit_per_minute: Some(6000),
            sync_interval_minutes: None,
        },
    )
    .await
    .map_err(fail)?;
    let before = peak_rss_mib();
    let full = SyncOptions { full: Some(true) };
    let t = Instant::now();
    let first = runs::run(
        &db,
        &settings,
        channel.id,
        ocop_registry::domain::RunTrigger::Cli,
        &full,
    )
    .await
    .map_err(fail)?;
    let first_time = t.elapsed();
    let after_first = peak_rss_mib();
    let t = Instant::now();
    let second = runs::run(
        &db,
        &settings,
        channel.id,
        ocop_registry::domain::RunTrigger::Cli,
        &full,
    )
    .await
    .map_err(fail)?;
    let second_time = t.elapsed();
    let after_second = peak_rss_mib();
    anyhow::ensure!(
        first.status == ocop_registry::domain::RunStatus::Succeeded
            && second.status == ocop_registry::domain::RunStatus::Succeeded,
        "a run failed: {:?} {:?}",
        first.reason,
        second.reason
    );
    anyhow::ensure!(
        first.added == args.listings as i64,
        "added {} of {}",
        first.added,
        args.listings
    );
    println!(
        "| {} | {} | {} | first sync (all new): {:.1} s | second sync (all seen again): {:.1} s | peak RSS before {:.0} MiB, after first {:.0} MiB, after second {:.0} MiB |",
        if config.database.url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        args.listings,
        first.pages,
        first_time.as_secs_f64(),
        second_time.as_secs_f64(),
        before,
        after_first,
        after_second,
    );
    Ok(())
}

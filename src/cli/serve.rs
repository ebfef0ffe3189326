//! `serve [--demo]`: the HTTP API.

use clap::Args;
use ocop_registry::config::AppConfig;
use ocop_registry::{build_rocket, demo, prepare, sync};
use rocket::figment::Figment;

#[derive(Args)]
pub struct Serve {
    /// Fill an empty database with demonstration data and print one token per role.
    #[arg(long)]
    pub demo: bool,
}

pub async fn run(a: Serve, figment: Figment, config: AppConfig) -> anyhow::Result<()> {
    let db = prepare(&config).await?;
    let mut rocket = build_rocket(figment.clone(), config, db.clone())?;
    if a.demo {
        let address: String = figment
            .extract_inner("address")
            .unwrap_or_else(|_| "127.0.0.1".to_owned());
        let port: u16 = figment.extract_inner("port").unwrap_or(8000);
        // The registry listens on every interface there, but is reached on loopback.
        let host = match address.as_str() {
            "0.0.0.0" | "::" => "127.0.0.1".to_owned(),
            a if a.contains(':') => format!("[{a}]"),
            _ => address,
        };
        let base_url = format!("http://{host}:{port}");
        demo::run(&db, &base_url)
            .await
            .map_err(|e| anyhow::anyhow!("loading demo data failed: {e}"))?;
        let channel = demo::feed_channel(&db, &format!("{base_url}/demo/feed"))
            .await
            .map_err(|e| anyhow::anyhow!("setting up the demo feed failed: {e}"))?;
        rocket = rocket
            .mount("/", sync::demo_feed::routes())
            .attach(demo::sync_at_liftoff(channel));
    }
    rocket
        .launch()
        .await
        .map_err(|e| anyhow::anyhow!("the server stopped: {e}"))?;
    Ok(())
}

//! ocop-registry: the system of record for Vietnam's OCOP programme ("One Commune One
//! Product"): subjects, products, star recognitions, evidence, and the two provincial
//! indicators computed exactly for any unit on any date.
//!
//! [`build_rocket`] assembles the HTTP application; `main.rs` is the command line around it.

pub mod areas;
pub mod audit;
pub mod auth;
pub mod catcher;
pub mod certifications;
pub mod change_requests;
pub mod channels;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod drafts;
pub mod error;
pub mod export;
pub mod feedback;
pub mod geometry;
pub mod history;
pub mod http;
pub mod i18n;
pub mod ids;
pub mod imports;
pub mod indicators;
pub mod lifecycle;
pub mod limits;
pub mod meta;
pub mod notices;
pub mod openapi;
pub mod pagination;
pub mod photos;
pub mod policies;
pub mod products;
pub mod public;
pub mod schema;
pub mod schemes;
pub mod subjects;
pub mod sync;
pub mod telemetry;
pub mod text;
pub mod tokens;
pub mod unit_graph;
pub mod units;
pub mod users;
pub mod validate;
pub mod version;
pub mod web;

/// mimalloc, for every program built on this library (the server, the bare-stack baseline of
/// `scripts/load`, the tests). Under load glibc's allocator spent a fifth of the server's CPU
/// time, much of it threads contending for its arenas (docs/benchmarks.md, "Request path").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rocket::figment::Figment;
use rocket::{Build, Rocket, catchers};
use sea_orm::DatabaseConnection;

use crate::config::AppConfig;

/// Every route of the API.
pub fn routes() -> Vec<rocket::Route> {
    let mut all = Vec::new();
    all.extend(meta::routes());
    all.extend(openapi::routes());
    all.extend(units::routes());
    all.extend(tokens::routes());
    all.extend(audit::routes());
    all.extend(subjects::routes());
    all.extend(change_requests::routes());
    all.extend(drafts::routes());
    all.extend(imports::routes());
    all.extend(notices::routes());
    all.extend(documents::routes());
    all.extend(users::routes());
    all.extend(products::routes());
    all.extend(areas::routes());
    all.extend(certifications::routes());
    all.extend(channels::routes());
    all.extend(public::routes());
    all.extend(feedback::routes());
    all.extend(photos::routes());
    all.extend(schemes::routes());
    all.extend(policies::routes());
    all.extend(indicators::routes());
    all.extend(sync::routes());
    all.extend(web::routes());
    all
}

/// The application, ready to launch or to test with Rocket's local client.
pub fn build_rocket(
    figment: Figment,
    config: AppConfig,
    db: DatabaseConnection,
) -> anyhow::Result<Rocket<Build>> {
    let settings = sync::SyncSettings::from_config(&config).map_err(anyhow::Error::msg)?;
    let documents = documents::DocumentStore::from_config(&config).map_err(anyhow::Error::msg)?;
    if !settings.secrets.encrypting() {
        tracing::warn!("OCOP_SECRET_KEY is not set: channel credentials are stored unencrypted");
    }
    let public_base_unset = config.public.base_url.is_none();
    let telemetry = telemetry::RequestTelemetry {
        trust_given_id: config.telemetry.trust_request_id,
    };
    let map_tiles = web::map::MapTiles::from_config(&config).map_err(anyhow::Error::msg)?;
    let security = limits::SecurityHeaders {
        map_tiles: map_tiles.origin.clone(),
        consent_origins: settings.consent_origins().join(" "),
    };
    let metrics_address = config
        .telemetry
        .metrics_address
        .as_deref()
        .map(telemetry::metrics_address)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // Lists are uploaded as files from the pages: up to the import's own limit (the operator's
    // configuration still wins).
    let max = imports::read::MAX_BYTES;
    // Rocket's messages go through our log output, which colours only a terminal: Rocket's own
    // colour codes would end up inside log lines.
    let figment = limits::trust_no_proxy_header_by_default(figment)
        .merge(("cli_colors", false))
        .join(("limits.file", max))
        .join(("limits.data-form", max + 64 * 1024));
    let mut rocket = rocket::custom(figment);
    if let Some(address) = metrics_address {
        rocket = rocket.attach(meta::metrics_listener(address, db.clone()));
    }
    Ok(rocket
        .attach(telemetry)
        .manage(db)
        .manage(auth::service::TokenCache::default())
        .manage(limits::Limits::from_config(&config))
        .manage(limits::UploadSlots::from_config(&config))
        .manage(public::cache::PublicCache::from_config(&config))
        .manage(users::sessions::Policy::from_config(&config))
        .manage(config)
        .manage(map_tiles)
        .manage(settings)
        .manage(documents)
        .mount("/", routes())
        // The API answers every failure in JSON; a person's page view gets an error page.
        .register("/", catchers![web::page::page_catcher])
        .register("/api", catchers![catcher::json_catcher])
        .register("/metrics", catchers![catcher::json_catcher])
        .attach(security)
        .attach(sync::scheduler::fairing())
        .attach(rocket::fairing::AdHoc::on_liftoff(
            "public address",
            move |rocket| {
                Box::pin(async move {
                    if public_base_unset {
                        tracing::warn!(
                            "ROCKET_PUBLIC_BASE_URL is not set: QR codes, self-links and \
                             marketplace redirect addresses use the listening address {}; set it \
                             to the address people and marketplaces reach",
                            http::listening_base(rocket.config())
                        );
                    }
                })
            },
        )))
}

/// Opens the database, applies migrations and loads reference data: everything a process needs
/// before it serves. Errors name the step that failed.
pub async fn prepare(config: &AppConfig) -> anyhow::Result<DatabaseConnection> {
    use anyhow::Context;
    let db = db::connect(
        &config.database.url,
        config.database.pool_size,
        config.database.schema.as_deref(),
    )
    .await
    .with_context(|| format!("cannot open database {}", redact(&config.database.url)))?;
    db::migrate(&db)
        .await
        .context("applying database migrations failed")?;
    units::loader::load(&db)
        .await
        .map_err(|e| anyhow::anyhow!("loading administrative units failed: {e}"))?;
    schemes::service::seed(&db)
        .await
        .map_err(|e| anyhow::anyhow!("loading the certification-scheme catalogue failed: {e}"))?;
    policies::service::seed(&db)
        .await
        .map_err(|e| anyhow::anyhow!("loading the default indicator policy failed: {e}"))?;
    channels::shops::backfill_shop_keys(&db)
        .await
        .map_err(|e| anyhow::anyhow!("recording the shops of existing channels failed: {e}"))?;
    history::backfill(&db).await.map_err(|e| {
        anyhow::anyhow!("recording the first versions of existing records failed: {e}")
    })?;
    Ok(db)
}

/// [`prepare`] for the commands that work on a registry (`token`, `user`, `sync`, `report`,
/// `import`, `backup`): a SQLite file that is not there is refused rather than created, so a
/// command run without `DATABASE_URL`, or in the wrong folder, says so instead of working on a
/// new empty registry (and, for `backup`, copying it and exiting 0). Only `serve` and `migrate`
/// create a database.
pub async fn prepare_existing(config: &AppConfig) -> anyhow::Result<DatabaseConnection> {
    if let Some(file) = db::sqlite_file(&config.database.url)
        && !file.exists()
    {
        anyhow::bail!(
            "there is no database at {} (DATABASE_URL {}); set DATABASE_URL to the registry's \
             database, or create one with `ocop-registry migrate`",
            file.display(),
            if std::env::var_os("DATABASE_URL").is_some() {
                "names it"
            } else {
                "is not set, so the default is used"
            }
        );
    }
    prepare(config).await
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

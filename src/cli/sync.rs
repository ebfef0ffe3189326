//! `sync [--channel ID] [--full]`: one channel now, or every due sync and pending push.

use clap::Args;
use ocop_registry::config::AppConfig;
use ocop_registry::domain::RunTrigger;
use ocop_registry::sync::dto::{RunStatus, SyncOptions, SyncRunView};
use ocop_registry::sync::{self, SyncSettings};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::fail;

#[derive(Args)]
pub struct Sync {
    /// The channel to sync (default: every channel whose sync is due).
    #[arg(long)]
    channel: Option<Uuid>,
    /// Read every listing, not only the changes since the last complete pass.
    #[arg(long)]
    full: bool,
}

pub async fn run(a: Sync, db: &DatabaseConnection, config: &AppConfig) -> anyhow::Result<()> {
    let settings = SyncSettings::from_config(config).map_err(anyhow::Error::msg)?;
    let runs = match a.channel {
        Some(id) => {
            let options = SyncOptions {
                full: a.full.then_some(true),
            };
            let run = sync::runs::run(db, &settings, id, RunTrigger::Cli, &options)
                .await
                .map_err(fail)?;
            vec![SyncRunView::from(run)]
        }
        None => {
            let (events, runs) = sync::scheduler::tick(db, &settings, RunTrigger::Cli).await;
            eprintln!("{events} webhook events processed");
            runs
        }
    };
    for r in &runs {
        println!(
            "{} channel {} {}: {} pages, {} items seen, {} added, {} changed, {} removed, {} item errors{}",
            r.id,
            r.channel_id,
            r.status.code(),
            r.pages,
            r.items_seen,
            r.added,
            r.changed,
            r.removed,
            r.item_errors,
            r.reason
                .as_ref()
                .map_or_else(String::new, |why| format!(" ({why})"))
        );
    }
    if runs.iter().any(|r| r.status == RunStatus::Failed) {
        anyhow::bail!("a sync failed");
    }
    Ok(())
}

//! The commands, one file each; every one opens the registry the same way and says a refusal
//! in one line of the operator's language.

use clap::{Parser, Subcommand};
use ocop_registry::config::AppConfig;
use ocop_registry::error::AppError;
use ocop_registry::i18n::Lang;

mod import;
mod report;
mod serve;
mod sync;
mod token;
mod user;

#[derive(Parser)]
#[command(
    name = "ocop-registry",
    version,
    about = "Registry of Vietnam's OCOP subjects, products and indicators"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve(serve::Serve),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage the accounts of people who sign in to the pages.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Sync one channel now, or run every due sync and pending webhook event.
    Sync(sync::Sync),
    /// Write a consistent copy of the live SQLite database to a new file (PostgreSQL: use
    /// pg_dump).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Print an indicator report.
    Report(report::Report),
    /// Apply a department's list (CSV or XLSX); prints the summary as JSON and exits 1 when a
    /// row is in error (then nothing is written).
    Import(import::Import),
}

/// Runs the command given (`serve` when none is); `false` when it ran but found the input in
/// error (an import with a row in error), which exits 1 once the logs are flushed.
pub async fn run(cli: Cli) -> anyhow::Result<bool> {
    let figment = AppConfig::figment();
    let config = AppConfig::from_figment(&figment)
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    // Only `serve` and `migrate` may create a database; the others work on an existing one.
    let existing = || ocop_registry::prepare_existing(&config);
    match cli
        .command
        .unwrap_or(Command::Serve(serve::Serve { demo: false }))
    {
        Command::Migrate => {
            ocop_registry::prepare(&config).await?;
            eprintln!("migrations applied");
        }
        Command::Serve(a) => serve::run(a, figment.clone(), config.clone()).await?,
        Command::Backup { to } => {
            ocop_registry::db::backup(&existing().await?, &to)
                .await
                .map_err(anyhow::Error::msg)?;
            eprintln!("backup written to {}", to.display());
        }
        Command::Token(a) => token::run(a, &existing().await?).await?,
        Command::User(a) => user::run(a, &existing().await?).await?,
        Command::Report(a) => report::run(a, &existing().await?).await?,
        Command::Import(a) => return import::run(a, &existing().await?).await,
        Command::Sync(a) => sync::run(a, &existing().await?, &config).await?,
    }
    Ok(true)
}

/// A refusal as the command line says it: one line in the operator's language.
fn fail(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.body(Lang::of_env()).error.message_with_fields())
}

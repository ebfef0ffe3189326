//! The `ocop-registry` command line: `serve` (default), `migrate`, `token`, `sync`, `backup`,
//! `report`.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ocop_registry::auth::Actor;
use ocop_registry::auth::dto::CreateToken;
use ocop_registry::config::AppConfig;
use ocop_registry::domain::Role;
use ocop_registry::i18n::Lang;
use ocop_registry::sync::SyncSettings;
use ocop_registry::sync::dto::{SyncOptions, SyncRunView};
use ocop_registry::{auth, build_rocket, prepare, prepare_existing, sync};
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "ocop-registry",
    version,
    about = "Registry of Vietnam's OCOP subjects, products and indicators"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve {
        /// Fill an empty database with demonstration data and print one token per role.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the accounts of people who sign in to the pages.
    #[command(subcommand)]
    User(UserCommand),
    /// Sync one channel now, or run every due sync and pending webhook event.
    Sync {
        /// The channel to sync (default: every channel whose sync is due).
        #[arg(long)]
        channel: Option<Uuid>,
        /// Read every listing, not only the changes since the last complete pass.
        #[arg(long)]
        full: bool,
    },
    /// Write a consistent copy of the live SQLite database to a new file (PostgreSQL: use
    /// pg_dump).
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Print an indicator report.
    Report {
        /// Official code of the unit (the version valid on --as-of is used).
        #[arg(long)]
        unit_code: String,
        /// Report date, YYYY-MM-DD.
        #[arg(long)]
        as_of: chrono::NaiveDate,
        /// json, csv (UTF-8 with a BOM, for Excel) or xlsx (to a file: redirect the output).
        #[arg(long, default_value = "json", value_parser = ["json", "csv", "xlsx"])]
        format: String,
        /// vi or en: the language of a CSV or XLSX file's headings and values.
        #[arg(long, default_value = "vi", value_parser = ["vi", "en"])]
        lang: String,
        /// Policy version (default: the current one).
        #[arg(long)]
        policy_version: Option<i32>,
        /// As the registry knew it at this instant (RFC 3339, e.g. 2025-07-01T09:30:00+07:00).
        #[arg(long)]
        known_at: Option<String>,
    },
    /// Apply a department's list (CSV or XLSX); prints the summary as JSON and exits 1 when a
    /// row is in error (then nothing is written).
    Import {
        /// The file.
        file: std::path::PathBuf,
        /// What it lists: subjects, products (with their producers and recognitions), or
        /// the areas, certifications or channels of registered subjects.
        #[arg(long, value_parser = ["subjects", "products", "areas", "certifications", "channels"])]
        kind: String,
        /// Check every row and print what the real run would do, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// The day the list describes, YYYY-MM-DD (default today): place names are read as
        /// the units of that day.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        /// The unit the list is about (narrows place names).
        #[arg(long)]
        unit_id: Option<uuid::Uuid>,
        /// The sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Who recognised the products of a list that does not say.
        #[arg(long)]
        authority: Option<String>,
        /// Leave rows in error out and apply the others (default: a file with an error writes
        /// nothing).
        #[arg(long)]
        partial: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it, alone, on standard output.
    Create(TokenArgs),
    /// Revoke a token by id.
    Revoke {
        /// The token's id.
        id: Uuid,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account and print its one-time password, alone, on standard output.
    Create(UserArgs),
}

#[derive(Args)]
struct UserArgs {
    /// Lower-case letters, digits, '.', '_', '-'.
    #[arg(long)]
    username: String,
    /// admin, auditor or owner.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Auditors: the unit whose subtree they reach.
    #[arg(long)]
    unit_id: Option<Uuid>,
    /// Owners: the subject they act for.
    #[arg(long)]
    subject_id: Option<Uuid>,
    /// The name shown on pages (default: the user name).
    #[arg(long)]
    display_name: Option<String>,
    /// Read the password from standard input (the user's own, not one-time; for scripts).
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
struct TokenArgs {
    /// admin, auditor, owner or channel.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Auditor tokens: the unit whose subtree they reach.
    #[arg(long)]
    unit_id: Option<Uuid>,
    /// Owner tokens: the subject they act for.
    #[arg(long)]
    subject_id: Option<Uuid>,
    /// Channel tokens: their platform.
    #[arg(long)]
    platform: Option<String>,
    /// A label saying whose token it is.
    #[arg(long)]
    name: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|_| "must be admin, auditor, owner or channel".to_owned())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ocop_registry::telemetry::init_logging();
    match rocket::execute(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined, no backtrace. Some causes repeat their
            // source's text in their own; print each text once.
            let mut parts: Vec<String> = Vec::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !parts.iter().any(|p| p.contains(&text)) {
                    parts.push(text);
                }
            }
            eprintln!("error: {}", parts.join(": "));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let figment = AppConfig::figment();
    let config = AppConfig::from_figment(&figment)
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Migrate => {
            prepare(&config).await?;
            eprintln!("migrations applied");
        }
        Command::Backup { to } => {
            let db = prepare_existing(&config).await?;
            ocop_registry::db::backup(&db, &to)
                .await
                .map_err(anyhow::Error::msg)?;
            eprintln!("backup written to {}", to.display());
        }
        Command::Token(TokenCommand::Create(a)) => {
            let db = prepare_existing(&config).await?;
            let input = CreateToken {
                role: a.role,
                unit_id: a.unit_id,
                subject_id: a.subject_id,
                platform: a.platform,
                name: a.name,
            };
            validator::Validate::validate(&input)
                .map_err(|e| fail(ocop_registry::error::AppError::from(e)))?;
            let created = auth::service::create(&db, &Actor::cli(), input)
                .await
                .map_err(fail)?;
            println!("{}", created.secret);
        }
        Command::User(UserCommand::Create(a)) => {
            let db = prepare_existing(&config).await?;
            let input = ocop_registry::users::dto::CreateUser {
                display_name: a.display_name.unwrap_or_else(|| a.username.clone()),
                username: a.username,
                role: a.role,
                unit_id: a.unit_id,
                subject_id: a.subject_id,
            };
            validator::Validate::validate(&input)
                .map_err(|e| fail(ocop_registry::error::AppError::from(e)))?;
            let password = if a.password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let created =
                ocop_registry::users::service::create(&db, &Actor::cli(), input, password)
                    .await
                    .map_err(fail)?;
            if created.one_time_password.is_empty() {
                eprintln!("user {} created", created.user.username);
            } else {
                println!("{}", created.one_time_password);
            }
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let db = prepare_existing(&config).await?;
            auth::service::revoke(&db, &Actor::cli(), id)
                .await
                .map_err(fail)?;
            eprintln!("token {id} revoked");
        }
        Command::Report {
            unit_code,
            as_of,
            format,
            lang,
            policy_version,
            known_at,
        } => {
            let db = prepare_existing(&config).await?;
            let unit = ocop_registry::units::service::by_code_on(&db, &unit_code, as_of)
                .await
                .map_err(fail)?;
            let report = ocop_registry::indicators::service::report(
                &db,
                &Actor::cli(),
                unit.id,
                as_of,
                policy_version,
                known_at.as_deref(),
            )
            .await
            .map_err(fail)?;
            let lang = if lang == "en" { Lang::En } else { Lang::Vi };
            let made = ocop_registry::indicators::export::Made {
                by: Actor::cli().name,
                at: report.computed_at,
                frozen: false,
            };
            let sheet = ocop_registry::indicators::export::report_sheet(&report, lang, &made);
            let bytes = match format.as_str() {
                "csv" => sheet.csv(lang).map_err(fail)?,
                "xlsx" => sheet.xlsx(lang).map_err(fail)?,
                _ => format!("{}\n", serde_json::to_string_pretty(&report)?).into_bytes(),
            };
            std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
        }
        Command::Import {
            file,
            kind,
            dry_run,
            on,
            unit_id,
            sheet,
            authority,
            partial,
        } => {
            use std::io::IsTerminal;
            let db = prepare_existing(&config).await?;
            let lang = Lang::of_env();
            let bytes = std::fs::read(&file)?;
            let query = ocop_registry::imports::dto::ImportQuery {
                kind: serde_json::from_value(serde_json::Value::String(kind))?,
                dry_run,
                partial,
                on,
                unit_id,
                authority,
                sheet,
                lang: Some(lang),
            };
            let terminal = std::io::stderr().is_terminal();
            let progress = |done: usize, total: usize| {
                if terminal && (done.is_multiple_of(100) || done == total) {
                    eprint!("\r{done}/{total}");
                    if done == total {
                        eprintln!();
                    }
                }
            };
            let summary =
                ocop_registry::imports::run(&db, &Actor::cli(), &query, &bytes, lang, &progress)
                    .await
                    .map_err(fail)?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            if !summary.errors.is_empty() {
                std::process::exit(1);
            }
        }
        Command::Sync { channel, full } => {
            let db = prepare_existing(&config).await?;
            let settings = SyncSettings::from_config(&config).map_err(anyhow::Error::msg)?;
            let runs = match channel {
                Some(id) => {
                    let options = SyncOptions {
                        full: full.then_some(true),
                    };
                    let run = sync::runs::run(&db, &settings, id, "cli", &options)
                        .await
                        .map_err(fail)?;
                    vec![SyncRunView::from(run)]
                }
                None => {
                    let (events, runs) = sync::scheduler::tick(&db, &settings, "cli").await;
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
            if runs
                .iter()
                .any(|r| r.status == sync::dto::RunStatus::Failed)
            {
                anyhow::bail!("a sync failed");
            }
        }
        Command::Serve { demo } => {
            let db = prepare(&config).await?;
            let mut rocket = build_rocket(figment.clone(), config, db.clone())?;
            if demo {
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
                ocop_registry::demo::run(&db, &base_url)
                    .await
                    .map_err(|e| anyhow::anyhow!("loading demo data failed: {e}"))?;
                let channel =
                    ocop_registry::demo::feed_channel(&db, &format!("{base_url}/demo/feed"))
                        .await
                        .map_err(|e| anyhow::anyhow!("setting up the demo feed failed: {e}"))?;
                rocket = rocket
                    .mount("/", sync::demo_feed::routes())
                    .attach(ocop_registry::demo::sync_at_liftoff(channel));
            }
            rocket
                .launch()
                .await
                .map_err(|e| anyhow::anyhow!("the server stopped: {e}"))?;
        }
    }
    Ok(())
}

/// A refusal as the command line says it: one line in the operator's language.
fn fail(e: ocop_registry::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        e.body(ocop_registry::i18n::Lang::of_env())
            .error
            .message_with_fields()
    )
}

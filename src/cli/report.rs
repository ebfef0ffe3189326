//! `report`: an indicator report on standard output.

use clap::{Args, ValueEnum};
use ocop_registry::auth::Actor;
use ocop_registry::history::Known;
use ocop_registry::i18n::Lang;
use ocop_registry::indicators::{export, service};
use ocop_registry::units;
use sea_orm::DatabaseConnection;

use super::fail;

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    /// UTF-8 with a BOM, for Excel.
    Csv,
    /// A workbook (redirect the output to a file).
    Xlsx,
}

#[derive(Args)]
pub struct Report {
    /// Official code of the unit (the version valid on --as-of is used).
    #[arg(long)]
    unit_code: String,
    /// Report date, YYYY-MM-DD.
    #[arg(long)]
    as_of: chrono::NaiveDate,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// The language of a CSV or XLSX file's headings and values.
    #[arg(long, value_enum, default_value = "vi")]
    lang: Lang,
    /// Policy version (default: the current one).
    #[arg(long)]
    policy_version: Option<i32>,
    /// As the registry knew it at this instant (RFC 3339, e.g. 2025-07-01T09:30:00+07:00).
    #[arg(long)]
    known_at: Option<String>,
}

pub async fn run(a: Report, db: &DatabaseConnection) -> anyhow::Result<()> {
    let unit = units::service::by_code_on(db, &a.unit_code, a.as_of)
        .await
        .map_err(fail)?;
    let report = service::report(
        db,
        &Actor::cli(),
        unit.id,
        a.as_of,
        a.policy_version,
        Known::asked(a.known_at.as_deref(), "known_at").map_err(fail)?,
    )
    .await
    .map_err(fail)?;
    let made = export::Made {
        by: Actor::cli().name,
        at: report.computed_at,
        frozen: false,
    };
    let sheet = export::report_sheet(&report, a.lang, &made);
    let bytes = match a.format {
        Format::Csv => sheet.csv(a.lang).map_err(fail)?,
        Format::Xlsx => sheet.xlsx(a.lang).map_err(fail)?,
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?).into_bytes(),
    };
    std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
    Ok(())
}

//! `import FILE --kind …`: a department's list, as the import page applies it.

use std::io::IsTerminal;

use clap::Args;
use ocop_registry::auth::Actor;
use ocop_registry::i18n::Lang;
use ocop_registry::imports::{self, dto::ImportKind, dto::ImportQuery};
use sea_orm::DatabaseConnection;

use super::fail;

#[derive(Args)]
pub struct Import {
    /// The file.
    file: std::path::PathBuf,
    /// What it lists: subjects, products (with their producers and recognitions), or the
    /// areas, certifications or channels of registered subjects.
    #[arg(long, value_enum)]
    kind: ImportKind,
    /// Check every row and print what the real run would do, writing nothing.
    #[arg(long)]
    dry_run: bool,
    /// The day the list describes, YYYY-MM-DD (default today): place names are read as the
    /// units of that day.
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
}

/// Applies the list; `false` when a row is in error (the command then exits 1).
pub async fn run(a: Import, db: &DatabaseConnection) -> anyhow::Result<bool> {
    let lang = Lang::of_env();
    let bytes = std::fs::read(&a.file)?;
    let query = ImportQuery {
        kind: a.kind,
        dry_run: a.dry_run,
        partial: a.partial,
        on: a.on,
        unit_id: a.unit_id,
        authority: a.authority,
        sheet: a.sheet,
        format: None,
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
    let summary = imports::run(db, &Actor::cli(), &query, &bytes, lang, &progress)
        .await
        .map_err(fail)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(summary.errors.is_empty())
}

//! Spreadsheets in: the departments' lists read as they are (CSV or XLSX, Vietnamese headings,
//! dates and place names), each row registered, updated, left unchanged or kept as a draft by
//! the same services as the API, in one transaction per file — so a dry run is the real run
//! rolled back, and a file with any row in error writes nothing.

mod apply;
mod archive;
mod authority;
pub mod cells;
pub mod columns;
pub mod dto;
pub mod evidence;
pub mod header;
pub mod places;
pub mod products;
pub mod read;
pub mod records;
pub mod result;
pub mod routes;
pub mod subjects;
pub mod template;

/// The import routes.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![routes::import, routes::template]
}

use std::collections::HashMap;

use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use self::dto::{ImportKind, ImportQuery, ImportSummary, RowFate, RowMessage, RowResult};
use crate::auth::Actor;
use crate::db::begin_write;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Msg};
use crate::msg;
use crate::unit_graph::UnitGraph;

/// What one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    /// Updated, and moved to the commune the row gives: a dated identity change, which the
    /// summary notes.
    Moved,
    Unchanged,
    Draft,
}

impl Outcome {
    /// This outcome, for the record the row ended in.
    pub fn of(self, record: Written) -> Fate {
        Fate {
            outcome: self,
            record,
        }
    }
}

/// The record a row ended in: `entity` is `subject`, `product`, `area`, `certification`,
/// `channel` or `draft`; records of a subject are shown on its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub entity: &'static str,
    pub id: Uuid,
    pub subject_id: Option<Uuid>,
}

impl Written {
    pub fn subject(id: Uuid) -> Self {
        Written {
            entity: "subject",
            id,
            subject_id: Some(id),
        }
    }

    pub fn draft(id: Uuid) -> Self {
        Written {
            entity: "draft",
            id,
            subject_id: None,
        }
    }

    pub fn of_subject(entity: &'static str, id: Uuid, subject_id: Uuid) -> Self {
        Written {
            entity,
            id,
            subject_id: Some(subject_id),
        }
    }

    /// Where a person sees it: its subject's page, or the draft's in the list of drafts.
    pub fn link(&self) -> String {
        match self.subject_id {
            Some(s) => format!("/subjects/{s}"),
            None => format!("/drafts#draft-{}", self.id),
        }
    }
}

/// What one row did, to which record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    pub outcome: Outcome,
    pub record: Written,
}

/// Why a row was not taken: the field (column) it is about, or a fault that stops the file.
#[derive(Debug)]
pub enum RowError {
    Fields(Vec<(String, Msg)>),
    Fault(AppError),
}

impl RowError {
    pub fn field(key: &str, m: impl Into<Msg>) -> Self {
        RowError::Fields(vec![(key.to_owned(), m.into())])
    }

    pub fn fault(e: DbErr) -> Self {
        RowError::Fault(e.into())
    }

    /// A service's refusal, as the row's problems (its fields named as the list names them);
    /// a failure of the database stops the whole file.
    pub fn app(e: AppError) -> Self {
        let (status, _) = e.status_code();
        if status.code >= 500 {
            return RowError::Fault(e);
        }
        match e {
            AppError::Invalid { fields }
            | AppError::BadRequest {
                fields: Some(fields),
                ..
            } => RowError::Fields(
                fields
                    .into_iter()
                    .flat_map(|(k, ms)| {
                        let k = field_of_api(&k).to_owned();
                        ms.into_iter().map(move |m| (k.clone(), m))
                    })
                    .collect(),
            ),
            AppError::Conflict(m)
            | AppError::Forbidden(m)
            | AppError::PreconditionFailed(m)
            | AppError::BadRequest { message: m, .. } => RowError::Fields(vec![(String::new(), m)]),
            other => RowError::Fields(vec![(
                String::new(),
                Msg::from(other.body(Lang::En).error.message),
            )]),
        }
    }
}

/// The list's column for a field of the API.
fn field_of_api(field: &str) -> &str {
    match field {
        "commune_id" | "unit_id" => "commune",
        other => other,
    }
}

/// The refusal of a file with no header row: which columns the import looks for.
fn no_header(kind: ImportKind, fields: &[columns::Field], required: &str) -> AppError {
    let names: Vec<&str> = fields
        .iter()
        .filter(|f| [required, "name", "legal_form", "stars", "tax_code"].contains(&f.key))
        .map(|f| f.vi)
        .collect();
    AppError::invalid(
        "file",
        msg!(
            "import-no-header",
            kind = kind.code(),
            expected = names.join(", ")
        ),
    )
}

/// Keeps what the file wrote, or forgets it all: a trial run, or a file with errors when the
/// caller did not ask to keep the good rows.
async fn settle(
    txn: crate::db::WriteTxn,
    q: &ImportQuery,
    summary: &mut ImportSummary,
) -> AppResult<()> {
    if q.dry_run || (!summary.errors.is_empty() && !q.partial) {
        txn.rollback().await?;
        summary.forget_unkept();
    } else {
        txn.commit().await?;
        summary.applied = true;
    }
    Ok(())
}

/// Reads a file and applies it (or, on a dry run, everything but the commit).
#[tracing::instrument(skip_all, fields(kind = ?q.kind, dry_run = q.dry_run, by = %actor.name))]
pub async fn run(
    db: &DatabaseConnection,
    actor: &Actor,
    q: &ImportQuery,
    bytes: &[u8],
    lang: Lang,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<ImportSummary> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let table = read::table(bytes, q.sheet.as_deref())?;
    let fields = columns::of(q.kind);
    let required = q.kind.required();
    let header = header::header(&table, &fields, required)
        .ok_or_else(|| no_header(q.kind, &fields, required))?;
    let root = q.unit_id.or(actor.unit_id);
    let graph = match root {
        Some(u) => crate::auth::access::unit_graph(db, actor, u).await?,
        None => UnitGraph::load(db).await?,
    };
    let pool = root.map(|u| graph.reach(u));
    let on = q.on.unwrap_or_else(crate::clock::today);
    let places = places::Resolver::new(&graph, pool, on).keeping_unknown_communes(root);
    let mut summary = ImportSummary::empty(q, &header);
    let message = |row: usize, key: &str, m: &Msg| RowMessage {
        row,
        column: if key.is_empty() {
            String::new()
        } else {
            header.title(key, &fields, lang)
        },
        message: clipped(m.render(lang)),
    };
    // Rows below the header (blank ones, skipped, counted too: progress is an estimate).
    let header_at = table
        .head
        .iter()
        .position(|(n, _)| *n == header.row)
        .unwrap_or_default();
    let total = table.len.saturating_sub(header_at + 1);
    let txn = begin_write(db).await?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    // Rows are read as they are applied; a broken row met on the way ends the file, and the
    // transaction with it.
    for (i, row) in table.rows().skip(header_at + 1).enumerate() {
        let (n, cells) = row?;
        progress(i, total);
        if cells.iter().all(read::Value::is_blank) {
            continue;
        }
        let n = &n;
        let cells = &cells;
        summary.rows += 1;
        if let Some(file) = summary.file.as_mut() {
            file.keep(*n, cells)?;
        }
        let row = subjects::Row {
            header: &header,
            cells,
        };
        let (mut note, mut moved_to) = (None, None);
        let outcome = match read_row(q, &row, &places) {
            Err(e) => Err(e),
            Ok(read) => {
                note = read.place().and_then(|p| p.note.clone());
                moved_to = read.place().and_then(|p| p.commune);
                if let Some(first) = seen.insert(read.key(), *n) {
                    Err(RowError::field(
                        "",
                        msg!("import-repeated-row", first = first),
                    ))
                } else {
                    let source = source(&header, *n, cells);
                    apply::in_savepoint(&txn, actor, &graph, read, &source).await?
                }
            }
        };
        if let Some(m) = place_note(&outcome, note, moved_to, &places) {
            summary.notes.push(message(*n, "commune", &m));
        }
        let errors = summary.count(*n, outcome)?;
        summary
            .errors
            .extend(errors.iter().map(|(k, m)| message(*n, k, m)));
    }
    progress(total, total);
    settle(txn, q, &mut summary).await?;
    tracing::info!(
        rows = summary.rows,
        created = summary.created,
        updated = summary.updated,
        unchanged = summary.unchanged,
        drafts = summary.drafts,
        errors = summary.errors.len(),
        applied = summary.applied,
        "import read"
    );
    Ok(summary)
}

impl ImportSummary {
    /// Nothing read yet; the file kept when the answer is the file with its results.
    fn empty(q: &ImportQuery, header: &header::Header) -> Self {
        let as_file = matches!(
            q.format,
            Some(crate::export::Format::Csv | crate::export::Format::Xlsx)
        );
        ImportSummary {
            kind: q.kind,
            dry_run: q.dry_run,
            applied: false,
            rows: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            drafts: 0,
            errors: Vec::new(),
            results: Vec::new(),
            notes: Vec::new(),
            ignored_columns: header.ignored(),
            file: as_file.then(|| dto::SentFile {
                headings: header.titles.clone(),
                ..Default::default()
            }),
        }
    }

    /// What was made is gone with a rolled-back transaction: no id to follow.
    fn forget_unkept(&mut self) {
        // A later row may update what an earlier one made: its id is gone too.
        let made: std::collections::HashSet<Uuid> = self
            .results
            .iter()
            .filter(|r| matches!(r.result, RowFate::Created | RowFate::Draft))
            .filter_map(|r| r.id)
            .collect();
        for r in &mut self.results {
            if r.id.is_some_and(|id| made.contains(&id)) {
                (r.entity, r.id, r.link) = (None, None, None);
            }
        }
    }

    /// Counts a row's outcome and notes its fate; its problems are returned, a fault stops the
    /// file.
    fn count(&mut self, row: usize, fate: Result<Fate, RowError>) -> AppResult<Vec<(String, Msg)>> {
        let (result, record, problems) = match fate {
            Ok(f) => {
                let (counter, result) = match f.outcome {
                    Outcome::Created => (&mut self.created, RowFate::Created),
                    Outcome::Updated | Outcome::Moved => (&mut self.updated, RowFate::Updated),
                    Outcome::Unchanged => (&mut self.unchanged, RowFate::Unchanged),
                    Outcome::Draft => (&mut self.drafts, RowFate::Draft),
                };
                *counter += 1;
                (result, Some(f.record), Vec::new())
            }
            Err(RowError::Fault(e)) => return Err(e),
            Err(RowError::Fields(list)) => (RowFate::Error, None, list),
        };
        self.results.push(RowResult {
            row,
            result,
            entity: record.map(|w| w.entity.to_owned()),
            id: record.map(|w| w.id),
            link: record.map(|w| w.link()),
        });
        Ok(problems)
    }
}

/// A row read: a subject (and its product), or a record of evidence and the subject it names.
enum Read {
    Listed(subjects::Read, Option<products::Item>),
    Evidence(evidence::Owner, evidence::Item),
}

impl Read {
    fn place(&self) -> Option<&places::Place> {
        match self {
            Read::Listed(s, _) => s.place.as_ref(),
            Read::Evidence(o, _) => o.place(),
        }
    }

    /// What identifies the row's record within the file (to report repeats).
    fn key(&self) -> String {
        match self {
            Read::Listed(s, item) => {
                let key = subjects::key(s);
                match item {
                    Some(i) => format!("{key}|{}", i.key()),
                    None => key,
                }
            }
            Read::Evidence(o, item) => item.key(o),
        }
    }
}

/// Reads a row by the columns of its kind, with every problem of the row at once.
fn read_row(
    q: &ImportQuery,
    row: &subjects::Row<'_>,
    places: &places::Resolver<'_>,
) -> Result<Read, RowError> {
    match q.kind {
        ImportKind::Subjects => subjects::read(row, places).map(|s| Read::Listed(s, None)),
        ImportKind::Products => both(
            subjects::read(row, places),
            products::read(row, q.authority.as_deref()),
        )
        .map(|(s, i)| Read::Listed(s, Some(i))),
        kind => both(
            evidence::owner(row, places),
            evidence::read(kind, row, places),
        )
        .map(|(o, i)| Read::Evidence(o, i)),
    }
}

/// Both parts of a row, or the problems of both.
fn both<A, B>(a: Result<A, RowError>, b: Result<B, RowError>) -> Result<(A, B), RowError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(RowError::Fields(mut x)), Err(RowError::Fields(y))) => {
            x.extend(y);
            Err(RowError::Fields(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// What the reader should know of where a row put its record: a merged commune taken as its
/// successor where the row placed a record by it (a registered record whose place the row fits
/// stays where it is), or a subject moved.
fn place_note(
    outcome: &Result<Fate, RowError>,
    note: Option<Msg>,
    moved_to: Option<Uuid>,
    places: &places::Resolver<'_>,
) -> Option<Msg> {
    match outcome {
        Ok(Fate {
            outcome: Outcome::Created | Outcome::Draft,
            ..
        }) => note,
        Ok(Fate {
            outcome: Outcome::Moved,
            ..
        }) => Some(msg!(
            "import-subject-moved",
            unit = moved_to.map(|c| places.label(c)).unwrap_or_default(),
            on = places.on()
        )),
        _ => None,
    }
}

/// A message quoting a cell says enough of it in 300 characters: a file of a few kilobytes can
/// repeat one long shared string in every cell.
fn clipped(message: String) -> String {
    match message.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message,
    }
}

/// A row as the list wrote it, for the draft it becomes: its number and its cells by heading.
fn source(header: &header::Header, row: usize, cells: &[read::Value]) -> serde_json::Value {
    let cells: serde_json::Map<String, serde_json::Value> = header
        .titles
        .iter()
        .zip(cells)
        .filter(|(t, c)| !t.trim().is_empty() && !c.is_blank())
        .map(|(t, c)| (t.clone(), serde_json::Value::String(c.text())))
        .collect();
    serde_json::json!({"row": row, "cells": cells})
}

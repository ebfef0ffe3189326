//! Import requests and their summary.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// What a file lists.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    ToSchema,
    strum::EnumString,
    strum::EnumIter,
    strum::IntoStaticStr,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ImportKind {
    /// OCOP subjects (producers): one row each.
    Subjects,
    /// Recognised products: the producer, the product and its recognition on each row.
    Products,
    /// Raw-material areas with their linkage contracts, each naming a registered subject.
    Areas,
    /// Certifications (registered `submitted`, for an auditor to verify), each naming a
    /// registered subject.
    Certifications,
    /// Sales channels (registered `declared`), each naming a registered subject.
    Channels,
}

impl ImportKind {
    /// The kind's code (`areas`), as the API and the page's form write it.
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// The field a header row must name.
    pub fn required(self) -> &'static str {
        match self {
            ImportKind::Subjects => "name",
            ImportKind::Products => "product_name",
            ImportKind::Areas => "area_name",
            ImportKind::Certifications => "certificate_no",
            ImportKind::Channels => "platform",
        }
    }

    /// The record a row of evidence of this kind is (a subject's, for lists of subjects and
    /// products).
    pub fn entity(self) -> &'static str {
        match self {
            ImportKind::Subjects => "subject",
            ImportKind::Products => "product",
            ImportKind::Areas => "area",
            ImportKind::Certifications => "certification",
            ImportKind::Channels => "channel",
        }
    }

    /// The kind in a file's name.
    pub fn file_word(self) -> &'static str {
        match self {
            ImportKind::Subjects => "chu-the",
            ImportKind::Products => "san-pham",
            ImportKind::Areas => "vung-nguyen-lieu",
            ImportKind::Certifications => "chung-nhan",
            ImportKind::Channels => "kenh-ban-hang",
        }
    }
}

/// `POST /api/v1/imports`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub kind: ImportKind,
    /// `true`: check every row and give the summary the real run would give, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `true`: rows in error are left out and the others applied (each row whole); by default
    /// a file with any row in error writes nothing.
    #[serde(default)]
    pub partial: bool,
    /// The day the list describes (default today): places are the units valid that day, and
    /// a commune a merge had removed by then is taken as its successor.
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub on: Option<NaiveDate>,
    /// The unit the list is about (default: an auditor's own unit): names are looked up in it
    /// and in what it became or was formed from.
    pub unit_id: Option<Uuid>,
    /// Who recognised the products of a list that does not say (default: the provincial
    /// People's Committee for 3★ and 4★, the Prime Minister for 5★).
    #[validate(length(min = 1, max = 255, message = "must be 1-255 characters"))]
    #[param(min_length = 1, max_length = 255)]
    pub authority: Option<String>,
    /// `json` (default): the summary; `xlsx` or `csv`: the file's own rows, each with its result,
    /// the record it ended in and its errors and notes, in front of its cells.
    pub format: Option<crate::export::Format>,
    /// The sheet of a workbook to read (default: the first).
    #[validate(length(max = 100, message = "at most 100 characters"))]
    #[param(max_length = 100)]
    pub sheet: Option<String>,
    pub lang: Option<crate::i18n::Lang>,
}

/// A problem of one row, named by the column as the file heads it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RowMessage {
    /// The row number as the spreadsheet shows it.
    pub row: usize,
    /// The column's heading in the file (empty: the row as a whole).
    pub column: String,
    /// In the reader's language.
    pub message: String,
}

/// What an import did, or would do on a dry run (the same figures either way).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportSummary {
    pub kind: ImportKind,
    pub dry_run: bool,
    /// Whether the file was written: a real run with no row in error (or, with `partial`, its
    /// rows not in error).
    pub applied: bool,
    /// Data rows read (blank rows left out).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows kept as drafts (what identifies the record is there, what it takes to count is not).
    pub drafts: usize,
    pub errors: Vec<RowMessage>,
    /// Each row's fate, in the file's order, with the record it ended in.
    pub results: Vec<RowResult>,
    /// What the reader should know about rows taken as they are (a merged commune taken as its
    /// successor).
    pub notes: Vec<RowMessage>,
    /// Headings of the file that no field takes.
    pub ignored_columns: Vec<String>,
    /// The file as sent, kept when the answer is the file with its results.
    #[serde(skip)]
    pub file: Option<SentFile>,
}

/// A file's headings and non-blank rows (number, cells as text).
#[derive(Debug, Clone, Default)]
pub struct SentFile {
    pub headings: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
    /// The text kept so far.
    pub bytes: usize,
}

/// What became of a row.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RowFate {
    Created,
    Updated,
    Unchanged,
    Draft,
    Error,
}

impl RowFate {
    /// Its label's key: what a row did, or, when nothing was written, what it would do.
    pub fn label_key(self, applied: bool) -> String {
        let mood = if applied { "" } else { "-would" };
        format!("imports-fate-{}{mood}", self.code())
    }

    pub fn code(self) -> &'static str {
        match self {
            RowFate::Created => "created",
            RowFate::Updated => "updated",
            RowFate::Unchanged => "unchanged",
            RowFate::Draft => "draft",
            RowFate::Error => "error",
        }
    }
}

/// One row's fate: the record it ended in and where a person sees it (none for a row in
/// error, nor for a record a dry run or a refused file did not keep).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RowResult {
    /// The row number as the spreadsheet shows it.
    pub row: usize,
    pub result: RowFate,
    /// `subject`, `product`, `area`, `certification`, `channel` or `draft`.
    pub entity: Option<String>,
    pub id: Option<Uuid>,
    /// The page that shows it.
    pub link: Option<String>,
}

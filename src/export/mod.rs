//! Spreadsheets out: any table of the registry as CSV (UTF-8 with a BOM, so Excel on a
//! Vietnamese Windows reads the diacritics) or XLSX (real numbers and dates), with column
//! headers and values in the reader's language. One mechanism for every list and report:
//! a feature turns its rows into a [`Sheet`], this module writes it.

use std::borrow::Cow;

use chrono::NaiveDate;
use rocket::http::{ContentType, Header};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

mod xlsx;
pub use xlsx::{workbook, workbook_made};

/// The answer's format where a list or a report can be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    /// UTF-8 with a BOM, comma-separated.
    Csv,
    /// An Excel workbook of one sheet.
    Xlsx,
}

/// A file's bytes as the OpenAPI document describes them (`type: string, format: binary`): a
/// generated client sends and receives a file, not an array of integers.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(pub Vec<u8>);

/// A column: its heading in each language (a file's own headings, for a sheet that returns a
/// file with its results, are owned).
#[derive(Debug, Clone)]
pub struct Column {
    pub vi: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

/// Shorthand for a [`Column`].
pub const fn col(vi: &'static str, en: &'static str) -> Column {
    Column {
        vi: Cow::Borrowed(vi),
        en: Cow::Borrowed(en),
    }
}

/// A list's item as a row of a spreadsheet: how any list of the API downloads whole.
pub trait Tabular {
    /// The file's name (ASCII) and the sheet's title.
    const FILE: &'static str;
    const TITLE: &'static str;
    fn columns() -> Vec<Column>;
    fn cells(&self, lang: Lang) -> Vec<Cell>;
}

/// `format=csv|xlsx` and the file's language, on any list.
#[derive(Debug, Deserialize, validator::Validate, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default: a page), or every matching item as `csv` (UTF-8 with a BOM) or `xlsx`.
    pub format: Option<Format>,
    /// The file's headings and values: `vi` (default) or `en`.
    pub lang: Option<Lang>,
}

/// A code's label in a file: the catalogue's `prefix-code` in Vietnamese, the code itself in
/// English (for scripts).
pub fn label(lang: Lang, prefix: &str, code: &str) -> String {
    match lang {
        Lang::Vi => lang.t_or(&format!("{prefix}-{code}"), code),
        Lang::En => code.to_owned(),
    }
}

/// A list's answer: a page as JSON, or every page as the file `format` asks for.
pub async fn page_or_file<T, F, Fut>(
    export: &ExportParams,
    lang: Lang,
    page: &crate::pagination::PageParams,
    mut list: F,
) -> AppResult<rocket::Either<crate::pagination::Paginated<T>, (Sheet, Format, Lang)>>
where
    T: Tabular,
    F: FnMut(crate::pagination::PageParams) -> Fut,
    Fut: std::future::Future<Output = AppResult<crate::pagination::Paginated<T>>>,
{
    match export.format.unwrap_or_default() {
        Format::Json => Ok(rocket::Either::Left(list(*page).await?)),
        _ => Ok(rocket::Either::Right(
            file_of(export, lang, list)
                .await?
                .ok_or_else(|| AppError::Internal("a file of JSON".to_owned()))?,
        )),
    }
}

/// Every page of a list as the file `format` asks for (`None`: JSON, a page, asked for).
pub async fn file_of<T, F, Fut>(
    export: &ExportParams,
    lang: Lang,
    list: F,
) -> AppResult<Option<(Sheet, Format, Lang)>>
where
    T: Tabular,
    F: FnMut(crate::pagination::PageParams) -> Fut,
    Fut: std::future::Future<Output = AppResult<crate::pagination::Paginated<T>>>,
{
    match export.format.unwrap_or_default() {
        Format::Json => Ok(None),
        format => {
            let lang = export.lang.unwrap_or(lang);
            let sheet = sheet_of_all(lang, list).await?;
            Ok(Some((sheet, format, lang)))
        }
    }
}

/// Every page of a list as one sheet, read at the largest page size.
async fn sheet_of_all<T, F, Fut>(lang: Lang, mut page: F) -> AppResult<Sheet>
where
    T: Tabular,
    F: FnMut(crate::pagination::PageParams) -> Fut,
    Fut: std::future::Future<Output = AppResult<crate::pagination::Paginated<T>>>,
{
    use crate::pagination::{MAX_PER_PAGE, PageParams};
    let mut rows = Vec::new();
    for n in 1.. {
        let p = page(PageParams::new(n, MAX_PER_PAGE)).await?;
        let last = (p.items.len() as u64) < MAX_PER_PAGE;
        rows.extend(p.items.iter().map(|t| t.cells(lang)));
        if last {
            break;
        }
    }
    Ok(Sheet {
        file_name: file_name(&[T::FILE]),
        title: T::TITLE.to_owned(),
        columns: T::columns(),
        rows,
        preamble: Vec::new(),
    })
}

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// An exact decimal as the API writes it (`30.83`).
    Decimal(String),
    Date(NaiveDate),
    Bool(bool),
    /// A share in percent as the API writes it (`30.83`): a percentage in a workbook
    /// (`30,83 %`), the number in a CSV file.
    Percent(String),
    /// A whole address: a link in a workbook, the address in a CSV file.
    Link(String),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// A table to download.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The file's name without extension (ASCII, for every browser).
    pub file_name: String,
    /// The sheet's title inside a workbook (at most 31 characters).
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// A report's title block (what, which unit, which day, under which policy, known when,
    /// made by whom and when), above the table in a workbook; a CSV file stays one table.
    pub preamble: Vec<String>,
}

impl Cell {
    /// As written in a CSV file: Vietnamese write `30,83` and `30/06/2025`; English readers
    /// and scripts (`?lang=en`) get `30.83` and `2025-06-30`.
    fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Cell::Text(s) | Cell::Link(s), _) => inert(s),
            (Cell::Int(n), _) => n.to_string(),
            (Cell::Decimal(d) | Cell::Percent(d), Lang::Vi) => d.replace('.', ","),
            (Cell::Decimal(d) | Cell::Percent(d), Lang::En) => d.clone(),
            (Cell::Date(d), Lang::Vi) => lang.date(*d),
            (Cell::Date(d), Lang::En) => d.to_string(),
            (Cell::Bool(b), Lang::Vi) => lang.t(if *b { "yes" } else { "no" }),
            (Cell::Bool(b), Lang::En) => b.to_string(),
            (Cell::Empty, _) => String::new(),
        }
    }
}

/// The characters with which a spreadsheet program takes a cell for a formula (or, tab and
/// carriage return, for the start of one).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text as a CSV cell that no spreadsheet program runs: one starting like a formula gets a
/// leading `'` (OWASP's advice for CSV injection), which Excel and LibreOffice show as text
/// and the registry's import takes off again.
fn inert(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

impl Sheet {
    fn headings(&self, lang: Lang) -> Vec<&str> {
        self.columns
            .iter()
            .map(|c| match lang {
                Lang::Vi => c.vi.as_ref(),
                Lang::En => c.en.as_ref(),
            })
            .collect()
    }

    /// CSV bytes with a UTF-8 BOM.
    pub fn csv(&self, lang: Lang) -> AppResult<Vec<u8>> {
        let err = |e: csv::Error| AppError::Internal(format!("CSV output: {e}"));
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        // A returned file's headings are the sender's own: inert like any cell.
        w.write_record(self.headings(lang).into_iter().map(inert))
            .map_err(err)?;
        for row in &self.rows {
            w.write_record(row.iter().map(|c| c.text(lang)))
                .map_err(err)?;
        }
        w.into_inner()
            .map_err(|e| AppError::Internal(format!("CSV output: {e}")))
    }

    /// An XLSX workbook of this sheet.
    pub fn xlsx(&self, lang: Lang) -> AppResult<Vec<u8>> {
        workbook(std::slice::from_ref(self), lang)
    }

    /// The sheet in `format` (JSON is not a download: `None`).
    pub fn download(&self, format: Format, lang: Lang) -> AppResult<Option<Download>> {
        download_all(std::slice::from_ref(self), format, lang)
    }
}

/// Sheets as a download in `format`: a workbook of them all, or the first as CSV (JSON is not
/// a download: `None`). The file is named after the first sheet.
pub fn download_all(sheets: &[Sheet], format: Format, lang: Lang) -> AppResult<Option<Download>> {
    download_all_made(sheets, format, lang, None)
}

/// [`download_all`] of a record filed at `made` (see [`workbook_made`]).
pub fn download_all_made(
    sheets: &[Sheet],
    format: Format,
    lang: Lang,
    made: Option<&chrono::DateTime<chrono::Utc>>,
) -> AppResult<Option<Download>> {
    let first = sheets
        .first()
        .ok_or_else(|| AppError::Internal("nothing to download".to_owned()))?;
    let (bytes, ext, content_type) = match format {
        Format::Json => return Ok(None),
        Format::Csv => (
            first.csv(lang)?,
            "csv",
            ContentType::new("text", "csv").with_params(("charset", "utf-8")),
        ),
        Format::Xlsx => (
            workbook_made(sheets, lang, made)?,
            "xlsx",
            ContentType::new(
                "application",
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ),
    };
    Ok(Some(Download {
        file_name: format!("{}.{ext}", first.file_name),
        content_type,
        bytes,
    }))
}

/// A sheet as a download in `format` (`json` is refused: callers answer JSON themselves).
pub fn download<L>(
    sheet: &Sheet,
    format: Format,
    lang: Lang,
) -> AppResult<rocket::Either<L, Download>> {
    sheet
        .download(format, lang)?
        .map(rocket::Either::Right)
        .ok_or_else(|| AppError::Internal("a JSON answer asked of a sheet".to_owned()))
}

/// A file to save: its bytes, type and name (`Content-Disposition: attachment`).
#[derive(Debug)]
pub struct Download {
    pub file_name: String,
    pub content_type: ContentType,
    pub bytes: Vec<u8>,
}

impl Download {
    /// A file named `file_name` of the media type `media_type` (`application/octet-stream`
    /// when it is not one).
    pub fn of(file_name: String, media_type: &str, bytes: Vec<u8>) -> Self {
        Download {
            file_name,
            content_type: ContentType::parse_flexible(media_type).unwrap_or(ContentType::Binary),
            bytes,
        }
    }
}

impl<'r> Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let disposition = disposition(&self.file_name);
        Response::build()
            .header(self.content_type)
            .header(Header::new("Content-Disposition", disposition))
            .sized_body(self.bytes.len(), std::io::Cursor::new(self.bytes))
            .ok()
    }
}

/// `Content-Disposition` of a download. A name that is not plain ASCII (an owner's
/// `Giấy chứng nhận.pdf`) also goes as RFC 6266's `filename*`, with an ASCII fallback.
fn disposition(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ');
    if plain {
        return format!("attachment; filename=\"{name}\"");
    }
    let fallback: String = deunicode::deunicode(name)
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A name for a file: ASCII letters, digits and dashes (`bao-cao-49-2025-06-30`).
pub fn file_name(parts: &[&str]) -> String {
    let folded = crate::text::fold(&parts.join(" "));
    let mut out = String::new();
    for ch in folded.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> Sheet {
        Sheet {
            file_name: file_name(&["Báo cáo", "Tỉnh Quảng Nam", "2025-06-30"]),
            title: "Báo cáo".to_owned(),
            columns: vec![
                col("Đơn vị", "Unit"),
                col("Tỷ lệ", "Share"),
                col("Ngày", "Date"),
            ],
            rows: vec![vec![
                "Thành phố Tam Kỳ".into(),
                Cell::Decimal("30.83".to_owned()),
                NaiveDate::from_ymd_opt(2025, 6, 30).into(),
            ]],
            preamble: Vec::new(),
        }
    }

    #[test]
    fn a_heading_or_title_longer_than_a_cell_holds_is_cut_not_refused() {
        let mut long = sheet();
        long.columns[0] = Column {
            vi: Cow::Owned("Y".repeat(40_000)),
            en: Cow::Owned("Y".repeat(40_000)),
        };
        long.preamble = vec!["T".repeat(40_000)];
        assert!(xlsx::workbook(&[long], Lang::Vi).is_ok());
    }

    #[test]
    fn csv_has_a_bom_and_the_readers_headings_and_formats() {
        let vi = String::from_utf8(sheet().csv(Lang::Vi).unwrap()).unwrap();
        assert_eq!(
            vi,
            "\u{feff}Đơn vị,Tỷ lệ,Ngày\nThành phố Tam Kỳ,\"30,83\",30/06/2025\n"
        );
        let en = String::from_utf8(sheet().csv(Lang::En).unwrap()).unwrap();
        assert_eq!(
            en,
            "\u{feff}Unit,Share,Date\nThành phố Tam Kỳ,30.83,2025-06-30\n"
        );
        assert_eq!(sheet().file_name, "bao-cao-tinh-quang-nam-2025-06-30");
    }

    #[test]
    fn xlsx_reads_back_with_numbers_and_dates() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = sheet().xlsx(Lang::Vi).unwrap();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Báo cáo").unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(rows[0][0], Data::String("Đơn vị".to_owned()));
        assert_eq!(rows[1][1], Data::Float(30.83));
        let Data::DateTime(d) = &rows[1][2] else {
            panic!("{:?}", rows[1][2])
        };
        // Excel counts days from 1899-12-30.
        let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        assert_eq!(d.as_f64(), (day - epoch).num_days() as f64);
    }
}

//! A spreadsheet as rows of text: CSV (UTF-8 with or without BOM, comma or semicolon, quoted
//! fields) or XLSX (the first sheet, or a named one). Files that are neither, or that would
//! not be read safely, are refused with what to do about it.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;

use crate::error::{AppError, AppResult};
use crate::msg;

/// Largest file taken (also the route's data limit).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// Most cells of one sheet's extent (the box from its first to its last cell, which a reader
/// lays out whole): about 30 MiB of cells. A national list of 20,000 products in 40 columns
/// is 800,000.
pub const MAX_CELLS: u64 = 1_000_000;
/// Most rows of a sheet or lines of a CSV file.
pub const MAX_ROWS: u64 = 200_000;
/// Most columns of a sheet or CSV line: a list's 200 and a returned file's six (`result::RESULT`).
pub const MAX_COLUMNS: u64 = 200 + 6;
/// Longest CSV record: an area's boundary of [`crate::geometry::MAX_VALUES`] numbers, as exported.
pub const MAX_LINE_BYTES: usize = 2 * 1024 * 1024;
/// A cell as read: text, or a date the spreadsheet itself typed as a date.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
}

impl Value {
    pub fn is_blank(&self) -> bool {
        matches!(self, Value::Text(t) if t.trim().is_empty())
    }

    /// The text of the cell (a date as `yyyy-mm-dd`).
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.trim().to_owned(),
            Value::Date(d) => d.to_string(),
        }
    }
}

/// A row: its number as the spreadsheet shows it (1-based) and its cells.
pub type Row = (usize, Vec<Value>);

/// How many rows are read ahead to find the header (lists often open with a title).
pub const HEAD_ROWS: usize = 10;

/// The rows of a file: the first ones read ahead (the header is among them), the rest read as
/// they are taken — a CSV file is never held as cells whole, so memory stays flat.
pub struct Table<'a> {
    pub head: Vec<Row>,
    pub rest: Box<dyn Iterator<Item = AppResult<Row>> + Send + 'a>,
    /// Rows in the file (for progress).
    pub len: usize,
}

impl<'a> Table<'a> {
    fn of(
        mut rows: impl Iterator<Item = AppResult<Row>> + Send + 'a,
        len: usize,
    ) -> AppResult<Self> {
        let head = rows
            .by_ref()
            .take(HEAD_ROWS)
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Table {
            head,
            rest: Box::new(rows),
            len,
        })
    }

    /// Every row, the head first.
    pub fn rows(self) -> impl Iterator<Item = AppResult<Row>> + Send + 'a {
        self.head.into_iter().map(Ok).chain(self.rest)
    }
}

pub(super) fn file_error(m: crate::i18n::Msg) -> AppError {
    AppError::invalid("file", m)
}

/// Reads `bytes` as XLSX when it is a zip archive, else as CSV text.
pub fn table<'a>(bytes: &'a [u8], sheet: Option<&str>) -> AppResult<Table<'a>> {
    if bytes.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge {
            limit: MAX_BYTES as u64,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // The workbook reader can panic on a malformed part (a cell reference past any sheet
        // overflows its arithmetic): a file the registry cannot read, not a fault of the server.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| xlsx(bytes, sheet)))
            .unwrap_or_else(|_| Err(file_error(msg!("import-not-spreadsheet"))))
    } else {
        csv(bytes)
    }
}

fn xlsx<'a>(bytes: &[u8], sheet: Option<&str>) -> AppResult<Table<'a>> {
    super::archive::check(bytes)?;
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|_| file_error(msg!("import-not-spreadsheet")))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| crate::text::fold(n) == crate::text::fold(s))
            .cloned()
            .ok_or_else(|| {
                AppError::invalid(
                    "sheet",
                    msg!("import-no-sheet", sheet = s, sheets = names.join(", ")),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| file_error(msg!("import-not-spreadsheet")))?,
    };
    let unreadable = |_| file_error(msg!("import-not-spreadsheet"));
    // Every cell is streamed, never laid out in a range: a reader's range is the box from the
    // first cell to the last, so two cells far apart would ask for gigabytes.
    let mut extent = Extent::default();
    {
        let mut cells = book.worksheet_cells_reader(&name).map_err(unreadable)?;
        let d = cells.dimensions();
        extent.declared(d.start, d.end)?;
        // A formula's value is whatever the last program that saved the file computed; a
        // register takes values people typed.
        while let Some(cell) = cells.next_formula().map_err(unreadable)? {
            let (r, c) = cell.get_position();
            extent.add(r, c)?;
            if !cell.get_value().is_empty() {
                return Err(file_error(msg!(
                    "import-formula",
                    cell = cell_name(r as usize, c as usize)
                )));
            }
        }
    }
    let mut cells = book.worksheet_cells_reader(&name).map_err(unreadable)?;
    let mut found = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        let v = value(&Data::from(cell.get_value().clone()));
        if !v.is_blank() {
            found.push((r, c, v));
        }
    }
    found.sort_by_key(|(r, c, _)| (*r, *c));
    let Some((first_row, last_row, last_col)) = extent.bounds() else {
        return Table::of(std::iter::empty(), 0);
    };
    // Rows as the sheet shows them, blank ones included, from its first used row; each row as
    // wide as the sheet from column A.
    let width = last_col as usize + 1;
    let mut rows: Vec<Row> = (first_row..=last_row)
        .map(|r| (r as usize + 1, vec![Value::Text(String::new()); width]))
        .collect();
    for (r, c, v) in found {
        if let Some(slot) = rows
            .get_mut((r - first_row) as usize)
            .and_then(|(_, cells)| cells.get_mut(c as usize))
        {
            *slot = v;
        }
    }
    let len = rows.len();
    Table::of(rows.into_iter().map(Ok), len)
}

/// The box a sheet's cells span, checked against the limits as each cell is seen.
#[derive(Default)]
struct Extent {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
    cells: u64,
}

/// The refusal of a sheet larger than the limits.
pub(super) fn too_large() -> AppError {
    file_error(msg!(
        "import-sheet-too-large",
        cells = MAX_CELLS,
        rows = MAX_ROWS,
        columns = MAX_COLUMNS
    ))
}

impl Extent {
    fn check(rows: (u32, u32), cols: (u32, u32)) -> AppResult<()> {
        let height = u64::from(rows.1.saturating_sub(rows.0)) + 1;
        let width = u64::from(cols.1.saturating_sub(cols.0)) + 1;
        // Rows count from row 1 and columns from A: that is how the rows are laid out.
        if u64::from(rows.1) >= MAX_ROWS
            || u64::from(cols.1) >= MAX_COLUMNS
            || height.saturating_mul(width) > MAX_CELLS
        {
            return Err(too_large());
        }
        Ok(())
    }

    /// The extent the sheet declares (`<dimension>`), refused before any cell is read.
    fn declared(&self, start: (u32, u32), end: (u32, u32)) -> AppResult<()> {
        if end < start {
            return Ok(());
        }
        Self::check((start.0, end.0), (start.1, end.1))
    }

    fn add(&mut self, r: u32, c: u32) -> AppResult<()> {
        let widen = |b: Option<(u32, u32)>, v: u32| match b {
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
            None => (v, v),
        };
        let (rows, cols) = (widen(self.rows, r), widen(self.cols, c));
        Self::check(rows, cols)?;
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(too_large());
        }
        (self.rows, self.cols) = (Some(rows), Some(cols));
        Ok(())
    }

    /// First row, last row and last column, if any cell was seen.
    fn bounds(&self) -> Option<(u32, u32, u32)> {
        Some((self.rows?.0, self.rows?.1, self.cols?.1))
    }
}

fn value(d: &Data) -> Value {
    match d {
        Data::Empty | Data::Error(_) => Value::Text(String::new()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Text(s.clone()),
        Data::Int(n) => Value::Text(n.to_string()),
        // Spreadsheets keep every number as a float: a whole one is written without `.0`.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::Text(format!("{f:.0}")),
        Data::Float(f) => Value::Text(f.to_string()),
        Data::Bool(b) => Value::Text(b.to_string()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Value::Date(t.date()),
            None => Value::Text(dt.as_f64().to_string()),
        },
    }
}

/// `B7` for row index 6, column index 1.
pub fn cell_name(row: usize, col: usize) -> String {
    format!("{}{}", column_name(col), row + 1)
}

/// `A`, `B`, …, `Z`, `AA`, … for a column index.
pub fn column_name(mut col: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

fn csv(bytes: &[u8]) -> AppResult<Table<'_>> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(file_error(msg!("import-utf16")));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(file_error(msg!("import-not-spreadsheet")));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        file_error(msg!("import-not-utf8", line = line))
    })?;
    // Lists often open with a title line: the separator is judged on the first lines.
    let head: String = text.lines().take(HEAD_ROWS).collect();
    let delimiter = if head.matches(';').count() > head.matches(',').count() {
        b';'
    } else {
        b','
    };
    let reader = || {
        ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(text.as_bytes())
    };
    // A first pass counts the rows (and finds a broken quote before anything is applied),
    // reusing one record: nothing of the file is kept.
    let mut len = 0;
    let mut record = ::csv::ByteRecord::new();
    let mut counting = reader();
    while counting.read_byte_record(&mut record).map_err(bad_csv)? {
        len += 1;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() as u64 > MAX_COLUMNS || record.as_slice().len() > MAX_LINE_BYTES {
            return Err(file_error(msg!(
                "import-line-too-long",
                line = line,
                columns = MAX_COLUMNS,
                kib = MAX_LINE_BYTES / 1024
            )));
        }
        if len as u64 > MAX_ROWS {
            return Err(file_error(msg!(
                "import-sheet-too-large",
                cells = MAX_CELLS,
                rows = MAX_ROWS,
                columns = MAX_COLUMNS
            )));
        }
    }
    // Line numbers as a spreadsheet program shows them, counted as the reader advances (its
    // own count skips blank lines).
    let (mut counted_to, mut line) = (0usize, 1usize);
    let rows = reader().into_records().map(move |record| {
        let record = record.map_err(bad_csv)?;
        let mut at = record.position().map_or(0, |p| p.byte() as usize);
        // A record after blank lines starts where they end.
        while matches!(text.as_bytes().get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        let at = at.min(text.len()).max(counted_to);
        line += text.as_bytes()[counted_to..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = at;
        Ok((line, record.iter().map(csv_value).collect()))
    });
    Table::of(rows, len)
}

/// A CSV field as text: the `'` the registry's own exports put before text that starts like a
/// formula is taken off, so that an export imports back unchanged.
fn csv_value(field: &str) -> Value {
    let text = match field.strip_prefix('\'') {
        Some(rest) if rest.starts_with(crate::export::FORMULA_STARTS) => rest,
        _ => field,
    };
    Value::Text(text.to_owned())
}

fn bad_csv(e: ::csv::Error) -> AppError {
    let line = e.position().map_or(0, |p| p.line());
    file_error(msg!("import-bad-csv", line = line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_semicolons_and_quotes() {
        let t = table(
            "\u{feff}Tên;\"Địa chỉ\"\nHTX A;\"Thôn 1; xã B\"\n".as_bytes(),
            None,
        )
        .unwrap();
        assert_eq!(t.len, 2);
        let rows: Vec<Row> = t.rows().collect::<AppResult<_>>().unwrap();
        assert_eq!(rows[1].1[1], Value::Text("Thôn 1; xã B".to_owned()));
        assert_eq!(rows[1].0, 2);
    }

    #[test]
    fn encodings_that_are_not_utf8_are_named() {
        let utf16 = [0xFF, 0xFE, b'T', 0];
        let e = table(&utf16, None).err().unwrap();
        assert!(format!("{e:?}").contains("import-utf16"), "{e:?}");
        // "Tên" in Windows-1258: ê is 0xEA, alone (not UTF-8).
        let cp1258 = [b'T', 0xEA, b'n', b'\n'];
        let e = table(&cp1258, None).err().unwrap();
        assert!(format!("{e:?}").contains("import-not-utf8"), "{e:?}");
    }

    #[test]
    fn column_names_as_spreadsheets_write_them() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(cell_name(6, 1), "B7");
    }
}

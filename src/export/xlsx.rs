//! The XLSX writer: a workbook of sheets with real numbers and dates, its metadata fixed for
//! a record filed at a moment.

use rust_xlsxwriter::{Format as XlsxFormat, Workbook};

use super::{Cell, Sheet};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

/// The most characters an Excel cell holds.
const CELL_MAX_CHARS: usize = 32_767;

/// An XLSX workbook, a sheet each: bold headings, frozen first row, numbers as numbers, dates
/// as dates shown `dd/mm/yyyy`.
pub fn workbook(sheets: &[Sheet], lang: Lang) -> AppResult<Vec<u8>> {
    workbook_made(sheets, lang, None)
}

/// [`workbook`], its creation time `made` when given: a record filed at a moment (a frozen
/// report) writes the same bytes at every download — nothing else in the file depends on
/// when it is written.
pub fn workbook_made(
    sheets: &[Sheet],
    lang: Lang,
    made: Option<&chrono::DateTime<chrono::Utc>>,
) -> AppResult<Vec<u8>> {
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("XLSX output: {e}"));
    let mut book = Workbook::new();
    if let Some(made) = made {
        book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(made));
    }
    let bold = XlsxFormat::new().set_bold();
    let heading = XlsxFormat::new().set_bold().set_font_size(13);
    let date = XlsxFormat::new().set_num_format("dd/mm/yyyy");
    let percent = XlsxFormat::new().set_num_format("0.00%");
    for s in sheets {
        let sheet = book.add_worksheet();
        let title: String = s.title.chars().take(31).collect();
        sheet.set_name(title).map_err(err)?;
        // The title block, then a blank row, then the table.
        let top = match s.preamble.len() {
            0 => 0,
            n => u32::try_from(n + 1).map_err(|_| AppError::Internal("title block".to_owned()))?,
        };
        // A heading (a returned file repeats the sender's own) or a title line longer than a
        // cell holds is cut, never a failure: a file is answered after its rows are written.
        let fit = |t: &str| t.chars().take(CELL_MAX_CHARS).collect::<String>();
        for (c, h) in s.headings(lang).iter().enumerate() {
            sheet
                .write_string_with_format(top, col_num(c)?, fit(h), &bold)
                .map_err(err)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = u32::try_from(r)
                .ok()
                .and_then(|r| r.checked_add(top + 1))
                .ok_or_else(|| AppError::Internal("too many rows for a sheet".to_owned()))?;
            for (c, cell) in row.iter().enumerate() {
                let c = col_num(c)?;
                match cell {
                    // Longer than a cell holds (a detailed boundary): left empty, which a
                    // re-import reads as "no change"; the CSV and the API carry it whole.
                    Cell::Text(t) if t.chars().count() > CELL_MAX_CHARS => Ok(()),
                    Cell::Text(t) => sheet.write_string(r, c, t).map(drop),
                    // Whole numbers of this registry stay far below 2^53: exact as f64.
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(drop),
                    Cell::Decimal(d) => match d.parse::<f64>() {
                        Ok(f) => sheet.write_number(r, c, f).map(drop),
                        Err(_) => sheet.write_string(r, c, d).map(drop),
                    },
                    Cell::Date(d) => sheet.write_date_with_format(r, c, *d, &date).map(drop),
                    Cell::Percent(d) => match d.parse::<f64>() {
                        Ok(f) => sheet
                            .write_number_with_format(r, c, f / 100.0, &percent)
                            .map(drop),
                        Err(_) => sheet.write_string(r, c, d).map(drop),
                    },
                    Cell::Bool(b) => sheet.write_boolean(r, c, *b).map(drop),
                    Cell::Link(l) => sheet.write_url(r, c, l.as_str()).map(drop),
                    Cell::Empty => Ok(()),
                }
                .map_err(err)?;
            }
        }
        sheet.set_freeze_panes(top + 1, 0).map_err(err)?;
        sheet.autofit();
        // Written after the columns are fitted to the table: its long lines overflow to the
        // right instead of widening the first column.
        for (r, line) in s.preamble.iter().enumerate() {
            let r = u32::try_from(r).map_err(|_| AppError::Internal("title block".to_owned()))?;
            let format = if r == 0 { &heading } else { &XlsxFormat::new() };
            sheet
                .write_string_with_format(r, 0, fit(line), format)
                .map_err(err)?;
        }
    }
    book.save_to_buffer().map_err(err)
}

fn col_num(c: usize) -> AppResult<u16> {
    u16::try_from(c).map_err(|_| AppError::Internal("too many columns".to_owned()))
}

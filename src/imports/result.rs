//! A file returned with its results: each row as it was sent, after its fate, the record it
//! ended in and its errors and notes, so a clerk fixes the rows in error in the very file.

use std::borrow::Cow;
use std::collections::HashMap;

use super::dto::ImportSummary;
use crate::error::{AppError, AppResult};
use crate::export::{Cell, Column, Sheet, col};
use crate::i18n::Lang;
use crate::msg;

/// The columns in front of a returned file's own, headed so that no field of any list takes
/// them when the file is sent again (`Record id` would be an area's `record_id`).
pub const RESULT: [Column; 6] = [
    col("Dòng", "Result: row"),
    col("Kết quả", "Result"),
    col("Bản ghi", "Result: record"),
    col("Mã bản ghi", "Result: record id"),
    col("Đường dẫn", "Result: link"),
    col("Lỗi / ghi chú", "Result: errors and notes"),
];

/// The sheet of the file's rows with their results (`None`: the file was not kept). Links are
/// written whole, from the registry's public address `base`: a workbook has no page to be
/// relative to.
pub fn sheet(summary: &ImportSummary, lang: Lang, base: &str) -> Option<Sheet> {
    let file = summary.file.as_ref()?;
    let (headings, rows) = (&file.headings, &file.rows);
    let mut problems: HashMap<usize, Vec<String>> = HashMap::new();
    for m in summary.errors.iter().chain(&summary.notes) {
        let text = if m.column.is_empty() {
            m.message.clone()
        } else {
            format!("{}: {}", m.column, m.message)
        };
        problems.entry(m.row).or_default().push(text);
    }
    let results: HashMap<usize, _> = summary.results.iter().map(|r| (r.row, r)).collect();
    let mut columns = RESULT.to_vec();
    // A returned file sent again is returned with one set of results, not two.
    let own: Vec<usize> = (0..headings.len())
        .filter(|i| {
            !RESULT
                .iter()
                .any(|c| c.vi == headings[*i].as_str() || c.en == headings[*i].as_str())
        })
        .collect();
    columns.extend(own.iter().map(|i| Column {
        vi: Cow::Owned(headings[*i].clone()),
        en: Cow::Owned(headings[*i].clone()),
    }));
    let rows = rows
        .iter()
        .map(|(n, cells)| {
            let r = results.get(n);
            let mut out = vec![
                Cell::Int(i64::try_from(*n).unwrap_or_default()),
                r.map_or(Cell::Empty, |r| {
                    lang.t(&r.result.label_key(summary.applied)).into()
                }),
                r.and_then(|r| r.entity.as_deref())
                    .map_or(Cell::Empty, |e| lang.t(&format!("entity-{e}")).into()),
                r.and_then(|r| r.id)
                    .map_or(Cell::Empty, |id| id.to_string().into()),
                r.and_then(|r| r.link.as_ref())
                    .map_or(Cell::Empty, |l| Cell::Link(format!("{base}{l}"))),
                problems.get(n).map_or(Cell::Empty, |p| p.join("; ").into()),
            ];
            out.extend(
                own.iter()
                    .map(|i| cells.get(*i).map_or(Cell::Empty, |c| Cell::from(c.clone()))),
            );
            out
        })
        .collect();
    Some(Sheet {
        file_name: crate::export::file_name(&["ket-qua-nhap", summary.kind.file_word()]),
        title: "Kết quả nhập".to_owned(),
        columns,
        rows,
        preamble: Vec::new(),
    })
}

impl super::dto::SentFile {
    /// Keeps a row for the returned file, within the size of a file one may send: a workbook's
    /// shared strings can make a small file's cells many times its size.
    pub(super) fn keep(&mut self, n: usize, cells: &[super::read::Value]) -> AppResult<()> {
        let row: Vec<String> = cells.iter().map(super::read::Value::text).collect();
        self.bytes += row.iter().map(String::len).sum::<usize>();
        if self.bytes > super::read::MAX_BYTES {
            return Err(AppError::invalid(
                "format",
                msg!(
                    "import-result-too-large",
                    max = super::read::MAX_BYTES / (1024 * 1024)
                ),
            ));
        }
        self.rows.push((n, row));
        Ok(())
    }
}

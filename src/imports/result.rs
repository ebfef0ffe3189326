//! A file returned with its results: each row as it was sent, after its fate, the record it
//! ended in and its errors and notes, so a clerk fixes the rows in error in the very file.

use std::borrow::Cow;
use std::collections::HashMap;

use super::dto::ImportSummary;
use crate::export::{Cell, Column, Sheet, col};
use crate::i18n::Lang;

/// The sheet of the file's rows with their results (`None`: the file was not kept).
pub fn sheet(summary: &ImportSummary, lang: Lang) -> Option<Sheet> {
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
    let mut columns = vec![
        col("Dòng", "Row"),
        col("Kết quả", "Result"),
        col("Bản ghi", "Record"),
        col("Mã bản ghi", "Record id"),
        col("Đường dẫn", "Link"),
        col("Lỗi / ghi chú", "Errors / notes"),
    ];
    columns.extend(headings.iter().map(|h| Column {
        vi: Cow::Owned(h.clone()),
        en: Cow::Owned(h.clone()),
    }));
    let rows = rows
        .iter()
        .map(|(n, cells)| {
            let r = results.get(n);
            let mut out = vec![
                Cell::Int(i64::try_from(*n).unwrap_or_default()),
                r.map_or(Cell::Empty, |r| {
                    lang.t(&format!("imports-fate-{}", r.result.code())).into()
                }),
                r.and_then(|r| r.entity.as_deref())
                    .map_or(Cell::Empty, |e| lang.t(&format!("entity-{e}")).into()),
                r.and_then(|r| r.id)
                    .map_or(Cell::Empty, |id| id.to_string().into()),
                r.and_then(|r| r.link.clone())
                    .map_or(Cell::Empty, Cell::from),
                problems.get(n).map_or(Cell::Empty, |p| p.join("; ").into()),
            ];
            out.extend(cells.iter().map(|c| Cell::from(c.clone())));
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

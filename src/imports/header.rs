//! The header row of a list: found among its first rows by the headings it gives, each column
//! taken as the field its heading names (without accents, case or punctuation).

use super::cells::normalize;
use super::columns::Field;
use super::read::{Table, Value};

/// The header row: which field each column holds.
#[derive(Debug)]
pub struct Header {
    /// The header's row number.
    pub row: usize,
    /// Column index → field key.
    pub columns: Vec<Option<&'static str>>,
    /// The headings as the file writes them (for messages).
    pub titles: Vec<String>,
}

impl Header {
    /// The column of a field, with the heading the file gives it.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(key))
    }

    /// The heading of a field as the file writes it; of a column the file lacks, the
    /// template's heading for a Vietnamese reader (the field's API name for others).
    pub fn title(&self, key: &str, fields: &[Field], lang: crate::i18n::Lang) -> String {
        if let Some(i) = self.column(key) {
            return self.titles[i].clone();
        }
        match lang {
            crate::i18n::Lang::Vi => fields.iter().find(|f| f.key == key).map_or(key, |f| f.vi),
            crate::i18n::Lang::En => key,
        }
        .to_owned()
    }

    /// Headings the list has that no field takes (left out of the import).
    pub fn ignored(&self) -> Vec<String> {
        self.columns
            .iter()
            .zip(&self.titles)
            .filter(|(c, t)| c.is_none() && !t.trim().is_empty())
            .map(|(_, t)| t.clone())
            .collect()
    }
}

fn field_of(fields: &[Field], heading: &str) -> Option<&'static str> {
    let h = normalize(heading);
    if h.is_empty() {
        return None;
    }
    fields
        .iter()
        .find(|f| {
            normalize(f.key) == h
                || normalize(f.vi) == h
                || f.aliases.iter().any(|a| normalize(a) == h)
        })
        .map(|f| f.key)
}

/// The header row: among the first ten rows (lists often open with a title), the first where
/// `required` and at least one more field are recognised.
pub fn header(table: &Table<'_>, fields: &[Field], required: &str) -> Option<Header> {
    table.head.iter().find_map(|(row, cells)| {
        let columns: Vec<Option<&'static str>> = cells
            .iter()
            .map(|c| match c {
                Value::Text(t) => field_of(fields, t),
                Value::Date(_) => None,
            })
            .collect();
        let found = columns.iter().flatten().count();
        let mut seen: Vec<&str> = Vec::new();
        // A field named twice keeps its first column.
        let columns = columns
            .into_iter()
            .map(|c| match c {
                Some(k) if seen.contains(&k) => None,
                Some(k) => {
                    seen.push(k);
                    Some(k)
                }
                None => None,
            })
            .collect::<Vec<_>>();
        (columns.contains(&Some(required)) && found >= 2).then(|| Header {
            row: *row,
            titles: cells.iter().map(Value::text).collect(),
            columns,
        })
    })
}

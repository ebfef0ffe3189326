//! The template of each kind of list: its headings, an example row and the accepted values.

use strum::IntoEnumIterator;

use super::columns;
use super::dto::ImportKind;
use crate::domain::{ChannelKind, CounterpartyKind, LegalForm, ProductGroup, Tenure};
use crate::export::{Cell, Sheet, col, file_name};
use crate::i18n::Lang;

/// The template sheet and the sheet of accepted values.
pub fn sheets(kind: ImportKind, lang: Lang) -> Vec<Sheet> {
    let fields = columns::of(kind);
    let template = Sheet {
        file_name: file_name(&["mau-nhap", kind.file_word()]),
        title: "Mẫu nhập".to_owned(),
        columns: fields.iter().map(|f| col(f.vi, f.key)).collect(),
        rows: vec![fields.iter().map(|f| Cell::from(f.example)).collect()],
        preamble: Vec::new(),
    };
    // The coded columns of this kind, each value as lists may write it and as its code.
    let mut values: Vec<Vec<Cell>> = Vec::new();
    for f in &fields {
        let rows = match f.key {
            "legal_form" => coded::<LegalForm>(lang, f.vi, "legal"),
            "group" => coded::<ProductGroup>(lang, f.vi, "product-group"),
            "tenure" => coded::<Tenure>(lang, f.vi, "tenure"),
            "counterparty_kind" => coded::<CounterpartyKind>(lang, f.vi, "counterparty"),
            "kind" => coded::<ChannelKind>(lang, f.vi, "kind"),
            "woman_led" | "potential_five_star" => {
                [(lang.t("yes"), "true"), (lang.t("no"), "false")]
                    .into_iter()
                    .map(|(text, code)| vec![Cell::from(f.vi), text.into(), code.into()])
                    .collect()
            }
            "stars" => ["3 sao", "4 sao", "5 sao", "tiềm năng 5 sao"]
                .into_iter()
                .map(|t| vec![Cell::from(f.vi), t.into(), Cell::Empty])
                .collect(),
            _ => Vec::new(),
        };
        values.extend(rows);
    }
    values.push(vec![
        lang.t("import-column-dates").into(),
        "30/06/2025".into(),
        "2025-06-30".into(),
    ]);
    let accepted = Sheet {
        file_name: file_name(&["gia-tri", kind.file_word()]),
        title: "Giá trị".to_owned(),
        columns: vec![
            col("Cột", "column"),
            col("Cách viết", "written"),
            col("Mã", "code"),
        ],
        rows: values,
        preamble: Vec::new(),
    };
    vec![template, accepted]
}

/// The values of an enumeration: its label in the reader's language and its code.
fn coded<E>(lang: Lang, column: &str, prefix: &str) -> Vec<Vec<Cell>>
where
    E: IntoEnumIterator + Into<&'static str>,
{
    E::iter()
        .map(|e| {
            let code: &'static str = e.into();
            vec![
                Cell::from(column),
                lang.t(&format!("{prefix}-{code}")).into(),
                code.into(),
            ]
        })
        .collect()
}

//! The template of each kind of list: its headings, an example row and the accepted values.

use strum::IntoEnumIterator;

use super::columns;
use super::dto::ImportKind;
use crate::domain::LegalForm;
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
    };
    let mut values: Vec<Vec<Cell>> = LegalForm::iter()
        .map(|f| {
            vec![
                Cell::from(lang.t("import-column-legal-form")),
                lang.t(&format!("legal-{}", f.code())).into(),
                f.code().into(),
            ]
        })
        .collect();
    for (text, code) in [(lang.t("yes"), "true"), (lang.t("no"), "false")] {
        values.push(vec![
            lang.t("import-column-woman-led").into(),
            text.into(),
            code.into(),
        ]);
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
    };
    vec![template, accepted]
}

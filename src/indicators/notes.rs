//! The sentences of an explanation as message codes with their particulars, written in the
//! reader's language by the Fluent catalogues (`note-…` messages). The API's `reasons` are the
//! same notes written in English.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::Lang;

/// A particular of a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Arg {
    /// A day (written `30/06/2025` in Vietnamese, `2025-06-30` in English).
    Date(NaiveDate),
    Int(i64),
    /// A code the catalogue names (`kind-marketplace`, `cert-status-suspended`), or several
    /// joined by "or" in the reader's language.
    Terms {
        terms: Vec<String>,
    },
    /// Text from the records (a certificate number, an area's name).
    Text(String),
}

/// One sentence of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    /// The message (`cert_expired`, `channel_declared_only`, …).
    pub code: String,
    #[schema(value_type = Object)]
    pub args: BTreeMap<String, Arg>,
}

impl Note {
    pub fn new(code: &str, args: Vec<(&str, Arg)>) -> Note {
        Note {
            code: code.to_owned(),
            args: args.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// The note with argument `key` added.
    pub fn with(mut self, key: &str, arg: Arg) -> Note {
        self.args.insert(key.to_owned(), arg);
        self
    }

    /// The sentence in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Arg::Date(d) => match lang {
                        Lang::Vi => lang.date(*d),
                        Lang::En => d.to_string(),
                    },
                    Arg::Int(n) => n.to_string(),
                    Arg::Text(t) => t.clone(),
                    Arg::Terms { terms } => terms
                        .iter()
                        .map(|t| {
                            let plain = t.split_once('-').map_or(t.as_str(), |(_, c)| c);
                            lang.t_or(t, plain)
                        })
                        .collect::<Vec<_>>()
                        .join(&format!(" {} ", lang.t("or"))),
                };
                (k.as_str(), text)
            })
            .collect();
        lang.tf(&format!("note-{}", self.code), &args)
    }
}

/// Shorthands for the explanation code.
pub fn date(d: NaiveDate) -> Arg {
    Arg::Date(d)
}

pub fn int(n: impl Into<i64>) -> Arg {
    Arg::Int(n.into())
}

pub fn text(s: impl Into<String>) -> Arg {
    Arg::Text(s.into())
}

/// A code the catalogue names: `term("kind", "marketplace")` is `kind-marketplace`.
pub fn term(prefix: &str, code: &str) -> Arg {
    Arg::Terms {
        terms: vec![format!("{prefix}-{code}")],
    }
}

/// Several codes, joined by "or".
pub fn terms<'a>(prefix: &str, codes: impl IntoIterator<Item = &'a str>) -> Arg {
    Arg::Terms {
        terms: codes.into_iter().map(|c| format!("{prefix}-{c}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_reads_the_same_as_the_old_english_and_in_vietnamese() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
        let later = NaiveDate::from_ymd_opt(2025, 7, 15).unwrap_or_default();
        let from = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap_or_default();
        let n = Note::new(
            "channel_declared_only",
            vec![
                ("platform", text("Shopee")),
                ("kind", term("kind", "marketplace")),
                ("d", date(d)),
                ("from", date(from)),
                ("version", int(2)),
                ("later", text("after")),
                ("on", date(later)),
            ],
        );
        assert_eq!(
            n.render(Lang::En),
            "channel Shopee (Marketplace) is declared only: not verified by an auditor by \
             2025-06-30 (it was verified on 2025-07-15, after 2025-06-30) and no active listing \
             seen from 2025-04-01 to 2025-06-30"
        );
        assert_eq!(
            n.render(Lang::Vi),
            "Kênh Shopee (Sàn thương mại điện tử) chỉ tự khai: chưa được cán bộ xác nhận đến ngày \
             30/06/2025 (được xác nhận ngày 15/07/2025, sau ngày 30/06/2025) và không thấy sản \
             phẩm đăng bán nào từ 01/04/2025 đến 30/06/2025"
        );
        let categories = Note::new(
            "no_verified_certification",
            vec![
                ("categories", terms("category", ["green", "circular"])),
                ("d", date(d)),
            ],
        );
        assert_eq!(
            categories.render(Lang::En),
            "no verified green or circular certification valid on 2025-06-30"
        );
        assert_eq!(
            categories.render(Lang::Vi),
            "Chưa có chứng nhận xanh hoặc tuần hoàn đã xác nhận còn hiệu lực ngày 30/06/2025"
        );
        // Stored and read back (a frozen report) it renders the same.
        let json = serde_json::to_string(&n).unwrap_or_default();
        let back: Note = serde_json::from_str(&json).unwrap_or_else(|_| Note::new("x", vec![]));
        assert_eq!(back.render(Lang::Vi), n.render(Lang::Vi));
    }
}

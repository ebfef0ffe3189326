//! Forms as people fill them in, turned into the API's requests: one description per form (its
//! fields, how each is typed), one way to read what was typed (`dd/mm/yyyy`, `12,5`), and the
//! API's refusals shown next to the field they name. A form never has rules of its own: the
//! service behind it decides, exactly as for the API.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::i18n::Lang;

/// How a field is typed.
pub enum Input {
    Text,
    /// `dd/mm/yyyy` (also `yyyy-mm-dd`), sent as the API's ISO date.
    Date,
    /// Hectares and the like: `12,5` or `1.234,5`, sent as a decimal string.
    Decimal,
    /// A whole number.
    Integer,
    /// One of these `(value, label)`; the empty value means none.
    Select(Vec<(String, String)>),
    LongText,
    /// A file (its bytes are the handler's to use, not the JSON body's).
    File(&'static str),
}

/// A field of a form.
pub struct Spec {
    /// The API's field name (`linkage.end_on` for a nested one): refusals come back by it.
    pub name: &'static str,
    pub label: String,
    pub input: Input,
    pub required: bool,
    pub hint: Option<String>,
    /// Where a record's view holds what the field shows, when not under its own name (a
    /// commune's name for `commune_id`).
    pub shown_from: Option<&'static str>,
    /// The page's `<datalist>` the field offers its choices from (a unit picker).
    pub list: Option<&'static str>,
}

impl Spec {
    pub fn new(name: &'static str, label: String, input: Input) -> Self {
        Spec {
            name,
            label,
            input,
            required: false,
            hint: None,
            shown_from: None,
            list: None,
        }
    }

    pub fn list(mut self, id: &'static str) -> Self {
        self.list = Some(id);
        self
    }

    pub fn shown_from(mut self, path: &'static str) -> Self {
        self.shown_from = Some(path);
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }
}

/// A select option as shown.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A field as shown: its value (as typed after a refusal) and what is wrong with it.
pub struct Shown {
    pub name: &'static str,
    /// The name in the HTML form: `f[linkage__end_on]` (Rocket reads `.` inside a name as a
    /// nesting of its own).
    pub html_name: String,
    /// An id safe in HTML.
    pub id: String,
    pub label: String,
    /// `text`, `date`, `number`, `select`, `textarea` or `file`.
    pub kind: &'static str,
    pub accept: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub list: Option<&'static str>,
}

/// A form as shown on a page.
pub struct Shape {
    pub id: &'static str,
    pub title: String,
    pub action: String,
    pub submit: String,
    pub multipart: bool,
    /// Open (after a refusal) rather than folded.
    pub open: bool,
    pub fields: Vec<Shown>,
    /// A refusal that names no field of the form.
    pub error: Option<String>,
    /// The version of the record being edited (sent back as `If-Match`).
    pub version: Option<i32>,
    /// A refusal's summary, first in the form and focused as the page opens: `(field id, "label:
    /// what is wrong")`, each a link to its field.
    pub summary: Vec<(String, String)>,
}

/// What was typed, and the refusal, when a form comes back.
pub struct Refusal {
    pub form: &'static str,
    pub typed: HashMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

impl Refusal {
    /// From the API's error: each field's rules in the reader's language; what names no field
    /// of the form, under `form`.
    pub fn of(
        form: &'static str,
        typed: HashMap<String, String>,
        e: &crate::error::AppError,
        specs: &[Spec],
        lang: Lang,
    ) -> Self {
        let detail = e.body(lang).error;
        let mut errors = BTreeMap::new();
        for (field, rules) in detail.fields.clone().unwrap_or_default() {
            let key = if specs.iter().any(|s| s.name == field) {
                field
            } else {
                "form".to_owned()
            };
            let entry: &mut String = errors.entry(key).or_default();
            if !entry.is_empty() {
                entry.push_str("; ");
            }
            entry.push_str(&rules.join("; "));
        }
        if errors.is_empty() {
            errors.insert("form".to_owned(), detail.message_with_labels(lang));
        }
        Refusal {
            form,
            typed,
            errors,
        }
    }
}

/// A form's shape, with the refusal's typed values and errors when it is the refused one, else
/// the `values` it starts with (a record being edited).
pub fn shape(
    id: &'static str,
    title: String,
    submit: String,
    specs: Vec<Spec>,
    refusal: Option<&Refusal>,
    values: Option<&HashMap<String, String>>,
) -> Shape {
    let mine = refusal.filter(|r| r.form == id);
    let multipart = specs.iter().any(|s| matches!(s.input, Input::File(_)));
    let fields: Vec<Shown> = specs
        .into_iter()
        .map(|s| {
            let value = match mine {
                Some(r) => r.typed.get(s.name).cloned(),
                None => values.and_then(|v| v.get(s.name).cloned()),
            }
            .unwrap_or_default();
            let (kind, accept, choices) = match s.input {
                Input::Text => ("text", "", Vec::new()),
                Input::Date => ("date", "", Vec::new()),
                Input::Decimal | Input::Integer => ("number", "", Vec::new()),
                Input::LongText => ("textarea", "", Vec::new()),
                Input::File(accept) => ("file", accept, Vec::new()),
                Input::Select(options) => (
                    "select",
                    "",
                    options
                        .into_iter()
                        .map(|(v, label)| Choice {
                            selected: v == value,
                            value: v,
                            label,
                        })
                        .collect(),
                ),
            };
            Shown {
                id: format!("{id}-{}", s.name.replace('.', "-")),
                html_name: format!("f[{}]", s.name.replace('.', "__")),
                name: s.name,
                label: s.label,
                kind,
                accept,
                value,
                choices,
                required: s.required,
                hint: s.hint,
                list: s.list,
                error: mine.and_then(|r| r.errors.get(s.name).cloned()),
            }
        })
        .collect();
    let summary = fields
        .iter()
        .filter_map(|f: &Shown| {
            f.error
                .as_ref()
                .map(|e| (f.id.clone(), format!("{}: {e}", f.label)))
        })
        .collect();
    Shape {
        summary,
        id,
        action: format!("/me/forms/{id}"),
        title,
        submit,
        multipart,
        open: mine.is_some() || values.is_some(),
        fields,
        error: mine.and_then(|r| r.errors.get("form").cloned()),
        version: None,
    }
}

/// A record's values as its form shows them (`30/06/2025`, `12,5`), from the API's view of it.
pub fn prefill(specs: &[Spec], view: &Value, lang: Lang) -> HashMap<String, String> {
    specs
        .iter()
        .filter(|s| !matches!(s.input, Input::File(_)))
        .filter_map(|s| {
            let path = s.shown_from.unwrap_or(s.name);
            let v = path.split('.').try_fold(view, |v, k| v.get(k))?;
            let text = match (v, &s.input) {
                (Value::Null, _) => return None,
                (Value::String(d), Input::Date) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(|d| lang.date(d))
                    .unwrap_or_else(|_| d.clone()),
                (Value::String(x), Input::Decimal) => lang.decimal(x),
                (Value::String(x), _) => x.clone(),
                (other, _) => other.to_string(),
            };
            Some((s.name.to_owned(), text))
        })
        .collect()
}

/// An edit's JSON body: only the fields whose typed value differs from what the form started
/// with (`before`); a field emptied is sent as `null` (cleared). Read like [`body`].
pub fn changes(
    specs: &[Spec],
    typed: &HashMap<String, String>,
    before: &HashMap<String, String>,
    lang: Lang,
) -> Result<Value, BTreeMap<String, String>> {
    let changed: Vec<&Spec> = specs
        .iter()
        .filter(|s| !matches!(s.input, Input::File(_)))
        .filter(|s| {
            let now = typed.get(s.name).map(|v| v.trim()).unwrap_or_default();
            now != before.get(s.name).map(|v| v.trim()).unwrap_or_default()
        })
        .collect();
    let mut out = match body_of(&changed, typed, lang)? {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    // An emptied field is cleared, unless the record cannot be without it.
    let mut required = BTreeMap::new();
    for s in changed {
        if typed
            .get(s.name)
            .map(|v| v.trim())
            .unwrap_or_default()
            .is_empty()
        {
            if s.required {
                required.insert(s.name.to_owned(), lang.t("field-is-required"));
            } else {
                insert(&mut out, s.name, Value::Null);
            }
        }
    }
    if !required.is_empty() {
        return Err(required);
    }
    Ok(Value::Object(out))
}

/// The API's JSON body from what was typed: blank fields left out, dates and decimals as the
/// API writes them, `a.b` names nested. A value that cannot be read is refused by its field,
/// before any service is asked.
pub fn body(
    specs: &[Spec],
    typed: &HashMap<String, String>,
    lang: Lang,
) -> Result<Value, BTreeMap<String, String>> {
    body_of(&specs.iter().collect::<Vec<_>>(), typed, lang)
}

fn body_of(
    specs: &[&Spec],
    typed: &HashMap<String, String>,
    lang: Lang,
) -> Result<Value, BTreeMap<String, String>> {
    let mut out = Map::new();
    let mut errors = BTreeMap::new();
    for s in specs {
        let raw = typed.get(s.name).map(|v| v.trim()).unwrap_or_default();
        if raw.is_empty() && s.required && !matches!(s.input, Input::File(_)) {
            // Said with every other slip of the form at once, not one per submission.
            errors.insert(s.name.to_owned(), lang.t("field-is-required"));
            continue;
        }
        if raw.is_empty() || matches!(s.input, Input::File(_)) {
            continue;
        }
        let value = match s.input {
            Input::Date => match crate::i18n::parse_date(raw) {
                Some(d) => Value::String(d.format("%Y-%m-%d").to_string()),
                None => {
                    errors.insert(s.name.to_owned(), lang.t("date-invalid"));
                    continue;
                }
            },
            Input::Decimal => Value::String(crate::imports::cells::decimal(raw)),
            Input::Integer => match raw.replace(['.', ' '], "").parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    errors.insert(s.name.to_owned(), lang.t("form-integer"));
                    continue;
                }
            },
            _ => Value::String(raw.to_owned()),
        };
        insert(&mut out, s.name, value);
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

fn insert(out: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        Some((head, rest)) => {
            let inner = out
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = inner {
                insert(m, rest, value);
            }
        }
        None => {
            out.insert(name.to_owned(), value);
        }
    }
}

/// A form's choices of an enum, labelled from the catalogue, after an optional blank choice.
pub fn options<E: strum::IntoEnumIterator + Copy>(
    lang: Lang,
    prefix: &str,
    code: impl Fn(E) -> &'static str,
    blank: Option<String>,
) -> Vec<(String, String)> {
    blank
        .map(|b| (String::new(), b))
        .into_iter()
        .chain(E::iter().map(|e| {
            let c = code(e);
            (c.to_owned(), lang.t(&format!("{prefix}-{c}")))
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_become_the_api_s_body() {
        let specs = vec![
            Spec::new("name", String::new(), Input::Text),
            Spec::new("area_ha", String::new(), Input::Decimal),
            Spec::new("valid_from", String::new(), Input::Date),
            Spec::new("linkage.households", String::new(), Input::Integer),
            Spec::new("linkage.end_on", String::new(), Input::Date),
            Spec::new("variety", String::new(), Input::Text),
        ];
        let typed: HashMap<String, String> = [
            ("name", " Vùng chè "),
            ("area_ha", "1.234,5"),
            ("valid_from", "01/07/2025"),
            ("linkage.households", "45"),
            ("linkage.end_on", "2030-06-30"),
            ("variety", "  "),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            body(&specs, &typed, Lang::Vi).unwrap(),
            serde_json::json!({"name": "Vùng chè", "area_ha": "1234.5", "valid_from": "2025-07-01",
                "linkage": {"households": 45, "end_on": "2030-06-30"}})
        );
        let bad: HashMap<String, String> = [
            ("valid_from", "31/02/2025"),
            ("linkage.households", "nhiều"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let before = prefill(
            &specs,
            &serde_json::json!({"name": "Vùng chè", "area_ha": "1234.5", "valid_from": "2025-07-01",
                "linkage": {"households": 45, "end_on": null}, "variety": "Shan"}),
            Lang::Vi,
        );
        assert_eq!(before["valid_from"], "01/07/2025");
        assert_eq!(before["area_ha"], "1.234,5");
        assert_eq!(before["linkage.households"], "45");
        assert!(!before.contains_key("linkage.end_on"));
        let mut edited = before.clone();
        edited.insert("area_ha".to_owned(), "13,5".to_owned());
        edited.insert("variety".to_owned(), String::new());
        assert_eq!(
            changes(&specs, &edited, &before, Lang::Vi).unwrap(),
            serde_json::json!({"area_ha": "13.5", "variety": null}),
            "only what changed; an emptied field is cleared"
        );
        let errors = body(&specs, &bad, Lang::Vi).unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["linkage.households", "valid_from"]
        );
    }
}

//! Languages of the pages: Vietnamese first, English on request. Text comes from the Fluent
//! catalogues in `locales/` (compiled into the binary); numbers and dates are written as
//! Vietnamese write them (`30,83 %`, `1.234`, `30/06/2025`).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use rocket::Request;
use rocket::request::{FromRequest, Outcome};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "vi",
        // Fluent wraps arguments in Unicode isolation marks by default; in HTML they are
        // invisible noise that breaks copying numbers out of a page.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static VI: LanguageIdentifier = langid!("vi");
static EN: LanguageIdentifier = langid!("en");

/// A page's language (in a query: `vi` or `en`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
#[value(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// The cookie the language switch sets.
pub const COOKIE: &str = "lang";

impl Lang {
    /// `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("vi") {
            Some(Lang::Vi)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// `?lang=`, then the switch's cookie, then the first of `vi`/`en` in `Accept-Language`
    /// (by its weights), else Vietnamese.
    pub fn of(req: &Request<'_>) -> Lang {
        let header = req.headers().get_one("Accept-Language");
        Self::chosen(req)
            .or_else(|| header.and_then(from_accept_language))
            .unwrap_or_default()
    }

    /// The reader's own choice: `?lang=`, then the cookie the switch sets.
    fn chosen(req: &Request<'_>) -> Option<Lang> {
        let cookie = || Lang::parse(req.cookies().get(COOKIE)?.value());
        let query = req.query_value::<&str>("lang").and_then(Result::ok);
        query.and_then(Lang::parse).or_else(cookie)
    }

    /// The language of a public page or answer: the reader's choice, else Vietnamese (never
    /// `Accept-Language`: a cache before a crowd keeps one copy per choice, not per browser).
    pub fn public(req: &Request<'_>) -> Lang {
        Self::chosen(req).unwrap_or_default()
    }

    /// The command line's language: `OCOP_LANG`, then the locale's `LANG` when it names
    /// Vietnamese or English, else Vietnamese.
    pub fn of_env() -> Lang {
        ["OCOP_LANG", "LANG"]
            .iter()
            .find_map(|v| std::env::var(v).ok().as_deref().and_then(Lang::parse))
            .unwrap_or_default()
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The catalogue's text for `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The catalogue's text for `key`, or `fallback` when the catalogue has none (codes from
    /// the data, such as an audit entry's entity, that may outgrow the catalogue).
    pub fn t_or(self, key: &str, fallback: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// The catalogue's text for `key` with arguments.
    pub fn tf(self, key: &str, args: &[(&str, String)]) -> String {
        self.try_tf(key, args)
            .unwrap_or_else(|| LOCALES.lookup(self.id(), key))
    }

    /// The catalogue's text for `key` with arguments, or `None` when the catalogue has no such
    /// message (callers that translate codes from elsewhere keep the original then).
    pub fn try_tf(self, key: &str, args: &[(&str, String)]) -> Option<String> {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.try_lookup_complete(self.id(), key, Some(&args))
    }

    /// `1.234` (vi) or `1,234` (en).
    pub fn int(self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A decimal as written by the API (`30.83`) with the language's decimal mark.
    pub fn decimal(self, api: &str) -> String {
        let (whole, frac) = api.split_once('.').unwrap_or((api, ""));
        let whole = whole
            .parse::<i64>()
            .map_or_else(|_| whole.to_owned(), |n| self.int(n));
        let whole = if api.starts_with("-0") {
            format!("-{whole}")
        } else {
            whole
        };
        match (frac.is_empty(), self) {
            (true, _) => whole,
            (false, Lang::Vi) => format!("{whole},{frac}"),
            (false, Lang::En) => format!("{whole}.{frac}"),
        }
    }

    /// `30,83 %` from the API's `30.83`.
    pub fn percent(self, api: &str) -> String {
        format!("{} %", self.decimal(api))
    }

    /// `30/06/2025`.
    pub fn date(self, d: NaiveDate) -> String {
        d.format("%d/%m/%Y").to_string()
    }
}

fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut bits = part.split(';');
        let Some(lang) = bits.next().and_then(Lang::parse) else {
            continue;
        };
        let q = bits
            .find_map(|b| b.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// A date typed in a form: `30/06/2025` (also `30-06-2025`, `30.06.2025`) or `2025-06-30`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// A moment typed in a form, in Việt Nam's time (`01/07/2025 09:30`, a date alone meaning the
/// end of that day), or RFC 3339: as RFC 3339, for the services.
pub fn parse_moment(s: &str) -> Option<String> {
    let s = s.trim();
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return Some(s.to_owned());
    }
    let (day, time) = match s.split_once(' ') {
        Some((d, t)) => (
            d,
            chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok()?,
        ),
        None => (s, chrono::NaiveTime::from_hms_opt(23, 59, 59)?),
    };
    let local = parse_date(day)?.and_time(time);
    Some(format!("{}+07:00", local.format("%Y-%m-%dT%H:%M:%S")))
}

/// A message for a person, rendered in the reader's language only when it is sent.
///
/// `Coded` names a catalogue message with its particulars (the English text lives in the `en`
/// catalogue, beside the Vietnamese): what services say about records and values. `Text` is a
/// fixed English rule (the validator attributes, the parsers' wording); a catalogue message
/// named by its shape translates it — the text with its numbers taken out (`at most 255
/// characters` is `field-at-most-N-characters`, with `n1` = 255) — and a text of no known
/// shape is sent as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Coded {
        key: Cow<'static, str>,
        args: Vec<(Cow<'static, str>, String)>,
    },
    Text(Cow<'static, str>),
}

/// A catalogue message with named particulars: `msg!("conflict-tax-code-registered", tax_code = t, subject = id)`.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::Msg::Coded {
            key: ::std::borrow::Cow::Borrowed($key),
            args: vec![$((::std::borrow::Cow::Borrowed(stringify!($name)), ($value).to_string())),*],
        }
    };
}

impl Msg {
    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Msg::Coded { key, args } => {
                // A particular that is a date is written as the reader writes dates.
                let args: Vec<(&str, String)> = args
                    .iter()
                    .map(|(k, v)| match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                        Ok(d) => (k.as_ref(), lang.date(d)),
                        Err(_) => (k.as_ref(), v.clone()),
                    })
                    .collect();
                lang.tf(key, &args)
            }
            Msg::Text(text) if lang == Lang::En => text.to_string(),
            Msg::Text(text) => translate_shape(lang, text),
        }
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl From<&'static str> for Msg {
    fn from(s: &'static str) -> Self {
        Msg::Text(Cow::Borrowed(s))
    }
}

impl Msg {
    /// A rule's error carrying this message, for the validator's custom rules: the English
    /// text as its message, the catalogue key and particulars as its parameters (read back by
    /// the error envelope in the reader's language).
    pub fn into_validation(self, code: &'static str) -> validator::ValidationError {
        let mut e =
            validator::ValidationError::new(code).with_message(Cow::Owned(self.to_string()));
        if let Msg::Coded { key, args } = self {
            e.add_param(Cow::Borrowed(MSG_KEY), &key.as_ref());
            for (k, v) in args {
                e.add_param(k, &v);
            }
        }
        e
    }

    /// The message a rule's error carries (see [`Msg::into_validation`]).
    pub fn from_validation(e: &validator::ValidationError) -> Msg {
        if let Some(key) = e.params.get(MSG_KEY).and_then(|k| k.as_str()) {
            let args = e
                .params
                .iter()
                .filter(|(k, _)| k.as_ref() != MSG_KEY && k.as_ref() != "value")
                .map(|(k, v)| {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), v)
                })
                .collect();
            return Msg::Coded {
                key: Cow::Owned(key.to_owned()),
                args,
            };
        }
        match &e.message {
            Some(m) => Msg::Text(m.clone()),
            None => crate::msg!("field-is-invalid", rule = e.code),
        }
    }
}

/// The parameter of a rule's error that names its catalogue message.
const MSG_KEY: &str = "msg_key";

impl From<String> for Msg {
    fn from(s: String) -> Self {
        Msg::Text(Cow::Owned(s))
    }
}

/// A fixed English rule in `lang`, when the catalogue knows its shape.
fn translate_shape(lang: Lang, message: &str) -> String {
    let (key, numbers) = shape(message);
    let names = [
        "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12",
    ];
    let args: Vec<(&str, String)> = names.iter().copied().zip(numbers).collect();
    lang.try_tf(&key, &args)
        .unwrap_or_else(|| message.to_owned())
}

/// The catalogue key naming a fixed English text (`field-` and its words, lower case, joined
/// by `-`, each run of digits an `N`) and the numbers taken out.
fn shape(message: &str) -> (String, Vec<String>) {
    let mut key = String::from("field-");
    let mut numbers: Vec<String> = Vec::new();
    let mut digits = String::new();
    for ch in message.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if !digits.is_empty() {
            numbers.push(std::mem::take(&mut digits));
            key.push('N');
        }
        if ch.is_ascii_alphanumeric() {
            key.push(ch.to_ascii_lowercase());
        } else if !key.ends_with('-') {
            key.push('-');
        }
    }
    (key.trim_end_matches('-').to_owned(), numbers)
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Lang {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Lang::of(req))
    }
}

/// Words that are English, or codes of the API, never seen in a Vietnamese sentence.
pub const NOT_VIETNAMESE: [&str; 45] = [
    "the",
    "must",
    "is",
    "are",
    "or",
    "and",
    "not",
    "required",
    "invalid",
    "should",
    "cannot",
    "only",
    "with",
    "from",
    "for",
    "of",
    "be",
    "on",
    "by",
    "at",
    "as",
    "it",
    "its",
    "this",
    "that",
    "which",
    "when",
    "unknown",
    "error",
    "verified",
    "rejected",
    "submitted",
    "declared",
    "suspended",
    "revoked",
    "expired",
    "cooperative",
    "enterprise",
    "marketplace",
    "province",
    "district",
    "commune",
    "owner",
    "auditor",
    "admin",
];

/// The English words and API codes (`snake_case`, or a word of [`NOT_VIETNAMESE`]) of a
/// text; an operator's setting (`OCOP_SECRET_KEY`) is a name, not a code, and a value quoted
/// as “…” is a literal the API takes (its accepted values, the value refused), not a word.
pub fn foreign_words(text: &str) -> Vec<String> {
    let mut words = String::new();
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '“' => quoted = true,
            '”' => quoted = false,
            c if !quoted => words.push(c),
            _ => {}
        }
    }
    words
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.is_ascii() && !w.is_empty())
        .filter(|w| {
            let inner_underscore = w.trim_matches('_').contains('_');
            let setting = w.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            (inner_underscore && !setting)
                || NOT_VIETNAMESE.contains(&w.to_ascii_lowercase().as_str())
                || ["true", "false", "null"].contains(w)
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Message → the names of its arguments (in order of first use, over its continuation
    /// lines too).
    fn messages(text: &str) -> BTreeMap<String, Vec<&'static str>> {
        let mut out: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let body = if line.starts_with(' ') {
                line
            } else if let Some((k, v)) = line.split_once(" = ") {
                current = Some(k.trim().to_owned());
                out.entry(k.trim().to_owned()).or_default();
                v
            } else {
                continue;
            };
            let Some(key) = &current else { continue };
            let args = out.entry(key.clone()).or_default();
            for a in body.split("{ $").skip(1) {
                let name = a.split([' ', '}']).next().unwrap_or_default();
                if !args.contains(&name) {
                    args.push(String::leak(name.to_owned()));
                }
            }
        }
        out
    }

    fn text(lang: Lang, key: &str, args: &[&'static str]) -> String {
        let args: Vec<(&'static str, String)> = args.iter().map(|a| (*a, "7".to_owned())).collect();
        lang.tf(key, &args)
    }

    #[test]
    fn both_catalogues_have_the_same_messages_and_every_one_resolves() {
        let vi = messages(include_str!("../locales/vi/main.ftl"));
        let en = messages(include_str!("../locales/en/main.ftl"));
        assert!(vi.len() > 50, "{}", vi.len());
        assert_eq!(vi.keys().collect::<Vec<_>>(), en.keys().collect::<Vec<_>>());
        for (k, args) in &vi {
            // The same arguments, in whatever order each language puts them.
            let sorted = |v: &Vec<&'static str>| {
                let mut v = v.clone();
                v.sort_unstable();
                v
            };
            assert_eq!(
                sorted(&en[k]),
                sorted(args),
                "{k} takes other arguments in English"
            );
            let (v, e) = (text(Lang::Vi, k, args), text(Lang::En, k, args));
            assert!(!v.contains("Unknown localization key"), "{k}: {v}");
            assert!(!e.contains("Unknown localization key"), "{k}: {e}");
            // Symbols and formats read the same in both languages, and so do proper names
            // (marketplaces, certification schemes such as VietGAP).
            let proper_name = k.starts_with("platform-") || k.starts_with("scheme-");
            if !proper_name
                && !["date-format-hint", "not-applicable", "subject-trail-entry"]
                    .contains(&k.as_str())
            {
                assert_ne!(v, e, "{k} is not translated");
            }
        }
    }

    /// A fixed English text finds its translation by its shape: each such message of the
    /// English catalogue, written out, must have its own key as its shape (a message whose key
    /// and text drift apart would never be found).
    #[test]
    fn every_shape_message_is_named_by_its_own_english_text() {
        let en = messages(include_str!("../locales/en/main.ftl"));
        let mut checked = 0;
        for (k, args) in &en {
            let numbered = args.iter().all(|a| {
                a.len() > 1 && a.starts_with('n') && a[1..].chars().all(|c| c.is_ascii_digit())
            });
            if !k.starts_with("field-") || !numbered {
                continue;
            }
            let values: Vec<(&str, String)> =
                args.iter().map(|a| (*a, format!("1{}", &a[1..]))).collect();
            let written = Lang::En.tf(k, &values);
            assert_eq!(&shape(&written).0, k, "{written}");
            checked += 1;
        }
        assert!(checked > 60, "{checked}");
    }

    #[test]
    fn numbers_and_dates_as_vietnamese_write_them() {
        assert_eq!(Lang::Vi.percent("30.83"), "30,83 %");
        assert_eq!(Lang::En.percent("30.83"), "30.83 %");
        assert_eq!(Lang::Vi.int(1234567), "1.234.567");
        assert_eq!(Lang::En.int(-1234), "-1,234");
        assert_eq!(Lang::Vi.decimal("1234.5"), "1.234,5");
        assert_eq!(Lang::Vi.decimal("-0.5"), "-0,5");
        let d = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
        assert_eq!(Lang::Vi.date(d), "30/06/2025");
        assert_eq!(parse_date("30/06/2025"), Some(d));
        assert_eq!(parse_date("2025-06-30"), Some(d));
        assert_eq!(parse_date("31/02/2025"), None);
        assert_eq!(
            parse_moment("01/07/2025 09:30").as_deref(),
            Some("2025-07-01T09:30:00+07:00")
        );
        assert_eq!(
            parse_moment("01/07/2025").as_deref(),
            Some("2025-07-01T23:59:59+07:00")
        );
        assert_eq!(parse_moment("01/07/2025 25:00"), None);
        assert_eq!(
            Lang::Vi.tf("gap-subjects", &[("count", "29".to_owned())]),
            "còn thiếu 29 chủ thể"
        );
    }

    /// Every Vietnamese message, its placeholders and variant names aside, is Vietnamese: no
    /// English word, no code of the API (`issued_on`, `verified`, `value_chain`).
    #[test]
    fn vietnamese_messages_speak_no_english_and_name_no_code() {
        let vi = messages(include_str!("../locales/vi/main.ftl"));
        let mut checked = 0;
        for (k, args) in &vi {
            if k.starts_with("platform-") || k.starts_with("scheme-") {
                continue;
            }
            // Each variant of a selector, as a reader can meet it.
            let mut texts = vec![text(Lang::Vi, k, args)];
            for a in args {
                for v in ["enterprise", "cooperative", "lapsed", "stable_own", "x"] {
                    let values: Vec<(&str, String)> = args
                        .iter()
                        .map(|b| (*b, if b == a { v.to_owned() } else { "7".to_owned() }))
                        .collect();
                    let t = Lang::Vi.tf(k, &values);
                    texts.push(t.replace(v, "7"));
                }
            }
            for t in texts {
                let foreign = foreign_words(&t);
                assert!(foreign.is_empty(), "{k}: {foreign:?} in “{t}”");
            }
            checked += 1;
        }
        assert!(checked > 500, "{checked}");
        assert_eq!(
            foreign_words("phải là verified hoặc value_chain"),
            ["verified", "value_chain"]
        );
        assert!(foreign_words("chưa đặt OCOP_SECRET_KEY").is_empty());
    }

    /// The fixed English texts the code refuses with (`AppError::invalid(field, "…")`, a
    /// validator's `message = "…"`, `v::err(…, "…")`) each have their Vietnamese in the
    /// catalogue: a refusal never falls back to English for a Vietnamese reader.
    #[test]
    fn every_fixed_refusal_in_the_code_has_its_vietnamese() {
        fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    sources(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    // What the service says, not what its tests say.
                    let text = std::fs::read_to_string(&p).unwrap();
                    let service = text.split("#[cfg(test)]").next().unwrap_or_default();
                    out.push(service.to_owned());
                }
            }
        }
        /// The string literals of `text` up to the `)` closing the call it starts in.
        fn literals_of_call(text: &str) -> Vec<String> {
            let (mut depth, mut out, mut cur, mut in_str, mut esc) =
                (1, Vec::new(), None, false, false);
            for ch in text.chars() {
                if in_str {
                    match (esc, ch) {
                        (true, _) => {
                            esc = false;
                            if let Some(c) = cur.as_mut() {
                                String::push(c, ch);
                            }
                        }
                        (false, '\\') => esc = true,
                        (false, '"') => {
                            in_str = false;
                            out.extend(cur.take());
                        }
                        (false, _) => {
                            if let Some(c) = cur.as_mut() {
                                String::push(c, ch);
                            }
                        }
                    }
                    continue;
                }
                match ch {
                    '"' => {
                        in_str = true;
                        cur = Some(String::new());
                    }
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            out
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut checked = 0;
        let mut missing = Vec::new();
        for file in files {
            // A literal continued over lines (`"…\` then the next line) read as one.
            let joined: String = {
                let mut s = String::new();
                let mut lines = file.lines();
                while let Some(l) = lines.next() {
                    if let Some(head) = l.strip_suffix('\\') {
                        s.push_str(head);
                        for next in lines.by_ref() {
                            let t = next.trim_start();
                            match t.strip_suffix('\\') {
                                Some(more) => s.push_str(more),
                                None => {
                                    s.push_str(t);
                                    break;
                                }
                            }
                        }
                    } else {
                        s.push_str(l);
                    }
                    s.push('\n');
                }
                s
            };
            for needle in ["invalid(", "err(", "bad_request(", "message = \""] {
                for (at, _) in joined.match_indices(needle) {
                    let rest = &joined[at + needle.len()..];
                    let literal = if needle.starts_with("message") {
                        rest.split('"').next().map(str::to_owned)
                    } else {
                        let all = literals_of_call(rest);
                        // The message is the call's last argument: a field name alone is not one.
                        (all.len() >= 2 || needle == "bad_request(")
                            .then(|| all.last().cloned())
                            .flatten()
                    };
                    let Some(m) = literal.filter(|m| {
                        m.contains(' ')
                            && m.chars().any(char::is_alphabetic)
                            && !m.starts_with("field-")
                            && !m.contains('{')
                    }) else {
                        continue;
                    };
                    let (key, numbers) = shape(&m);
                    let names = [
                        "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11",
                    ];
                    let args: Vec<(&str, String)> = names.iter().copied().zip(numbers).collect();
                    if Lang::Vi.try_tf(&key, &args).is_none() {
                        missing.push(format!("{key} = {m}"));
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "{checked}");
        assert!(
            missing.is_empty(),
            "no Vietnamese for:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn accept_language_weights_decide() {
        assert_eq!(
            from_accept_language("en-US,en;q=0.9,vi;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            from_accept_language("fr, vi;q=0.5, en;q=0.4"),
            Some(Lang::Vi)
        );
        assert_eq!(from_accept_language("fr, de"), None);
    }
}

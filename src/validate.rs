//! Input rules of `docs/domain.md` §6, as `validator` functions used by the request DTOs, and the
//! normalisations that follow them (services store the normalised form).

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use validator::ValidationError;

use crate::clock;
use crate::domain::Role;

/// The earliest date the registry accepts anywhere.
pub const MIN_DATE: NaiveDate = clock::date(1900, 1, 1);
/// The latest date the registry accepts anywhere.
pub const MAX_DATE: NaiveDate = clock::date(2100, 12, 31);

/// A date as the API writes it: `YYYY-MM-DD`, zero-padded, between 1900-01-01 and 2100-12-31.
/// chrono alone also takes `2024-2-3` and `+262142-12-31`, which SQLite and PostgreSQL then
/// store and compare differently.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    const SHAPE: &str = "must be a date written YYYY-MM-DD between 1900-01-01 and 2100-12-31";
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(SHAPE.to_owned());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| SHAPE.to_owned())?;
    if !(MIN_DATE..=MAX_DATE).contains(&d) {
        return Err(SHAPE.to_owned());
    }
    Ok(d)
}

/// An instant as RFC 3339 writes it (`2025-07-01T09:30:00+07:00`, `…Z`), its date within the
/// registry's range, kept at microsecond precision like every recorded time.
pub fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::SubsecRound;
    const SHAPE: &str =
        "must be a time written as RFC 3339 (2025-07-01T09:30:00+07:00) between 1900 and 2100";
    let t = chrono::DateTime::parse_from_rfc3339(s.trim()).map_err(|_| SHAPE.to_owned())?;
    let t = t.with_timezone(&chrono::Utc).trunc_subsecs(6);
    if !(MIN_DATE..=MAX_DATE).contains(&t.date_naive()) {
        return Err(SHAPE.to_owned());
    }
    Ok(t)
}

/// serde: a required date, strictly ([`parse_date`]).
pub fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    parse_date(&s).map_err(serde::de::Error::custom)
}

/// serde: an optional date (`null` or absent: none).
pub fn opt_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let s = <Option<String> as serde::Deserialize>::deserialize(d)?;
    s.map(|s| parse_date(&s).map_err(serde::de::Error::custom))
        .transpose()
}

/// serde: a date a PATCH may set but not clear: absent is `None`, `null` is refused like any
/// value that is not a date.
pub fn present_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    date(d).map(Some)
}

/// serde: a date a PATCH may clear (`null`) or set; absent is `None`.
pub fn nullable_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<NaiveDate>>, D::Error> {
    opt_date(d).map(Some)
}

/// Whether text holds a control character (U+0000–U+001F, U+007F–U+009F) or a bidirectional
/// override, which no Vietnamese text needs and which turns a phone number back to front on a
/// reviewer's screen (U+202A–U+202E, U+2066–U+2069); `free_text` allows line breaks and tabs.
pub fn has_control(s: &str, free_text: bool) -> bool {
    let bidi = |c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    s.chars()
        .any(|c| bidi(c) || c.is_control() && !(free_text && matches!(c, '\n' | '\r' | '\t')))
}

/// The first day of the OCOP programme: no recognition can be older.
pub const PROGRAMME_START: NaiveDate = clock::date(2018, 1, 1);

/// An error with a message; `code` names the field for struct-level rules.
pub fn err(code: &'static str, message: impl Into<Cow<'static, str>>) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

/// Names: trimmed, non-empty, at most 255 characters, any Unicode.
pub fn name(s: &str) -> Result<(), ValidationError> {
    if has_control(s, false) {
        return Err(err(
            "name",
            "must not contain control characters or line breaks",
        ));
    }
    let t = s.trim();
    if t.is_empty() {
        return Err(err("name", "must not be empty"));
    }
    if t.chars().count() > 255 {
        return Err(err("name", "must be at most 255 characters"));
    }
    Ok(())
}

/// Search words (`q`): at most 255 characters, no control character (a NUL byte is not text
/// PostgreSQL stores or compares).
pub fn query_text(s: &str) -> Result<(), ValidationError> {
    if has_control(s, false) {
        return Err(err(
            "q",
            "must not contain control characters or line breaks",
        ));
    }
    if s.trim().chars().count() > 255 {
        return Err(err("q", "must be at most 255 characters"));
    }
    Ok(())
}

/// Short identifiers typed by people (decision and certificate numbers): 1–64 characters.
pub fn short_code(s: &str) -> Result<(), ValidationError> {
    if has_control(s, false) {
        return Err(err(
            "short_code",
            "must not contain control characters or line breaks",
        ));
    }
    let t = s.trim();
    if t.is_empty() {
        return Err(err("short_code", "must not be empty"));
    }
    if t.chars().count() > 64 {
        return Err(err("short_code", "must be at most 64 characters"));
    }
    Ok(())
}

/// Free text (addresses, descriptions, reasons): at most 5,000 characters.
pub fn long_text(s: &str) -> Result<(), ValidationError> {
    if s.chars().count() > 5000 {
        return Err(err("long_text", "must be at most 5000 characters"));
    }
    Ok(())
}

/// A non-empty free text (reasons): 1–5,000 characters.
pub fn reason(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        return Err(err("reason", "must not be empty"));
    }
    long_text(s)
}

/// Dates that cannot lie in the future (founding, issue, decision, effect dates).
pub fn not_future(d: &NaiveDate) -> Result<(), ValidationError> {
    if *d > clock::today() {
        return Err(err("not_future", "must not be in the future"));
    }
    Ok(())
}

/// A recognition decision date: from 2018 (when OCOP began) to today.
pub fn decision_date(d: &NaiveDate) -> Result<(), ValidationError> {
    if *d < PROGRAMME_START {
        return Err(err(
            "decision_date",
            "must not be before 2018-01-01 (the OCOP programme began in 2018)",
        ));
    }
    not_future(d)
}

fn digits_of(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '0'..='9' => out.push(ch),
            ' ' | '.' | '-' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Values parsed once at the edge: a request body holding one of these types is refused (422
/// naming the field) unless the text parses, and services receive the parsed value.
macro_rules! parsed_from_text {
    ($ty:ty, $parse:expr) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                $parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

mod tax_id;
pub use tax_id::{TaxId, parse_tax_id};

parsed_from_text!(Phone, |s: &str| parse_phone(s).map(Phone));
parsed_from_text!(Hectares, |s: &str| parse_hectares(s).map(Hectares));
parsed_from_text!(Score, |s: &str| parse_decimal(
    s,
    2,
    false,
    Decimal::ZERO,
    Decimal::ONE_HUNDRED
)
.map(Score));

/// A Vietnamese phone number in its national form (`0905123456`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(pub String);

/// An area in hectares: positive, at most 4 decimals, at most 100,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hectares(pub Decimal);

impl Hectares {
    /// Whole square metres (hectares × 10,000), as stored.
    pub fn square_metres(self) -> i64 {
        rust_decimal::prelude::ToPrimitive::to_i64(&(self.0 * Decimal::from(10_000)))
            .unwrap_or(MAX_HECTARES * 10_000)
    }
}

/// A score 0–100 with at most 2 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score(pub Decimal);

impl Score {
    /// Hundredths, as stored.
    pub fn centi(self) -> i32 {
        rust_decimal::prelude::ToPrimitive::to_i32(&(self.0 * Decimal::ONE_HUNDRED)).unwrap_or(0)
    }
}

/// Normalises a Vietnamese phone number to its national form (`0905123456`, `02353851234`).
pub fn parse_phone(s: &str) -> Result<String, &'static str> {
    const SHAPE: &str = "must be a Vietnamese phone number: a mobile 0 + 9 digits \
                         (0905 123 456) or a landline 02 + 9 digits (0235 3851 234), or +84 instead of 0";
    let t = s.trim();
    let (plus, rest) = match t.strip_prefix("+84") {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let digits = digits_of(rest).ok_or(SHAPE)?;
    let national = if plus { format!("0{digits}") } else { digits };
    let b = national.as_bytes();
    let ok = match b.len() {
        10 => b[0] == b'0' && matches!(b[1], b'3' | b'5' | b'7' | b'8' | b'9'),
        11 => b[0] == b'0' && b[1] == b'2',
        _ => false,
    };
    if ok { Ok(national) } else { Err(SHAPE) }
}

/// Parses an exact decimal sent as a JSON string, with at most `scale` decimals, within
/// `min..=max` (`min` exclusive when `positive`).
pub fn parse_decimal(
    s: &str,
    scale: u32,
    positive: bool,
    min: Decimal,
    max: Decimal,
) -> Result<Decimal, String> {
    let t = s;
    if t.trim() != t || t.starts_with(['+', '-']) {
        return Err("must be written without a sign or spaces, such as \"12.5\"".to_owned());
    }
    let d: Decimal = t.parse().map_err(|_| {
        format!(
            "must be a decimal number written as a string, such as \"{}\"",
            example(scale)
        )
    })?;
    if t.contains(['e', 'E']) {
        return Err("must be written without an exponent".to_owned());
    }
    if d.normalize().scale() > scale {
        return Err(format!("must have at most {scale} decimal places"));
    }
    if positive && d <= Decimal::ZERO {
        return Err("must be greater than 0".to_owned());
    }
    if d < min || d > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(d.normalize())
}

fn example(scale: u32) -> &'static str {
    match scale {
        0 => "125000",
        2 => "87.50",
        _ => "12.3456",
    }
}

/// Most hectares one area may declare.
pub const MAX_HECTARES: i64 = 100_000;

/// Hectares: an exact decimal string, positive, at most 4 decimals, at most 100,000.
pub fn parse_hectares(s: &str) -> Result<Decimal, String> {
    parse_decimal(s, 4, true, Decimal::ZERO, Decimal::from(MAX_HECTARES))
}

/// Prices in đồng: a whole, non-negative number written as a string, below 10¹⁵.
pub fn parse_vnd(s: &str) -> Result<Decimal, String> {
    parse_decimal(
        s,
        0,
        false,
        Decimal::ZERO,
        Decimal::from(999_999_999_999_999_i64),
    )
}

/// Growing-area codes (mã số vùng trồng) are opaque: 1–64 characters of letters, digits and
/// `-_./`, never parsed for geography.
pub fn growing_area_code(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if t.is_empty()
        || t.len() > 64
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return Err(err(
            "growing_area_code",
            "must be 1-64 letters, digits or -_./ (such as VN-49-506-20512-001-23)",
        ));
    }
    Ok(())
}

/// A GeoJSON geometry (see [`crate::geometry`]).
pub fn geometry(v: &serde_json::Value) -> Result<(), ValidationError> {
    crate::geometry::check(v)
        .map(|_| ())
        .map_err(|m| m.into_validation("geometry"))
}

/// Lowercase hex SHA-256 (64 characters; uppercase accepted and normalised).
pub fn sha256(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if t.len() != 64 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(err(
            "evidence_sha256",
            "must be a SHA-256 digest: 64 hexadecimal characters",
        ));
    }
    Ok(())
}

/// An http(s) URL of at most 2,000 characters.
pub fn http_url(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    let ok = t.len() <= 2000
        && (t.starts_with("https://") || t.starts_with("http://"))
        && validator::ValidateUrl::validate_url(&t);
    if !ok {
        return Err(err("url", "must be an http(s) URL"));
    }
    Ok(())
}

/// Platform codes: lowercase letters, digits and `_`, 1–32 characters.
pub fn platform(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if t.is_empty()
        || t.len() > 32
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(err(
            "platform",
            "must be a platform code of lowercase letters, digits and _ (shopee, lazada, feed)",
        ));
    }
    Ok(())
}

/// The scope a role needs, for tokens and users alike: an auditor's unit, an owner's subject.
pub fn scope(
    role: Role,
    unit_id: Option<uuid::Uuid>,
    subject_id: Option<uuid::Uuid>,
) -> Result<(), ValidationError> {
    match role {
        Role::Auditor if unit_id.is_none() => Err(err(
            "unit_id",
            "is required for an auditor (the unit whose subtree it reaches)",
        )),
        Role::Owner if subject_id.is_none() => Err(err(
            "subject_id",
            "is required for an owner (the subject it acts for)",
        )),
        _ => Ok(()),
    }
}

/// A user name: 3–64 characters, lower-case letters, digits, `.`, `_`, `-`, starting with a
/// letter or digit.
pub fn username(s: &str) -> Result<(), ValidationError> {
    let ok = (3..=64).contains(&s.len())
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(err(
            "username",
            "must be 3 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_turned_back_to_front_is_refused_like_a_control_character() {
        assert!(!has_control("0905 123 456, Tam Kỳ", false));
        assert!(has_control("0905\u{202E}654 321", false));
        assert!(has_control("Trà sâm\u{2067}", true));
        assert!(!has_control("dòng 1\ndòng 2", true));
        assert!(has_control("dòng 1\ndòng 2", false));
    }

    #[test]
    fn tax_codes_follow_the_check_digit_rule() {
        assert_eq!(
            parse_tax_id("0100233488"),
            Ok(TaxId::TaxCode("0100233488".into()))
        );
        assert_eq!(
            parse_tax_id("0314 409.058-002"),
            Ok(TaxId::TaxCode("0314409058-002".into()))
        );
        assert!(parse_tax_id("0100233480").is_err());
        assert!(parse_tax_id("0314409058-000").is_err());
        assert!(parse_tax_id("0100000000").is_err());
        assert_eq!(
            parse_tax_id("049 085 012 345"),
            Ok(TaxId::PersonalId("049085012345".into()))
        );
        assert!(parse_tax_id("12345").is_err());
        assert!(parse_tax_id("01002334x8").is_err());
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(parse_phone("0905 123 456"), Ok("0905123456".into()));
        assert_eq!(parse_phone("0235 3851 234"), Ok("02353851234".into()));
        assert_eq!(parse_phone("+84 905.123.456"), Ok("0905123456".into()));
        assert_eq!(parse_phone("+84 235 3851 234"), Ok("02353851234".into()));
        assert!(parse_phone("0105 123 456").is_err());
        assert!(parse_phone("123").is_err());
    }

    #[test]
    fn decimals_are_exact() {
        let d = |s| parse_decimal(s, 4, true, Decimal::ZERO, Decimal::from(100_000));
        assert_eq!(d("12.3456").unwrap().to_string(), "12.3456");
        assert_eq!(d("0.0001").unwrap().to_string(), "0.0001");
        assert!(d("0.00001").is_err());
        assert!(d("0").is_err());
        assert!(d("100000.0001").is_err());
        assert!(d("1e3").is_err());
        assert_eq!(d("5.5000").unwrap().to_string(), "5.5");
    }
}

//! Request and response plumbing shared by every feature: the validated JSON body, the parsed
//! query string, `If-Match`, and the responder that adds `ETag`.
//!
//! Guards fail through [`crate::error::stash`], so the JSON catcher can send the exact field
//! that was wrong.

mod site;
pub mod upload;

pub use site::FromThisSite;

use rocket::data::{ByteUnit, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::http::{Header, Status};
use rocket::outcome::Outcome;
use rocket::request::{FromRequest, Outcome as RequestOutcome};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use rocket::{Data, Request};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::error::{AppError, stash};
use crate::i18n::Msg;
use crate::msg;
use crate::version::ExpectedVersion;

/// Default JSON body limit (Rocket's `json` limit overrides it).
const DEFAULT_JSON_LIMIT: u64 = 1024 * 1024;

/// A JSON request body, parsed and validated: malformed JSON is 400, a wrong type or a missing
/// field is 422 naming the field, a failed rule is 422 with every failing field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// serde: distinguishes an absent field (`None`: leave unchanged) from `null` (`Some(None)`:
/// clear it) in PATCH bodies.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// serde: a field that may be left out but not sent as `null` (a PATCH cannot clear it).
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The first string in a JSON value holding a control character, with its path: text is
/// checked once here for every endpoint (line breaks and tabs are the free-text validators'
/// to allow or refuse).
fn control_in(v: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if crate::validate::has_control(s, true) => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| control_in(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            control_in(x, &p)
        }),
        _ => None,
    }
}

/// `5163.0` is the integer 5163 in JSON (and in JSON Schema); serde would refuse it for an
/// integer field, so whole numbers written with a fraction are read as integers.
fn whole_floats_as_integers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(whole_floats_as_integers).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, x)| (k, whole_floats_as_integers(x)))
                .collect(),
        ),
        other => other,
    }
}

/// Parses JSON bytes into `T`, classifying errors the way the API contract wants: one JSON
/// value and nothing after it (400), no unknown field, no `null` where none is allowed, no
/// wrong type, no control character (422 naming the field).
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let raw = serde_json::Value::deserialize(&mut *de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            AppError::bad_request(
                Some("body"),
                msg!("bad-json", detail = strip_position(&e.to_string())),
            )
        })?;
    // Every body of this API is an object; serde would also read a struct from an array.
    if !raw.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    let raw = whole_floats_as_integers(raw);
    if let Some(field) = control_in(&raw, "") {
        return Err(AppError::invalid(
            if field.is_empty() { "body" } else { &field },
            "must not contain control characters",
        ));
    }
    let value: T = serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                let msg = strip_position(&msg);
                // serde reports a missing or unknown field at its parent's path; name the
                // field itself.
                if let Some(field) = unknown_field(msg) {
                    // The path already ends with the unknown field's name.
                    let full = if path == "." { field } else { path.as_str() };
                    AppError::invalid(full, "unknown field")
                } else if let Some(field) = missing_field(msg) {
                    let full = if path == "." {
                        field.to_owned()
                    } else {
                        format!("{path}.{field}")
                    };
                    AppError::invalid(&full, "is required")
                } else {
                    let field = if path == "." { "body" } else { path.as_str() };
                    AppError::invalid(field, friendly(msg))
                }
            }
            _ => AppError::bad_request(
                Some("body"),
                msg!("bad-json", detail = strip_position(&inner.to_string())),
            ),
        }
    })?;
    value.validate()?;
    Ok(value)
}

/// The parsers' wording as a message a user can act on, in their language: dates and ids
/// say how to write them; serde's common complaints become catalogue messages quoting the
/// value and what was expected.
fn friendly(msg: &str) -> Msg {
    const CHRONO: &[&str] = &[
        "input is out of range",
        "no possible date and time matching input",
        "input is not enough for unique date and time",
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
    ];
    let ticks =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    if CHRONO.iter().any(|c| msg.contains(c)) {
        "must be a valid date written YYYY-MM-DD".into()
    } else if msg.contains("expected an optional prefix of `urn:uuid:`")
        || msg.starts_with("invalid length: expected length 32")
        || msg.starts_with("invalid group")
        || msg.starts_with("UUID parsing failed")
    {
        "must be an id (UUID)".into()
    } else if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        let value = value.trim_matches('`');
        msg!(
            "field-unknown-variant",
            value = value,
            // The values the API takes, each quoted: literal values to send, not words.
            expected = ticks(expected)
                .iter()
                .map(|v| format!("“{v}”"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else if let Some((kind, rest)) = ["invalid type: ", "invalid value: ", "invalid length "]
        .iter()
        .find_map(|p| msg.strip_prefix(p).map(|rest| (*p, rest)))
    {
        let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, "?"));
        match kind {
            "invalid type: " => msg!(
                "field-invalid-type",
                found = json_kind(found),
                expected = json_kind(expected)
            ),
            "invalid value: " => msg!("field-invalid-value", found = found, expected = expected),
            _ => msg!("field-invalid-length", found = found, expected = expected),
        }
    } else {
        msg.to_owned().into()
    }
}

/// A JSON kind as serde names it (`null`, `string "x"`, `a formatted UUID string`, `i16`),
/// as one word the catalogue says in the reader's language; anything else as it came.
fn json_kind(serde: &str) -> &str {
    let s = serde.trim();
    let word = s.trim_start_matches("a ").trim_start_matches("an ");
    if s.contains("UUID") {
        "uuid"
    } else if s == "null" || s == "unit value" || s.starts_with("Option") {
        "null"
    } else if word.starts_with("string") || word.starts_with("str") {
        "string"
    } else if word.starts_with("boolean") || word.starts_with("bool") {
        "boolean"
    } else if word.starts_with("sequence") {
        "array"
    } else if word.starts_with("map") || word.starts_with("struct") {
        "object"
    } else if word.contains("date") {
        "date"
    } else if matches!(
        word,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "integer"
    ) {
        "integer"
    } else if word.starts_with("integer")
        || word.starts_with("floating point")
        || word.contains("decimal")
        || word.starts_with("f64")
    {
        "number"
    } else {
        s
    }
}

fn strip_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

fn unknown_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
}

fn missing_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Validate + Send> FromData<'r> for JsonBody<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        match req.content_type() {
            Some(ct) if ct.is_json() => {}
            _ => {
                let err =
                    AppError::UnsupportedMediaType("the body must be application/json".into());
                return Outcome::Error((stash(req, err), ()));
            }
        }
        let limit: ByteUnit = req
            .limits()
            .get("json")
            .unwrap_or_else(|| DEFAULT_JSON_LIMIT.bytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(b) if b.is_complete() => b.into_inner(),
            Ok(_) => {
                let err = AppError::PayloadTooLarge {
                    limit: limit.as_u64(),
                };
                return Outcome::Error((stash(req, err), ()));
            }
            Err(e) => {
                let err = AppError::bad_request(None, msg!("bad-body-unreadable", detail = e));
                return Outcome::Error((stash(req, err), ()));
            }
        };
        match parse_json::<T>(&bytes) {
            Ok(v) => Outcome::Success(JsonBody(v)),
            Err(e) => Outcome::Error((stash(req, e), ())),
        }
    }
}

/// The query string parsed into `T` (empty values count as absent); errors are 400 naming the
/// parameter.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T> QueryParams<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Parses a raw query string into `T` and validates it.
pub fn parse_query<T: DeserializeOwned + Validate>(raw: &str) -> Result<T, AppError> {
    // Control characters (`%00`) in a parameter are refused here, for every endpoint.
    if let Some((k, _)) = form_urlencoded::parse(raw.as_bytes()).find(|(k, v)| {
        crate::validate::has_control(v, false) || crate::validate::has_control(k, false)
    }) {
        return Err(AppError::bad_request(
            Some(&k),
            "must not contain control characters",
        ));
    }
    // An empty value is a value: `?unit_id=` is not an id (400), `?q=` searches for nothing.
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        if let Some(field) = missing_field(&msg) {
            AppError::bad_request(Some(field), "is required")
        } else {
            let field = if path == "." { "query" } else { path.as_str() };
            AppError::bad_request(Some(field), friendly(&msg))
        }
    })?;
    // A parameter that breaks its own rule is a malformed query (400); well-formed parameters
    // that do not go together break a rule across fields (422, as for bodies).
    value.validate().map_err(|e| {
        let across = e.errors().contains_key("__all__");
        match AppError::from(e) {
            AppError::Invalid { fields } if !across => AppError::BadRequest {
                message: crate::msg!("error-query-invalid"),
                fields: Some(fields),
            },
            other => other,
        }
    })?;
    Ok(value)
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Validate + Send> FromRequest<'r> for QueryParams<T> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        let raw = req.uri().query().map(|q| q.as_str()).unwrap_or("");
        match parse_query::<T>(raw) {
            Ok(v) => Outcome::Success(QueryParams(v)),
            Err(e) => Outcome::Error((stash(req, e), ())),
        }
    }
}

/// The `If-Match` header, as the version it names (`None` when absent or `*`).
#[rocket::async_trait]
impl<'r> FromRequest<'r> for ExpectedVersion {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, ()> {
        let Some(raw) = req.headers().get_one("If-Match") else {
            return Outcome::Success(ExpectedVersion(None));
        };
        let tag = raw.trim();
        if tag == "*" {
            return Outcome::Success(ExpectedVersion(None));
        }
        // As the document states it: `"3"` (or `W/"3"`) or a bare `3`, never a half-quoted one.
        let bare = match tag.strip_prefix("W/") {
            Some(t) => t.strip_prefix('"').and_then(|t| t.strip_suffix('"')),
            None => match tag.strip_prefix('"') {
                Some(t) => t.strip_suffix('"'),
                None => Some(tag),
            },
        };
        let digits =
            bare.filter(|b| (1..=9).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_digit()));
        match digits.map(str::parse::<i32>) {
            Some(Ok(v)) => Outcome::Success(ExpectedVersion(Some(v))),
            _ => {
                let err = AppError::bad_request(
                    Some("If-Match"),
                    "must be an ETag this API sent, such as \"3\"",
                );
                Outcome::Error((stash(req, err), ()))
            }
        }
    }
}

/// A JSON response with its status and, for versioned resources, an `ETag`.
#[derive(Debug)]
pub struct Resource<T> {
    status: Status,
    body: T,
    version: Option<i32>,
}

impl<T> Resource<T> {
    /// 200 with an ETag.
    pub fn ok(body: T, version: i32) -> Self {
        Resource {
            status: Status::Ok,
            body,
            version: Some(version),
        }
    }

    /// 201 with an ETag.
    pub fn created(body: T, version: i32) -> Self {
        Resource {
            status: Status::Created,
            body,
            version: Some(version),
        }
    }

    /// Any status, no ETag.
    pub fn with_status(status: Status, body: T) -> Self {
        Resource {
            status,
            body,
            version: None,
        }
    }
}

impl<'r, T: Serialize> Responder<'r, 'static> for Resource<T> {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Json(self.body).respond_to(req)?;
        res.set_status(self.status);
        if let Some(v) = self.version {
            res.set_header(Header::new("ETag", format!("\"{v}\"")));
        }
        Ok(res)
    }
}

/// The registry's public address: the configured `public_base_url`, else the address the
/// process listens on ([`listening_base`]). Never the request's `Host` or `X-Forwarded-*`: a
/// client must not decide where a QR code, a self-link or a marketplace redirect points.
pub fn public_base(req: &Request<'_>) -> String {
    req.rocket()
        .state::<crate::config::AppConfig>()
        .and_then(|c| c.public.base_url.clone())
        .unwrap_or_else(|| listening_base(req.rocket().config()))
        .trim_end_matches('/')
        .to_owned()
}

/// `http://address:port` the process listens on; a wildcard address (all interfaces) is read
/// as the machine's loopback address of the same family.
pub fn listening_base(config: &rocket::Config) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let ip = match config.address {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    match ip {
        IpAddr::V4(a) => format!("http://{a}:{}", config.port),
        IpAddr::V6(a) => format!("http://[{a}]:{}", config.port),
    }
}

/// [`public_base`] as a request guard.
pub struct BaseUrl(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BaseUrl {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> RequestOutcome<Self, Self::Error> {
        Outcome::Success(BaseUrl(public_base(req)))
    }
}

//! The schemas of the text fields the validators of [`crate::validate`] check, stated once each:
//! a field names its kind with `#[schema(schema_with = crate::schema::name)]` (or
//! `name_or_null` where `null` is accepted).

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// One line: no control character, no line break, something besides spaces.
const ONE_LINE: &str =
    "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$";
/// Free text: line breaks and tabs, no other control character.
const FREE: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
/// Free text with something besides spaces.
const FREE_NOT_BLANK: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";
const HTTP_URL: &str = "^https?://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~-]*)*$";
/// Positive, at most 4 decimals, at most 100,000 (the server also takes 100000.0000).
const HECTARES: &str = "^([1-9][0-9]{0,4}(\\.[0-9]{1,4})?|0\\.(0{0,3}[1-9]|0{0,2}[1-9][0-9]|0?[1-9][0-9]{2}|[1-9][0-9]{3}))$";
const PERCENT: &str = "^(100(\\.0{1,2})?|[0-9]{1,2}(\\.[0-9]{1,2})?)$";
const GROWING_AREA_CODE: &str = "^[A-Za-z0-9_./-]{1,64}$";
const PLATFORM_CODE: &str = "^[a-z0-9_]{1,32}$";
/// The normalised forms (the server also takes spaces, dots and dashes typed by people).
const TAX_CODE: &str = "^([0-9]{10}(-[0-9]{3})?|[0-9]{12})$";
const PHONE: &str = "^(0[35789][0-9]{8}|02[0-9]{9})$";

fn text(min: Option<usize>, max: Option<usize>, pattern: &str, nullable: bool) -> Object {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .min_length(min)
        .max_length(max)
        .pattern(Some(pattern))
        .build()
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident, $or_null:ident: $min:expr, $max:expr, $pattern:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Object {
            text($min, $max, $pattern, false)
        }
        $(#[$doc])*
        /// `null` accepted (left out, or cleared).
        pub fn $or_null() -> Object {
            text($min, $max, $pattern, true)
        }
    )*};
}

kinds! {
    /// A name: 1–255 characters on one line.
    name, name_or_null: Some(1), Some(255), ONE_LINE;
    /// A number or code people type (decision, certificate): 1–64 characters.
    code, code_or_null: Some(1), Some(64), ONE_LINE;
    /// An identifier on another system (shop id, partner id): 1–128 characters.
    identifier, identifier_or_null: Some(1), Some(128), ONE_LINE;
    /// A credential: 1–4,096 characters.
    secret, secret_or_null: Some(1), Some(4096), ONE_LINE;
    /// Free text: at most 5,000 characters.
    free_text, free_text_or_null: None, Some(5000), FREE;
    /// A reason: 1–5,000 characters, not blank.
    reason, reason_or_null: Some(1), Some(5000), FREE_NOT_BLANK;
    /// An http(s) URL.
    http_url, http_url_or_null: None, Some(2000), HTTP_URL;
    /// Hectares as an exact decimal string.
    hectares, hectares_or_null: None, None, HECTARES;
    /// A percentage or score 0–100 with at most 2 decimals, as a string.
    percent, percent_or_null: None, None, PERCENT;
    /// A growing-area code (mã số vùng trồng), stored as given.
    growing_area_code, growing_area_code_or_null: None, None, GROWING_AREA_CODE;
    /// A platform code (`shopee`, `feed`).
    platform_code, platform_code_or_null: None, None, PLATFORM_CODE;
    /// A tax code or personal identification number.
    tax_code, tax_code_or_null: None, None, TAX_CODE;
    /// A Vietnamese phone number.
    phone, phone_or_null: None, None, PHONE;
}

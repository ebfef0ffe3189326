//! The registry's enumerations, shared by the API (as lowercase codes), the database (stored as
//! the same codes) and the services.

use crate::error::AppError;

/// Parses a code read back from the database; a failure means the row was written by something
/// other than this program.
pub fn from_db<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, AppError> {
    value
        .parse()
        .map_err(|_| AppError::Internal(format!("unexpected {column} {value:?} in the database")))
}

/// The one way the registry writes an enumeration of codes (see [`entity::code_enum`]).
pub(crate) use entity::code_enum;
pub use entity::enums::*;

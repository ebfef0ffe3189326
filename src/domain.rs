//! The registry's enumerations, shared by the API (as lowercase codes), the database (stored as
//! the same codes) and the services.

/// The one way the registry writes an enumeration of codes (see [`entity::code_enum`]).
pub(crate) use entity::code_enum;
pub use entity::enums::*;

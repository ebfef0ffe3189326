//! Entity types under short names.

pub use super::api_token::Entity as ApiToken;
pub use super::audit_log::Entity as AuditLog;
pub use super::product::Entity as Product;
pub use super::recognition::Entity as Recognition;
pub use super::subject::Entity as Subject;
pub use super::unit::Entity as Unit;
pub use super::unit_link::Entity as UnitLink;

//! Who is asking: a bearer token (issued by [`crate::tokens`]) or a session resolved to an actor, roles, and the scope each
//! role reaches (admin: everything; auditor: a unit subtree; owner: its subject; channel: the
//! sync endpoints of its platform).

pub mod access;
pub mod actor;
pub mod scope;
pub mod service;

pub use access::{Owned, owned, reach, visible};
pub use actor::{Actor, Caller};
pub use scope::Scope;

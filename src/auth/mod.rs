//! Who is asking: bearer tokens (random, shown once, stored hashed), roles, and the scope each
//! role reaches (admin: everything; auditor: a unit subtree; owner: its subject; channel: the
//! sync endpoints of its platform).

pub mod access;
pub mod actor;
pub mod dto;
pub mod routes;
pub mod scope;
pub mod service;

pub use access::{Owned, owned, reach, visible};
pub use actor::{Actor, Caller};
pub use scope::Scope;

/// Routes of this feature (token administration).
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_tokens,
        routes::create_token,
        routes::revoke_token
    ]
}

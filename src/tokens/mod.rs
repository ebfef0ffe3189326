//! Token administration: administrators issue bearer tokens (shown once, stored hashed) for a
//! role and its scope, list them and revoke them. Resolving a request's token to its actor is
//! [`crate::auth`]'s.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::list_tokens,
        routes::create_token,
        routes::revoke_token
    ]
}

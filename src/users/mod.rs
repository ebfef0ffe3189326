//! Người dùng: the people who sign in to the pages, with the role and scope a token would have.
//! Passwords are hashed with Argon2id; a new account gets a one-time password, shown once, that
//! must be changed at the first sign-in.

pub mod dto;
pub mod password;
pub mod routes;
pub mod service;
pub mod sessions;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::create_user,
        routes::list_users,
        routes::update_user,
        routes::reset_user_password
    ]
}

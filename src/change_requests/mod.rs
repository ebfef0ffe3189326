//! Yêu cầu thay đổi: an owner asks for a change of its subject's identity fields (name, legal
//! form, tax code, commune) with the day it takes effect and a reason; an auditor of the
//! subject's unit or an administrator approves (the change is applied, dated, in the same
//! transaction) or rejects it, with a reason. The measured subject never changes alone what
//! places and identifies it (docs/domain.md §7).

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::create_change_request,
        routes::list_change_requests,
        routes::decide_change_request
    ]
}

//! Bản nháp (docs/domain.md §9): a record that arrived incomplete — a cooperative without its tax
//! code, a subject whose commune is unknown, a rating without its decision number or date — kept
//! with the list of what is missing. Drafts live apart from the records: no count, no public
//! page, no owner's view can read one. Completing the missing fields registers the record, with
//! its recorded time then, in the transaction that closes the draft.

pub mod dto;
pub mod routes;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::create_draft,
        routes::list_drafts,
        routes::get_draft,
        routes::complete_draft,
        routes::discard_draft
    ]
}

//! Phản ánh: problems the public reports about a rated product — a fake OCOP label, an expired
//! rating still printed, the product's quality — from a short form reached from the product's
//! page. Each waits in the work queue of the product's unit until an auditor answers it, links it
//! to what the department did (a revocation, a suspension) or closes it with a reason. Only an
//! answer the department chooses to publish ever shows publicly.
//!
//! No outside service guards the form: a signed time-to-submit token, a hidden field, limits per
//! sender address and per product, and a cap on reports open per product, all counted in the
//! database so that every process of a deployment applies the same ones.

pub mod dto;
pub mod limits;
pub mod photo;
pub mod routes;
pub mod service;
pub mod token;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::report_form,
        routes::submit_report,
        routes::submit_report_form,
        routes::report_photo,
        routes::list_reports,
        routes::answer_report,
        routes::close_report,
        routes::published_answers,
    ]
}

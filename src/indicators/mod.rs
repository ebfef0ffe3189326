//! The indicator engine: for a unit on a date, the share of OCOP subjects that run value chains
//! toward the circular economy / green OCOP tied to stable raw-material areas (target 30 %) and
//! the share that sell through modern channels (target 50 %), exactly as `docs/domain.md` §4 and §5
//! define them; explained down to the subject, and frozen for the record.
//!
//! Counting happens in the database (one set-based query per report, the same SQL on SQLite and
//! PostgreSQL); the unit geography across the 2025 reforms is resolved in memory over the few
//! hundred unit versions; explanations re-read a page of subjects' evidence and say why.

pub mod areas;
pub mod changes;
pub mod dto;
pub mod engine;
pub mod explain;
pub mod export;
pub mod frozen;
pub mod geography;
pub mod notes;
pub mod routes;
pub mod rules;
pub mod service;

/// Routes of this feature.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![
        routes::get_indicators,
        routes::explain_indicators,
        routes::indicator_changes,
        routes::list_reports,
        routes::freeze_report,
        routes::get_report
    ]
}

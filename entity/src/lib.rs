//! SeaORM entities of the OCOP registry, one module per table (singular names).
//!
//! Exact quantities are scaled integers (`area_m2`, `price_vnd`, `score_centi`): SeaORM stores
//! `Decimal` as REAL on SQLite, so the API layer converts them to `rust_decimal::Decimal`.
//! Enumerations are stored as their lowercase API codes; `src/domain.rs` owns their meaning.

pub mod enums;
pub mod prelude;

pub mod api_token;
pub mod app_user;
pub mod audit_log;
pub mod certification;
pub mod certification_scheme;
pub mod change_request;
pub mod channel_connection;
pub mod connection_grant;
pub mod document;
pub mod draft;
pub mod indicator_policy;
pub mod indicator_report;
pub mod listing;
pub mod listing_span;
pub mod listing_span_extension;
pub mod problem_report;
pub mod product;
pub mod product_photo;
pub mod raw_material_area;
pub mod recognition;
pub mod sales_channel;
pub mod sign_in_failure;
pub mod status_event;
pub mod subject;
pub mod subject_relocation;
pub mod sync_run;
pub mod unit;
pub mod unit_link;
pub mod user_session;
pub mod webhook_event;

//! What an operator sees of a running registry: one log line per request (with its request id,
//! route, status, latency and the caller's role), error lines with their causes, logs as text
//! or JSON lines, and Prometheus metrics on `/metrics`.
//!
//! Metrics belong to the process (Prometheus scrapes each process of a deployment), so they
//! live in one process-wide registry: the request fairing, the sync runner and the SQLite
//! group commit record into it without threading a handle through every call. Figures that
//! are the registry's as a whole (the webhook queue) are read from the database at each
//! scrape, so every process reports the same truth.

mod logging;
mod metrics;
mod requests;

pub use logging::{cause_chain, init_logging};
pub use metrics::{metrics, render};
pub use requests::{
    REQUEST_ID, RequestTelemetry, logged_path, metrics_address, request_id, saw_role,
};

//! The integration tests: one binary, every feature through the HTTP API, on SQLite by
//! default and on PostgreSQL with `TEST_DATABASE_URL`.
#![allow(clippy::unwrap_used)]

mod helpers;

mod areas;
mod audit;
mod auth;
mod browser;
mod certifications;
mod channels;
mod connect;
mod country;
mod demo;
mod documents;
mod drafts;
mod durability;
mod errors;
mod exports;
mod fakes;
mod feedback;
mod history;
mod imports;
mod indicators;
mod input;
mod integrity;
mod oracle;
mod owner_pages;
mod pages;
mod photos;
mod products;
mod public;
mod request_path;
mod staff_pages;
mod subjects;
mod sync;
mod telemetry;
mod trust;
mod units;
mod users;
mod vietnamese;

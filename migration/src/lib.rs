//! Schema migrations, applied at every start-up (`ocop-registry migrate` applies them alone).
//! Never edit a migration once it has been released: add a new one.

// `MigrationTrait` is an `async_trait`: spelling `SchemaManager<'_>` in its methods breaks the
// trait's lifetime binding, so the 2018-idiom lint is allowed here.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261129_000001_create_core;
mod m20261129_000002_create_evidence;
mod m20261129_000003_create_indicators;
mod m20261129_000004_create_sync;
mod m20261130_000005_trust;
mod m20261130_000006_subject_relocation;
mod m20261130_000007_change_request;
mod m20261130_000008_history;
mod m20261130_000009_draft;
mod m20261130_000010_app_user;
mod m20261130_000011_user_session;
mod m20261130_000012_draft_source;
mod m20261201_000013_draft_parent_index;
mod m20261201_000014_documents_connect;
mod m20261206_000015_evidence_areas;
mod m20261206_000016_sign_in_failure;
mod m20261206_000017_shop_url_key;
mod m20261207_000018_problem_report;
mod m20261207_000019_report_form_nonce;
mod m20261207_000020_product_photo;
mod m20261207_000021_search_index;
mod m20261207_000022_report_photo;

pub use m20261130_000008_history::MIRRORED;

/// The registry's migrator.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_core::Migration),
            Box::new(m20261129_000002_create_evidence::Migration),
            Box::new(m20261129_000003_create_indicators::Migration),
            Box::new(m20261129_000004_create_sync::Migration),
            Box::new(m20261130_000005_trust::Migration),
            Box::new(m20261130_000006_subject_relocation::Migration),
            Box::new(m20261130_000007_change_request::Migration),
            Box::new(m20261130_000008_history::Migration),
            Box::new(m20261130_000009_draft::Migration),
            Box::new(m20261130_000010_app_user::Migration),
            Box::new(m20261130_000011_user_session::Migration),
            Box::new(m20261130_000012_draft_source::Migration),
            Box::new(m20261201_000013_draft_parent_index::Migration),
            Box::new(m20261201_000014_documents_connect::Migration),
            Box::new(m20261206_000015_evidence_areas::Migration),
            Box::new(m20261206_000016_sign_in_failure::Migration),
            Box::new(m20261206_000017_shop_url_key::Migration),
            Box::new(m20261207_000018_problem_report::Migration),
            Box::new(m20261207_000019_report_form_nonce::Migration),
            Box::new(m20261207_000020_product_photo::Migration),
            Box::new(m20261207_000021_search_index::Migration),
            Box::new(m20261207_000022_report_photo::Migration),
        ]
    }
}

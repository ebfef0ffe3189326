//! A subject's move from one commune to another, effective on a day, recorded at a time.

use sea_orm::entity::prelude::*;

/// One relocation; the subject's commune on a day is where its latest relocation effective by
/// then took it (or, before any, where the earliest one took it from).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subject_relocation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    /// Order of recording among the subject's relocations.
    pub seq: i32,
    pub from_commune_id: Uuid,
    pub to_commune_id: Uuid,
    pub effective_on: Date,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: String,
    pub reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

//! A record that arrived incomplete (domain.md §9): the fields given, what is missing, and, once
//! completed, the record it became.

use sea_orm::entity::prelude::*;

/// A draft.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "draft")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub entity: crate::enums::DraftEntity,
    pub parent_id: Option<Uuid>,
    pub unit_id: Uuid,
    /// The record's fields as given, in the API's create shape.
    pub data: Json,
    /// Field names still missing.
    pub missing: Json,
    pub record_id: Option<Uuid>,
    pub created_by_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    pub version: i32,
    /// The imported rows it stands for (`[{"row": 7, "cells": {"Tên sản phẩm": "…"}}]`).
    pub source: Option<Json>,
}

impl ActiveModelBehavior for ActiveModel {}

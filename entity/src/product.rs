//! A product of one subject, in one of the six groups of Decision 148/QĐ-TTg.

use sea_orm::entity::prelude::*;

/// An OCOP product (rated through its recognitions).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_id: Uuid,
    pub name: String,
    pub name_folded: String,
    /// `food`, `beverage`, `herbal`, `handicraft`, `ornamental`, `tourism`
    /// (column renamed because `group` is an SQL keyword).
    pub product_group: crate::enums::ProductGroup,
    pub subgroup: Option<String>,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "subject_id", to = "id")]
    pub subject: BelongsTo<super::subject::Entity>,
    #[sea_orm(has_many)]
    pub recognitions: HasMany<super::recognition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

//! OCOP subject (chủ thể OCOP): the producer whose products are rated.

use sea_orm::entity::prelude::*;

/// A registered OCOP subject.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subject")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Folded name and tax code, for accent-insensitive search.
    pub search_text: String,
    pub legal_form: crate::enums::LegalForm,
    /// Normalised tax code or 12-digit personal id; unique when present.
    #[sea_orm(unique)]
    pub tax_code: Option<String>,
    /// The commune unit version as recorded at registration.
    pub commune_id: Uuid,
    pub address: Option<String>,
    pub representative: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub woman_led: bool,
    pub founded_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub products: HasMany<super::product::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

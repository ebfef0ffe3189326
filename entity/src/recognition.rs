//! An OCOP star rating of a product by a decision (quyết định công nhận).

use sea_orm::entity::prelude::*;

/// A recognition, active on days `decision_date <= d < valid_until` unless revoked on or before d.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recognition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    /// The product's subject, copied so indicator queries need no join (products never move).
    pub subject_id: Uuid,
    pub stars: i16,
    pub potential_five_star: bool,
    /// Score × 100 (exact), when the decision gives one.
    pub score_centi: Option<i32>,
    pub decision_no: String,
    pub decision_date: Date,
    pub authority: String,
    pub batch: Option<String>,
    /// `new`, `re_recognition` or `upgrade`.
    pub kind: crate::enums::RecognitionKind,
    /// Expiry: the first day the recognition is no longer active.
    pub valid_until: Date,
    pub revoked_on: Option<Date>,
    pub revocation_decision_no: Option<String>,
    pub revocation_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "product_id", to = "id")]
    pub product: BelongsTo<super::product::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}

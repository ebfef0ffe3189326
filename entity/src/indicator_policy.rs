//! Indicator policy versions: the parameters of the value-chain and modern-channel rules.

use sea_orm::entity::prelude::*;

/// One version of the policy; versions are never edited, a change makes a new one.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_policy")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub version: i32,
    pub min_linkage_months: i32,
    pub growing_area_code_is_stable: bool,
    /// JSON array of scheme categories.
    pub value_chain_categories: String,
    /// JSON array of channel kinds.
    pub modern_kinds: String,
    pub channel_freshness_days: i32,
    pub count_declared_channels: bool,
    /// Whether listings of owner-managed connections evidence a channel.
    pub count_owner_managed_listings: bool,
    /// Whether a certificate counts only up to its scheme's maximum validity.
    pub cap_certificate_validity: bool,
    /// How long an auditor's verification of a channel evidences it (`None`: for ever).
    pub verification_valid_months: Option<i32>,
    /// Whether an empty unit's share, met and gap are "not applicable" (`null`).
    pub empty_units_not_applicable: bool,
    /// Basis points (30 % = 3000).
    pub value_chain_target_bp: i32,
    pub modern_channel_target_bp: i32,
    /// Whether an area counts only when verified or the scope of a verified certification.
    pub verify_areas: bool,
    /// JSON object: scheme code → maximum validity in months (applied when
    /// `cap_certificate_validity`).
    pub validity_caps: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

//! Policy shapes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::indicator_policy;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::domain::{ChannelKind, SchemeCategory};
use crate::error::{AppError, AppResult};
use crate::validate as v;

/// A policy version's parameters, as used by the engine and printed in every report.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq)]
pub struct Policy {
    pub version: i32,
    /// A linkage contract makes an area stable only if it runs at least this many months.
    pub min_linkage_months: i32,
    /// Whether a growing-area code alone makes an area stable.
    pub growing_area_code_is_stable: bool,
    /// Scheme categories whose verified certificates count toward the value-chain indicator.
    pub value_chain_categories: Vec<SchemeCategory>,
    /// Channel kinds that are modern.
    pub modern_kinds: Vec<ChannelKind>,
    /// A sync-observed channel counts if an active listing was seen within this many days
    /// before the report date.
    pub channel_freshness_days: i32,
    /// Whether declared (unverified, unobserved) channels count.
    pub count_declared_channels: bool,
    /// Whether listings seen through a connection the owner set up itself (credentials, feed
    /// URL or webhook secret of its own) evidence a channel (docs/domain.md §7; off from version 2).
    pub count_owner_managed_listings: bool,
    /// Whether a certificate counts only until its scheme's maximum validity from its issue
    /// date, whatever expiry it claims (docs/domain.md §7; on from version 2).
    pub cap_certificate_validity: bool,
    /// Each scheme's maximum validity in months, by scheme code (applied when
    /// `cap_certificate_validity`; a scheme not listed is not capped). Version 2 caps VietGAP
    /// only; version 3 every green and circular scheme (docs/domain.md §7).
    #[schema(value_type = std::collections::BTreeMap<String, i32>, example = json!({"vietgap": 27, "organic": 24}))]
    pub validity_caps: BTreeMap<String, i32>,
    /// How many months an auditor's verification of a channel evidences it (`null`: for ever,
    /// as in version 1; 12 from version 2).
    pub verification_valid_months: Option<i32>,
    /// Whether a raw-material area counts as stable only when an auditor verified it or a
    /// verified certification is scoped to it (docs/domain.md §7; on from version 3).
    pub verify_areas: bool,
    /// Whether a unit without population has `share`, `met` and `gap` `null` ("not
    /// applicable"; from version 2) rather than met with no gap.
    pub empty_units_not_applicable: bool,
    /// Target share of the value-chain indicator, in percent (decimal string).
    #[schema(example = "30")]
    pub value_chain_target: String,
    /// Target share of the modern-channel indicator, in percent (decimal string).
    #[schema(example = "50")]
    pub modern_channel_target: String,
}

/// A policy version as listed.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: Policy,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// Percent with 2 decimals from basis points (3000 → "30").
pub fn percent(bp: i32) -> String {
    Decimal::new(i64::from(bp), 2).normalize().to_string()
}

impl Policy {
    /// From a row.
    pub fn from_model(m: &indicator_policy::Model) -> AppResult<Self> {
        let parse = |what: &str, s: &str| {
            AppError::Internal(format!("policy {} has unreadable {what}: {s}", m.version))
        };
        Ok(Policy {
            version: m.version,
            min_linkage_months: m.min_linkage_months,
            growing_area_code_is_stable: m.growing_area_code_is_stable,
            value_chain_categories: serde_json::from_str(&m.value_chain_categories)
                .map_err(|_| parse("categories", &m.value_chain_categories))?,
            modern_kinds: serde_json::from_str(&m.modern_kinds)
                .map_err(|_| parse("kinds", &m.modern_kinds))?,
            channel_freshness_days: m.channel_freshness_days,
            count_declared_channels: m.count_declared_channels,
            count_owner_managed_listings: m.count_owner_managed_listings,
            cap_certificate_validity: m.cap_certificate_validity,
            validity_caps: serde_json::from_str(&m.validity_caps)
                .map_err(|_| parse("validity caps", &m.validity_caps))?,
            verification_valid_months: m.verification_valid_months,
            verify_areas: m.verify_areas,
            empty_units_not_applicable: m.empty_units_not_applicable,
            value_chain_target: percent(m.value_chain_target_bp),
            modern_channel_target: percent(m.modern_channel_target_bp),
        })
    }

    /// The most months a certificate of scheme `code` counts from its issue date, when the
    /// policy caps.
    pub fn cap_of(&self, code: &str) -> Option<i32> {
        self.validity_caps
            .get(code)
            .copied()
            .filter(|_| self.cap_certificate_validity)
    }

    /// The value-chain target in basis points.
    pub fn value_chain_target_bp(&self) -> i64 {
        target_bp(&self.value_chain_target)
    }

    /// The modern-channel target in basis points.
    pub fn modern_channel_target_bp(&self) -> i64 {
        target_bp(&self.modern_channel_target)
    }
}

fn target_bp(s: &str) -> i64 {
    s.parse::<Decimal>()
        .ok()
        .and_then(|d| rust_decimal::prelude::ToPrimitive::to_i64(&(d * Decimal::ONE_HUNDRED)))
        .unwrap_or(0)
}

fn target(s: &str) -> Result<(), ValidationError> {
    v::parse_decimal(s, 2, false, Decimal::ZERO, Decimal::ONE_HUNDRED)
        .map(|_| ())
        .map_err(|m| v::err("target", m))
}

fn categories(c: &[SchemeCategory]) -> Result<(), ValidationError> {
    let mut seen = c.to_vec();
    seen.sort_by_key(|k| k.code());
    seen.dedup();
    if c.is_empty() || seen.len() != c.len() {
        return Err(v::err(
            "value_chain_categories",
            "must list one or more distinct categories",
        ));
    }
    Ok(())
}

fn caps(c: &BTreeMap<String, i32>) -> Result<(), ValidationError> {
    if c.values().any(|m| !(1..=120).contains(m)) {
        return Err(v::err(
            "validity_caps",
            "every cap must be between 1 and 120 months",
        ));
    }
    Ok(())
}

fn kinds(k: &[ChannelKind]) -> Result<(), ValidationError> {
    let mut seen = k.to_vec();
    seen.sort_by_key(|k| k.code());
    seen.dedup();
    if k.is_empty() || seen.len() != k.len() {
        return Err(v::err(
            "modern_kinds",
            "must list one or more distinct channel kinds",
        ));
    }
    Ok(())
}

/// `POST /api/v1/policies`: the parameters to change; the others are copied from the current
/// version. The result is a new version.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreatePolicy {
    #[validate(range(min = 1, max = 600, message = "must be between 1 and 600"))]
    #[schema(minimum = 1, maximum = 600)]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub min_linkage_months: Option<i32>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub growing_area_code_is_stable: Option<bool>,
    #[validate(custom(function = "categories"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub value_chain_categories: Option<Vec<SchemeCategory>>,
    #[validate(custom(function = "kinds"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub modern_kinds: Option<Vec<ChannelKind>>,
    #[validate(range(min = 1, max = 3650, message = "must be between 1 and 3650"))]
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub channel_freshness_days: Option<i32>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub count_declared_channels: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub count_owner_managed_listings: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub cap_certificate_validity: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[validate(range(min = 1, max = 120, message = "must be between 1 and 120"))]
    #[schema(nullable = false, minimum = 1, maximum = 120)]
    pub verification_valid_months: Option<i32>,
    /// The whole map of caps (scheme code → months, 1–120); codes must be in the catalogue.
    #[validate(custom(function = "caps"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false, value_type = Option<std::collections::BTreeMap<String, i32>>)]
    pub validity_caps: Option<BTreeMap<String, i32>>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub verify_areas: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub empty_units_not_applicable: Option<bool>,
    /// Percent, 0–100, at most 2 decimals, as a string.
    #[validate(custom(function = "target"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::percent)]
    pub value_chain_target: Option<String>,
    #[validate(custom(function = "target"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::percent)]
    pub modern_channel_target: Option<String>,
    /// Why the policy changed (decision number, …).
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub note: Option<String>,
}

/// Every policy version, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    /// The version reports use unless told otherwise.
    pub current_version: i32,
    pub items: Vec<PolicyView>,
}

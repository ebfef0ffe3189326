//! Policy versions: the default, reading, and new versions.

use std::collections::BTreeMap;

use entity::indicator_policy as policy;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::dto::{CreatePolicy, Policy, PolicyList, PolicyView};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::db::begin_write;
use crate::domain::{ChannelKind, Role, SchemeCategory};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::{clock, ids};

fn json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("policy serialisation: {e}")))
}

/// The validity caps of version 3 (docs/domain.md §7): VietGAP's 2 years and 3 months' grace, the
/// usual certification cycle of the others.
pub const VERSION_3_CAPS: [(&str, i32); 8] = [
    ("organic", 24),
    ("vietgap", 27),
    ("globalgap", 12),
    ("iso14001", 36),
    ("fsc", 60),
    ("pefc", 60),
    ("rainforest_alliance", 36),
    ("circular_model", 36),
];

/// Inserts the built-in versions when missing: version 1, the defaults of `docs/domain.md` §4, and
/// version 2, which adds the trust rules of §7 (listings of owner-managed connections do not
/// count), and version 3, which counts evidence only as verified (areas too). A database whose
/// administrator already made a version 3 keeps it (the built-in one is not added). Frozen reports and recomputations under version 1 keep their numbers.
pub async fn seed(db: &impl ConnectionTrait) -> AppResult<u64> {
    let v1 = policy::ActiveModel {
        id: Set(ids::new_id()),
        version: Set(1),
        min_linkage_months: Set(36),
        growing_area_code_is_stable: Set(true),
        value_chain_categories: Set(json(&[SchemeCategory::Green, SchemeCategory::Circular])?),
        modern_kinds: Set(json(&[
            ChannelKind::Marketplace,
            ChannelKind::SocialCommerce,
            ChannelKind::OwnWebshop,
            ChannelKind::SupermarketChain,
            ChannelKind::ConvenienceChain,
        ])?),
        channel_freshness_days: Set(90),
        count_declared_channels: Set(false),
        count_owner_managed_listings: Set(true),
        cap_certificate_validity: Set(false),
        verification_valid_months: Set(None),
        empty_units_not_applicable: Set(false),
        verify_areas: Set(false),
        validity_caps: Set("{}".to_owned()),
        value_chain_target_bp: Set(3000),
        modern_channel_target_bp: Set(5000),
        note: Set(Some("default policy (docs/domain.md §4)".to_owned())),
        created_by: Set("registry".to_owned()),
        created_at: Set(clock::now()),
    };
    let mut v2 = v1.clone();
    v2.id = Set(ids::new_id());
    v2.version = Set(2);
    v2.count_owner_managed_listings = Set(false);
    v2.cap_certificate_validity = Set(true);
    v2.verification_valid_months = Set(Some(12));
    v2.empty_units_not_applicable = Set(true);
    v2.validity_caps = Set(json(&BTreeMap::from([("vietgap", 27)]))?);
    v2.note = Set(Some(
        "trust and integrity rules (docs/domain.md §7): listings of owner-managed connections do not \
         count, certificates count at most their scheme's validity, verifications last 12 months, \
         empty units are not applicable"
            .to_owned(),
    ));
    let mut v3 = v2.clone();
    v3.id = Set(ids::new_id());
    v3.version = Set(3);
    v3.verify_areas = Set(true);
    v3.validity_caps = Set(json(&BTreeMap::from(VERSION_3_CAPS))?);
    v3.note = Set(Some(
        "evidence as verified (docs/domain.md §7): a raw-material area counts only when an auditor \
         verified it or a verified certification is scoped to it; every green and circular \
         scheme has a validity cap"
            .to_owned(),
    ));
    Ok(policy::Entity::insert_many([v1, v2, v3])
        .on_conflict(
            OnConflict::column(policy::Column::Version)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?)
}

/// A version (`None`: the current, i.e. newest, one). An unknown version is a 400 naming the
/// parameter.
pub async fn get(db: &impl ConnectionTrait, version: Option<i32>) -> AppResult<Policy> {
    let row = match version {
        Some(v) => policy::Entity::find()
            .filter(policy::Column::Version.eq(v))
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("policy version", v))?,
        None => policy::Entity::find()
            .order_by_desc(policy::Column::Version)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal("no indicator policy loaded".to_owned()))?,
    };
    Policy::from_model(&row)
}

fn view(m: &policy::Model) -> AppResult<PolicyView> {
    Ok(PolicyView {
        policy: Policy::from_model(m)?,
        note: m.note.clone(),
        created_by: m.created_by.clone(),
        created_at: m.created_at,
    })
}

/// Every version, newest first (administrators and auditors).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<PolicyList> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let rows = policy::Entity::find()
        .order_by_desc(policy::Column::Version)
        .all(db)
        .await?;
    let items = rows.iter().map(view).collect::<AppResult<Vec<_>>>()?;
    Ok(PolicyList {
        current_version: items.first().map_or(0, |p| p.policy.version),
        items,
    })
}

/// Refuses caps of schemes the catalogue does not hold (a typo would cap nothing).
async fn known_schemes(db: &impl ConnectionTrait, caps: &BTreeMap<String, i32>) -> AppResult<()> {
    use entity::certification_scheme as scheme;
    let codes: Vec<String> = caps.keys().cloned().collect();
    let found = scheme::Entity::find()
        .filter(scheme::Column::Code.is_in(codes.clone()))
        .all(db)
        .await?;
    if let Some(unknown) = codes.iter().find(|c| !found.iter().any(|s| &&s.code == c)) {
        return Err(AppError::invalid(
            "validity_caps",
            crate::msg!("policy-unknown-scheme", scheme = unknown),
        ));
    }
    Ok(())
}

fn bp(percent: &str) -> AppResult<i32> {
    percent
        .trim()
        .parse::<Decimal>()
        .ok()
        .and_then(|d| (d * Decimal::ONE_HUNDRED).to_i32())
        .ok_or_else(|| AppError::Internal(format!("unvalidated target {percent}")))
}

/// Makes a new version from the current one and the changes (administrators).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: CreatePolicy,
) -> AppResult<PolicyView> {
    actor.require(&[Role::Admin])?;
    let txn = begin_write(db).await?;
    let current = policy::Entity::find()
        .order_by_desc(policy::Column::Version)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal("no indicator policy loaded".to_owned()))?;
    let mut next = current.clone();
    next.id = ids::new_id();
    next.version = current.version + 1;
    if let Some(v) = input.min_linkage_months {
        next.min_linkage_months = v;
    }
    if let Some(v) = input.growing_area_code_is_stable {
        next.growing_area_code_is_stable = v;
    }
    if let Some(v) = &input.value_chain_categories {
        next.value_chain_categories = json(v)?;
    }
    if let Some(v) = &input.modern_kinds {
        next.modern_kinds = json(v)?;
    }
    if let Some(v) = input.channel_freshness_days {
        next.channel_freshness_days = v;
    }
    if let Some(v) = input.count_declared_channels {
        next.count_declared_channels = v;
    }
    if let Some(v) = input.count_owner_managed_listings {
        next.count_owner_managed_listings = v;
    }
    if let Some(v) = input.cap_certificate_validity {
        next.cap_certificate_validity = v;
    }
    if let Some(v) = input.verification_valid_months {
        next.verification_valid_months = Some(v);
    }
    if let Some(v) = &input.validity_caps {
        known_schemes(&txn, v).await?;
        next.validity_caps = json(v)?;
    }
    if let Some(v) = input.verify_areas {
        next.verify_areas = v;
    }
    if let Some(v) = input.empty_units_not_applicable {
        next.empty_units_not_applicable = v;
    }
    if let Some(v) = &input.value_chain_target {
        next.value_chain_target_bp = bp(v)?;
    }
    if let Some(v) = &input.modern_channel_target {
        next.modern_channel_target_bp = bp(v)?;
    }
    next.note = input
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    next.created_by = actor.name.clone();
    next.created_at = clock::now();
    let unchanged = Policy {
        version: next.version,
        ..Policy::from_model(&current)?
    };
    if Policy::from_model(&next)? == unchanged {
        return Err(AppError::Conflict(msg!(
            "conflict-policy-unchanged",
            version = current.version
        )));
    }
    let row = next.into_active_model().reset_all().insert(&txn).await?;
    let after = view(&row)?;
    audit::record(&txn, actor, Change::created("policy", row.id, None, &after)).await?;
    txn.commit().await?;
    Ok(after)
}

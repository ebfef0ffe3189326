//! Channel and listing shapes.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{listing, sales_channel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::domain::{ChannelKind, ListingStatus, VerificationStatus};
use crate::error::AppResult;
use crate::http::nullable;
use crate::lifecycle::{StatusEventView, VerifiedVersion};
use crate::validate as v;

/// Platform or chain names: 1–64 characters.
pub fn platform_name(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 64 {
        return Err(v::err(
            "platform",
            "must name the platform or chain in 1-64 characters (shopee, lazada, Co.opmart, …)",
        ));
    }
    Ok(())
}

/// Shop ids on a platform: 1–128 characters.
pub fn shop_id_rule(s: &str) -> Result<(), ValidationError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 128 {
        return Err(v::err("shop_id", "must be 1-128 characters"));
    }
    Ok(())
}

/// `POST /api/v1/subjects/{id}/channels` (the channel starts `declared`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "create_rules", skip_on_field_errors = false))]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    pub kind: ChannelKind,
    /// Marketplace code (`shopee`, `lazada`, `tiki`, `tiktok_shop`, `sendo`, `postmart`,
    /// `voso`, `feed`) or a chain's name (`Co.opmart`, `WinMart`, …).
    #[validate(custom(function = "platform_name"))]
    #[schema(schema_with = crate::schema::code)]
    pub platform: String,
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub shop_url: Option<String>,
    #[validate(custom(function = "shop_id_rule"))]
    #[schema(schema_with = crate::schema::identifier_or_null)]
    pub shop_id: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub active_from: Option<NaiveDate>,
    /// Last active day.
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    pub active_to: Option<NaiveDate>,
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub evidence_url: Option<String>,
    /// An uploaded document (`POST /api/v1/documents`) of the same subject that evidences it.
    pub evidence_document_id: Option<Uuid>,
    /// The day the department received the declaration, when it enters one received earlier
    /// (administrators and auditors only; not in the future). Without it, today: no
    /// verification or refusal can be dated before the declaration it decides on (docs/domain.md §7).
    #[serde(default, deserialize_with = "crate::validate::opt_date")]
    #[validate(custom(function = "v::not_future"))]
    pub submitted_on: Option<NaiveDate>,
}

/// Kinds of channel that are a shop on someone's platform, so need a shop URL or id.
pub fn needs_shop(kind: ChannelKind) -> bool {
    matches!(
        kind,
        ChannelKind::Marketplace | ChannelKind::SocialCommerce | ChannelKind::OwnWebshop
    )
}

fn create_rules(c: &CreateChannel) -> Result<(), ValidationError> {
    if let (Some(from), Some(to)) = (c.active_from, c.active_to)
        && to < from
    {
        return Err(v::err("active_to", "must not be before active_from"));
    }
    if needs_shop(c.kind) && c.shop_url.is_none() && c.shop_id.is_none() {
        return Err(v::err(
            "shop_url",
            "a marketplace, social-commerce or web-shop channel needs a shop_url or shop_id",
        ));
    }
    Ok(())
}

/// `PATCH /api/v1/channels/{id}`. When the owner changes the kind, platform or shop of a
/// verified channel, it goes back to `declared`.
#[derive(Debug, Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannel {
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(nullable = false)]
    pub kind: Option<ChannelKind>,
    #[validate(custom(function = "platform_name"))]
    #[serde(default, deserialize_with = "crate::http::present")]
    #[schema(schema_with = crate::schema::code)]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub shop_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "shop_id_rule"))]
    #[schema(schema_with = crate::schema::identifier_or_null)]
    pub shop_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::validate::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub active_from: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::validate::nullable_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub active_to: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "v::http_url"))]
    #[schema(schema_with = crate::schema::http_url_or_null)]
    pub evidence_url: Option<Option<String>>,
    /// An uploaded document of the same subject (`null` removes it).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub evidence_document_id: Option<Option<Uuid>>,
}

/// `POST /api/v1/channels/{id}/verify`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyChannel {
    /// The day the auditor verified the channel (not in the future).
    #[validate(custom(function = "v::not_future"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub verified_on: NaiveDate,
    #[validate(custom(function = "v::long_text"))]
    #[schema(schema_with = crate::schema::free_text_or_null)]
    pub note: Option<String>,
}

/// `POST /api/v1/channels/{id}/reject`: a declared channel refused.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectChannel {
    /// Why (shown to the owner).
    #[validate(custom(function = "v::reason"))]
    #[schema(schema_with = crate::schema::reason)]
    pub reason: String,
    /// The day the refusal takes effect (not in the future, not before the previous move).
    #[validate(custom(function = "v::not_future"))]
    #[serde(deserialize_with = "crate::validate::date")]
    pub effective_on: NaiveDate,
}

/// A channel's verification state.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct Verification {
    pub status: VerificationStatus,
    pub verified_on: Option<NaiveDate>,
    pub verified_by: Option<String>,
    pub note: Option<String>,
}

/// A sales channel.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ChannelView {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub kind: ChannelKind,
    pub platform: crate::domain::Platform,
    pub shop_url: Option<String>,
    pub shop_id: Option<String>,
    pub active_from: Option<NaiveDate>,
    /// Last active day.
    pub active_to: Option<NaiveDate>,
    pub evidence_url: Option<String>,
    /// The uploaded document that evidences it (`GET /api/v1/documents/{id}`).
    pub evidence_document_id: Option<Uuid>,
    pub verification: Verification,
    /// Verifications and their withdrawals, oldest first.
    pub history: Vec<StatusEventView>,
    /// When the channel sync last saw the shop.
    pub last_observed_at: Option<DateTime<Utc>>,
    /// What an auditor vouched for: the key fields as the latest verification saw them
    /// (`null` when never verified). The indicators read these, not the live values.
    pub verified_version: Option<VerifiedVersion>,
    /// The key fields whose live value differs from `verified_version` (waiting for an
    /// auditor).
    pub pending_changes: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The key fields of a channel (docs/domain.md §7): a change by the owner needs a new verification.
pub const KEY_FIELDS: [&str; 6] = [
    "kind",
    "platform",
    "shop_url",
    "shop_id",
    "active_from",
    "active_to",
];

impl ChannelView {
    /// From a row and its history.
    pub fn build(m: sales_channel::Model, history: Vec<StatusEventView>) -> AppResult<Self> {
        Ok(ChannelView {
            id: m.id,
            subject_id: m.subject_id,
            kind: m.kind,
            platform: m.platform,
            shop_url: m.shop_url,
            shop_id: m.shop_id,
            active_from: m.active_from,
            active_to: m.active_to,
            evidence_url: m.evidence_url,
            evidence_document_id: m.evidence_document_id,
            verification: Verification {
                status: m.verification_status,
                verified_on: m.verified_on,
                verified_by: m.verified_by,
                note: m.verification_note,
            },
            history,
            last_observed_at: m.last_observed_at,
            verified_version: None,
            pending_changes: Vec::new(),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// Filters of `GET /api/v1/channels/{id}/listings`.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ListingQuery {
    pub status: Option<ListingStatus>,
}

/// A marketplace listing as the sync last saw it.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ListingView {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub external_id: String,
    pub title: String,
    /// Whole đồng, as a decimal string.
    pub price_vnd: Option<String>,
    pub status: ListingStatus,
    /// The subject's product this listing sells, when matched.
    pub product_id: Option<Uuid>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Last seen through a registry-managed connection (trusted evidence); `false` when through
    /// a connection the owner set up itself (docs/domain.md §7).
    pub trusted: bool,
}

impl ListingView {
    /// From a row.
    pub fn build(m: listing::Model) -> AppResult<Self> {
        Ok(ListingView {
            id: m.id,
            channel_id: m.channel_id,
            external_id: m.external_id,
            title: m.title,
            price_vnd: m.price_vnd.map(|p| p.to_string()),
            status: m.status,
            product_id: m.product_id,
            first_seen_at: m.first_seen_at,
            last_seen_at: m.last_seen_at,
            trusted: m.trusted,
        })
    }
}

impl crate::export::Tabular for ChannelView {
    const FILE: &'static str = "kenh-ban-hang";
    const TITLE: &'static str = "Kênh bán hàng";

    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã kênh", "channel_id"),
            col("Mã chủ thể", "subject_id"),
            col("Loại kênh", "kind"),
            col("Sàn / chuỗi", "platform"),
            col("Đường dẫn gian hàng", "shop_url"),
            col("Mã gian hàng", "shop_id"),
            col("Hoạt động từ", "active_from"),
            col("Hoạt động đến", "active_to"),
            col("Minh chứng", "evidence_url"),
            col("Xác nhận", "verification"),
            col("Ngày xác nhận", "verified_on"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        let coded = |prefix: &str, code: &str| crate::export::label(lang, prefix, code);
        vec![
            Cell::from(self.id.to_string()),
            self.subject_id.to_string().into(),
            coded("kind", self.kind.code()).into(),
            self.platform.to_string().into(),
            self.shop_url.clone().into(),
            self.shop_id.clone().into(),
            self.active_from.into(),
            self.active_to.into(),
            self.evidence_url.clone().into(),
            coded("verification", self.verification.status.code()).into(),
            self.verification.verified_on.into(),
        ]
    }
}

impl crate::export::Tabular for ListingView {
    const FILE: &'static str = "san-pham-dang-ban";
    const TITLE: &'static str = "Sản phẩm đăng bán";

    fn columns() -> Vec<crate::export::Column> {
        use crate::export::col;
        vec![
            col("Mã", "listing_id"),
            col("Mã kênh", "channel_id"),
            col("Mã trên sàn", "external_id"),
            col("Tên đăng bán", "title"),
            col("Giá (đồng)", "price_vnd"),
            col("Trạng thái", "status"),
            col("Mã sản phẩm", "product_id"),
            col("Lần đầu thấy", "first_seen_on"),
            col("Lần cuối thấy", "last_seen_on"),
            col("Qua kết nối của Sở", "trusted"),
        ]
    }

    fn cells(&self, lang: crate::i18n::Lang) -> Vec<crate::export::Cell> {
        use crate::export::Cell;
        vec![
            Cell::from(self.id.to_string()),
            self.channel_id.to_string().into(),
            self.external_id.clone().into(),
            self.title.clone().into(),
            self.price_vnd.clone().map_or(Cell::Empty, Cell::Decimal),
            crate::export::label(lang, "listing-status", self.status.code()).into(),
            self.product_id.map(|p| p.to_string()).into(),
            crate::clock::vietnam_date(self.first_seen_at).into(),
            crate::clock::vietnam_date(self.last_seen_at).into(),
            Cell::Bool(self.trusted),
        ]
    }
}

//! Indicator report shapes (`api.md`, "Indicator report shape").

use chrono::{DateTime, NaiveDate, Utc};
use entity::unit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{ChannelKind, EvidencedBy, LegalForm, Platform, SchemeCategory};
use crate::export::Format;
use crate::policies::dto::Policy;
use crate::units::dto::UnitRef;

/// The indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKey {
    ValueChain,
    ModernChannel,
}

impl IndicatorKey {
    /// The API code (`value_chain`, `modern_channel`).
    pub fn code(self) -> &'static str {
        match self {
            IndicatorKey::ValueChain => "value_chain",
            IndicatorKey::ModernChannel => "modern_channel",
        }
    }
}

/// `GET /api/v1/indicators`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// The unit (a version valid on `as_of`).
    pub unit_id: Uuid,
    /// The report date D.
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    /// `json` (default), `csv` or `xlsx` (one row per unit; headings in Vietnamese unless
    /// `lang=en`).
    pub format: Option<Format>,
    /// `vi` (default) or `en`: the language of a CSV or XLSX file's headings and values.
    pub lang: Option<crate::i18n::Lang>,
    /// A policy version (default: the current one).
    #[validate(range(min = 1, message = "must be a policy version (1 or more)"))]
    #[param(minimum = 1)]
    pub policy_version: Option<i32>,
    /// As known at this instant (RFC 3339, `2025-07-01T09:30:00+07:00`; default: now).
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<String>,
}

/// `GET /api/v1/indicators/subjects`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    pub unit_id: Uuid,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    /// Explain one indicator only (needed with `counts`).
    pub indicator: Option<IndicatorKey>,
    /// Only subjects that count (`true`) or do not (`false`) for `indicator`.
    pub counts: Option<bool>,
    /// Only subjects that do not count for `indicator` for this reason (needs `indicator`).
    pub gap: Option<Gap>,
    /// `name` (default) or `commune`: the order of the list.
    pub sort: Option<SubjectOrder>,
    /// `json` (default), `csv` or `xlsx`: every matching subject (not one page) with its
    /// contacts.
    pub format: Option<Format>,
    /// `vi` (default) or `en`: the language of a CSV or XLSX file.
    pub lang: Option<crate::i18n::Lang>,
    #[validate(range(min = 1, message = "must be a policy version (1 or more)"))]
    #[param(minimum = 1)]
    pub policy_version: Option<i32>,
    /// As known at this instant (RFC 3339, `2025-07-01T09:30:00+07:00`; default: now).
    #[param(value_type = Option<String>, format = DateTime)]
    pub known_at: Option<String>,
}

/// `POST /api/v1/reports`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeReport {
    pub unit_id: Uuid,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    /// A policy version (default: the current one).
    #[validate(range(min = 1, message = "must be a policy version (1 or more)"))]
    #[schema(minimum = 1)]
    pub policy_version: Option<i32>,
}

/// The unit a report is about.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ReportUnit {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub level: crate::domain::UnitLevel,
}

impl From<&unit::Model> for ReportUnit {
    fn from(u: &unit::Model) -> Self {
        ReportUnit {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level,
        }
    }
}

/// One indicator's figures.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct Figure {
    pub key: IndicatorKey,
    pub numerator: i64,
    pub denominator: i64,
    /// Percent rounded half away from zero to 2 decimals; `null` when the denominator is 0.
    #[schema(example = "30.83")]
    pub share: Option<String>,
    /// Target percent.
    #[schema(example = "30")]
    pub target: String,
    /// numerator × 100 ≥ target × denominator (exact); `null` for a unit without population
    /// under a policy that says so ("not applicable").
    pub met: Option<bool>,
    /// How many more subjects must qualify: max(0, ⌈target × denominator / 100⌉ − numerator);
    /// `null` when `met` is.
    pub gap: Option<i64>,
}

/// A unit's population and figures (a child row has no children of its own).
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct UnitFigures {
    pub unit: ReportUnit,
    pub population: i64,
    pub indicators: Vec<Figure>,
}

/// A population subject whose recorded commune has no single unit on the report date.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct AmbiguousSubject {
    pub subject_id: Uuid,
    pub name: String,
    /// The commune as recorded.
    pub recorded_commune: UnitRef,
    /// The units valid on the report date it may belong to (empty: none is known).
    pub candidates: Vec<UnitRef>,
    /// Whether it is counted in the report unit's own figures (all candidates lie inside it);
    /// it is never counted in a child's.
    pub counted_in_unit: bool,
}

/// An indicator report.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct Report {
    pub unit: ReportUnit,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    pub computed_at: DateTime<Utc>,
    /// The knowledge time: what had been recorded by then is what counted.
    pub known_at: DateTime<Utc>,
    pub policy: Policy,
    pub population: i64,
    pub indicators: Vec<Figure>,
    pub children: Vec<UnitFigures>,
    pub ambiguous_geography: Vec<AmbiguousSubject>,
    /// Drafts placed in the unit (or below it) that were left out: incomplete records are not
    /// evidence yet (docs/domain.md §9).
    #[serde(default)]
    pub drafts_excluded: i64,
}

/// A short subject reference.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct SubjectRef {
    pub id: Uuid,
    pub name: String,
    pub legal_form: LegalForm,
    pub commune: Option<UnitRef>,
}

/// A recognition that makes the subject part of the population.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ActiveRecognition {
    pub id: Uuid,
    pub product_id: Uuid,
    pub stars: i16,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    pub valid_until: NaiveDate,
}

/// The certification behind a value-chain verdict.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct CertEvidence {
    pub id: Uuid,
    pub scheme: String,
    pub category: SchemeCategory,
    pub certificate_no: String,
    /// Its status on the report date.
    pub status_on_date: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// The stable area behind a value-chain verdict.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct AreaEvidence {
    pub id: Uuid,
    pub name: String,
    pub area_ha: String,
    /// Why it is stable: own land, leased land, a long enough linkage contract, a growing-area
    /// code.
    pub stable_because: String,
}

/// The order of an explained list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectOrder {
    /// By the subject's name.
    Name,
    /// By the commune's name, then the subject's.
    Commune,
}

/// What keeps a subject from counting, as a code the pages translate and filter by (the
/// sentences of `reasons` say the same with the particulars).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// Value chain: no certification registered.
    NoCertification,
    /// Value chain: the latest certification had expired (or outlived its scheme) by the date.
    CertificationExpired,
    /// Value chain: no certification verified by an auditor by the date.
    CertificationNotVerified,
    /// Value chain: certifications of a scheme the policy does not count, or not yet issued.
    CertificationNotCounted,
    /// Value chain: no raw-material area registered.
    NoArea,
    /// Value chain: areas, but none stable on the date (no long enough linkage contract…).
    AreaNotStable,
    /// Modern channel: no sales channel of a modern kind registered (none at all, or only
    /// kinds the policy does not count, such as a traditional market).
    NoChannel,
    /// Modern channel: declared by the owner only, neither verified nor seen listed.
    DeclaredOnly,
    /// Modern channel: listings seen only through a connection the owner set up.
    OwnerListingsOnly,
    /// Modern channel: channels, but none of a modern kind active on the date.
    ChannelNotActive,
}

impl Gap {
    /// The API code.
    pub fn code(self) -> &'static str {
        match self {
            Gap::NoCertification => "no_certification",
            Gap::CertificationExpired => "certification_expired",
            Gap::CertificationNotVerified => "certification_not_verified",
            Gap::CertificationNotCounted => "certification_not_counted",
            Gap::NoArea => "no_area",
            Gap::AreaNotStable => "area_not_stable",
            Gap::NoChannel => "no_channel",
            Gap::DeclaredOnly => "declared_only",
            Gap::OwnerListingsOnly => "owner_listings_only",
            Gap::ChannelNotActive => "channel_not_active",
        }
    }
}

/// Why a subject counts, or does not, for the value-chain indicator.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ValueChainExplanation {
    pub counts: bool,
    pub certification: Option<CertEvidence>,
    pub area: Option<AreaEvidence>,
    /// Sentences: what makes it count, or what is missing (in English).
    pub reasons: Vec<String>,
    /// The same sentences as message codes with their particulars, for readers in other
    /// languages (absent from reports frozen before they existed).
    #[serde(default)]
    pub notes: Vec<super::notes::Note>,
    /// What is missing, as codes (empty when it counts; absent from reports frozen before
    /// they existed).
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

/// A listing seen active in the freshness window.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ListingEvidence {
    pub id: Uuid,
    pub external_id: String,
    pub title: String,
    /// The last time it was seen active within the window.
    pub seen_at: DateTime<Utc>,
}

/// The channel behind a modern-channel verdict.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ChannelEvidence {
    pub id: Uuid,
    pub kind: ChannelKind,
    pub platform: Platform,
    /// `verified` (by an auditor on or before the date), `observed` (an active listing in the
    /// window) or `declared` (when the policy counts declared channels).
    pub evidenced_by: EvidencedBy,
    pub verified_on: Option<NaiveDate>,
    pub listing: Option<ListingEvidence>,
    /// The shop's address as the evidence saw it (the verified version's, not the owner's
    /// latest edit): where the public page may link.
    #[serde(skip)]
    pub shop_url: Option<String>,
}

/// Why a subject counts, or does not, for the modern-channel indicator.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct ModernChannelExplanation {
    pub counts: bool,
    pub channel: Option<ChannelEvidence>,
    /// Sentences: what makes it count, or what is missing (in English).
    pub reasons: Vec<String>,
    /// The same sentences as message codes with their particulars.
    #[serde(default)]
    pub notes: Vec<super::notes::Note>,
    /// What is missing, as codes (empty when it counts).
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Every channel that counts (`channel` is the first): where a buyer can buy.
    #[serde(skip)]
    pub counting: Vec<ChannelEvidence>,
}

/// One population subject and the reasons behind its verdicts.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct SubjectExplanation {
    pub subject: SubjectRef,
    /// The unit valid on the report date its recorded commune maps to (absent when ambiguous).
    pub placed_in: Option<UnitRef>,
    pub active_recognitions: Vec<ActiveRecognition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_chain: Option<ValueChainExplanation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modern_channel: Option<ModernChannelExplanation>,
}

/// A page of explanations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationPage {
    pub unit: ReportUnit,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    pub known_at: DateTime<Utc>,
    pub policy: Policy,
    pub indicator: Option<IndicatorKey>,
    pub counts: Option<bool>,
    pub items: Vec<SubjectExplanation>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

/// A frozen report: the report and every population subject's explanation, as filed.
#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, PartialEq)]
pub struct FrozenReport {
    pub id: Uuid,
    pub frozen_at: DateTime<Utc>,
    pub frozen_by: String,
    pub report: Report,
    pub subjects: Vec<SubjectExplanation>,
}

/// A frozen report as listed.
#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct FrozenReportSummary {
    pub id: Uuid,
    pub unit_id: Uuid,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    pub policy_version: i32,
    pub computed_at: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub frozen_by: String,
}

/// `GET /api/v1/indicators/changes`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    pub unit_id: Uuid,
    #[serde(deserialize_with = "crate::validate::date")]
    pub as_of: NaiveDate,
    /// A frozen report's id (what changed since it was filed, under its policy version) or an
    /// instant (RFC 3339, under `policy_version` or the current policy).
    #[param(
        value_type = String,
        max_length = 64,
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))$"
    )]
    pub since: String,
    /// The later knowledge time (RFC 3339; default: now).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    #[validate(range(min = 1, message = "must be a policy version (1 or more)"))]
    #[param(minimum = 1)]
    pub policy_version: Option<i32>,
}

/// A record written after the filing that bears on a subject.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct Cause {
    pub entity: String,
    pub entity_id: Uuid,
    /// The record as a person names it (a channel's shop, a product's or an area's name, a
    /// certificate's or a decision's number), read from what the trail kept.
    pub record: Option<String>,
    /// A sales channel's platform code.
    pub platform: Option<String>,
    /// `create`, `update`, `transition`, `verify`, `revoke`, …
    pub change: String,
    /// When the registry recorded it.
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    /// The day it takes effect, when it has one (a back-dated change shows here).
    pub effective_on: Option<NaiveDate>,
}

/// A subject whose counting changed for one indicator: it counts now and did not (or the
/// reverse), or it entered or left the population (a recognition recorded or revoked, a
/// relocation, an approved identity change), which moves the denominator.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct SubjectChange {
    pub subject: SubjectRef,
    pub indicator: IndicatorKey,
    /// Counted in the numerator before / after.
    pub before: bool,
    pub after: bool,
    /// In the population (the denominator) before / after.
    pub in_population_before: bool,
    pub in_population_after: bool,
    pub because: Vec<Cause>,
}

/// A numerator over its population.
#[derive(Debug, Serialize, ToSchema, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    pub numerator: i64,
    pub population: i64,
}

/// One indicator's figure at both knowledge times: `before` plus the listed changes of that
/// indicator is exactly `after`.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ChangedFigure {
    pub indicator: IndicatorKey,
    pub before: Tally,
    pub after: Tally,
}

/// What changed between two knowledge times (since a frozen report: since what it filed), for one
/// unit, date and policy version.
#[derive(Debug, Serialize, ToSchema, Clone, PartialEq)]
pub struct ChangesView {
    pub unit_id: Uuid,
    pub as_of: NaiveDate,
    pub policy_version: i32,
    /// The frozen report compared with, if one was named.
    pub since_report: Option<Uuid>,
    /// The two knowledge times compared.
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Each indicator's numerator and population at `since` and at `until`.
    pub figures: Vec<ChangedFigure>,
    pub items: Vec<SubjectChange>,
}

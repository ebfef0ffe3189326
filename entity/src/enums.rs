//! The enumerations of the registry's state columns. Each is the column's type: SeaORM reads
//! and writes it as its code, so no service converts a state to or from text.

/// An enumeration of codes: stored in its column as the code (`DeriveActiveEnum`, a string
/// column, so the stored values never change), sent and read by the API as the same code
/// (serde, OpenAPI), parsed from text (strum), offered on the command line (clap). One type
/// from the database to the edge.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize,
                 ::utoipa::ToSchema, ::strum::AsRefStr, ::strum::IntoStaticStr,
                 ::strum::EnumString, ::strum::EnumIter, ::strum::Display, ::clap::ValueEnum,
                 ::sea_orm::DeriveActiveEnum)]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        #[value(rename_all = "snake_case")]
        #[sea_orm(rs_type = "String", db_type = "String(::sea_orm::sea_query::StringLen::None)", rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The code stored and sent for this value (serde, strum and SeaORM agree on
            /// snake_case).
            pub fn code(self) -> &'static str {
                self.into()
            }
        }
    };
}

code_enum!(
    /// What a token may do (see the role table in the API contract).
    Role { Admin, Auditor, Owner, Channel }
);

code_enum!(
    /// Level of an administrative unit: the country (one unit, every province's parent, for
    /// national reports), provinces, districts (until 1 July 2025), communes.
    UnitLevel { Country, Province, District, Commune }
);

code_enum!(
    /// Legal form of an OCOP subject.
    LegalForm {
        /// Doanh nghiệp.
        Enterprise,
        /// Hợp tác xã.
        Cooperative,
        /// Liên hiệp hợp tác xã.
        CooperativeUnion,
        /// Tổ hợp tác.
        CooperativeGroup,
        /// Hộ kinh doanh.
        HouseholdBusiness,
        /// Cơ sở sản xuất.
        ProductionFacility,
    }
);

code_enum!(
    /// Product group of Decision 148/QĐ-TTg (2023).
    ProductGroup {
        /// Thực phẩm.
        Food,
        /// Đồ uống.
        Beverage,
        /// Dược liệu và sản phẩm từ dược liệu.
        Herbal,
        /// Hàng thủ công mỹ nghệ.
        Handicraft,
        /// Sinh vật cảnh.
        Ornamental,
        /// Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch.
        Tourism,
    }
);

code_enum!(
    /// What a member of the public reports about a product (phản ánh).
    ReportKind {
        /// Nhãn OCOP giả: a label the registry does not know.
        FakeLabel,
        /// Hết hiệu lực: a rating no longer in force, still printed.
        Expired,
        /// Chất lượng: the product itself.
        Quality,
        /// Khác.
        Other,
    }
);

code_enum!(
    /// Where a report stands: waiting, answered (and still open), closed.
    ReportStatus { Open, Answered, Closed }
);

code_enum!(
    /// Where a product photo stands: in its review window (public once the window has passed),
    /// approved by an auditor (public at once), rejected (never public).
    PhotoStatus { Waiting, Approved, Rejected }
);

code_enum!(
    /// Why a recognition decision was issued.
    RecognitionKind { New, ReRecognition, Upgrade }
);

code_enum!(
    /// How a subject holds a raw-material area.
    Tenure {
        /// Its own land.
        Own,
        /// Leased land.
        Leased,
        /// Linked through a contract with producers (Decree 98/2018/NĐ-CP).
        Linked,
    }
);

code_enum!(
    /// Who is on the other side of a linkage contract.
    CounterpartyKind { Households, Cooperative, CooperativeGroup, Enterprise }
);

code_enum!(
    /// What a certification scheme proves.
    SchemeCategory {
        /// Green production (organic, VietGAP, GlobalG.A.P., ISO 14001, FSC/PEFC, …).
        Green,
        /// A recognised circular-economy model.
        Circular,
        /// Quality and food safety (HACCP, ISO 22000, …): does not count toward the indicator.
        Quality,
    }
);

code_enum!(
    /// Certification lifecycle status (`expired` is derived from the dates, never stored).
    CertStatus { Submitted, Verified, Rejected, Suspended, Revoked }
);

impl CertStatus {
    /// Moves auditors may make (`submitted` is reached only by creation or an owner's edit).
    pub fn can_move_to(self, to: CertStatus) -> bool {
        use CertStatus::*;
        matches!(
            (self, to),
            (Submitted, Verified)
                | (Submitted, Rejected)
                | (Verified, Suspended)
                | (Suspended, Verified)
                | (Suspended, Revoked)
        )
    }
}

code_enum!(
    /// Kind of sales channel.
    ChannelKind {
        /// Shopee, Lazada, Tiki, TikTok Shop, Sendo, Postmart, Voso, …
        Marketplace,
        /// Social commerce and livestream selling.
        SocialCommerce,
        /// The subject's own web shop.
        OwnWebshop,
        /// Co.opmart, WinMart, Bách Hóa Xanh, GO!, MM Mega Market, …
        SupermarketChain,
        ConvenienceChain,
        /// Điểm giới thiệu và bán sản phẩm OCOP.
        OcopShowroom,
        Export,
        /// Chợ truyền thống.
        Traditional,
    }
);

code_enum!(
    /// Whether a channel is only declared, verified by an auditor, or refused by one (an
    /// owner's change of a key field declares it again).
    VerificationStatus { Declared, Verified, Rejected }
);

code_enum!(
    /// Status of a marketplace listing as last seen.
    ListingStatus { Active, Unlisted, Deleted }
);

code_enum!(
    /// Connector codes: the one place that says what each marketplace can do.
    ConnectorKind {
        /// Shopee Open Platform v2.
        Shopee,
        /// Lazada Open Platform.
        Lazada,
        /// TikTok Shop: signed pushes only (no listing pull yet).
        TiktokShop,
        /// The generic JSON listing feed (README), with the registry's own push scheme.
        Feed,
    }
);

impl ConnectorKind {
    /// Whether the registry reads its listings (TikTok Shop: pushes only).
    pub fn pullable(self) -> bool {
        !matches!(self, ConnectorKind::TiktokShop)
    }

    /// A marketplace with its own API host, set by the operator (not the feed, whose URL is
    /// the connection's).
    pub fn is_marketplace(self) -> bool {
        !matches!(self, ConnectorKind::Feed)
    }

    /// The connectors the registry reads.
    pub fn pullable_kinds() -> Vec<ConnectorKind> {
        <Self as strum::IntoEnumIterator>::iter()
            .filter(|k| k.pullable())
            .collect()
    }
}

code_enum!(
    /// Who manages a connection (docs/domain.md, trust): only a registry-managed one yields
    /// trusted evidence.
    ManagedBy {
        /// Set by an administrator or auditor, or obtained through the registry's own
        /// marketplace app.
        Registry,
        /// Credentials or URLs written by the measured subject itself.
        Owner,
    }
);

impl ManagedBy {
    /// Who manages what this actor writes.
    pub fn of(role: Role) -> Self {
        match role {
            Role::Admin | Role::Auditor => ManagedBy::Registry,
            _ => ManagedBy::Owner,
        }
    }
}

code_enum!(
    /// State of a sync run.
    RunStatus { Running, Succeeded, Failed }
);

code_enum!(
    /// State of a received webhook event.
    EventStatus { Pending, Processed, Failed }
);

code_enum!(
    /// Where a change request stands.
    RequestStatus { Pending, Approved, Rejected }
);

code_enum!(
    /// What started a sync run.
    RunTrigger {
        /// `POST /api/v1/channels/{id}/sync`.
        Api,
        /// `ocop-registry sync`.
        Cli,
        /// The background scheduler of a process.
        Scheduler,
        /// A shop just connected through the marketplace's consent.
        Connect,
        /// `serve --demo`.
        Demo,
    }
);

code_enum!(
    /// How one unit version succeeded another.
    LinkKind {
        /// Absorbed into another unit.
        Merged,
        /// Renamed or moved to another parent.
        Changed,
        /// Regrouped into a new unit (the reform of 1 July 2025).
        Succeeded,
    }
);

/// A sales platform or chain. The marketplaces the registry knows are one value each, whatever
/// spelling people use (the one alias table, [`Platform::parse`]); any other platform or chain
/// (Co.opmart, a Facebook page) keeps the name as written. Stored, sent and read as its code or
/// that name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String")]
pub enum Platform {
    Shopee,
    Lazada,
    Tiki,
    TiktokShop,
    Sendo,
    Postmart,
    Voso,
    /// The registry's generic JSON listing feed.
    Feed,
    /// A chain or platform the registry does not know by code, as its name was written.
    Other(String),
}

/// Each known platform's code and the spellings people use for it (lower case).
const PLATFORMS: &[(&str, &[&str])] = &[
    ("shopee", &["shopee"]),
    ("lazada", &["lazada"]),
    ("tiki", &["tiki"]),
    (
        "tiktok_shop",
        &["tiktok_shop", "tiktok shop", "tiktokshop", "tiktok"],
    ),
    ("sendo", &["sendo"]),
    ("postmart", &["postmart"]),
    ("voso", &["voso"]),
    ("feed", &["feed"]),
];

impl Platform {
    /// The platform a name written by a person (or a stored code) means: a known one by any of
    /// its spellings, otherwise the name itself, trimmed.
    pub fn parse(name: &str) -> Platform {
        let name = name.trim();
        let lower = name.to_lowercase();
        match PLATFORMS
            .iter()
            .find(|(_, aliases)| aliases.contains(&lower.as_str()))
            .map(|(code, _)| *code)
        {
            Some("shopee") => Platform::Shopee,
            Some("lazada") => Platform::Lazada,
            Some("tiki") => Platform::Tiki,
            Some("tiktok_shop") => Platform::TiktokShop,
            Some("sendo") => Platform::Sendo,
            Some("postmart") => Platform::Postmart,
            Some("voso") => Platform::Voso,
            Some("feed") => Platform::Feed,
            _ => Platform::Other(name.to_owned()),
        }
    }

    /// The known platforms' codes.
    pub fn known_codes() -> impl Iterator<Item = &'static str> {
        PLATFORMS.iter().map(|(code, _)| *code)
    }

    /// Its code (a known platform) or its name.
    pub fn code(&self) -> &str {
        match self {
            Platform::Shopee => "shopee",
            Platform::Lazada => "lazada",
            Platform::Tiki => "tiki",
            Platform::TiktokShop => "tiktok_shop",
            Platform::Sendo => "sendo",
            Platform::Postmart => "postmart",
            Platform::Voso => "voso",
            Platform::Feed => "feed",
            Platform::Other(name) => name,
        }
    }

    /// Whether the registry knows it by code.
    pub fn is_known(&self) -> bool {
        !matches!(self, Platform::Other(_))
    }

    /// The web sites its shops live on (a known marketplace's own; none for the others).
    pub fn sites(&self) -> &'static [&'static str] {
        match self {
            Platform::Shopee => &["shopee.vn"],
            Platform::Lazada => &["lazada.vn"],
            Platform::Tiki => &["tiki.vn"],
            Platform::TiktokShop => &["tiktok.com", "tiktokshop.com"],
            Platform::Sendo => &["sendo.vn"],
            Platform::Postmart => &["postmart.vn"],
            Platform::Voso => &["voso.vn"],
            Platform::Feed | Platform::Other(_) => &[],
        }
    }

    /// The connector the registry reads its shops through, when it has one.
    pub fn connector(&self) -> Option<ConnectorKind> {
        match self {
            Platform::Shopee => Some(ConnectorKind::Shopee),
            Platform::Lazada => Some(ConnectorKind::Lazada),
            Platform::TiktokShop => Some(ConnectorKind::TiktokShop),
            Platform::Feed => Some(ConnectorKind::Feed),
            _ => None,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Platform {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Platform::parse(s))
    }
}

impl From<ConnectorKind> for Platform {
    fn from(kind: ConnectorKind) -> Self {
        match kind {
            ConnectorKind::Shopee => Platform::Shopee,
            ConnectorKind::Lazada => Platform::Lazada,
            ConnectorKind::TiktokShop => Platform::TiktokShop,
            ConnectorKind::Feed => Platform::Feed,
        }
    }
}

impl serde::Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Platform::parse(&String::deserialize(d)?))
    }
}

impl utoipa::PartialSchema for Platform {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "A marketplace's code (shopee, lazada, tiki, tiktok_shop, sendo, postmart, voso, \
                 feed) or the name of another platform or chain",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Platform {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_is_known_by_any_spelling_and_others_keep_their_name() {
        assert_eq!(Platform::parse(" TikTok Shop "), Platform::TiktokShop);
        assert_eq!(Platform::parse("SHOPEE"), Platform::Shopee);
        assert_eq!(
            Platform::parse("Co.opmart"),
            Platform::Other("Co.opmart".into())
        );
        for code in Platform::known_codes() {
            assert_eq!(Platform::parse(code).code(), code);
        }
        assert_eq!(Platform::Other("WinMart".into()).to_string(), "WinMart");
    }
}

code_enum!(
    /// What a draft will become.
    DraftEntity {
        /// A subject (`POST /api/v1/subjects`): may lack `commune_id` and `tax_code`.
        Subject,
        /// A recognition of a product (`POST /api/v1/products/{id}/recognitions`): may lack
        /// `decision_no` and `decision_date`.
        Recognition,
        /// A product of a subject (`POST /api/v1/subjects/{id}/products`): may lack `group`.
        Product,
    }
);

code_enum!(
    /// A record whose status moves are dated (`status_event`): what the moves are of.
    Tracked { Certification, Area, Channel }
);

code_enum!(
    /// A status a dated move takes a tracked record from or to (`status_event`): a
    /// certification's or an area's ([`CertStatus`]), or a channel's verification
    /// ([`VerificationStatus`]).
    TrackedStatus { Submitted, Verified, Rejected, Suspended, Revoked, Declared }
);

impl From<CertStatus> for TrackedStatus {
    fn from(s: CertStatus) -> Self {
        match s {
            CertStatus::Submitted => TrackedStatus::Submitted,
            CertStatus::Verified => TrackedStatus::Verified,
            CertStatus::Rejected => TrackedStatus::Rejected,
            CertStatus::Suspended => TrackedStatus::Suspended,
            CertStatus::Revoked => TrackedStatus::Revoked,
        }
    }
}

impl From<VerificationStatus> for TrackedStatus {
    fn from(s: VerificationStatus) -> Self {
        match s {
            VerificationStatus::Declared => TrackedStatus::Declared,
            VerificationStatus::Verified => TrackedStatus::Verified,
            VerificationStatus::Rejected => TrackedStatus::Rejected,
        }
    }
}

code_enum!(
    /// What makes a channel count as modern on a day: an auditor's verification, an active
    /// listing the sync saw, or its owner's declaration (when the policy counts those).
    EvidencedBy { Verified, Observed, Declared }
);

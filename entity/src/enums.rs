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

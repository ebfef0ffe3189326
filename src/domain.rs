//! The registry's enumerations, shared by the API (as lowercase codes), the database (stored as
//! the same codes) and the services.

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, EnumIter, EnumString, IntoStaticStr};
use utoipa::ToSchema;

use crate::error::AppError;

/// Parses a code read back from the database; a failure means the row was written by something
/// other than this program.
pub fn from_db<T: std::str::FromStr>(column: &str, value: &str) -> Result<T, AppError> {
    value
        .parse()
        .map_err(|_| AppError::Internal(format!("unexpected {column} {value:?} in the database")))
}

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
                 AsRefStr, IntoStaticStr, EnumString, EnumIter)]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The code stored and sent for this value (serde and strum agree on snake_case).
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
    /// Level of an administrative unit.
    UnitLevel { Province, District, Commune }
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

//! The columns each kind of list may have: the heading the template writes, the API's field
//! name, and the other headings lists use for it. Headings match without accents, case or
//! punctuation (`Quận/Huyện` = `quan huyen`).

/// One column a kind of list may have.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The API's name (also a heading scripts may use).
    pub key: &'static str,
    /// The template's heading.
    pub vi: &'static str,
    /// Other headings seen in the departments' lists.
    pub aliases: &'static [&'static str],
    /// An example value for the template.
    pub example: &'static str,
}

const fn f(
    key: &'static str,
    vi: &'static str,
    aliases: &'static [&'static str],
    example: &'static str,
) -> Field {
    Field {
        key,
        vi,
        aliases,
        example,
    }
}

/// Where a subject is: shared by every kind of list that names a producer.
pub const SUBJECT: &[Field] = &[
    f("id", "Mã chủ thể", &["subject id", "subject_id"], ""),
    f(
        "name",
        "Tên chủ thể",
        &[
            "Chủ thể",
            "Chủ thể OCOP",
            "Tên chủ thể OCOP",
            "Đơn vị",
            "Tên đơn vị",
            "Cơ sở",
            "Tên cơ sở",
            "Chủ thể sản xuất",
            "Đơn vị sản xuất",
            "Subject",
        ],
        "HTX Nông nghiệp Tam Thăng",
    ),
    f(
        "legal_form",
        "Loại hình",
        &[
            "Loại hình chủ thể",
            "Loại hình tổ chức",
            "Loại hình doanh nghiệp",
        ],
        "Hợp tác xã",
    ),
    f(
        "tax_code",
        "Mã số thuế",
        &[
            "MST",
            "Mã số doanh nghiệp",
            "Mã số thuế/CCCD",
            "Số định danh",
        ],
        "4000123457",
    ),
    f(
        "province",
        "Tỉnh/Thành phố",
        &["Tỉnh", "Tỉnh/TP"],
        "Đà Nẵng",
    ),
    f(
        "district",
        "Quận/Huyện",
        &[
            "Huyện",
            "Huyện/Thị xã/Thành phố",
            "Huyện/Thị xã",
            "Huyện/TX/TP",
            "Địa bàn huyện",
        ],
        "",
    ),
    f(
        "commune_code",
        "Mã xã",
        &[
            "Mã xã/phường",
            "Mã đơn vị hành chính",
            "Mã ĐVHC",
            "Mã xã của chủ thể",
        ],
        "",
    ),
    f(
        "commune",
        "Xã/Phường",
        &[
            "Xã",
            "Phường/Xã",
            "Xã/Phường/Thị trấn",
            "Xã/Phường/Đặc khu",
            "Địa bàn xã",
            "commune_id",
        ],
        "Phường Tam Kỳ",
    ),
    f(
        "address",
        "Địa chỉ",
        &["Địa chỉ chủ thể", "Địa chỉ liên hệ"],
        "Thôn 1",
    ),
    f(
        "representative",
        "Người đại diện",
        &[
            "Đại diện",
            "Chủ hộ",
            "Chủ cơ sở",
            "Người đại diện theo pháp luật",
            "Giám đốc",
        ],
        "Nguyễn Thị Hoa",
    ),
    f(
        "phone",
        "Điện thoại",
        &["Số điện thoại", "SĐT", "ĐT", "Điện thoại liên hệ"],
        "0235 3 852 123",
    ),
    f(
        "email",
        "Email",
        &["Thư điện tử", "E-mail"],
        "htx@example.vn",
    ),
    f(
        "woman_led",
        "Phụ nữ làm chủ",
        &["Nữ làm chủ", "Chủ thể là nữ", "Do phụ nữ làm chủ"],
        "Có",
    ),
    f(
        "founded_on",
        "Ngày thành lập",
        &["Ngày thành lập chủ thể"],
        "01/03/2015",
    ),
];

/// A product and its recognition, after the columns of its subject.
pub const PRODUCT: &[Field] = &[
    f("product_id", "Mã sản phẩm", &["product id"], ""),
    f("recognition_id", "Mã công nhận", &["recognition id"], ""),
    f(
        "product_name",
        "Tên sản phẩm",
        &[
            "Sản phẩm",
            "Tên SP",
            "Sản phẩm OCOP",
            "Tên sản phẩm OCOP",
            "product",
            "product name",
        ],
        "Trà xanh Tam Thăng",
    ),
    f(
        "group",
        "Nhóm sản phẩm",
        &["Nhóm", "Nhóm ngành", "Bộ sản phẩm", "product group"],
        "Đồ uống",
    ),
    f(
        "subgroup",
        "Phân nhóm",
        &["Phân nhóm sản phẩm", "product subgroup"],
        "",
    ),
    f(
        "description",
        "Mô tả",
        &["Mô tả sản phẩm", "product description"],
        "",
    ),
    f(
        "stars",
        "Hạng sao",
        &[
            "Số sao",
            "Xếp hạng",
            "Hạng",
            "Sao",
            "Kết quả xếp hạng",
            "Hạng sao OCOP",
        ],
        "4 sao",
    ),
    f(
        "potential_five_star",
        "Tiềm năng 5 sao",
        &["Tiềm năng 5★", "Sản phẩm tiềm năng 5 sao"],
        "",
    ),
    f("score", "Điểm", &["Điểm đánh giá", "Tổng điểm"], "78"),
    f("year", "Năm công nhận", &["Năm", "Năm đánh giá"], "2024"),
    f(
        "decision_no",
        "Số quyết định",
        &[
            "Số QĐ",
            "Quyết định",
            "Quyết định công nhận",
            "Số quyết định công nhận",
        ],
        "1234/QĐ-UBND",
    ),
    f(
        "decision_date",
        "Ngày quyết định",
        &["Ngày QĐ", "Ngày công nhận", "Ngày ban hành", "Ngày ký"],
        "15/08/2024",
    ),
    f(
        "authority",
        "Cơ quan công nhận",
        &["Cơ quan ban hành", "Cấp công nhận", "Đơn vị công nhận"],
        "UBND tỉnh Quảng Nam",
    ),
];

/// What names the subject of a list of evidence (areas, certifications, channels): its id, tax
/// code, or name and place — no more, since such lists do not register subjects.
const OWNER: &[&str] = &[
    "id",
    "name",
    "tax_code",
    "province",
    "district",
    "commune_code",
    "commune",
];

/// A raw-material area and its linkage contract, after the columns of its subject.
pub const AREA: &[Field] = &[
    f("record_id", "Mã vùng", &["area_id"], ""),
    f(
        "area_name",
        "Tên vùng nguyên liệu",
        &["Vùng nguyên liệu", "Tên vùng", "Vùng trồng", "area name"],
        "Vùng chè Tam Thăng",
    ),
    f(
        "area_commune_code",
        "Mã xã của vùng",
        &["area commune code"],
        "",
    ),
    f(
        "area_commune",
        "Xã của vùng",
        &[
            "Địa bàn vùng",
            "Xã vùng nguyên liệu",
            "Vị trí vùng",
            "area commune",
        ],
        "Phường Tam Kỳ",
    ),
    f(
        "material",
        "Nguyên liệu",
        &[
            "Loại nguyên liệu",
            "Cây trồng/vật nuôi",
            "Cây trồng",
            "Vật nuôi",
        ],
        "Chè",
    ),
    f(
        "variety",
        "Giống",
        &["Giống cây trồng", "Giống vật nuôi"],
        "Chè xanh",
    ),
    f(
        "area_ha",
        "Diện tích (ha)",
        &["Diện tích", "Quy mô (ha)", "Quy mô", "Diện tích ha"],
        "12,5",
    ),
    f(
        "tenure",
        "Hình thức",
        &["Hình thức sử dụng đất", "Hình thức quản lý", "Loại vùng"],
        "Liên kết",
    ),
    f(
        "growing_area_code",
        "Mã số vùng trồng",
        &["Mã vùng trồng", "Mã số vùng nuôi", "MSVT"],
        "VN-QNA-0123",
    ),
    f("valid_from", "Hiệu lực từ", &["Từ ngày"], "01/01/2024"),
    f("valid_to", "Hiệu lực đến", &["Đến ngày"], ""),
    f(
        "geometry",
        "Ranh giới (GeoJSON)",
        &["Ranh giới", "GeoJSON", "Tọa độ"],
        "",
    ),
    f(
        "contract_no",
        "Số hợp đồng liên kết",
        &["Số hợp đồng", "Hợp đồng liên kết"],
        "05/2024/HĐLK",
    ),
    f(
        "counterparty",
        "Bên liên kết",
        &["Đối tác liên kết", "Bên tham gia liên kết"],
        "Tổ hợp tác chè Tam Thăng",
    ),
    f(
        "counterparty_kind",
        "Loại bên liên kết",
        &["Loại đối tác"],
        "Tổ hợp tác",
    ),
    f(
        "households",
        "Số hộ tham gia",
        &["Số hộ", "Số hộ liên kết"],
        "42",
    ),
    f(
        "start_on",
        "Ngày bắt đầu hợp đồng",
        &["Ngày ký hợp đồng", "Hợp đồng từ ngày"],
        "01/01/2024",
    ),
    f(
        "end_on",
        "Ngày kết thúc hợp đồng",
        &["Hợp đồng đến ngày", "Ngày hết hạn hợp đồng"],
        "31/12/2028",
    ),
];

/// A certification, after the columns of its subject.
pub const CERTIFICATION: &[Field] = &[
    f("record_id", "Mã chứng nhận", &["certification_id"], ""),
    f(
        "scheme",
        "Loại chứng nhận",
        &[
            "Chứng nhận",
            "Tiêu chuẩn",
            "Tên loại chứng nhận",
            "Chương trình chứng nhận",
        ],
        "VietGAP",
    ),
    f(
        "certificate_no",
        "Số giấy chứng nhận",
        &["Số chứng nhận", "Số GCN", "Mã số chứng nhận"],
        "VG-2024-0101",
    ),
    f(
        "issuer",
        "Tổ chức cấp",
        &["Tổ chức chứng nhận", "Đơn vị cấp", "Nơi cấp", "Cơ quan cấp"],
        "Trung tâm Chứng nhận Phù hợp",
    ),
    f(
        "issued_on",
        "Ngày cấp",
        &["Ngày cấp chứng nhận"],
        "15/03/2024",
    ),
    f(
        "expires_on",
        "Ngày hết hạn",
        &["Hết hạn", "Có hiệu lực đến", "Hiệu lực đến"],
        "15/03/2026",
    ),
    f(
        "product",
        "Sản phẩm được chứng nhận",
        &["Sản phẩm", "Mã sản phẩm", "product_id"],
        "",
    ),
    f(
        "area",
        "Vùng được chứng nhận",
        &["Vùng nguyên liệu", "Mã vùng nguyên liệu", "area_id"],
        "",
    ),
    f(
        "evidence_url",
        "Minh chứng",
        &["Đường dẫn minh chứng", "Đường dẫn tài liệu"],
        "",
    ),
    f(
        "evidence_sha256",
        "SHA-256 minh chứng",
        &["SHA-256", "SHA256"],
        "",
    ),
];

/// A sales channel, after the columns of its subject.
pub const CHANNEL: &[Field] = &[
    f("record_id", "Mã kênh", &["channel_id"], ""),
    f(
        "kind",
        "Loại kênh",
        &["Kênh", "Loại kênh bán hàng", "Hình thức bán"],
        "Sàn thương mại điện tử",
    ),
    f(
        "platform",
        "Sàn / chuỗi",
        &[
            "Sàn",
            "Sàn TMĐT",
            "Nền tảng",
            "Chuỗi siêu thị",
            "Hệ thống phân phối",
        ],
        "shopee",
    ),
    f(
        "shop_url",
        "Đường dẫn gian hàng",
        &["Link gian hàng", "Địa chỉ gian hàng", "Gian hàng"],
        "https://shopee.vn/htx.tamthang",
    ),
    f("shop_id", "Mã gian hàng", &["ID gian hàng", "Shop ID"], ""),
    f(
        "active_from",
        "Hoạt động từ",
        &["Bán từ ngày", "Ngày mở gian hàng"],
        "01/03/2024",
    ),
    f("active_to", "Hoạt động đến", &["Ngừng bán từ"], ""),
    f("evidence_url", "Minh chứng", &["Đường dẫn minh chứng"], ""),
];

/// The columns a kind of list may have.
pub fn of(kind: super::dto::ImportKind) -> Vec<Field> {
    match kind {
        super::dto::ImportKind::Subjects => SUBJECT.to_vec(),
        super::dto::ImportKind::Products => PRODUCT.iter().chain(SUBJECT).copied().collect(),
        super::dto::ImportKind::Areas => with_owner(AREA),
        super::dto::ImportKind::Certifications => with_owner(CERTIFICATION),
        super::dto::ImportKind::Channels => with_owner(CHANNEL),
    }
}

fn with_owner(fields: &[Field]) -> Vec<Field> {
    fields
        .iter()
        .chain(SUBJECT.iter().filter(|f| OWNER.contains(&f.key)))
        .copied()
        .collect()
}

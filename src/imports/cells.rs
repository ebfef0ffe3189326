//! Values as Vietnamese lists write them, read into the API's values: legal forms by name or
//! abbreviation, dates `dd/mm/yyyy`, ISO or a spreadsheet's day number, yes/no, stars.

use chrono::{Datelike, NaiveDate};
use strum::IntoEnumIterator;

use super::read::Value;
use crate::domain::{ChannelKind, CounterpartyKind, LegalForm, ProductGroup, Tenure};
use crate::i18n::Lang;

/// Folded (no accents, lower case) with every run of punctuation a single space: `Quận/Huyện`
/// and `quan huyen` are the same heading.
pub fn normalize(s: &str) -> String {
    crate::text::fold(s)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that name each legal form, as lists write them (normalized), longest first where one
/// begins another.
const LEGAL_WORDS: &[(&str, LegalForm)] = &[
    ("lien hiep hop tac xa", LegalForm::CooperativeUnion),
    ("lien hiep htx", LegalForm::CooperativeUnion),
    ("hop tac xa", LegalForm::Cooperative),
    ("htx", LegalForm::Cooperative),
    ("to hop tac", LegalForm::CooperativeGroup),
    ("tht", LegalForm::CooperativeGroup),
    ("ho kinh doanh", LegalForm::HouseholdBusiness),
    ("hkd", LegalForm::HouseholdBusiness),
    ("co so san xuat", LegalForm::ProductionFacility),
    ("co so", LegalForm::ProductionFacility),
    ("doanh nghiep", LegalForm::Enterprise),
    ("cong ty", LegalForm::Enterprise),
    ("dntn", LegalForm::Enterprise),
    ("dn", LegalForm::Enterprise),
    ("ct", LegalForm::Enterprise),
];

/// A legal form written as its code, its name in either language, a usual abbreviation, or
/// a longer name that opens with one (`Công ty TNHH`, `Công ty CP`, `HTX dịch vụ`).
pub fn legal_form(s: &str) -> Option<LegalForm> {
    coded(s, "legal", LEGAL_WORDS).or_else(|| legal_form_in_name(s))
}

/// A phone number as a spreadsheet may have kept it: typed as a number, it lost its leading
/// zero (`905444555`) or its plus (`84905333444`). Other writing is left to the API's rules.
pub fn phone(s: &str) -> String {
    let t = s.trim();
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return t.to_owned();
    }
    match (t.len(), t.as_bytes().first()) {
        // +84 and nine digits of a mobile or ten of a landline.
        (11 | 12, _) if t.starts_with("84") => format!("+{t}"),
        // A mobile (03, 05, 07, 08, 09) or a landline (02…) without its zero.
        (9, Some(b'3' | b'5' | b'7' | b'8' | b'9')) | (10, Some(b'2')) => format!("0{t}"),
        _ => t.to_owned(),
    }
}

/// A tax code as a spreadsheet may have kept it: typed as a number, a code that begins with 0
/// lost it — a tax code's nine digits left (`100233488` for 0100233488, restored only when the
/// check digit then holds) or a personal identification number's eleven (`49101013699` for
/// 049101013699: no other id has eleven digits). Twelve digits stay as they are: a personal
/// number, not a branch's code that lost its zero. Otherwise the text goes to the API's rules,
/// which say what is wrong.
pub fn tax_code(s: &str) -> String {
    let t = s.trim();
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return t.to_owned();
    }
    match t.len() {
        9 if crate::validate::parse_tax_id(&format!("0{t}")).is_ok() => format!("0{t}"),
        11 => format!("0{t}"),
        _ => t.to_owned(),
    }
}

/// The legal form a subject's own name states (`HTX Nông nghiệp Tam Thăng`, `Công ty TNHH …`,
/// `Hộ kinh doanh …`, `Cơ sở …`): how lists without a form column say it.
pub fn legal_form_in_name(name: &str) -> Option<LegalForm> {
    let n = normalize(name);
    LEGAL_WORDS
        .iter()
        .find(|(w, _)| n.starts_with(&format!("{w} ")))
        .map(|(_, f)| *f)
}

/// A product group of Decision 148/QĐ-TTg, as lists name it (or its code).
pub fn product_group(s: &str) -> Option<ProductGroup> {
    const WORDS: &[(&str, ProductGroup)] = &[
        ("thuc pham", ProductGroup::Food),
        ("do uong", ProductGroup::Beverage),
        ("duoc lieu", ProductGroup::Herbal),
        ("duoc lieu va san pham tu duoc lieu", ProductGroup::Herbal),
        ("thao duoc", ProductGroup::Herbal),
        ("thu cong my nghe", ProductGroup::Handicraft),
        ("hang thu cong my nghe", ProductGroup::Handicraft),
        ("my nghe", ProductGroup::Handicraft),
        ("sinh vat canh", ProductGroup::Ornamental),
        ("du lich", ProductGroup::Tourism),
        ("dich vu du lich", ProductGroup::Tourism),
        (
            "dich vu du lich cong dong du lich sinh thai va diem du lich",
            ProductGroup::Tourism,
        ),
    ];
    coded(s, "product-group", WORDS)
}

/// A value of one of the registry's enumerations as a list writes it: its code, its label in
/// either language (the catalogue's `prefix-code`), or one of the usual `words` (normalized).
pub fn coded<E>(s: &str, prefix: &str, words: &[(&str, E)]) -> Option<E>
where
    E: IntoEnumIterator + Copy + Into<&'static str>,
{
    let n = normalize(s);
    E::iter()
        .find(|e| {
            let code: &'static str = (*e).into();
            let key = format!("{prefix}-{code}");
            n == normalize(code)
                || [Lang::Vi, Lang::En]
                    .iter()
                    .any(|l| n == normalize(&l.t_or(&key, code)))
        })
        .or_else(|| words.iter().find(|(w, _)| n == *w).map(|(_, e)| *e))
}

/// How a subject holds an area, as lists write it.
pub fn tenure(s: &str) -> Option<Tenure> {
    coded(
        s,
        "tenure",
        &[
            ("tu co", Tenure::Own),
            ("so huu", Tenure::Own),
            ("dat rieng", Tenure::Own),
            ("cua chu the", Tenure::Own),
            ("thue", Tenure::Leased),
            ("di thue", Tenure::Leased),
            ("thue dat", Tenure::Leased),
            ("lien ket", Tenure::Linked),
            ("vung lien ket", Tenure::Linked),
        ],
    )
}

/// The other side of a linkage contract, as lists write it.
pub fn counterparty_kind(s: &str) -> Option<CounterpartyKind> {
    coded(
        s,
        "counterparty",
        &[
            ("ho nong dan", CounterpartyKind::Households),
            ("nong ho", CounterpartyKind::Households),
            ("ho gia dinh", CounterpartyKind::Households),
            ("cac ho", CounterpartyKind::Households),
            ("hop tac xa", CounterpartyKind::Cooperative),
            ("htx", CounterpartyKind::Cooperative),
            ("to hop tac", CounterpartyKind::CooperativeGroup),
            ("tht", CounterpartyKind::CooperativeGroup),
            ("doanh nghiep", CounterpartyKind::Enterprise),
            ("cong ty", CounterpartyKind::Enterprise),
        ],
    )
}

/// A kind of sales channel, as lists write it.
pub fn channel_kind(s: &str) -> Option<ChannelKind> {
    coded(
        s,
        "kind",
        &[
            ("san tmdt", ChannelKind::Marketplace),
            ("san", ChannelKind::Marketplace),
            ("thuong mai dien tu", ChannelKind::Marketplace),
            ("mang xa hoi", ChannelKind::SocialCommerce),
            ("ban hang qua mang xa hoi", ChannelKind::SocialCommerce),
            ("website", ChannelKind::OwnWebshop),
            ("trang web", ChannelKind::OwnWebshop),
            ("sieu thi", ChannelKind::SupermarketChain),
            ("he thong sieu thi", ChannelKind::SupermarketChain),
            ("cua hang tien loi", ChannelKind::ConvenienceChain),
            ("diem ban ocop", ChannelKind::OcopShowroom),
            ("diem gioi thieu san pham ocop", ChannelKind::OcopShowroom),
            ("xuat khau", ChannelKind::Export),
            ("cho", ChannelKind::Traditional),
        ],
    )
}

/// A decimal as Vietnamese write it (`12,5`, `1.234,5`) or as a spreadsheet gives it
/// (`12.5`), with a point for the API.
pub fn decimal(s: &str) -> String {
    let t = s.trim().replace(' ', "");
    // With both marks, the last is the decimal one (`1.234,5` as Vietnamese write it, `1,234.5`
    // as an English spreadsheet does).
    match (t.rfind(','), t.rfind('.')) {
        (Some(c), Some(d)) if d > c => t.replace(',', ""),
        (Some(_), _) => t.replace('.', "").replace(',', "."),
        _ => t,
    }
}

/// Stars as lists write them: `3`, `3 sao`, `3★`, `3*`; "tiềm năng 5 sao" (a 4★ product the
/// council found has five-star potential, as the programme records it) is 4★ with the flag.
pub fn stars(s: &str) -> Option<(i16, bool)> {
    let n = normalize(&s.replace(['★', '*', '☆'], " sao "));
    if n.contains("tiem nang") {
        return n.contains('5').then_some((4, true));
    }
    let digits: Vec<i16> = n.split(' ').filter_map(|w| w.parse::<i16>().ok()).collect();
    match digits.as_slice() {
        [d] if (3..=5).contains(d)
            && n.split(' ').all(|w| w == "sao" || w.parse::<i16>().is_ok()) =>
        {
            Some((*d, false))
        }
        _ => None,
    }
}

/// A date as written: a spreadsheet date, `dd/mm/yyyy` (also `-` or `.`), `yyyy-mm-dd`, or a
/// spreadsheet's day number typed as text (`45474`).
pub fn date(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Date(d) => Some(*d),
        Value::Text(t) => {
            let t = t.trim();
            if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                return Some(d);
            }
            for f in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] {
                if let Ok(d) = NaiveDate::parse_from_str(t, f)
                    && d.year() >= 1000
                {
                    return Some(d);
                }
            }
            // Day numbers between 1954 and 2119: a spreadsheet date that lost its format.
            match t.parse::<i64>() {
                Ok(n) if (20_000..80_000).contains(&n) => NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|e| e.checked_add_days(chrono::Days::new(n as u64))),
                _ => None,
            }
        }
    }
}

/// A year alone (`2022`), where a column allows one.
pub fn year(v: &Value) -> Option<i32> {
    match v {
        Value::Text(t) => t
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2018..=2100).contains(y)),
        Value::Date(_) => None,
    }
}

/// Yes or no as people write it (`x`, `có`, `yes`, `1`; `không`, `no`, `0`).
pub fn yes_no(s: &str) -> Option<bool> {
    match normalize(s).as_str() {
        "x" | "co" | "yes" | "true" | "1" | "c" => Some(true),
        "khong" | "no" | "false" | "0" | "k" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_forms_by_name_abbreviation_or_code() {
        assert_eq!(legal_form("Hợp tác xã"), Some(LegalForm::Cooperative));
        assert_eq!(legal_form("HTX"), Some(LegalForm::Cooperative));
        assert_eq!(
            legal_form("hộ kinh doanh"),
            Some(LegalForm::HouseholdBusiness)
        );
        assert_eq!(
            legal_form("cooperative_group"),
            Some(LegalForm::CooperativeGroup)
        );
        assert_eq!(legal_form("Công ty"), Some(LegalForm::Enterprise));
        assert_eq!(legal_form("thực phẩm"), None);
        assert_eq!(
            legal_form_in_name("HTX Nông nghiệp Tam Thăng"),
            Some(LegalForm::Cooperative)
        );
        assert_eq!(
            legal_form_in_name("Công ty TNHH Sâm Ngọc Linh"),
            Some(LegalForm::Enterprise)
        );
        assert_eq!(legal_form_in_name("Nguyễn Văn A"), None);
    }

    #[test]
    fn numbers_a_spreadsheet_typed_are_restored() {
        assert_eq!(phone("905444555"), "0905444555");
        assert_eq!(phone("84905333444"), "+84905333444");
        assert_eq!(phone("2353852123"), "02353852123");
        assert_eq!(phone("0235 3 852 123"), "0235 3 852 123");
        assert_eq!(phone("12345"), "12345");
        assert_eq!(tax_code("100233488"), "0100233488");
        assert_eq!(tax_code("49101013699"), "049101013699");
        // Twelve digits are a personal number as they stand.
        assert_eq!(tax_code("049101457096"), "049101457096");
        // No check digit to hold: left for the API to refuse.
        assert_eq!(tax_code("100233487"), "100233487");
        assert_eq!(tax_code("4000101453"), "4000101453");
        assert_eq!(decimal("1.234,5"), "1234.5");
        assert_eq!(decimal("1,234.5"), "1234.5");
        assert_eq!(decimal("12,5"), "12.5");
        assert_eq!(decimal("12.5"), "12.5");
        assert_eq!(legal_form("Công ty TNHH"), Some(LegalForm::Enterprise));
        assert_eq!(legal_form("Công ty CP"), Some(LegalForm::Enterprise));
        assert_eq!(legal_form("THT"), Some(LegalForm::CooperativeGroup));
        assert_eq!(legal_form("Cơ sở"), Some(LegalForm::ProductionFacility));
    }

    #[test]
    fn stars_and_groups_as_lists_write_them() {
        for (s, want) in [
            ("3", Some((3, false))),
            ("4 sao", Some((4, false))),
            ("5★", Some((5, false))),
            ("3*", Some((3, false))),
            ("Tiềm năng 5 sao", Some((4, true))),
            ("4 sao (tiềm năng 5 sao)", Some((4, true))),
            ("2 sao", None),
            ("ba sao", None),
        ] {
            assert_eq!(stars(s), want, "{s}");
        }
        assert_eq!(product_group("Thực phẩm"), Some(ProductGroup::Food));
        assert_eq!(product_group("đồ uống"), Some(ProductGroup::Beverage));
        assert_eq!(product_group("herbal"), Some(ProductGroup::Herbal));
        assert_eq!(product_group("nông sản"), None);
    }

    #[test]
    fn dates_as_lists_write_them() {
        let d = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        for s in [
            "01/07/2024",
            "1/7/2024",
            "2024-07-01",
            "01-07-2024",
            "01.07.2024",
            "45474",
        ] {
            assert_eq!(date(&Value::Text(s.to_owned())), Some(d), "{s}");
        }
        assert_eq!(date(&Value::Text("31/02/2024".to_owned())), None);
        assert_eq!(date(&Value::Text("2024".to_owned())), None);
        assert_eq!(year(&Value::Text("2022".to_owned())), Some(2022));
        assert_eq!(year(&Value::Text("22".to_owned())), None);
    }
}

//! The demo's register: subjects over real communes, with their products and star
//! recognitions, and (through [`super::evidence`]) their areas, certifications and channels.

use std::collections::HashMap;

use chrono::Datelike;
use entity::unit;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Counts, DEMO_SUBJECTS, date, fail, pick, places, tax_code};
use crate::auth::Actor;
use crate::domain::{LegalForm, ProductGroup, RecognitionKind};
use crate::error::{AppError, AppResult};
use crate::products::dto::{CreateProduct, CreateRecognition, RevokeRecognition};
use crate::subjects::dto::{CreateSubject, SubjectView};
use crate::unit_graph::{UnitGraph, valid_on};
use crate::units::dataset::REFORM_2025_07;
use crate::{products, subjects};

/// Products the demo draws from: (name, group, subgroup).
const PRODUCTS: &[(&str, ProductGroup, &str)] = &[
    ("Mì Quảng", ProductGroup::Food, "Thực phẩm chế biến"),
    ("Nước mắm cá cơm", ProductGroup::Food, "Gia vị"),
    ("Bánh tráng nướng", ProductGroup::Food, "Thực phẩm chế biến"),
    ("Tỏi cô đơn", ProductGroup::Food, "Nông sản"),
    ("Mật ong rừng", ProductGroup::Food, "Nông sản"),
    ("Gạo hữu cơ", ProductGroup::Food, "Nông sản"),
    ("Bánh tổ", ProductGroup::Food, "Thực phẩm chế biến"),
    ("Trà sâm", ProductGroup::Beverage, "Trà"),
    ("Rượu Hồng Đào", ProductGroup::Beverage, "Đồ uống có cồn"),
    ("Chè xanh", ProductGroup::Beverage, "Trà"),
    ("Cà phê rang xay", ProductGroup::Beverage, "Cà phê"),
    ("Sâm Ngọc Linh", ProductGroup::Herbal, "Dược liệu"),
    ("Quế Trà My", ProductGroup::Herbal, "Dược liệu"),
    ("Cao ba kích", ProductGroup::Herbal, "Sản phẩm từ dược liệu"),
    ("Dầu tràm", ProductGroup::Herbal, "Sản phẩm từ dược liệu"),
    ("Dệt thổ cẩm", ProductGroup::Handicraft, "Dệt may"),
    ("Gốm Thanh Hà", ProductGroup::Handicraft, "Gốm sứ"),
    ("Mây tre đan", ProductGroup::Handicraft, "Mây tre"),
    ("Chiếu cói", ProductGroup::Handicraft, "Thủ công"),
    ("Lan rừng", ProductGroup::Ornamental, "Hoa"),
    ("Bonsai mai vàng", ProductGroup::Ornamental, "Cây cảnh"),
    (
        "Du lịch cộng đồng rừng dừa",
        ProductGroup::Tourism,
        "Du lịch cộng đồng",
    ),
    ("Homestay làng cổ", ProductGroup::Tourism, "Điểm du lịch"),
];

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Đỗ",
];
const GIVEN: &[&str] = &[
    "Thị Hoa",
    "Văn Minh",
    "Thị Lan",
    "Văn Hùng",
    "Thị Mai",
    "Văn Tâm",
    "Thị Hạnh",
    "Văn Phúc",
    "Thị Thu",
    "Văn Sơn",
    "Thị Nga",
    "Văn Long",
];

/// Registers the demo's subjects and everything they hold.
pub(super) async fn load(db: &DatabaseConnection) -> AppResult<Counts> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let mut rng = StdRng::seed_from_u64(0x0C0F_2025);
    let places = Communes::read(db).await?;
    let mut counts = Counts {
        subjects: DEMO_SUBJECTS,
        ..Counts::default()
    };
    let mut revoked_one = false;
    for i in 0..DEMO_SUBJECTS {
        let (subject, commune) = register(db, &actor, &mut rng, i, &places).await?;
        let registered_after_reform = i % 8 == 7;
        let at = (&mut rng, places::anchor(&places.graph, commune));
        super::evidence::evidence(db, &actor, at, i, &subject, &mut counts).await?;
        let (c, revoked) = (&mut counts, &mut revoked_one);
        products_of(
            db,
            &actor,
            &mut rng,
            &subject,
            registered_after_reform,
            c,
            revoked,
        )
        .await?;
    }
    Ok(counts)
}

/// The communes the demo's subjects are in: Quảng Nam's before the reform, and the Đà Nẵng
/// communes they became: the README's walk-through (unit 49 on 30/06/2025) shows the demo
/// whole. A few subjects are elsewhere in the country, as a national registry has them.
struct Communes {
    old: Vec<unit::Model>,
    new: Vec<unit::Model>,
    elsewhere: Vec<unit::Model>,
    /// Names of the units above communes, by id.
    parents: HashMap<Uuid, String>,
    graph: std::sync::Arc<UnitGraph>,
}

impl Communes {
    async fn read(db: &DatabaseConnection) -> AppResult<Self> {
        let before_reform = date(2024, 12, 31);
        let communes = unit::Entity::find()
            .filter(unit::Column::Level.eq(crate::domain::UnitLevel::Commune))
            .order_by_asc(unit::Column::Code)
            .order_by_asc(unit::Column::ValidFrom)
            .all(db)
            .await?;
        // Quảng Nam's communes before the reform, and the Đà Nẵng communes they became: the
        // README's walk-through (unit 49 on 30/06/2025) shows the demo whole. A few subjects are
        // elsewhere in the country, as a national registry has them.
        let quang_nam = crate::units::service::by_code_on(db, "49", before_reform).await?;
        let graph = crate::unit_graph::UnitGraph::load(db).await?;
        let reach = graph.reach(quang_nam.id);
        let old: Vec<unit::Model> = communes
            .iter()
            .filter(|u| valid_on(u, before_reform) && reach.contains(&u.id))
            .cloned()
            .collect();
        let new: Vec<unit::Model> = communes
            .iter()
            .filter(|u| valid_on(u, REFORM_2025_07) && reach.contains(&u.id))
            .cloned()
            .collect();
        let elsewhere: Vec<unit::Model> = communes
            .iter()
            .filter(|u| valid_on(u, before_reform) && !reach.contains(&u.id))
            .cloned()
            .collect();
        if old.is_empty() || new.is_empty() || elsewhere.is_empty() {
            return Err(AppError::Internal("no communes loaded".to_owned()));
        }
        let communes_parents: HashMap<Uuid, String> = unit::Entity::find()
            .filter(unit::Column::Level.ne(crate::domain::UnitLevel::Commune))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        Ok(Self {
            old,
            new,
            elsewhere,
            parents: communes_parents,
            graph,
        })
    }
}

/// Registers subject number `i`; returns it and its commune.
async fn register(
    db: &DatabaseConnection,
    actor: &Actor,
    rng: &mut StdRng,
    i: usize,
    places: &Communes,
) -> AppResult<(SubjectView, Uuid)> {
    // Roughly the national mix of December 2024.
    let form = match i % 50 {
        0..=15 => LegalForm::Cooperative,
        16..=26 => LegalForm::Enterprise,
        27..=37 => LegalForm::HouseholdBusiness,
        38..=42 => LegalForm::ProductionFacility,
        43..=48 => LegalForm::CooperativeGroup,
        _ => LegalForm::CooperativeUnion,
    };
    // One in eight registered after 1 July 2025, in a new Đà Nẵng commune; one in
    // twenty-five in another province.
    let commune = if i % 8 == 7 {
        pick(rng, &places.new)
    } else if i % 25 == 24 {
        pick(rng, &places.elsewhere)
    } else {
        pick(rng, &places.old)
    };
    let bare = |name: &str| {
        [
            "Thị trấn ",
            "Phường ",
            "Quận ",
            "Xã ",
            "Thành phố ",
            "Thị xã ",
            "Huyện ",
            "Đặc khu ",
        ]
        .iter()
        .fold(name, |n, p| n.trim_start_matches(p))
        .to_owned()
    };
    let place = bare(&commune.name);
    // Enterprises take the district's name (Công ty TNHH … Điện Bàn), as they often do.
    let district = commune
        .parent_id
        .and_then(|p| places.parents.get(&p))
        .map_or_else(|| place.clone(), |name| bare(name));
    let person = format!("{} {}", pick(rng, FAMILY), pick(rng, GIVEN));
    let (theme, _, _) = *pick(rng, PRODUCTS);
    let name = match form {
        LegalForm::Cooperative => format!("HTX Nông nghiệp {place} {}", i + 1),
        LegalForm::CooperativeUnion => format!("Liên hiệp HTX {place}"),
        LegalForm::Enterprise => format!("Công ty TNHH {theme} {district} {}", i + 1),
        LegalForm::HouseholdBusiness => format!("Hộ kinh doanh {person}"),
        LegalForm::ProductionFacility => format!("Cơ sở sản xuất {theme} {person}"),
        LegalForm::CooperativeGroup => format!("Tổ hợp tác {theme} {place}"),
    };
    let tax = match form {
        LegalForm::HouseholdBusiness => Some(format!("049{:09}", 100_000_000 + i * 7919)),
        LegalForm::CooperativeGroup | LegalForm::ProductionFacility if i.is_multiple_of(2) => None,
        _ => Some(tax_code(rng)),
    };
    let subject = subjects::service::create(
        db,
        actor,
        CreateSubject {
            name,
            legal_form: form,
            tax_code: tax
                .map(|t| crate::validate::parse_tax_id(&t))
                .transpose()
                .map_err(|e| AppError::Internal(format!("demo tax code: {e}")))?,
            commune_id: commune.id,
            address: Some(format!("Thôn {}, {}", rng.random_range(1..9), commune.name)),
            representative: Some(person),
            phone: Some(crate::validate::Phone(format!(
                "0905{:06}",
                rng.random_range(0..1_000_000)
            ))),
            email: i
                .is_multiple_of(3)
                .then(|| format!("ocop{}@example.vn", i + 1)),
            woman_led: rng.random_bool(0.4),
            founded_on: Some(date(
                2005 + rng.random_range(0..15),
                rng.random_range(1..13),
                1,
            )),
        },
    )
    .await
    .map_err(fail)?;
    Ok((subject, commune.id))
}

/// One to three products of `subject`, each with a star recognition; the first of 2023 met is
/// revoked.
async fn products_of(
    db: &DatabaseConnection,
    actor: &Actor,
    rng: &mut StdRng,
    subject: &SubjectView,
    registered_after_reform: bool,
    counts: &mut Counts,
    revoked_one: &mut bool,
) -> AppResult<()> {
    for _ in 0..rng.random_range(1..=3) {
        let (pname, group, subgroup) = *pick(rng, PRODUCTS);
        let product = products::service::create(
            db,
            actor,
            subject.id,
            CreateProduct {
                name: format!(
                    "{pname} {}",
                    subject.name.split_whitespace().last().unwrap_or("")
                ),
                group,
                subgroup: Some(subgroup.to_owned()),
                description: None,
            },
        )
        .await
        .map_err(fail)?;
        counts.products += 1;
        // Most decided from July 2022 to June 2025 (in force on 30/06/2025, the README's
        // date), some long expired (2019-2021), the newest after the reform.
        let decision = if registered_after_reform {
            date(2025, rng.random_range(8..12), rng.random_range(1..28))
        } else if rng.random_bool(0.12) {
            date(
                2019 + rng.random_range(0..3),
                rng.random_range(1..13),
                rng.random_range(1..28),
            )
        } else {
            date(2022, 7, 1)
                .checked_add_days(chrono::Days::new(rng.random_range(0..1090)))
                .unwrap_or(date(2022, 7, 1))
        };
        let stars = match rng.random_range(0..100) {
            0..=2 => 5,
            3..=17 => 4,
            _ => 3,
        };
        let rec = products::service::create_recognition(
            db,
            actor,
            product.id,
            CreateRecognition {
                stars,
                potential_five_star: stars == 4 && rng.random_bool(0.2),
                score: Some(crate::validate::Score(rust_decimal::Decimal::new(
                    i64::from(50 + stars * 8 + rng.random_range(0..8)) * 10
                        + i64::from(rng.random_range(0..10)),
                    1,
                ))),
                decision_no: format!("{}/QĐ-UBND", 1000 + counts.recognitions),
                decision_date: decision,
                authority: if stars == 5 {
                    "Thủ tướng Chính phủ".to_owned()
                } else {
                    "UBND tỉnh Quảng Nam".to_owned()
                },
                batch: Some(format!("Đợt {}", rng.random_range(1..4))),
                kind: RecognitionKind::New,
                valid_until: None,
            },
        )
        .await
        .map_err(fail)?;
        counts.recognitions += 1;
        if !*revoked_one && decision.year() == 2023 {
            products::service::revoke(
                db,
                actor,
                rec.id,
                crate::version::ExpectedVersion(None),
                RevokeRecognition {
                    revoked_on: decision
                        .checked_add_days(chrono::Days::new(200))
                        .unwrap_or(decision),
                    decision_no: "245/QĐ-UBND".to_owned(),
                    reason: "Chủ thể không duy trì chất lượng sản phẩm theo hồ sơ đánh giá"
                        .to_owned(),
                },
            )
            .await
            .map_err(fail)?;
            *revoked_one = true;
        }
    }
    Ok(())
}

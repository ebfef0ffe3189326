//! `serve --demo`: fills an empty database with made-up subjects over real Quảng Nam communes,
//! through the same services (and validations, and audit trail) as the API, then prints one
//! fresh token per role. Deterministic: the same data on every machine.

mod places;

use chrono::{Datelike, NaiveDate};
use entity::{subject, unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::areas::dto::{CreateArea, LinkageInput};
use crate::auth::Actor;
use crate::certifications::dto::{CreateCertification, TransitionInput};
use crate::channels::dto::{CreateChannel, VerifyChannel};
use crate::domain::{CertStatus, ChannelKind, CounterpartyKind, Tenure};
use crate::domain::{LegalForm, ProductGroup, RecognitionKind, Role};
use crate::error::{AppError, AppResult};
use crate::products::dto::{CreateProduct, CreateRecognition, RevokeRecognition};
use crate::subjects::dto::CreateSubject;
use crate::tokens::dto::CreateToken;
use crate::unit_graph::valid_on;
use crate::units::loader::{REFORM_2025_07, unit_id};
use crate::{areas, certifications, channels, products, schemes, subjects};

/// How many subjects the demo registers.
pub const DEMO_SUBJECTS: usize = 200;

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

/// A valid 10-digit tax code beginning with Quảng Nam's tax-office prefix 40.
pub fn tax_code(rng: &mut StdRng) -> String {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    loop {
        let mut d = vec![4u32, 0];
        for _ in 0..7 {
            d.push(rng.random_range(0..10));
        }
        let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
        let check = 10 - sum % 11;
        if check < 10 {
            d.push(check);
            return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn fail(e: AppError) -> AppError {
    AppError::Internal(format!(
        "demo data rejected: {}",
        e.body(crate::i18n::Lang::of_env())
            .error
            .message_with_fields()
    ))
}

/// Loads the demo data when the registry holds no subject, then prints fresh tokens and how to
/// try them against `base_url`, where the registry will listen.
pub async fn run(db: &DatabaseConnection, base_url: &str) -> AppResult<()> {
    let existing = subject::Entity::find().count(db).await?;
    if existing == 0 {
        let c = load(db).await?;
        println!(
            "Demo data loaded: {} subjects, {} products, {} recognitions, {} raw-material areas, \
             {} certifications, {} sales channels.",
            c.subjects, c.products, c.recognitions, c.areas, c.certifications, c.channels
        );
    } else {
        println!("The database already holds {existing} subjects: no demo data added.");
    }
    print_tokens(db, base_url).await
}

async fn load(db: &DatabaseConnection) -> AppResult<Counts> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let mut rng = StdRng::seed_from_u64(0x0C0F_2025);
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
    let old: Vec<&unit::Model> = communes
        .iter()
        .filter(|u| valid_on(u, before_reform) && reach.contains(&u.id))
        .collect();
    let new: Vec<&unit::Model> = communes
        .iter()
        .filter(|u| valid_on(u, REFORM_2025_07) && reach.contains(&u.id))
        .collect();
    let elsewhere: Vec<&unit::Model> = communes
        .iter()
        .filter(|u| valid_on(u, before_reform) && !reach.contains(&u.id))
        .collect();
    if old.is_empty() || new.is_empty() || elsewhere.is_empty() {
        return Err(AppError::Internal("no communes loaded".to_owned()));
    }
    let communes_parents: std::collections::HashMap<Uuid, String> = unit::Entity::find()
        .filter(unit::Column::Level.ne(crate::domain::UnitLevel::Commune))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let (mut n_products, mut n_recognitions) = (0, 0);
    let mut evidence_counts = Counts::default();
    let mut revoked_one = false;
    for i in 0..DEMO_SUBJECTS {
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
            *pick(&mut rng, &new)
        } else if i % 25 == 24 {
            *pick(&mut rng, &elsewhere)
        } else {
            *pick(&mut rng, &old)
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
            .and_then(|p| communes_parents.get(&p))
            .map_or_else(|| place.clone(), |name| bare(name));
        let person = format!("{} {}", pick(&mut rng, FAMILY), pick(&mut rng, GIVEN));
        let (theme, _, _) = *pick(&mut rng, PRODUCTS);
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
            LegalForm::CooperativeGroup | LegalForm::ProductionFacility if i % 2 == 0 => None,
            _ => Some(tax_code(&mut rng)),
        };
        let subject = subjects::service::create(
            db,
            &actor,
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
                email: (i % 3 == 0).then(|| format!("ocop{}@example.vn", i + 1)),
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
        let registered_after_reform = i % 8 == 7;
        let at = (&mut rng, places::anchor(&graph, commune.id));
        evidence(db, &actor, at, i, &subject, &mut evidence_counts).await?;
        for _ in 0..rng.random_range(1..=3) {
            let (pname, group, subgroup) = *pick(&mut rng, PRODUCTS);
            let product = products::service::create(
                db,
                &actor,
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
            n_products += 1;
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
                &actor,
                product.id,
                CreateRecognition {
                    stars,
                    potential_five_star: stars == 4 && rng.random_bool(0.2),
                    score: Some(crate::validate::Score(rust_decimal::Decimal::new(
                        i64::from(50 + stars * 8 + rng.random_range(0..8)) * 10
                            + i64::from(rng.random_range(0..10)),
                        1,
                    ))),
                    decision_no: format!("{}/QĐ-UBND", 1000 + n_recognitions),
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
            n_recognitions += 1;
            if !revoked_one && decision.year() == 2023 {
                products::service::revoke(
                    db,
                    &actor,
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
                revoked_one = true;
            }
        }
    }
    Ok(Counts {
        subjects: DEMO_SUBJECTS,
        products: n_products,
        recognitions: n_recognitions,
        ..evidence_counts
    })
}

/// How much the demo loaded.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    subjects: usize,
    products: usize,
    recognitions: usize,
    areas: usize,
    certifications: usize,
    channels: usize,
}

/// Areas, certifications and channels of one subject: every tenure, status, category and
/// channel kind appears across the demo.
async fn evidence(
    db: &DatabaseConnection,
    actor: &Actor,
    (rng, anchor): (&mut StdRng, Option<(f64, f64)>),
    i: usize,
    subject: &crate::subjects::dto::SubjectView,
    counts: &mut Counts,
) -> AppResult<()> {
    const MATERIALS: &[(&str, &str)] = &[
        ("Sâm Ngọc Linh", "Panax vietnamensis"),
        ("Quế", "Quế Trà My"),
        ("Chè", "Chè xanh Đại Lộc"),
        ("Lúa", "Lúa hữu cơ"),
        ("Cá cơm", "Cá cơm than"),
        ("Mây", "Mây nước"),
    ];
    let mut area_ids = Vec::new();
    if i % 10 < 7 {
        for k in 0..rng.random_range(1..=2) {
            let tenure = match (i + k) % 3 {
                0 => Tenure::Own,
                1 => Tenure::Leased,
                _ => Tenure::Linked,
            };
            let (material, variety) = *pick(rng, MATERIALS);
            let start = date(2020 + rng.random_range(0..4), rng.random_range(1..13), 1);
            // Short (24 months) and long (60 months) linkage contracts.
            let months = if rng.random_bool(0.5) { 24 } else { 60 };
            let end = crate::clock::add_months(start, months)
                .pred_opt()
                .unwrap_or(start);
            let ha = places::hectares(rng);
            let area = areas::service::create(
                db,
                actor,
                subject.id,
                CreateArea {
                    name: format!("Vùng {} {}", material.to_lowercase(), k + 1),
                    commune_id: subject.commune_id,
                    material: material.to_owned(),
                    variety: Some(variety.to_owned()),
                    area_ha: crate::validate::Hectares(ha),
                    tenure,
                    growing_area_code: rng.random_bool(0.3).then(|| {
                        format!("VN-49-{:03}-{:05}-{:03}-23", 502 + i % 17, 20335 + i, k + 1)
                    }),
                    valid_from: Some(start),
                    valid_to: None,
                    geometry: places::drawn(rng, anchor, ha),
                    linkage: (tenure == Tenure::Linked).then(|| LinkageInput {
                        contract_no: format!("HĐLK-{}/{}", i + 1, start.year()),
                        counterparty: format!("Tổ hợp tác {} {}", material, i + 1),
                        counterparty_kind: CounterpartyKind::Households,
                        households: Some(rng.random_range(5..120)),
                        start_on: start,
                        end_on: end,
                    }),
                    evidence_document_id: None,
                    // The department's file of it dates from the contract's start.
                    submitted_on: Some(start),
                },
            )
            .await
            .map_err(fail)?;
            // Areas in every state of their lifecycle: most verified (counted from policy
            // version 3), some waiting, rejected, suspended or revoked.
            let path: &[CertStatus] = match (i + k) % 7 {
                0 => &[],
                1 => &[CertStatus::Rejected],
                2 => &[CertStatus::Verified, CertStatus::Suspended],
                3 if i.is_multiple_of(3) => &[
                    CertStatus::Verified,
                    CertStatus::Suspended,
                    CertStatus::Revoked,
                ],
                _ => &[CertStatus::Verified],
            };
            for (step, to) in path.iter().enumerate() {
                areas::service::transition(
                    db,
                    actor,
                    area.id,
                    crate::version::ExpectedVersion(None),
                    TransitionInput {
                        to: *to,
                        reason: "Kiểm tra thực địa vùng nguyên liệu".to_owned(),
                        effective_on: start
                            .checked_add_days(chrono::Days::new(45 * (step as u64 + 1)))
                            .unwrap_or(start),
                        evidence_document_id: None,
                        warning_reason: None,
                    },
                )
                .await
                .map_err(fail)?;
            }
            area_ids.push(area.id);
            counts.areas += 1;
        }
    }
    if i.is_multiple_of(2) {
        let scheme = schemes::service::DEFAULT_CATALOGUE
            [(i / 2) % schemes::service::DEFAULT_CATALOGUE.len()]
        .0;
        // Some long expired, most current.
        let issued = if i.is_multiple_of(7) {
            date(2020, rng.random_range(1..13), 10)
        } else {
            date(2024 + rng.random_range(0..2), rng.random_range(1..10), 10)
        };
        let cert = certifications::service::create(
            db,
            actor,
            subject.id,
            CreateCertification {
                scheme: scheme.to_owned(),
                certificate_no: format!("{}-{:04}", scheme.replace('_', "").to_uppercase(), i + 1),
                issuer: "Trung tâm Chứng nhận Phù hợp (QUACERT)".to_owned(),
                issued_on: issued,
                expires_on: crate::clock::add_months(issued, 24),
                evidence_url: Some(format!("https://docs.example.vn/chung-nhan/{}.pdf", i + 1)),
                evidence_sha256: Some(format!("{:064x}", i * 7919 + 1)),
                product_id: None,
                area_id: area_ids.first().copied(),
                evidence_document_id: None,
                submitted_on: Some(issued),
            },
        )
        .await
        .map_err(fail)?;
        counts.certifications += 1;
        // submitted, verified, rejected, suspended, revoked in turn.
        let path: &[CertStatus] = match (i / 2) % 5 {
            0 => &[],
            1 => &[CertStatus::Verified],
            2 => &[CertStatus::Rejected],
            3 => &[CertStatus::Verified, CertStatus::Suspended],
            _ => &[
                CertStatus::Verified,
                CertStatus::Suspended,
                CertStatus::Revoked,
            ],
        };
        for (step, to) in path.iter().enumerate() {
            certifications::service::transition(
                db,
                actor,
                cert.id,
                crate::version::ExpectedVersion(None),
                TransitionInput {
                    to: *to,
                    reason: "Thẩm định hồ sơ chứng nhận".to_owned(),
                    effective_on: issued
                        .checked_add_days(chrono::Days::new(30 * (step as u64 + 1)))
                        .unwrap_or(issued),
                    evidence_document_id: None,
                    warning_reason: None,
                },
            )
            .await
            .map_err(fail)?;
        }
    }
    if i % 5 < 3 {
        let kinds = [
            (ChannelKind::Marketplace, "shopee"),
            (ChannelKind::Marketplace, "lazada"),
            (ChannelKind::SocialCommerce, "tiktok_shop"),
            (ChannelKind::OwnWebshop, "website"),
            (ChannelKind::SupermarketChain, "Co.opmart"),
            (ChannelKind::ConvenienceChain, "WinMart+"),
            (
                ChannelKind::OcopShowroom,
                "Điểm giới thiệu sản phẩm OCOP Quảng Nam",
            ),
            (ChannelKind::Export, "Nhật Bản"),
            (ChannelKind::Traditional, "Chợ Tam Kỳ"),
        ];
        let (kind, platform) = kinds[i % kinds.len()];
        let from = date(2023 + rng.random_range(0..3), rng.random_range(1..13), 1);
        let channel = channels::service::create(
            db,
            actor,
            subject.id,
            CreateChannel {
                kind,
                platform: platform.to_owned(),
                shop_url: channels::dto::needs_shop(kind)
                    .then(|| format!("https://shop.example.vn/ocop-{}", i + 1)),
                shop_id: None,
                active_from: Some(from),
                active_to: None,
                evidence_url: None,
                evidence_document_id: None,
                submitted_on: Some(from),
            },
        )
        .await
        .map_err(fail)?;
        counts.channels += 1;
        if rng.random_bool(0.5) {
            channels::service::verify(
                db,
                actor,
                channel.id,
                crate::version::ExpectedVersion(None),
                VerifyChannel {
                    verified_on: from.checked_add_days(chrono::Days::new(45)).unwrap_or(from),
                    note: Some("Đã kiểm tra gian hàng trực tuyến".to_owned()),
                },
            )
            .await
            .map_err(fail)?;
        }
    }
    Ok(())
}

async fn print_tokens(db: &DatabaseConnection, base_url: &str) -> AppResult<()> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let quang_nam = unit_id("province", "49", None);
    let owner_subject: Option<Uuid> = subject::Entity::find()
        .order_by_asc(subject::Column::CreatedAt)
        .one(db)
        .await?
        .map(|s| s.id);
    let token = |role, unit_id, subject_id, platform: Option<&str>, name: &str| CreateToken {
        role,
        unit_id,
        subject_id,
        platform: platform.map(str::to_owned),
        name: Some(name.to_owned()),
    };
    let wanted = [
        token(Role::Admin, None, None, None, "demo administrator"),
        token(
            Role::Auditor,
            Some(quang_nam),
            None,
            None,
            "demo auditor, Quảng Nam",
        ),
        token(Role::Owner, None, owner_subject, None, "demo owner"),
        token(Role::Channel, None, None, Some("feed"), "demo channel feed"),
    ];
    println!("Tokens for this demo (shown once; the registry stores only their hashes):");
    for input in wanted {
        let scope = match (&input.unit_id, &input.subject_id, &input.platform) {
            (Some(_), _, _) => " (unit 49 Tỉnh Quảng Nam and its successors)".to_owned(),
            (_, Some(s), _) => format!(" (subject {s})"),
            (_, _, Some(p)) => format!(" (platform {p})"),
            _ => String::new(),
        };
        let role = input.role;
        let created = crate::tokens::service::create(db, &actor, input).await?;
        println!("  {:<8} {}{scope}", role.code(), created.secret);
    }
    println!("Try: curl -H 'Authorization: Bearer <admin token>' {base_url}/api/v1/subjects");
    print_users(db, &actor, quang_nam, owner_subject, base_url).await
}

/// One account per role for the pages, each with a fresh one-time password (an account kept
/// from an earlier start gets a new one).
async fn print_users(
    db: &DatabaseConnection,
    actor: &Actor,
    quang_nam: Uuid,
    owner_subject: Option<Uuid>,
    base_url: &str,
) -> AppResult<()> {
    use crate::users::dto::CreateUser;
    let wanted = [
        ("admin", "Quản trị viên (demo)", Role::Admin, None, None),
        (
            "kiemtra.quangnam",
            "Cán bộ thẩm định Quảng Nam (demo)",
            Role::Auditor,
            Some(quang_nam),
            None,
        ),
        (
            "chuthe",
            "Chủ thể OCOP (demo)",
            Role::Owner,
            None,
            owner_subject,
        ),
    ];
    println!(
        "Sign in at {base_url}/login (one-time passwords, to be changed at the first sign-in):"
    );
    for (username, display_name, role, unit_id, subject_id) in wanted {
        let existing = entity::app_user::Entity::find()
            .filter(entity::app_user::Column::Username.eq(username))
            .one(db)
            .await?;
        let created = match existing {
            Some(u) => crate::users::service::reset_password(db, actor, u.id).await?,
            None => {
                let input = CreateUser {
                    username: username.to_owned(),
                    display_name: display_name.to_owned(),
                    role,
                    unit_id,
                    subject_id,
                };
                crate::users::service::create(db, actor, input, None).await?
            }
        };
        println!(
            "  {:<8} {username} / {}",
            role.code(),
            created.one_time_password
        );
    }
    Ok(())
}

/// The demonstration shop: a channel of the first subject read from the registry's own demo
/// feed (created once; returns its id).
pub async fn feed_channel(db: &DatabaseConnection, feed_url: &str) -> AppResult<Uuid> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let existing = entity::channel_connection::Entity::find()
        .filter(entity::channel_connection::Column::Connector.eq("feed"))
        .one(db)
        .await?;
    let channel_id = match existing {
        Some(c) => c.channel_id,
        None => {
            let subject = subject::Entity::find()
                .order_by_asc(subject::Column::CreatedAt)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal("no subject for the demo shop".to_owned()))?;
            channels::service::create(
                db,
                &actor,
                subject.id,
                CreateChannel {
                    kind: ChannelKind::Marketplace,
                    platform: "feed".to_owned(),
                    shop_url: Some(feed_url.to_owned()),
                    shop_id: Some("demo-shop".to_owned()),
                    active_from: Some(date(2025, 1, 1)),
                    active_to: None,
                    evidence_url: None,
                    evidence_document_id: None,
                    submitted_on: None,
                },
            )
            .await?
            .id
        }
    };
    let settings = crate::sync::SyncSettings::from_config(&crate::config::AppConfig::default())
        .map_err(AppError::Internal)?;
    // The address can change between runs: point the connection at this one.
    crate::sync::connection::put(
        db,
        &settings,
        &actor,
        channel_id,
        crate::sync::dto::ConnectionInput {
            connector: crate::sync::dto::ConnectorKind::Feed,
            base_url: Some(feed_url.to_owned()),
            partner_id: None,
            shop_id: None,
            app_secret: None,
            access_token: None,
            refresh_token: None,
            token_expires_at: None,
            webhook_secret: None,
            rate_limit_per_minute: Some(600),
            sync_interval_minutes: Some(60),
        },
    )
    .await?;
    Ok(channel_id)
}

/// Runs the demo shop's sync once the server listens, and prints what it did.
pub fn sync_at_liftoff(channel_id: Uuid) -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_liftoff("demo sync", move |rocket| {
        Box::pin(async move {
            let (Some(db), Some(settings)) = (
                rocket.state::<DatabaseConnection>().cloned(),
                rocket.state::<crate::sync::SyncSettings>().cloned(),
            ) else {
                return;
            };
            tokio::spawn(async move {
                let options = crate::sync::dto::SyncOptions { full: Some(true) };
                let trigger = crate::domain::RunTrigger::Demo;
                match crate::sync::runs::run(&db, &settings, channel_id, trigger, &options).await {
                    Ok(r) => println!(
                        "Demo sync of channel {channel_id} from the built-in feed: {} ({} pages, {} listings seen, {} added). See GET /api/v1/sync-runs and /api/v1/channels/{channel_id}/listings.",
                        r.status, r.pages, r.items_seen, r.added
                    ),
                    Err(e) => println!("Demo sync failed: {e}"),
                }
            });
        })
    })
}

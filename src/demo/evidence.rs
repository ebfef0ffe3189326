//! The demo's evidence: raw-material areas, certifications and sales channels, each walked
//! through the states an auditor moves it to, so that every tenure, status, category and channel
//! kind appears across the demo.

use chrono::Datelike;
use rand::Rng;
use rand::rngs::StdRng;
use uuid::Uuid;

use super::{Counts, date, fail, pick, places};
use crate::areas::dto::{CreateArea, LinkageInput};
use crate::auth::Actor;
use crate::certifications::dto::{CreateCertification, TransitionInput};
use crate::channels::dto::{CreateChannel, VerifyChannel};
use crate::domain::{CertStatus, ChannelKind, CounterpartyKind, Tenure};
use crate::error::AppResult;
use crate::subjects::dto::SubjectView;
use crate::{areas, certifications, channels, schemes};
use sea_orm::DatabaseConnection;

const MATERIALS: &[(&str, &str)] = &[
    ("Sâm Ngọc Linh", "Panax vietnamensis"),
    ("Quế", "Quế Trà My"),
    ("Chè", "Chè xanh Đại Lộc"),
    ("Lúa", "Lúa hữu cơ"),
    ("Cá cơm", "Cá cơm than"),
    ("Mây", "Mây nước"),
];

/// Areas, certifications and channels of subject number `i`.
pub(super) async fn evidence(
    db: &DatabaseConnection,
    actor: &Actor,
    (rng, anchor): (&mut StdRng, Option<(f64, f64)>),
    i: usize,
    subject: &SubjectView,
    counts: &mut Counts,
) -> AppResult<()> {
    let mut area_ids = Vec::new();
    if i % 10 < 7 {
        for k in 0..rng.random_range(1..=2) {
            area_ids.push(area(db, actor, (&mut *rng, anchor), i, k, subject).await?);
            counts.areas += 1;
        }
    }
    if i.is_multiple_of(2) {
        certification(db, actor, rng, i, subject, area_ids.first().copied()).await?;
        counts.certifications += 1;
    }
    if i % 5 < 3 {
        channel(db, actor, rng, i, subject).await?;
        counts.channels += 1;
    }
    Ok(())
}

/// Area `k` of subject number `i`, drawn near `anchor`, walked through its lifecycle.
async fn area(
    db: &DatabaseConnection,
    actor: &Actor,
    (rng, anchor): (&mut StdRng, Option<(f64, f64)>),
    i: usize,
    k: usize,
    subject: &SubjectView,
) -> AppResult<Uuid> {
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
            growing_area_code: rng
                .random_bool(0.3)
                .then(|| format!("VN-49-{:03}-{:05}-{:03}-23", 502 + i % 17, 20335 + i, k + 1)),
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
    walk_area(db, actor, area.id, i + k, i, start).await?;
    Ok(area.id)
}

/// Areas in every state of their lifecycle: most verified (counted from policy version 3), some
/// waiting, rejected, suspended or revoked.
async fn walk_area(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    turn: usize,
    i: usize,
    start: chrono::NaiveDate,
) -> AppResult<()> {
    let path: &[CertStatus] = match turn % 7 {
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
        areas::verification::transition(
            db,
            actor,
            id,
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
    Ok(())
}

/// The certification of subject number `i`, of the catalogue's schemes in turn, scoped to its
/// first area, walked through its lifecycle.
async fn certification(
    db: &DatabaseConnection,
    actor: &Actor,
    rng: &mut StdRng,
    i: usize,
    subject: &SubjectView,
    area_id: Option<Uuid>,
) -> AppResult<()> {
    let scheme =
        schemes::service::DEFAULT_CATALOGUE[(i / 2) % schemes::service::DEFAULT_CATALOGUE.len()].0;
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
            area_id,
            evidence_document_id: None,
            submitted_on: Some(issued),
        },
    )
    .await
    .map_err(fail)?;
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
    Ok(())
}

/// The sales channel of subject number `i`, of every kind in turn; half verified.
async fn channel(
    db: &DatabaseConnection,
    actor: &Actor,
    rng: &mut StdRng,
    i: usize,
    subject: &SubjectView,
) -> AppResult<()> {
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
    if rng.random_bool(0.5) {
        channels::verification::verify(
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
    Ok(())
}

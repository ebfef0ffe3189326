//! Synthetic registry rows written straight to the tables, for the oracle's generator
//! (`mod.rs`) and the indicator benchmark (`examples/indicator_bench.rs`): each generator draws
//! what it studies (dates, tenures, histories) and takes every other column from here.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    certification, listing, listing_span, listing_span_extension, product, raw_material_area,
    recognition, sales_channel, status_event, subject, subject_relocation,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use uuid::Uuid;

/// Rows waiting to be written.
#[derive(Default)]
pub struct Rows {
    pub subjects: Vec<subject::ActiveModel>,
    pub relocations: Vec<subject_relocation::ActiveModel>,
    pub products: Vec<product::ActiveModel>,
    pub recognitions: Vec<recognition::ActiveModel>,
    pub areas: Vec<raw_material_area::ActiveModel>,
    pub certifications: Vec<certification::ActiveModel>,
    pub events: Vec<status_event::ActiveModel>,
    pub channels: Vec<sales_channel::ActiveModel>,
    pub listings: Vec<listing::ActiveModel>,
    pub spans: Vec<listing_span::ActiveModel>,
    pub extensions: Vec<listing_span_extension::ActiveModel>,
}

macro_rules! write_all {
    ($db:expr, $rows:expr, $entity:path, $chunk:expr) => {{
        let rows = std::mem::take(&mut $rows);
        for part in rows.chunks($chunk) {
            <$entity>::insert_many(part.to_vec())
                .exec_without_returning($db)
                .await?;
        }
        rows.len() as u64
    }};
}

impl Rows {
    /// Writes every waiting row (parents before children) and returns how many.
    pub async fn write(&mut self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        // Chunks stay under SQLite's and PostgreSQL's bound-parameter limits.
        Ok(write_all!(db, self.subjects, subject::Entity, 1000)
            + write_all!(db, self.relocations, subject_relocation::Entity, 1500)
            + write_all!(db, self.products, product::Entity, 1500)
            + write_all!(db, self.recognitions, recognition::Entity, 1000)
            + write_all!(db, self.areas, raw_material_area::Entity, 1000)
            + write_all!(db, self.certifications, certification::Entity, 1500)
            + write_all!(db, self.events, status_event::Entity, 2000)
            + write_all!(db, self.channels, sales_channel::Entity, 1500)
            + write_all!(db, self.listings, listing::Entity, 1500)
            + write_all!(db, self.spans, listing_span::Entity, 4000)
            + write_all!(db, self.extensions, listing_span_extension::Entity, 4000))
    }

    /// A record's status moves, in the order recorded, by `by` at `at`.
    #[allow(
        dead_code,
        reason = "the indicator benchmark records its moves at one instant"
    )]
    pub fn events(
        &mut self,
        entity: &str,
        id: Uuid,
        moves: &[(&str, NaiveDate)],
        by: &str,
        at: DateTime<Utc>,
    ) {
        let timed: Vec<(&str, NaiveDate, DateTime<Utc>)> =
            moves.iter().map(|(to, on)| (*to, *on, at)).collect();
        self.timed_events(entity, id, &timed, by);
    }

    /// A record's status moves, in the order recorded, each recorded at its own instant.
    pub fn timed_events(
        &mut self,
        entity: &str,
        id: Uuid,
        moves: &[(&str, NaiveDate, DateTime<Utc>)],
        by: &str,
    ) {
        let mut from: Option<&str> = None;
        for (seq, (to, on, at)) in (1..).zip(moves) {
            self.events.push(
                status_event::Model {
                    id: Uuid::now_v7(),
                    entity: entity.parse().expect("certification, area or channel"),
                    entity_id: id,
                    seq,
                    from_status: from.map(|f| f.parse().expect("a tracked status")),
                    to_status: to.parse().expect("a tracked status"),
                    reason: None,
                    effective_on: *on,
                    actor_id: None,
                    actor_name: by.to_owned(),
                    at: *at,
                    document_id: None,
                }
                .into_active_model()
                .reset_all(),
            );
            from = Some(to);
        }
    }
}

/// Subject number `i`, a cooperative in `commune`.
pub fn subject(id: Uuid, i: usize, commune: Uuid, now: DateTime<Utc>) -> subject::Model {
    subject::Model {
        id,
        search_text: format!("chu the {i}"),
        name: format!("Chủ thể {i}"),
        legal_form: "cooperative".parse().expect("a known code"),
        tax_code: None,
        commune_id: commune,
        address: None,
        representative: None,
        phone: None,
        email: None,
        woman_led: false,
        founded_on: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Product `p` of subject number `i`.
pub fn product(id: Uuid, subject: Uuid, i: usize, p: u32, now: DateTime<Utc>) -> product::Model {
    product::Model {
        id,
        subject_id: subject,
        name: format!("Sản phẩm {i}-{p}"),
        name_folded: format!("san pham {i}-{p}"),
        product_group: "food".parse().expect("a known code"),
        subgroup: None,
        description: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// A 3-star recognition of `product` decided on `decided`, not revoked.
pub fn recognition(
    product: Uuid,
    subject: Uuid,
    decision_no: String,
    (decided, valid_until): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> recognition::Model {
    recognition::Model {
        id: Uuid::now_v7(),
        product_id: product,
        subject_id: subject,
        stars: 3,
        potential_five_star: false,
        score_centi: Some(7000),
        decision_no,
        decision_date: decided,
        authority: "UBND".to_owned(),
        batch: None,
        kind: "new".parse().expect("a known code"),
        valid_until,
        revoked_on: None,
        revocation_decision_no: None,
        revocation_reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// A linkage contract with households, from `start` to `end`, of `months`.
pub struct Contract {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub months: i32,
}

/// A cinnamon area of 1 ha of subject number `i` in `commune`, with its contract when linked.
pub fn area(
    subject: Uuid,
    i: usize,
    commune: Uuid,
    tenure: &str,
    contract: Option<Contract>,
    now: DateTime<Utc>,
) -> raw_material_area::Model {
    let c = contract.as_ref();
    raw_material_area::Model {
        id: Uuid::now_v7(),
        subject_id: subject,
        name: format!("Vùng {i}"),
        commune_id: commune,
        material: "Quế".to_owned(),
        variety: None,
        area_m2: 10_000,
        tenure: tenure.parse().expect("a known code"),
        growing_area_code: None,
        valid_from: None,
        valid_to: None,
        geometry: None,
        linkage_contract_no: c.map(|_| format!("HĐ-{i}")),
        linkage_counterparty: c.map(|_| "Tổ hợp tác".to_owned()),
        linkage_counterparty_kind: c.map(|_| "households".parse().expect("a known code")),
        linkage_households: c.map(|_| 20),
        linkage_start_on: c.map(|c| c.start),
        linkage_end_on: c.map(|c| c.end),
        linkage_months: c.map(|c| c.months),
        status: "submitted".parse().expect("a known code"),
        version: 1,
        created_at: now,
        updated_at: now,
        evidence_document_id: None,
    }
}

/// A certificate of `scheme` issued by QUACERT, in `status`.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a column the generators draw"
)]
pub fn certification(
    id: Uuid,
    subject: Uuid,
    scheme: Uuid,
    certificate_no: String,
    issued: NaiveDate,
    expires: NaiveDate,
    status: &str,
    now: DateTime<Utc>,
) -> certification::Model {
    certification::Model {
        id,
        subject_id: subject,
        scheme_id: scheme,
        certificate_no,
        issuer: "QUACERT".to_owned(),
        issued_on: issued,
        expires_on: expires,
        evidence_url: None,
        evidence_sha256: None,
        product_id: None,
        area_id: None,
        status: status.parse().expect("a known code"),
        version: 1,
        created_at: now,
        updated_at: now,
        evidence_document_id: None,
    }
}

/// A Shopee shop of `kind`, verified on `verified_on` by `by` or only declared.
pub fn channel(
    id: Uuid,
    subject: Uuid,
    kind: &str,
    shop_url: String,
    verified: Option<(NaiveDate, &str)>,
    now: DateTime<Utc>,
) -> sales_channel::Model {
    sales_channel::Model {
        id,
        subject_id: subject,
        kind: kind.parse().expect("a known code"),
        platform: "shopee".parse().expect("a known code"),
        shop_url: Some(shop_url),
        shop_id: None,
        shop_key: None,
        shop_url_key: None,
        active_from: None,
        active_to: None,
        evidence_url: None,
        verification_status: if verified.is_some() {
            "verified"
        } else {
            "declared"
        }
        .parse()
        .expect("a known code"),
        verified_on: verified.map(|(on, _)| on),
        verified_by: verified.map(|(_, by)| by.to_owned()),
        verification_note: None,
        last_observed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
        evidence_document_id: None,
    }
}

/// An active listing of subject number `i` in `channel`, seen from `first` to `last`.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a column the generators draw"
)]
pub fn listing(
    id: Uuid,
    channel: Uuid,
    subject: Uuid,
    i: usize,
    external_id: String,
    trusted: bool,
    (first, last): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> listing::Model {
    listing::Model {
        id,
        channel_id: channel,
        subject_id: subject,
        external_id,
        title: format!("Sản phẩm {i}"),
        price_vnd: Some(125_000),
        status: "active".parse().expect("a known code"),
        product_id: None,
        first_seen_at: first,
        last_seen_at: last,
        open_span_id: None,
        trusted,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

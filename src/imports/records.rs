//! The registered records a row of evidence names: by the registry's id first (an exported
//! list carries it), else by the record's natural key — an area's name within its subject, a
//! certificate's scheme and number, a shop's platform and address — and the references a
//! certification gives (its scheme, product and area) as a list writes them.

use entity::{certification, certification_scheme as scheme, product, raw_material_area as area};
use entity::{recognition, sales_channel as channel, subject};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::RowError;
use super::cells::normalize;
use crate::auth::Actor;
use crate::msg;
use crate::text::fold;

/// The registered record a row's natural key names: its id, version and subject.
pub(super) struct Found {
    pub id: Uuid,
    pub version: i32,
    pub subject_id: Uuid,
    /// Areas: the commune it is in.
    pub commune: Option<Uuid>,
}

/// The area the row names by its id, else the subject's area of the same name.
pub(super) async fn find_area(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    record_id: Option<Uuid>,
    data: &Map<String, Value>,
) -> Result<Option<Found>, RowError> {
    let found = |a: area::Model| Found {
        id: a.id,
        version: a.version,
        subject_id: a.subject_id,
        commune: Some(a.commune_id),
    };
    if let Some(id) = record_id {
        return by_id(txn, area::Entity::find_by_id(id), id)
            .await
            .map(|a| Some(found(a)));
    }
    let name = fold(data.get("name").and_then(Value::as_str).unwrap_or_default());
    Ok(area::Entity::find()
        .filter(area::Column::SubjectId.eq(subject_id))
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .find(|a| fold(&a.name) == name)
        .map(found))
}

/// The record a row names by its registry id: it must be there.
async fn by_id<E: EntityTrait>(
    txn: &DatabaseTransaction,
    select: sea_orm::Select<E>,
    id: Uuid,
) -> Result<E::Model, RowError> {
    crate::db::unique(txn, select)
        .await
        .map_err(RowError::fault)?
        .ok_or_else(|| RowError::field("record_id", msg!("import-no-such-record", id = id)))
}

/// The certificate of the same scheme and number (whoever holds it).
pub(super) async fn find_certificate(
    txn: &DatabaseTransaction,
    record_id: Option<Uuid>,
    data: &Map<String, Value>,
) -> Result<Option<Found>, RowError> {
    let found = |c: certification::Model| Found {
        id: c.id,
        version: c.version,
        subject_id: c.subject_id,
        commune: None,
    };
    if let Some(id) = record_id {
        return by_id(txn, certification::Entity::find_by_id(id), id)
            .await
            .map(|c| Some(found(c)));
    }
    let (Some(Value::String(code)), Some(Value::String(no))) =
        (data.get("scheme"), data.get("certificate_no"))
    else {
        return Ok(None);
    };
    let fault = RowError::fault;
    let Some(s) = crate::db::unique(
        txn,
        scheme::Entity::find().filter(scheme::Column::Code.eq(code.as_str())),
    )
    .await
    .map_err(fault)?
    else {
        return Ok(None);
    };
    let certificates = certification::Entity::find()
        .filter(certification::Column::SchemeId.eq(s.id))
        .filter(certification::Column::CertificateNo.eq(crate::text::clean(no)))
        .all(txn)
        .await
        .map_err(fault)?;
    Ok(certificates.into_iter().next().map(found))
}

/// The same shop (platform and shop id or address, whoever holds it), or for a channel without
/// a shop the subject's channel of the same kind and platform.
pub(super) async fn find_channel(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    record_id: Option<Uuid>,
    data: &Map<String, Value>,
) -> Result<Option<Found>, RowError> {
    let found = |c: channel::Model| Found {
        id: c.id,
        version: c.version,
        subject_id: c.subject_id,
        commune: None,
    };
    if let Some(id) = record_id {
        return by_id(txn, channel::Entity::find_by_id(id), id)
            .await
            .map(|c| Some(found(c)));
    }
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::trim);
    use crate::channels::shops::{normalise_platform, shop_key};
    let platform = normalise_platform(text("platform").unwrap_or_default());
    let key = shop_key(platform.code(), text("shop_id"), text("shop_url"));
    let select = match &key {
        Some(k) => channel::Entity::find().filter(channel::Column::ShopKey.eq(k.as_str())),
        None => channel::Entity::find()
            .filter(channel::Column::SubjectId.eq(subject_id))
            .filter(channel::Column::ShopKey.is_null())
            .filter(channel::Column::Platform.eq(platform.clone()))
            .filter(channel::Column::Kind.eq(text("kind").unwrap_or_default())),
    };
    Ok(select
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .next()
        .map(found))
}

/// A record the row names by its key must be its own subject's: a list does not move a
/// certificate or a shop from one producer to another.
pub(super) async fn mine(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    holder: Uuid,
    column: &str,
) -> Result<(), RowError> {
    if holder == subject_id {
        return Ok(());
    }
    let name = crate::db::unique(txn, subject::Entity::find_by_id(holder))
        .await
        .map_err(RowError::fault)?
        .map_or_else(|| holder.to_string(), |s| s.name);
    Err(RowError::field(
        column,
        msg!("import-other-subject", subject = name),
    ))
}

/// A scheme of the catalogue by its code or its name.
pub(super) async fn scheme_code(
    txn: &DatabaseTransaction,
    written: &str,
) -> Result<String, RowError> {
    let all = scheme::Entity::find()
        .all(txn)
        .await
        .map_err(RowError::fault)?;
    // How Vietnamese lists name the schemes whose catalogue name is English.
    const WORDS: &[(&str, &str)] = &[
        ("huu co", "organic"),
        ("nong nghiep huu co", "organic"),
        ("san pham huu co", "organic"),
        ("kinh te tuan hoan", "circular_model"),
        ("mo hinh kinh te tuan hoan", "circular_model"),
    ];
    let n = normalize(written);
    let word = WORDS.iter().find(|(w, _)| *w == n).map(|(_, c)| *c);
    all.iter()
        .find(|s| {
            normalize(&s.code) == n || normalize(&s.name) == n || Some(s.code.as_str()) == word
        })
        .map(|s| s.code.clone())
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            RowError::field(
                "scheme",
                msg!("import-scheme", value = written, known = known.join(", ")),
            )
        })
}

/// One of the subject's products, by id or name.
pub(super) async fn product_of(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    written: &str,
) -> Result<Uuid, RowError> {
    let mut select = product::Entity::find().filter(product::Column::SubjectId.eq(subject_id));
    select = match Uuid::parse_str(written) {
        Ok(id) => select.filter(product::Column::Id.eq(id)),
        Err(_) => select.filter(product::Column::NameFolded.eq(fold(written))),
    };
    select
        .one(txn)
        .await
        .map_err(RowError::fault)?
        .map(|p| p.id)
        .ok_or_else(|| RowError::field("product", msg!("import-no-such-product", value = written)))
}

/// One of the subject's areas, by id or name.
pub(super) async fn area_of(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    written: &str,
) -> Result<Uuid, RowError> {
    let id = Uuid::parse_str(written).ok();
    let name = fold(written);
    area::Entity::find()
        .filter(area::Column::SubjectId.eq(subject_id))
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .find(|a| Some(a.id) == id || fold(&a.name) == name)
        .map(|a| a.id)
        .ok_or_else(|| RowError::field("area", msg!("import-no-such-area", value = written)))
}

/// The product a row names by the registry's id (its own, or its recognition's): it must be
/// there and be the producer's.
pub(super) async fn named_product(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    item: &super::products::Item,
) -> Result<Option<product::Model>, RowError> {
    let (column, id) = match (item.id, item.recognition_id) {
        (Some(id), _) => ("product_id", id),
        (None, Some(r)) => {
            let Some(rec) = crate::db::unique(txn, recognition::Entity::find_by_id(r))
                .await
                .map_err(RowError::fault)?
            else {
                return Err(RowError::field(
                    "recognition_id",
                    msg!("import-no-such-record", id = r),
                ));
            };
            ("recognition_id", rec.product_id)
        }
        (None, None) => return Ok(None),
    };
    let p = crate::db::unique(txn, product::Entity::find_by_id(id))
        .await
        .map_err(RowError::fault)?
        .ok_or_else(|| RowError::field(column, msg!("import-no-such-record", id = id)))?;
    if p.subject_id != subject_id {
        return Err(RowError::field(
            column,
            msg!("import-product-of-another", id = id, name = p.name),
        ));
    }
    Ok(Some(p))
}

/// Brings a registered product to what the row says of it (its name, when the row names it by
/// id; its group and details, where given), recorded like an edit. Whether anything changed.
pub(super) async fn edit_product(
    txn: &DatabaseTransaction,
    actor: &Actor,
    current: &product::Model,
    item: &super::products::Item,
) -> Result<bool, RowError> {
    let mut data = item.details.clone();
    if item.id.is_some() {
        data.insert("name".into(), json!(item.name));
    }
    if let Some(g) = &item.group {
        data.insert("group".into(), json!(g));
    }
    if data.is_empty() {
        return Ok(false);
    }
    let input = super::subjects::parse(&data)?;
    let after = crate::products::service::update_in(
        txn,
        actor,
        current.id,
        crate::version::ExpectedVersion(None),
        input,
    )
    .await
    .map_err(RowError::app)?;
    Ok(after.version != current.version)
}

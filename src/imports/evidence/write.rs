//! Writing one row of evidence once its subject is known: the record its natural key names is
//! updated by the API's own edit, else created by the API's own create; refusals name the list's
//! columns.

use entity::subject;
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Item, Owner};
use crate::auth::Actor;
use crate::imports::dto::ImportKind;
use crate::imports::places::Place;
use crate::imports::records::{
    Found, area_of, find_area, find_certificate, find_channel, mine, product_of, scheme_code,
};
use crate::imports::subjects::{Target, parse};
use crate::imports::{Fate, Outcome, RowError, Written};
use crate::msg;
use crate::version::ExpectedVersion;

/// The subject a row names: registered (by id, tax code, or name in its commune), or the open
/// draft that holds it back.
pub async fn find_owner(txn: &DatabaseTransaction, owner: &Owner) -> Result<Target, RowError> {
    let record = |s: subject::Model| Target::Record {
        id: s.id,
        created: false,
    };
    let name = owner.name.clone().unwrap_or_default();
    let unknown = |key: &str| RowError::field(key, msg!("import-owner-unknown", name = name));
    if owner.id.is_some() {
        let mut data = Map::new();
        data.insert("name".into(), json!(name));
        return crate::imports::subjects::existing(txn, &data, owner.id, None)
            .await?
            .map(record)
            .ok_or_else(|| unknown("id"));
    }
    if let Some(t) = &owner.tax_code {
        let mut data = Map::new();
        data.insert("tax_code".into(), json!(t));
        let name = if name.is_empty() {
            t.clone()
        } else {
            name.clone()
        };
        return crate::imports::subjects::existing(txn, &data, None, None)
            .await?
            .map(record)
            .ok_or_else(|| RowError::field("tax_code", msg!("import-owner-unknown", name = name)));
    }
    let Some(place) = &owner.place else {
        return Err(RowError::field("name", msg!("import-owner-missing")));
    };
    let mut data = Map::new();
    data.insert("name".into(), json!(name));
    if let Some(c) = place.commune {
        data.insert("commune_id".into(), json!(c));
        if let Some(s) = crate::imports::subjects::existing(txn, &data, None, Some(place)).await? {
            return Ok(record(s));
        }
    }
    match crate::imports::subjects::draft_of(txn, &data, place).await? {
        Some(d) if d.completed_at.is_none() => Ok(Target::Draft(Box::new(d))),
        Some(d) if d.record_id.is_some() => Ok(Target::Record {
            id: d.record_id.unwrap_or_default(),
            created: false,
        }),
        _ if place.commune.is_none() => Err(RowError::field(
            "commune",
            msg!("import-owner-place", name = name),
        )),
        _ => Err(unknown("name")),
    }
}
/// The list's column of an API field, for each kind of evidence.
fn column_of(kind: ImportKind, field: &str) -> String {
    let field = field.strip_prefix("linkage.").unwrap_or(field);
    match (kind, field) {
        (ImportKind::Areas, "name") => "area_name",
        (ImportKind::Areas, "commune_id") => "area_commune",
        (ImportKind::Areas, "linkage") => "contract_no",
        (_, "product_id") => "product",
        (_, "area_id") => "area",
        (_, other) => other,
    }
    .to_owned()
}

fn refused(kind: ImportKind, e: crate::error::AppError) -> RowError {
    match RowError::app(e) {
        RowError::Fields(list) => RowError::Fields(
            list.into_iter()
                .map(|(k, m)| (column_of(kind, &k), m))
                .collect(),
        ),
        fault => fault,
    }
}

/// Applies a row whose subject is `target`: the record its natural key names is updated by the
/// API's own edit (unchanged when equal), else created by the API's own create.
pub async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    target: Target,
    item: Item,
    source: &Value,
) -> Result<Fate, RowError> {
    let subject_id = match target {
        Target::Draft(d) => return crate::imports::products::hold(txn, actor, *d, source).await,
        Target::Record { id, .. } => id,
    };
    let kind = item.kind;
    let mut data = item.data;
    let (found, key_column) = match kind {
        ImportKind::Areas => {
            let found = find_area(txn, subject_id, item.record_id, &data).await?;
            let commune =
                area_place(txn, subject_id, item.commune.as_ref(), found.as_ref()).await?;
            data.insert("commune_id".into(), json!(commune));
            (found, "area_name")
        }
        ImportKind::Certifications => {
            if let Some(s) = &item.scheme {
                data.insert("scheme".into(), json!(scheme_code(txn, s).await?));
            }
            if let Some(p) = &item.product {
                data.insert(
                    "product_id".into(),
                    json!(product_of(txn, subject_id, p).await?),
                );
            }
            if let Some(a) = &item.area {
                data.insert("area_id".into(), json!(area_of(txn, subject_id, a).await?));
            }
            (
                find_certificate(txn, item.record_id, &data).await?,
                "certificate_no",
            )
        }
        ImportKind::Channels => (
            find_channel(txn, subject_id, item.record_id, &data).await?,
            "shop_url",
        ),
        ImportKind::Subjects | ImportKind::Products => {
            return Err(RowError::Fault(crate::error::AppError::Internal(
                "not a list of evidence".to_owned(),
            )));
        }
    };
    let refused = |e| refused(kind, e);
    let Some(found) = found else {
        let id = match kind {
            ImportKind::Areas => {
                crate::areas::service::create_in(txn, actor, subject_id, parse(&data)?)
                    .await
                    .map(|v| v.id)
            }
            ImportKind::Certifications => {
                crate::certifications::service::create_in(txn, actor, subject_id, parse(&data)?)
                    .await
                    .map(|v| v.id)
            }
            _ => crate::channels::service::create_in(txn, actor, subject_id, parse(&data)?)
                .await
                .map(|v| v.id),
        }
        .map_err(refused)?;
        return Ok(Outcome::Created.of(Written::of_subject(kind.entity(), id, subject_id)));
    };
    let key_column = if item.record_id.is_some() {
        "record_id"
    } else {
        key_column
    };
    mine(txn, subject_id, found.subject_id, key_column).await?;
    let (id, edit) = (found.id, ExpectedVersion(None));
    let version = match kind {
        ImportKind::Areas => crate::areas::service::update_in(txn, actor, id, edit, parse(&data)?)
            .await
            .map(|v| v.version),
        ImportKind::Certifications => {
            crate::certifications::service::update_in(txn, actor, id, edit, parse(&data)?)
                .await
                .map(|v| v.version)
        }
        _ => crate::channels::service::update_in(txn, actor, id, edit, parse(&data)?)
            .await
            .map(|v| v.version),
    }
    .map_err(refused)?;
    Ok(changed(found.version, version).of(Written::of_subject(kind.entity(), id, subject_id)))
}

/// Where an area is: a registered area stays where it is when the row's place fits it (or the
/// row gives none), else the row's commune, else its subject's.
async fn area_place(
    txn: &DatabaseTransaction,
    subject_id: Uuid,
    place: Option<&Place>,
    found: Option<&Found>,
) -> Result<Uuid, RowError> {
    let kept = match (place, found.and_then(|f| f.commune)) {
        (Some(place), Some(current)) => place.keeps(current),
        (Some(place), None) => place.commune,
        (None, current) => current,
    };
    match kept {
        Some(c) => Ok(c),
        None => Ok(
            crate::db::unique(txn, subject::Entity::find_by_id(subject_id))
                .await
                .map_err(RowError::fault)?
                .ok_or_else(|| RowError::field("name", msg!("import-owner-missing")))?
                .commune_id,
        ),
    }
}

fn changed(before: i32, after: i32) -> Outcome {
    if before == after {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    }
}

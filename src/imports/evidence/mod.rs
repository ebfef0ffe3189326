//! One row of a list of evidence — raw-material areas with their linkage contracts,
//! certifications, sales channels — each naming a subject already registered (such lists do
//! not register producers: a certification body's list is not a list of OCOP subjects). A row
//! whose subject is still a draft is held in that draft; otherwise the record is created, or
//! the registered one (same natural key) updated by the same services and rules as the API.

use entity::subject;
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cells::{self, normalize};
use super::dto::ImportKind;
use super::places::{Column, Names, Place, Resolver};
use super::records::{
    Found, area_of, find_area, find_certificate, find_channel, mine, product_of, scheme_code,
};
use super::subjects::{Row, Target, parse};
use super::{Fate, Outcome, RowError, Written};
use crate::auth::Actor;
use crate::msg;
use crate::text::fold;
use crate::version::ExpectedVersion;

/// The subject a row of evidence names.
pub struct Owner {
    id: Option<Uuid>,
    tax_code: Option<String>,
    name: Option<String>,
    place: Option<Place>,
}

impl Owner {
    /// What identifies the subject within the file.
    pub fn key(&self) -> String {
        match (&self.id, &self.tax_code, &self.place) {
            (Some(id), _, _) => format!("id:{id}"),
            (None, Some(t), _) => format!("tax:{}", t.replace([' ', '.'], "")),
            (None, None, p) => format!(
                "name:{}@{:?}",
                fold(self.name.as_deref().unwrap_or_default()),
                p.as_ref().map(|p| p.unit)
            ),
        }
    }

    pub fn place(&self) -> Option<&Place> {
        self.place.as_ref()
    }
}

/// Reads the columns that name the subject.
pub fn owner(row: &Row<'_>, places: &Resolver<'_>) -> Result<Owner, RowError> {
    let id = match row.text("id") {
        Some(t) => Some(
            Uuid::parse_str(&t)
                .map_err(|_| RowError::field("id", msg!("import-not-an-id", value = t)))?,
        ),
        None => None,
    };
    let owner = Owner {
        id,
        tax_code: row.text("tax_code").map(|t| cells::tax_code(&t)),
        name: row.text("name"),
        place: super::subjects::place_of(row, places)?,
    };
    if owner.id.is_none()
        && owner.tax_code.is_none()
        && (owner.name.is_none() || owner.place.is_none())
    {
        return Err(RowError::field("name", msg!("import-owner-missing")));
    }
    Ok(owner)
}

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
        return super::subjects::existing(txn, &data, owner.id, None)
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
        return super::subjects::existing(txn, &data, None, None)
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
        if let Some(s) = super::subjects::existing(txn, &data, None, Some(place)).await? {
            return Ok(record(s));
        }
    }
    match super::subjects::draft_of(txn, &data, place).await? {
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

/// The record a row gives, as the API's create request (what the row leaves out, left out),
/// and the references resolved once its subject is known.
pub struct Item {
    kind: ImportKind,
    data: Map<String, Value>,
    /// The registry's id of the record (an exported list names its records by it).
    record_id: Option<Uuid>,
    /// Areas: where the row places the area (else in the subject's commune).
    commune: Option<Place>,
    /// Certifications: the scheme, the product and the area as the row writes them.
    scheme: Option<String>,
    product: Option<String>,
    area: Option<String>,
}

impl Item {
    /// What identifies the record within the file (with its subject's key).
    pub fn key(&self, owner: &Owner) -> String {
        let text = |k: &str| {
            self.data
                .get(k)
                .and_then(Value::as_str)
                .map(fold)
                .unwrap_or_default()
        };
        if let Some(id) = self.record_id {
            return format!("record:{id}");
        }
        match self.kind {
            ImportKind::Certifications => format!(
                "cert:{}|{}",
                normalize(self.scheme.as_deref().unwrap_or_default()),
                text("certificate_no")
            ),
            ImportKind::Channels
                if self.data.contains_key("shop_id") || self.data.contains_key("shop_url") =>
            {
                format!(
                    "shop:{}|{}|{}",
                    text("platform"),
                    text("shop_id"),
                    text("shop_url")
                )
            }
            ImportKind::Channels => format!(
                "channel:{}|{}|{}",
                owner.key(),
                text("kind"),
                text("platform")
            ),
            _ => format!("area:{}|{}", owner.key(), text("name")),
        }
    }
}

/// Copies the texts of `keys` (list field → API field).
fn texts(row: &Row<'_>, data: &mut Map<String, Value>, keys: &[(&str, &str)]) {
    for (field, api) in keys {
        if let Some(v) = row.text(field) {
            data.insert((*api).into(), json!(v));
        }
    }
}

/// Copies the dates of `keys`, read as lists write them.
fn dates(
    row: &Row<'_>,
    data: &mut Map<String, Value>,
    keys: &[(&str, &str)],
) -> Result<(), RowError> {
    for (field, api) in keys {
        if let Some(c) = row.get(field).filter(|c| !c.is_blank()) {
            let d = cells::date(c)
                .ok_or_else(|| RowError::field(field, msg!("import-date", value = c.text())))?;
            data.insert((*api).into(), json!(d));
        }
    }
    Ok(())
}

/// Reads the record's columns.
pub fn read(kind: ImportKind, row: &Row<'_>, places: &Resolver<'_>) -> Result<Item, RowError> {
    let record_id = match row.text("record_id") {
        Some(t) => Some(
            Uuid::parse_str(&t)
                .map_err(|_| RowError::field("record_id", msg!("import-not-an-id", value = t)))?,
        ),
        None => None,
    };
    let mut item = Item {
        kind,
        data: Map::new(),
        record_id,
        commune: None,
        scheme: None,
        product: None,
        area: None,
    };
    let data = &mut item.data;
    match kind {
        ImportKind::Areas => read_area(row, places, &mut item)?,
        ImportKind::Certifications => {
            item.scheme = row.text("scheme");
            texts(
                row,
                data,
                &[
                    ("certificate_no", "certificate_no"),
                    ("issuer", "issuer"),
                    ("evidence_url", "evidence_url"),
                    ("evidence_sha256", "evidence_sha256"),
                ],
            );
            dates(
                row,
                data,
                &[("issued_on", "issued_on"), ("expires_on", "expires_on")],
            )?;
            item.product = row.text("product");
            item.area = row.text("area");
        }
        ImportKind::Channels => {
            if let Some(k) = row.text("kind") {
                let kind = cells::channel_kind(&k).ok_or_else(|| {
                    RowError::field("kind", msg!("import-channel-kind", value = k))
                })?;
                data.insert("kind".into(), json!(kind.code()));
            }
            texts(
                row,
                data,
                &[
                    ("platform", "platform"),
                    ("shop_url", "shop_url"),
                    ("shop_id", "shop_id"),
                    ("evidence_url", "evidence_url"),
                ],
            );
            dates(
                row,
                data,
                &[("active_from", "active_from"), ("active_to", "active_to")],
            )?;
        }
        ImportKind::Subjects | ImportKind::Products => {
            return Err(RowError::Fault(crate::error::AppError::Internal(
                "not a list of evidence".to_owned(),
            )));
        }
    }
    Ok(item)
}

/// Reads an area's columns (and its linkage contract's).
fn read_area(row: &Row<'_>, places: &Resolver<'_>, item: &mut Item) -> Result<(), RowError> {
    let data = &mut item.data;
    let name = row
        .text("area_name")
        .ok_or_else(|| RowError::field("area_name", "is required"))?;
    data.insert("name".into(), json!(name));
    texts(
        row,
        data,
        &[
            ("material", "material"),
            ("variety", "variety"),
            ("growing_area_code", "growing_area_code"),
        ],
    );
    if let Some(a) = row.text("area_ha") {
        data.insert("area_ha".into(), json!(cells::decimal(&a)));
    }
    if let Some(t) = row.text("tenure") {
        let tenure = cells::tenure(&t)
            .ok_or_else(|| RowError::field("tenure", msg!("import-tenure", value = t)))?;
        data.insert("tenure".into(), json!(tenure.code()));
    }
    dates(
        row,
        data,
        &[("valid_from", "valid_from"), ("valid_to", "valid_to")],
    )?;
    if let Some(g) = row.text("geometry") {
        let geometry: Value = serde_json::from_str(&g).map_err(|e| {
            RowError::field("geometry", msg!("import-geometry", detail = e.to_string()))
        })?;
        data.insert("geometry".into(), geometry);
    }
    let mut linkage = Map::new();
    texts(
        row,
        &mut linkage,
        &[
            ("contract_no", "contract_no"),
            ("counterparty", "counterparty"),
        ],
    );
    if let Some(k) = row.text("counterparty_kind") {
        let kind = cells::counterparty_kind(&k).ok_or_else(|| {
            RowError::field(
                "counterparty_kind",
                msg!("import-counterparty-kind", value = k),
            )
        })?;
        linkage.insert("counterparty_kind".into(), json!(kind.code()));
    }
    if let Some(h) = row.text("households") {
        let n: i64 = cells::decimal(&h)
            .parse()
            .map_err(|_| RowError::field("households", msg!("import-number", value = h)))?;
        linkage.insert("households".into(), json!(n));
    }
    dates(
        row,
        &mut linkage,
        &[("start_on", "start_on"), ("end_on", "end_on")],
    )?;
    if !linkage.is_empty() {
        data.insert("linkage".into(), Value::Object(linkage));
    }
    let (name, code) = (row.text("area_commune"), row.text("area_commune_code"));
    if name.is_some() || code.is_some() {
        item.commune = Some(area_commune(row, places, name.as_deref(), code.as_deref())?);
    }
    Ok(())
}

/// The area's commune: an id, its code, or a name within the row's district (else anywhere
/// the importer may name).
fn area_commune(
    row: &Row<'_>,
    places: &Resolver<'_>,
    name: Option<&str>,
    code: Option<&str>,
) -> Result<Place, RowError> {
    if let Some(Ok(id)) = name.map(Uuid::parse_str) {
        return Ok(Place::exact(id));
    }
    let district = row.text("district");
    let named = |district: Option<&str>| {
        places.resolve(&Names {
            commune_code: code,
            province: None,
            district,
            commune: name,
        })
    };
    let column = |c: Column| match c {
        Column::CommuneCode => "area_commune_code",
        _ => "area_commune",
    };
    let place = named(district.as_deref())
        .or_else(|_| named(None))
        .map_err(|(c, m)| RowError::field(column(c), m))?;
    if place.commune.is_none() {
        return Err(RowError::field("area_commune", msg!("import-area-commune")));
    }
    Ok(place)
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
        Target::Draft(d) => return super::products::hold(txn, actor, *d, source).await,
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

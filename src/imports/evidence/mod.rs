//! One row of a list of evidence — raw-material areas with their linkage contracts,
//! certifications, sales channels — each naming a subject already registered (such lists do
//! not register producers: a certification body's list is not a list of OCOP subjects). A row
//! whose subject is still a draft is held in that draft; otherwise the record is created, or
//! the registered one (same natural key) updated by the same services and rules as the API.

use serde_json::{Map, Value, json};
use uuid::Uuid;

mod write;
pub use write::{apply, find_owner};

use super::RowError;
use super::cells::{self, normalize};
use super::dto::ImportKind;
use super::places::{Column, Names, Place, Resolver};
use super::subjects::Row;
use crate::msg;
use crate::text::fold;

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

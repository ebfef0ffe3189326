//! One row of a list of subjects: registered, updated, left unchanged or kept as a draft, by
//! the same services and rules as the API.

use chrono::NaiveDate;
use entity::{draft, subject};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cells;
use super::header::Header;
use super::places::{Column, Names, Place, Resolver};
use super::read::Value as Cell;
use super::{Outcome, RowError};
use crate::auth::Actor;
use crate::drafts::dto::{CompleteDraft, CreateDraft, DraftEntity};
use crate::drafts::service as drafts;
use crate::msg;
use crate::subjects::dto::UpdateSubject;
use crate::subjects::service as subjects;
use crate::text::fold;
use crate::version::ExpectedVersion;

/// A row's cells by field.
pub struct Row<'a> {
    pub header: &'a Header,
    pub cells: &'a [Cell],
}

impl Row<'_> {
    pub fn get(&self, key: &str) -> Option<&Cell> {
        self.header.column(key).and_then(|i| self.cells.get(i))
    }

    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).filter(|c| !c.is_blank()).map(Cell::text)
    }
}

/// The row's fields read by the rules of an API request.
pub fn parse<T: serde::de::DeserializeOwned + validator::Validate>(
    data: &Map<String, Value>,
) -> Result<T, RowError> {
    let bytes = serde_json::to_vec(data)
        .map_err(|e| RowError::Fault(crate::error::AppError::Internal(e.to_string())))?;
    crate::http::parse_json(&bytes).map_err(RowError::app)
}

/// What identifies the row within the file (to report repeats).
pub fn key(read: &Read) -> String {
    let data = &read.data;
    match (read.id, data.get("tax_code").and_then(Value::as_str)) {
        (Some(id), _) => format!("id:{id}"),
        (None, Some(t)) => format!("tax:{}", t.replace([' ', '.'], "")),
        (None, None) => format!(
            "name:{}@{:?}",
            fold(data.get("name").and_then(Value::as_str).unwrap_or_default()),
            read.place.as_ref().map(|p| p.unit)
        ),
    }
}

/// A row read: the API's create request (what is missing left out), where it is, and the
/// registered subject it names by id, if it does.
pub struct Read {
    pub data: Map<String, Value>,
    /// Absent only when the row names a registered subject by its id.
    pub place: Option<Place>,
    pub id: Option<Uuid>,
    /// The day the list describes: a subject it places elsewhere moved there by then.
    pub on: NaiveDate,
}

/// Reads a row by the rules of the list's columns.
pub fn read(row: &Row<'_>, places: &Resolver<'_>) -> Result<Read, RowError> {
    let mut data = Map::new();
    let id = match row.text("id") {
        Some(t) => Some(
            Uuid::parse_str(&t)
                .map_err(|_| RowError::field("id", msg!("import-not-an-id", value = t)))?,
        ),
        None => None,
    };
    // A row naming a registered subject by its id (an exported list) needs nothing more.
    let name = row.text("name");
    if name.is_none() && id.is_none() {
        return Err(RowError::field("name", msg!("import-no-name")));
    }
    if let Some(name) = &name {
        data.insert("name".into(), json!(name));
    }
    let form = match (row.text("legal_form"), &name) {
        (Some(t), _) => {
            Some(cells::legal_form(&t).ok_or_else(|| {
                RowError::field("legal_form", msg!("import-legal-form", value = t))
            })?)
        }
        (None, Some(name)) if id.is_none() => Some(
            cells::legal_form_in_name(name)
                .ok_or_else(|| RowError::field("legal_form", msg!("import-legal-form-missing")))?,
        ),
        (None, _) => None,
    };
    if let Some(form) = form {
        data.insert("legal_form".into(), json!(form.code()));
    }
    for key in ["tax_code", "address", "representative", "phone", "email"] {
        if let Some(v) = row.text(key) {
            let v = match key {
                "tax_code" => cells::tax_code(&v),
                "phone" => cells::phone(&v),
                _ => v,
            };
            data.insert(key.into(), json!(v));
        }
    }
    if let Some(v) = row.text("woman_led") {
        let b = cells::yes_no(&v)
            .ok_or_else(|| RowError::field("woman_led", msg!("import-yes-no", value = v)))?;
        data.insert("woman_led".into(), json!(b));
    }
    if let Some(c) = row.get("founded_on").filter(|c| !c.is_blank()) {
        let d = cells::date(c)
            .ok_or_else(|| RowError::field("founded_on", msg!("import-date", value = c.text())))?;
        data.insert("founded_on".into(), json!(d));
    }
    let place = place_of(row, places)?;
    if place.is_none() && id.is_none() {
        return Err(RowError::field("commune", msg!("import-place-missing")));
    }
    if let Some(c) = place.as_ref().and_then(|p| p.commune) {
        data.insert("commune_id".into(), json!(c));
    }
    Ok(Read {
        data,
        place,
        id,
        on: places.on(),
    })
}

/// Where the row's subject is, when the row names a place at all.
pub fn place_of(row: &Row<'_>, places: &Resolver<'_>) -> Result<Option<Place>, RowError> {
    let commune = row.text("commune");
    let code = row.text("commune_code");
    let (province, district) = (row.text("province"), row.text("district"));
    if let Some(Ok(id)) = commune.as_deref().map(Uuid::parse_str) {
        // A script names the commune by its id.
        return Ok(Some(Place::exact(id)));
    }
    if commune.is_none() && code.is_none() && district.is_none() && province.is_none() {
        return Ok(None);
    }
    places
        .resolve(&Names {
            commune_code: code.as_deref(),
            province: province.as_deref(),
            district: district.as_deref(),
            commune: commune.as_deref(),
        })
        .map(Some)
        .map_err(|(column, m)| {
            let key = match column {
                Column::Province => "province",
                Column::District => "district",
                Column::Commune => "commune",
                Column::CommuneCode => "commune_code",
            };
            RowError::field(key, m)
        })
}

/// The registered subject the row is about: by id, else tax code, else name in the commune.
pub(super) async fn existing(
    txn: &DatabaseTransaction,
    data: &Map<String, Value>,
    id: Option<Uuid>,
    place: Option<&Place>,
) -> Result<Option<subject::Model>, RowError> {
    if let Some(id) = id {
        return crate::db::unique(txn, subject::Entity::find_by_id(id))
            .await
            .map_err(RowError::fault)?
            .map(Some)
            .ok_or_else(|| RowError::field("id", msg!("import-no-such-subject", id = id)));
    }
    if let Some(t) = data.get("tax_code").and_then(Value::as_str) {
        let tax = crate::validate::parse_tax_id(t).map_err(|m| RowError::field("tax_code", m))?;
        return crate::db::unique(
            txn,
            subject::Entity::find().filter(subject::Column::TaxCode.eq(tax.as_str())),
        )
        .await
        .map_err(RowError::fault);
    }
    // The same name in any version of the commune the row names.
    let communes: Vec<Uuid> = match place {
        Some(p) => p.named.iter().copied().chain(p.commune).collect(),
        None => Vec::new(),
    };
    if communes.is_empty() {
        return Ok(None);
    }
    let name = fold(data.get("name").and_then(Value::as_str).unwrap_or_default());
    Ok(subject::Entity::find()
        .filter(subject::Column::CommuneId.is_in(communes))
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .find(|s| fold(&s.name) == name))
}

/// The draft of the same subject (same name, same place): an open one, or one completed since
/// (then the row is about the record it became).
pub(super) async fn draft_of(
    txn: &DatabaseTransaction,
    data: &Map<String, Value>,
    place: &Place,
) -> Result<Option<draft::Model>, RowError> {
    let name = fold(data.get("name").and_then(Value::as_str).unwrap_or_default());
    let units: Vec<Uuid> = std::iter::once(place.unit).chain(place.commune).collect();
    let same: Vec<draft::Model> = draft::Entity::find()
        .filter(draft::Column::Entity.eq(DraftEntity::Subject))
        .filter(draft::Column::UnitId.is_in(units))
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .filter(|d| {
            let same_name = d
                .data
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| fold(n) == name);
            same_name && (d.unit_id == place.unit || Some(d.unit_id) == place.commune)
        })
        .collect();
    Ok(prefer_open(same))
}

/// An open draft if there is one, else the first completed.
pub fn prefer_open(mut drafts: Vec<draft::Model>) -> Option<draft::Model> {
    let open = drafts.iter().position(|d| d.completed_at.is_none());
    match open {
        Some(i) => Some(drafts.swap_remove(i)),
        None => drafts.into_iter().next(),
    }
}

/// The subject a row is about, once the row is applied to it.
pub enum Target {
    Record {
        id: Uuid,
        created: bool,
    },
    /// The draft that holds the row back.
    Draft(Box<draft::Model>),
}

impl Target {
    /// The record the row's subject is.
    pub fn written(&self) -> super::Written {
        match self {
            Target::Record { id, .. } => super::Written::subject(*id),
            Target::Draft(d) => super::Written::draft(d.id),
        }
    }
}

/// Applies the subject part of a row inside the import's transaction: the registered subject
/// (its contact data taken when `update` — a list of subjects — else left as it is), the
/// open draft of the same subject (completed if the row now gives what it missed), a new
/// record, or a new draft.
pub async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    read: Read,
    source: &Value,
    update_records: bool,
) -> Result<(Target, Outcome), RowError> {
    let Read {
        data,
        place,
        id,
        on,
    } = read;
    let draft = match &place {
        Some(p) => draft_of(txn, &data, p).await?,
        None => None,
    };
    let completed = draft.as_ref().and_then(|d| d.record_id);
    let current = match (existing(txn, &data, id, place.as_ref()).await?, completed) {
        (Some(s), _) => Some(s),
        (None, Some(record)) => crate::db::unique(txn, subject::Entity::find_by_id(record))
            .await
            .map_err(RowError::fault)?,
        (None, None) => None,
    };
    if let Some(current) = current {
        let id = current.id;
        let outcome = if update_records {
            update(txn, actor, current, data, place.as_ref(), on).await?
        } else {
            Outcome::Unchanged
        };
        return Ok((Target::Record { id, created: false }, outcome));
    }
    if let Some(d) = draft.filter(|d| d.completed_at.is_none()) {
        let given = data
            .iter()
            .all(|(k, v)| d.data.get(k).is_some_and(|old| old == v));
        if given {
            return Ok((Target::Draft(Box::new(d)), Outcome::Unchanged));
        }
        let after = drafts::complete_in(txn, actor, d.id, CompleteDraft { data }, None)
            .await
            .map_err(RowError::app)?;
        return match after.record_id {
            Some(id) => Ok((Target::Record { id, created: true }, Outcome::Created)),
            None => {
                let d = crate::db::unique(txn, draft::Entity::find_by_id(after.id))
                    .await
                    .map_err(RowError::fault)?
                    .ok_or_else(|| {
                        RowError::Fault(crate::error::AppError::Internal("draft gone".into()))
                    })?;
                Ok((Target::Draft(Box::new(d)), Outcome::Updated))
            }
        };
    }
    let missing = drafts::missing(DraftEntity::Subject, &data);
    if missing.is_empty() {
        let input = parse(&data)?;
        let s = subjects::create_in(txn, actor, input)
            .await
            .map_err(RowError::app)?;
        return Ok((
            Target::Record {
                id: s.id,
                created: true,
            },
            Outcome::Created,
        ));
    }
    let view = drafts::create_in(
        txn,
        actor,
        CreateDraft {
            entity: DraftEntity::Subject,
            parent_id: None,
            unit_id: place.map(|p| p.unit),
            data,
        },
        Some(Value::Array(vec![source.clone()])),
    )
    .await
    .map_err(RowError::app)?;
    let d = crate::db::unique(txn, draft::Entity::find_by_id(view.id))
        .await
        .map_err(RowError::fault)?
        .ok_or_else(|| RowError::Fault(crate::error::AppError::Internal("draft gone".into())))?;
    Ok((Target::Draft(Box::new(d)), Outcome::Draft))
}

/// A registered subject and a row about it: contact data the row gives is taken; a commune
/// the row's words do not fit is a move, recorded as the dated identity change it is, effective
/// on the list's date; a name, form or tax code it gives must agree (changed on the subject's
/// page with the day it takes effect, not as a spreadsheet's side effect).
async fn update(
    txn: &DatabaseTransaction,
    actor: &Actor,
    current: subject::Model,
    mut data: Map<String, Value>,
    place: Option<&Place>,
    on: NaiveDate,
) -> Result<Outcome, RowError> {
    if let Some(kept) = place.and_then(|p| p.keeps(current.commune_id)) {
        data.insert("commune_id".into(), json!(kept));
    }
    let mut probe = data.clone();
    // A row may leave identity fields out; those it gives are compared as the API reads them.
    probe
        .entry("commune_id")
        .or_insert(json!(current.commune_id));
    probe.entry("name").or_insert(json!(current.name));
    probe
        .entry("legal_form")
        .or_insert(json!(current.legal_form));
    let given: crate::subjects::dto::CreateSubject = parse(&probe)?;
    if fold(&given.name) != fold(&current.name) {
        return Err(RowError::field(
            "name",
            msg!("import-identity-differs", registered = current.name),
        ));
    }
    if data.contains_key("legal_form") && given.legal_form != current.legal_form {
        // A form read from the name alone does not contradict the registry.
        if data.contains_key("tax_code") || current.tax_code.is_none() {
            return Err(RowError::field(
                "legal_form",
                msg!("import-identity-differs", registered = current.legal_form),
            ));
        }
    }
    if let Some(t) = &given.tax_code
        && current.tax_code.as_deref() != Some(t.as_str())
    {
        return Err(RowError::field(
            "tax_code",
            msg!(
                "import-identity-differs",
                registered = current.tax_code.clone().unwrap_or_default()
            ),
        ));
    }
    let moved = given.commune_id != current.commune_id;
    let set = |k: &str| data.contains_key(k);
    let patch = UpdateSubject {
        address: set("address").then(|| given.address.clone()),
        representative: set("representative").then(|| given.representative.clone()),
        phone: set("phone").then(|| given.phone.clone()),
        email: set("email").then(|| given.email.clone()),
        woman_led: set("woman_led").then_some(given.woman_led),
        founded_on: set("founded_on").then_some(given.founded_on),
        commune_id: moved.then_some(given.commune_id),
        effective_on: moved.then_some(on),
        ..Default::default()
    };
    let after =
        crate::subjects::update::update_in(txn, actor, current.id, ExpectedVersion(None), patch)
            .await
            .map_err(RowError::app)?;
    Ok(if moved {
        Outcome::Moved
    } else if after.version == current.version {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    })
}

//! One row of a list of recognised products: the producer (as in a list of subjects), the
//! product and its recognition. What cannot be registered yet is kept as the draft that holds
//! it back — the producer's, the product's or the recognition's — with the row as its source;
//! once the draft is completed, importing the list again registers the rest.

use entity::{draft, product, recognition};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cells;
use super::subjects::{Row, Target};
use super::{Fate, Outcome, RowError, Written};
use crate::auth::Actor;
use crate::domain::RecognitionKind;
use crate::drafts::dto::{CreateDraft, DraftEntity, DraftView};
use crate::drafts::service as drafts;
use crate::msg;
use crate::text::fold;
use crate::unit_graph::UnitGraph;

/// The product and recognition a row gives.
pub struct Item {
    /// The registry's ids an exported list carries: the product, the recognition.
    pub id: Option<Uuid>,
    pub recognition_id: Option<Uuid>,
    pub name: String,
    pub group: Option<String>,
    /// The product's other details the row gives (subgroup, description); a blank cell
    /// changes nothing.
    pub details: Map<String, Value>,
    /// The recognition's fields (absent when the row gives no stars).
    pub recognition: Option<Map<String, Value>>,
    pub year: Option<i32>,
}

impl Item {
    /// What identifies the row's recognition within the file.
    pub fn key(&self) -> String {
        let r = self.recognition.as_ref();
        let get = |k: &str| {
            r.and_then(|m| m.get(k))
                .map(Value::to_string)
                .unwrap_or_default()
        };
        if let Some(id) = self.recognition_id {
            return id.to_string();
        }
        format!(
            "{}|{}|{}|{}|{}|{:?}",
            self.id.map(|i| i.to_string()).unwrap_or_default(),
            fold(&self.name),
            get("decision_no"),
            get("decision_date"),
            get("stars"),
            self.year
        )
    }
}

/// Reads the product's columns.
pub fn read(row: &Row<'_>, authority: Option<&str>) -> Result<Item, RowError> {
    let name = row
        .text("product_name")
        .ok_or_else(|| RowError::field("product_name", msg!("import-no-product")))?;
    let group = match row.text("group") {
        Some(g) => Some(
            cells::product_group(&g)
                .ok_or_else(|| RowError::field("group", msg!("import-group", value = g)))?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    let id_in = |column: &'static str| -> Result<Option<Uuid>, RowError> {
        row.text(column)
            .map(|t| {
                Uuid::parse_str(t.trim())
                    .map_err(|_| RowError::field(column, msg!("import-not-an-id", value = t)))
            })
            .transpose()
    };
    let (id, recognition_id) = (id_in("product_id")?, id_in("recognition_id")?);
    let details: Map<String, Value> = ["subgroup", "description"]
        .into_iter()
        .filter_map(|k| Some((k.to_owned(), json!(row.text(k)?))))
        .collect();
    let Some(stars_text) = row.text("stars") else {
        return Ok(Item {
            id,
            recognition_id,
            name,
            group,
            details,
            recognition: None,
            year: None,
        });
    };
    let (stars, mut potential) = cells::stars(&stars_text)
        .ok_or_else(|| RowError::field("stars", msg!("import-stars", value = stars_text)))?;
    // A column of its own (an exported list) says it as yes or no.
    if let Some(v) = row.text("potential_five_star") {
        potential = cells::yes_no(&v).ok_or_else(|| {
            RowError::field("potential_five_star", msg!("import-yes-no", value = v))
        })?;
    }
    let mut r = Map::new();
    r.insert("stars".into(), json!(stars));
    r.insert("potential_five_star".into(), json!(potential));
    if let Some(s) = row.text("score") {
        r.insert("score".into(), json!(s.replace(',', ".")));
    }
    if let Some(d) = row.text("decision_no") {
        r.insert("decision_no".into(), json!(d));
    }
    let year = match row.get("year").filter(|c| !c.is_blank()) {
        Some(c) => Some(
            cells::year(c)
                .or_else(|| cells::date(c).map(|d| chrono::Datelike::year(&d)))
                .ok_or_else(|| RowError::field("year", msg!("import-year", value = c.text())))?,
        ),
        None => None,
    };
    if let Some(c) = row.get("decision_date").filter(|c| !c.is_blank()) {
        let d = cells::date(c).ok_or_else(|| {
            RowError::field("decision_date", msg!("import-date", value = c.text()))
        })?;
        if year.is_some_and(|y| y != chrono::Datelike::year(&d)) {
            return Err(RowError::field(
                "year",
                msg!("import-year-differs", date = d),
            ));
        }
        r.insert("decision_date".into(), json!(d));
    }
    if let Some(a) = row.text("authority").or(authority.map(str::to_owned)) {
        r.insert("authority".into(), json!(a));
    }
    Ok(Item {
        id,
        recognition_id,
        name,
        group,
        details,
        recognition: Some(r),
        year,
    })
}

/// Adds the row to a draft's sources (once): the draft holds the row back. Recorded like any
/// change of the draft.
pub(super) async fn hold(
    txn: &DatabaseTransaction,
    actor: &Actor,
    d: draft::Model,
    source: &Value,
) -> Result<Fate, RowError> {
    let held = Written::draft(d.id);
    let mut rows = match &d.source {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    if rows.contains(source) {
        return Ok(Outcome::Unchanged.of(held));
    }
    rows.push(source.clone());
    let before = DraftView::build(d.clone()).map_err(RowError::app)?;
    let mut next = d;
    next.source = Some(Value::Array(rows));
    next.version += 1;
    next.updated_at = crate::clock::now();
    let saved = crate::db::save(txn, next).await.map_err(RowError::fault)?;
    let after = DraftView::build(saved).map_err(RowError::app)?;
    crate::audit::record(
        txn,
        actor,
        crate::audit::Change::updated("draft", after.id, None, "source", &before, &after),
    )
    .await
    .map_err(RowError::app)?;
    Ok(Outcome::Draft.of(held))
}

/// The draft of `entity` under `parent` whose data `matches`: an open one first, else one
/// completed since (its `record_id` is then the record).
async fn draft_of(
    txn: &DatabaseTransaction,
    entity: DraftEntity,
    parent: Uuid,
    matches: impl Fn(&Map<String, Value>) -> bool,
) -> Result<Option<draft::Model>, RowError> {
    let same: Vec<draft::Model> = draft::Entity::find()
        .filter(draft::Column::Entity.eq(entity))
        .filter(draft::Column::ParentId.eq(parent))
        .all(txn)
        .await
        .map_err(RowError::fault)?
        .into_iter()
        .filter(|d| d.data.as_object().is_some_and(&matches))
        .collect();
    Ok(super::subjects::prefer_open(same))
}

/// Applies the product part of a row whose producer is `target`.
pub async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    graph: &UnitGraph,
    target: Target,
    item: Item,
    place_unit: Option<Uuid>,
    source: &Value,
) -> Result<Fate, RowError> {
    let subject_id = match target {
        Target::Draft(d) => return hold(txn, actor, *d, source).await,
        Target::Record { id, .. } => id,
    };
    let created_subject = matches!(target, Target::Record { created: true, .. });
    let name = fold(&item.name);
    let found = match super::records::named_product(txn, subject_id, &item).await? {
        Some(p) => Some(p),
        // A subject made by this row has no product yet.
        None if created_subject => None,
        None => crate::db::unique(
            txn,
            product::Entity::find()
                .filter(product::Column::SubjectId.eq(subject_id))
                .filter(product::Column::NameFolded.eq(name.clone())),
        )
        .await
        .map_err(RowError::fault)?,
    };
    let mut edited = false;
    let (product_id, created_product) = match found {
        Some(p) => {
            edited = super::records::edit_product(txn, actor, &p, &item).await?;
            (p.id, false)
        }
        None => {
            let same = |m: &Map<String, Value>| {
                m.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| fold(n) == name)
            };
            let drafted = if created_subject {
                None
            } else {
                draft_of(txn, DraftEntity::Product, subject_id, same).await?
            };
            if let Some(d) = drafted
                && d.completed_at.is_none()
            {
                return hold(txn, actor, d, source).await;
            }
            let mut data = item.details.clone();
            data.insert("name".into(), json!(item.name));
            if let Some(g) = &item.group {
                data.insert("group".into(), json!(g));
            }
            if item.group.is_none() {
                let d = drafts::create_in(
                    txn,
                    actor,
                    CreateDraft {
                        entity: DraftEntity::Product,
                        parent_id: Some(subject_id),
                        unit_id: None,
                        data,
                    },
                    Some(Value::Array(vec![source.clone()])),
                )
                .await
                .map_err(RowError::app)?;
                return Ok(Outcome::Draft.of(Written::draft(d.id)));
            }
            let input = super::subjects::parse(&data)?;
            let p = crate::products::service::create_in(txn, actor, subject_id, input)
                .await
                .map_err(RowError::app)?;
            (p.id, true)
        }
    };
    let created = if created_subject || created_product {
        Outcome::Created
    } else if edited {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    };
    let product = Written::of_subject("product", product_id, subject_id);
    let Some(r) = item.recognition.clone() else {
        return Ok(created.of(product));
    };
    let row = Rated {
        product_id,
        fresh: created_product,
        subject_id,
        place_unit,
    };
    recognise(txn, actor, graph, row, &item, r, source)
        .await
        .map(|o| o.unwrap_or(created.of(product)))
}

/// Where a row's recognition goes: its product (just made, or registered), its producer and
/// the place the row gave.
struct Rated {
    product_id: Uuid,
    fresh: bool,
    subject_id: Uuid,
    place_unit: Option<Uuid>,
}

/// Records the row's recognition of a product, or the draft that holds it back; `None` when
/// the product already has it.
async fn recognise(
    txn: &DatabaseTransaction,
    actor: &Actor,
    graph: &UnitGraph,
    row: Rated,
    item: &Item,
    mut r: Map<String, Value>,
    source: &Value,
) -> Result<Option<Fate>, RowError> {
    let Rated {
        product_id,
        fresh: created_product,
        subject_id,
        place_unit,
    } = row;
    let existing = if created_product {
        Vec::new()
    } else {
        recognition::Entity::find()
            .filter(recognition::Column::ProductId.eq(product_id))
            .all(txn)
            .await
            .map_err(RowError::fault)?
    };
    let stars = r.get("stars").and_then(Value::as_i64).unwrap_or_default();
    let decision_no = r
        .get("decision_no")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let decision_date = r
        .get("decision_date")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let same = |x: &recognition::Model| match (&decision_no, &decision_date) {
        (Some(n), _) => fold(&x.decision_no) == fold(n),
        (None, Some(d)) => x.decision_date.to_string() == *d,
        (None, None) => {
            i64::from(x.stars) == stars
                && item
                    .year
                    .is_some_and(|y| chrono::Datelike::year(&x.decision_date) == y)
        }
    };
    if let Some(id) = item.recognition_id {
        // A recorded decision is corrected on its own page, not by a list: a row naming one
        // must agree with it.
        let Some(x) = existing.iter().find(|x| x.id == id) else {
            return Err(RowError::field(
                "recognition_id",
                msg!("import-recognition-elsewhere", id = id),
            ));
        };
        if !same(x) || i64::from(x.stars) != stars {
            return Err(RowError::field(
                "recognition_id",
                msg!("import-recognition-differs", id = id),
            ));
        }
        return Ok(None);
    }
    if let Some(x) = existing.iter().find(|x| same(x)) {
        return repeats(x, stars, decision_no.is_some(), decision_date.as_deref()).map(|()| None);
    }
    if !r.contains_key("authority") {
        let a = super::authority::default(txn, graph, subject_id, place_unit, stars).await?;
        r.insert("authority".into(), json!(a));
    }
    // new, or an upgrade of fewer stars, or a re-recognition: what the product's own history says.
    let kind = if existing.is_empty() {
        RecognitionKind::New
    } else if existing.iter().all(|x| i64::from(x.stars) < stars) {
        RecognitionKind::Upgrade
    } else {
        RecognitionKind::ReRecognition
    };
    r.insert("kind".into(), json!(kind.code()));
    let missing = drafts::missing(DraftEntity::Recognition, &r);
    if missing.is_empty() {
        let input = super::subjects::parse(&r)?;
        crate::products::service::create_recognition_in(txn, actor, product_id, input)
            .await
            .map_err(RowError::app)?;
        return Ok(Some(
            Outcome::Created.of(Written::of_subject("product", product_id, subject_id)),
        ));
    }
    draft_recognition(txn, actor, product_id, item.year, r, source)
        .await
        .map(Some)
}

/// A row naming a recorded decision may repeat it, never quietly give it other stars or, when
/// it names the decision by its number, another date: a decision is corrected on its own page.
fn repeats(
    x: &recognition::Model,
    stars: i64,
    by_number: bool,
    decision_date: Option<&str>,
) -> Result<(), RowError> {
    let column = if i64::from(x.stars) != stars {
        "stars"
    } else if by_number && decision_date.is_some_and(|d| x.decision_date.to_string() != d) {
        "decision_date"
    } else {
        return Ok(());
    };
    Err(RowError::field(
        column,
        msg!("import-recognition-differs", id = x.id),
    ))
}

/// Keeps a recognition that lacks what a record needs as a draft: the open draft of the same
/// stars, number and year takes the row as one more source.
async fn draft_recognition(
    txn: &DatabaseTransaction,
    actor: &Actor,
    product_id: Uuid,
    year: Option<i32>,
    r: Map<String, Value>,
    source: &Value,
) -> Result<Fate, RowError> {
    let key = (
        r.get("stars").and_then(Value::as_i64).unwrap_or_default(),
        r.get("decision_no")
            .and_then(Value::as_str)
            .map(str::to_owned),
    );
    let same_draft = |m: &Map<String, Value>| {
        (
            m.get("stars").and_then(Value::as_i64).unwrap_or_default(),
            m.get("decision_no")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ) == key
    };
    if let Some(d) = draft_of(txn, DraftEntity::Recognition, product_id, same_draft).await?
        && d.completed_at.is_none()
    {
        let held = d
            .source
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|rows| rows.iter().any(|x| year_of(x) == year));
        if held {
            return hold(txn, actor, d, source).await;
        }
    }
    let d = drafts::create_in(
        txn,
        actor,
        CreateDraft {
            entity: DraftEntity::Recognition,
            parent_id: Some(product_id),
            unit_id: None,
            data: r,
        },
        Some(Value::Array(vec![source.clone()])),
    )
    .await
    .map_err(RowError::app)?;
    Ok(Outcome::Draft.of(Written::draft(d.id)))
}

/// The year a source row gave (the rows of one recognition draft share it).
fn year_of(source: &Value) -> Option<i32> {
    source
        .get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
}

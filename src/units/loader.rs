//! Loads the official administrative units ([`super::dataset`]) into the database. Loading twice
//! (or from two processes at once) inserts nothing new: `ON CONFLICT DO NOTHING`.

use std::collections::HashSet;

use entity::{unit, unit_link};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::dataset::{Dataset, dataset};
use crate::error::{AppError, AppResult};

/// The dataset, built once per process (it is the binary's own data).
fn cached() -> AppResult<&'static Dataset> {
    static DATA: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
    if let Some(d) = DATA.get() {
        return Ok(d);
    }
    let built = dataset()?;
    Ok(DATA.get_or_init(|| built))
}

/// Inserts whatever of the dataset is missing; returns how many units and links were added.
pub async fn load(db: &DatabaseConnection) -> AppResult<(u64, u64)> {
    let data = cached()?;
    // What is there already is read first (two narrow queries), so a start with every unit in
    // place writes nothing. Ids are never changed: they are what subjects, areas, channels and
    // frozen reports point to. The one edit is the provinces' parent, which databases made
    // before the country unit existed lack.
    let have_units: HashSet<Uuid> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let have_links: HashSet<Uuid> = unit_link::Entity::find()
        .select_only()
        .column(unit_link::Column::Id)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let units: Vec<&unit::Model> = data
        .units
        .iter()
        .filter(|u| !have_units.contains(&u.id))
        .collect();
    let links: Vec<&unit_link::Model> = data
        .links
        .iter()
        .filter(|l| !have_links.contains(&l.id))
        .collect();
    if units.is_empty() && links.is_empty() {
        return Ok((0, 0));
    }
    // One transaction: processes key their cached unit graph on the number of units and links,
    // so the provinces must have their parent by the time the country is counted.
    let txn = crate::db::begin_write(db).await?;
    let db = &txn;
    let mut added_units = 0;
    // Large chunks: 14,000 versions in a few statements (10 columns × 2,000 rows stays under
    // both databases' limits on bound parameters). `DO NOTHING` still guards against another
    // process loading at the same moment.
    for chunk in units.chunks(2000) {
        let rows = chunk.iter().map(|u| unit::ActiveModel {
            id: Set(u.id),
            code: Set(u.code.clone()),
            name: Set(u.name.clone()),
            name_folded: Set(u.name_folded.clone()),
            level: Set(u.level),
            unit_type: Set(u.unit_type.clone()),
            parent_id: Set(u.parent_id),
            valid_from: Set(u.valid_from),
            valid_to: Set(u.valid_to),
            note: Set(u.note.clone()),
        });
        added_units += unit::Entity::insert_many(rows)
            .on_conflict(OnConflict::column(unit::Column::Id).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
    }
    let mut added_links = 0;
    for chunk in links.chunks(2000) {
        let rows = chunk.iter().map(|l| unit_link::ActiveModel {
            id: Set(l.id),
            from_unit_id: Set(l.from_unit_id),
            to_unit_id: Set(l.to_unit_id),
            effective_on: Set(l.effective_on),
            kind: Set(l.kind),
            basis: Set(l.basis.clone()),
        });
        added_links += unit_link::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(unit_link::Column::Id)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    let country = data
        .units
        .iter()
        .find(|u| u.level == crate::domain::UnitLevel::Country)
        .ok_or_else(|| AppError::Internal("unit data: no country".to_owned()))?;
    unit::Entity::update_many()
        .col_expr(unit::Column::ParentId, Expr::value(country.id))
        .filter(unit::Column::Level.eq(crate::domain::UnitLevel::Province))
        .filter(unit::Column::ParentId.is_null())
        .exec(db)
        .await?;
    txn.commit().await?;
    Ok((added_units, added_links))
}

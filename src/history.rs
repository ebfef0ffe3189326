//! Recorded time (docs/domain.md §8): every version of the facts the indicators read, each with the
//! interval of server time in which it was what the registry knew, in `<table>_version` tables
//! (migration `000008`). Versions are written by [`keep`], which the audit trail calls for every
//! write it records, in the write's transaction: a write cannot reach the audit trail without
//! its version, and there is no second list of write sites to keep in step.
//!
//! Reading "as known at T" is [`Known`]: the same queries over the versions valid at T instead of
//! the live tables.

use chrono::{DateTime, Utc};
use entity::{
    certification, certification_scheme, raw_material_area, recognition, sales_channel, subject,
};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, IntoIden};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, Iterable, QuerySelect, Select, Statement, Value,
};
use uuid::Uuid;

use crate::db::Sql;
use crate::error::AppResult;
use crate::ids;

/// The audit trail's entity names of the versioned tables, and the tables.
const TRACKED: &[(&str, &str)] = &[
    ("subject", "subject"),
    ("recognition", "recognition"),
    ("certification", "certification"),
    ("scheme", "certification_scheme"),
    ("area", "raw_material_area"),
    ("channel", "sales_channel"),
];

/// The versioned table of an audited entity (`certification`, `channel`, `area`, …).
pub fn table_of(entity: &str) -> &'static str {
    TRACKED
        .iter()
        .find(|(e, _)| *e == entity)
        .map_or("", |(_, t)| t)
}

/// The column names of a table's entity, in the entity's order.
fn columns(table: &str) -> Option<Vec<&'static str>> {
    fn of<E: EntityTrait>() -> Vec<&'static str> {
        use sea_orm::IdenStatic;
        E::Column::iter().map(|c| c.as_str()).collect()
    }
    Some(match table {
        "subject" => of::<subject::Entity>(),
        "recognition" => of::<recognition::Entity>(),
        "certification" => of::<certification::Entity>(),
        "certification_scheme" => of::<certification_scheme::Entity>(),
        "raw_material_area" => of::<raw_material_area::Entity>(),
        "sales_channel" => of::<sales_channel::Entity>(),
        _ => return None,
    })
}

fn quoted(cols: &[&str]) -> String {
    cols.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps the row `id` of the audited `entity`, as it is now in `db` (the write's transaction),
/// as the version known from `at`; closes the version it replaces. Entities that no report
/// reads are not versioned.
pub async fn keep(
    db: &impl ConnectionTrait,
    entity: &str,
    id: Uuid,
    at: DateTime<Utc>,
    first: bool,
) -> AppResult<()> {
    for statement in keep_statements(db.get_database_backend(), entity, id, at, first) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// The statements of [`keep`], to run in order in the write's transaction after the write.
pub fn keep_statements(
    backend: DbBackend,
    entity: &str,
    id: Uuid,
    at: DateTime<Utc>,
    first: bool,
) -> Vec<Statement> {
    let Some((_, table)) = TRACKED.iter().find(|(e, _)| *e == entity) else {
        return Vec::new();
    };
    let cols = quoted(&columns(table).unwrap_or_default());
    let mut add = Sql::new(backend);
    let (v, t, i) = (add.bind(ids::new_id()), add.bind(at), add.bind(id));
    add.push(&format!(
        "INSERT INTO \"{table}_version\" (vid, recorded_at, superseded_at, {cols}) \
         SELECT {v}, {t}, NULL, {cols} FROM \"{table}\" WHERE id = {i}"
    ));
    if first {
        // A record just created has no earlier version to close.
        return vec![add.build()];
    }
    let mut close = Sql::new(backend);
    let (t, i) = (close.bind(at), close.bind(id));
    close.push(&format!(
        "UPDATE \"{table}_version\" SET superseded_at = {t} WHERE id = {i} \
         AND superseded_at IS NULL"
    ));
    // Two writes in one instant: the first version was never known on its own.
    let mut stale = Sql::new(backend);
    let (i, t1, t2) = (stale.bind(id), stale.bind(at), stale.bind(at));
    stale.push(&format!(
        "DELETE FROM \"{table}_version\" WHERE id = {i} AND recorded_at = {t1} \
         AND superseded_at = {t2}"
    ));
    vec![close.build(), stale.build(), add.build()]
}

/// Gives every row written without a version (the seeded catalogue; rows from before versions
/// were kept) one, known from its creation. Idempotent; runs at start-up.
pub async fn backfill(db: &impl ConnectionTrait) -> AppResult<u64> {
    let mut n = 0;
    for (_, table) in TRACKED {
        let cols = quoted(&columns(table).unwrap_or_default());
        n += db
            .execute_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "INSERT INTO \"{table}_version\" (vid, recorded_at, superseded_at, {cols}) \
                     SELECT t.id, t.created_at, NULL, {cols} FROM \"{table}\" t \
                     WHERE NOT EXISTS (SELECT 1 FROM \"{table}_version\" v WHERE v.id = t.id)"
                ),
            ))
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Every version of some records of one table, each with the interval of server time in which
/// it was current: what a status event recorded at a given moment looked at.
pub struct Versions<M> {
    by_id: std::collections::HashMap<Uuid, Vec<Version<M>>>,
}

/// A version: recorded at, superseded at (none while current), the values.
type Version<M> = (DateTime<Utc>, Option<DateTime<Utc>>, M);

impl<M> Versions<M> {
    /// The versions of the rows `ids` of entity `E` (versioned by [`keep`]).
    pub async fn load<E>(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<Versions<M>>
    where
        E: EntityTrait<Model = M> + Default,
        M: sea_orm::FromQueryResult,
    {
        let mut by_id: std::collections::HashMap<Uuid, Vec<_>> = Default::default();
        let table = E::default().table_name().to_owned();
        for chunk in ids.chunks(500) {
            let mut q = Sql::new(db.get_database_backend());
            let list = q.bind_list(chunk.iter().copied());
            q.push(&format!(
                "SELECT * FROM \"{table}_version\" WHERE id IN ({list})"
            ));
            for row in db.query_all_raw(q.build()).await? {
                let id: Uuid = row.try_get("", "id")?;
                let recorded: DateTime<Utc> = row.try_get("", "recorded_at")?;
                let superseded: Option<DateTime<Utc>> = row.try_get("", "superseded_at")?;
                let model = M::from_query_result(&row, "")?;
                by_id
                    .entry(id)
                    .or_default()
                    .push((recorded, superseded, model));
            }
        }
        Ok(Versions { by_id })
    }

    /// The version of `id` that a status event recorded at `at` looked at: the earliest one
    /// still current then — the version in force at `at`, or the record's first when the event
    /// was written with it (the same rule as the engine's SQL).
    pub fn seen_at(&self, id: Uuid, at: DateTime<Utc>) -> Option<&M> {
        self.by_id
            .get(&id)?
            .iter()
            .filter(|(_, superseded, _)| superseded.is_none_or(|s| s > at))
            .min_by_key(|(recorded, _, _)| *recorded)
            .map(|(_, _, m)| m)
    }
}

/// The knowledge time a read is made at: `None` reads the live tables (what is known now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known(pub Option<DateTime<Utc>>);

impl Known {
    /// What is known now: the live tables.
    pub const NOW: Known = Known(None);

    /// A knowledge time asked for: a past instant (RFC 3339). The future is not known yet, and
    /// a figure "as known" then would change without any write.
    pub fn past(raw: &str) -> Result<Known, String> {
        let t = crate::validate::parse_instant(raw)?;
        if t > crate::clock::now() {
            return Err("must not be in the future".to_owned());
        }
        Ok(Known(Some(t)))
    }

    /// The knowledge time a request asks for in `field` (now when absent), read where the
    /// request is read; services take the [`Known`]. A bad one is refused naming the field.
    pub fn asked(raw: Option<&str>, field: &'static str) -> crate::error::AppResult<Known> {
        raw.map_or(Ok(Known::NOW), |raw| {
            Known::past(raw).map_err(|m| crate::error::AppError::invalid(field, m))
        })
    }

    /// A query of entity `E`: over its live table, or over its versions valid at the knowledge
    /// time under the live table's name (so every column reference stays as it is).
    pub fn select<E: EntityTrait + Default>(&self) -> Select<E> {
        let mut s = E::find();
        if let Some(t) = self.0 {
            let table = E::default().table_name().to_owned();
            let alias = Alias::new(table.clone()).into_iden();
            let q = QuerySelect::query(&mut s);
            q.from_clear()
                .from_as(Alias::new(format!("{table}_version")), alias.clone())
                .cond_where(
                    Condition::all()
                        .add(Expr::col((alias.clone(), Alias::new("recorded_at"))).lte(t))
                        .add(
                            Condition::any()
                                .add(
                                    Expr::col((alias.clone(), Alias::new("superseded_at")))
                                        .is_null(),
                                )
                                .add(Expr::col((alias, Alias::new("superseded_at"))).gt(t)),
                        ),
                );
        }
        s
    }

    /// The SQL text of a table's rows as known (bound into `bind`'s statement): the table, or a
    /// derived table of its versions valid at the knowledge time.
    pub fn table(&self, table: &str, mut bind: impl FnMut(Value) -> String) -> String {
        let Some(t) = self.0 else {
            return table.to_owned();
        };
        match table {
            "status_event" => format!(
                "(SELECT * FROM status_event WHERE at <= {})",
                bind(t.into())
            ),
            "subject_relocation" => format!(
                "(SELECT * FROM subject_relocation WHERE recorded_at <= {})",
                bind(t.into())
            ),
            // A span as known at t: recorded by then, ending where its recorded growth had
            // taken it.
            "listing_span" => {
                let (t1, t2) = (bind(t.into()), bind(t.into()));
                format!(
                    "(SELECT s.id, s.listing_id, s.channel_id, s.trusted, s.from_at, \
                     COALESCE((SELECT MAX(x.to_at) FROM listing_span_extension x \
                       WHERE x.span_id = s.id AND x.recorded_at <= {t1}), s.from_at) AS to_at \
                     FROM listing_span s WHERE s.recorded_at <= {t2})"
                )
            }
            _ => {
                let (t1, t2) = (bind(t.into()), bind(t.into()));
                format!(
                    "(SELECT * FROM \"{table}_version\" WHERE recorded_at <= {t1} \
                     AND (superseded_at IS NULL OR superseded_at > {t2}))"
                )
            }
        }
    }
}

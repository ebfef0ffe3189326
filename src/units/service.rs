//! Unit queries.

use std::collections::HashMap;

use entity::{unit, unit_link};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::dto::{UnitDetail, UnitLinkView, UnitQuery, UnitRef, UnitView};
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::like_patterns;

/// Units matching the filters, ordered by level, code and start of validity.
pub async fn list(
    db: &impl ConnectionTrait,
    q: &UnitQuery,
    page: &PageParams,
) -> AppResult<Paginated<UnitView>> {
    let mut cond = Condition::all();
    if let Some(level) = q.level {
        cond = cond.add(unit::Column::Level.eq(level));
    }
    if let Some(p) = q.parent_id {
        cond = cond.add(unit::Column::ParentId.eq(p));
    }
    if let Some(code) = &q.code {
        cond = cond.add(unit::Column::Code.eq(code.trim()));
    }
    if let Some(d) = q.on {
        cond = cond
            .add(
                Condition::any()
                    .add(unit::Column::ValidFrom.is_null())
                    .add(unit::Column::ValidFrom.lte(d)),
            )
            .add(
                Condition::any()
                    .add(unit::Column::ValidTo.is_null())
                    .add(unit::Column::ValidTo.gt(d)),
            );
    }
    if let Some(text) = &q.q {
        for p in like_patterns(text) {
            cond =
                cond.add(Expr::col(unit::Column::NameFolded).like(LikeExpr::new(p).escape('\\')));
        }
    }
    let select = unit::Entity::find().filter(cond);
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(unit::Column::Code)
            .order_by_asc(unit::Column::ValidFrom),
        page,
    )
    .await?;
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    let items = rows
        .into_iter()
        .map(|u| {
            let within = graph.within(u.id).into_iter().map(str::to_owned).collect();
            UnitView {
                within,
                ..UnitView::from(u)
            }
        })
        .collect();
    Ok(Paginated::new(items, page, total))
}

/// One unit with parent, children, successors and predecessors.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<UnitDetail> {
    let u = crate::db::unique(db, unit::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::not_found("unit", id))?;
    let parent = match u.parent_id {
        Some(p) => crate::db::unique(db, unit::Entity::find_by_id(p))
            .await?
            .as_ref()
            .map(UnitRef::from),
        None => None,
    };
    let children = unit::Entity::find()
        .filter(unit::Column::ParentId.eq(id))
        .order_by_asc(unit::Column::Code)
        .order_by_asc(unit::Column::ValidFrom)
        .all(db)
        .await?
        .iter()
        .map(UnitRef::from)
        .collect();
    let outgoing = unit_link::Entity::find()
        .filter(unit_link::Column::FromUnitId.eq(id))
        .all(db)
        .await?;
    let incoming = unit_link::Entity::find()
        .filter(unit_link::Column::ToUnitId.eq(id))
        .all(db)
        .await?;
    let other_ids: Vec<Uuid> = outgoing
        .iter()
        .map(|l| l.to_unit_id)
        .chain(incoming.iter().map(|l| l.from_unit_id))
        .collect();
    let others = refs(db, &other_ids).await?;
    let view = |l: &unit_link::Model, other: Uuid| -> Option<UnitLinkView> {
        others.get(&other).map(|r| UnitLinkView {
            unit: r.clone(),
            effective_on: l.effective_on,
            kind: l.kind,
            basis: l.basis.clone(),
        })
    };
    let successors = outgoing
        .iter()
        .filter_map(|l| view(l, l.to_unit_id))
        .collect();
    let predecessors = incoming
        .iter()
        .filter_map(|l| view(l, l.from_unit_id))
        .collect();
    let within = crate::unit_graph::UnitGraph::load(db)
        .await?
        .within(id)
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(UnitDetail {
        unit: UnitView {
            within,
            ..UnitView::from(u)
        },
        parent,
        children,
        successors,
        predecessors,
    })
}

/// Short references for a set of unit ids (one query).
pub async fn refs(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<HashMap<Uuid, UnitRef>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let rows = unit::Entity::find()
        .filter(unit::Column::Id.is_in(unique))
        .all(db)
        .await?;
    Ok(rows.iter().map(|u| (u.id, UnitRef::from(u))).collect())
}

/// A unit that must exist, for a field of a request (422 naming the field otherwise).
pub async fn require(db: &impl ConnectionTrait, field: &str, id: Uuid) -> AppResult<unit::Model> {
    crate::db::unique(db, unit::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::invalid(field, msg!("field-no-unit", id = id)))
}

/// A commune-level unit that must exist, for a field of a request.
pub async fn require_commune(
    db: &impl ConnectionTrait,
    field: &str,
    id: Uuid,
) -> AppResult<unit::Model> {
    // Units are only ever added, and the loader's one edit is a province's parent (graph.rs):
    // a commune, once read, is that row for good, in every process. Kept, it saves a creation
    // a statement (docs/benchmarks.md, "Request path").
    static COMMUNES: std::sync::LazyLock<std::sync::RwLock<HashMap<Uuid, unit::Model>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(u) = COMMUNES.read().ok().and_then(|c| c.get(&id).cloned()) {
        return Ok(u);
    }
    let u = require(db, field, id).await?;
    if u.level == crate::domain::UnitLevel::Commune
        && let Ok(mut c) = COMMUNES.write()
    {
        c.insert(id, u.clone());
    }
    if u.level != crate::domain::UnitLevel::Commune {
        return Err(AppError::invalid(
            field,
            msg!(
                "field-not-a-commune",
                code = u.code,
                name = u.name,
                level = u.level
            ),
        ));
    }
    Ok(u)
}

/// The unit version with `code` valid on `on`, or else the code's latest version: a former
/// province typed by its code (Quảng Nam, 49, after July 2025) still finds the subjects
/// recorded in it. 404 for a code never seen.
pub async fn by_code_or_latest(
    db: &impl ConnectionTrait,
    code: &str,
    on: chrono::NaiveDate,
) -> AppResult<unit::Model> {
    match by_code_on(db, code, on).await {
        Err(AppError::BadRequest { .. }) => {
            let any = UnitQuery {
                code: Some(code.to_owned()),
                ..Default::default()
            };
            let latest = list(db, &any, &PageParams::default())
                .await?
                .items
                .into_iter()
                .max_by_key(|u| u.valid_from)
                .ok_or_else(|| AppError::not_found("unit", code))?;
            require(db, "unit", latest.id).await
        }
        found => found,
    }
}

/// The unit version with `code` valid on `on`: 404 for a code never seen, 400 naming the dates
/// for a code valid at other times.
pub async fn by_code_on(
    db: &impl ConnectionTrait,
    code: &str,
    on: chrono::NaiveDate,
) -> AppResult<unit::Model> {
    let q = UnitQuery {
        code: Some(code.to_owned()),
        on: Some(on),
        ..Default::default()
    };
    let page = list(db, &q, &PageParams::default()).await?;
    let Some(id) = page.items.first().map(|u| u.id) else {
        // Codes outlive reforms in people's heads: say when the code was valid, so that a report
        // asked for Quảng Nam (49) after July 2025 points to where its communes went.
        let any = UnitQuery {
            code: Some(code.to_owned()),
            ..Default::default()
        };
        let versions = list(db, &any, &PageParams::default()).await?.items;
        let known = versions
            .iter()
            .map(|u| {
                let from = u
                    .valid_from
                    .map_or_else(|| "…".to_owned(), |d| d.to_string());
                let to = u.valid_to.map_or_else(|| "…".to_owned(), |d| d.to_string());
                format!("{} ({from} – {to}, id {})", u.name, u.id)
            })
            .collect::<Vec<_>>();
        if known.is_empty() {
            return Err(AppError::NotFound {
                entity: "unit",
                id: code.to_owned(),
            });
        }
        return Err(AppError::bad_request(
            None,
            msg!(
                "bad-unit-code-on-date",
                code = code,
                on = on,
                known = known.join(", ")
            ),
        ));
    };
    crate::db::unique(db, unit::Entity::find_by_id(id))
        .await?
        .ok_or_else(|| AppError::not_found("unit", id))
}

/// A code typed for a unit: of digits (a province's, a commune's), or of capitals (the
/// country's, `VN`) when a unit bears it; `None` for a name.
async fn by_typed_code(
    db: &impl ConnectionTrait,
    text: &str,
    on: chrono::NaiveDate,
) -> AppResult<Option<unit::Model>> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return by_code_or_latest(db, text, on).await.map(Some);
    }
    if text.is_empty() || text.len() > 3 || !text.chars().all(|c| c.is_ascii_uppercase()) {
        return Ok(None);
    }
    match by_code_or_latest(db, text, on).await {
        Err(AppError::NotFound { .. }) => Ok(None),
        found => found.map(Some),
    }
}

/// A unit as a person types it on a form: its code (`49`, the code's latest version when it is
/// no longer in force on `on`), a picker's choice (`Thị xã Điện Bàn — Tỉnh Quảng Nam (507)`: the
/// version of that code bearing that name, as codes were reused by the 2025 reform), or its
/// name without accents (`dien ban`) when exactly one unit of `level` in force on `on` bears
/// it. A name that several units bear is refused naming them with their codes, never chosen
/// silently.
pub async fn typed(
    db: &impl ConnectionTrait,
    field: &str,
    text: &str,
    on: chrono::NaiveDate,
    level: Option<crate::domain::UnitLevel>,
) -> AppResult<unit::Model> {
    let text = text.trim();
    if let Some(found) = by_typed_code(db, text, on).await? {
        return Ok(found);
    }
    if let Some(found) = by_name_and_code(db, field, text, on).await? {
        return Ok(found);
    }
    let wanted = crate::text::fold(text);
    if wanted.is_empty() {
        return Err(AppError::invalid(field, msg!("field-is-required")));
    }
    let whole = named_in_force(db, &wanted, on, level).await?;
    let candidates: Vec<Uuid> = if whole.is_empty() {
        // Words that are part of a name: one unit, or a choice to make.
        let query = UnitQuery {
            level,
            on: Some(on),
            q: Some(text.to_owned()),
            ..Default::default()
        };
        validator::Validate::validate(&query)?;
        list(db, &query, &PageParams::new(1, 20))
            .await?
            .items
            .into_iter()
            .map(|u| u.id)
            .collect()
    } else {
        whole.iter().map(|u| u.id).collect()
    };
    match candidates.as_slice() {
        [one] => require(db, field, *one).await,
        [] => Err(AppError::invalid(
            field,
            msg!("unit-typed-unknown", name = text, date = on),
        )),
        many => {
            let graph = crate::unit_graph::UnitGraph::load(db).await?;
            let named = many
                .iter()
                .take(12)
                .filter_map(|id| choice_of(&graph, *id))
                .collect::<Vec<_>>()
                .join("; ");
            Err(AppError::invalid(
                field,
                msg!("unit-typed-ambiguous", name = text, candidates = named),
            ))
        }
    }
}

/// The unit typed as its name with its code in brackets ("name (code)"), as the
/// pages and exports write it; `None` when the text is not written so.
async fn by_name_and_code(
    db: &impl ConnectionTrait,
    field: &str,
    text: &str,
    on: chrono::NaiveDate,
) -> AppResult<Option<unit::Model>> {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if let Some((named, tail)) = text.rsplit_once('(')
        && let Some(code) = tail.strip_suffix(')').map(str::trim)
        && digits(code)
    {
        // The name before the bracket is the unit's own (its parents follow a dash).
        let name = crate::text::fold(named.split(" — ").next().unwrap_or_default());
        let versions = unit::Entity::find()
            .filter(unit::Column::Code.eq(code))
            .all(db)
            .await?;
        let named: Vec<&unit::Model> = versions
            .iter()
            .filter(|u| crate::text::fold(&u.name) == name)
            .collect();
        let chosen = named
            .iter()
            .find(|u| crate::unit_graph::valid_on(u, on))
            .or_else(|| named.iter().max_by_key(|u| u.valid_from));
        return match chosen {
            Some(u) => Ok(Some((*u).clone())),
            None => Err(AppError::invalid(
                field,
                msg!("unit-typed-mismatch", name = named_text(text), code = code),
            )),
        };
    }
    Ok(None)
}

/// The units in force on `on` (of `level`, if given) whose folded name is `wanted`, or ends
/// with it as whole words after the unit's kind.
async fn named_in_force(
    db: &impl ConnectionTrait,
    wanted: &str,
    on: chrono::NaiveDate,
    level: Option<crate::domain::UnitLevel>,
) -> AppResult<Vec<unit::Model>> {
    // Every unit in force on the day whose name is the words typed ("dien ban" names "Thị xã
    // Điện Bàn", not "Phường Điện Bàn Bắc"), however many share the words.
    let escaped = wanted
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let mut cond = Condition::all()
        .add(
            Condition::any()
                .add(unit::Column::NameFolded.eq(wanted))
                .add(
                    Expr::col(unit::Column::NameFolded)
                        .like(LikeExpr::new(format!("% {escaped}")).escape('\\')),
                ),
        )
        .add(
            Condition::any()
                .add(unit::Column::ValidFrom.is_null())
                .add(unit::Column::ValidFrom.lte(on)),
        )
        .add(
            Condition::any()
                .add(unit::Column::ValidTo.is_null())
                .add(unit::Column::ValidTo.gt(on)),
        );
    if let Some(level) = level {
        cond = cond.add(unit::Column::Level.eq(level));
    }
    Ok(unit::Entity::find()
        .filter(cond)
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?)
}

/// What was typed before a picker's bracketed code.
fn named_text(text: &str) -> &str {
    text.rsplit_once('(').map_or(text, |(n, _)| n.trim())
}

/// A unit as a picker offers it: `Phường Tam Kỳ — Thành phố Đà Nẵng (20335)`; [`typed`] reads
/// it back by its code and name.
pub fn choice_of(graph: &crate::unit_graph::UnitGraph, id: Uuid) -> Option<String> {
    let u = graph.get(id)?;
    let within = graph.within(id);
    Some(if within.is_empty() {
        format!("{} ({})", u.name, u.code)
    } else {
        format!("{} — {} ({})", u.name, within.join(" — "), u.code)
    })
}

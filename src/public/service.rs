//! Public product lookup.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{product, recognition, subject};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement, UnionType};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::clock;
use crate::domain::ProductGroup;
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::products::dto::{RecognitionStatus, RecognitionView};
use crate::unit_graph::UnitGraph;
use crate::units::dto::UnitRef;

/// Filters of the public lookup.
#[derive(Debug, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Words of the product's name, its producer's name or its commune's, case- and
    /// accent-insensitive (every word must be found in one of them). Products whose name holds
    /// every word come first, then those whose producer's does, then the rest.
    #[validate(custom(function = "crate::validate::query_text"))]
    #[param(max_length = 255)]
    pub q: Option<String>,
    /// Products of subjects recorded in this unit's subtree, or in a unit it became or came
    /// from (a province of today finds the products of the former provinces merged into it).
    pub unit_id: Option<Uuid>,
    /// Only products whose latest rating has this many stars.
    #[validate(range(min = 3, max = 5))]
    #[param(minimum = 3, maximum = 5)]
    pub stars: Option<i16>,
    /// Only products whose rating is in force today.
    pub valid: Option<bool>,
}

/// What the public may know of a rated product: its latest recognition.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicProduct {
    pub product_id: Uuid,
    pub name: String,
    pub group: ProductGroup,
    pub stars: i16,
    pub potential_five_star: bool,
    pub decision_no: String,
    pub decision_date: NaiveDate,
    /// Who issued the decision (the province's or the national OCOP council's chair).
    pub authority: String,
    /// Expiry: rated until the day before.
    pub valid_until: NaiveDate,
    /// Today: active, expired or revoked.
    pub status: RecognitionStatus,
    pub revoked_on: Option<NaiveDate>,
    pub subject_name: String,
    /// The producer's commune as recorded.
    pub commune: Option<UnitRef>,
    /// The province that commune belongs to.
    pub province: Option<UnitRef>,
}

impl PublicProduct {
    /// What the public sees of product `p` rated by `latest`, made by `s` (today's status).
    pub fn of(
        p: product::Model,
        latest: recognition::Model,
        s: &subject::Model,
        graph: &UnitGraph,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let rv = RecognitionView::build(latest, today)?;
        Ok(PublicProduct {
            product_id: p.id,
            name: p.name,
            group: p.product_group,
            stars: rv.stars,
            potential_five_star: rv.potential_five_star,
            decision_no: rv.decision_no,
            decision_date: rv.decision_date,
            authority: rv.authority,
            valid_until: rv.valid_until,
            status: rv.status,
            revoked_on: rv.revoked_on,
            subject_name: s.name.clone(),
            commune: graph.get(s.commune_id).map(UnitRef::from),
            province: super::product::province_of(graph, s.commune_id),
        })
    }
}

/// Words of digits alone, which could be a piece of a tax code or of a personal identification
/// number: matched against product names only, so the public search cannot tell whether a
/// person's id belongs to a producer (the producer's search text holds its tax code).
fn identifier_like(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
}

/// The most words a search may have: each is a few subqueries.
pub const MAX_WORDS: usize = 8;

/// The folded texts the search reads, each with the trigram index migration 000021 made for it
/// (on SQLite an FTS5 table of `(id, text)`; on PostgreSQL a GIN index on the column itself).
struct Searched {
    table: &'static str,
    column: &'static str,
    fts: &'static str,
}

const PRODUCT_NAME: Searched = Searched {
    table: "product",
    column: "name_folded",
    fts: "product_name_search",
};
const SUBJECT_TEXT: Searched = Searched {
    table: "subject",
    column: "search_text",
    fts: "subject_text_search",
};
const UNIT_NAME: Searched = Searched {
    table: "unit",
    column: "name_folded",
    fts: "unit_name_search",
};

/// The ids of the rows whose text contains `word`, answered from the text's trigram index.
/// `word` holds letters and digits only, so the pattern needs no escape (FTS5 serves `LIKE`
/// only without one).
fn containing(backend: DbBackend, s: &Searched, word: &str) -> SelectStatement {
    let pattern = format!("%{word}%");
    let (from, column) = match backend {
        DbBackend::Sqlite => (s.fts, "text"),
        _ => (s.table, s.column),
    };
    Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(from))
        .and_where(Expr::col(Alias::new(column)).like(pattern))
        .to_owned()
}

/// The products made by the subjects `subjects` selects.
fn products_of(subjects: SelectStatement) -> SelectStatement {
    Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::SubjectId.in_subquery(subjects))
        .to_owned()
}

/// A search's words, folded: letters and digits only (what people type between them is no
/// part of a name they look for), at most [`MAX_WORDS`].
fn search_words(q: &str) -> AppResult<Vec<String>> {
    let words: Vec<String> = crate::text::fold(q)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let mut distinct = words.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > MAX_WORDS {
        return Err(AppError::invalid(
            "q",
            crate::msg!("search-too-many-words", n = MAX_WORDS),
        ));
    }
    // In the order typed, for the rank's "begins with".
    Ok(words)
}

/// What a search's words ask for: every word in the product's name, its producer's name or its
/// commune's; and the rank of a match — the name begins with what was typed, then every word in
/// the name, then in the name or the producer's, then the rest. Each word is looked up in the
/// trigram indexes and the products found by id: no table is scanned for a word.
fn text_match(
    backend: DbBackend,
    q: &str,
) -> AppResult<(Condition, sea_orm::sea_query::CaseStatement)> {
    let typed = search_words(q)?;
    let mut words = typed.clone();
    words.sort_unstable();
    words.dedup();
    let mut cond = Condition::all();
    let by_prefix = Expr::col((product::Entity, product::Column::NameFolded))
        .like(format!("{}%", typed.join(" ")));
    let mut by_name = Condition::all();
    let mut by_producer = Condition::all();
    for word in &words {
        let in_name = containing(backend, &PRODUCT_NAME, word);
        if identifier_like(word) {
            cond = cond.add(product::Column::Id.in_subquery(in_name.clone()));
            by_name = by_name.add(product::Column::Id.in_subquery(in_name.clone()));
            by_producer = by_producer.add(product::Column::Id.in_subquery(in_name));
            continue;
        }
        let by_subject = products_of(containing(backend, &SUBJECT_TEXT, word));
        let in_communes = Query::select()
            .column(subject::Column::Id)
            .from(subject::Entity)
            .and_where(
                subject::Column::CommuneId.in_subquery(containing(backend, &UNIT_NAME, word)),
            )
            .to_owned();
        let anywhere = in_name
            .clone()
            .union(UnionType::Distinct, by_subject.clone())
            .union(UnionType::Distinct, products_of(in_communes))
            .to_owned();
        cond = cond.add(product::Column::Id.in_subquery(anywhere));
        by_name = by_name.add(product::Column::Id.in_subquery(in_name.clone()));
        by_producer = by_producer.add(
            product::Column::Id.in_subquery(
                in_name
                    .clone()
                    .union(UnionType::Distinct, by_subject)
                    .to_owned(),
            ),
        );
    }
    let rank = Expr::case(by_prefix, 0)
        .case(by_name, 1)
        .case(by_producer, 2)
        .finally(3);
    Ok((cond, rank))
}

/// Rated products matching the filters: name matches first, then producer, then commune.
pub async fn list(
    db: &impl ConnectionTrait,
    q: &PublicQuery,
    page: &PageParams,
) -> AppResult<Paginated<PublicProduct>> {
    let today = clock::today();
    // Rated: a recognition of the product, looked up by its index for each candidate (a list of
    // every rated product would be built anew for each search).
    let rated = Query::select()
        .expr(Expr::val(1))
        .from(recognition::Entity)
        .and_where(
            Expr::col((recognition::Entity, recognition::Column::ProductId))
                .equals((product::Entity, product::Column::Id)),
        )
        .to_owned();
    let mut cond = Condition::all().add(Expr::exists(rated));
    let (matched, rank) = text_match(
        db.get_database_backend(),
        q.q.as_deref().unwrap_or_default(),
    )?;
    cond = cond.add(matched);
    if let Some(unit_id) = q.unit_id {
        let graph = UnitGraph::load(db).await?;
        if graph.get(unit_id).is_none() {
            return Err(AppError::not_found("administrative unit", unit_id));
        }
        let reach: Vec<Uuid> = graph.reach(unit_id).into_iter().collect();
        let subjects = Query::select()
            .column(subject::Column::Id)
            .from(subject::Entity)
            .and_where(subject::Column::CommuneId.is_in(reach))
            .to_owned();
        cond = cond.add(product::Column::SubjectId.in_subquery(subjects));
    }
    if let Some(stars) = q.stars {
        cond = cond.add(Expr::exists(
            latest_recognition()
                .and_where(Expr::col((Alias::new("r"), recognition::Column::Stars)).eq(stars))
                .to_owned(),
        ));
    }
    if q.valid == Some(true) {
        let r = |c: recognition::Column| Expr::col((Alias::new("r"), c));
        cond = cond.add(Expr::exists(
            latest_recognition()
                .and_where(r(recognition::Column::DecisionDate).lte(today))
                .and_where(r(recognition::Column::ValidUntil).gt(today))
                .cond_where(
                    Condition::any()
                        .add(r(recognition::Column::RevokedOn).is_null())
                        .add(r(recognition::Column::RevokedOn).gt(today)),
                )
                .to_owned(),
        ));
    }
    let select = product::Entity::find()
        .filter(cond)
        .order_by(Into::<Expr>::into(rank), Order::Asc)
        .order_by_asc(product::Column::NameFolded)
        .order_by_asc(product::Column::Id);
    let (products, total) = fetch(db, select, page).await?;
    let items = cards(db, products, today).await?;
    Ok(Paginated::new(items, page, total))
}

/// `SELECT 1 FROM recognition r WHERE r.product_id = product.id` and no later decision for
/// the product: its latest recognition, for a filter to add to.
fn latest_recognition() -> sea_orm::sea_query::SelectStatement {
    let r = Alias::new("r");
    let later = Alias::new("later");
    Query::select()
        .expr(Expr::val(1))
        .from_as(recognition::Entity, r.clone())
        .and_where(
            Expr::col((r.clone(), recognition::Column::ProductId))
                .equals((product::Entity, product::Column::Id)),
        )
        .and_where(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from_as(recognition::Entity, later.clone())
                    .and_where(
                        Expr::col((later.clone(), recognition::Column::ProductId))
                            .equals((r.clone(), recognition::Column::ProductId)),
                    )
                    .cond_where(
                        Condition::any()
                            .add(
                                Expr::col((later.clone(), recognition::Column::DecisionDate))
                                    .gt(Expr::col((r.clone(), recognition::Column::DecisionDate))),
                            )
                            .add(
                                Condition::all()
                                    .add(
                                        Expr::col((
                                            later.clone(),
                                            recognition::Column::DecisionDate,
                                        ))
                                        .equals((r.clone(), recognition::Column::DecisionDate)),
                                    )
                                    .add(
                                        Expr::col((later.clone(), recognition::Column::Id))
                                            .gt(Expr::col((r.clone(), recognition::Column::Id))),
                                    ),
                            ),
                    )
                    .to_owned(),
            )
            .not(),
        )
        .to_owned()
}

/// The public cards of `products`, with their latest recognitions, producers and places.
async fn cards(
    db: &impl ConnectionTrait,
    products: Vec<product::Model>,
    today: NaiveDate,
) -> AppResult<Vec<PublicProduct>> {
    let product_ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let subject_ids: Vec<Uuid> = products.iter().map(|p| p.subject_id).collect();
    let mut latest: HashMap<Uuid, recognition::Model> = HashMap::new();
    for r in recognition::Entity::find()
        .filter(recognition::Column::ProductId.is_in(product_ids))
        .all(db)
        .await?
    {
        let newer = latest
            .get(&r.product_id)
            .is_none_or(|cur| (r.decision_date, r.id) > (cur.decision_date, cur.id));
        if newer {
            latest.insert(r.product_id, r);
        }
    }
    let subjects: HashMap<Uuid, subject::Model> = subject::Entity::find()
        .filter(subject::Column::Id.is_in(subject_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let graph = UnitGraph::load(db).await?;
    let mut items = Vec::with_capacity(products.len());
    for p in products {
        let (Some(r), Some(s)) = (latest.remove(&p.id), subjects.get(&p.subject_id)) else {
            continue;
        };
        items.push(PublicProduct::of(p, r, s, &graph, today)?);
    }
    Ok(items)
}

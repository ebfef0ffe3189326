//! Who is counted: the OCOP subjects of the unit on day D (docs/domain.md §4, item 1) — a subject
//! with a product holding a recognition of 3 stars or more in force on D, placed in the unit by
//! its commune on D (where its latest relocation effective by D took it).

use chrono::NaiveDate;

use super::super::engine::Communes;
use crate::db::Sql;
use crate::history::Known;

/// The common table expressions `loc` (the communes of the subjects that moved) and
/// `pop(id, commune_id, search_text)`: the population.
pub fn sql(q: &mut Sql, d: NaiveDate, communes: &Communes, known: Known) -> String {
    // Every table read as known at the knowledge time (the live tables when it is now).
    let from = |q: &mut Sql, table: &str| known.table(table, |v| q.bind(v));
    let located = {
        let (d1, d2, d3) = (q.bind(d), q.bind(d), q.bind(d));
        let [rel1, rel2, rel3, rel4, rel5] = std::array::from_fn(|_| from(q, "subject_relocation"));
        format!(
            "loc AS MATERIALIZED (\
               SELECT r.subject_id AS subject_id, r.to_commune_id AS commune_id \
               FROM {rel1} r WHERE r.effective_on <= {d1} \
                 AND NOT EXISTS (SELECT 1 FROM {rel2} r2 \
                   WHERE r2.subject_id = r.subject_id AND r2.effective_on <= {d2} \
                     AND (r2.effective_on > r.effective_on \
                          OR (r2.effective_on = r.effective_on AND r2.seq > r.seq))) \
               UNION ALL \
               SELECT r.subject_id, r.from_commune_id FROM {rel3} r \
               WHERE NOT EXISTS (SELECT 1 FROM {rel4} r2 \
                   WHERE r2.subject_id = r.subject_id AND r2.effective_on <= {d3}) \
                 AND NOT EXISTS (SELECT 1 FROM {rel5} r3 \
                   WHERE r3.subject_id = r.subject_id \
                     AND (r3.effective_on < r.effective_on \
                          OR (r3.effective_on = r.effective_on AND r3.seq < r.seq))))"
        )
    };
    // The first test is a superset that can use the index on the commune of record (a
    // subject placed in the list on D is either there now or has moved).
    let placed = match communes {
        Communes::Every => String::new(),
        Communes::Listed(v) => {
            let list = q.bind_list(v.iter().copied());
            let again = q.bind_list(v.iter().copied());
            format!(
                "(s.commune_id IN ({list}) OR loc.subject_id IS NOT NULL) \
                 AND COALESCE(loc.commune_id, s.commune_id) IN ({again}) AND "
            )
        }
    };
    let (d1, d2, d3) = (q.bind(d), q.bind(d), q.bind(d));
    let (subjects, recognitions) = (from(q, "subject"), from(q, "recognition"));
    format!(
        "{located}, pop AS MATERIALIZED (SELECT s.id AS id, \
           COALESCE(loc.commune_id, s.commune_id) AS commune_id, \
           s.search_text AS search_text FROM {subjects} s \
           LEFT JOIN loc ON loc.subject_id = s.id \
         WHERE {placed}s.id IN (SELECT r.subject_id FROM {recognitions} r WHERE r.stars >= 3 \
             AND r.decision_date <= {d1} AND r.valid_until > {d2} \
             AND (r.revoked_on IS NULL OR r.revoked_on > {d3})))"
    )
}

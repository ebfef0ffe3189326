//! The indicator rules (docs/domain.md §4), one file each: the population, the value chain (its
//! stable raw-material area in `stable_area`) and the modern channel. A rule is written twice,
//! side by side in its file — as SQL, which counts every subject of a unit in one statement
//! ([`rule_ctes`]), and as Rust, which says for one subject which record makes it count or what
//! is missing (`explain`). The two must agree; the service checks each explained page against the
//! SQL, and the tests check both against an independent oracle. What the rules share is here:
//! the SQL of verifications and refusals in force, and a certificate that counts, as SQL and as
//! Rust.

pub mod modern_channel;
pub mod population;
mod stable_area;
pub mod value_chain;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use entity::certification as cert;

use super::engine::Communes;
use super::explain::{Evidence, status_on};
use crate::clock;
use crate::db::Sql;
use crate::domain::{CertStatus, TrackedStatus};
use crate::history::Known;
use crate::policies::dto::Policy;

/// Builds the rules of `docs/domain.md` §4 for day `d` under `policy`, over the subjects recorded in
/// `communes`, as three common table expressions:
///
/// - `pop(id, commune_id, search_text)`: the population;
/// - `vc(id)`: population subjects that count for the value chain;
/// - `mc(id)`: population subjects that count for the modern channel.
///
/// Each rule is a set of subject ids filtered with `IN` in a `WHERE` clause, which both databases
/// turn into a semi-join computed once (PostgreSQL: a hash join that spills to disk when large;
/// SQLite: a temporary index). Correlated `EXISTS` per subject was 2–4 times slower on SQLite,
/// and `IN` in the select list makes PostgreSQL rescan the set for every row once it outgrows
/// `work_mem` (minutes at a million subjects); `docs/benchmarks.md` has the figures.
pub fn rule_ctes(
    q: &mut Sql,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    known: Known,
) -> String {
    let population = population::sql(q, d, communes, known);
    let value_chain = value_chain::sql(q, policy, d, known);
    let modern_channel = modern_channel::sql(q, policy, d, known);
    format!(
        "WITH {population}, \
         vc AS MATERIALIZED (SELECT id FROM pop WHERE {value_chain}), \
         mc AS MATERIALIZED (SELECT id FROM pop WHERE id IN ({modern_channel}))"
    )
}

/// The end (exclusive) of a period of `months` starting on `from`: the same day `months` later,
/// clamped to the end of a shorter month (chrono's calendar months).
pub fn months_after(from: NaiveDate, months: i32) -> NaiveDate {
    from.checked_add_months(Months::new(u32::try_from(months).unwrap_or(0)))
        .unwrap_or(NaiveDate::MAX)
}

/// The latest start whose period of `months` has ended by day `d`: a period starting on `s`
/// still runs on `d` exactly when `s` is after it. The same comparison is then made in SQL on
/// both databases, which do calendar months differently.
pub fn latest_lapsed_start(d: NaiveDate, months: i32) -> NaiveDate {
    let m = Months::new(u32::try_from(months).unwrap_or(0));
    let mut c = d.checked_sub_months(m).unwrap_or(NaiveDate::MIN);
    // Clamping makes months_after non-decreasing but not one-to-one: step to the boundary.
    while let Some(next) = c.succ_opt()
        && months_after(next, months) <= d
    {
        c = next;
    }
    while months_after(c, months) > d
        && let Some(prev) = c.pred_opt()
    {
        c = prev;
    }
    c
}

/// The window in which an active listing must have been seen: from the start of day
/// `D − freshness` to the end of day D (Vietnamese days).
pub fn freshness_window(policy: &Policy, d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let days = u64::try_from(policy.channel_freshness_days).unwrap_or(0);
    let start = clock::day_start_utc(d.checked_sub_days(Days::new(days)).unwrap_or(d));
    let end = clock::day_start_utc(d.checked_add_days(Days::new(1)).unwrap_or(d));
    (start, end)
}

/// The condition that version `v` of `table` is the one a move recorded at `at` saw: the
/// earliest version still current at that instant (the version in force then; the record's
/// first when the move was written with it). `docs/domain.md` §7: a verification vouches for what
/// it saw.
pub(super) fn seen_at(table: &str, v: &str, id: &str, at: &str) -> String {
    format!(
        "{v}.id = {id} AND ({v}.superseded_at IS NULL OR {v}.superseded_at > {at}) \
         AND NOT EXISTS (SELECT 1 FROM \"{table}_version\" o WHERE o.id = {v}.id \
           AND o.recorded_at < {v}.recorded_at \
           AND (o.superseded_at IS NULL OR o.superseded_at > {at}))"
    )
}

/// Joins, to the rows of `entity` aliased `row`, the status event `{row}_e` in force on `d`
/// (the last recorded of those effective by then) when it moved the record to `status` (and
/// satisfies `more`, a condition on the event), and `{row}_v`: the version of the row that
/// event saw ([`seen_at`]).
pub(super) fn verification_in_force(
    q: &mut Sql,
    d: NaiveDate,
    known: Known,
    entity: &str,
    row: &str,
    status: &str,
    more: &str,
) -> String {
    let table = crate::history::table_of(entity);
    let (events, latest) = (
        known.table("status_event", |v| q.bind(v)),
        known.table("status_event", |v| q.bind(v)),
    );
    let (d1, d2) = (q.bind(d), q.bind(d));
    let e = format!("{row}_e");
    let v = format!("{row}_v");
    let seen = seen_at(table, &v, &format!("{row}.id"), &format!("{e}.at"));
    format!(
        "JOIN {events} {e} ON {e}.entity_id = {row}.id AND {e}.entity = '{entity}' \
           AND {e}.effective_on <= {d1} AND {e}.to_status = '{status}'{more} \
           AND {e}.seq = (SELECT MAX(x.seq) FROM {latest} x WHERE x.entity = '{entity}' \
             AND x.entity_id = {row}.id AND x.effective_on <= {d2}) \
         JOIN \"{table}_version\" {v} ON {seen}"
    )
}

/// The condition that an auditor refused `entity` record `id` by `d`: a move to one of
/// `statuses` effective by then — the one in force on `d` (the last recorded of those effective
/// by then) when `in_force`, any when not.
pub(super) fn refused_on(
    q: &mut Sql,
    (d, known): (NaiveDate, Known),
    entity: &str,
    id: &str,
    statuses: &[&str],
    in_force: bool,
) -> String {
    let ev1 = known.table("status_event", |v| q.bind(v));
    let d1 = q.bind(d);
    let statuses = q.bind_list(statuses.iter().map(|s| (*s).to_owned()));
    let last = if in_force {
        let ev2 = known.table("status_event", |v| q.bind(v));
        let d2 = q.bind(d);
        format!(
            " AND re.seq = (SELECT MAX(y.seq) FROM {ev2} y WHERE y.entity = '{entity}' \
               AND y.entity_id = {id} AND y.effective_on <= {d2})"
        )
    } else {
        String::new()
    };
    format!(
        "EXISTS (SELECT 1 FROM {ev1} re WHERE re.entity = '{entity}' \
           AND re.entity_id = {id} AND re.effective_on <= {d1} \
           AND re.to_status IN ({statuses}){last})"
    )
}

/// A certification (aliased `c`) that counts as a certificate on `d`: verified on `d` as
/// [`verification_in_force`] reads it, and, as that verification saw it (`c_v`), issued by
/// `d`, not expired, and within its scheme's cap under the policy. Its scheme is `cs`. Returns
/// the joins and the condition.
pub(super) fn certificate_in_force(
    q: &mut Sql,
    d: NaiveDate,
    known: Known,
    caps: &[(String, NaiveDate)],
) -> (String, String) {
    let schemes = known.table("certification_scheme", |v| q.bind(v));
    let verified = verification_in_force(
        q,
        d,
        known,
        "certification",
        "c",
        CertStatus::Verified.code(),
        "",
    );
    let (d1, d2) = (q.bind(d), q.bind(d));
    // A certificate counts at most its scheme's maximum validity from its issue date.
    let capped = if caps.is_empty() {
        String::new()
    } else {
        let arms: String = caps
            .iter()
            .map(|(code, cut)| format!(" WHEN {} THEN {}", q.bind(code.clone()), q.bind(*cut)))
            .collect();
        format!(
            " AND c_v.issued_on > CASE cs.code{arms} ELSE {} END",
            // Before any date the registry accepts (and within PostgreSQL's range).
            q.bind(clock::date(1899, 12, 31))
        )
    };
    (
        format!("{verified} JOIN {schemes} cs ON cs.id = c_v.scheme_id"),
        format!("c_v.issued_on <= {d1} AND c_v.expires_on > {d2}{capped}"),
    )
}

/// Whether certification version `c` (as its verification in force on `d` saw it) counts as a
/// certificate on `d`, whatever its category: verified, issued by `d`, not expired, within its
/// scheme's cap.
pub(super) fn certificate_counts(ev: &Evidence, c: &cert::Model, d: NaiveDate, p: &Policy) -> bool {
    let verified = status_on(ev.cert_history.get(&c.id), d)
        .is_some_and(|e| e.to_status == TrackedStatus::Verified);
    let capped = ev
        .schemes
        .get(&c.scheme_id)
        .and_then(|s| p.cap_of(&s.code))
        .is_some_and(|m| months_after(c.issued_on, m) <= d);
    verified && c.issued_on <= d && d < c.expires_on && !capped
}

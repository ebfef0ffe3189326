//! The indicator rules as SQL: one statement counts the population and both numerators per
//! recorded commune, each rule a set of subject ids computed once by the database. The same text
//! runs on SQLite and PostgreSQL; only parameter markers differ.

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use crate::clock;
use crate::domain::{CertStatus, Tenure, VerificationStatus};
use crate::error::AppResult;
use crate::history::Known;
use crate::policies::dto::Policy;

/// Whose subjects a query reads, by their commune on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communes {
    /// Every subject, wherever it is (the country: no list of 13,000 communes to bind).
    Every,
    /// The subjects in these communes (versions of record or of relocation).
    Listed(Vec<Uuid>),
}

impl Communes {
    /// Whether no subject can be read.
    pub fn is_empty(&self) -> bool {
        matches!(self, Communes::Listed(v) if v.is_empty())
    }
}

/// SQL text with its bound values, numbering markers for the backend.
#[derive(Debug)]
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// Empty statement for a backend.
    pub fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its numbered marker (`$n` on PostgreSQL, `?n` on SQLite):
    /// fragments are bound in one order and placed in the text in another.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// Binds a list and returns `m1, m2, …` (the list must not be empty).
    pub fn bind_list<V: Into<Value>>(&mut self, items: impl IntoIterator<Item = V>) -> String {
        items
            .into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Appends text.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// The statement.
    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
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

/// Per scheme the policy caps (docs/domain.md §7), the latest issue date of a certificate that no
/// longer counts on `d` under its cap.
fn validity_caps(policy: &Policy, d: NaiveDate) -> Vec<(String, NaiveDate)> {
    if !policy.cap_certificate_validity {
        return Vec::new();
    }
    policy
        .validity_caps
        .iter()
        .map(|(code, m)| (code.clone(), latest_lapsed_start(d, *m)))
        .collect()
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
fn seen_at(table: &str, v: &str, id: &str, at: &str) -> String {
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
fn verification_in_force(
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
fn refused_on(
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
fn certificate_in_force(
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

/// The condition that area row or version `a` is a stable raw-material area on `d` (§4.2).
fn stable_on(q: &mut Sql, policy: &Policy, d: NaiveDate, a: &str) -> String {
    let (d1, d2, d3, d4) = (q.bind(d), q.bind(d), q.bind(d), q.bind(d));
    let min = q.bind(policy.min_linkage_months);
    let code = if policy.growing_area_code_is_stable {
        format!(" OR {a}.growing_area_code IS NOT NULL")
    } else {
        String::new()
    };
    format!(
        "({a}.valid_from IS NULL OR {a}.valid_from <= {d1}) \
         AND ({a}.valid_to IS NULL OR {a}.valid_to >= {d2}) \
         AND ({a}.tenure IN ('{own}', '{leased}') \
              OR ({a}.tenure = '{linked}' AND {a}.linkage_start_on <= {d3} \
                  AND {a}.linkage_end_on >= {d4} AND {a}.linkage_months >= {min}){code})",
        own = Tenure::Own.code(),
        leased = Tenure::Leased.code(),
        linked = Tenure::Linked.code(),
    )
}

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
    // Every table read as known at the knowledge time (the live tables when it is now).
    let from = |q: &mut Sql, table: &str| known.table(table, |v| q.bind(v));
    // The commune of each subject on D (docs/domain.md §8): where its latest relocation effective by
    // D took it; before any, where its earliest took it from; a subject that never moved is in
    // its commune of record. Relocations are few, so this set is small.
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
    let population = {
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
    };

    let caps = validity_caps(policy, d);
    let certified = {
        let cats = q.bind_list(policy.value_chain_categories.iter().map(|c| c.code()));
        let certs = from(q, "certification");
        let (joins, counts) = certificate_in_force(q, d, known, &caps);
        // The values read are those the verification in force on D saw (docs/domain.md §7), not
        // the live row: an owner's later edit never moves a date an auditor vouched for.
        format!(
            "SELECT c.subject_id FROM {certs} c {joins} \
             WHERE cs.category IN ({cats}) AND {counts}"
        )
    };
    let stable_area = if policy.verify_areas {
        // Version 3: an area counts as an auditor verified it (the version its verification
        // in force on D saw), or as the certification scoped to it saw it when verified (any
        // certificate that counts as one on D, whatever its category).
        let areas = from(q, "raw_material_area");
        let verified =
            verification_in_force(q, d, known, "area", "a", CertStatus::Verified.code(), "");
        let stable = stable_on(q, policy, d, "a_v");
        let certs = from(q, "certification");
        let (joins, counts) = certificate_in_force(q, d, known, &caps);
        let scoped = seen_at("raw_material_area", "sa", "c_v.area_id", "c_e.at");
        let scoped_stable = stable_on(q, policy, d, "sa");
        // An auditor's own refusal of the area (rejected, suspended, revoked in force on D)
        // outweighs a certificate's scope.
        let refused = refused_on(
            q,
            (d, known),
            "area",
            "sa.id",
            &[
                CertStatus::Rejected.code(),
                CertStatus::Suspended.code(),
                CertStatus::Revoked.code(),
            ],
            true,
        );
        format!(
            "SELECT a.subject_id FROM {areas} a {verified} WHERE {stable} \
             UNION SELECT c.subject_id FROM {certs} c {joins} \
             JOIN \"raw_material_area_version\" sa ON {scoped} \
             WHERE {counts} AND {scoped_stable} AND NOT {refused}"
        )
    } else {
        // Versions 1 and 2: the area as registered.
        let areas = from(q, "raw_material_area");
        let stable = stable_on(q, policy, d, "a");
        format!("SELECT a.subject_id FROM {areas} a WHERE {stable}")
    };
    let evidenced_channel = {
        let kinds = q.bind_list(policy.modern_kinds.iter().map(|k| k.code()));
        let (d1, d2) = (q.bind(d), q.bind(d));
        let channels = from(q, "sales_channel");
        // A channel an auditor refused by D counts neither as declared nor by what the sync
        // saw: only a verification after the refusal makes it count again (an owner's new
        // declaration sends it back to the auditor, it does not undo the refusal).
        let refused = refused_on(
            q,
            (d, known),
            "channel",
            "ch.id",
            &[VerificationStatus::Rejected.code()],
            false,
        );
        // As declared: the live row's kind and period.
        let declared = format!(
            "SELECT ch.subject_id FROM {channels} ch WHERE ch.kind IN ({kinds}) \
             AND (ch.active_from IS NULL OR ch.active_from <= {d1}) \
             AND (ch.active_to IS NULL OR ch.active_to >= {d2}) AND NOT {refused}"
        );
        if policy.count_declared_channels {
            declared
        } else {
            // Verified: the kind and period the verification in force on D saw, while it
            // lasts (`verification_valid_months`).
            let fresh = match policy.verification_valid_months {
                Some(m) => format!(
                    " AND ch_e.effective_on > {}",
                    q.bind(latest_lapsed_start(d, m))
                ),
                None => String::new(),
            };
            let channels = from(q, "sales_channel");
            let verified = verification_in_force(
                q,
                d,
                known,
                "channel",
                "ch",
                VerificationStatus::Verified.code(),
                &fresh,
            );
            let kinds = q.bind_list(policy.modern_kinds.iter().map(|k| k.code()));
            let (d1, d2, d3, d4) = (q.bind(d), q.bind(d), q.bind(d), q.bind(d));
            // Active on D as the verification saw it and as the owner says now: an owner who
            // says the shop stopped is taken at its word.
            let verified = format!(
                "SELECT ch.subject_id FROM {channels} ch {verified} WHERE ch_v.kind IN ({kinds}) \
                 AND (ch_v.active_from IS NULL OR ch_v.active_from <= {d1}) \
                 AND (ch_v.active_to IS NULL OR ch_v.active_to >= {d2}) \
                 AND (ch.active_from IS NULL OR ch.active_from <= {d3}) \
                 AND (ch.active_to IS NULL OR ch.active_to >= {d4})"
            );
            // Observed: an active listing seen by the sync in the freshness window, from a
            // source the policy trusts (what the marketplace showed, not what was declared).
            let spans = from(q, "listing_span");
            let (from, to) = freshness_window(policy, d);
            let (w1, w2) = (q.bind(from), q.bind(to));
            let trusted = if policy.count_owner_managed_listings {
                String::new()
            } else {
                format!(" AND ls.trusted = {}", q.bind(true))
            };
            format!(
                "{verified} UNION {declared} AND EXISTS (SELECT 1 FROM {spans} ls \
                 WHERE ls.channel_id = ch.id AND ls.to_at >= {w1} AND ls.from_at < {w2}{trusted})"
            )
        }
    };
    format!(
        "WITH {population}, \
         vc AS MATERIALIZED (SELECT id FROM pop WHERE id IN ({certified}) AND id IN ({stable_area})), \
         mc AS MATERIALIZED (SELECT id FROM pop WHERE id IN ({evidenced_channel}))"
    )
}

/// Population and numerators of the subjects recorded in one commune version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub population: i64,
    pub value_chain: i64,
    pub modern_channel: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.population += o.population;
        self.value_chain += o.value_chain;
        self.modern_channel += o.modern_channel;
    }
}

/// Counts per recorded commune, for the subjects recorded in `communes`.
pub async fn counts_by_commune(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    known: Known,
) -> AppResult<Vec<(Uuid, Counts)>> {
    if communes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(db.get_database_backend());
    let ctes = rule_ctes(&mut q, policy, d, communes, known);
    q.push(&format!(
        "{ctes} SELECT p.commune_id AS commune_id, COUNT(*) AS population, \
         COUNT(vc.id) AS value_chain, COUNT(mc.id) AS modern_channel \
         FROM pop p LEFT JOIN vc ON vc.id = p.id LEFT JOIN mc ON mc.id = p.id \
         GROUP BY p.commune_id"
    ));
    let rows = db.query_all_raw(q.build()).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "commune_id")?,
                Counts {
                    population: r.try_get::<i64>("", "population")?,
                    value_chain: r.try_get::<i64>("", "value_chain")?,
                    modern_channel: r.try_get::<i64>("", "modern_channel")?,
                },
            ))
        })
        .collect()
}

/// Which indicator a subject list is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    ValueChain,
    ModernChannel,
}

/// A population subject with its two verdicts.
#[derive(Debug, Clone)]
pub struct SubjectFlags {
    pub id: Uuid,
    pub commune_id: Uuid,
    pub value_chain: bool,
    pub modern_channel: bool,
}

/// Which part of the population list, in which order.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u64,
    pub offset: u64,
    /// By the commune's name (then the subject's), instead of by the subject's name.
    pub by_commune: bool,
}

impl Window {
    /// Everything, by name.
    pub const ALL: Window = Window {
        limit: u64::MAX,
        offset: 0,
        by_commune: false,
    };
}

/// Population subjects recorded in `communes`, by name, optionally only those that count (or
/// do not) for one indicator; a page of them (`limit`, `offset`) and the total. With a filter,
/// only the filtered indicator's flag is computed (the other reads `false`).
pub async fn subjects(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    filter: Option<(Which, bool)>,
    window: Window,
    known: Known,
) -> AppResult<(Vec<SubjectFlags>, u64)> {
    let Window {
        limit,
        offset,
        by_commune,
    } = window;
    if communes.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // Filtered on one indicator, only that indicator's rules run (an unreferenced CTE is never
    // computed): a drill-down page costs about half a report.
    let (joins, where_sql, vc_flag, mc_flag) = match filter {
        Some((Which::ValueChain, counts)) => (
            "LEFT JOIN vc ON vc.id = p.id",
            if counts {
                " WHERE vc.id IS NOT NULL"
            } else {
                " WHERE vc.id IS NULL"
            },
            "CASE WHEN vc.id IS NULL THEN 0 ELSE 1 END",
            "0",
        ),
        Some((Which::ModernChannel, counts)) => (
            "LEFT JOIN mc ON mc.id = p.id",
            if counts {
                " WHERE mc.id IS NOT NULL"
            } else {
                " WHERE mc.id IS NULL"
            },
            "0",
            "CASE WHEN mc.id IS NULL THEN 0 ELSE 1 END",
        ),
        None => (
            "LEFT JOIN vc ON vc.id = p.id LEFT JOIN mc ON mc.id = p.id",
            "",
            "CASE WHEN vc.id IS NULL THEN 0 ELSE 1 END",
            "CASE WHEN mc.id IS NULL THEN 0 ELSE 1 END",
        ),
    };
    let from = format!("FROM pop p {joins}{where_sql}");
    let order = if by_commune {
        // The unit table holds reference data only: read live whatever the knowledge time.
        " ORDER BY (SELECT u.name_folded FROM unit u WHERE u.id = p.commune_id), p.search_text, p.id"
    } else {
        " ORDER BY p.search_text, p.id"
    };
    let statement = |count_only: bool| {
        let mut q = Sql::new(db.get_database_backend());
        let ctes = rule_ctes(&mut q, policy, d, communes, known);
        if count_only {
            q.push(&format!("{ctes} SELECT COUNT(*) AS n {from}"));
        } else {
            let (l, o) = (
                q.bind(i64::try_from(limit).unwrap_or(i64::MAX)),
                q.bind(i64::try_from(offset).unwrap_or(i64::MAX)),
            );
            // The total comes with the page (a window over the filtered rows), so the rules
            // run once.
            q.push(&format!(
                "{ctes} SELECT p.id AS id, p.commune_id AS commune_id, \
                 {vc_flag} AS vc, {mc_flag} AS mc, COUNT(*) OVER () AS total \
                 {from}{order} LIMIT {l} OFFSET {o}"
            ));
        }
        q.build()
    };
    let rows = db.query_all_raw(statement(false)).await?;
    let mut total = None;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        total = Some(r.try_get::<i64>("", "total")?);
        items.push(SubjectFlags {
            id: r.try_get("", "id")?,
            commune_id: r.try_get("", "commune_id")?,
            value_chain: r.try_get::<i32>("", "vc")? == 1,
            modern_channel: r.try_get::<i32>("", "mc")? == 1,
        });
    }
    let total = match total {
        Some(t) => t,
        // A page past the end has no row to carry the total.
        None if offset > 0 => db
            .query_one_raw(statement(true))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0),
        None => 0,
    };
    Ok((items, u64::try_from(total).unwrap_or(0)))
}

/// Population subjects recorded in `communes` (ids, recorded communes), without verdicts.
pub async fn population(
    db: &impl ConnectionTrait,
    policy: &Policy,
    d: NaiveDate,
    communes: &Communes,
    known: Known,
) -> AppResult<Vec<(Uuid, Uuid)>> {
    if communes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(db.get_database_backend());
    let ctes = rule_ctes(&mut q, policy, d, communes, known);
    q.push(&format!(
        "{ctes} SELECT p.id AS id, p.commune_id AS commune_id FROM pop p \
         ORDER BY p.search_text, p.id"
    ));
    db.query_all_raw(q.build())
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "commune_id")?)))
        .collect()
}

//! The evidence explanations read: for a page of population subjects, their records re-read as
//! known at the knowledge time, with the versions their verifications saw. Each rule's
//! `explain` ([`super::rules`]) applies the rule to it in Rust.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    certification as cert, certification_scheme as scheme, listing, listing_span,
    listing_span_extension, raw_material_area as area, recognition, sales_channel as channel,
    status_event, subject,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::ActiveRecognition;
use super::notes::Note;
use super::rules::freshness_window;
use crate::domain::{CertStatus, Tracked, TrackedStatus, VerificationStatus};
use crate::error::AppResult;
use crate::history::Known;
use crate::i18n::Lang;
use crate::lifecycle::histories;
use crate::policies::dto::Policy;

/// The listing spans of channels that intersect `[from, to)` as known (with the end their
/// recorded growth had reached by then).
async fn known_spans(
    db: &impl ConnectionTrait,
    channels: &[Uuid],
    known: Known,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<Vec<listing_span::Model>> {
    // A span known then ended no later than it does now: the test on the live end narrows.
    let spans = listing_span::Entity::find()
        .filter(listing_span::Column::ChannelId.is_in(channels.to_vec()))
        .filter(listing_span::Column::ToAt.gte(from))
        .filter(listing_span::Column::FromAt.lt(to));
    let Some(t) = known.0 else {
        return Ok(spans.all(db).await?);
    };
    let spans = spans
        .filter(listing_span::Column::RecordedAt.lte(t))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = spans.iter().map(|s| s.id).collect();
    let mut ends: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for x in listing_span_extension::Entity::find()
        .filter(listing_span_extension::Column::SpanId.is_in(ids))
        .filter(listing_span_extension::Column::RecordedAt.lte(t))
        .all(db)
        .await?
    {
        let end = ends.entry(x.span_id).or_insert(x.to_at);
        *end = (*end).max(x.to_at);
    }
    Ok(spans
        .into_iter()
        .map(|mut s| {
            s.to_at = ends.get(&s.id).copied().unwrap_or(s.from_at);
            s
        })
        .filter(|s| s.to_at >= from)
        .collect())
}

/// The evidence of a set of subjects, loaded in a handful of queries.
#[derive(Debug, Default)]
pub struct Evidence {
    pub subjects: HashMap<Uuid, subject::Model>,
    pub(super) recognitions: HashMap<Uuid, Vec<recognition::Model>>,
    pub(super) certs: HashMap<Uuid, Vec<cert::Model>>,
    /// Certification → the values its verification in force on the day saw (docs/domain.md §7).
    pub(super) cert_seen: HashMap<Uuid, cert::Model>,
    pub(super) schemes: HashMap<Uuid, scheme::Model>,
    pub(super) cert_history: HashMap<Uuid, Vec<status_event::Model>>,
    pub(super) areas: HashMap<Uuid, Vec<area::Model>>,
    pub(super) area_history: HashMap<Uuid, Vec<status_event::Model>>,
    /// Area → the values its verification in force on the day saw.
    pub(super) area_seen: HashMap<Uuid, area::Model>,
    /// Certification → the area in its scope as the certification's verification in force on
    /// the day saw it (policy version 3: such an area is vouched for by the certificate).
    pub(super) scope_seen: HashMap<Uuid, area::Model>,
    pub(super) channels: HashMap<Uuid, Vec<channel::Model>>,
    /// Channel → the values its verification in force on the day saw.
    pub(super) channel_seen: HashMap<Uuid, channel::Model>,
    pub(super) channel_history: HashMap<Uuid, Vec<status_event::Model>>,
    /// Channel → (span, listing) intersecting the freshness window.
    pub(super) spans: HashMap<Uuid, Vec<(listing_span::Model, listing::Model)>>,
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut out: HashMap<Uuid, Vec<T>> = HashMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

impl Evidence {
    /// Loads the evidence of `ids` relevant to day `d`.
    pub async fn load(
        db: &impl ConnectionTrait,
        ids: &[Uuid],
        policy: &Policy,
        d: NaiveDate,
        known: Known,
    ) -> AppResult<Self> {
        if ids.is_empty() {
            return Ok(Evidence::default());
        }
        let ids = ids.to_vec();
        let subjects = known
            .select::<subject::Entity>()
            .filter(subject::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?;
        let recognitions = known
            .select::<recognition::Entity>()
            .filter(recognition::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let certs = known
            .select::<cert::Entity>()
            .filter(cert::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let schemes = known.select::<scheme::Entity>().all(db).await?;
        let cert_ids: Vec<Uuid> = certs.iter().map(|c| c.id).collect();
        let cert_history = histories(db, Tracked::Certification, &cert_ids, known).await?;
        let areas = known
            .select::<area::Entity>()
            .filter(area::Column::SubjectId.is_in(ids.clone()))
            .all(db)
            .await?;
        let area_ids: Vec<Uuid> = areas.iter().map(|a| a.id).collect();
        let area_history = histories(db, Tracked::Area, &area_ids, known).await?;
        let area_seen =
            seen_on::<area::Entity>(db, &area_ids, &area_history, d, CertStatus::Verified.into())
                .await?;
        let channels = known
            .select::<channel::Entity>()
            .filter(channel::Column::SubjectId.is_in(ids))
            .all(db)
            .await?;
        let channel_ids: Vec<Uuid> = channels.iter().map(|c| c.id).collect();
        let channel_history = histories(db, Tracked::Channel, &channel_ids, known).await?;
        let cert_seen =
            seen_on::<cert::Entity>(db, &cert_ids, &cert_history, d, CertStatus::Verified.into())
                .await?;
        let scope_seen = scope_seen(db, &cert_seen, &cert_history, d).await?;
        let channel_seen = seen_on::<channel::Entity>(
            db,
            &channel_ids,
            &channel_history,
            d,
            VerificationStatus::Verified.into(),
        )
        .await?;
        let (from, to) = freshness_window(policy, d);
        let spans = if channel_ids.is_empty() {
            Vec::new()
        } else {
            known_spans(db, &channel_ids, known, (from, to)).await?
        };
        let listing_ids: Vec<Uuid> = spans.iter().map(|s| s.listing_id).collect();
        let listings: HashMap<Uuid, listing::Model> = if listing_ids.is_empty() {
            HashMap::new()
        } else {
            listing::Entity::find()
                .filter(listing::Column::Id.is_in(listing_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, l))
                .collect()
        };
        let spans = group(
            spans
                .into_iter()
                .filter_map(|s| listings.get(&s.listing_id).cloned().map(|l| (s, l)))
                .collect(),
            |(s, _)| s.channel_id,
        );
        Ok(Evidence {
            subjects: subjects.into_iter().map(|s| (s.id, s)).collect(),
            recognitions: group(recognitions, |r| r.subject_id),
            certs: group(certs, |c| c.subject_id),
            cert_seen,
            schemes: schemes.into_iter().map(|s| (s.id, s)).collect(),
            cert_history,
            areas: group(areas, |a| a.subject_id),
            area_history,
            area_seen,
            scope_seen,
            channels: group(channels, |c| c.subject_id),
            channel_seen,
            channel_history,
            spans,
        })
    }

    /// The recognitions that make the subject active on `d` (3★+, decided, not expired, not
    /// revoked).
    pub fn active_recognitions(&self, subject: Uuid, d: NaiveDate) -> Vec<ActiveRecognition> {
        let mut out: Vec<ActiveRecognition> = self
            .recognitions
            .get(&subject)
            .into_iter()
            .flatten()
            .filter(|r| {
                r.stars >= 3
                    && r.decision_date <= d
                    && d < r.valid_until
                    && r.revoked_on.is_none_or(|x| x > d)
            })
            .map(|r| ActiveRecognition {
                id: r.id,
                product_id: r.product_id,
                stars: r.stars,
                decision_no: r.decision_no.clone(),
                decision_date: r.decision_date,
                valid_until: r.valid_until,
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.decision_date));
        out
    }
}

/// For each record whose status on `d` is `status`, the version of it that move saw (the
/// values a verification vouched for).
async fn seen_on<E>(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    histories: &HashMap<Uuid, Vec<status_event::Model>>,
    d: NaiveDate,
    status: TrackedStatus,
) -> AppResult<HashMap<Uuid, E::Model>>
where
    E: sea_orm::EntityTrait + Default,
    E::Model: sea_orm::FromQueryResult + Clone,
{
    let moves: Vec<(Uuid, DateTime<Utc>)> = ids
        .iter()
        .filter_map(|id| {
            status_on(histories.get(id), d)
                .filter(|e| e.to_status == status)
                .map(|e| (*id, e.at))
        })
        .collect();
    if moves.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = moves.iter().map(|(id, _)| *id).collect();
    let versions = crate::history::Versions::<E::Model>::load::<E>(db, &ids).await?;
    Ok(moves
        .into_iter()
        .filter_map(|(id, at)| versions.seen_at(id, at).map(|m| (id, m.clone())))
        .collect())
}

/// For each verified certification scoped to an area, that area as the verification saw it.
async fn scope_seen(
    db: &impl ConnectionTrait,
    cert_seen: &HashMap<Uuid, cert::Model>,
    histories: &HashMap<Uuid, Vec<status_event::Model>>,
    d: NaiveDate,
) -> AppResult<HashMap<Uuid, area::Model>> {
    let scoped: Vec<(Uuid, Uuid, DateTime<Utc>)> = cert_seen
        .iter()
        .filter_map(|(id, c)| {
            let at = status_on(histories.get(id), d)?.at;
            Some((*id, c.area_id?, at))
        })
        .collect();
    if scoped.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = scoped.iter().map(|(_, a, _)| *a).collect();
    let versions = crate::history::Versions::<area::Model>::load::<area::Entity>(db, &ids).await?;
    Ok(scoped
        .into_iter()
        .filter_map(|(c, a, at)| versions.seen_at(a, at).map(|m| (c, m.clone())))
        .collect())
}

/// A record's status on day `d`: the last move effective on or before it.
pub(super) fn status_on(
    history: Option<&Vec<status_event::Model>>,
    d: NaiveDate,
) -> Option<&status_event::Model> {
    history?
        .iter()
        .filter(|e| e.effective_on <= d)
        .max_by_key(|e| e.seq)
}

/// The notes as the API's English `reasons`.
pub(super) fn english(notes: &[Note]) -> Vec<String> {
    notes.iter().map(|n| n.render(Lang::En)).collect()
}

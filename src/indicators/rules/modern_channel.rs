//! The modern channel (docs/domain.md §4, item 4): a population subject counts when one of its
//! channels of a modern kind is, on day D, verified by an auditor (while the verification
//! lasts), or declared and shown active by a listing the sync saw in the freshness window — and
//! was not refused since. Its SQL and its explanation, side by side.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{listing_span, sales_channel as channel};
use uuid::Uuid;

use super::super::dto::{ChannelEvidence, Gap, ListingEvidence, ModernChannelExplanation};
use super::super::explain::{Evidence, english, status_on};
use super::super::notes::{Arg, Note, date, int, term, text};
use super::{
    freshness_window, latest_lapsed_start, months_after, refused_on, verification_in_force,
};
use crate::db::Sql;
use crate::domain::{EvidencedBy, TrackedStatus, VerificationStatus};
use crate::history::Known;
use crate::policies::dto::Policy;

/// The subjects with a modern channel on `d` that counts (a set of subject ids).
pub fn sql(q: &mut Sql, policy: &Policy, d: NaiveDate, known: Known) -> String {
    // Every table read as known at the knowledge time (the live tables when it is now).
    let from = |q: &mut Sql, table: &str| known.table(table, |v| q.bind(v));
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
}

/// The modern-channel verdict of one subject and why.
pub fn explain(ev: &Evidence, subject: Uuid, d: NaiveDate, p: &Policy) -> ModernChannelExplanation {
    let mut channels: Vec<&channel::Model> =
        ev.channels.get(&subject).into_iter().flatten().collect();
    channels.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut why_not = WhyNot {
        notes: Vec::new(),
        gap: None,
    };
    // Every channel that counts, in order: the first explains the verdict; all are "Nơi mua".
    let found: Vec<ChannelEvidence> = channels
        .iter()
        .filter_map(|ch| judge_channel(ev, ch, d, p, &mut why_not))
        .collect();
    match found.first().cloned() {
        Some(c) => {
            let notes = vec![counting_note(&c, d, p)];
            ModernChannelExplanation {
                counts: true,
                reasons: english(&notes),
                notes,
                channel: Some(c),
                gaps: Vec::new(),
                counting: found,
            }
        }
        None => {
            let mut all = vec![Note::new("no_modern_channel", vec![("d", date(d))])];
            if channels.is_empty() {
                all.push(Note::new("no_channel", vec![]));
            }
            all.extend(why_not.notes);
            // A subject that sells only at a traditional market has no modern channel to
            // keep current: what it lacks is one.
            let any_modern = channels.iter().any(|ch| p.modern_kinds.contains(&ch.kind));
            let gap = if !any_modern {
                Gap::NoChannel
            } else {
                why_not.gap.unwrap_or(Gap::ChannelNotActive)
            };
            ModernChannelExplanation {
                counts: false,
                channel: None,
                reasons: english(&all),
                notes: all,
                gaps: vec![gap],
                counting: found,
            }
        }
    }
}

/// Why the subject's channels do not count, as far as read: the notes, and the gap that matters
/// most.
struct WhyNot {
    notes: Vec<Note>,
    gap: Option<Gap>,
}

impl WhyNot {
    fn add(&mut self, note: Note, gap: Option<Gap>) {
        self.notes.push(note);
        self.gap = self.gap.max(gap);
    }
}

/// Whether channel version `c` is of a modern kind and active on `d`.
fn modern_on(p: &Policy, c: &channel::Model, d: NaiveDate) -> bool {
    p.modern_kinds.contains(&c.kind)
        && c.active_from.is_none_or(|f| f <= d)
        && c.active_to.is_none_or(|t| t >= d)
}

/// Channel `ch`'s evidence when it counts on `d`; otherwise why not, added to `why_not`.
fn judge_channel(
    ev: &Evidence,
    ch: &channel::Model,
    d: NaiveDate,
    p: &Policy,
    why_not: &mut WhyNot,
) -> Option<ChannelEvidence> {
    let history = ev.channel_history.get(&ch.id);
    let verified_event = status_on(history, d).filter(|e| e.to_status == TrackedStatus::Verified);
    // A verification lasts `verification_valid_months` under the policy.
    let lapsed = verified_event.and_then(|e| {
        p.verification_valid_months
            .map(|m| (m, months_after(e.effective_on, m)))
            .filter(|(_, end)| *end <= d)
            .map(|(m, end)| Lapsed {
                on: e.effective_on,
                months: m,
                end,
            })
    });
    // A verification vouches for the channel it saw (its kind, platform, shop and period), not
    // for what the owner declared since.
    let vouched = verified_event
        .filter(|_| lapsed.is_none() && !p.count_declared_channels)
        .and_then(|e| ev.channel_seen.get(&ch.id).map(|seen| (e, seen)));
    if let Some((e, seen)) = vouched {
        // Active on D as verified and as the owner says now (a shop it says stopped is taken at
        // its word; the declared path below says why).
        let live_active =
            ch.active_from.is_none_or(|f| f <= d) && ch.active_to.is_none_or(|t| t >= d);
        if modern_on(p, seen, d) && live_active {
            return Some(ChannelEvidence {
                id: ch.id,
                kind: seen.kind,
                platform: seen.platform.clone(),
                evidenced_by: EvidencedBy::Verified,
                verified_on: Some(e.effective_on),
                listing: None,
                shop_url: seen.shop_url.clone(),
            });
        }
        if !modern_on(p, seen, d) {
            why_not.add(
                Note::new(
                    "channel_verified_other",
                    vec![
                        ("on", date(e.effective_on)),
                        ("seen_platform", term("platform", seen.platform.code())),
                        ("seen_kind", term("kind", seen.kind.code())),
                    ],
                ),
                None,
            );
        }
    }
    judge_declared(ev, ch, lapsed, d, p, why_not)
}

/// A verification that no longer vouches on D: made `on`, lasting `months`, ended `end`.
#[derive(Clone, Copy)]
struct Lapsed {
    on: NaiveDate,
    months: i32,
    end: NaiveDate,
}

/// The channel as declared now, which only the sync's observation (or a policy that counts
/// declarations) makes count.
fn judge_declared(
    ev: &Evidence,
    ch: &channel::Model,
    lapsed: Option<Lapsed>,
    d: NaiveDate,
    p: &Policy,
    why_not: &mut WhyNot,
) -> Option<ChannelEvidence> {
    let history = ev.channel_history.get(&ch.id);
    let label = |mut more: Vec<(&'static str, Arg)>| {
        more.push(("platform", term("platform", ch.platform.code())));
        more.push(("kind", term("kind", ch.kind.code())));
        more
    };
    if let Some((gap, note)) = declaration_refused(ch, history, d, p) {
        let note = note
            .with("platform", term("platform", ch.platform.code()))
            .with("kind", term("kind", ch.kind.code()));
        why_not.add(note, gap);
        return None;
    }
    let (listing, untrusted_only) = counted_listing(ev, ch, d, p);
    let evidence = |by, listing| ChannelEvidence {
        id: ch.id,
        kind: ch.kind,
        platform: ch.platform.clone(),
        evidenced_by: by,
        verified_on: None,
        listing,
        shop_url: ch.shop_url.clone(),
    };
    if listing.is_some() {
        return Some(evidence(EvidencedBy::Observed, listing));
    }
    if p.count_declared_channels {
        return Some(evidence(EvidencedBy::Declared, None));
    }
    let later_verified = history
        .into_iter()
        .flatten()
        .filter(|e| e.effective_on > d && e.to_status == TrackedStatus::Verified)
        .map(|e| e.effective_on)
        .min();
    // Why the declaration is all there is: a verification that lapsed, or one that came after
    // the date.
    let window_from = d
        .checked_sub_days(Days::new(
            u64::try_from(p.channel_freshness_days).unwrap_or(0),
        ))
        .unwrap_or(d);
    let mut args = label(vec![
        ("d", date(d)),
        ("from", date(window_from)),
        ("version", int(p.version)),
    ]);
    match (lapsed, later_verified) {
        (Some(l), _) => args.extend([
            ("later", text("lapsed")),
            ("on", date(l.on)),
            ("end", date(l.end)),
            ("months", int(l.months)),
        ]),
        (None, Some(v)) => args.extend([("later", text("after")), ("on", date(v))]),
        (None, None) => args.push(("later", text("none"))),
    }
    let (code, gap) = if untrusted_only {
        ("channel_owner_listings_only", Gap::OwnerListingsOnly)
    } else {
        ("channel_declared_only", Gap::DeclaredOnly)
    };
    why_not.add(Note::new(code, args), Some(gap));
    None
}

/// Why channel `ch`'s declaration cannot count on `d` whatever its listings: not a modern kind,
/// not active on D, or refused by an auditor by D (until a verification after it, read before).
fn declaration_refused(
    ch: &channel::Model,
    history: Option<&Vec<entity::status_event::Model>>,
    d: NaiveDate,
    p: &Policy,
) -> Option<(Option<Gap>, Note)> {
    if !p.modern_kinds.contains(&ch.kind) {
        let version = vec![("version", int(p.version))];
        return Some((None, Note::new("channel_not_modern", version)));
    }
    if let Some(f) = ch.active_from.filter(|f| *f > d) {
        let when = vec![("from", date(f)), ("d", date(d))];
        return Some((None, Note::new("channel_active_after", when)));
    }
    if let Some(t) = ch.active_to.filter(|t| *t < d) {
        let when = vec![("to", date(t))];
        return Some((None, Note::new("channel_stopped", when)));
    }
    history
        .into_iter()
        .flatten()
        .rev()
        .find(|e| e.to_status == TrackedStatus::Rejected && e.effective_on <= d)
        .map(|e| {
            let args = vec![
                ("on", date(e.effective_on)),
                ("reason", text(e.reason.clone().unwrap_or_default())),
            ];
            (Some(Gap::DeclaredOnly), Note::new("channel_rejected", args))
        })
}

/// The latest listing of channel `ch` the policy counts, seen in the window ending `d`, and
/// whether the channel has listings but only ones the policy does not count (its owner's).
fn counted_listing(
    ev: &Evidence,
    ch: &channel::Model,
    d: NaiveDate,
    p: &Policy,
) -> (Option<ListingEvidence>, bool) {
    let counted = |s: &listing_span::Model| s.trusted || p.count_owner_managed_listings;
    let spans = ev.spans.get(&ch.id);
    let untrusted_only =
        spans.is_some_and(|spans| !spans.is_empty() && !spans.iter().any(|(s, _)| counted(s)));
    let listing = spans.and_then(|spans| {
        spans
            .iter()
            .filter(|(s, _)| counted(s))
            .max_by_key(|(s, _)| s.to_at)
            .map(|(s, l)| ListingEvidence {
                id: l.id,
                external_id: l.external_id.clone(),
                title: l.title.clone(),
                seen_at: latest_in_window(s, d),
            })
    });
    (listing, untrusted_only)
}

/// The one note of a subject that counts: its first counting channel, and what proves it.
fn counting_note(c: &ChannelEvidence, d: NaiveDate, p: &Policy) -> Note {
    let mut args = vec![
        ("platform", term("platform", c.platform.code())),
        ("kind", term("kind", c.kind.code())),
        ("d", date(d)),
        ("version", int(p.version)),
    ];
    let code = match c.evidenced_by {
        EvidencedBy::Verified => {
            if let Some(v) = c.verified_on {
                args.push(("on", date(v)));
            }
            "counts_channel_verified"
        }
        EvidencedBy::Observed => {
            if let Some(l) = &c.listing {
                args.push(("listing", text(l.external_id.clone())));
                args.push(("on", date(crate::clock::vietnam_date(l.seen_at))));
            }
            "counts_channel_observed"
        }
        EvidencedBy::Declared => "counts_channel_declared",
    };
    Note::new(code, args)
}

/// The last instant of a span that falls on or before the end of day `d`.
fn latest_in_window(span: &listing_span::Model, d: NaiveDate) -> DateTime<Utc> {
    let end = crate::clock::day_start_utc(d.checked_add_days(Days::new(1)).unwrap_or(d));
    if span.to_at < end {
        span.to_at
    } else {
        // Seen after D as well: the span was active through the end of D.
        end - chrono::Duration::microseconds(1)
    }
}

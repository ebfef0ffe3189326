//! Notices worked out from an owner's records.

use chrono::{Days, NaiveDate};
use entity::{
    certification as cert, change_request, listing_span, problem_report, product, product_photo,
    recognition, sales_channel as channel,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::dto::{Notice, NoticeKind, NoticeList};
use crate::auth::Actor;
use crate::domain::{CertStatus, RequestStatus, Role, Tracked};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

/// How far ahead an expiry is announced, and how long a decision stays news.
pub const HORIZON_DAYS: u64 = 90;

/// The owner's notices on `today`, soonest first.
pub async fn for_owner(
    db: &impl ConnectionTrait,
    actor: &Actor,
    today: NaiveDate,
    lang: Lang,
) -> AppResult<NoticeList> {
    actor.require(&[Role::Owner])?;
    let subject_id = actor
        .subject_id
        .ok_or_else(|| AppError::Forbidden("the token has no subject".into()))?;
    crate::auth::visible(db, actor, subject_id).await?;
    let horizon = today + Days::new(HORIZON_DAYS);
    let since = today - Days::new(HORIZON_DAYS);
    let mut items = Vec::new();

    let products = product_names(db, subject_id).await?;
    recognition_notices(db, subject_id, today, horizon, &products, lang, &mut items).await?;
    certification_notices(db, subject_id, today, horizon, lang, &mut items).await?;
    request_notices(db, subject_id, since, lang, &mut items).await?;
    channel_notices(db, subject_id, today, horizon, lang, &mut items).await?;
    product_notices(db, subject_id, since, &products, lang, &mut items).await?;
    items.sort_by(|a, b| a.on.cmp(&b.on).then(a.entity_id.cmp(&b.entity_id)));
    Ok(NoticeList { items })
}

/// The names of a subject's products, by id.
async fn product_names(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
) -> AppResult<std::collections::HashMap<uuid::Uuid, String>> {
    Ok(product::Entity::find()
        .filter(product::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}
/// Recognitions that lapse before `horizon`.
async fn recognition_notices(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
    today: NaiveDate,
    horizon: NaiveDate,
    products: &std::collections::HashMap<uuid::Uuid, String>,
    lang: Lang,
    items: &mut Vec<Notice>,
) -> AppResult<()> {
    let recognitions = recognition::Entity::find()
        .filter(recognition::Column::SubjectId.eq(subject_id))
        .filter(recognition::Column::RevokedOn.is_null())
        .filter(recognition::Column::ValidUntil.gt(today))
        .filter(recognition::Column::ValidUntil.lte(horizon))
        .all(db)
        .await?;
    for r in recognitions {
        let product = products.get(&r.product_id).cloned().unwrap_or_default();
        items.push(Notice {
            kind: NoticeKind::RecognitionExpiring,
            entity: "recognition",
            entity_id: r.id,
            on: r.valid_until,
            message: lang.tf(
                "notice-recognition_expiring",
                &[
                    ("product", product),
                    ("stars", r.stars.to_string()),
                    ("date", lang.date(r.valid_until)),
                ],
            ),
            reason: None,
        });
    }
    Ok(())
}

/// Certifications that lapse before `horizon`, and those refused or suspended.
async fn certification_notices(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
    today: NaiveDate,
    horizon: NaiveDate,
    lang: Lang,
    items: &mut Vec<Notice>,
) -> AppResult<()> {
    let certs = cert::Entity::find()
        .filter(cert::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?;
    for c in certs {
        let status: CertStatus = c.status;
        let (kind, on, reason) = match status {
            CertStatus::Submitted | CertStatus::Verified
                if c.expires_on > today && c.expires_on <= horizon =>
            {
                (NoticeKind::CertificationExpiring, c.expires_on, None)
            }
            CertStatus::Rejected | CertStatus::Suspended => {
                let last = crate::lifecycle::history(db, Tracked::Certification, c.id)
                    .await?
                    .into_iter()
                    .next_back();
                let kind = if status == CertStatus::Rejected {
                    NoticeKind::CertificationRejected
                } else {
                    NoticeKind::CertificationSuspended
                };
                (
                    kind,
                    last.as_ref().map_or(today, |e| e.effective_on),
                    last.and_then(|e| e.reason),
                )
            }
            _ => continue,
        };
        items.push(Notice {
            kind,
            entity: "certification",
            entity_id: c.id,
            on,
            message: lang.tf(
                &format!("notice-{}", kind.code()),
                &[
                    ("number", c.certificate_no.clone()),
                    ("date", lang.date(on)),
                ],
            ),
            reason,
        });
    }
    Ok(())
}

/// Change requests decided since `since`.
async fn request_notices(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
    since: NaiveDate,
    lang: Lang,
    items: &mut Vec<Notice>,
) -> AppResult<()> {
    let requests = change_request::Entity::find()
        .filter(change_request::Column::SubjectId.eq(subject_id))
        .filter(change_request::Column::DecidedAt.is_not_null())
        .all(db)
        .await?;
    for r in requests {
        let Some(decided) = r.decided_at.map(crate::clock::vietnam_date) else {
            continue;
        };
        if decided < since {
            continue;
        }
        let kind = match r.status {
            RequestStatus::Approved => NoticeKind::ChangeRequestApproved,
            RequestStatus::Rejected => NoticeKind::ChangeRequestRejected,
            RequestStatus::Pending => continue,
        };
        items.push(Notice {
            kind,
            entity: "change_request",
            entity_id: r.id,
            on: decided,
            message: lang.tf(
                &format!("notice-{}", kind.code()),
                &[("date", lang.date(decided))],
            ),
            reason: r.decision_reason,
        });
    }
    Ok(())
}

/// What was decided about the owner's products lately: a photo an auditor rejected (with the
/// reason, which the owner otherwise sees only on the photos page), an answer the department
/// published about a report (with the answer, as the public reads it).
async fn product_notices(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
    since: NaiveDate,
    products: &std::collections::HashMap<uuid::Uuid, String>,
    lang: Lang,
    items: &mut Vec<Notice>,
) -> AppResult<()> {
    let name = |id| products.get(&id).cloned().unwrap_or_default();
    let photos = product_photo::Entity::find()
        .filter(product_photo::Column::SubjectId.eq(subject_id))
        .filter(product_photo::Column::Status.eq(crate::domain::PhotoStatus::Rejected))
        .all(db)
        .await?;
    for p in photos {
        let Some(on) = p.decided_at.map(crate::clock::vietnam_date) else {
            continue;
        };
        if on >= since {
            items.push(Notice {
                kind: NoticeKind::PhotoRejected,
                entity: "product_photo",
                entity_id: p.id,
                on,
                message: lang.tf(
                    "notice-photo_rejected",
                    &[("product", name(p.product_id)), ("date", lang.date(on))],
                ),
                reason: p.reason,
            });
        }
    }
    let answered = problem_report::Entity::find()
        .filter(problem_report::Column::SubjectId.eq(subject_id))
        .filter(problem_report::Column::AnswerPublished.eq(true))
        .filter(problem_report::Column::AnsweredOn.gte(since))
        .all(db)
        .await?;
    for r in answered {
        let Some(on) = r.answered_on else { continue };
        items.push(Notice {
            kind: NoticeKind::ReportAnswered,
            entity: "problem_report",
            entity_id: r.id,
            on,
            message: lang.tf(
                "notice-report_answered",
                &[("product", name(r.product_id)), ("date", lang.date(on))],
            ),
            reason: r.answer,
        });
    }
    Ok(())
}

/// A channel's evidence going stale, by the current indicator policy: an auditor's verification
/// lapsing (within the horizon, or lapsed), or a connected shop whose last active listing is
/// older than the freshness window.
async fn channel_notices(
    db: &impl ConnectionTrait,
    subject_id: uuid::Uuid,
    today: NaiveDate,
    horizon: NaiveDate,
    lang: Lang,
    items: &mut Vec<Notice>,
) -> AppResult<()> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Expr, Func};
    let policy = crate::policies::service::get(db, None).await?;
    let channels = channel::Entity::find()
        .filter(channel::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?;
    for c in channels {
        if c.active_to.is_some_and(|to| to < today) {
            continue;
        }
        if let (Some(verified), Some(months)) = (c.verified_on, policy.verification_valid_months)
            && c.verification_status == crate::domain::VerificationStatus::Verified
        {
            let lapses = verified + chrono::Months::new(u32::try_from(months).unwrap_or(0));
            if lapses <= horizon {
                items.push(Notice {
                    kind: NoticeKind::ChannelVerificationStale,
                    entity: "channel",
                    entity_id: c.id,
                    on: lapses,
                    message: lang.tf(
                        "notice-channel_verification_stale",
                        &[
                            ("platform", c.platform.to_string()),
                            ("date", lang.date(lapses)),
                        ],
                    ),
                    reason: None,
                });
            }
        }
        let last: Option<chrono::DateTime<chrono::Utc>> = listing_span::Entity::find()
            .select_only()
            .expr(Func::max(Expr::col(listing_span::Column::ToAt)))
            .filter(listing_span::Column::ChannelId.eq(c.id))
            .into_tuple::<Option<chrono::DateTime<chrono::Utc>>>()
            .one(db)
            .await?
            .flatten();
        if let Some(last) = last {
            let seen = crate::clock::vietnam_date(last);
            let stale_from =
                seen + Days::new(u64::try_from(policy.channel_freshness_days).unwrap_or(0));
            if stale_from <= today {
                items.push(Notice {
                    kind: NoticeKind::ChannelListingsStale,
                    entity: "channel",
                    entity_id: c.id,
                    on: stale_from,
                    message: lang.tf(
                        "notice-channel_listings_stale",
                        &[
                            ("platform", c.platform.to_string()),
                            ("date", lang.date(seen)),
                        ],
                    ),
                    reason: None,
                });
            }
        }
    }
    Ok(())
}

//! Notices worked out from an owner's records.

use chrono::{Days, NaiveDate};
use entity::{certification as cert, change_request, product, recognition};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::dto::{Notice, NoticeKind, NoticeList};
use crate::auth::Actor;
use crate::domain::{CertStatus, Role};
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

    let products: std::collections::HashMap<uuid::Uuid, String> = product::Entity::find()
        .filter(product::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
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

    let certs = cert::Entity::find()
        .filter(cert::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?;
    for c in certs {
        let status: CertStatus = crate::domain::from_db("status", &c.status)?;
        let (kind, on, reason) = match status {
            CertStatus::Submitted | CertStatus::Verified
                if c.expires_on > today && c.expires_on <= horizon =>
            {
                (NoticeKind::CertificationExpiring, c.expires_on, None)
            }
            CertStatus::Rejected | CertStatus::Suspended => {
                let last = crate::lifecycle::history(db, "certification", c.id)
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
        let kind = match r.status.as_str() {
            "approved" => NoticeKind::ChangeRequestApproved,
            "rejected" => NoticeKind::ChangeRequestRejected,
            _ => continue,
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
    items.sort_by(|a, b| a.on.cmp(&b.on).then(a.entity_id.cmp(&b.entity_id)));
    Ok(NoticeList { items })
}

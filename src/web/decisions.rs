//! The work queue's decisions (`POST /queue/{tab}/{id}`): a form's verification, refusal or
//! approval, made by the API's services and answered in place on the queue.

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Either, State, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Page, PageError, Viewer};
use super::queue::{Kept, QueueTab, render};
use crate::change_requests::dto::{DecideChangeRequest, Decision};
use crate::channels::dto::{RejectChannel, VerifyChannel};
use crate::domain::{CertStatus, VerificationStatus};
use crate::error::AppError;
use crate::feedback::dto::{AnswerReport, CloseReport};
use crate::i18n::{Lang, parse_date};
use crate::lifecycle::TransitionInput;
use crate::photos::dto::RejectPhoto;
use crate::version::ExpectedVersion;
use crate::{areas, certifications, change_requests, channels, clock, feedback, photos};

/// A decision as the form sends it.
#[derive(FromForm)]
pub struct DecisionForm<'r> {
    csrf: &'r str,
    version: i32,
    /// The queue's page the item was on: a refusal shows that page again, the item's form with
    /// what was typed.
    page: Option<u64>,
    /// `verified`, `rejected`, `suspended` (certifications), `approve` / `reject` (requests).
    action: &'r str,
    reason: Option<&'r str>,
    /// Why a flagged area is verified all the same.
    warning_reason: Option<&'r str>,
    effective_on: Option<&'r str>,
    /// A report's answer is shown on the product's public page.
    publish: Option<&'r str>,
    /// What a report led to: `recognition:<id>` or `certification:<id>`.
    link: Option<&'r str>,
}

type Answer = Result<Either<Redirect, (Status, Page)>, PageError>;

/// After a decision: back to the tab with what was done; a refusal is shown on the queue.
async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    (tab, id, form): (QueueTab, Uuid, &DecisionForm<'_>),
    result: Result<&'static str, AppError>,
) -> Answer {
    let lang = viewer.lang;
    let message = match result {
        Ok(done) => {
            return Ok(Either::Left(Redirect::to(format!(
                "/queue?tab={tab}&done={done}"
            ))));
        }
        Err(AppError::PreconditionFailed(_)) => lang.t("queue-stale"),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict(_) | AppError::BadRequest { .. }),
        ) => lang.tf(
            "queue-conflict",
            &[("message", super::page::error_detail(&e, lang))],
        ),
        Err(e) => return Err(e.into()),
    };
    let kept = Kept {
        id,
        reason: form.reason.unwrap_or_default().to_owned(),
        date: form.effective_on.unwrap_or_default().to_owned(),
    };
    let on = form.page.unwrap_or(1).max(1);
    let page = render(db, viewer, (tab, on), None, Some(message), Some(kept)).await?;
    Ok(Either::Right((Status::UnprocessableEntity, page)))
}

fn effective(lang: Lang, raw: Option<&str>) -> Result<chrono::NaiveDate, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(clock::today()),
        Some(s) => {
            parse_date(s).ok_or_else(|| AppError::invalid("effective_on", lang.t("date-invalid")))
        }
    }
}

/// The move a decision form asks for on a certification or an area.
fn lifecycle_input(lang: Lang, form: &DecisionForm<'_>) -> Result<TransitionInput, AppError> {
    let to = match form.action {
        "verified" => CertStatus::Verified,
        "rejected" => CertStatus::Rejected,
        "suspended" => CertStatus::Suspended,
        _ => {
            return Err(AppError::invalid(
                "action",
                "verified, rejected or suspended",
            ));
        }
    };
    let input = TransitionInput {
        to,
        reason: form.reason.unwrap_or_default().to_owned(),
        effective_on: effective(lang, form.effective_on)?,
        evidence_document_id: None,
        warning_reason: form
            .warning_reason
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    };
    input.validate()?;
    Ok(input)
}

/// Verify, reject or suspend a submitted certification.
#[post("/queue/certifications/<id>", data = "<form>")]
pub async fn decide_certification(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let input = lifecycle_input(viewer.lang, &form)?;
        let to = input.to;
        certifications::service::transition(
            db.inner(),
            &session.actor,
            id,
            ExpectedVersion(Some(form.version)),
            input,
        )
        .await?;
        Ok(to.code())
    }
    .await;
    answer(
        db.inner(),
        &viewer,
        (QueueTab::Certifications, id, &form),
        result,
    )
    .await
}

/// Verify, reject or suspend a submitted raw-material area (with its linkage contract).
#[post("/queue/areas/<id>", data = "<form>")]
pub async fn decide_area(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let input = lifecycle_input(viewer.lang, &form)?;
        let to = input.to;
        areas::verification::transition(
            db.inner(),
            &session.actor,
            id,
            ExpectedVersion(Some(form.version)),
            input,
        )
        .await?;
        Ok(to.code())
    }
    .await;
    answer(db.inner(), &viewer, (QueueTab::Areas, id, &form), result).await
}

/// Verify or reject a declared channel.
#[post("/queue/channels/<id>", data = "<form>")]
pub async fn decide_channel(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let action = form.action.parse::<VerificationStatus>();
        if matches!(action, Ok(VerificationStatus::Rejected)) {
            let input = RejectChannel {
                reason: form.reason.unwrap_or_default().to_owned(),
                effective_on: effective(viewer.lang, form.effective_on)?,
            };
            input.validate()?;
            channels::verification::reject(
                db.inner(),
                &session.actor,
                id,
                ExpectedVersion(Some(form.version)),
                input,
            )
            .await?;
            return Ok("rejected");
        }
        if !matches!(action, Ok(VerificationStatus::Verified)) {
            return Err(AppError::invalid("action", "verified or rejected"));
        }
        let input = VerifyChannel {
            verified_on: effective(viewer.lang, form.effective_on)?,
            note: form
                .reason
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        };
        input.validate()?;
        channels::verification::verify(
            db.inner(),
            &session.actor,
            id,
            ExpectedVersion(Some(form.version)),
            input,
        )
        .await?;
        Ok("verified")
    }
    .await;
    answer(db.inner(), &viewer, (QueueTab::Channels, id, &form), result).await
}

/// Approve or reject an identity change request.
#[post("/queue/requests/<id>", data = "<form>")]
pub async fn decide_request(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let decision = match form.action {
            "approve" => Decision::Approve,
            "reject" => Decision::Reject,
            _ => return Err(AppError::invalid("action", "approve or reject")),
        };
        let input = DecideChangeRequest {
            decision,
            reason: form.reason.unwrap_or_default().to_owned(),
        };
        input.validate()?;
        change_requests::service::decide(db.inner(), &session.actor, id, input).await?;
        Ok(if decision == Decision::Approve {
            "approved"
        } else {
            "rejected"
        })
    }
    .await;
    answer(db.inner(), &viewer, (QueueTab::Requests, id, &form), result).await
}

/// Answer or close a problem reported by the public.
#[post("/queue/feedback/<id>", data = "<form>")]
pub async fn decide_feedback(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let text = form.reason.unwrap_or_default().to_owned();
        let link = form.link.and_then(|l| l.split_once(':'));
        let linked = |kind: &str| {
            link.filter(|(k, _)| *k == kind)
                .and_then(|(_, id)| id.parse::<Uuid>().ok())
        };
        let (recognition, certification) = (linked("recognition"), linked("certification"));
        let version = ExpectedVersion(Some(form.version));
        match form.action {
            "answer" => {
                let input = AnswerReport {
                    answer: text,
                    // The box shows whether the answer is public now: its state is the choice.
                    publish: Some(form.publish.is_some_and(|p| !p.is_empty())),
                    linked_recognition_id: recognition,
                    linked_certification_id: certification,
                };
                input.validate()?;
                feedback::service::answer(db.inner(), &session.actor, id, version, input).await?;
                Ok("answered")
            }
            "close" => {
                let input = CloseReport {
                    reason: text,
                    linked_recognition_id: recognition,
                    linked_certification_id: certification,
                };
                input.validate()?;
                feedback::service::close(db.inner(), &session.actor, id, version, input).await?;
                Ok("closed")
            }
            _ => Err(AppError::invalid("action", "answer or close")),
        }
    }
    .await;
    answer(db.inner(), &viewer, (QueueTab::Feedback, id, &form), result).await
}

/// Approve a producer's photo, or reject it with a reason (taking it down if public).
#[post("/queue/photos/<id>", data = "<form>")]
pub async fn decide_photo(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    form: Form<DecisionForm<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let result = async {
        let version = ExpectedVersion(Some(form.version));
        match form.action {
            "approve" => {
                photos::service::approve(db.inner(), &session.actor, id, version).await?;
                Ok("approved")
            }
            "reject" => {
                let input = RejectPhoto {
                    reason: form.reason.unwrap_or_default().to_owned(),
                };
                input.validate()?;
                photos::service::reject(db.inner(), &session.actor, id, version, input).await?;
                Ok("rejected")
            }
            _ => Err(AppError::invalid("action", "approve or reject")),
        }
    }
    .await;
    answer(db.inner(), &viewer, (QueueTab::Photos, id, &form), result).await
}

//! Receiving reports, listing them for the queue, answering and closing them.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entity::{certification, problem_report as report, recognition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::dto::{
    AnswerReport, CloseReport, NewReport, PublishedAnswer, ReportQuery, ReportReceipt, ReportView,
};
use super::limits::{admissible, sender_key};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::documents::DocumentStore;
use crate::domain::{CertStatus, ReportStatus, Role};
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::version::ExpectedVersion;
use crate::{clock, ids, msg};

const ENTITY: &str = "problem_report";

/// Who sent a public report, as the audit trail names it.
fn public_sender() -> Actor {
    Actor::system("public report form")
}

/// The form's token, after checking the product may be reported.
pub async fn form(db: &DatabaseConnection, product_id: Uuid) -> AppResult<String> {
    crate::products::service::rated(db, product_id, false).await?;
    let key = super::token::key(db).await?;
    Ok(super::token::issue(
        &key,
        product_id,
        clock::now().timestamp(),
    ))
}

/// Receives a report from `ip`: the form's token, its hidden field and the limits first, then
/// the report and its audit entry in one transaction.
pub async fn submit(
    db: &DatabaseConnection,
    store: &DocumentStore,
    (product_id, ip): (Uuid, std::net::IpAddr),
    input: NewReport,
    photo: Option<Vec<u8>>,
) -> AppResult<ReportReceipt> {
    if input
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        return Err(AppError::invalid("website", msg!("report-hidden-field")));
    }
    let key = super::token::key(db).await?;
    let now = clock::now();
    let nonce = super::token::check(&key, product_id, &input.form_token, now.timestamp())?;
    let sender = sender_key(&key, ip);
    let day_ago = now - Duration::days(1);
    let id = ids::new_id();
    let has_photo = match photo.filter(|p| !p.is_empty()) {
        Some(bytes) => {
            // A photo costs a decoding: none for a form already used or a report the limits
            // refuse anyway (checked again, for good, with the product's row held).
            admissible(db, product_id, &nonce, &sender, day_ago).await?;
            super::photo::keep(store, id, bytes).await?;
            true
        }
        None => false,
    };
    let outcome: AppResult<ReportReceipt> = async {
        let txn = crate::db::begin_write(db).await?;
        // The product's row is held until the report is in: concurrent reports are counted one
        // after another (PostgreSQL `FOR UPDATE`; SQLite writes one at a time already).
        let p = crate::products::service::rated(&txn, product_id, true).await?;
        admissible(&txn, product_id, &nonce, &sender, day_ago).await?;
        let row = report::ActiveModel {
            id: Set(id),
            product_id: Set(product_id),
            subject_id: Set(p.subject_id),
            kind: Set(input.kind),
            text: Set(input.text.trim().to_owned()),
            contact: Set(input
                .contact
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())),
            has_photo: Set(has_photo),
            sender_key: Set(sender.clone()),
            form_nonce: Set(Some(nonce.clone())),
            status: Set(ReportStatus::Open),
            answer: Set(None),
            answer_published: Set(false),
            answered_on: Set(None),
            linked_recognition_id: Set(None),
            linked_certification_id: Set(None),
            close_reason: Set(None),
            closed_on: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let view = view(row.clone(), p.name);
        audit::record(
            &txn,
            &public_sender(),
            Change::created(ENTITY, row.id, Some(row.subject_id), &view),
        )
        .await?;
        txn.commit().await?;
        Ok(ReportReceipt {
            id: row.id,
            status: row.status,
        })
    }
    .await;
    if outcome.is_err() && has_photo {
        super::photo::discard(store, id).await;
    }
    outcome
}

fn view(m: report::Model, product_name: String) -> ReportView {
    ReportView {
        id: m.id,
        product_id: m.product_id,
        product_name,
        subject_id: m.subject_id,
        kind: m.kind,
        text: m.text,
        contact: m.contact,
        has_photo: m.has_photo,
        status: m.status,
        answer: m.answer,
        answer_published: m.answer_published,
        answered_on: m.answered_on,
        linked_recognition_id: m.linked_recognition_id,
        linked_certification_id: m.linked_certification_id,
        close_reason: m.close_reason,
        closed_on: m.closed_on,
        version: m.version,
        created_at: m.created_at,
    }
}

/// Reports not closed, per product.
pub async fn open_reports(
    db: &impl ConnectionTrait,
    products: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    let rows = report::Entity::find()
        .filter(report::Column::ProductId.is_in(products.to_vec()))
        .filter(report::Column::Status.ne(ReportStatus::Closed.code()))
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        *out.entry(r.product_id).or_insert(0) += 1;
    }
    Ok(out)
}

/// Reports in the actor's scope, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &ReportQuery,
    page: &PageParams,
) -> AppResult<Paginated<ReportView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        report::Entity::find().filter(report::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(s) = q.status {
        select = select.filter(report::Column::Status.eq(s.code()));
    }
    if q.open == Some(true) {
        select = select.filter(report::Column::Status.ne(ReportStatus::Closed.code()));
    }
    if let Some(p) = q.product_id {
        select = select.filter(report::Column::ProductId.eq(p));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(report::Column::CreatedAt)
            .order_by_asc(report::Column::Id),
        page,
    )
    .await?;
    let names =
        crate::products::service::names(db, rows.iter().map(|r| r.product_id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let name = names.get(&r.product_id).cloned().unwrap_or_default();
            view(r, name)
        })
        .collect();
    Ok(Paginated::new(items, page, total))
}

/// What a decision on a report changes.
enum Decision {
    /// `publish`: `None` keeps whether the answer is shown.
    Answer {
        text: String,
        publish: Option<bool>,
    },
    Close {
        reason: String,
    },
}

/// Answers a report (it stays open for more until closed), published or not.
pub async fn answer(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: AnswerReport,
) -> AppResult<ReportView> {
    let links = (input.linked_recognition_id, input.linked_certification_id);
    let d = Decision::Answer {
        text: input.answer.trim().to_owned(),
        publish: input.publish,
    };
    decide(db, actor, id, if_match, d, links).await
}

/// Closes a report with a reason.
pub async fn close(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: CloseReport,
) -> AppResult<ReportView> {
    let links = (input.linked_recognition_id, input.linked_certification_id);
    let d = Decision::Close {
        reason: input.reason.trim().to_owned(),
    };
    decide(db, actor, id, if_match, d, links).await
}

async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    decision: Decision,
    (recognition_id, certification_id): (Option<Uuid>, Option<Uuid>),
) -> AppResult<ReportView> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let txn = crate::db::begin_write(db).await?;
    let current = report::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))?;
    crate::auth::access::guard(&txn, actor, ENTITY, id, current.subject_id, true).await?;
    if_match.check(current.version)?;
    if current.status == ReportStatus::Closed {
        return Err(AppError::Conflict(msg!("report-closed")));
    }
    check_links(&txn, &current, recognition_id, certification_id).await?;
    let today = clock::today();
    let names = crate::products::service::names(&txn, vec![current.product_id]).await?;
    let name = names.get(&current.product_id).cloned().unwrap_or_default();
    let before = view(current.clone(), name.clone());
    let mut next: report::ActiveModel = current.clone().into();
    match decision {
        Decision::Answer { text, publish } => {
            next.answer = Set(Some(text));
            next.answer_published = Set(publish.unwrap_or(current.answer_published));
            next.answered_on = Set(Some(today));
            next.status = Set(ReportStatus::Answered);
        }
        Decision::Close { reason } => {
            next.close_reason = Set(Some(reason));
            next.closed_on = Set(Some(today));
            next.status = Set(ReportStatus::Closed);
        }
    }
    if recognition_id.is_some() {
        next.linked_recognition_id = Set(recognition_id);
    }
    if certification_id.is_some() {
        next.linked_certification_id = Set(certification_id);
    }
    next.version = Set(current.version + 1);
    next.updated_at = Set(clock::now());
    // The version read is the one replaced: a concurrent decision loses with 412.
    let done = report::Entity::update_many()
        .set(next)
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::PreconditionFailed(msg!(
            "precondition-version",
            current = current.version + 1,
            given = current.version
        )));
    }
    let updated = report::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(ENTITY, id))?;
    let after = view(updated, name);
    let action = match after.status {
        ReportStatus::Closed => "close",
        _ => "answer",
    };
    audit::record(
        &txn,
        actor,
        Change::updated(ENTITY, id, Some(after.subject_id), action, &before, &after),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A linked recognition is one of the report's product that was revoked; a linked certification
/// one of its producer that was suspended.
async fn check_links(
    db: &impl ConnectionTrait,
    r: &report::Model,
    recognition_id: Option<Uuid>,
    certification_id: Option<Uuid>,
) -> AppResult<()> {
    if let Some(rid) = recognition_id {
        let found = recognition::Entity::find_by_id(rid).one(db).await?;
        if !found.is_some_and(|x| x.product_id == r.product_id && x.revoked_on.is_some()) {
            return Err(AppError::invalid(
                "linked_recognition_id",
                msg!("report-link-recognition"),
            ));
        }
    }
    if let Some(cid) = certification_id {
        let found = certification::Entity::find_by_id(cid).one(db).await?;
        if !found.is_some_and(|c| c.subject_id == r.subject_id && c.status == CertStatus::Suspended)
        {
            return Err(AppError::invalid(
                "linked_certification_id",
                msg!("report-link-certification"),
            ));
        }
    }
    Ok(())
}

/// The answers the department published about a product, newest first.
pub async fn published(
    db: &impl ConnectionTrait,
    product_id: Uuid,
) -> AppResult<Vec<PublishedAnswer>> {
    Ok(report::Entity::find()
        .filter(report::Column::ProductId.eq(product_id))
        .filter(report::Column::AnswerPublished.eq(true))
        .filter(report::Column::Answer.is_not_null())
        .order_by_desc(report::Column::AnsweredOn)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(PublishedAnswer {
                kind: r.kind,
                answer: r.answer?,
                answered_on: r.answered_on,
            })
        })
        .collect())
}

/// The options a report's decision may link to: the product's revoked recognitions and the
/// producer's suspended certifications, as (kind, id, decision number, date).
pub async fn link_options(
    db: &impl ConnectionTrait,
    r: &ReportView,
) -> AppResult<Vec<(&'static str, Uuid, String, Option<NaiveDate>)>> {
    let mut out = Vec::new();
    for x in recognition::Entity::find()
        .filter(recognition::Column::ProductId.eq(r.product_id))
        .filter(recognition::Column::RevokedOn.is_not_null())
        .all(db)
        .await?
    {
        out.push(("recognition", x.id, x.decision_no, x.revoked_on));
    }
    for c in certification::Entity::find()
        .filter(certification::Column::SubjectId.eq(r.subject_id))
        .filter(certification::Column::Status.eq(CertStatus::Suspended.code()))
        .all(db)
        .await?
    {
        out.push(("certification", c.id, c.certificate_no, None));
    }
    Ok(out)
}

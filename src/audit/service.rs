//! Recording and reading the audit trail.

use chrono::NaiveTime;
use entity::audit_log;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Set,
    Statement,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::dto::{AuditQuery, AuditView};
use crate::auth::{Actor, Scope};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::{clock, ids};

/// Entities with no subject whose changes auditors may read (the catalogues that shape their
/// reports); token administration stays with administrators.
const SHARED_ENTITIES: &[&str] = &["scheme", "policy"];

/// One write to record.
#[derive(Debug)]
pub struct Change {
    pub entity: &'static str,
    pub entity_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

fn json(v: &impl Serialize) -> AppResult<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(format!("audit serialisation: {e}")))
}

impl Change {
    /// A creation: no before.
    pub fn created(
        entity: &'static str,
        entity_id: Uuid,
        subject_id: Option<Uuid>,
        after: &impl Serialize,
    ) -> AppResult<Self> {
        Ok(Change {
            entity,
            entity_id,
            subject_id,
            action: "create".to_owned(),
            before: None,
            after: Some(json(after)?),
        })
    }

    /// A change of an existing record.
    pub fn updated(
        entity: &'static str,
        entity_id: Uuid,
        subject_id: Option<Uuid>,
        action: &str,
        before: &impl Serialize,
        after: &impl Serialize,
    ) -> AppResult<Self> {
        Ok(Change {
            entity,
            entity_id,
            subject_id,
            action: action.to_owned(),
            before: Some(json(before)?),
            after: Some(json(after)?),
        })
    }
}

/// Writes one audit entry on `db`, which must be the write's own transaction, and keeps the
/// written record's version with the same recorded time ([`crate::history`]).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    change: AppResult<Change>,
) -> AppResult<()> {
    for statement in statements(db.get_database_backend(), actor, change?) {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// The statements of [`record`], to run in the write's transaction after the write (or with
/// it, [`crate::db::write_at_once`]).
pub fn statements(backend: DbBackend, actor: &Actor, change: Change) -> Vec<Statement> {
    use sea_orm::QueryTrait;
    let at = clock::now();
    let first = change.before.is_none();
    let mut all =
        crate::history::keep_statements(backend, change.entity, change.entity_id, at, first);
    all.push(
        audit_log::Entity::insert(audit_log::ActiveModel {
            id: Set(ids::new_id()),
            at: Set(at),
            actor_id: Set(actor.id()),
            actor_name: Set(actor.name.clone()),
            actor_role: Set(actor.role),
            entity: Set(change.entity.to_owned()),
            entity_id: Set(change.entity_id),
            subject_id: Set(change.subject_id),
            action: Set(change.action),
            before: Set(change.before),
            after: Set(change.after),
        })
        .build(backend),
    );
    all
}

/// Records a download that holds personal data (docs/domain.md §10: who, what, when): the file,
/// its rows and the request that made it. An owner's download holds its own subject only; the
/// rest are administrators' and auditors'.
pub async fn record_export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sheet: &crate::export::Sheet,
    request: &str,
) -> AppResult<()> {
    let export = Change {
        entity: "export",
        entity_id: ids::new_id(),
        subject_id: match actor.role {
            Role::Owner => actor.subject_id,
            _ => None,
        },
        action: "export".to_owned(),
        before: None,
        after: Some(serde_json::json!({
            "file": sheet.file_name,
            "title": sheet.title,
            "rows": sheet.rows.len(),
            "request": request,
        })),
    };
    record(db, actor, Ok(export)).await
}

/// Audit entries the actor may read, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &AuditQuery,
    page: &PageParams,
) -> AppResult<Paginated<AuditView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let mut cond = Condition::all();
    let scope = Scope::of(db, actor).await?;
    if let Scope::Units(_) = scope {
        let in_scope = scope.subject_ids();
        cond = cond.add(
            Condition::any()
                .add(audit_log::Column::SubjectId.in_subquery(in_scope))
                .add(
                    Condition::all()
                        .add(audit_log::Column::SubjectId.is_null())
                        .add(audit_log::Column::Entity.is_in(SHARED_ENTITIES.to_vec())),
                ),
        );
    }
    if let Some(e) = &q.entity {
        cond = cond.add(audit_log::Column::Entity.eq(e.trim()));
    }
    if let Some(id) = q.entity_id {
        cond = cond.add(audit_log::Column::EntityId.eq(id));
    }
    if let Some(a) = q.actor {
        cond = cond.add(audit_log::Column::ActorId.eq(a));
    }
    if let Some(s) = q.subject_id {
        cond = cond.add(audit_log::Column::SubjectId.eq(s));
    }
    if let Some(since) = q.since {
        cond = cond.add(audit_log::Column::At.gte(since.and_time(NaiveTime::MIN).and_utc()));
    }
    let select = audit_log::Entity::find().filter(cond);
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(audit_log::Column::At)
            .order_by_desc(audit_log::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(
        rows.into_iter().map(AuditView::from).collect(),
        page,
        total,
    ))
}

/// What was written about these subjects after `since` and by `until`, oldest first, per
/// subject (no access check: callers have checked the subjects).
pub async fn written_between(
    db: &impl ConnectionTrait,
    subjects: &[Uuid],
    since: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> AppResult<std::collections::HashMap<Uuid, Vec<AuditView>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<AuditView>> = Default::default();
    if subjects.is_empty() {
        return Ok(out);
    }
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::SubjectId.is_in(subjects.to_vec()))
        .filter(audit_log::Column::At.gt(since))
        .filter(audit_log::Column::At.lte(until))
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    for r in rows {
        if let Some(s) = r.subject_id {
            out.entry(s).or_default().push(AuditView::from(r));
        }
    }
    Ok(out)
}

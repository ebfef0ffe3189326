//! What records an actor reaches, and the rule for refusing the rest: an owner asking for
//! another subject's record gets 404 (existence is not revealed), an auditor outside its
//! subtree gets 403.

use std::collections::HashSet;

use entity::subject;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use super::Actor;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::unit_graph::UnitGraph;

/// The subjects an actor may see.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Administrators.
    All,
    /// Auditors: subjects recorded in these units (see [`UnitGraph::reach`]).
    Units(std::sync::Arc<HashSet<Uuid>>),
    /// Owners: one subject.
    Subject(Uuid),
    /// Channel tokens reach no registry records.
    Nothing,
}

impl Scope {
    /// The scope of `actor`.
    pub async fn of(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Scope> {
        Ok(match actor.role {
            Role::Admin => Scope::All,
            Role::Auditor => match actor.unit_id {
                Some(u) => Scope::Units(
                    actor
                        .reach
                        .get_or_load(|| async { Ok(UnitGraph::load(db).await?.reach(u)) })
                        .await?,
                ),
                None => Scope::Nothing,
            },
            Role::Owner => match actor.subject_id {
                Some(s) => Scope::Subject(s),
                None => Scope::Nothing,
            },
            Role::Channel => Scope::Nothing,
        })
    }

    /// Whether a subject (by id and recorded commune) is inside.
    pub fn contains(&self, subject_id: Uuid, commune_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Units(units) => units.contains(&commune_id),
            Scope::Subject(s) => *s == subject_id,
            Scope::Nothing => false,
        }
    }

    /// Whether a unit is inside: records in this commune (for creating subjects there), or a
    /// unit an auditor may open. Every unit for an administrator, none for an owner.
    pub fn contains_unit(&self, unit_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Units(units) => units.contains(&unit_id),
            Scope::Subject(_) | Scope::Nothing => false,
        }
    }

    /// Refuses a record of `subject` the actor may not reach: 404 naming the record for owners
    /// (and channel tokens), 403 for auditors.
    pub fn ensure(
        &self,
        entity: &'static str,
        id: Uuid,
        subject: &subject::Model,
    ) -> AppResult<()> {
        if self.contains(subject.id, subject.commune_id) {
            return Ok(());
        }
        match self {
            Scope::Units(_) => Err(AppError::Forbidden(msg!(
                "forbidden-record-outside-unit",
                entity = entity,
                id = id
            ))),
            _ => Err(AppError::not_found(entity, id)),
        }
    }

    /// `SELECT id FROM subject WHERE …`: the ids of the subjects the actor may see, to filter
    /// the records that hang under them.
    pub fn subject_ids(&self) -> sea_orm::sea_query::SelectStatement {
        sea_orm::sea_query::Query::select()
            .column(subject::Column::Id)
            .from(subject::Entity)
            .cond_where(self.subject_condition())
            .to_owned()
    }

    /// A filter on the `subject` table keeping what the actor may see.
    pub fn subject_condition(&self) -> Condition {
        match self {
            Scope::All => Condition::all(),
            Scope::Units(units) => Condition::all()
                .add(subject::Column::CommuneId.is_in(units.iter().copied().collect::<Vec<_>>())),
            Scope::Subject(s) => Condition::all().add(subject::Column::Id.eq(*s)),
            // Ids are never null: a condition no row satisfies.
            Scope::Nothing => Condition::all().add(subject::Column::Id.is_null()),
        }
    }
}

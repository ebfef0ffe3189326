//! The one rule for who reaches a subject's records: administrators everything, auditors the
//! subjects recorded in their unit's reach (403 outside it), owners their own subject (404 for
//! any other, so existence is not revealed), channel tokens none. Every feature asks here.

use entity::subject;
use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyTrait};
use uuid::Uuid;

use super::{Actor, Scope};
use crate::db::find;
use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// The roles that read registry records (channel tokens call the sync endpoints only).
const READERS: &[Role] = &[Role::Admin, Role::Auditor, Role::Owner];

/// Loads a subject and refuses it when outside the actor's scope; also returns the scope.
pub async fn visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> AppResult<(subject::Model, Scope)> {
    guard(db, actor, "subject", id, id, false).await
}

/// Checks that the actor reaches the record `entity`/`id` of subject `subject_id`: 404 for an
/// owner of another subject, 403 for an auditor outside its unit. Returns the subject and scope.
pub async fn reach(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity: &'static str,
    id: Uuid,
    subject_id: Uuid,
) -> AppResult<(subject::Model, Scope)> {
    guard(db, actor, entity, id, subject_id, false).await
}

/// A record that belongs to one subject, and the name its errors and audit entries give it.
pub trait Owned: Sized {
    type Entity: EntityTrait<Model = Self>;
    const NAME: &'static str;
    fn subject_id(&self) -> Uuid;
}

macro_rules! owned {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(impl Owned for entity::$module::Model {
            type Entity = entity::$module::Entity;
            const NAME: &'static str = $name;
            fn subject_id(&self) -> Uuid {
                self.subject_id
            }
        })*
    };
}

owned!(
    certification => "certification",
    document => "document",
    listing => "listing",
    product => "product",
    product_photo => "photo",
    raw_material_area => "area",
    recognition => "recognition",
    sales_channel => "channel",
);

/// Loads a subject's record that the actor reaches: 404 when absent or another owner's, 403
/// outside an auditor's unit. `lock` takes the row for a write.
pub async fn owned<M: Owned>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    lock: bool,
) -> AppResult<M>
where
    <<M::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    // The role is checked before the record is looked up: a channel token gets the same 403
    // for a real id as for a made-up one.
    actor.require(READERS)?;
    let m = find::<M::Entity>(db, M::NAME, id, lock).await?;
    reach(db, actor, M::NAME, id, m.subject_id()).await?;
    Ok(m)
}

/// The one access rule behind [`visible`] and [`reach`]; `lock` takes the subject's row for a
/// write.
pub(crate) async fn guard(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity: &'static str,
    id: Uuid,
    subject_id: Uuid,
    lock: bool,
) -> AppResult<(subject::Model, Scope)> {
    let scope = admit(db, actor, entity, id, subject_id).await?;
    let s = find::<subject::Entity>(db, "subject", subject_id, lock).await?;
    scope.ensure(entity, id, &s)?;
    Ok((s, scope))
}

/// The half of the access rule that needs no record: the role, the scope, and an owner's own
/// subject. A caller that loads the subject in its own way (the subject read joins its commune
/// in the same statement) finishes with [`Scope::ensure`].
pub(crate) async fn admit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entity: &'static str,
    id: Uuid,
    subject_id: Uuid,
) -> AppResult<Scope> {
    actor.require(READERS)?;
    let scope = Scope::of(db, actor).await?;
    // Owners asking for another subject's records learn nothing, not even whether they exist.
    if let Scope::Subject(own) = scope
        && own != subject_id
    {
        return Err(AppError::not_found(entity, id));
    }
    Ok(scope)
}

/// Loads the unit graph and checks the actor may work on `unit_id` and what lies below it
/// (administrators: any unit; auditors: the units their own reaches): reports, drafts.
pub async fn unit_graph(
    db: &impl ConnectionTrait,
    actor: &Actor,
    unit_id: Uuid,
) -> AppResult<std::sync::Arc<crate::unit_graph::UnitGraph>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    if actor.role == Role::Auditor {
        let inside = actor
            .unit_id
            .is_some_and(|own| graph.may_report(own, unit_id));
        if !inside {
            return Err(AppError::Forbidden(
                "the unit is outside the token's administrative unit".into(),
            ));
        }
    }
    Ok(graph)
}

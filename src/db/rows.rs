//! Rows: saving an edited copy, versions under optimistic concurrency, finding by key, and
//! locking a natural key for the length of a transaction.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// Writes every column of `model` (an edited copy of a row read in the same transaction).
/// Services edit plain models, compare views to skip no-op writes, then save.
pub async fn save<M, A>(db: &impl ConnectionTrait, model: M) -> Result<M, DbErr>
where
    M: sea_orm::ModelTrait + sea_orm::IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = M::Entity> + sea_orm::ActiveModelBehavior + Send,
    <M::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Into<M>,
{
    let am = model.into_active_model().reset_all();
    Ok(am.update(db).await?.into())
}

/// A row under optimistic concurrency: each saved edit is its next version (the ETag) and
/// carries the time of the edit.
pub trait Versioned {
    fn next_version(&mut self);
}

macro_rules! versioned {
    ($($model:path),* $(,)?) => {
        $(impl Versioned for $model {
            fn next_version(&mut self) {
                self.version += 1;
                self.updated_at = crate::clock::now();
            }
        })*
    };
}

versioned!(
    entity::certification::Model,
    entity::certification_scheme::Model,
    entity::listing::Model,
    entity::product::Model,
    entity::raw_material_area::Model,
    entity::recognition::Model,
    entity::sales_channel::Model,
    entity::subject::Model,
);

/// Saves an edited copy of a row as the row's next version.
pub async fn save_version<M, A>(db: &impl ConnectionTrait, mut model: M) -> Result<M, DbErr>
where
    M: Versioned + sea_orm::ModelTrait + sea_orm::IntoActiveModel<A>,
    A: sea_orm::ActiveModelTrait<Entity = M::Entity> + sea_orm::ActiveModelBehavior + Send,
    <M::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A> + Into<M>,
{
    model.next_version();
    save(db, model).await
}

/// Loads a record by id (404 naming `entity` when absent), locking it for a write when asked
/// (PostgreSQL `FOR UPDATE`; SQLite write transactions are exclusive already).
pub async fn find<E>(
    db: &impl ConnectionTrait,
    entity: &'static str,
    id: uuid::Uuid,
    lock: bool,
) -> crate::error::AppResult<E::Model>
where
    E: sea_orm::EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    use sea_orm::QuerySelect;
    let mut q = E::find_by_id(id);
    if lock {
        q = q.lock_exclusive();
    }
    unique(db, q)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found(entity, id))
}

/// The row a filter on a unique key selects (at most one). SeaORM's `one()` adds `LIMIT ?`, and
/// SQLite treats a bound LIMIT as a constant of the plan: the statement is prepared again at
/// every execution (a fifth of an import's time went to re-preparing lookups by id). A unique
/// key needs no limit.
pub async fn unique<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}

/// Serialises the writers of one natural key (such as a shop) until the transaction ends, so a
/// check for an overlapping claim and the write after it cannot interleave with another's:
/// PostgreSQL takes a transaction-scoped advisory lock on the key's hash; SQLite write
/// transactions are exclusive already.
pub async fn lock_key(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

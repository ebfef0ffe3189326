//! Claims on a channel's sync: a lease in the database, so two processes never sync one channel
//! at once, renewed while the run makes progress and left to expire when a process dies.

use chrono::{DateTime, Utc};
use entity::{channel_connection as connection, sync_run};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::dto::RunStatus;
use super::settings::SyncSettings;
use crate::clock;
use crate::db::begin_write;
use crate::error::AppResult;

/// Claims the channel for this process; `false` when another holds a live claim.
pub async fn claim(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    channel_id: Uuid,
) -> AppResult<bool> {
    let now = clock::now();
    let txn = begin_write(db).await?;
    let res = connection::Entity::update_many()
        .col_expr(
            connection::Column::LeaseOwner,
            Expr::value(settings.instance.clone()),
        )
        .col_expr(
            connection::Column::LeaseUntil,
            Expr::value(now + settings.lease()),
        )
        .filter(connection::Column::ChannelId.eq(channel_id))
        .filter(
            Condition::any()
                .add(connection::Column::LeaseUntil.is_null())
                .add(connection::Column::LeaseUntil.lt(now)),
        )
        .exec(&txn)
        .await?;
    if res.rows_affected == 1 {
        // Runs still marked running belonged to a process that stopped without finishing.
        sync_run::Entity::update_many()
            .col_expr(
                sync_run::Column::Status,
                Expr::value(RunStatus::Failed.code()),
            )
            .col_expr(
                sync_run::Column::Reason,
                Expr::value("abandoned: the process running it stopped before finishing"),
            )
            .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
            .filter(sync_run::Column::ChannelId.eq(channel_id))
            .filter(sync_run::Column::Status.eq(RunStatus::Running.code()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(res.rows_affected == 1)
}

pub async fn release(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    channel_id: Uuid,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    connection::Entity::update_many()
        .col_expr(
            connection::Column::LeaseOwner,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            connection::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(connection::Column::ChannelId.eq(channel_id))
        .filter(connection::Column::LeaseOwner.eq(settings.instance.clone()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

//! A channel's connection: how the registry reaches its shop, who manages it (and so whether its
//! listings are trusted evidence), and its credentials, sealed at rest and never served.

use entity::{channel_connection as connection, listing, sales_channel as channel};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::dto::{ConnectionInput, ConnectionView, ManagedBy};
use super::settings::SyncSettings;
use crate::audit::{self, Change};
use crate::auth::{Actor, owned};
use crate::clock;
use crate::db::{begin_write, save};
use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// A channel's connection (absent: none configured).
pub async fn connection_of(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
) -> AppResult<Option<connection::Model>> {
    Ok(crate::db::unique(db, connection::Entity::find_by_id(channel_id)).await?)
}

/// A channel's connection (administrators; auditors in scope; the channel's owner).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    channel_id: Uuid,
) -> AppResult<ConnectionView> {
    owned::<channel::Model>(db, actor, channel_id, false).await?;
    connection_of(db, channel_id)
        .await?
        .map(ConnectionView::from)
        .ok_or_else(|| AppError::not_found("connection of channel", channel_id))
}

/// Refuses a feed URL an owner may not set: it must be `https` (the address check itself is
/// made at every call, after DNS).
fn check_owner_url(settings: &SyncSettings, url: &str) -> AppResult<()> {
    if settings.allow_private_hosts || url.starts_with("https://") {
        Ok(())
    } else {
        Err(AppError::invalid(
            "base_url",
            "must be an https URL when the subject's owner sets it",
        ))
    }
}

/// Creates or replaces a channel's connection (administrators, auditors in scope, and the
/// channel's owner). Secrets left out keep their stored value. Who wrote it decides who
/// manages it: an owner's connection yields untrusted evidence.
pub async fn put(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    actor: &Actor,
    channel_id: Uuid,
    input: ConnectionInput,
) -> AppResult<ConnectionView> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    write(
        db,
        settings,
        actor,
        channel_id,
        input,
        ManagedBy::of(actor.role),
    )
    .await
}

/// Writes a channel's connection as `actor`, managed by `managed_by` (the writer's role for
/// [`put`]; the registry for a shop connected through its marketplace app, whoever started it).
pub(super) async fn write(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    actor: &Actor,
    channel_id: Uuid,
    input: ConnectionInput,
    managed_by: ManagedBy,
) -> AppResult<ConnectionView> {
    let base_url = input
        .base_url
        .as_deref()
        .map(|u| u.trim().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    if managed_by == ManagedBy::Owner && !input.connector.is_marketplace() {
        check_owner_url(settings, &base_url)?;
    }
    let shop_id = input.shop_id.as_deref().map(|s| s.trim().to_owned());
    let txn = begin_write(db).await?;
    let ch: channel::Model = owned(&txn, actor, channel_id, false).await?;
    if input.connector.is_marketplace() {
        crate::channels::shops::check_connected_shop(
            &txn,
            &ch,
            input.connector.code(),
            shop_id.as_deref(),
        )
        .await?;
    }
    if let Some(shop) = &shop_id {
        ensure_shop_free(&txn, input.connector, shop, channel_id).await?;
    }
    let current = connection::Entity::find_by_id(channel_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let before = current.clone().map(ConnectionView::from);
    let (next, same_source) = next_row(
        settings,
        channel_id,
        input,
        Source {
            base_url,
            shop_id,
            managed_by,
        },
        current.as_ref(),
    )?;
    if !same_source {
        // Listings stay (they were seen), but their activity spans close: a span never mixes
        // what a trusted source saw with what an untrusted one did.
        listing::Entity::update_many()
            .col_expr(
                listing::Column::OpenSpanId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(listing::Column::ChannelId.eq(channel_id))
            .exec(&txn)
            .await?;
    }
    let row = if current.is_some() {
        save(&txn, next).await?
    } else {
        next.into_active_model().reset_all().insert(&txn).await?
    };
    let after = ConnectionView::from(row);
    let change = match &before {
        Some(b) => Change::updated(
            "connection",
            channel_id,
            Some(ch.subject_id),
            "update",
            b,
            &after,
        ),
        None => Change::created("connection", channel_id, Some(ch.subject_id), &after),
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Refuses shop `shop` of `connector` when another channel is connected to it.
async fn ensure_shop_free(
    db: &impl ConnectionTrait,
    connector: super::dto::ConnectorKind,
    shop: &str,
    channel_id: Uuid,
) -> AppResult<()> {
    crate::db::lock_key(db, &format!("connection:{}:{shop}", connector.code())).await?;
    let taken = connection::Entity::find()
        .select_only()
        .column(connection::Column::ChannelId)
        .filter(connection::Column::Connector.eq(connector.code()))
        .filter(connection::Column::ShopId.eq(shop))
        .filter(connection::Column::ChannelId.ne(channel_id))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if taken.is_some() {
        // Which subject holds it is not the caller's to learn.
        return Err(AppError::Conflict(
            "this shop is already connected to another channel".into(),
        ));
    }
    Ok(())
}

/// Where a connection reads from: who manages it, which shop, at which address.
struct Source {
    base_url: String,
    shop_id: Option<String>,
    managed_by: ManagedBy,
}

/// The connection row to write over `old` (if any), its secrets sealed, and whether it reads
/// from the same source as `old`. A change of hands, shop or connector starts over: nothing read
/// before vouches for what is read after.
fn next_row(
    settings: &SyncSettings,
    channel_id: Uuid,
    input: ConnectionInput,
    source: Source,
    old: Option<&connection::Model>,
) -> AppResult<(connection::Model, bool)> {
    let seal = |v: Option<String>, old: Option<String>| -> AppResult<Option<String>> {
        match v {
            Some(s) => Ok(Some(settings.secrets.seal(s.trim())?)),
            None => Ok(old),
        }
    };
    let now = clock::now();
    let Source {
        base_url,
        shop_id,
        managed_by,
    } = source;
    let same_source = old.is_some_and(|o| {
        o.connector == input.connector
            && o.managed_by == managed_by
            && o.shop_id == shop_id
            && o.base_url == base_url
    });
    let keep = |v: Option<String>| if same_source { v } else { None };
    let next = connection::Model {
        channel_id,
        connector: input.connector,
        base_url,
        auth_base_url: None,
        partner_id: input.partner_id.map(|p| p.trim().to_owned()),
        shop_id,
        app_secret: seal(
            input.app_secret,
            keep(old.and_then(|o| o.app_secret.clone())),
        )?,
        access_token: seal(
            input.access_token,
            keep(old.and_then(|o| o.access_token.clone())),
        )?,
        refresh_token: seal(
            input.refresh_token,
            keep(old.and_then(|o| o.refresh_token.clone())),
        )?,
        token_expires_at: input
            .token_expires_at
            .or_else(|| old.and_then(|o| o.token_expires_at)),
        webhook_secret: seal(
            input.webhook_secret,
            keep(old.and_then(|o| o.webhook_secret.clone())),
        )?,
        rate_limit_per_minute: input.rate_limit_per_minute.unwrap_or(60),
        sync_interval_minutes: input.sync_interval_minutes.unwrap_or(60),
        watermark: old.and_then(|o| o.watermark).filter(|_| same_source),
        last_full_at: old.and_then(|o| o.last_full_at).filter(|_| same_source),
        next_sync_at: old.and_then(|o| o.next_sync_at),
        lease_owner: old.and_then(|o| o.lease_owner.clone()),
        lease_until: old.and_then(|o| o.lease_until),
        version: old.map_or(1, |o| o.version + 1),
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
        managed_by,
    };
    Ok((next, same_source))
}

/// Removes a channel's connection: the registry stops reading the shop. Listings stay as they
/// were seen, but their activity spans close now — nothing vouches for them afterwards.
pub async fn disconnect(db: &DatabaseConnection, actor: &Actor, channel_id: Uuid) -> AppResult<()> {
    actor.require(&[Role::Admin, Role::Auditor, Role::Owner])?;
    let txn = begin_write(db).await?;
    let ch: channel::Model = owned(&txn, actor, channel_id, true).await?;
    let current = connection::Entity::find_by_id(channel_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("connection of channel", channel_id))?;
    listing::Entity::update_many()
        .col_expr(
            listing::Column::OpenSpanId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(listing::Column::ChannelId.eq(channel_id))
        .exec(&txn)
        .await?;
    connection::Entity::delete_by_id(channel_id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "connection",
            channel_id,
            Some(ch.subject_id),
            "disconnect",
            &ConnectionView::from(current),
            &serde_json::Value::Null,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Stores tokens a connector refreshed during a run.
pub async fn store_tokens(
    db: &impl ConnectionTrait,
    settings: &SyncSettings,
    channel_id: Uuid,
    t: crate::sync::marketplaces::Tokens,
) -> AppResult<()> {
    use sea_orm::sea_query::ExprTrait;
    let mut q = connection::Entity::update_many()
        .col_expr(
            connection::Column::AccessToken,
            Expr::value(settings.secrets.seal(&t.access_token)?),
        )
        .col_expr(
            connection::Column::TokenExpiresAt,
            Expr::value(t.expires_at),
        )
        .col_expr(
            connection::Column::Version,
            Expr::col(connection::Column::Version).add(1),
        );
    if let Some(r) = &t.refresh_token {
        q = q.col_expr(
            connection::Column::RefreshToken,
            Expr::value(settings.secrets.seal(r)?),
        );
    }
    q.filter(connection::Column::ChannelId.eq(channel_id))
        .exec(db)
        .await?;
    Ok(())
}

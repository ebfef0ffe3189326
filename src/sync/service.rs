//! Sync runs: claiming a channel (a lease in the database, so two processes never sync one
//! channel at once), reading its shop page by page and writing each page as it comes, marking
//! listings removed only after a complete full pass, and recording everything on the run.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{channel_connection as connection, sales_channel as channel, sync_run};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::client::{HttpClient, RetryPolicy, SyncError};
use super::connectors::{self, Credentials, Pass};
use super::dto::{ConnectionInput, ConnectionView, SyncOptions, SyncRunQuery, SyncRunView};
use super::secrets::Secrets;
use crate::audit::{self, Change};
use crate::auth::{Actor, Scope};
use crate::channels::observe;
use crate::config::AppConfig;
use crate::db::{begin_write, find, save};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::subjects::service::{owned, reach};
use crate::{clock, ids};

/// Connectors that can read listings (TikTok Shop channels take pushes only).
pub const PULLABLE: &[&str] = &["shopee", "lazada", "feed"];
/// Incremental passes re-read this much before the watermark (clock skew, late updates).
const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);
/// A channel gets a full pass at least this often, so removals are seen.
const FULL_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// Messages kept on a run.
const MAX_NOTES: usize = 100;

/// Everything a process needs to sync, built once from the configuration.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    pub secrets: Secrets,
    pub timeout: Duration,
    pub policy: RetryPolicy,
    /// This process, as recorded on the claims it holds.
    pub instance: String,
    pub public_base_url: Option<String>,
    pub scheduler_interval: Duration,
}

impl SyncSettings {
    /// From the configuration.
    pub fn from_config(c: &AppConfig) -> Result<Self, String> {
        Ok(SyncSettings {
            secrets: Secrets::new(c.secret_key.as_deref())?,
            timeout: Duration::from_secs_f64(c.sync_timeout_secs.max(0.001)),
            policy: RetryPolicy {
                max_attempts: std::cmp::max(c.sync_max_attempts, 1),
                base_backoff: Duration::from_millis(c.sync_backoff_ms),
                max_wait: Duration::from_secs(c.sync_max_wait_secs),
            },
            instance: format!("{}-{}", std::process::id(), Uuid::new_v4().simple()),
            public_base_url: c.public_base_url.clone(),
            scheduler_interval: Duration::from_secs(c.sync_interval_secs),
        })
    }

    /// How long a claim holds without renewal: longer than the slowest call with its retries.
    fn lease(&self) -> chrono::Duration {
        let per_call = self.timeout + self.policy.max_wait;
        let worst = per_call * self.policy.max_attempts * 2;
        chrono::Duration::from_std(worst.max(Duration::from_secs(300)))
            .unwrap_or(chrono::Duration::minutes(10))
    }
}

async fn load_channel(db: &impl ConnectionTrait, id: Uuid) -> AppResult<channel::Model> {
    find::<channel::Entity>(db, "channel", id, false).await
}

/// A channel's connection (absent: none configured).
pub async fn connection_of(
    db: &impl ConnectionTrait,
    channel_id: Uuid,
) -> AppResult<Option<connection::Model>> {
    Ok(connection::Entity::find_by_id(channel_id).one(db).await?)
}

/// A channel's connection (administrators; auditors in scope; the channel's owner).
pub async fn get_connection(
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

/// Creates or replaces a channel's connection (administrators and the channel's owner, who holds
/// the shop's credentials). Secrets left out keep their stored value.
pub async fn put_connection(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    actor: &Actor,
    channel_id: Uuid,
    input: ConnectionInput,
) -> AppResult<ConnectionView> {
    let txn = begin_write(db).await?;
    let ch: channel::Model = owned(&txn, actor, channel_id, false).await?;
    actor.require(&[Role::Admin, Role::Owner])?;
    let current = connection::Entity::find_by_id(channel_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let seal = |v: Option<String>, old: Option<String>| -> AppResult<Option<String>> {
        match v {
            Some(s) => Ok(Some(settings.secrets.seal(s.trim())?)),
            None => Ok(old),
        }
    };
    let now = clock::now();
    let before = current.clone().map(ConnectionView::from);
    let old = current.clone();
    let next = connection::Model {
        channel_id,
        connector: input.connector.code().to_owned(),
        base_url: input.base_url.trim().trim_end_matches('/').to_owned(),
        auth_base_url: input
            .auth_base_url
            .map(|u| u.trim().trim_end_matches('/').to_owned()),
        partner_id: input.partner_id.map(|p| p.trim().to_owned()),
        shop_id: input.shop_id.map(|s| s.trim().to_owned()),
        app_secret: seal(
            input.app_secret,
            old.as_ref().and_then(|o| o.app_secret.clone()),
        )?,
        access_token: seal(
            input.access_token,
            old.as_ref().and_then(|o| o.access_token.clone()),
        )?,
        refresh_token: seal(
            input.refresh_token,
            old.as_ref().and_then(|o| o.refresh_token.clone()),
        )?,
        token_expires_at: input
            .token_expires_at
            .or_else(|| old.as_ref().and_then(|o| o.token_expires_at)),
        webhook_secret: seal(
            input.webhook_secret,
            old.as_ref().and_then(|o| o.webhook_secret.clone()),
        )?,
        rate_limit_per_minute: input.rate_limit_per_minute.unwrap_or(60),
        sync_interval_minutes: input.sync_interval_minutes.unwrap_or(60),
        // A new shop or connector starts over.
        watermark: old.as_ref().and_then(|o| o.watermark).filter(|_| {
            old.as_ref()
                .is_some_and(|o| o.connector == input.connector.code())
        }),
        last_full_at: old.as_ref().and_then(|o| o.last_full_at),
        next_sync_at: old.as_ref().and_then(|o| o.next_sync_at),
        lease_owner: old.as_ref().and_then(|o| o.lease_owner.clone()),
        lease_until: old.as_ref().and_then(|o| o.lease_until),
        version: old.as_ref().map_or(1, |o| o.version + 1),
        created_at: old.as_ref().map_or(now, |o| o.created_at),
        updated_at: now,
    };
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
            .col_expr(sync_run::Column::Status, Expr::value("failed"))
            .col_expr(
                sync_run::Column::Reason,
                Expr::value("abandoned: the process running it stopped before finishing"),
            )
            .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
            .filter(sync_run::Column::ChannelId.eq(channel_id))
            .filter(sync_run::Column::Status.eq("running"))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(res.rows_affected == 1)
}

async fn release(
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

fn open(secrets: &Secrets, v: &Option<String>) -> AppResult<Option<String>> {
    v.as_deref().map(|s| secrets.open(s)).transpose()
}

/// Syncs one channel now (no authorisation: callers check it). A channel another process is
/// syncing is a conflict. Failures are recorded on the run, which is returned either way.
pub async fn run(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    channel_id: Uuid,
    trigger: &str,
    options: &SyncOptions,
) -> AppResult<sync_run::Model> {
    let ch = load_channel(db, channel_id).await?;
    let conn = connection_of(db, channel_id).await?.ok_or_else(|| {
        AppError::invalid(
            "channel_id",
            "the channel has no connection: configure one with PUT /api/v1/channels/{id}/connection",
        )
    })?;
    if !PULLABLE.contains(&conn.connector.as_str()) {
        return Err(AppError::invalid(
            "channel_id",
            format!(
                "{} channels are updated by their pushes only",
                conn.connector
            ),
        ));
    }
    if !claim(db, settings, channel_id).await? {
        return Err(AppError::Conflict(
            "a sync of this channel is already running".to_owned(),
        ));
    }
    let result = run_claimed(db, settings, &ch, &conn, trigger, options).await;
    // The claim goes whatever happened; a crash leaves it to expire.
    let released = release(db, settings, channel_id).await;
    let run = result?;
    released?;
    Ok(run)
}

async fn run_claimed(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    ch: &channel::Model,
    conn: &connection::Model,
    trigger: &str,
    options: &SyncOptions,
) -> AppResult<sync_run::Model> {
    let started = clock::now();
    let full = options.full.unwrap_or_else(|| {
        conn.watermark.is_none() || conn.last_full_at.is_none_or(|t| started - t > FULL_EVERY)
    }) || conn.watermark.is_none();
    let since = if full {
        None
    } else {
        conn.watermark.map(|w| w - OVERLAP)
    };
    let mut run = sync_run::Model {
        id: ids::new_id(),
        channel_id: ch.id,
        trigger: trigger.to_owned(),
        status: "running".to_owned(),
        full_pass: full,
        complete: false,
        started_at: started,
        finished_at: None,
        pages: 0,
        items_seen: 0,
        added: 0,
        changed: 0,
        removed: 0,
        item_errors: 0,
        errors: "[]".to_owned(),
        reason: None,
        watermark_from: since,
        claimed_by: settings.instance.clone(),
    };
    {
        let txn = begin_write(db).await?;
        run = run.into_active_model().reset_all().insert(&txn).await?;
        txn.commit().await?;
    }
    let mut notes: Vec<String> = Vec::new();
    let outcome = read_pages(
        db, settings, ch, conn, full, since, started, &mut run, &mut notes,
    )
    .await;
    let finished = clock::now();
    let txn = begin_write(db).await?;
    let mut conn_now = connection::Entity::find_by_id(ch.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal("the connection vanished during a sync".to_owned()))?;
    match outcome {
        Ok(()) => {
            if full {
                // Only a complete full pass may conclude that a listing is gone.
                run.removed = i64::try_from(
                    observe::mark_unseen_deleted(&txn, ch.id, started, finished).await?,
                )
                .unwrap_or(i64::MAX);
                conn_now.last_full_at = Some(started);
            }
            run.complete = true;
            run.status = "succeeded".to_owned();
            conn_now.watermark = Some(started);
        }
        Err(e) => {
            run.status = "failed".to_owned();
            run.reason = Some(e.to_string());
            tracing::warn!(channel = %ch.id, run = %run.id, reason = %e, "sync failed");
        }
    }
    conn_now.next_sync_at =
        Some(finished + chrono::Duration::minutes(i64::from(conn_now.sync_interval_minutes)));
    save(&txn, conn_now).await?;
    notes.truncate(MAX_NOTES);
    run.errors = errors_json(&notes);
    run.finished_at = Some(finished);
    let run = save(&txn, run).await?;
    txn.commit().await?;
    Ok(run)
}

/// Listings buffered before they are written: a write per 1,000 listings rather than per page
/// (over TCP to PostgreSQL each large statement can stall ~40 ms on Nagle's algorithm, which
/// sqlx leaves on), while memory stays bounded whatever the shop's size.
const WRITE_BATCH: usize = 1000;

/// Reads every page and writes the listings in batches, each in its own transaction: memory stays
/// flat, and a failure keeps what the pages before it saw (true observations) while concluding
/// nothing about the rest. While one batch is written the next is read: the marketplace and the
/// database each wait on the other only when one of them is done early. At most two batches are
/// held, and they are written in the order they were read.
#[allow(clippy::too_many_arguments)]
async fn read_pages(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    ch: &channel::Model,
    conn: &connection::Model,
    full: bool,
    since: Option<DateTime<Utc>>,
    started: DateTime<Utc>,
    run: &mut sync_run::Model,
    notes: &mut Vec<String>,
) -> Result<(), SyncError> {
    let db_err = |e: AppError| SyncError::Failed(format!("database: {e}"));
    let creds = Credentials {
        app_secret: open(&settings.secrets, &conn.app_secret).map_err(db_err)?,
        access_token: open(&settings.secrets, &conn.access_token).map_err(db_err)?,
        refresh_token: open(&settings.secrets, &conn.refresh_token).map_err(db_err)?,
    };
    let pass = Pass {
        full,
        since,
        until: started,
    };
    let mut connector = connectors::build(conn, creds, pass)?;
    let rate = u32::try_from(conn.rate_limit_per_minute).unwrap_or(60);
    let http = HttpClient::new(settings.timeout, settings.policy.clone(), rate)?;
    // What the reader counted so far; the run row is the writer's, brought up to date before
    // each write.
    let mut read = Progress::from(&*run);
    let mut writing: Option<Batch> = None;
    loop {
        read.copy_to(run);
        let errors = errors_json(notes);
        let write = async {
            match writing.take() {
                Some(b) => b.write(db, settings, ch, run, errors).await,
                None => Ok(()),
            }
        };
        let mut next = Batch::default();
        let reading = next.fill(connector.as_mut(), &http, &mut read, notes);
        let (written, more) = tokio::join!(write, reading);
        written.map_err(db_err)?;
        match more {
            Ok(true) => writing = Some(next),
            Ok(false) | Err(_) => {
                // The end, or a failure: what was read before it is still a true observation.
                read.copy_to(run);
                let errors = errors_json(notes);
                next.write(db, settings, ch, run, errors)
                    .await
                    .map_err(db_err)?;
                return more.map(|_| ());
            }
        }
    }
}

/// A run's notes as stored in its `errors` column (a JSON array of strings).
fn errors_json(notes: &[String]) -> String {
    serde_json::to_string(notes).unwrap_or_else(|_| "[]".to_owned())
}

/// The reader's counts of a run.
#[derive(Clone, Copy)]
struct Progress {
    pages: i32,
    items_seen: i64,
    item_errors: i64,
}

impl From<&sync_run::Model> for Progress {
    fn from(r: &sync_run::Model) -> Self {
        Progress {
            pages: r.pages,
            items_seen: r.items_seen,
            item_errors: r.item_errors,
        }
    }
}

impl Progress {
    fn copy_to(self, r: &mut sync_run::Model) {
        r.pages = self.pages;
        r.items_seen = self.items_seen;
        r.item_errors = self.item_errors;
    }
}

/// Listings and refreshed tokens read but not yet written.
#[derive(Default)]
struct Batch {
    items: Vec<observe::Observation>,
    tokens: Option<connectors::Tokens>,
}

impl Batch {
    /// Reads pages until the batch is full (`true`: there may be more) or the pass ends
    /// (`false`).
    async fn fill(
        &mut self,
        connector: &mut dyn connectors::Connector,
        http: &HttpClient,
        read: &mut Progress,
        notes: &mut Vec<String>,
    ) -> Result<bool, SyncError> {
        while self.items.len() < WRITE_BATCH {
            let page = connector.next_page(http).await;
            notes.extend(http.take_notes().await);
            self.tokens = connector.take_refreshed().or(self.tokens.take());
            let Some(p) = page? else {
                return Ok(false);
            };
            read.pages += 1;
            read.items_seen += (p.items.len() + p.bad.len()) as i64;
            read.item_errors += p.bad.len() as i64;
            let n = read.pages;
            notes.extend(p.bad.into_iter().map(|b| format!("page {n}: {b}")));
            notes.truncate(MAX_NOTES);
            self.items.extend(p.items);
        }
        Ok(true)
    }

    /// Writes the batch, the run's progress and a renewed claim in one transaction.
    async fn write(
        self,
        db: &DatabaseConnection,
        settings: &SyncSettings,
        ch: &channel::Model,
        run: &mut sync_run::Model,
        errors: String,
    ) -> AppResult<()> {
        let txn = begin_write(db).await?;
        if let Some(t) = self.tokens {
            store_tokens(&txn, settings, ch.id, t).await?;
        }
        let outcome = observe::observe(&txn, ch, clock::now(), &self.items).await?;
        run.added += outcome.added as i64;
        run.changed += outcome.changed as i64;
        run.errors = errors;
        *run = save(&txn, run.clone()).await?;
        // Renew the claim: this process is alive and still at it.
        connection::Entity::update_many()
            .col_expr(
                connection::Column::LeaseUntil,
                Expr::value(clock::now() + settings.lease()),
            )
            .filter(connection::Column::ChannelId.eq(ch.id))
            .filter(connection::Column::LeaseOwner.eq(settings.instance.clone()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

async fn store_tokens(
    db: &impl ConnectionTrait,
    settings: &SyncSettings,
    channel_id: Uuid,
    t: connectors::Tokens,
) -> AppResult<()> {
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

/// `POST /api/v1/channels/{id}/sync`: administrators, auditors in scope, or a channel token of
/// the channel's platform.
pub async fn sync_channel(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    actor: &Actor,
    channel_id: Uuid,
    options: &SyncOptions,
) -> AppResult<SyncRunView> {
    let ch = load_channel(db, channel_id).await?;
    match actor.role {
        Role::Channel => {
            if actor.platform.as_deref() != Some(ch.platform.as_str()) {
                return Err(AppError::not_found("channel", channel_id));
            }
        }
        _ => {
            reach(db, actor, "channel", channel_id, ch.subject_id).await?;
            actor.require(&[Role::Admin, Role::Auditor])?;
        }
    }
    Ok(SyncRunView::from(
        run(db, settings, channel_id, "api", options).await?,
    ))
}

/// Sync runs the actor may see, newest first.
pub async fn list_runs(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &SyncRunQuery,
    page: &PageParams,
) -> AppResult<Paginated<SyncRunView>> {
    let mut cond = Condition::all();
    let channels = sea_orm::sea_query::Query::select()
        .column(channel::Column::Id)
        .from(channel::Entity)
        .to_owned();
    match actor.role {
        Role::Channel => {
            let mut own = channels;
            own.and_where(channel::Column::Platform.eq(actor.platform.clone().unwrap_or_default()));
            cond = cond.add(sync_run::Column::ChannelId.in_subquery(own));
        }
        _ => {
            let scope = Scope::of(db, actor).await?;
            if !matches!(scope, Scope::All) {
                let subjects = sea_orm::sea_query::Query::select()
                    .column(entity::subject::Column::Id)
                    .from(entity::subject::Entity)
                    .cond_where(scope.subject_condition())
                    .to_owned();
                let mut own = channels;
                own.and_where(channel::Column::SubjectId.in_subquery(subjects));
                cond = cond.add(sync_run::Column::ChannelId.in_subquery(own));
            }
        }
    }
    if let Some(c) = q.channel_id {
        cond = cond.add(sync_run::Column::ChannelId.eq(c));
    }
    if let Some(s) = &q.status {
        cond = cond.add(sync_run::Column::Status.eq(s.trim()));
    }
    let select = sync_run::Entity::find().filter(cond);
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(sync_run::Column::StartedAt)
            .order_by_desc(sync_run::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(
        rows.into_iter().map(SyncRunView::from).collect(),
        page,
        total,
    ))
}

/// Channels whose scheduled sync is due.
pub async fn due_channels(db: &impl ConnectionTrait) -> AppResult<Vec<Uuid>> {
    let now = clock::now();
    Ok(connection::Entity::find()
        .select_only()
        .column(connection::Column::ChannelId)
        .filter(connection::Column::Connector.is_in(PULLABLE.to_vec()))
        .filter(
            Condition::any()
                .add(connection::Column::NextSyncAt.is_null())
                .add(connection::Column::NextSyncAt.lte(now)),
        )
        .filter(
            Condition::any()
                .add(connection::Column::LeaseUntil.is_null())
                .add(connection::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(connection::Column::NextSyncAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// One round of background work: pending webhook events, then every due channel. One
/// channel's failure never stops the others.
pub async fn tick(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    trigger: &str,
) -> (usize, Vec<SyncRunView>) {
    let events = super::webhooks::process_pending(db, settings, 100)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "processing webhook events failed");
            0
        });
    let mut runs = Vec::new();
    match due_channels(db).await {
        Ok(ids) => {
            for id in ids {
                match run(db, settings, id, trigger, &SyncOptions::default()).await {
                    Ok(r) => runs.push(SyncRunView::from(r)),
                    // Claimed meanwhile by another process: its business now.
                    Err(AppError::Conflict(_)) => {}
                    Err(e) => tracing::error!(channel = %id, error = %e, "scheduled sync failed"),
                }
            }
        }
        Err(e) => tracing::error!(error = %e, "listing due syncs failed"),
    }
    (events, runs)
}

//! Sync runs: reading a claimed channel's shop page by page and writing each batch as it comes,
//! marking listings removed only after a complete full pass, and recording everything on the
//! run — with every credential scrubbed from what is recorded.

use entity::{channel_connection as connection, sales_channel as channel, sync_run};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::client::{HttpClient, SyncError, scrub};
use super::connection::{connection_of, store_tokens};
use super::dto::{ManagedBy, RunStatus, SyncOptions, SyncRunQuery, SyncRunView};
use super::lease::{claim, release};
use super::marketplaces::{self, ConnectorKind, Credentials, Pass};
use super::secrets::Secrets;
use super::settings::SyncSettings;
use crate::auth::{Actor, Scope, reach};
use crate::channels::observe;
use crate::db::{begin_write, find, save};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::pagination::{PageParams, Paginated, fetch};
use crate::{clock, ids};

/// Incremental passes re-read this much before the watermark (clock skew, late updates).
const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);
/// A channel gets a full pass at least this often, so removals are seen.
const FULL_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// Messages kept on a run.
const MAX_NOTES: usize = 100;

async fn load_channel(db: &impl ConnectionTrait, id: Uuid) -> AppResult<channel::Model> {
    find::<channel::Entity>(db, "channel", id, false).await
}

fn open(secrets: &Secrets, v: &Option<String>) -> AppResult<Option<String>> {
    v.as_deref().map(|s| secrets.open(s)).transpose()
}

/// A connection's credentials, opened.
fn credentials(settings: &SyncSettings, conn: &connection::Model) -> AppResult<Credentials> {
    Ok(Credentials {
        app_secret: settings.app_secret_of(conn)?,
        access_token: open(&settings.secrets, &conn.access_token)?,
        refresh_token: open(&settings.secrets, &conn.refresh_token)?,
    })
}

/// What a run reads from, and the secret values to scrub from everything it records.
struct Source<'a> {
    conn: &'a connection::Model,
    creds: Credentials,
    secrets: &'a [String],
}

impl Source<'_> {
    fn scrub(&self, text: &str) -> String {
        scrub(text, self.secrets)
    }
}

/// Syncs one channel now (no authorisation: callers check it). A channel another process is
/// syncing is a conflict. Failures are recorded on the run, which is returned either way.
#[tracing::instrument(skip(db, settings, options))]
pub async fn run(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    channel_id: Uuid,
    trigger: crate::domain::RunTrigger,
    options: &SyncOptions,
) -> AppResult<sync_run::Model> {
    let ch = load_channel(db, channel_id).await?;
    let conn = connection_of(db, channel_id).await?.ok_or_else(|| {
        AppError::invalid(
            "channel_id",
            "the channel has no connection: configure one with PUT /api/v1/channels/{id}/connection",
        )
    })?;
    let kind: ConnectorKind = conn.connector;
    if !kind.pullable() {
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
            "a sync of this channel is already running".into(),
        ));
    }
    let result = run_claimed(db, settings, &ch, &conn, trigger, options).await;
    match &result {
        Ok(run) => tracing::info!(
            run = %run.id,
            status = run.status.code(),
            pages = run.pages,
            items_seen = run.items_seen,
            added = run.added,
            changed = run.changed,
            removed = run.removed,
            item_errors = run.item_errors,
            reason = run.reason.as_deref().unwrap_or_default(),
            "sync run ended"
        ),
        Err(e) => tracing::warn!(error = crate::telemetry::cause_chain(e), "sync run failed"),
    }
    crate::telemetry::metrics().sync_run(match &result {
        Ok(run) => run.status.code(),
        Err(_) => "error",
    });
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
    trigger: crate::domain::RunTrigger,
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
        trigger,
        status: RunStatus::Running,
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
    let outcome = match credentials(settings, conn) {
        Ok(creds) => {
            let secrets = creds.values();
            let source = Source {
                conn,
                creds,
                secrets: &secrets,
            };
            let pass = Pass {
                full,
                since,
                until: started,
            };
            read_pages(db, settings, ch, &source, pass, &mut run, &mut notes)
                .await
                .map_err(|e| scrub(&e.to_string(), &secrets))
        }
        Err(e) => Err(format!("the stored credentials cannot be read: {e}")),
    };
    let finished = clock::now();
    let txn = begin_write(db).await?;
    let mut conn_now = crate::db::unique(&txn, connection::Entity::find_by_id(ch.id))
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
            run.status = RunStatus::Succeeded;
            conn_now.watermark = Some(started);
        }
        Err(reason) => {
            tracing::warn!(channel = %ch.id, run = %run.id, %reason, "sync failed");
            run.status = RunStatus::Failed;
            run.reason = Some(reason);
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
async fn read_pages(
    db: &DatabaseConnection,
    settings: &SyncSettings,
    ch: &channel::Model,
    source: &Source<'_>,
    pass: Pass,
    run: &mut sync_run::Model,
    notes: &mut Vec<String>,
) -> Result<(), SyncError> {
    let db_err = |e: AppError| SyncError::Failed(format!("database: {e}"));
    let conn = source.conn;
    let kind = conn.connector;
    let managed_by = conn.managed_by;
    let trusted = managed_by == ManagedBy::Registry;
    let mut connector = marketplaces::build(conn, &settings.hosts, source.creds.clone(), pass)?;
    let rate = u32::try_from(conn.rate_limit_per_minute).unwrap_or(60);
    let http = HttpClient::new(
        settings.timeout,
        settings.policy.clone(),
        rate,
        settings.reach(kind, managed_by),
    )?;
    // What the reader counted so far; the run row is the writer's, brought up to date before
    // each write.
    let mut read = Progress::from(&*run);
    let mut writing: Option<Batch> = None;
    loop {
        read.copy_to(run);
        let errors = errors_json(notes);
        let write = async {
            match writing.take() {
                Some(b) => b.write(db, settings, ch, trusted, run, errors).await,
                None => Ok(()),
            }
        };
        let mut next = Batch::default();
        let reading = next.fill(connector.as_mut(), &http, source, &mut read, notes);
        let (written, more) = tokio::join!(write, reading);
        written.map_err(db_err)?;
        match more {
            Ok(true) => writing = Some(next),
            Ok(false) | Err(_) => {
                // The end, or a failure: what was read before it is still a true observation.
                read.copy_to(run);
                let errors = errors_json(notes);
                next.write(db, settings, ch, trusted, run, errors)
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
    tokens: Option<marketplaces::Tokens>,
}

impl Batch {
    /// Reads pages until the batch is full (`true`: there may be more) or the pass ends
    /// (`false`).
    async fn fill(
        &mut self,
        connector: &mut dyn marketplaces::Connector,
        http: &HttpClient,
        source: &Source<'_>,
        read: &mut Progress,
        notes: &mut Vec<String>,
    ) -> Result<bool, SyncError> {
        while self.items.len() < WRITE_BATCH {
            let page = connector.next_page(http).await;
            notes.extend(http.take_notes().await.iter().map(|n| source.scrub(n)));
            self.tokens = connector.take_refreshed().or(self.tokens.take());
            let Some(p) = page? else {
                return Ok(false);
            };
            read.pages += 1;
            read.items_seen += (p.items.len() + p.bad.len()) as i64;
            read.item_errors += p.bad.len() as i64;
            let n = read.pages;
            notes.extend(
                p.bad
                    .into_iter()
                    .map(|b| source.scrub(&format!("page {n}: {b}"))),
            );
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
        trusted: bool,
        run: &mut sync_run::Model,
        errors: String,
    ) -> AppResult<()> {
        let txn = begin_write(db).await?;
        if let Some(t) = self.tokens {
            store_tokens(&txn, settings, ch.id, t).await?;
        }
        let outcome = observe::observe(&txn, ch, clock::now(), trusted, &self.items).await?;
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
            if actor.platform.as_ref() != Some(&ch.platform) {
                return Err(AppError::not_found("channel", channel_id));
            }
        }
        _ => {
            reach(db, actor, "channel", channel_id, ch.subject_id).await?;
            actor.require(&[Role::Admin, Role::Auditor])?;
        }
    }
    Ok(SyncRunView::from(
        run(
            db,
            settings,
            channel_id,
            crate::domain::RunTrigger::Api,
            options,
        )
        .await?,
    )
    .for_role(actor.role))
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
            // A channel token names its platform (required when it is made).
            own.and_where(
                channel::Column::Platform.eq(actor.platform.as_ref().map(|p| p.code().to_owned())),
            );
            cond = cond.add(sync_run::Column::ChannelId.in_subquery(own));
        }
        _ => {
            let scope = Scope::of(db, actor).await?;
            if !matches!(scope, Scope::All) {
                let mut own = channels;
                own.and_where(channel::Column::SubjectId.in_subquery(scope.subject_ids()));
                cond = cond.add(sync_run::Column::ChannelId.in_subquery(own));
            }
        }
    }
    if let Some(c) = q.channel_id {
        cond = cond.add(sync_run::Column::ChannelId.eq(c));
    }
    if let Some(s) = &q.status {
        cond = cond.add(sync_run::Column::Status.eq(s.code()));
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
        rows.into_iter()
            .map(|r| SyncRunView::from(r).for_role(actor.role))
            .collect(),
        page,
        total,
    ))
}

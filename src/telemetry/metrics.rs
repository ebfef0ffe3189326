//! The process's Prometheus metrics, and their text at each scrape.

use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseConnection, DbBackend};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    method: &'static str,
    /// The route's pattern (`/api/v1/subjects/<id>`), never the path: ids would make a series
    /// per record.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Routed {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    latency: Histograms<Routed>,
    sync_runs: Family<Outcome, Counter>,
    webhook_depth: Gauge,
    webhook_age: Gauge<f64, AtomicU64>,
    pool: Family<PoolState, Gauge>,
    batch: Histogram,
}

fn latency_buckets() -> Histogram {
    // 0.5 ms to about 8 s: a cached read takes well under a millisecond, a report seconds.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("ocop");
        let requests = Family::<Answered, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: Histograms<Routed> = Family::new_with_constructor(latency_buckets);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by method and route",
            latency.clone(),
        );
        let sync_runs = Family::<Outcome, Counter>::default();
        registry.register(
            "sync_runs",
            "Channel sync runs this process made, by outcome (the run's status, or error when it could not be recorded)",
            sync_runs.clone(),
        );
        let webhook_depth = Gauge::default();
        registry.register(
            "webhook_queue_depth",
            "Marketplace pushes received and not yet processed (the registry's, not the process's)",
            webhook_depth.clone(),
        );
        let webhook_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "webhook_queue_oldest_age_seconds",
            "Age of the oldest push waiting to be processed (0 when none waits)",
            webhook_age.clone(),
        );
        let pool = Family::<PoolState, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this process's pool, idle or in use",
            pool.clone(),
        );
        let batch = Histogram::new(exponential_buckets(1.0, 2.0, 8));
        registry.register(
            "group_commit_batch_size",
            "Writes made together in one SQLite transaction by the group commit",
            batch.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            sync_runs,
            webhook_depth,
            webhook_age,
            pool,
            batch,
        }
    }

    /// A request answered.
    pub fn answered(&self, method: &'static str, route: &str, status: u16, took: Duration) {
        let route = route.to_owned();
        self.latency
            .get_or_create(&Routed {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&Answered {
                method,
                route,
                status,
            })
            .inc();
    }

    /// A sync run ended (`refused`: it could not start, e.g. another process held the claim).
    pub fn sync_run(&self, outcome: &str) {
        self.sync_runs
            .get_or_create(&Outcome {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// A group commit wrote this many writes in one transaction.
    pub fn group_commit(&self, writes: usize) {
        self.batch.observe(writes as f64);
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// The metrics as Prometheus reads them (OpenMetrics text), with the webhook queue's depth and
/// oldest arrival (read from the database by the caller) and the pool's figures.
pub fn render(
    db: &DatabaseConnection,
    (depth, oldest): (i64, Option<chrono::DateTime<chrono::Utc>>),
) -> crate::error::AppResult<String> {
    let m = metrics();
    m.webhook_depth.set(depth);
    m.webhook_age.set(oldest.map_or(0.0, |at| {
        (crate::clock::now() - at).num_milliseconds().max(0) as f64 / 1000.0
    }));
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    m.pool.get_or_create(&PoolState { state: "idle" }).set(idle);
    m.pool
        .get_or_create(&PoolState { state: "in_use" })
        .set(i64::from(size) - idle);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry).map_err(|e| {
        crate::error::AppError::Internal(format!("writing the metrics failed: {e}"))
    })?;
    Ok(text)
}

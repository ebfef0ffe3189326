//! `TestApp`: the real application on its own fresh database, driven through Rocket's local
//! client. SQLite by default (a temporary file, configured as in production); PostgreSQL when
//! `TEST_DATABASE_URL` is set, in a schema of its own that is dropped afterwards.

use std::path::PathBuf;

use ocop_registry::auth::Actor;
use ocop_registry::config::{AppConfig, DatabaseConfig, PublicConfig, SyncConfig};
use ocop_registry::domain::Role;
use ocop_registry::tokens::dto::CreateToken;
use ocop_registry::units::dataset::unit_id;
use ocop_registry::{build_rocket, prepare, tokens};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

/// One test's application and database.
pub struct TestApp {
    pub client: Client,
    pub db: DatabaseConnection,
    pub config: AppConfig,
    cleanup: Cleanup,
}

/// The SQL statements an instance ran while recording.
#[derive(Clone, Default)]
pub struct StatementLog {
    inner: std::sync::Arc<std::sync::Mutex<(bool, Vec<String>)>>,
}

impl StatementLog {
    fn push(&self, sql: &str) {
        if let Ok(mut g) = self.inner.lock()
            && g.0
        {
            g.1.push(sql.to_owned());
        }
    }

    /// Starts recording afresh.
    pub fn start(&self) {
        if let Ok(mut g) = self.inner.lock() {
            *g = (true, Vec::new());
        }
    }

    /// Waits until `n` statements containing `needle` have run since [`start`](Self::start)
    /// (the callback fires once each has finished); fails the test at `deadline`.
    pub async fn wait_for_n(&self, needle: &str, n: usize, deadline: std::time::Duration) {
        let until = std::time::Instant::now() + deadline;
        loop {
            let seen = self
                .inner
                .lock()
                .map(|g| g.1.iter().filter(|s| s.contains(needle)).count())
                .unwrap_or(0);
            if seen >= n {
                return;
            }
            assert!(
                std::time::Instant::now() < until,
                "{seen} statements containing {needle:?}, not {n}, ran within {deadline:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Stops recording and returns what was run since [`start`](Self::start).
    pub fn take(&self) -> Vec<String> {
        self.inner
            .lock()
            .map(|mut g| {
                g.0 = false;
                std::mem::take(&mut g.1)
            })
            .unwrap_or_default()
    }
}

/// Test defaults: no background scheduler (tests drive the work), fast retries.
fn test_config() -> AppConfig {
    AppConfig {
        sync: SyncConfig {
            interval_secs: 0,
            timeout_secs: 2.0,
            max_attempts: 3,
            backoff_ms: 10,
            max_wait_secs: 5,
            ..SyncConfig::default()
        },
        // Tests read what they just wrote: the public pages' few seconds of keeping would hide
        // it (`public_pages_are_kept_by_each_process_for_a_few_seconds` turns it on).
        public: PublicConfig {
            cache_seconds: 0,
            ..PublicConfig::default()
        },
        ..AppConfig::default()
    }
}

enum Cleanup {
    SqliteFile(PathBuf),
    PgSchema { url: String, schema: String },
}

/// A response, read.
#[derive(Debug)]
pub struct Resp {
    pub status: Status,
    pub body: Value,
    pub etag: Option<String>,
    pub content_type: Option<String>,
}

impl Resp {
    /// The error envelope's `fields` keys.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["error"]["fields"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The error code of the envelope.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Every refusal of the API, in every test, is the one error envelope with the stable code of
/// its status and a message (api.md, "Errors"): a 403 or 404 that is only a status would pass
/// a test that checks the status alone.
fn assert_error_envelope(path: &str, status: Status, body: &Value) {
    let code = match status.code {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "too_many_requests",
        502 => "upstream_error",
        503 => "unavailable",
        _ => "internal_error",
    };
    let error = &body["error"];
    assert_eq!(
        error["code"], code,
        "{status} from {path} without its error envelope: {body}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "{status} from {path} without a message: {body}"
    );
}

/// A multipart form as a browser sends it: text fields, then a file (its name, its bytes) in
/// the field `file`.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (ContentType, Vec<u8>) {
    multipart_with(fields, "file", file)
}

/// [`multipart`] with the file in the field `field`.
pub fn multipart_with(
    fields: &[(&str, &str)],
    field: &str,
    file: Option<(&str, &[u8])>,
) -> (ContentType, Vec<u8>) {
    let boundary = "----ocopboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .into_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (
        ContentType::new("multipart", "form-data").with_params(("boundary", boundary)),
        body,
    )
}

/// The PostgreSQL URL the tests run on, if any. A `TEST_DATABASE_URL` that is set but not a
/// PostgreSQL URL stops the test: a run meant for PostgreSQL must not quietly pass on SQLite.
fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.trim().is_empty() => None,
        Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url),
        Ok(url) => {
            panic!("TEST_DATABASE_URL={url:?} is not a postgres:// URL; unset it for SQLite")
        }
        Err(_) => None,
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_url().is_some()
}

impl TestApp {
    /// A fresh application on a fresh, migrated database with units loaded.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Same as [`spawn`](Self::spawn), with configuration changes.
    pub async fn spawn_with(tune: impl FnOnce(&mut AppConfig)) -> TestApp {
        // TEST_LOG=debug shows the application's logs (errors behind 500s, for one).
        if let Ok(filter) = std::env::var("TEST_LOG") {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init()
                .ok();
        } else {
            // A global subscriber that keeps nothing: without one, a log call first made by a
            // test with no subscriber of its own is cached as disabled, and a test that captures
            // the log (trust.rs) would not see it.
            tracing::subscriber::set_global_default(tracing_subscriber::registry()).ok();
        }
        let (config, cleanup) = match postgres_url() {
            Some(url) => {
                let schema = format!("t_{}", Uuid::new_v4().simple());
                let admin = Database::connect(url.clone())
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create test schema");
                admin.close().await.ok();
                let config = AppConfig {
                    database: DatabaseConfig {
                        url: url.clone(),
                        pool_size: 4,
                        schema: Some(schema.clone()),
                    },
                    ..test_config()
                };
                (config, Cleanup::PgSchema { url, schema })
            }
            None => {
                let path = std::env::temp_dir().join(format!("ocop-test-{}.db", Uuid::new_v4()));
                let config = AppConfig {
                    database: DatabaseConfig {
                        url: format!("sqlite://{}?mode=rwc", path.display()),
                        pool_size: 4,
                        schema: None,
                    },
                    ..test_config()
                };
                (config, Cleanup::SqliteFile(path))
            }
        };
        let mut config = config;
        config.documents.store = std::env::temp_dir()
            .join(format!("ocop-documents-{}", Uuid::new_v4()))
            .display()
            .to_string();
        tune(&mut config);
        let (client, db) = Self::instance(config.clone()).await;
        TestApp {
            client,
            db,
            config,
            cleanup,
        }
    }

    async fn instance(config: AppConfig) -> (Client, DatabaseConnection) {
        Self::instance_tuned(config, |f| f).await
    }

    /// A second application process on the same database, with Rocket's own configuration
    /// changed (as `Rocket.toml` or `ROCKET_*` would).
    pub async fn instance_with(
        &self,
        tune: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
    ) -> Client {
        Self::instance_tuned(self.config.clone(), tune).await.0
    }

    async fn instance_tuned(
        config: AppConfig,
        tune: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
    ) -> (Client, DatabaseConnection) {
        let db = prepare(&config).await.expect("prepare database");
        let figment = tune(
            rocket::Config::figment()
                .merge(("log_level", rocket::config::LogLevel::Off))
                .merge(("cli_colors", false)),
        );
        let rocket = build_rocket(figment, config, db.clone()).expect("valid configuration");
        let client = Client::tracked(rocket).await.expect("valid rocket");
        (client, db)
    }

    /// Another application process on this test's database whose every SQL statement is
    /// recorded (in the order run) while `recording` is set: what a request costs in round trips.
    pub async fn counted_instance(&self) -> (Client, StatementLog) {
        let log = StatementLog::default();
        let mut db = prepare(&self.config).await.expect("prepare database");
        let sink = log.clone();
        db.set_metric_callback(move |info| sink.push(&info.statement.sql));
        let figment = rocket::Config::figment()
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("cli_colors", false));
        let rocket = build_rocket(figment, self.config.clone(), db).expect("valid configuration");
        let client = Client::tracked(rocket).await.expect("valid rocket");
        (client, log)
    }

    /// The registry's own binary, on this test's database (its command line, as an operator
    /// runs it).
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ocop-registry"));
        cmd.env("DATABASE_URL", &self.config.database.url)
            .env("ROCKET_LOG_LEVEL", "off")
            .env_remove("ROCKET_DATABASE_SCHEMA");
        if let Some(schema) = &self.config.database.schema {
            cmd.env("ROCKET_DATABASE_SCHEMA", schema);
        }
        cmd
    }

    /// A second application process on the same database (its own pool and identity).
    pub async fn another_instance(&self) -> (Client, DatabaseConnection) {
        Self::instance(self.config.clone()).await
    }

    /// The application served over real HTTP on a free loopback port (for the browser), on
    /// this test's database; returns its base URL once it answers.
    pub async fn serve(&self) -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let db = prepare(&self.config).await.expect("prepare database");
        let figment = rocket::Config::figment()
            .merge(("log_level", rocket::config::LogLevel::Off))
            .merge(("cli_colors", false))
            .merge(("address", "127.0.0.1"))
            .merge(("port", port));
        let rocket = build_rocket(figment, self.config.clone(), db).expect("valid configuration");
        tokio::spawn(rocket.launch());
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return base;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the registry did not start on {base}");
    }

    /// This application's sync settings.
    pub fn sync_settings(&self) -> ocop_registry::sync::SyncSettings {
        self.client
            .rocket()
            .state::<ocop_registry::sync::SyncSettings>()
            .expect("sync settings")
            .clone()
    }

    /// Issues a token through the service, as `ocop-registry token create` does.
    pub async fn token(
        &self,
        role: Role,
        unit_id: Option<Uuid>,
        subject_id: Option<Uuid>,
        platform: Option<&str>,
    ) -> String {
        tokens::service::create(
            &self.db,
            &Actor::cli(),
            CreateToken {
                role,
                unit_id,
                subject_id,
                platform: platform.map(str::to_owned),
                // Named as a person reads it on the pages (audit trails, "verified by").
                name: Some(test_actor_name(role).to_owned()),
            },
        )
        .await
        .expect("create token")
        .secret
    }

    /// An administrator token (named "Quản trị thử nghiệm").
    pub async fn admin(&self) -> String {
        self.token(Role::Admin, None, None, None).await
    }

    /// An auditor token scoped to a unit.
    pub async fn auditor(&self, unit: Uuid) -> String {
        self.token(Role::Auditor, Some(unit), None, None).await
    }

    /// Verifies a raw-material area from day `on`, as an auditor does (from policy version 3
    /// an area counts only as verified); the area as it then is.
    pub async fn verify_area(&self, token: &str, area: &Value, on: &str) -> Value {
        let res = self
            .post(
                &format!("/api/v1/areas/{}/transitions", id_of(area)),
                Some(token),
                &json!({"to": "verified", "reason": "đã kiểm tra thực địa", "effective_on": on}),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        res.body
    }

    /// An owner token for a subject.
    pub async fn owner_of(&self, subject: &Value) -> String {
        self.token(Role::Owner, None, Some(id_of(subject)), None)
            .await
    }

    async fn read(path: &str, res: LocalResponse<'_>) -> Resp {
        let status = res.status();
        let etag = res.headers().get_one("ETag").map(str::to_owned);
        let content_type = res.content_type().map(|c| c.to_string());
        let text = res.into_string().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if path.starts_with("/api/") && status.code >= 400 {
            assert_error_envelope(path, status, &body);
        }
        Resp {
            status,
            body,
            etag,
            content_type,
        }
    }

    /// GET with an optional token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = self.client.get(path.to_owned());
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        Self::read(path, req.dispatch().await).await
    }

    /// POST a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send_raw("POST", path, token, body.to_string(), None)
            .await
    }

    /// PATCH a JSON body, with an optional `If-Match`.
    pub async fn patch(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        if_match: Option<&str>,
    ) -> Resp {
        self.send_raw("PATCH", path, token, body.to_string(), if_match)
            .await
    }

    /// Any method with a raw body (JSON content type).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: String,
        if_match: Option<&str>,
    ) -> Resp {
        let mut req = match method {
            "POST" => self.client.post(path.to_owned()),
            "PATCH" => self.client.patch(path.to_owned()),
            "PUT" => self.client.put(path.to_owned()),
            "DELETE" => self.client.delete(path.to_owned()),
            other => panic!("unsupported method {other}"),
        };
        req = req.header(ContentType::JSON).body(body);
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(m) = if_match {
            req = req.header(Header::new("If-Match", m.to_owned()));
        }
        Self::read(path, req.dispatch().await).await
    }

    /// POST a file's bytes (an import) with its content type.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        bytes: Vec<u8>,
        content_type: ContentType,
    ) -> Resp {
        let req = self
            .client
            .post(path.to_owned())
            .header(content_type)
            .header(Header::new("Authorization", format!("Bearer {token}")))
            .body(bytes);
        Self::read(path, req.dispatch().await).await
    }

    /// POST a multipart form as a browser sends it: text fields, then a file.
    pub async fn post_form(
        &self,
        path: &str,
        token: Option<&str>,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Resp {
        let (content_type, body) = multipart(fields, file);
        let mut req = self
            .client
            .post(path.to_owned())
            .header(content_type)
            .body(body);
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        Self::read(path, req.dispatch().await).await
    }

    /// Rows in a table.
    pub async fn count(&self, table: &str) -> i64 {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("one row");
        row.try_get::<i64>("", "n").expect("count value")
    }

    /// Audit entries about one record, oldest first.
    pub async fn audit_of(&self, entity_id: &str) -> Vec<Value> {
        let admin = self.admin().await;
        let res = self
            .get(
                &format!("/api/v1/audit?entity_id={entity_id}&per_page=500"),
                Some(&admin),
            )
            .await;
        assert_eq!(res.status, Status::Ok, "{:?}", res.body);
        let mut items = res.body["items"].as_array().cloned().unwrap_or_default();
        items.reverse();
        items
    }

    /// Registers a subject in the commune with this code (pre-2025 version) and returns it.
    pub async fn seed_subject(&self, token: &str, commune_code: &str, name: &str) -> Value {
        let body = subject_body(name, &commune(commune_code, None).to_string());
        let res = self.post("/api/v1/subjects", Some(token), &body).await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        res.body
    }

    /// Adds a product to a subject.
    pub async fn seed_product(&self, token: &str, subject: &Value, name: &str) -> Value {
        let res = self
            .post(
                &format!("/api/v1/subjects/{}/products", id_of(subject)),
                Some(token),
                &json!({"name": name, "group": "food"}),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        res.body
    }

    /// Rates a product.
    pub async fn seed_recognition(
        &self,
        token: &str,
        product: &Value,
        decision_no: &str,
        decision_date: &str,
        stars: i64,
    ) -> Value {
        let res = self
            .post(
                &format!("/api/v1/products/{}/recognitions", id_of(product)),
                Some(token),
                &json!({"stars": stars, "decision_no": decision_no, "decision_date": decision_date,
                        "authority": "UBND tỉnh Quảng Nam", "kind": "new"}),
            )
            .await;
        assert_eq!(res.status, Status::Created, "{:?}", res.body);
        res.body
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.config.documents.store).ok();
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    std::fs::remove_file(p).ok();
                }
            }
            Cleanup::PgSchema { url, schema } => {
                let (url, schema) = (url.clone(), schema.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(url).await {
                            db.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                                .await
                                .ok();
                            db.close().await.ok();
                        }
                    });
                })
                .join()
                .ok();
            }
        }
    }
}

/// The `id` of a JSON record.
pub fn id_of(v: &Value) -> Uuid {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {v}"))
}

/// The id of the commune version with `code` valid from `valid_from` (`None`: the pre-2025
/// version).
pub fn commune(code: &str, valid_from: Option<&str>) -> Uuid {
    unit("commune", code, valid_from)
}

/// The id of a unit version (loaded ids are UUIDv5 of level, code and start of validity).
pub fn unit(level: &str, code: &str, valid_from: Option<&str>) -> Uuid {
    unit_id(level, code, valid_from.map(|d| d.parse().expect("date")))
}

/// A valid subject body in a commune.
pub fn subject_body(name: &str, commune_id: &str) -> Value {
    json!({
        "name": name,
        "legal_form": "cooperative",
        "tax_code": next_tax_code(),
        "commune_id": commune_id,
        "address": "Thôn 1",
        "representative": "Nguyễn Thị Hoa",
        "phone": "0905 123 456",
        "email": "htx@example.vn",
        "woman_led": true,
        "founded_on": "2015-03-01"
    })
}

/// A fresh valid tax code (unique within the test process).
pub fn next_tax_code() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut d: Vec<u32> = format!("40{n:07}")
            .bytes()
            .map(|b| u32::from(b - b'0'))
            .collect();
        let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
        let check = 10 - sum % 11;
        if check < 10 {
            d.push(check);
            return d.iter().map(|x| x.to_string()).collect();
        }
    }
}

/// The name a test token carries.
pub fn test_actor_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "Quản trị thử nghiệm",
        Role::Auditor => "Cán bộ thử nghiệm",
        Role::Owner => "Chủ thể thử nghiệm",
        _ => "Kênh thử nghiệm",
    }
}

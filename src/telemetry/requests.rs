//! Each request's id, its log line and its counters; `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::domain::Role;

/// The header carrying a request's id, in the answer always, and from the caller when the
/// operator trusts it (`ROCKET_TRUST_REQUEST_ID=true`, behind a proxy that sets it).
pub const REQUEST_ID: &str = "X-Request-Id";

/// Gives every request an id and, once answered, logs one line and counts it.
pub struct RequestTelemetry {
    /// Whether an `X-Request-Id` sent by the caller is kept (a proxy's id joins its logs with
    /// ours); otherwise the registry makes one.
    pub trust_given_id: bool,
}

/// When the request arrived, and its id.
struct Arrival {
    at: Instant,
    id: String,
}

/// The caller's role, once a guard has resolved it.
#[derive(Default)]
struct SeenRole(OnceLock<Role>);

/// Notes the role of the request's caller for its log line.
pub fn saw_role(req: &Request<'_>, role: Role) {
    let _ = req.local_cache(SeenRole::default).0.set(role);
}

/// The request's id (empty outside a request the fairing saw).
pub fn request_id<'r>(req: &'r Request<'_>) -> &'r str {
    req.local_cache(|| Arrival {
        at: Instant::now(),
        id: String::new(),
    })
    .id
    .as_str()
}

/// The path as a log may hold it: at most 256 bytes (a 60 KB path must not make a 60 KB line).
/// Record it as a string value (`path = logged_path(req).as_str()`), never with `%`: the text
/// format then quotes it with its control and invisible characters escaped, so a path cannot
/// start a new line or turn the rest of one around, and JSON escapes it.
pub fn logged_path(req: &Request<'_>) -> String {
    let path = req.uri().path();
    let path = path.as_str();
    let end = path.floor_char_boundary(256);
    if end < path.len() {
        format!("{}…", &path[..end])
    } else {
        path.to_owned()
    }
}

/// An id sent by a caller is kept only when it is short visible ASCII: it goes into logs.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

#[rocket::async_trait]
impl Fairing for RequestTelemetry {
    fn info(&self) -> Info {
        Info {
            name: "request telemetry",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let given = self
            .trust_given_id
            .then(|| req.headers().get_one(REQUEST_ID))
            .flatten()
            .filter(|id| acceptable(id))
            .map(str::to_owned);
        let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        req.local_cache(|| Arrival {
            at: Instant::now(),
            id,
        });
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let arrival = req.local_cache(|| Arrival {
            at: Instant::now(),
            id: String::new(),
        });
        let took = arrival.at.elapsed();
        let route = req.route().map_or("(none)", |r| r.uri.path());
        let status = res.status().code;
        let method = req.method().as_str();
        res.set_raw_header(REQUEST_ID, arrival.id.clone());
        super::metrics().answered(method, route, status, took);
        let role = req
            .local_cache(SeenRole::default)
            .0
            .get()
            .map_or("anonymous", |r| r.code());
        tracing::info!(
            request_id = %arrival.id,
            method,
            route,
            path = logged_path(req).as_str(),
            status,
            latency_ms = took.as_micros() as f64 / 1000.0,
            role,
            "request"
        );
    }
}

/// `ROCKET_METRICS_ADDRESS` read: an IP address and a port; a wrong one stops start-up.
pub fn metrics_address(text: &str) -> Result<std::net::SocketAddr, String> {
    let address: std::net::SocketAddr = text.trim().parse().map_err(|_| {
        format!(
            "ROCKET_METRICS_ADDRESS must be an IP address and a port (127.0.0.1:9464, \
             [::1]:9464), not {text:?}"
        )
    })?;
    if address.ip().is_unspecified() {
        tracing::warn!(
            %address,
            "/metrics is served without a token on every interface: keep that port private"
        );
    }
    Ok(address)
}

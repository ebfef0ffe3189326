//! Log output: text for people (coloured only on a terminal), or one JSON object per line for
//! a log pipeline (`OCOP_LOG_FORMAT=json`).

use std::io::IsTerminal;

/// The filter used when `RUST_LOG` is not set: the registry's own lines from `info`, the
/// frameworks' only when they warn.
/// Rocket's own per-request lines (`rocket::server`) are off: they repeat the request line, and
/// write the query string, which may hold what a log must not.
const DEFAULT_FILTER: &str = "info,rocket=warn,rocket::server=off,sqlx=warn,sea_orm=warn";

/// Installs the process's log output on standard error. `OCOP_LOG_FORMAT=json` writes one JSON
/// object per line (fields flattened beside `timestamp`, `level`, `target` and `message`);
/// otherwise text, with colour only when standard error is a terminal, so a log file never
/// carries escape codes.
///
/// Lines are written by a thread of their own, so that a request never waits for standard
/// error (reads lost up to a tenth of their throughput once every request logged a line;
/// docs/benchmarks.md). Keep the
/// returned guard for the life of the process: dropping it flushes what is left. Past 128,000
/// lines waiting (a stalled log reader), lines are dropped rather than requests slowed.
pub fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| DEFAULT_FILTER.into());
    let json = std::env::var("OCOP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
    guard
}

/// An error and every error beneath it, as one line: "a: b: c" (a cause that repeats its
/// source's text is said once).
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

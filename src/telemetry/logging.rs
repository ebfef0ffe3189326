//! Log output: text for people (coloured only on a terminal), or one JSON object per line for
//! a log pipeline (`OCOP_LOG_FORMAT=json`).

use std::io::IsTerminal;

/// The filter used when `RUST_LOG` is not set: the registry's own lines from `info`, the
/// frameworks' only when they warn.
const DEFAULT_FILTER: &str = "info,rocket=warn,sqlx=warn,sea_orm=warn";

/// Installs the process's log output on standard error. `OCOP_LOG_FORMAT=json` writes one JSON
/// object per line (fields flattened beside `timestamp`, `level`, `target` and `message`);
/// otherwise text, with colour only when standard error is a terminal, so a log file never
/// carries escape codes.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| DEFAULT_FILTER.into());
    let json = std::env::var("OCOP_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
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

//! The `ocop-registry` command line: `serve` (default), `migrate`, `token`, `user`, `sync`,
//! `backup`, `report`, `import`. Each command lives in `cli/`.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let _flush_logs_at_exit = ocop_registry::telemetry::init_logging();
    match rocket::execute(cli::run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            // One line: the chain of causes joined, no backtrace.
            eprintln!(
                "error: {}",
                ocop_registry::telemetry::cause_chain(e.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}

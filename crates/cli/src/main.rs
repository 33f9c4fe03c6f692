//! `sanctions`: import, version and screen official sanctions lists.
//!
//! Thin front end: parse arguments, call `sanctions-engine`, render. Exit codes: 0 success,
//! 1 a user error (bad input, nothing loaded), 2 an internal error.

mod args;
mod cmd;
mod render;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    match cmd::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Broken pipe (e.g. `| head`) is not an error.
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("error: {err:#}");
            let internal =
                err.downcast_ref::<sanctions_engine::Error>().is_some_and(|e| !e.is_user_error());
            ExitCode::from(if internal { 2 } else { 1 })
        }
    }
}

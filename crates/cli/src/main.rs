//! `sanctions`: import, version and screen official sanctions lists.
//!
//! Thin front end: parse arguments, call `sanctions-engine`, render. Exit codes: 0 success,
//! 1 a user error (bad input, nothing loaded), 2 an internal error.

mod args;
mod cmd;
mod logwriter;
mod render;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The error and its causes, each once: a cause whose text the message already ends with is
/// not repeated.
fn message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) || out.contains(&format!("{text}:")) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn main() -> ExitCode {
    let args = args::Cli::parse();
    match cmd::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Broken pipe (e.g. `| head`) is not an error.
            let broken_pipe = err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(|e| e.io_error_kind())
                        .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", message(&err));
            let internal =
                err.downcast_ref::<sanctions_engine::Error>().is_some_and(|e| !e.is_user_error());
            ExitCode::from(if internal { 2 } else { 1 })
        }
    }
}

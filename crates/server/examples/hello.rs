//! The floor of the server's HTTP stack: the same axum and tokio as `sanctions serve`, one
//! route answering a constant string, nothing else (no middleware, no audit, no logging).
//! `crates/bench/http/floor.sh` loads it beside nginx and `sanctions serve` to tell the
//! machine's latency from the server's (BENCHMARKS.md §4, eighth session).
//!
//! ```sh
//! cargo run --release -p sanctions-server --example hello -- 127.0.0.1:18093
//! ```

use axum::Router;
use axum::routing::get;

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18093".to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let app = Router::new().route("/healthz", get(|| async { "ok\n" }));
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        axum::serve(listener, app).await
    })
}

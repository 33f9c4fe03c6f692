//! The HTTP API of `sanctions`: screening, entries, versions, diffs, health, and an
//! append-only audit log of every screening.
//!
//! The engine is synchronous and owns a SQLite connection, so the server keeps it in a mutex
//! and calls it through `tokio::task::spawn_blocking`. A single screening of a usual length
//! on the current lists runs on the runtime's thread (a fraction of a millisecond); batches,
//! long names and `as_of` queries go to the blocking pool. Audit records are written by the
//! log's own thread; a request waits for its record without holding a thread.
//! Screening runs on an immutable [`sanctions_engine::Snapshot`] held in a swappable cell:
//! a reload builds the new snapshot off to the side and swaps it in, and a request in flight
//! keeps the snapshot it started with. Requests `as_of` a date get their own snapshot, built
//! on first use and kept in a small most-recently-used cache.
//!
//! Every error is `{"error": {"code": "...", "message": "..."}}` with a stable code
//! ([`ApiError`]). Logs carry request ids, counts and list versions, never a screened name.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let mut config = sanctions_server::ServerConfig::new("/var/lib/sanctions/sanctions.sqlite");
//! config.apply_env()?; // SANCTIONS_API_KEYS=id:role:sha256hex,...
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! sanctions_server::serve(config, listener, sanctions_server::shutdown_signal()).await
//! # }
//! ```
#![deny(missing_docs)]

mod audit;
mod clock;
mod config;
mod error;
mod extract;
mod handlers;
mod listener;
mod middleware;
mod state;
mod web;

use std::future::Future;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use audit::{
    AuditError, AuditEvent, AuditReport, GENESIS_HASH, append_audit_event, customers_event,
    decision_event, exemption_event, monitor_run_event, verify_audit_log,
};
pub use config::{API_KEYS_ENV, AUDIT_LOG_ENV, ApiKey, ConfigError, Role, ServerConfig, hash_key};
pub use error::ApiError;
pub use handlers::v1::openapi::OPENAPI_JSON;
pub use middleware::REQUEST_ID_HEADER;
pub use state::{AppState, ReloadReport, StartError};

use handlers::v1::{admin, entities, lists, monitor, openapi, regimes, scan, screen};

/// The routes of the API over `state`, with their limits, deadline, keys and logs.
pub fn router(state: AppState) -> Router {
    let config = state.config();
    let v1 = Router::new()
        .route("/screen", post(screen::one))
        .route("/screen/batch", post(screen::batch))
        .route("/scan", post(scan::scan))
        .route("/entities/{source}/{reference}", get(entities::show))
        .route("/entities/{source}/{reference}/history", get(entities::history))
        .route("/lists", get(lists::list))
        .route("/lists/{source}/diff", get(lists::diff))
        .route("/admin/reload", post(admin::reload))
        .route("/monitor/status", get(monitor::status))
        .route("/monitor/alerts", get(monitor::alerts))
        .route("/monitor/alerts/{id}", get(monitor::alert))
        .route("/monitor/alerts/{id}/decision", post(monitor::decide))
        .route("/monitor/customers", post(monitor::add_customers))
        .route("/monitor/run", post(monitor::run))
        .route("/exemptions", get(regimes::list).post(regimes::add))
        .route("/check/travel", post(regimes::travel))
        .route("/check/payment", post(regimes::payment))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware::require_key))
        // Public: the description of the API.
        .route("/openapi.json", get(openapi::openapi));
    Router::new()
        .route("/healthz", get(handlers::health::healthz))
        .route("/readyz", get(handlers::health::readyz))
        .nest("/v1", v1)
        .merge(web::routes(state.clone()))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_context))
        .with_state(state)
}

/// Opens the store and audit log of `config`, builds the snapshot, and serves the API on
/// `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = tokio::task::spawn_blocking(move || AppState::open(config)).await??;
    serve_state(state, listener, shutdown).await
}

/// Serves an [`AppState`] already open.
pub async fn serve_state(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        keys = state.config().keys.len(),
        audit_log = %audit_path_display(&state),
        "serving"
    );
    if state.config().keys.is_empty() {
        tracing::warn!("no API key configured: the API is open and admin endpoints are disabled");
    }
    // At most max_connections at once; slow or stalled clients are let go after the idle
    // timeout (listener.rs).
    let config = state.config();
    let listener = listener::LimitedListener::new(
        listener,
        config.max_connections,
        config.effective_idle_timeout(),
    );
    let app = router(state).into_make_service_with_connect_info::<listener::Conn>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

fn audit_path_display(state: &AppState) -> String {
    state.audit().path().display().to_string()
}

/// Completes on Ctrl-C, or on SIGTERM on Unix: pass it to [`serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_types_are_thread_safe() {
        fn assert_all<T: Send + Sync>() {}
        assert_all::<AppState>();
        assert_all::<ServerConfig>();
        assert_all::<ApiError>();
        assert_all::<AuditError>();
    }

    #[test]
    fn openapi_is_json() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    }
}

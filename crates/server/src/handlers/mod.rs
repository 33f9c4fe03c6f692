//! Route handlers: `/healthz`, `/readyz`, and the versioned API under `/v1`.

pub(crate) mod health;
pub(crate) mod v1;

use crate::error::ApiError;

/// Any path that is not an endpoint.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

/// A known path with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Runs blocking work (the engine, screening, the audit log) on the blocking pool, inside the
/// caller's tracing span so that its logs carry the request id.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await?
}

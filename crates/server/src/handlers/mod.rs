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

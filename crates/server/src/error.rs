//! The one error type of the HTTP API: each variant has a status and a stable machine code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to a client as `{"error": {"code": "...", "message": "..."}}`.
///
/// The `code` of each variant is stable; clients may match on it. Internal causes are logged
/// with the request id and never sent to the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// `400 Bad Request`, code `malformed_json`: the body is not JSON.
    #[error("{0}")]
    MalformedJson(String),
    /// `422 Unprocessable Entity`, code `invalid_field`: a field has the wrong type or an
    /// unacceptable value (empty or overlong name, unknown kind, absurd date, threshold out of
    /// range, unknown list, bad version selector...).
    #[error("{0}")]
    InvalidField(String),
    /// `401 Unauthorized`, code `unauthorized`: no valid API key.
    #[error("a valid API key is required (Authorization: Bearer <key> or X-API-Key)")]
    Unauthorized,
    /// `403 Forbidden`, code `forbidden`: the key may not use this endpoint.
    #[error("{0}")]
    Forbidden(String),
    /// `404 Not Found`, code `not_found`: no such entry, version or endpoint.
    #[error("{0}")]
    NotFound(String),
    /// `405 Method Not Allowed`, code `method_not_allowed`.
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    /// `413 Payload Too Large`, code `payload_too_large`: the body exceeds the configured limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// `422 Unprocessable Entity`, code `batch_too_large`: more queries than allowed.
    #[error("a batch may hold at most {max} queries, got {got}")]
    BatchTooLarge {
        /// The configured maximum.
        max: usize,
        /// The number sent.
        got: usize,
    },
    /// `503 Service Unavailable`, code `no_lists`: no list is loaded.
    #[error("no list is loaded: import lists into the store, then reload")]
    NoLists,
    /// `503 Service Unavailable`, code `timeout`: the request passed its deadline.
    #[error("the request did not finish within {ms} ms")]
    Timeout {
        /// The deadline in milliseconds.
        ms: u64,
    },
    /// `500 Internal Server Error`, code `internal`. The cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidField(_) | ApiError::BatchTooLarge { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NoLists | ApiError::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidField(_) => "invalid_field",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::BatchTooLarge { .. } => "batch_too_large",
            ApiError::NoLists => "no_lists",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// An internal error from anything displayable.
    pub(crate) fn internal(e: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(e.into())
    }
}

impl From<sanctions_engine::Error> for ApiError {
    fn from(e: sanctions_engine::Error) -> ApiError {
        use sanctions_engine::Error as E;
        match e {
            E::NoLists => ApiError::NoLists,
            E::UnknownEntry { .. } | E::NoVersionAsOf { .. } => ApiError::NotFound(e.to_string()),
            // Usage messages describe the caller's input (a selector, a date) and nothing else.
            E::Usage(m) => ApiError::InvalidField(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            // The request span carries the request id.
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    //! Codes and statuses are stable; internal details never reach the body.
    use super::*;

    #[test]
    fn internal_is_opaque() {
        let e = ApiError::internal(anyhow::anyhow!("secret path /var/db"));
        assert_eq!(e.to_string(), "internal error");
        assert_eq!(e.code(), "internal");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn engine_errors() {
        let e: ApiError = sanctions_engine::Error::NoLists.into();
        assert_eq!((e.status().as_u16(), e.code()), (503, "no_lists"));
        let e: ApiError = sanctions_engine::Error::Usage("bad selector".into()).into();
        assert_eq!((e.status().as_u16(), e.code()), (422, "invalid_field"));
    }
}

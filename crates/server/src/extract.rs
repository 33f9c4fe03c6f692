//! Extractors whose rejections are [`ApiError`]s, and the per-request context.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::config::Role;
use crate::error::ApiError;
use crate::state::AppState;

/// The request id (from a well-formed `X-Request-Id`, else generated).
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

/// When the request must be answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub ms: u64,
}

impl Deadline {
    /// `Err(Timeout)` once the deadline has passed.
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        if Instant::now() >= self.at { Err(ApiError::Timeout { ms: self.ms }) } else { Ok(()) }
    }
}

/// Who is calling: the key id and role, or nobody when no key is configured.
#[derive(Clone, Debug, Default)]
pub(crate) struct Caller {
    pub key_id: Option<String>,
    pub role: Option<Role>,
}

/// Everything a handler needs to know about its request.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub request_id: String,
    pub deadline: Deadline,
    pub caller: Caller,
}

impl Ctx {
    /// Who acts, as the audit log names them: the key id, or `anonymous` without keys.
    pub(crate) fn actor(&self) -> String {
        self.caller.key_id.clone().unwrap_or_else(|| "anonymous".into())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Ctx, ApiError> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no request id")))?;
        let deadline = *parts
            .extensions
            .get::<Deadline>()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no deadline")))?;
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_default();
        Ok(Ctx { request_id, deadline, caller })
    }
}

/// Proof that the caller holds an admin key: as an extractor placed before the body, it
/// answers 403 `forbidden` before the body is read or checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, ApiError> {
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or_default();
        crate::middleware::require_admin(&caller, state)?;
        Ok(Admin)
    }
}

/// A JSON body: 413 `payload_too_large` past the limit, 400 `malformed_json` when it is not
/// JSON, 422 `invalid_field` when it does not fit `T`.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit: state.config().max_body_bytes }
            } else {
                ApiError::MalformedJson("the request body could not be read".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, telling syntax errors (`malformed_json`) from shape errors (`invalid_field`).
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::InvalidField(e.to_string()),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::MalformedJson(format!("the body is not valid JSON: {e}"))
            }
        }
    })
}

/// Query parameters; 422 `invalid_field` when they do not fit `T`.
pub(crate) struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::InvalidField(format!("query parameters: {}", e.body_text())))
    }
}

/// Path parameters; 422 `invalid_field` when they do not fit `T`.
pub(crate) struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e| ApiError::InvalidField(format!("path: {}", e.body_text())))
    }
}

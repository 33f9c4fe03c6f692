//! Request middleware: request ids, the deadline, access logs, API keys.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::config::Role;
use crate::error::ApiError;
use crate::extract::{Caller, Deadline, RequestId};
use crate::state::AppState;

/// The request id header, read from the request (if well-formed) and set on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn accept_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_string())
}

/// Outermost layer: gives the request an id and a deadline, runs it in a span, answers
/// `timeout` past the deadline, and logs the outcome. Logs carry the route template, never
/// the raw path or query (which may hold names), nor any body.
pub(crate) async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let id =
        req.headers().get(REQUEST_ID_HEADER).and_then(accept_request_id).unwrap_or_else(|| {
            format!("{:x}-{}", state.started().elapsed().as_micros(), state.next_request())
        });
    // No idle timeout on the connection while this request is answered (listener.rs).
    let _in_flight = req
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::listener::Conn>>()
        .map(|c| c.0.in_flight());
    let timeout: Duration = state.config().request_timeout;
    let ms = timeout.as_millis() as u64;
    let start = Instant::now();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(Deadline { at: start + timeout, ms });
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "<unmatched>".into());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route,
        key_id = tracing::field::Empty,
        // Filled by the screening handlers: what was found, never what was asked.
        hits = tracing::field::Empty,
        versions = tracing::field::Empty,
        audit_seq = tracing::field::Empty
    );
    let mut resp = match tokio::time::timeout(timeout, next.run(req).instrument(span.clone())).await
    {
        Ok(r) => r,
        Err(_) => span.in_scope(|| ApiError::Timeout { ms }.into_response()),
    };
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let status = resp.status().as_u16();
    let elapsed_us = start.elapsed().as_micros() as u64;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_us, "request failed");
        } else {
            tracing::info!(status, elapsed_us, "request done");
        }
    });
    resp
}

fn presented_key(req: &Request) -> Option<&str> {
    let h = req.headers();
    if let Some(v) = h.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim());
        }
    }
    h.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Equality that takes the same time wherever the first difference is.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// On `/v1` routes: when keys are configured, a valid key is required (401 otherwise); the
/// caller's key id and role go into the request for the handlers and the audit log.
pub(crate) async fn require_key(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let keys = &state.config().keys;
    let caller = if keys.is_empty() {
        Caller::default()
    } else {
        let key = presented_key(&req).filter(|k| !k.is_empty()).ok_or(ApiError::Unauthorized)?;
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        // Compare with every key, so the time does not tell which one nearly matched.
        let found = keys.iter().fold(None, |found, k| {
            if ct_eq(&k.sha256, &digest) && found.is_none() { Some(k) } else { found }
        });
        let k = found.ok_or_else(|| {
            tracing::info!("rejected an unknown API key");
            ApiError::Unauthorized
        })?;
        tracing::Span::current().record("key_id", k.id.as_str());
        Caller { key_id: Some(k.id.clone()), role: Some(k.role) }
    };
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

/// Checks that the caller may use the admin endpoints.
pub(crate) fn require_admin(caller: &Caller, state: &AppState) -> Result<(), ApiError> {
    if state.config().keys.is_empty() {
        return Err(ApiError::Forbidden(
            "admin endpoints are disabled until API keys are configured".into(),
        ));
    }
    match caller.role {
        Some(Role::Admin) => Ok(()),
        _ => Err(ApiError::Forbidden("this endpoint needs an admin key".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert_eq!(accept_request_id(&HeaderValue::from_static("abc-1.2")), Some("abc-1.2".into()));
        assert_eq!(accept_request_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(accept_request_id(&HeaderValue::from_static("")), None);
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(&[1; 32], &[1; 32]));
        let mut b = [1; 32];
        b[31] = 2;
        assert!(!ct_eq(&[1; 32], &b));
    }
}

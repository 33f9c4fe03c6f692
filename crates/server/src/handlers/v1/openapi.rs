//! `GET /v1/openapi.json`: the OpenAPI 3 description of this API.

use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI document, written by hand; `tests/http.rs` checks it against the router.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// `GET /v1/openapi.json`.
pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

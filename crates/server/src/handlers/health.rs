//! `GET /healthz` (the process answers) and `GET /readyz` (lists are loaded).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /healthz`: 200 while the process serves requests.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 with the versions served, or 503 `no_lists`.
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let snapshot = state.current().ok_or(ApiError::NoLists)?;
    Ok(Json(json!({ "status": "ready", "versions": snapshot.versions_used() })))
}

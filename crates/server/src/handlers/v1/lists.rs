//! `GET /v1/lists` and `GET /v1/lists/{source}/diff`.

use axum::Json;
use axum::extract::State;
use sanctions_engine::Diff;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{parse_source, public_version};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// `GET /v1/lists`: every version held, and the versions being served.
#[tracing::instrument(skip_all)]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let current = state.current().map(|s| s.versions_used());
    let versions = crate::handlers::blocking(move || state.with_engine(|e| e.lists())).await?;
    let versions: Vec<_> = versions.into_iter().map(public_version).collect();
    Ok(Json(json!({ "versions": versions, "serving": current.unwrap_or_default() })))
}

/// Query of the diff: version selectors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffParams {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn check_selector(field: &str, s: &Option<String>) -> Result<(), ApiError> {
    match s {
        Some(s) if s.trim().is_empty() || s.len() > 40 => Err(ApiError::InvalidField(format!(
            "{field}: expected a date (YYYY-MM-DD), #ID, latest or previous"
        ))),
        _ => Ok(()),
    }
}

/// `GET /v1/lists/{source}/diff?from=&to=`: field-level differences between two versions.
/// Selectors: a publication date, `#ID`, `latest`, `previous`; default previous → latest.
#[tracing::instrument(skip_all)]
pub(crate) async fn diff(
    State(state): State<AppState>,
    ApiPath(source): ApiPath<String>,
    ApiQuery(params): ApiQuery<DiffParams>,
) -> Result<Json<Diff>, ApiError> {
    let source = parse_source(&source)?;
    check_selector("from", &params.from)?;
    check_selector("to", &params.to)?;
    let mut d = crate::handlers::blocking(move || {
        state.with_engine(|e| e.diff(source, params.from.as_deref(), params.to.as_deref()))
    })
    .await?;
    tracing::info!(
        from = d.from.id,
        to = d.to.id,
        added = d.added.len(),
        removed = d.removed.len(),
        amended = d.amended.len(),
        "diff"
    );
    d.from = public_version(d.from);
    d.to = public_version(d.to);
    Ok(Json(d))
}

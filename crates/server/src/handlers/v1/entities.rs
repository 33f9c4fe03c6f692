//! `GET /v1/entities/{source}/{reference}` and `.../history`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{parse_source, public_version};
use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::handlers::v1::screen::check_as_of;
use crate::state::AppState;

/// Longest reference accepted, in bytes.
const MAX_REFERENCE_BYTES: usize = 100;

/// Query of `GET /v1/entities/{source}/{reference}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShowParams {
    #[serde(default)]
    as_of: Option<String>,
}

fn check_reference(reference: &str) -> Result<(), ApiError> {
    if reference.trim().is_empty() || reference.len() > MAX_REFERENCE_BYTES {
        return Err(ApiError::InvalidField(format!(
            "reference must be 1 to {MAX_REFERENCE_BYTES} bytes"
        )));
    }
    Ok(())
}

/// `GET /v1/entities/{source}/{reference}?as_of=`: the entry in the latest versions, or in
/// those in force on `as_of`, with the version it was read from and its regimes and measures
/// (as catalogued).
#[tracing::instrument(skip_all)]
pub(crate) async fn show(
    State(state): State<AppState>,
    ApiPath((source, reference)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<ShowParams>,
) -> Result<Json<Value>, ApiError> {
    let source = parse_source(&source)?;
    check_reference(&reference)?;
    let as_of = check_as_of(params.as_of.as_deref())?;
    let (entity, version) = crate::handlers::blocking(move || {
        state.with_engine(|e| e.show(&format!("{source}:{reference}"), as_of))
    })
    .await?;
    tracing::info!(version = version.id, "entity read");
    let regimes = sanctions_engine::regime_catalogue::regimes_for(&entity);
    Ok(Json(json!({ "entity": entity, "version": public_version(version), "regimes": regimes })))
}

/// `GET /v1/entities/{source}/{reference}/history`: every revision of the entry with the
/// versions in which it held, delistings included.
#[tracing::instrument(skip_all)]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiPath((source, reference)): ApiPath<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let source = parse_source(&source)?;
    check_reference(&reference)?;
    let r = reference.clone();
    let (source, steps) = crate::handlers::blocking(move || {
        state.with_engine(|e| e.history(&format!("{source}:{r}")))
    })
    .await?;
    tracing::info!(steps = steps.len(), "history read");
    Ok(Json(json!({ "source": source, "reference": reference, "history": steps })))
}

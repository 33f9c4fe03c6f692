//! `POST /v1/admin/reload` (admin key).

use axum::Json;
use axum::extract::State;

use crate::error::ApiError;
use crate::extract::Ctx;
use crate::middleware::require_admin;
use crate::state::{AppState, ReloadReport};

/// `POST /v1/admin/reload`: rebuilds the snapshot of the latest versions from the store and
/// swaps it in; requests in flight finish on the snapshot they started with.
#[tracing::instrument(skip_all)]
pub(crate) async fn reload(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ReloadReport>, ApiError> {
    require_admin(&ctx.caller, &state)?;
    let r = crate::handlers::blocking(move || state.reload()).await?;
    tracing::info!(
        versions = ?r.versions.iter().map(|v| v.version_id).collect::<Vec<_>>(),
        changed = r.changed,
        build_ms = r.build_ms,
        "reloaded"
    );
    Ok(Json(r))
}

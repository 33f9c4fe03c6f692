//! `POST /v1/scan`: mentions of listed names in a text or a payment message.

use std::sync::{Arc, Mutex, Weak};

use axum::Json;
use axum::extract::State;
use sanctions_engine::model::PartialDate;
use sanctions_engine::{AlgorithmId, DEFAULT_THRESHOLD, Snapshot, VersionUsed};
use sanctions_scan::{Mention, MessageFormat, ScanOptions, Scanner};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{AuditEntry, audit_score, sha256_canonical};
use crate::error::ApiError;
use crate::extract::{ApiJson, Ctx};
use crate::state::AppState;

/// Default entries per mention.
const DEFAULT_LIMIT: usize = 3;

/// A scan request as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanBody {
    text: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    threshold: Option<f32>,
    #[serde(default)]
    limit: Option<usize>,
}

/// The answer.
#[derive(Serialize)]
pub(crate) struct ScanAnswer {
    /// SHA-256 of the canonical request, as in the audit log.
    query_hash: String,
    format: MessageFormat,
    as_of: Option<PartialDate>,
    threshold: f32,
    versions: Vec<VersionUsed>,
    algorithm: AlgorithmId,
    mentions: Vec<Mention>,
}

/// The lexicon of the snapshots in use (built once per snapshot, about a second).
fn scanner_for(snapshot: &Arc<Snapshot>) -> Arc<Scanner> {
    static CACHE: Mutex<Vec<(Weak<Snapshot>, Arc<Scanner>)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, s)) = cache.iter().find(|(w, _)| w.as_ptr() == Arc::as_ptr(snapshot)) {
        return s.clone();
    }
    let s = Arc::new(Scanner::new(snapshot.index()));
    cache.push((Arc::downgrade(snapshot), s.clone()));
    s
}

/// `POST /v1/scan`.
#[tracing::instrument(skip_all)]
pub(crate) async fn scan(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<ScanBody>,
) -> Result<Json<ScanAnswer>, ApiError> {
    if body.text.trim().is_empty() {
        return Err(ApiError::InvalidField("text is empty".into()));
    }
    let format = match body.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => MessageFormat::Text,
        Some(f) => f
            .parse::<MessageFormat>()
            .map_err(|m| ApiError::InvalidField(format!("format: {m}")))?,
    };
    let as_of = super::screen::check_as_of(body.as_of.as_deref())?;
    let threshold = body.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::InvalidField(format!(
            "threshold must be between 0 and 1, got {threshold}"
        )));
    }
    let limit = body.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > state.config().max_limit {
        return Err(ApiError::InvalidField(format!(
            "limit must be between 1 and {}, got {limit}",
            state.config().max_limit
        )));
    }
    // A malformed message is refused before any work on the lists.
    match format {
        MessageFormat::Text => {}
        MessageFormat::Mt103 => {
            sanctions_scan::payment::parse_mt103(&body.text)
                .map_err(|e| ApiError::InvalidField(format!("text: {e}")))?;
        }
        MessageFormat::Pacs008 => {
            sanctions_scan::payment::parse_pacs008(&body.text)
                .map_err(|e| ApiError::InvalidField(format!("text: {e}")))?;
        }
    }
    let query_hash = sha256_canonical(&json!({
        "scan": body.text, "format": format, "as_of": as_of,
        "threshold": audit_score(threshold), "limit": limit,
    }));
    let current = if as_of.is_none() { state.current() } else { None };
    let answer = crate::handlers::blocking(move || {
        let snapshot = match current {
            Some(s) => s,
            None => state.snapshot_for(as_of)?,
        };
        let scanner = scanner_for(&snapshot);
        let opts = ScanOptions { threshold, limit };
        let mentions = scanner
            .scan_message(snapshot.index(), &body.text, format, &opts)
            .map_err(|e| ApiError::InvalidField(format!("text: {e}")))?;
        ctx.deadline.check()?;
        let versions = snapshot.versions_used();
        let entry = AuditEntry {
            request_id: ctx.request_id.clone(),
            key_id: ctx.caller.key_id.clone(),
            item: None,
            query_hash: query_hash.clone(),
            as_of,
            versions: versions.clone(),
            results: mentions
                .iter()
                .flat_map(|m| m.hits.iter().map(|h| (h.source, h.reference.clone(), h.score)))
                .collect(),
        };
        let seq = state.audit().append(&[entry]).map_err(ApiError::internal)?;
        tracing::info!(mentions = mentions.len(), audit_seq = seq, "scanned");
        Ok::<_, ApiError>(ScanAnswer {
            query_hash,
            format,
            as_of,
            threshold,
            versions,
            algorithm: AlgorithmId::current(),
            mentions,
        })
    })
    .await?;
    Ok(Json(answer))
}

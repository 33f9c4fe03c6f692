//! `POST /v1/screen` and `POST /v1/screen/batch`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use sanctions_engine::model::{EntityKind, PartialDate};
use sanctions_engine::{DEFAULT_THRESHOLD, ScreenRequest, ScreenResult, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit::{AuditEntry, audit_score, write_json};
use crate::config::{ServerConfig, hex};
use crate::error::ApiError;
use crate::extract::{ApiJson, Ctx};
use crate::state::AppState;

/// Longest name accepted, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 1000;
/// Longest nationality, identifier, in bytes.
const MAX_FIELD_BYTES: usize = 100;
/// Most identifiers in one query.
const MAX_IDENTIFIERS: usize = 20;
/// Default hits per query.
const DEFAULT_LIMIT: usize = 10;
/// Earliest birth year accepted.
const MIN_BIRTH_YEAR: i32 = 1850;
/// Earliest `as_of` year accepted.
const MIN_AS_OF_YEAR: i32 = 1900;

/// One screening query as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScreenQuery {
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    identifiers: Vec<String>,
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    threshold: Option<f32>,
    #[serde(default)]
    limit: Option<usize>,
}

/// A batch as sent. Queries are kept as JSON values so that the batch size is checked before
/// any query is, and errors can name the query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchBody {
    queries: Vec<Value>,
}

/// A checked query, ready for the engine.
#[derive(Debug)]
pub(crate) struct Checked {
    req: ScreenRequest,
    as_of: Option<PartialDate>,
    query_hash: String,
}

/// Parses and bounds a date field: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, year in `min..=max`.
pub(crate) fn check_date(
    field: &str,
    value: Option<&str>,
    min: i32,
    max: i32,
) -> Result<Option<PartialDate>, ApiError> {
    let Some(s) = value.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let d: PartialDate = s.parse().map_err(|e: sanctions_engine::model::DateError| {
        ApiError::InvalidField(format!(
            "{field}: {}; expected YYYY, YYYY-MM or YYYY-MM-DD",
            e.reason
        ))
    })?;
    if !(min..=max).contains(&d.year) {
        return Err(ApiError::InvalidField(format!(
            "{field}: the year {} is out of range ({min}..={max})",
            d.year
        )));
    }
    Ok(Some(d))
}

/// The `as_of` parameter: from 1900 to next year.
pub(crate) fn check_as_of(value: Option<&str>) -> Result<Option<PartialDate>, ApiError> {
    check_date("as_of", value, MIN_AS_OF_YEAR, crate::clock::current_year() + 1)
}

fn check_short(field: &str, s: &str) -> Result<(), ApiError> {
    if s.len() > MAX_FIELD_BYTES {
        return Err(ApiError::InvalidField(format!(
            "{field} is longer than {MAX_FIELD_BYTES} bytes"
        )));
    }
    Ok(())
}

impl ScreenQuery {
    /// Validates the query (errors name the field, prefixed by `at` in a batch).
    fn check(self, config: &ServerConfig, at: &str) -> Result<Checked, ApiError> {
        let err = |m: String| ApiError::InvalidField(format!("{at}{m}"));
        let prefixed = |e: ApiError| match e {
            ApiError::InvalidField(m) => err(m),
            other => other,
        };
        if self.name.trim().is_empty() {
            return Err(err("name is empty".into()));
        }
        if self.name.len() > MAX_NAME_BYTES {
            return Err(err(format!("name is longer than {MAX_NAME_BYTES} bytes")));
        }
        let kind = match self.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(k.parse::<EntityKind>().map_err(|m| err(format!("kind: {m}")))?),
        };
        let birth_date = check_date(
            "birth_date",
            self.birth_date.as_deref(),
            MIN_BIRTH_YEAR,
            crate::clock::current_year(),
        )
        .map_err(prefixed)?;
        let as_of = check_as_of(self.as_of.as_deref()).map_err(prefixed)?;
        let nationality = self.nationality.filter(|n| !n.trim().is_empty());
        if let Some(n) = &nationality {
            check_short("nationality", n).map_err(prefixed)?;
        }
        if self.identifiers.len() > MAX_IDENTIFIERS {
            return Err(err(format!("at most {MAX_IDENTIFIERS} identifiers")));
        }
        for (i, id) in self.identifiers.iter().enumerate() {
            if id.trim().is_empty() {
                return Err(err(format!("identifiers[{i}] is empty")));
            }
            check_short(&format!("identifiers[{i}]"), id).map_err(prefixed)?;
        }
        let threshold = self.threshold.unwrap_or(DEFAULT_THRESHOLD);
        if !(0.0..=1.0).contains(&threshold) {
            return Err(err(format!("threshold must be between 0 and 1, got {threshold}")));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > config.max_limit {
            return Err(err(format!(
                "limit must be between 1 and {}, got {limit}",
                config.max_limit
            )));
        }
        let req = ScreenRequest {
            name: self.name,
            birth_date,
            nationality,
            kind,
            identifiers: self.identifiers,
            threshold,
            limit,
        };
        let query_hash = query_hash(&req, as_of);
        Ok(Checked { req, as_of, query_hash })
    }
}

/// The SHA-256 (hex) of a checked query's canonical form, which goes into the audit log and
/// the answer: every field, defaults applied, absent ones `null`, dates as
/// `YYYY[-MM[-DD]]`, kind in lowercase, the threshold with four decimals, as compact JSON
/// with the keys in bytewise order. Written straight, byte for byte the canonical JSON of
/// `canonical_query`'s `Value` (tested), without building it for every screening.
pub(crate) fn query_hash(req: &ScreenRequest, as_of: Option<PartialDate>) -> String {
    let mut out = Vec::with_capacity(160 + req.name.len());
    out.extend_from_slice(b"{\"as_of\":");
    write_json(&mut out, &as_of);
    out.extend_from_slice(b",\"birth_date\":");
    write_json(&mut out, &req.birth_date);
    out.extend_from_slice(b",\"identifiers\":");
    write_json(&mut out, &req.identifiers);
    out.extend_from_slice(b",\"kind\":");
    write_json(&mut out, &req.kind.map(|k| k.as_str()));
    out.extend_from_slice(b",\"limit\":");
    write_json(&mut out, &req.limit);
    out.extend_from_slice(b",\"name\":");
    write_json(&mut out, &req.name);
    out.extend_from_slice(b",\"nationality\":");
    write_json(&mut out, &req.nationality);
    out.extend_from_slice(b",\"threshold\":");
    write_json(&mut out, &audit_score(req.threshold));
    out.push(b'}');
    hex(&Sha256::digest(&out))
}

/// The canonical form of a checked query ([`query_hash`]) as a `Value`: the definition the
/// direct writer is tested against.
#[cfg(test)]
fn canonical_query(req: &ScreenRequest, as_of: Option<PartialDate>) -> Value {
    serde_json::json!({
        "name": req.name,
        "kind": req.kind.map(|k| k.as_str()),
        "birth_date": req.birth_date,
        "nationality": req.nationality,
        "identifiers": req.identifiers,
        "as_of": as_of,
        "threshold": audit_score(req.threshold),
        "limit": req.limit,
    })
}

/// One answered query.
#[derive(Serialize)]
pub(crate) struct Answer {
    /// SHA-256 of the canonical query, as in the audit log.
    query_hash: String,
    /// The `as_of` date screened against, if any.
    as_of: Option<PartialDate>,
    #[serde(flatten)]
    result: ScreenResult,
}

fn audit_entry(ctx: &Ctx, item: Option<usize>, c: &Checked, r: &ScreenResult) -> AuditEntry {
    AuditEntry {
        request_id: ctx.request_id.clone(),
        key_id: ctx.caller.key_id.clone(),
        item,
        query_hash: c.query_hash.clone(),
        as_of: c.as_of,
        versions: r.versions.clone(),
        results: r.hits.iter().map(|h| (h.source, h.reference.clone(), h.score)).collect(),
    }
}

/// Longest name screened on the runtime's own thread (see [`one`]), in bytes.
const INLINE_NAME_BYTES: usize = 64;

/// `POST /v1/screen`.
///
/// A query of a usual length on the current lists is screened right here, on the runtime's
/// thread: that takes a fraction of a millisecond, less than handing it to the blocking pool
/// and back. Long names and `as_of` queries (which may build a snapshot from the store) go to
/// the blocking pool. The audit record is then appended; the task waits for it to be on disk
/// (or, with a deferred sync, written) without holding a thread.
pub(crate) async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(query): ApiJson<ScreenQuery>,
) -> Result<Json<Answer>, ApiError> {
    let checked = query.check(state.config(), "")?;
    // The snapshot is taken now: a reload after this point does not affect this request.
    let current = if checked.as_of.is_none() { state.current() } else { None };
    let (checked, result) = match current {
        Some(snapshot) if checked.req.name.len() <= INLINE_NAME_BYTES => {
            // A panic is answered `internal`, as from the blocking pool, not a dropped
            // connection.
            let screened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                snapshot.screen(&checked.req)
            }));
            let result =
                screened.map_err(|_| ApiError::internal(anyhow::anyhow!("screening panicked")))?;
            (checked, result)
        }
        current => {
            let state = state.clone();
            crate::handlers::blocking(move || {
                let snapshot = match current {
                    Some(s) => s,
                    None => state.snapshot_for(checked.as_of)?,
                };
                let result = snapshot.screen(&checked.req);
                Ok((checked, result))
            })
            .await?
        }
    };
    // Past the deadline the client has been told `timeout`: the result is not recorded.
    ctx.deadline.check()?;
    let seq = state
        .audit()
        .append_async(vec![audit_entry(&ctx, None, &checked, &result)])
        .await
        .map_err(ApiError::internal)?;
    record_outcome(&result, seq);
    Ok(Json(Answer { query_hash: checked.query_hash, as_of: checked.as_of, result }))
}

/// Puts what a screening found on the request's log line (`request done`): the number of
/// hits, the list versions and the audit record, never the name.
fn record_outcome(result: &ScreenResult, seq: u64) {
    let span = tracing::Span::current();
    span.record("hits", result.hits.len());
    span.record(
        "versions",
        tracing::field::debug(result.versions.iter().map(|v| v.version_id).collect::<Vec<_>>()),
    );
    span.record("audit_seq", seq);
}

/// Answers of a batch, in the order of the queries.
#[derive(Serialize)]
pub(crate) struct BatchAnswer {
    results: Vec<Answer>,
}

/// `POST /v1/screen/batch`.
#[tracing::instrument(skip_all)]
pub(crate) async fn batch(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<Json<BatchAnswer>, ApiError> {
    let max = state.config().max_batch;
    if body.queries.len() > max {
        return Err(ApiError::BatchTooLarge { max, got: body.queries.len() });
    }
    let mut checked = Vec::with_capacity(body.queries.len());
    for (i, v) in body.queries.into_iter().enumerate() {
        let at = format!("queries[{i}]: ");
        let q: ScreenQuery =
            serde_json::from_value(v).map_err(|e| ApiError::InvalidField(format!("{at}{e}")))?;
        checked.push(q.check(state.config(), &at)?);
    }
    let current = state.current();
    let answers = crate::handlers::blocking(move || {
        // The queries by the snapshot they ask for (in order of first appearance), each
        // group screened in the index's locality order; results back in query order.
        let mut snapshots: HashMap<Option<PartialDate>, Arc<Snapshot>> = HashMap::new();
        let mut groups: Vec<(Arc<Snapshot>, Vec<usize>)> = Vec::new();
        for (i, c) in checked.iter().enumerate() {
            ctx.deadline.check()?;
            let snapshot = match snapshots.get(&c.as_of) {
                Some(s) => s.clone(),
                None => {
                    let s = match (c.as_of, &current) {
                        (None, Some(cur)) => cur.clone(),
                        _ => state.snapshot_for(c.as_of)?,
                    };
                    snapshots.insert(c.as_of, s.clone());
                    s
                }
            };
            match groups.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &snapshot)) {
                Some((_, members)) => members.push(i),
                None => groups.push((snapshot, vec![i])),
            }
        }
        let mut results: Vec<Option<ScreenResult>> = vec![None; checked.len()];
        for (snapshot, members) in &groups {
            let reqs: Vec<&ScreenRequest> = members.iter().map(|&i| &checked[i].req).collect();
            let screened = snapshot.screen_many(&reqs, || ctx.deadline.check())?;
            for (&i, r) in members.iter().zip(screened) {
                results[i] = Some(r);
            }
        }
        let results: Vec<ScreenResult> = results.into_iter().flatten().collect();
        ctx.deadline.check()?;
        let entries: Vec<AuditEntry> = checked
            .iter()
            .zip(&results)
            .enumerate()
            .map(|(i, (c, r))| audit_entry(&ctx, Some(i), c, r))
            .collect();
        let seq = state.audit().append(&entries).map_err(ApiError::internal)?;
        tracing::info!(
            queries = checked.len(),
            hits = results.iter().map(|r| r.hits.len()).sum::<usize>(),
            snapshots = snapshots.len(),
            audit_seq = seq,
            "screened batch"
        );
        Ok::<_, ApiError>(
            checked
                .into_iter()
                .zip(results)
                .map(|(c, result)| Answer { query_hash: c.query_hash, as_of: c.as_of, result })
                .collect::<Vec<_>>(),
        )
    })
    .await?;
    Ok(Json(BatchAnswer { results: answers }))
}

#[cfg(test)]
mod tests {
    //! Validation of screening queries: each bad field is `invalid_field` with its name.
    use super::*;
    use serde_json::json;

    /// The query hash written straight is the hash of the canonical `Value`, byte for byte:
    /// every field present or absent, strings to escape, thresholds at the edges.
    #[test]
    fn query_hash_is_the_canonical_values_hash() {
        let full = ScreenRequest {
            name: "Amir Khan \"Muttaqi\" \u{1F600}\n\u{0}\\ عبد".into(),
            birth_date: Some("1970-03".parse().unwrap()),
            nationality: Some("Afghanistan ü".into()),
            kind: Some(EntityKind::Person),
            identifiers: vec!["AB 123/45".into(), String::new()],
            threshold: 0.912_345_7,
            limit: 10,
        };
        let bare = ScreenRequest {
            name: "x".into(),
            birth_date: None,
            nationality: None,
            kind: None,
            identifiers: vec![],
            threshold: 0.0,
            limit: usize::MAX,
        };
        let org =
            ScreenRequest { kind: Some(EntityKind::Organization), threshold: 1.0, ..full.clone() };
        for req in [full, bare, org] {
            for as_of in [None, Some("2021".parse().unwrap()), Some("2026-05-08".parse().unwrap())]
            {
                assert_eq!(
                    query_hash(&req, as_of),
                    crate::audit::sha256_canonical(&canonical_query(&req, as_of)),
                    "{req:?} {as_of:?}"
                );
            }
        }
    }

    fn check(v: Value) -> Result<Checked, String> {
        let q: ScreenQuery = serde_json::from_value(v).map_err(|e| e.to_string())?;
        q.check(&ServerConfig::new("x"), "").map_err(|e| {
            assert_eq!(e.code(), "invalid_field");
            e.to_string()
        })
    }

    #[test]
    fn valid() {
        let c = check(json!({"name": "Amir Khan Muttaqi", "kind": "person",
            "birth_date": "1968", "as_of": "2026-01-01", "threshold": 0.5, "limit": 3}))
        .unwrap();
        assert_eq!(c.req.limit, 3);
        assert_eq!(c.req.kind, Some(EntityKind::Person));
        assert_eq!(c.as_of, Some("2026-01-01".parse().unwrap()));
        assert_eq!(c.query_hash.len(), 64);
        // Defaults are part of the canonical query: the same query hashes the same.
        let a = check(json!({"name": "X"})).unwrap();
        let b = check(json!({"name": "X", "threshold": DEFAULT_THRESHOLD, "limit": 10})).unwrap();
        assert_eq!(a.query_hash, b.query_hash);
    }

    #[test]
    fn invalid() {
        for (v, needle) in [
            (json!({"name": "  "}), "name is empty"),
            (json!({"name": "x".repeat(1001)}), "longer than 1000"),
            (json!({"name": "x", "kind": "dragon"}), "kind"),
            (json!({"name": "x", "birth_date": "1066-01-01"}), "birth_date"),
            (json!({"name": "x", "birth_date": "2999-01-01"}), "birth_date"),
            (json!({"name": "x", "birth_date": "1970-02-30"}), "birth_date"),
            (json!({"name": "x", "as_of": "2999"}), "as_of"),
            (json!({"name": "x", "threshold": 1.5}), "threshold"),
            (json!({"name": "x", "threshold": -0.1}), "threshold"),
            (json!({"name": "x", "limit": 0}), "limit"),
            (json!({"name": "x", "limit": 101}), "limit"),
            (json!({"name": "x", "identifiers": [""]}), "identifiers[0]"),
            (json!({"name": "x", "nationality": "n".repeat(101)}), "nationality"),
        ] {
            let e = check(v.clone()).unwrap_err();
            assert!(e.contains(needle), "{v}: {e}");
        }
        // Shape errors come from serde (the handler maps them to invalid_field too).
        assert!(check(json!({"name": 5})).is_err());
        assert!(check(json!({"nam": "x"})).is_err());
        assert!(check(json!({"name": "x", "limit": -1})).is_err());
    }
}

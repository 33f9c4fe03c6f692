//! Monitoring over HTTP: register customers, run monitoring, read alerts, decide on them.
//!
//! Reads need a read key; registering customers, running and deciding need an admin key. A
//! decision and a run are recorded in the audit log (who, what, on which entry revision);
//! customers' names never are.

use axum::Json;
use axum::extract::State;
use sanctions_engine::{Alert, Customer, MonitorOptions, MonitorReport, MonitorRun, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit;
use crate::error::ApiError;
use crate::extract::{Admin, ApiJson, ApiPath, ApiQuery, Ctx};
use crate::state::AppState;

/// Longest customer id, reason or name of who decided, in bytes.
const MAX_SHORT_BYTES: usize = 200;
/// Longest decision reason, in bytes.
const MAX_REASON_BYTES: usize = 4000;
/// Most customers registered in one request.
const MAX_CUSTOMERS: usize = 10_000;

/// Query of `GET /v1/monitor/alerts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertsParams {
    #[serde(default)]
    status: Option<String>,
}

/// The answer of `GET /v1/monitor/status` (a struct, not `json!`, so that scores and
/// thresholds print as the f32 they are: `0.8`, not `0.800000011920929`).
#[derive(Serialize)]
pub(crate) struct Status {
    customers: usize,
    open_alerts: usize,
    last_run: Option<MonitorRun>,
}

/// `GET /v1/monitor/status`: customers registered, open alerts, the last run.
#[tracing::instrument(skip_all)]
pub(crate) async fn status(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    let v = crate::handlers::blocking(move || {
        state.with_engine(|e| {
            Ok(Status {
                customers: e.customer_count()?,
                open_alerts: e.monitor_alerts(true)?.len(),
                last_run: e.store().last_monitor_run()?,
            })
        })
    })
    .await?;
    Ok(Json(v))
}

/// `{"alerts": [...]}`.
#[derive(Serialize)]
pub(crate) struct AlertsAnswer {
    alerts: Vec<Alert>,
}

/// `{"alert": {...}}`.
#[derive(Serialize)]
pub(crate) struct AlertAnswer {
    alert: Alert,
}

/// `GET /v1/monitor/alerts?status=open|all`: alerts newest first with their decisions.
#[tracing::instrument(skip_all)]
pub(crate) async fn alerts(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AlertsParams>,
) -> Result<Json<AlertsAnswer>, ApiError> {
    let open_only = match params.status.as_deref().map(str::trim) {
        None | Some("") | Some("open") => true,
        Some("all") => false,
        Some(other) => {
            return Err(ApiError::InvalidField(format!(
                "status must be open or all, got {other:?}"
            )));
        }
    };
    let alerts =
        crate::handlers::blocking(move || state.with_engine(|e| e.monitor_alerts(open_only)))
            .await?;
    tracing::info!(alerts = alerts.len(), "alerts read");
    Ok(Json(AlertsAnswer { alerts }))
}

/// `GET /v1/monitor/alerts/{id}`: one alert with its decision history.
#[tracing::instrument(skip_all)]
pub(crate) async fn alert(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AlertAnswer>, ApiError> {
    let found =
        crate::handlers::blocking(move || state.with_engine(|e| Ok(e.store().alert(id)?))).await?;
    let alert = found.ok_or_else(|| ApiError::NotFound(format!("no alert with id {id}")))?;
    Ok(Json(AlertAnswer { alert }))
}

/// Body of `POST /v1/monitor/alerts/{id}/decision`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    verdict: Verdict,
    reason: String,
    /// Who decided; defaults to the key id.
    #[serde(default)]
    decided_by: Option<String>,
}

/// `POST /v1/monitor/alerts/{id}/decision` (admin): records a decision; a false positive
/// stays quiet until the entry's content changes.
#[tracing::instrument(skip_all)]
pub(crate) async fn decide(
    State(state): State<AppState>,
    _admin: Admin,
    ctx: Ctx,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<AlertAnswer>, ApiError> {
    let reason = body.reason.trim().to_string();
    if reason.is_empty() {
        return Err(ApiError::InvalidField("reason is empty: a decision needs a reason".into()));
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(ApiError::InvalidField(format!(
            "reason is longer than {MAX_REASON_BYTES} bytes"
        )));
    }
    let by = body.decided_by.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if by.as_ref().is_some_and(|b| b.len() > MAX_SHORT_BYTES) {
        return Err(ApiError::InvalidField(format!(
            "decided_by is longer than {MAX_SHORT_BYTES} bytes"
        )));
    }
    let by = by.unwrap_or_else(|| ctx.actor());
    let alert = crate::handlers::blocking(move || {
        let exists = state.with_engine(|e| Ok(e.store().alert(id)?.is_some()))?;
        if !exists {
            return Err(ApiError::NotFound(format!("no alert with id {id}")));
        }
        let alert = state.with_engine_mut(|e| e.decide(id, body.verdict, &reason, &by))?;
        let seq = state
            .audit()
            .append_event(audit::decision_event(&alert, ctx.actor(), Some(&ctx.request_id)))
            .map_err(ApiError::internal)?;
        tracing::info!(alert = id, audit_seq = seq, "decided");
        Ok(alert)
    })
    .await?;
    Ok(Json(AlertAnswer { alert }))
}

/// One customer as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerIn {
    id: Value,
    name: String,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    identifiers: Vec<String>,
}

/// Body of `POST /v1/monitor/customers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomersBody {
    customers: Vec<Value>,
}

fn check_customer(v: Value, i: usize) -> Result<Customer, ApiError> {
    let at = format!("customers[{i}]: ");
    let err = |m: String| ApiError::InvalidField(format!("{at}{m}"));
    let c: CustomerIn = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
    let id = match c.id {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        other => return Err(err(format!("id must be a string or a number, got {other}"))),
    };
    let customer = Customer {
        id,
        name: c.name,
        birth_date: c.birth_date,
        nationality: c.nationality,
        kind: c.kind,
        identifiers: c.identifiers,
    };
    sanctions_engine::check_customer(customer).map_err(|e| err(e.to_string()))
}

/// `POST /v1/monitor/customers` (admin): registers customers (an id again updates it).
#[tracing::instrument(skip_all)]
pub(crate) async fn add_customers(
    State(state): State<AppState>,
    _admin: Admin,
    ctx: Ctx,
    ApiJson(body): ApiJson<CustomersBody>,
) -> Result<Json<Value>, ApiError> {
    if body.customers.is_empty() {
        return Err(ApiError::InvalidField("customers is empty".into()));
    }
    if body.customers.len() > MAX_CUSTOMERS {
        return Err(ApiError::BatchTooLarge { max: MAX_CUSTOMERS, got: body.customers.len() });
    }
    let customers = body
        .customers
        .into_iter()
        .enumerate()
        .map(|(i, v)| check_customer(v, i))
        .collect::<Result<Vec<_>, _>>()?;
    let v = crate::handlers::blocking(move || {
        let (r, total) = state.with_engine_mut(|e| {
            let r = e.monitor_add(&customers)?;
            Ok((r, e.customer_count()?))
        })?;
        state
            .audit()
            .append_event(audit::customers_event(&r, total, ctx.actor(), Some(&ctx.request_id)))
            .map_err(ApiError::internal)?;
        tracing::info!(added = r.added, updated = r.updated, "customers registered");
        Ok(json!({
            "added": r.added, "updated": r.updated, "unchanged": r.unchanged, "customers": total,
        }))
    })
    .await?;
    Ok(Json(v))
}

/// Body of `POST /v1/monitor/run`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunBody {
    #[serde(default)]
    full: bool,
    #[serde(default)]
    threshold: Option<f32>,
}

/// `POST /v1/monitor/run` (admin): screens what changed since the last run (or everything,
/// with `full`) against the lists in the store, and records alerts. The run holds the store
/// while it works; past the request deadline the client gets `timeout` but the run finishes
/// and is recorded.
#[tracing::instrument(skip_all)]
pub(crate) async fn run(
    State(state): State<AppState>,
    _admin: Admin,
    ctx: Ctx,
    ApiJson(body): ApiJson<RunBody>,
) -> Result<Json<MonitorReport>, ApiError> {
    let threshold = body.threshold.unwrap_or(sanctions_engine::DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) || threshold.is_nan() {
        return Err(ApiError::InvalidField(format!(
            "threshold must be between 0 and 1, got {threshold}"
        )));
    }
    let report = crate::handlers::blocking(move || {
        let report = state.with_engine_mut(|e| {
            if e.customer_count()? == 0 {
                return Err(sanctions_engine::Error::Usage(
                    "no customers registered: POST /v1/monitor/customers first".into(),
                ));
            }
            e.monitor_run(&MonitorOptions { full: body.full, threshold, threads: 0 })
        })?;
        let seq = state
            .audit()
            .append_event(audit::monitor_run_event(&report, ctx.actor(), Some(&ctx.request_id)))
            .map_err(ApiError::internal)?;
        tracing::info!(run = report.run.id, audit_seq = seq, "monitoring run");
        Ok(report)
    })
    .await?;
    Ok(Json(report))
}

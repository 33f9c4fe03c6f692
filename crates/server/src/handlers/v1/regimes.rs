//! Regimes and exemptions over HTTP: record and list exemptions, and the two checks a desk
//! makes after a hit — may this listed person travel there on that day, and is a payment to
//! this party frozen or carved out.
//!
//! Recording an exemption needs an admin key and is written to the audit log with the
//! exemption as stored. Each check is recorded too: a travel check by the listed entry's
//! reference and the verdict, a payment check by the hash of the query only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sanctions_engine::model::{ExemptionKind, PartialDate, Source};
use sanctions_engine::{DEFAULT_THRESHOLD, NewExemption, PaymentCheck, TravelCheck};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{self, AuditEvent, audit_score, sha256_canonical};
use crate::error::ApiError;
use crate::extract::{Admin, ApiJson, ApiQuery, Ctx};
use crate::handlers::v1::parse_source;
use crate::handlers::v1::screen::{MAX_NAME_BYTES, check_date};
use crate::state::AppState;

/// Longest short text (reference, regime, country, document, who), in bytes.
const MAX_SHORT_BYTES: usize = 200;
/// Longest purpose, in bytes.
const MAX_PURPOSE_BYTES: usize = 2000;
/// Most destinations of one exemption.
const MAX_DESTINATIONS: usize = 50;
/// Dates of exemptions and checks: years accepted.
const MIN_YEAR: i32 = 1990;

fn short(field: &str, s: &str) -> Result<(), ApiError> {
    if s.len() > MAX_SHORT_BYTES {
        return Err(ApiError::InvalidField(format!(
            "{field} is longer than {MAX_SHORT_BYTES} bytes"
        )));
    }
    Ok(())
}

fn day(field: &str, s: &str) -> Result<PartialDate, ApiError> {
    check_date(field, Some(s), MIN_YEAR, crate::clock::current_year() + 10)?
        .ok_or_else(|| ApiError::InvalidField(format!("{field} is empty")))
}

/// Query of `GET /v1/exemptions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    reference: Option<String>,
}

/// `GET /v1/exemptions[?source=un&reference=TAi.026]`: recorded exemptions, oldest first.
#[tracing::instrument(skip_all)]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let entry: Option<(Source, String)> = match (params.source, params.reference) {
        (None, None) => None,
        (Some(s), Some(r)) => {
            short("reference", &r)?;
            Some((parse_source(&s)?, r.trim().to_string()))
        }
        _ => {
            return Err(ApiError::InvalidField(
                "give both source and reference, or neither".into(),
            ));
        }
    };
    let exemptions = crate::handlers::blocking(move || {
        state.with_engine(|e| {
            Ok(e.store().exemptions(entry.as_ref().map(|(s, r)| (*s, r.as_str())))?)
        })
    })
    .await?;
    Ok(Json(json!({ "exemptions": exemptions })))
}

/// Body of `POST /v1/exemptions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExemptionBody {
    kind: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    regime: Option<String>,
    from: String,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    destinations: Vec<String>,
    purpose: String,
    #[serde(default)]
    document: Option<String>,
    /// Who records it; defaults to the key id.
    #[serde(default)]
    recorded_by: Option<String>,
}

fn opt(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

impl ExemptionBody {
    fn check(self, ctx: &Ctx) -> Result<NewExemption, ApiError> {
        let kind: ExemptionKind =
            self.kind.parse().map_err(|m: String| ApiError::InvalidField(format!("kind: {m}")))?;
        let reference = opt(self.reference);
        let regime = opt(self.regime);
        if reference.is_none() && regime.is_none() {
            return Err(ApiError::InvalidField(
                "give the exempted entry (reference) or the regime".into(),
            ));
        }
        for (f, v) in [("reference", &reference), ("regime", &regime)] {
            if let Some(v) = v {
                short(f, v)?;
            }
        }
        let from = day("from", &self.from)?;
        let to = self.to.as_deref().filter(|t| !t.trim().is_empty()).map(|t| day("to", t));
        let to = to.transpose()?;
        if self.destinations.len() > MAX_DESTINATIONS {
            return Err(ApiError::InvalidField(format!("at most {MAX_DESTINATIONS} destinations")));
        }
        for (i, d) in self.destinations.iter().enumerate() {
            short(&format!("destinations[{i}]"), d)?;
        }
        let purpose = self.purpose.trim().to_string();
        if purpose.is_empty() {
            return Err(ApiError::InvalidField("purpose is empty".into()));
        }
        if purpose.len() > MAX_PURPOSE_BYTES {
            return Err(ApiError::InvalidField(format!(
                "purpose is longer than {MAX_PURPOSE_BYTES} bytes"
            )));
        }
        let document = opt(self.document);
        if let Some(d) = &document {
            short("document", d)?;
        }
        let recorded_by = opt(self.recorded_by).unwrap_or_else(|| ctx.actor());
        short("recorded_by", &recorded_by)?;
        Ok(NewExemption {
            kind,
            reference,
            regime,
            from,
            to,
            destinations: self.destinations,
            purpose,
            document,
            recorded_by,
        })
    }
}

/// `POST /v1/exemptions` (admin): records a granted exemption after checking it against the
/// catalogue (known entry or regime, countries, dates in order, at most nine months for a
/// 1988 travel exemption). Answers 201 with the exemption as stored.
#[tracing::instrument(skip_all)]
pub(crate) async fn add(
    State(state): State<AppState>,
    _admin: Admin,
    ctx: Ctx,
    ApiJson(body): ApiJson<ExemptionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req = body.check(&ctx)?;
    let ex = crate::handlers::blocking(move || {
        let ex = state.with_engine_mut(|e| e.add_exemption(req))?;
        let seq = state
            .audit()
            .append_event(audit::exemption_event(&ex, ctx.actor(), Some(&ctx.request_id)))
            .map_err(ApiError::internal)?;
        tracing::info!(exemption = ex.id, audit_seq = seq, "exemption recorded");
        Ok(ex)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "exemption": ex }))))
}

/// Body of `POST /v1/check/travel`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TravelBody {
    /// `un:TAi.026`, or a bare reference with `source`.
    reference: String,
    #[serde(default)]
    source: Option<String>,
    /// Destination country (ISO code or name).
    to: String,
    /// The day of travel (`YYYY-MM-DD`).
    on: String,
}

/// `POST /v1/check/travel`: listed on that day (the lists in force then), travel ban under
/// the entry's regimes, and the recorded exemption covering the trip, if any.
#[tracing::instrument(skip_all)]
pub(crate) async fn travel(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<TravelBody>,
) -> Result<Json<TravelCheck>, ApiError> {
    let reference = body.reference.trim().to_string();
    if reference.is_empty() {
        return Err(ApiError::InvalidField("reference is empty".into()));
    }
    short("reference", &reference)?;
    short("to", &body.to)?;
    let reference = match opt(body.source) {
        Some(s) => format!("{}:{reference}", parse_source(&s)?),
        None => reference,
    };
    let on = day("on", &body.on)?;
    let to = body.to;
    let check = crate::handlers::blocking(move || {
        let check = state.with_engine(|e| e.check_travel(&reference, &to, on))?;
        let seq = state
            .audit()
            .append_event(AuditEvent {
                event: "travel_checked",
                actor: ctx.actor(),
                request_id: Some(ctx.request_id.clone()),
                detail: json!({
                    "reference": check.reference,
                    "entry": check.entry.as_ref().map(|e| json!({
                        "source": e.source, "reference": e.reference,
                        "version_id": e.version.version_id,
                    })),
                    "destination": check.destination,
                    "date": check.date,
                    "verdict": check.verdict,
                    "covered_by": check.covered_by.iter().map(|x| x.id).collect::<Vec<_>>(),
                }),
            })
            .map_err(ApiError::internal)?;
        tracing::info!(audit_seq = seq, "travel checked");
        Ok(check)
    })
    .await?;
    Ok(Json(check))
}

/// Body of `POST /v1/check/payment`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentBody {
    /// The party paid.
    name: String,
    /// The purpose (`humanitarian` for the standing carve-outs).
    purpose: String,
    /// The day of the payment (`YYYY-MM-DD`; default today, on the latest lists).
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    threshold: Option<f32>,
}

/// `POST /v1/check/payment`: screens the party and, per hit, the asset freeze, the standing
/// carve-outs for the purpose (resolution 2615 for 1988 hits) and the recorded exemptions.
#[tracing::instrument(skip_all)]
pub(crate) async fn payment(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(body): ApiJson<PaymentBody>,
) -> Result<Json<PaymentCheck>, ApiError> {
    let name = body.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::InvalidField("name is empty".into()));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(ApiError::InvalidField(format!("name is longer than {MAX_NAME_BYTES} bytes")));
    }
    let purpose = body.purpose.trim().to_string();
    if purpose.is_empty() {
        return Err(ApiError::InvalidField("purpose is empty".into()));
    }
    short("purpose", &purpose)?;
    let on = body.on.as_deref().filter(|s| !s.trim().is_empty()).map(|s| day("on", s));
    let on = on.transpose()?;
    let threshold = body.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) || threshold.is_nan() {
        return Err(ApiError::InvalidField(format!(
            "threshold must be between 0 and 1, got {threshold}"
        )));
    }
    let query_hash = sha256_canonical(
        &json!({ "name": name, "purpose": purpose, "on": on, "threshold": threshold }),
    );
    let check = crate::handlers::blocking(move || {
        let snapshot = state.snapshot_for(on)?;
        let check =
            state.with_engine(|e| e.check_payment_on(&snapshot, &name, &purpose, on, threshold))?;
        ctx.deadline.check()?;
        let seq = state
            .audit()
            .append_event(AuditEvent {
                event: "payment_checked",
                actor: ctx.actor(),
                request_id: Some(ctx.request_id.clone()),
                detail: json!({
                    "query_hash": query_hash,
                    "humanitarian": check.humanitarian,
                    "date": check.date,
                    "versions": check.versions.iter().map(|v| json!({
                        "source": v.source, "version_id": v.version_id, "sha256": v.sha256,
                    })).collect::<Vec<_>>(),
                    "results": check.hits.iter().map(|h| json!({
                        "source": h.hit.source, "reference": h.hit.reference,
                        "score": audit_score(h.hit.score), "asset_freeze": h.asset_freeze,
                        "standing": h.standing.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
                        "recorded": h.recorded.iter().map(|x| x.id).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                }),
            })
            .map_err(ApiError::internal)?;
        tracing::info!(hits = check.hits.len(), audit_seq = seq, "payment checked");
        Ok(check)
    })
    .await?;
    Ok(Json(check))
}

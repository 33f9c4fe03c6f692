//! The analyst web page: `GET /` and its assets under `/ui/`, embedded in the binary.
//!
//! The page holds no data: it is the same for everyone and needs no key. Everything it shows
//! comes from the keyed `/v1` API (the page asks for a key when the server answers 401),
//! plus `GET /ui/regimes`, a keyed lookup in the regime catalogue for the entry page. Every
//! response carries a strict Content-Security-Policy (`default-src 'self'`, no inline script
//! or style, no framing), `X-Content-Type-Options: nosniff` and `Referrer-Policy:
//! no-referrer`; each file has an ETag (the browser revalidates, `no-cache`, and gets 304 while
//! it is unchanged). The sources are in `crates/server/web/` (plain HTML, CSS and JavaScript, no
//! build step); see docs/web.md.

use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sanctions_engine::model::EntityKind;
use sanctions_engine::regime_catalogue::regimes_for_programs;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::handlers::v1::parse_source;
use crate::state::AppState;

/// The policy sent with the page and its assets: only this origin, no inline script or
/// style, no plugins, no framing, forms post only here.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("../web/index.html");

/// The assets under `/ui/`: file name, content type, body.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../web/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../web/app.css")),
    ("favicon.svg", "image/svg+xml", include_str!("../web/favicon.svg")),
];

/// Most programmes in one regimes lookup, and the longest programme, in bytes.
const MAX_PROGRAMS: usize = 50;
const MAX_PROGRAM_BYTES: usize = 100;

/// The page's routes: `/`, `/ui/<asset>` (public) and `/ui/regimes` (keyed like `/v1`).
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    let files = std::iter::once(("/".to_string(), "text/html; charset=utf-8", INDEX_HTML))
        .chain(ASSETS.iter().map(|&(name, ct, body)| (format!("/ui/{name}"), ct, body)));
    let mut public = Router::new();
    for (path, content_type, body) in files {
        let tag = etag(body);
        public = public.route(
            &path,
            get(move |headers: HeaderMap| async move { page(content_type, body, &tag, &headers) }),
        );
    }
    let keyed = Router::new()
        .route("/ui/regimes", get(regimes))
        .route_layer(axum::middleware::from_fn_with_state(state, crate::middleware::require_key));
    public.merge(keyed)
}

/// A strong validator of an embedded file: the start of its SHA-256, quoted.
fn etag(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// A static response with the page's security headers; `304 Not Modified` when the browser
/// already holds this version (`If-None-Match`), since it must revalidate (`no-cache`).
fn page(content_type: &'static str, body: &'static str, tag: &str, req: &HeaderMap) -> Response {
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut resp =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = resp.headers_mut();
    if !fresh {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    security_headers(h);
    resp
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}

/// Query of `GET /ui/regimes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegimesParams {
    source: String,
    #[serde(default)]
    kind: Option<String>,
    /// Programme values (UN_LIST_TYPE, OFAC program codes), separated by commas.
    programs: String,
}

/// `GET /ui/regimes?source=un&kind=person&programs=Taliban`: the regimes of an entry with
/// those programmes and the measures that bind it, from the regime catalogue (the entry page
/// reads the entry itself from `/v1/entities`, then asks this).
pub(crate) async fn regimes(
    ApiQuery(params): ApiQuery<RegimesParams>,
) -> Result<Json<Value>, ApiError> {
    let source = parse_source(params.source.trim())?;
    let kind = match params.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => EntityKind::Unknown,
        Some(k) => k.parse().map_err(|m| ApiError::InvalidField(format!("kind: {m}")))?,
    };
    let programs: Vec<String> = params
        .programs
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    if programs.len() > MAX_PROGRAMS || programs.iter().any(|p| p.len() > MAX_PROGRAM_BYTES) {
        return Err(ApiError::InvalidField(format!(
            "programs: at most {MAX_PROGRAMS}, each at most {MAX_PROGRAM_BYTES} bytes"
        )));
    }
    Ok(Json(json!({ "regimes": regimes_for_programs(source, kind, &programs) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_refers_only_to_embedded_assets() {
        for cap in INDEX_HTML.split(['"', '\'']).filter(|s| s.starts_with("/ui/")) {
            let name = &cap["/ui/".len()..];
            assert!(ASSETS.iter().any(|(n, _, _)| *n == name), "{cap} is not embedded");
        }
        assert!(INDEX_HTML.contains("src=\"/ui/app.js\""));
    }

    #[test]
    fn policy_forbids_inline_script_and_framing() {
        assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'self'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    }
}

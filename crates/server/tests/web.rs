//! The analyst web page as the server serves it: the real server on 127.0.0.1:0, API keys
//! configured, an empty store (the page holds no data, so none is needed).
//!
//! Properties checked:
//! - `/` and every asset it refers to load without a key, with the right content type and the
//!   security headers (CSP `default-src 'self'` with `frame-ancestors 'none'`, nosniff), and
//!   answer 304 to a browser that holds the same version (ETag);
//! - the page has no inline script, style or event handler (so the CSP can forbid them) and
//!   refers to no other origin;
//! - data stays behind the key: `/v1/...` and `/ui/regimes` answer 401 without one;
//! - `/ui/regimes` answers the catalogue's regimes and measures with a key, and refuses bad
//!   parameters; an unknown asset is a JSON 404.

use std::time::Duration;

use reqwest::StatusCode;
use sanctions_server::{ApiKey, Role, ServerConfig, hash_key, serve};
use serde_json::Value;

const READ_KEY: &str = "web-test-read-key";

struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::new(dir.path().join("sanctions.sqlite"));
        config.keys = vec![ApiKey::new("web", Role::Read, &hash_key(READ_KEY)).unwrap()];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, listener, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        for _ in 0..300 {
            if task.is_finished() {
                panic!("the server stopped: {:?}", task.await);
            }
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                return Server { base, client, stop: Some(tx), task, _dir: dir };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not start");
    }

    async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        req.send().await.unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name} header", resp.url()))
        .to_str()
        .unwrap()
}

#[track_caller]
fn assert_page_headers(resp: &reqwest::Response, content_type: &str) {
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.url());
    assert_eq!(header(resp, "content-type"), content_type, "{}", resp.url());
    let csp = header(resp, "content-security-policy");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    for part in ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
        assert!(csp.split(';').any(|d| d.trim() == part), "CSP has {part}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header(resp, "x-content-type-options"), "nosniff");
    assert_eq!(header(resp, "x-frame-options"), "DENY");
    assert_eq!(header(resp, "referrer-policy"), "no-referrer");
}

/// The values of `attr="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap() {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        other => panic!("unexpected asset type {other}: {path}"),
    }
}

#[tokio::test]
async fn the_page_and_its_assets_load_without_a_key_with_security_headers() {
    let s = Server::start().await;
    let resp = s.get("/", None).await;
    assert_page_headers(&resp, "text/html; charset=utf-8");
    let html = resp.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..40]);

    // Every asset the page refers to is served, and the page refers to nothing else.
    let mut assets: Vec<&str> = attribute_values(&html, "src");
    assets.extend(attribute_values(&html, "href").into_iter().filter(|h| !h.starts_with('#')));
    assert!(assets.contains(&"/ui/app.js") && assets.contains(&"/ui/app.css"), "{assets:?}");
    let mut bodies = vec![html.clone()];
    for path in &assets {
        assert!(path.starts_with("/ui/"), "the page refers to {path}, outside /ui/");
        let resp = s.get(path, None).await;
        assert_page_headers(&resp, content_type_for(path));
        let body = resp.text().await.unwrap();
        assert!(body.len() > 100, "{path} is {} bytes", body.len());
        if !path.ends_with(".svg") {
            bodies.push(body);
        }
    }

    // Nothing the CSP would block, nothing from another origin.
    let script_tags = html.matches("<script").count();
    assert_eq!(script_tags, attribute_values(&html, "src").len(), "every script has a src");
    assert!(!html.contains(" style="), "no inline style attribute");
    assert!(!html.contains("<style"), "no inline style element");
    for body in &bodies {
        for bad in ["http://", "https://", "//cdn", "innerHTML", "eval(", "new Function"] {
            assert!(!body.contains(bad), "an asset contains {bad:?}");
        }
    }
    for attr in ["onclick", "onload", "onsubmit", "onerror", "onkeydown"] {
        assert!(!html.contains(&format!(" {attr}=")), "no inline {attr} handler");
    }

    // The browser revalidates (no-cache) and gets 304 while the file is unchanged.
    let resp = s.get("/ui/app.js", None).await;
    let tag = header(&resp, "etag").to_string();
    assert_eq!(header(&resp, "cache-control"), "no-cache");
    let again = s
        .client
        .get(format!("{}/ui/app.js", s.base))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "x-content-type-options"), "nosniff");
    assert!(again.bytes().await.unwrap().is_empty());
    let other =
        s.client.get(format!("{}/ui/app.js", s.base)).header("if-none-match", "\"0\"").send();
    assert_eq!(other.await.unwrap().status(), StatusCode::OK);
    assert_ne!(header(&s.get("/", None).await, "etag"), tag, "each file has its own tag");

    // Unknown assets are a JSON 404 like every unknown path.
    let resp = s.get("/ui/nope.js", None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    s.stop().await;
}

#[tokio::test]
async fn data_stays_behind_the_key() {
    let s = Server::start().await;
    for path in ["/v1/lists", "/v1/entities/un/TAi.026", "/ui/regimes?source=un&programs=Taliban"] {
        let resp = s.get(path, None).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path} without a key");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
        let resp = s.get(path, Some("not-the-key")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path} with a wrong key");
    }
    // With the key: the catalogue's regimes and measures for an entry's programmes.
    let resp = s.get("/ui/regimes?source=un&kind=person&programs=Taliban", Some(READ_KEY)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let regimes = body["regimes"].as_array().unwrap();
    assert_eq!(regimes.len(), 1, "{body}");
    assert_eq!(regimes[0]["id"], "un-taliban");
    let measures: Vec<&str> =
        regimes[0]["measures"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(measures, ["asset_freeze", "travel_ban", "arms_embargo"]);
    // An entity has no travel ban under 1988; an unknown programme is reported, not dropped.
    let resp = s
        .get("/ui/regimes?source=un&kind=organization&programs=Taliban,Nope", Some(READ_KEY))
        .await;
    let body: Value = resp.json().await.unwrap();
    let regimes = body["regimes"].as_array().unwrap();
    assert_eq!(regimes.len(), 2, "{body}");
    assert!(!regimes[0]["measures"].as_array().unwrap().iter().any(|m| m == "travel_ban"));
    assert_eq!(regimes[1]["known"], false);
    for bad in [
        "/ui/regimes?source=zz&programs=Taliban",
        "/ui/regimes?source=un&kind=planet&programs=Taliban",
        "/ui/regimes?source=un&programs=Taliban&extra=1",
    ] {
        let resp = s.get(bad, Some(READ_KEY)).await;
        assert!(resp.status().is_client_error(), "{bad}: {}", resp.status());
    }
    s.stop().await;
}

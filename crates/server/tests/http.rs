//! The HTTP API end to end: the real server on 127.0.0.1:0 over stores loaded from the real
//! official files in `shared/data` (`SANCTIONS_SHARED_DATA` overrides the folder).
//!
//! Properties checked:
//! - screening (single, batch) finds the right entry first and reports versions and algorithm;
//! - entity, history, lists, diff, healthz, readyz answer with the documented shapes;
//! - every error code comes with its status and the `{"error": {"code", "message"}}` body;
//! - keys: 401 without or with a wrong key, 403 for admin endpoints without an admin key;
//! - a reload during 200 concurrent screenings fails none of them;
//! - a reload of an unchanged store gives the same answers as before it;
//! - the audit log gets one record per screened query, verifies, and names the line that was
//!   edited or follows a deleted one;
//! - monitoring (customers, runs, alerts, decisions), exemptions and the travel and payment
//!   checks answer, refuse bad input with the right code, need an admin key to change
//!   anything, and each act lands in the audit log;
//! - the OpenAPI document describes exactly the routes served.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::StatusCode;
use sanctions_engine::Engine;
use sanctions_engine::model::Source;
use sanctions_server::{AuditError, ServerConfig, hash_key, serve, verify_audit_log};
use serde_json::{Value, json};

fn shared_data() -> PathBuf {
    let p = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        p.join("mirror").is_dir(),
        "the shared data folder {} (with mirror/) is missing: set SANCTIONS_SHARED_DATA",
        p.display()
    );
    p
}

/// A store with the mirror (UN + OFAC) imported once, copied by each test that uses it.
fn mirror_template() -> &'static Path {
    static T: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("template.sqlite");
        let mut engine = Engine::open(&db).unwrap();
        engine.update_from_mirror(&shared_data().join("mirror"), false).unwrap();
        drop(engine);
        (dir, db)
    })
    .1
}

fn copy_store(template: &Path, dir: &Path) -> PathBuf {
    let db = dir.join("sanctions.sqlite");
    std::fs::copy(template, &db).unwrap();
    db
}

struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(config: ServerConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, listener, async move {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
        // The server builds its snapshot before it accepts; wait for it.
        for _ in 0..600 {
            if task.is_finished() {
                panic!("the server stopped: {:?}", task.await);
            }
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                return Server { base, client, stop: Some(tx), task };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        read(self.client.post(self.url(path)).json(body).send().await.unwrap()).await
    }

    async fn post_raw(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        read(
            self.client
                .post(self.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap().unwrap();
    }
}

async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    assert!(resp.headers().contains_key("x-request-id"), "every response has a request id");
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

/// Asserts the error shape, status and code.
#[track_caller]
fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(got.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", got.1);
    assert_eq!(got.1.as_object().unwrap().len(), 1, "only `error` in an error body");
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap().lines().map(str::to_string).collect()
}

fn write_lines(p: &Path, l: &[String]) {
    std::fs::write(p, l.iter().map(|x| format!("{x}\n")).collect::<String>()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screening_reads_errors_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_store(mirror_template(), dir.path());
    let s = Server::start(ServerConfig::new(&db)).await;
    let mut screened = 0usize;

    // Health.
    assert_eq!(s.get("/healthz").await, (StatusCode::OK, json!({"status": "ok"})));
    let (st, ready) = s.get("/readyz").await;
    assert_eq!(st, StatusCode::OK);
    let sources: Vec<&str> = ready["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["un", "ofac"]);

    // Screen one.
    let (st, r) = s.post("/v1/screen", &json!({"name": "Amir Khan Muttaqi"})).await;
    screened += 1;
    assert_eq!(st, StatusCode::OK, "{r}");
    let top = &r["hits"][0];
    assert_eq!((top["source"].as_str(), top["reference"].as_str()), (Some("un"), Some("TAi.026")));
    assert!(top["score"].as_f64().unwrap() > 0.8);
    for field in ["name", "matched_name", "explanation", "kind", "programs"] {
        assert!(!top[field].is_null(), "hit has {field}: {top}");
    }
    assert_eq!(r["versions"].as_array().unwrap().len(), 2);
    assert!(r["algorithm"]["name"].is_string() && r["algorithm"]["version"].is_string());
    assert_eq!(r["query_hash"].as_str().unwrap().len(), 64);

    // With attributes and as_of (a snapshot of its own, or the current one when the same).
    let (st, r) = s
        .post(
            "/v1/screen",
            &json!({"name": "Amir Khan Motaqi", "kind": "person", "birth_date": "1968",
                    "nationality": "Afghanistan", "identifiers": [], "as_of": "2026-06-01",
                    "threshold": 0.5, "limit": 3}),
        )
        .await;
    screened += 1;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["hits"][0]["reference"], "TAi.026");
    assert!(r["hits"].as_array().unwrap().len() <= 3);
    assert_eq!(r["as_of"], "2026-06-01");

    // Batch: results in order.
    let (st, r) = s
        .post(
            "/v1/screen/batch",
            &json!({"queries": [
                {"name": "Amir Khan Muttaqi"},
                {"name": "Zzyzx Qwrtplk Vbnmfgh"},
                {"name": "Muttaqi Amir Khan", "kind": "person"}
            ]}),
        )
        .await;
    screened += 3;
    assert_eq!(st, StatusCode::OK, "{r}");
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["hits"][0]["reference"], "TAi.026");
    assert_eq!(results[1]["hits"].as_array().unwrap().len(), 0);
    assert_eq!(results[2]["hits"][0]["reference"], "TAi.026");
    // A usual name is screened on the runtime's thread, a batch in the blocking pool: the
    // same answer.
    let (_, single) = s.post("/v1/screen", &json!({"name": "Amir Khan Muttaqi"})).await;
    screened += 1;
    assert_eq!(single["hits"], results[0]["hits"]);
    // A name over 64 bytes goes to the blocking pool as a single screening too.
    let long = "Amir Khan Muttaqi Mawlawi Amir Khan Motaqi Amir Khan Mottaqi Amir Khan";
    assert!(long.len() > 64);
    let (st, single) = s.post("/v1/screen", &json!({ "name": long })).await;
    assert_eq!(st, StatusCode::OK, "{single}");
    let (_, batch) = s.post("/v1/screen/batch", &json!({"queries": [{ "name": long }]})).await;
    screened += 2;
    assert_eq!(single["hits"], batch["results"][0]["hits"]);
    // A batch is screened in the index's locality order, per list date: every answer is the
    // single screening's, in the order asked.
    let queries = [
        json!({"name": "Muttaqi Amir Khan"}),
        json!({"name": "Amir Khan Muttaqi", "as_of": "2026-06-01"}),
        json!({"name": "Zzyzx Qwrtplk"}),
        json!({"name": "Amir Khan Muttaqi", "threshold": 0.5, "limit": 3}),
        json!({"name": "Abdul Ghani Baradar"}),
        json!({"name": "Mohammad Hassan Akhund", "as_of": "2026-06-01"}),
        json!({"name": "Amir Khan", "threshold": 0.6}),
    ];
    let (st, batch) = s.post("/v1/screen/batch", &json!({ "queries": queries })).await;
    assert_eq!(st, StatusCode::OK, "{batch}");
    screened += queries.len();
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), queries.len());
    for (q, r) in queries.iter().zip(results) {
        let (st, one) = s.post("/v1/screen", q).await;
        assert_eq!(st, StatusCode::OK, "{one}");
        screened += 1;
        assert_eq!(one["hits"], r["hits"], "{q}");
        assert_eq!(one["versions"], r["versions"], "{q}");
        assert_eq!(one["as_of"], r["as_of"], "{q}");
    }
    for i in [0, 1, 3] {
        assert_eq!(results[i]["hits"][0]["reference"], "TAi.026", "{}", results[i]);
    }
    assert_eq!(results[2]["hits"].as_array().unwrap().len(), 0);

    // Entity and lists.
    let (st, e) = s.get("/v1/entities/un/TAi.026").await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["entity"]["reference"], "TAi.026");
    assert_eq!(e["version"]["source"], "un");
    assert_eq!(e["regimes"][0]["id"], "un-taliban", "{e}");
    assert_eq!(e["regimes"][0]["measures"][1], "travel_ban", "{e}");
    let (st, e) = s.get("/v1/entities/un/TAi.026?as_of=2026-06-01").await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let (st, h) = s.get("/v1/entities/un/TAi.026/history").await;
    assert_eq!(st, StatusCode::OK, "{h}");
    assert_eq!(h["history"][0]["event"], "listed");
    let (st, l) = s.get("/v1/lists").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(l["versions"].as_array().unwrap().len(), 2);
    assert_eq!(l["serving"].as_array().unwrap().len(), 2);
    let file = l["versions"][0]["files"][0].as_str().unwrap();
    assert!(!file.contains('/'), "no server paths in responses: {file}");

    // Error codes.
    assert_error(&s.get("/v1/entities/un/NOPE.999").await, 404, "not_found");
    assert_error(&s.get("/v1/entities/xx/TAi.026").await, 404, "not_found");
    assert_error(&s.get("/v1/nothing").await, 404, "not_found");
    assert_error(&s.get("/v1/screen").await, 405, "method_not_allowed");
    assert_error(&s.get("/v1/entities/un/TAi.026?as_of=yesterday").await, 422, "invalid_field");
    assert_error(&s.get("/v1/entities/un/TAi.026?as_of=1066").await, 422, "invalid_field");
    assert_error(&s.get("/v1/entities/un/TAi.026?bogus=1").await, 422, "invalid_field");
    assert_error(&s.get("/v1/lists/un/diff").await, 422, "invalid_field"); // one version only
    assert_error(&s.get("/v1/lists/un/diff?from=%23999").await, 422, "invalid_field");
    assert_error(&s.post_raw("/v1/screen", b"{\"name\": ".to_vec()).await, 400, "malformed_json");
    assert_error(&s.post_raw("/v1/screen", b"not json".to_vec()).await, 400, "malformed_json");
    for bad in [
        json!({"name": 42}),
        json!({"name": "x", "limit": "ten"}),
        json!({"name": "x", "identifiers": "P123"}),
        json!({"nam": "x"}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "a".repeat(1001)}),
        json!({"name": "x", "kind": "dragon"}),
        json!({"name": "x", "birth_date": "1066-01-01"}),
        json!({"name": "x", "birth_date": "2999-01-01"}),
        json!({"name": "x", "birth_date": "1970-13-01"}),
        json!({"name": "x", "as_of": "2999-01-01"}),
        json!({"name": "x", "as_of": "1990-01-01"}), // before any list version
        json!({"name": "x", "threshold": 1.5}),
        json!({"name": "x", "limit": 0}),
        json!([1, 2]),
    ] {
        assert_error(&s.post("/v1/screen", &bad).await, 422, "invalid_field");
    }
    let got = s.post("/v1/screen/batch", &json!({"queries": [{"name": "ok"}, {"name": ""}]})).await;
    assert_error(&got, 422, "invalid_field");
    assert!(got.1["error"]["message"].as_str().unwrap().contains("queries[1]"), "{}", got.1);
    let many: Vec<Value> = (0..1001).map(|i| json!({"name": format!("n{i}")})).collect();
    assert_error(
        &s.post("/v1/screen/batch", &json!({"queries": many})).await,
        422,
        "batch_too_large",
    );
    let huge = json!({"name": "x".repeat((1 << 20) + 10)}).to_string().into_bytes();
    assert_error(&s.post_raw("/v1/screen", huge).await, 413, "payload_too_large");
    assert_error(&s.post("/v1/admin/reload", &json!({})).await, 403, "forbidden");

    // The OpenAPI document describes the routes served, and only those.
    let (st, doc) = s.get("/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete =
            path.replace("{source}", "un").replace("{reference}", "TAi.026").replace("{id}", "1");
        for method in ops.as_object().unwrap().keys() {
            let req = match method.as_str() {
                "get" => s.client.get(s.url(&concrete)),
                "post" => s.client.post(s.url(&concrete)).body("{}"),
                other => panic!("unexpected method {other}"),
            };
            let resp = req.send().await.unwrap();
            let (st, body) = read(resp).await;
            assert!(
                !(st == StatusCode::NOT_FOUND && body["error"]["message"] == "no such endpoint")
                    && st != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served: {st} {body}"
            );
        }
    }
    let codes: Vec<&str> =
        doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    assert_eq!(codes.len(), 11);

    s.stop().await;

    // The audit log: one record per screened query; verifies; tampering is found.
    let audit = dir.path().join("sanctions.sqlite.audit.jsonl");
    let report = verify_audit_log(&audit).unwrap();
    assert_eq!(report.records as usize, screened);
    let good = lines(&audit);
    assert_eq!(good.len(), screened);
    let first: Value = serde_json::from_str(&good[0]).unwrap();
    for field in [
        "seq",
        "time",
        "request_id",
        "key_id",
        "query_hash",
        "as_of",
        "versions",
        "algorithm",
        "results",
        "prev_hash",
        "hash",
    ] {
        assert!(first.get(field).is_some(), "audit record has {field}: {first}");
    }
    assert!(!good.iter().any(|l| l.contains("Muttaqi")), "no names in the audit log");
    assert_eq!(first["results"][0]["reference"], "TAi.026");

    // Edit one byte of record 3.
    let mut l = good.clone();
    let i = l[2].find("\"query_hash\":\"").unwrap() + 14;
    let flipped = if &l[2][i..=i] == "a" { "b" } else { "a" };
    l[2].replace_range(i..=i, flipped);
    write_lines(&audit, &l);
    let e = verify_audit_log(&audit).unwrap_err();
    assert!(matches!(e, AuditError::HashMismatch { line: 3 }), "{e}");
    assert!(e.to_string().contains("line 3"));
    // Delete record 2.
    let mut l = good.clone();
    l.remove(1);
    write_lines(&audit, &l);
    let e = verify_audit_log(&audit).unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
    // Swap records 4 and 5.
    let mut l = good.clone();
    l.swap(3, 4);
    write_lines(&audit, &l);
    assert_eq!(verify_audit_log(&audit).unwrap_err().line(), Some(4));
    write_lines(&audit, &good);
    assert_eq!(verify_audit_log(&audit).unwrap().records as usize, screened);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_reload_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_store(mirror_template(), dir.path());
    let mut config = ServerConfig::new(&db);
    config
        .apply_keys_spec(&format!("app:read:{},ops:admin:{}", hash_key("r-key"), hash_key("a-key")))
        .unwrap();
    config.audit_log = Some(dir.path().join("audit").join("log.jsonl"));
    // This test is about swaps, not speed: a debug build on two shared cores is slow.
    config.request_timeout = Duration::from_secs(120);
    let s = Server::start(config).await;
    let q = json!({"name": "Amir Khan Muttaqi"});

    // Keys.
    let no_key = s.client.post(s.url("/v1/screen")).json(&q).send().await.unwrap();
    assert_error(&read(no_key).await, 401, "unauthorized");
    let wrong =
        s.client.post(s.url("/v1/screen")).bearer_auth("nope").json(&q).send().await.unwrap();
    assert_error(&read(wrong).await, 401, "unauthorized");
    let lists = s.client.get(s.url("/v1/lists")).send().await.unwrap();
    assert_error(&read(lists).await, 401, "unauthorized");
    let ok = s.client.post(s.url("/v1/screen")).bearer_auth("r-key").json(&q).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let ok = s.client.post(s.url("/v1/screen")).header("x-api-key", "a-key").json(&q).send().await;
    assert_eq!(ok.unwrap().status(), StatusCode::OK);
    let forbidden =
        s.client.post(s.url("/v1/admin/reload")).bearer_auth("r-key").send().await.unwrap();
    assert_error(&read(forbidden).await, 403, "forbidden");
    // Health and the API description stay open.
    assert_eq!(s.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(s.get("/readyz").await.0, StatusCode::OK);
    assert_eq!(s.get("/v1/openapi.json").await.0, StatusCode::OK);

    // 200 concurrent screenings while reloading: none fails, all see the same versions.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = s.client.clone();
        let url = s.url("/v1/screen");
        let name = if i % 2 == 0 { "Amir Khan Muttaqi" } else { "Muttaqi Amir" };
        tasks.push(tokio::spawn(async move {
            let r = c.post(url).bearer_auth("r-key").json(&json!({"name": name})).send().await;
            let r = r.unwrap();
            let st = r.status();
            (st, r.json::<Value>().await.unwrap())
        }));
    }
    for _ in 0..3 {
        let r = s.client.post(s.url("/v1/admin/reload")).bearer_auth("a-key").send().await.unwrap();
        let (st, body) = read(r).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["changed"], false);
        assert_eq!(body["versions"].as_array().unwrap().len(), 2);
    }
    for t in tasks {
        let (st, body) = t.await.unwrap();
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["hits"][0]["reference"], "TAi.026");
    }
    s.stop().await;

    let audit = dir.path().join("audit").join("log.jsonl");
    let report = verify_audit_log(&audit).unwrap();
    assert_eq!(report.records, 202);
    let keys: Vec<Value> = lines(&audit)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["key_id"].clone())
        .collect();
    assert_eq!(keys[0], "app");
    assert_eq!(keys[1], "ops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_store_then_reload_history_diff_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("un.sqlite");
    let mut config = ServerConfig::new(&db);
    config.apply_keys_spec(&format!("ops:admin:{}", hash_key("a-key"))).unwrap();
    let s = Server::start(config).await;

    // Nothing loaded: alive, not ready, screening says no_lists.
    assert_eq!(s.get("/healthz").await.0, StatusCode::OK);
    assert_error(&s.get("/readyz").await, 503, "no_lists");
    let r = s.client.post(s.url("/v1/screen")).bearer_auth("a-key").json(&json!({"name": "x"}));
    assert_error(&read(r.send().await.unwrap()).await, 503, "no_lists");

    // Two UN versions imported by another connection (as `sanctions import` would), then reload.
    let un = shared_data().join("un");
    tokio::task::spawn_blocking(move || {
        let mut engine = Engine::open(&db).unwrap();
        for f in ["consolidated-2026-02-27.xml", "consolidated-2026-05-08.xml"] {
            engine.import_files(Source::Un, &[un.join(f)], None, false).unwrap();
        }
    })
    .await
    .unwrap();
    let r = s.client.post(s.url("/v1/admin/reload")).bearer_auth("a-key").send().await.unwrap();
    let (st, body) = read(r).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], true);
    let (st, ready) = s.get("/readyz").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ready["versions"][0]["published"], "2026-05-08");

    let get = |path: &str| s.client.get(s.url(path)).bearer_auth("a-key").send();
    let (st, lists) = read(get("/v1/lists").await.unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(lists["versions"].as_array().unwrap().len(), 2);

    // Diff with every kind of selector.
    let (st, d) = read(get("/v1/lists/un/diff").await.unwrap()).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["from"]["published"], "2026-02-27");
    assert_eq!(d["to"]["published"], "2026-05-08");
    let changes = d["added"].as_array().unwrap().len()
        + d["removed"].as_array().unwrap().len()
        + d["amended"].as_array().unwrap().len();
    assert!(changes > 0, "the two versions differ");
    let first_id = lists["versions"][0]["id"].as_i64().unwrap();
    for q in [
        "from=2026-02-27&to=2026-05-08".to_string(),
        "from=previous&to=latest".to_string(),
        format!("from=%23{first_id}&to=latest"),
    ] {
        let (st, d2) = read(get(&format!("/v1/lists/un/diff?{q}")).await.unwrap()).await;
        assert_eq!(st, StatusCode::OK, "{q}: {d2}");
        assert_eq!(d2, d, "{q}");
    }
    assert_error(
        &read(get("/v1/lists/un/diff?from=bogus").await.unwrap()).await,
        422,
        "invalid_field",
    );
    assert_error(&read(get("/v1/lists/zz/diff").await.unwrap()).await, 404, "not_found");

    // History of an entry that changed, or any entry.
    let reference = d["amended"][0]["reference"]
        .as_str()
        .or(d["added"][0]["reference"].as_str())
        .unwrap()
        .to_string();
    let (st, h) = read(get(&format!("/v1/entities/un/{reference}/history")).await.unwrap()).await;
    assert_eq!(st, StatusCode::OK, "{h}");
    assert!(!h["history"].as_array().unwrap().is_empty());
    assert_error(
        &read(get("/v1/entities/un/NOPE.1/history").await.unwrap()).await,
        404,
        "not_found",
    );

    // As of a date between the versions, the entry is read from the earlier one.
    let (st, e) = read(get("/v1/entities/un/TAi.026?as_of=2026-03-01").await.unwrap()).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["version"]["published"], "2026-02-27");
    // And screening as of that date uses that version (a cached snapshot of its own).
    for _ in 0..2 {
        let r = s
            .client
            .post(s.url("/v1/screen"))
            .bearer_auth("a-key")
            .json(&json!({"name": "Amir Khan Muttaqi", "as_of": "2026-03-01"}));
        let (st, body) = read(r.send().await.unwrap()).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["versions"][0]["published"], "2026-02-27");
        assert_eq!(body["hits"][0]["reference"], "TAi.026");
    }
    s.stop().await;

    // A deadline too short for any screening: 503 timeout, and nothing is audited.
    let mut config = ServerConfig::new(dir.path().join("un.sqlite"));
    config.request_timeout = Duration::from_nanos(1);
    config.audit_log = Some(dir.path().join("timeout-audit.jsonl"));
    let s = Server::start(config).await;
    assert_error(
        &s.post("/v1/screen", &json!({"name": "Amir Khan Muttaqi"})).await,
        503,
        "timeout",
    );
    s.stop().await;
    assert_eq!(verify_audit_log(dir.path().join("timeout-audit.jsonl")).unwrap().records, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_text_and_payment_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_store(mirror_template(), dir.path());
    let mut config = ServerConfig::new(&db);
    // A debug build on two shared cores is slow: this test is about answers, not speed.
    config.request_timeout = Duration::from_secs(120);
    let s = Server::start(config).await;

    let text = "KABUL - The acting foreign minister, Amir Khan Muttaqi, met envoys.\nThe library opens at nine.";
    let (st, r) = s.post("/v1/scan", &json!({"text": text})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let ms = r["mentions"].as_array().unwrap();
    assert_eq!(ms.len(), 1, "{r}");
    let m = &ms[0];
    assert_eq!(m["text"], "Amir Khan Muttaqi");
    let (a, b) = (m["start"].as_u64().unwrap() as usize, m["end"].as_u64().unwrap() as usize);
    assert_eq!(&text[a..b], "Amir Khan Muttaqi");
    assert_eq!(
        (m["line"].as_u64(), m["hits"][0]["reference"].as_str()),
        (Some(1), Some("TAi.026"))
    );
    assert!(m["hits"][0]["explanation"]["words"].is_array());
    assert_eq!(r["format"], "text");
    assert_eq!(r["query_hash"].as_str().unwrap().len(), 64);
    assert_eq!(r["versions"].as_array().unwrap().len(), 2);

    let mt103 = ":20:REF1\n:32A:260508USD1000,00\n:50K:/123\nJOHN CARTER\n:59:/456\nAMIR KHAN MUTTAQI\nKABUL\n:70:INVOICE 7\n";
    let (st, r) = s.post("/v1/scan", &json!({"text": mt103, "format": "mt103"})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let ms = r["mentions"].as_array().unwrap();
    assert_eq!(ms.len(), 1, "{r}");
    assert_eq!(ms[0]["field"]["tag"], "59");
    assert_eq!(ms[0]["field"]["label"], "beneficiary customer");
    assert_eq!(ms[0]["line"], 6);

    // Errors name the field.
    let bad = ":20:REF1\n:32A:260508USD1000,00\n:50K:JOHN\n";
    assert_error(
        &s.post("/v1/scan", &json!({"text": bad, "format": "mt103"})).await,
        422,
        "invalid_field",
    );
    let (_, e) = s.post("/v1/scan", &json!({"text": bad, "format": "mt103"})).await;
    assert!(e["error"]["message"].as_str().unwrap().contains("59a"), "{e}");
    assert_error(
        &s.post("/v1/scan", &json!({"text": "x", "format": "mt202"})).await,
        422,
        "invalid_field",
    );
    assert_error(&s.post("/v1/scan", &json!({"text": "  "})).await, 422, "invalid_field");
    assert_error(
        &s.post("/v1/scan", &json!({"text": "x", "threshold": 2})).await,
        422,
        "invalid_field",
    );
    assert_error(&s.post("/v1/scan", &json!({"txt": "x"})).await, 422, "invalid_field");
    s.stop().await;
}

/// A store holding the UN lists of 2020-12-01 and 2026-05-08 (Muttaqi listed on both).
fn un_template() -> &'static Path {
    static T: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("template.sqlite");
        let mut engine = Engine::open(&db).unwrap();
        for date in ["2020-12-01", "2026-05-08"] {
            let f = shared_data().join("un").join(format!("consolidated-{date}.xml"));
            engine.import_files(Source::Un, &[f], None, false).unwrap();
        }
        drop(engine);
        (dir, db)
    })
    .1
}

/// Screens, reloads the unchanged store twice (a new index each time, its retrieval memo empty),
/// and screens again: the same answers, to the bit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_unchanged_by_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_store(un_template(), dir.path());
    let mut config = ServerConfig::new(&db);
    config.apply_keys_spec(&format!("ops:admin:{}", hash_key("a-key"))).unwrap();
    config.request_timeout = Duration::from_secs(120);
    let s = Server::start(config).await;
    // Variants, typos, glued pairs, Arabic script, attributes, a low threshold, no hit.
    let queries = [
        json!({"name": "Amir Khan Muttaqi"}),
        json!({"name": "MOTAQI Amir Khan", "birth_date": "1968", "nationality": "AF"}),
        json!({"name": "Abdulghani Baradar"}),
        json!({"name": "Baradr Abdul Ghani", "threshold": 0.5}),
        json!({"name": "Sirajuddin Haqani", "threshold": 0.6, "limit": 5}),
        json!({"name": "عبد الغني برادر"}),
        json!({"name": "Mohammad Hassan Akhund", "kind": "person"}),
        json!({"name": "John Smith", "threshold": 0.3}),
    ];
    let screen_all = || async {
        let mut out = Vec::new();
        for q in &queries {
            let r = s.client.post(s.url("/v1/screen")).bearer_auth("a-key").json(q);
            let (st, body) = read(r.send().await.unwrap()).await;
            assert_eq!(st, StatusCode::OK, "{body}");
            out.push(body);
        }
        out
    };
    let before = screen_all().await;
    assert_eq!(before[0]["hits"][0]["reference"], "TAi.026");
    let hits: usize = before.iter().map(|b| b["hits"].as_array().unwrap().len()).sum();
    assert!(hits > queries.len(), "{hits}");
    for _ in 0..2 {
        let r = s.client.post(s.url("/v1/admin/reload")).bearer_auth("a-key").send().await;
        let (st, body) = read(r.unwrap()).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["changed"], false);
        let after = screen_all().await;
        for (a, b) in after.iter().zip(&before) {
            assert_eq!(a, b);
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_exemptions_checks_and_their_audit() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_store(un_template(), dir.path());
    let mut config = ServerConfig::new(&db);
    config
        .apply_keys_spec(&format!("app:read:{},ops:admin:{}", hash_key("r-key"), hash_key("a-key")))
        .unwrap();
    let audit = dir.path().join("audit.jsonl");
    config.audit_log = Some(audit.clone());
    config.request_timeout = Duration::from_secs(120);
    let s = Server::start(config).await;
    let get = |path: &str, key: &str| {
        let r = s.client.get(s.url(path)).bearer_auth(key).send();
        async move { read(r.await.unwrap()).await }
    };
    let post = |path: &str, key: &str, body: Value| {
        let r = s.client.post(s.url(path)).bearer_auth(key).json(&body).send();
        async move { read(r.await.unwrap()).await }
    };

    // Nothing monitored yet.
    let (st, v) = get("/v1/monitor/status", "r-key").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["customers"].as_u64(), v["open_alerts"].as_u64()), (Some(0), Some(0)));
    assert!(v["last_run"].is_null(), "{v}");
    assert_error(&post("/v1/monitor/run", "a-key", json!({})).await, 422, "invalid_field");
    let unkeyed = s.client.get(s.url("/v1/monitor/alerts")).send().await.unwrap();
    assert_error(&read(unkeyed).await, 401, "unauthorized");

    // Customers: admin only, checked item by item.
    let customers = json!({"customers": [
        {"id": "c1", "name": "Amir Khan Muttaqi", "nationality": "AF"},
        {"id": 2, "name": "Jane Ordinary", "birth_date": "1980-02-03"},
    ]});
    assert_error(
        &post("/v1/monitor/customers", "r-key", customers.clone()).await,
        403,
        "forbidden",
    );
    let bad = json!({"customers": [{"id": "x", "name": "A B"}, {"id": "y", "name": " "}]});
    let e = post("/v1/monitor/customers", "a-key", bad).await;
    assert_error(&e, 422, "invalid_field");
    assert!(e.1["error"]["message"].as_str().unwrap().starts_with("customers[1]: "), "{}", e.1);
    let e =
        post("/v1/monitor/customers", "a-key", json!({"customers": [{"id": true, "name": "A"}]}))
            .await;
    assert_error(&e, 422, "invalid_field");
    let e = post(
        "/v1/monitor/customers",
        "a-key",
        json!({"customers": [{"id": "a", "name": "A", "pet": 1}]}),
    )
    .await;
    assert_error(&e, 422, "invalid_field");
    assert_error(
        &post("/v1/monitor/customers", "a-key", json!({"customers": []})).await,
        422,
        "invalid_field",
    );
    let (st, v) = post("/v1/monitor/customers", "a-key", customers).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["added"].as_u64(), v["customers"].as_u64()), (Some(2), Some(2)));

    // A run raises the alert on Muttaqi.
    assert_error(&post("/v1/monitor/run", "r-key", json!({})).await, 403, "forbidden");
    assert_error(
        &post("/v1/monitor/run", "a-key", json!({"threshold": 2})).await,
        422,
        "invalid_field",
    );
    let (st, run) = post("/v1/monitor/run", "a-key", json!({})).await;
    assert_eq!(st, StatusCode::OK, "{run}");
    assert_eq!(run["run"]["mode"], "full");
    let raised = run["new_alerts"].as_array().unwrap();
    let alert = raised
        .iter()
        .find(|a| a["customer_id"] == "c1" && a["reference"] == "TAi.026")
        .unwrap_or_else(|| panic!("no alert on TAi.026: {run}"));
    let id = alert["id"].as_i64().unwrap();
    assert!(raised.iter().all(|a| a["customer_id"] != "2"), "{run}");

    let (st, v) = get("/v1/monitor/alerts", "r-key").await;
    assert_eq!(st, StatusCode::OK);
    assert!(v["alerts"].as_array().unwrap().iter().any(|a| a["id"] == id), "{v}");
    assert_error(&get("/v1/monitor/alerts?status=maybe", "r-key").await, 422, "invalid_field");
    let (st, v) = get(&format!("/v1/monitor/alerts/{id}"), "r-key").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["alert"]["status"], "open");
    assert_eq!(v["alert"]["customer_name"], "Amir Khan Muttaqi");
    assert_error(&get("/v1/monitor/alerts/999999", "r-key").await, 404, "not_found");
    assert_error(&get("/v1/monitor/alerts/abc", "r-key").await, 422, "invalid_field");

    // Decisions: admin only, with a verdict and a reason.
    let path = format!("/v1/monitor/alerts/{id}/decision");
    let fp = json!({"verdict": "false_positive", "reason": "another person: born 1990"});
    assert_error(&post(&path, "r-key", fp.clone()).await, 403, "forbidden");
    let e = post(&path, "a-key", json!({"verdict": "maybe", "reason": "x"})).await;
    assert_error(&e, 422, "invalid_field");
    let e = post(&path, "a-key", json!({"verdict": "true_match", "reason": "  "})).await;
    assert_error(&e, 422, "invalid_field");
    let e = post("/v1/monitor/alerts/999999/decision", "a-key", fp.clone()).await;
    assert_error(&e, 404, "not_found");
    let (st, v) = post(&path, "a-key", fp).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["alert"]["status"], "false_positive");
    assert_eq!(v["alert"]["decisions"][0]["decided_by"], "ops", "the key id by default");
    let (_, v) = get("/v1/monitor/alerts", "r-key").await;
    assert!(v["alerts"].as_array().unwrap().iter().all(|a| a["id"] != id), "decided: not open");
    let (_, v) = get("/v1/monitor/alerts?status=all", "r-key").await;
    assert!(v["alerts"].as_array().unwrap().iter().any(|a| a["id"] == id));
    let (_, v) = get("/v1/monitor/status", "r-key").await;
    assert_eq!(v["last_run"]["id"], run["run"]["id"]);

    // Travel: the ban applies to Muttaqi's trip to Russia until an exemption covers it.
    let trip = json!({"reference": "TAi.026", "source": "un", "to": "Russia", "on": "2021-10-20"});
    let (st, v) = post("/v1/check/travel", "r-key", trip.clone()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["verdict"], "travel_ban_applies", "{v}");
    assert_eq!(v["versions"][0]["published"], "2020-12-01");
    let e = post(
        "/v1/check/travel",
        "r-key",
        json!({"reference": "TAi.026", "to": "Atlantis", "on": "2021-10-20"}),
    )
    .await;
    assert_error(&e, 422, "invalid_field");
    let e = post(
        "/v1/check/travel",
        "r-key",
        json!({"reference": "TAi.026", "to": "RU", "on": "2021-13-40"}),
    )
    .await;
    assert_error(&e, 422, "invalid_field");
    let e = post(
        "/v1/check/travel",
        "r-key",
        json!({"reference": "TAi.026", "source": "mars", "to": "RU", "on": "2021-10-20"}),
    )
    .await;
    assert_error(&e, 404, "not_found");

    let exemption = json!({
        "kind": "travel", "reference": "un:TAi.026", "from": "2021-09-23", "to": "2021-12-22",
        "destinations": ["RU"], "purpose": "Moscow format talks", "document": "SC/14660",
    });
    assert_error(&post("/v1/exemptions", "r-key", exemption.clone()).await, 403, "forbidden");
    // The key is checked before the body: a read key learns nothing about the body's shape.
    assert_error(&post("/v1/exemptions", "r-key", json!({})).await, 403, "forbidden");
    let mut bad = exemption.clone();
    bad["kind"] = json!("holiday");
    assert_error(&post("/v1/exemptions", "a-key", bad).await, 422, "invalid_field");
    let mut bad = exemption.clone();
    bad["to"] = json!("2021-09-01");
    assert_error(&post("/v1/exemptions", "a-key", bad).await, 422, "invalid_field");
    let mut bad = exemption.clone();
    bad["to"] = json!("2022-12-22");
    let e = post("/v1/exemptions", "a-key", bad).await;
    assert_error(&e, 422, "invalid_field");
    assert!(e.1["error"]["message"].as_str().unwrap().contains("at most 9 months"), "{}", e.1);
    let mut bad = exemption.clone();
    bad["reference"] = json!("un:TAi.999");
    assert_error(&post("/v1/exemptions", "a-key", bad).await, 404, "not_found");
    let (st, v) = post("/v1/exemptions", "a-key", exemption).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["exemption"]["recorded_by"], "ops");
    assert_eq!(v["exemption"]["regime"], "un-taliban");
    let ex_id = v["exemption"]["id"].clone();

    let (st, v) = get("/v1/exemptions?source=un&reference=TAi.026", "r-key").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["exemptions"].as_array().unwrap().len(), 1);
    let (_, v) = get("/v1/exemptions?source=un&reference=TAi.001", "r-key").await;
    assert_eq!(v["exemptions"].as_array().unwrap().len(), 0);
    assert_error(&get("/v1/exemptions?source=un", "r-key").await, 422, "invalid_field");

    let (st, v) = post("/v1/check/travel", "r-key", trip).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["verdict"], "covered", "{v}");
    assert_eq!(v["covered_by"][0]["id"], ex_id);
    let (_, v) = post(
        "/v1/check/travel",
        "r-key",
        json!({"reference": "un:TAi.026", "to": "RU", "on": "2022-01-10"}),
    )
    .await;
    assert_eq!(v["verdict"], "travel_ban_applies", "after the period: {v}");

    // Payment: the standing humanitarian carve-out for a 1988 hit.
    let (st, v) = post(
        "/v1/check/payment",
        "r-key",
        json!({"name": "Amir Khan Muttaqi", "purpose": "humanitarian"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let hit = &v["hits"][0];
    assert_eq!(hit["hit"]["reference"], "TAi.026");
    assert_eq!(hit["asset_freeze"], true);
    assert!(
        hit["standing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"].as_str().unwrap().contains("2615")),
        "{hit}"
    );
    assert_error(
        &post("/v1/check/payment", "r-key", json!({"name": "", "purpose": "x"})).await,
        422,
        "invalid_field",
    );
    assert_error(
        &post("/v1/check/payment", "r-key", json!({"name": "A", "purpose": "x", "on": "2021"}))
            .await,
        422,
        "invalid_field",
    );
    s.stop().await;

    // Every act is in the audit log, in order, and the chain holds.
    let report = verify_audit_log(&audit).unwrap();
    let events: Vec<String> = lines(&audit)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        events,
        [
            "customers_added",
            "monitor_run",
            "alert_decided",
            "travel_checked",
            "exemption_added",
            "travel_checked",
            "travel_checked",
            "payment_checked",
        ],
    );
    assert_eq!(report.records, 8);
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(!text.contains("Jane Ordinary") && !text.contains("Amir Khan Muttaqi"), "no names");
    let decided: Value = serde_json::from_str(&lines(&audit)[2]).unwrap();
    assert_eq!(decided["actor"], "ops");
    assert_eq!(decided["detail"]["verdict"], "false_positive");
    assert_eq!(decided["detail"]["reference"], "TAi.026");
}

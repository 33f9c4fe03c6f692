//! Fuzz target bodies for `sanctions`, as plain functions that build on stable Rust.
//!
//! Each target takes arbitrary bytes and must neither panic, hang nor allocate without bound;
//! where the code under test promises something checkable, the target asserts it too:
//!
//! | target | code under test | checked besides "no panic" |
//! |---|---|---|
//! | [`un_xml`] | `sanctions_lists::parse_un_xml` | counts agree with the entries; the same result whatever the read buffer size; errors name the file |
//! | [`ofac_csv`] | `sanctions_lists::parse_ofac_csv` (sdn + alt + add, split on `0xFF`) | counts agree; errors name one of the three files |
//! | [`ofac_remarks`] | `sanctions_lists::parse_ofac_remarks` | every non-empty clause is kept somewhere |
//! | [`text`] | `fold`, `to_latin`, `detect_script`, `tokenize`, `skeleton`, `country_code` | `fold` output is clean lowercase ASCII words and idempotent; tokens are folded words |
//! | [`scan`] | `Scanner::scan_message` (text, MT103, pacs.008; first byte picks) over the real UN list | spans lie on character boundaries of the input and hold the text reported |
//! | [`http_body`] | the axum router: `POST /v1/screen`, `/v1/screen/batch`, `/v1/scan` (first byte picks) | never a 5xx; every answer is JSON, errors with a `code` |
//!
//! The cargo-fuzz project in `fuzz/` (nightly, libFuzzer) calls these functions; the stable
//! test `tests/replay.rs` runs them on the seed corpora of [`seeds`] (slices of the real files
//! in the shared data folder), on the committed regression inputs in `regressions/<target>/`,
//! and on a local `fuzz/corpus/<target>/` when one exists. See docs/reliability.md.
#![deny(missing_docs)]

pub mod seeds;

use std::io::BufReader;
use std::path::PathBuf;
use std::sync::OnceLock;

use sanctions_lists::{Input, parse_ofac_csv, parse_ofac_remarks, parse_un_xml};

/// A fuzz target: its name (the cargo-fuzz target and folder name) and its body.
pub struct Target {
    /// Name of the target (`fuzz/fuzz_targets/<name>.rs`, `regressions/<name>/`).
    pub name: &'static str,
    /// The body: panics on a bug.
    pub run: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target { name: "un_xml", run: un_xml },
    Target { name: "ofac_csv", run: ofac_csv },
    Target { name: "ofac_remarks", run: ofac_remarks },
    Target { name: "text", run: text },
    Target { name: "scan", run: scan },
    Target { name: "http_body", run: http_body },
];

/// The shared data folder (`$SANCTIONS_SHARED_DATA`, else `shared/data` beside the project).
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir() && dir.join("ofac").is_dir() && dir.join("mirror").is_dir(),
        "shared data not found at {}: set SANCTIONS_SHARED_DATA to the folder holding un/, \
         ofac/ and mirror/",
        dir.display()
    );
    dir
}

/// The UN list file the scanner and HTTP targets screen against.
const UN_FILE: &str = "un/consolidated-2026-05-08.xml";

/// UN XML: parse the bytes as a consolidated list.
pub fn un_xml(data: &[u8]) {
    let name = "fuzz.xml";
    let whole = parse_un_xml(data, name);
    // Streaming must not depend on where the reader's buffer ends.
    let small = parse_un_xml(BufReader::with_capacity(7, data), name);
    match (&whole, &small) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "buffer size changed the result"),
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "buffer size changed the error")
        }
        _ => panic!("buffer size changed the outcome: {whole:?} vs {small:?}"),
    }
    match whole {
        Ok(list) => {
            let s = &list.stats;
            assert_eq!(s.records, list.entities.len());
            assert!(s.records > 0, "an empty list must be an error");
            assert_eq!(s.persons + s.organizations + s.vessels + s.aircraft, s.records);
            assert_eq!(s.person_alias_entries + s.organization_alias_entries, s.alias_entries);
        }
        Err(e) => {
            assert_eq!(e.file(), name);
            let _ = e.to_string();
        }
    }
}

/// OFAC CSV: the bytes are `sdn 0xFF alt 0xFF add` (alt and add optional).
pub fn ofac_csv(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0xFF);
    let sdn = parts.next().unwrap_or_default();
    let alt = parts.next();
    let add = parts.next();
    let r = parse_ofac_csv(
        Input::new("sdn.csv", sdn),
        alt.map(|d| Input::new("alt.csv", d)),
        add.map(|d| Input::new("add.csv", d)),
    );
    match r {
        Ok(list) => {
            let s = &list.stats;
            assert_eq!(s.records, list.entities.len());
            assert!(s.records > 0, "an empty list must be an error");
            assert_eq!(s.persons + s.organizations + s.vessels + s.aircraft, s.records);
            assert!(s.empty_addresses <= s.addresses);
        }
        Err(e) => {
            assert!(["sdn.csv", "alt.csv", "add.csv"].contains(&e.file()), "{e}");
            let _ = e.to_string();
        }
    }
}

/// The OFAC Remarks grammar: one Remarks field.
pub fn ofac_remarks(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let r = parse_ofac_remarks(s);
    // Nothing is dropped silently: a remark with text yields something.
    let found = r.birth_dates.len()
        + r.birth_places.len()
        + r.nationalities.len()
        + r.citizenships.len()
        + usize::from(r.gender.is_some())
        + r.identifiers.len()
        + r.names.len()
        + r.linked_to.len()
        + r.unparsed.len();
    if s.chars().any(char::is_alphanumeric) {
        assert!(found > 0, "remarks {s:?} gave nothing: {r:?}");
    }
}

fn assert_folded(s: &str) {
    assert!(
        s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' '),
        "not folded: {s:?}"
    );
    assert!(!s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  "), "spaces: {s:?}");
}

/// The normaliser and transliterator on one string.
pub fn text(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let folded = sanctions_text::fold(&s);
    assert_folded(&folded);
    assert_eq!(sanctions_text::fold(&folded), folded, "fold is not idempotent on {s:?}");
    let mut buf = String::from("stale");
    sanctions_text::fold_into(&s, &mut buf);
    assert_eq!(buf, folded, "fold_into differs from fold");
    let latin = sanctions_text::to_latin(&s);
    let _ = sanctions_text::detect_script(&s);
    let _ = sanctions_text::detect_script(&latin);
    let _ = sanctions_text::country_code(&s);
    for t in sanctions_text::tokenize(&s) {
        assert!(!t.text.is_empty(), "empty token from {s:?}");
        let _ = sanctions_text::skeleton(&t.text);
    }
    for w in folded.split(' ').take(8) {
        let key = sanctions_text::skeleton(w);
        for d in sanctions_text::deletions(&key).take(64) {
            let _ = d;
        }
    }
}

struct ScanSetup {
    index: sanctions_index::Index,
    scanner: sanctions_scan::Scanner,
}

fn scan_setup() -> &'static ScanSetup {
    static S: OnceLock<ScanSetup> = OnceLock::new();
    S.get_or_init(|| {
        let path = shared_data().join(UN_FILE);
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let list = parse_un_xml(&data[..], UN_FILE).unwrap_or_else(|e| panic!("{e}"));
        let index = sanctions_index::Index::build(list.entities);
        let scanner = sanctions_scan::Scanner::new(&index);
        ScanSetup { index, scanner }
    })
}

/// The scanner: first byte picks the format (text, MT103, pacs.008), the rest is the message.
pub fn scan(data: &[u8]) {
    use sanctions_scan::{MessageFormat, ScanOptions};
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(msg) = std::str::from_utf8(rest) else { return };
    let format = match sel % 3 {
        0 => MessageFormat::Text,
        1 => MessageFormat::Mt103,
        _ => MessageFormat::Pacs008,
    };
    let s = scan_setup();
    let opts = ScanOptions { threshold: 0.7, limit: 3 };
    let Ok(mentions) = s.scanner.scan_message(&s.index, msg, format, &opts) else { return };
    for m in mentions {
        assert!(
            m.start <= m.end && m.end <= msg.len(),
            "span {}..{} out of bounds",
            m.start,
            m.end
        );
        assert!(msg.is_char_boundary(m.start) && msg.is_char_boundary(m.end), "span splits a char");
        assert!(m.char_start <= m.char_end, "char span reversed");
        assert!(m.line >= 1 && m.column >= 1);
        if format == MessageFormat::Text {
            assert_eq!(m.text, msg[m.start..m.end], "span text differs from the input");
        }
        for h in &m.hits {
            assert!((0.0..=1.0).contains(&h.score), "score {} out of range", h.score);
        }
    }
}

struct HttpSetup {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn http_setup() -> &'static HttpSetup {
    static S: OnceLock<HttpSetup> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut engine = sanctions_engine::Engine::in_memory().expect("in-memory store");
        engine
            .import_files(sanctions_model::Source::Un, &[shared_data().join(UN_FILE)], None, false)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut config = sanctions_server::ServerConfig::new(dir.path().join("unused.sqlite"));
        config.audit_log = Some(dir.path().join("audit.jsonl"));
        let state = sanctions_server::AppState::new(engine, config).expect("server state");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        HttpSetup { rt, router: sanctions_server::router(state), _dir: dir }
    })
}

/// The routes that take a JSON body.
const BODY_ROUTES: &[&str] = &["/v1/screen", "/v1/screen/batch", "/v1/scan"];

/// HTTP request bodies: first byte picks the route, the rest is the body of a POST.
pub fn http_body(data: &[u8]) {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let Some((&sel, body)) = data.split_first() else { return };
    let route = BODY_ROUTES[usize::from(sel) % BODY_ROUTES.len()];
    let s = http_setup();
    let req = Request::post(route)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_vec()))
        .expect("request");
    let (status, bytes) = s.rt.block_on(async {
        let resp = s.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let bytes =
            axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("response body");
        (status, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{route}: {status} for body {:?}: {}",
        String::from_utf8_lossy(body),
        String::from_utf8_lossy(&bytes)
    );
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{route}: {status}: answer is not JSON ({e})"));
    if !status.is_success() {
        assert!(v["error"]["code"].is_string(), "{route}: {status}: error without a code: {v}");
    }
}

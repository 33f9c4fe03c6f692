//! `sanctions scan`: the command's edges, on a store holding the real lists (UN 2026-05-08,
//! OFAC SDN 2021-07-07) of the shared data folder (`../shared/data`, or
//! `$SANCTIONS_SHARED_DATA`). The matching itself is tested in `crates/scan/tests`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir() && dir.join("ofac").is_dir(),
        "shared test data not found at {}: set SANCTIONS_SHARED_DATA to the folder holding un/ and ofac/",
        dir.display()
    );
    dir
}

const URL_VARS: [&str; 4] = [
    "SANCTIONS_URL_UN",
    "SANCTIONS_URL_OFAC_SDN",
    "SANCTIONS_URL_OFAC_ALT",
    "SANCTIONS_URL_OFAC_ADD",
];

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(db: &Path, args: &[&str], stdin: Option<&[u8]>) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sanctions"));
    c.arg("--db").arg(db).args(args);
    c.env_remove("SANCTIONS_DB").env_remove("SANCTIONS_MIRROR");
    for v in URL_VARS {
        c.env(v, "http://127.0.0.1:1/not-used");
    }
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("run sanctions");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A store with the real lists, imported once for all tests.
fn store() -> &'static Path {
    static S: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, db) = S.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("sanctions.sqlite");
        let data = shared_data();
        let un = data.join("un/consolidated-2026-05-08.xml");
        let o = run(&db, &["import", "un", un.to_str().unwrap()], None);
        assert_eq!(o.code, Some(0), "import un: {}", o.stderr);
        let f = |n: &str| data.join("ofac").join(n).display().to_string();
        let (sdn, alt, add) = (
            f("watchman-2021-07-07-sdn.csv"),
            f("watchman-2021-07-07-alt.csv"),
            f("watchman-2021-07-07-add.csv"),
        );
        let o = run(&db, &["import", "ofac", &sdn, &alt, &add, "--published", "2021-07-07"], None);
        assert_eq!(o.code, Some(0), "import ofac: {}", o.stderr);
        (dir, db)
    });
    db
}

/// An empty store (nothing loaded, downloads impossible).
fn empty() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("empty.sqlite");
    (dir, db)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scan/tests/fixtures")).join(name)
}

fn json(o: &Out) -> Value {
    assert_eq!(o.code, Some(0), "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

#[test]
fn text_file_json_reports_spans_entries_and_versions() {
    let f = fixture("news_kabul.txt");
    let v = json(&run(store(), &["--json", "scan", f.to_str().unwrap()], None));
    let ms = v["mentions"].as_array().expect("mentions");
    let m = ms.iter().find(|m| m["text"] == "Amir Khan Muttaqi").expect("Muttaqi");
    assert_eq!(m["line"], 1);
    let text = std::fs::read_to_string(&f).unwrap();
    let (s, e) = (m["start"].as_u64().unwrap() as usize, m["end"].as_u64().unwrap() as usize);
    assert_eq!(&text[s..e], "Amir Khan Muttaqi");
    assert_eq!(m["hits"][0]["reference"], "TAi.026");
    assert_eq!(m["hits"][0]["source"], "un");
    assert!(m["hits"][0]["explanation"]["words"].as_array().is_some_and(|w| w.len() >= 3));
    assert!(m.get("field").is_none());
    assert_eq!(v["versions"].as_array().unwrap().len(), 2);
    assert_eq!(v["format"], "text");
}

#[test]
fn standard_input_and_text_rendering() {
    let o =
        run(store(), &["scan", "-"], Some("Talks with Abdul Ghani Baradar stalled.\n".as_bytes()));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("1 mention:"), "{}", o.stdout);
    assert!(o.stdout.contains("un:TAi.024"), "{}", o.stdout);
    assert!(o.stdout.contains("line 1, column 12"), "{}", o.stdout);
    let o = run(store(), &["scan", "-"], Some(b"The library opens at nine on Saturday.\n"));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("No listed name mentioned."), "{}", o.stdout);
}

#[test]
fn payment_messages_name_their_fields() {
    let f = fixture("mt103_listed.txt");
    let v =
        json(&run(store(), &["--json", "scan", "--format", "mt103", f.to_str().unwrap()], None));
    let ms = v["mentions"].as_array().unwrap();
    let m = ms.iter().find(|m| m["field"]["tag"] == "59").expect("field 59");
    assert_eq!(m["field"]["label"], "beneficiary customer");
    assert_eq!(m["hits"][0]["reference"], "TAi.024");
    let f = fixture("pacs008_listed.xml");
    let o = run(store(), &["scan", "--format", "pacs008", f.to_str().unwrap()], None);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("field CdtTrfTxInf[2]/Cdtr/Nm (creditor, line 27)"), "{}", o.stdout);
}

#[test]
fn bad_input_is_refused_before_loading_lists() {
    let (dir, db) = empty();
    // Malformed messages name the field or line; nothing is downloaded first.
    let bad = dir.path().join("bad.mt103");
    std::fs::write(&bad, ":20:REF\n:32A:260508USD10,00\n:50K:JOHN\n").unwrap();
    let o = run(&db, &["scan", "--format", "mt103", bad.to_str().unwrap()], None);
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.stderr.contains("59a") && o.stderr.contains("bad.mt103"), "{}", o.stderr);
    assert!(!o.stderr.contains("download"), "{}", o.stderr);
    let xml = dir.path().join("bad.xml");
    std::fs::write(&xml, "<Document>\n<FIToFICstmrCdtTrf>\n<CdtTrfTxInf><Dbtr><Nm>A</Dbtr>")
        .unwrap();
    let o = run(&db, &["scan", "--format", "pacs008", xml.to_str().unwrap()], None);
    assert_eq!(o.code, Some(1), "{}", o.stderr);
    assert!(o.stderr.contains("line 3"), "{}", o.stderr);
    // Not UTF-8.
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"Caf\xe9 de Flore\n").unwrap();
    let o = run(&db, &["scan", latin1.to_str().unwrap()], None);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("not UTF-8") && o.stderr.contains("offset 3"), "{}", o.stderr);
    // Missing file, bad threshold, bad date, unknown format.
    let o = run(&db, &["scan", "/nonexistent/news.txt"], None);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("cannot open"), "{}", o.stderr);
    let t = latin1.to_str().unwrap();
    let o = run(&db, &["scan", "--threshold", "1.5", t], None);
    assert!(o.code == Some(1) && o.stderr.contains("--threshold"), "{}", o.stderr);
    let o = run(&db, &["scan", "--as-of", "May 2026", t], None);
    assert!(o.code == Some(1) && o.stderr.contains("--as-of"), "{}", o.stderr);
    let o = run(&db, &["scan", "--format", "mt202", t], None);
    assert_eq!(o.code, Some(2), "clap usage error: {}", o.stderr);
}

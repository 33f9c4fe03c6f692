//! Integration tests of the `sanctions` command.
//!
//! Every test runs the real binary against its own temporary store (`--db`), on the real list
//! files of the shared data folder (`../shared/data`, or `$SANCTIONS_SHARED_DATA`). Screening
//! scores move as the scoring code is tuned, so the tests assert on ranks and inclusion, never
//! on exact scores.
//!
//! Regression tests for bugs found here are named after what they guard.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The shared data folder; fails loudly (never skips) when it is missing.
fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir() && dir.join("ofac").is_dir() && dir.join("mirror").is_dir(),
        "shared test data not found at {}: these tests need the real list files (un/, ofac/, \
         mirror/). Set SANCTIONS_SHARED_DATA to the folder that holds them.",
        dir.display()
    );
    dir
}

fn un_file(date: &str) -> PathBuf {
    let p = shared_data().join("un").join(format!("consolidated-{date}.xml"));
    assert!(p.is_file(), "missing shared data file {}", p.display());
    p
}

fn ofac_file(name: &str) -> PathBuf {
    let p = shared_data().join("ofac").join(name);
    assert!(p.is_file(), "missing shared data file {}", p.display());
    p
}

fn mirror() -> PathBuf {
    shared_data().join("mirror")
}

/// A port nothing listens on, for the download addresses of tests that must not download.
const DEAD_URL: &str = "http://127.0.0.1:1/not-used";

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    #[allow(dead_code, reason = "shown by Debug in failure messages")]
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        self
    }

    /// Asserts the exit code and returns self.
    #[track_caller]
    fn code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "expected exit code {code}: {self:#?}");
        self
    }

    /// Asserts a user error (exit 1) whose message contains every one of `needles`.
    #[track_caller]
    fn user_error(self, needles: &[&str]) -> Run {
        let r = self.code(1);
        for n in needles {
            assert!(r.stderr.contains(n), "stderr should mention {n:?}: {r:#?}");
        }
        r
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }
}

/// A temporary store, and the way to run the binary on it.
struct Store {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Store {
    fn new() -> Store {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("store").join("sanctions.sqlite");
        Store { dir, db }
    }

    /// A temporary folder for test files, removed with the store.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write test file");
        p
    }

    /// The command on this store, with an environment that can neither reach another store nor
    /// the internet.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sanctions"));
        c.arg("--db").arg(&self.db).args(args);
        c.env_remove("SANCTIONS_DB").env_remove("SANCTIONS_MIRROR");
        for var in URL_VARS {
            c.env(var, DEAD_URL);
        }
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run sanctions");
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs with `--json`, asserts success and parses standard output.
    #[track_caller]
    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        self.run(&a).ok().json()
    }

    fn import(&self, source: &str, files: &[&Path]) -> Value {
        let mut args = vec!["--json".to_string(), "import".into(), source.into()];
        args.extend(files.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&args).ok().json()
    }

    /// Every version held (`lists --json`).
    fn versions(&self) -> Vec<Value> {
        self.json(&["lists"]).as_array().expect("lists --json is an array").clone()
    }
}

const URL_VARS: [&str; 4] = [
    "SANCTIONS_URL_UN",
    "SANCTIONS_URL_OFAC_SDN",
    "SANCTIONS_URL_OFAC_ALT",
    "SANCTIONS_URL_OFAC_ADD",
];

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The hits of `screen --json` as (source, reference), best first.
fn hits(screen: &Value) -> Vec<(String, String)> {
    screen["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits array in {screen:#}"))
        .iter()
        .map(|h| {
            (
                h["source"].as_str().expect("source").to_string(),
                h["reference"].as_str().expect("reference").to_string(),
            )
        })
        .collect()
}

fn hit(source: &str, reference: &str) -> (String, String) {
    (source.to_string(), reference.to_string())
}

/// The references of a diff section ("added", "removed", "amended").
fn refs(diff: &Value, section: &str) -> Vec<String> {
    diff[section]
        .as_array()
        .unwrap_or_else(|| panic!("no {section} in diff"))
        .iter()
        .map(|e| e["reference"].as_str().expect("reference").to_string())
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

const UN_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://www.un.org/sc/resources/sc-sanctions.xsd" dateGenerated="2026-06-01T00:00:00.000Z">
"#;

/// A well-formed UN individual record.
fn un_individual(dataid: u32, reference: &str, first: &str, second: &str) -> String {
    format!(
        "    <INDIVIDUAL>
      <DATAID>{dataid}</DATAID>
      <VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>{first}</FIRST_NAME>
      <SECOND_NAME>{second}</SECOND_NAME>
      <UN_LIST_TYPE>Taliban</UN_LIST_TYPE>
      <REFERENCE_NUMBER>{reference}</REFERENCE_NUMBER>
      <LISTED_ON>2026-06-01</LISTED_ON>
      <NATIONALITY><VALUE>Afghanistan</VALUE></NATIONALITY>
      <LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
    </INDIVIDUAL>
"
    )
}

/// A hand-made UN list (same root as the official file) holding `individuals`.
fn un_xml(individuals: &[String]) -> String {
    format!(
        "{UN_HEAD}  <INDIVIDUALS>\n{}  </INDIVIDUALS>\n  <ENTITIES/>\n</CONSOLIDATED_LIST>\n",
        individuals.concat()
    )
}

// ---------------------------------------------------------------------------------------------
// 1. Foundation: update from the mirror, screen
// ---------------------------------------------------------------------------------------------

#[test]
fn update_from_mirror_then_screen() {
    let s = Store::new();
    let reports = s.json(&["update", "--mirror", p(&mirror())]);
    let reports = reports.as_array().expect("update --json is an array");
    let created: Vec<&str> = reports
        .iter()
        .map(|r| {
            assert_eq!(r["outcome"]["outcome"], "created", "{r:#}");
            r["source"].as_str().unwrap()
        })
        .collect();
    assert_eq!(created, ["un", "ofac"]);
    let before = s.versions();
    assert_eq!(before.len(), 2);

    for name in ["Amir Khan Muttaqi", "MOTAQI Amir Khan"] {
        let r = s.json(&["screen", name]);
        assert_eq!(hits(&r).first(), Some(&hit("un", "TAi.026")), "{name}: {r:#}");
    }
    let r = s.json(&["screen", "Abdul Ghani Baradar"]);
    assert_eq!(hits(&r).first(), Some(&hit("un", "TAi.024")), "{r:#}");

    let r = s.json(&["screen", "Taliban", "--kind", "organization"]);
    assert!(hits(&r).contains(&hit("ofac", "6636")), "{r:#}");
    for h in r["hits"].as_array().unwrap() {
        assert_eq!(h["kind"], "organization", "--kind organization returned {h:#}");
    }

    let r = s.json(&["screen", "John Smith"]);
    assert!(hits(&r).is_empty(), "John Smith should not hit at the default threshold: {r:#}");

    // The same files again: nothing new.
    let again = s.run(&["update", "--mirror", p(&mirror())]).ok();
    assert_eq!(again.stdout.matches("unchanged").count(), 2, "{again:#?}");
    assert_eq!(s.versions(), before, "a second update must not create a version");
}

#[test]
fn screen_on_an_empty_store_loads_the_lists_from_sanctions_mirror() {
    let s = Store::new();
    let mirror = mirror();
    let r = s
        .run_with(&["--json", "screen", "Amir Khan Muttaqi"], &[("SANCTIONS_MIRROR", p(&mirror))])
        .ok();
    assert_eq!(hits(&r.json()).first(), Some(&hit("un", "TAi.026")), "{r:#?}");
    let sources: Vec<String> =
        s.versions().iter().map(|v| v["source"].as_str().unwrap().to_string()).collect();
    assert_eq!(sources, ["un", "ofac"]);
}

// ---------------------------------------------------------------------------------------------
// 2. Import and screen errors
// ---------------------------------------------------------------------------------------------

#[test]
fn import_errors_change_nothing() {
    let s = Store::new();
    s.import("un", &[&un_file("2026-02-27")]);
    let before = s.versions();
    assert_eq!(before.len(), 1);

    // Malformed XML: the closing tag on line 8 is wrong.
    let bad = un_xml(&[un_individual(9_999_001, "TAi.901", "JOHN", "TESTPERSON")])
        .replace("    </INDIVIDUAL>\n", "    </INDIVIDUL>\n");
    let line = 1 + bad.lines().position(|l| l.contains("</INDIVIDUL>")).expect("bad tag");
    let bad = s.write("malformed.xml", &bad);
    s.run(&["import", "un", p(&bad)]).user_error(&[&format!("{}:{line}", bad.display())]);
    assert_eq!(s.versions(), before);

    let missing = s.path("no-such-file.xml");
    s.run(&["import", "un", p(&missing)]).user_error(&["cannot read", p(&missing)]);

    s.run(&["import", "xx", p(&un_file("2026-02-27"))]).user_error(&["\"xx\"", "un, ofac"]);

    let sdn = ofac_file("sdn-2021-08-18.csv");
    s.run(&["import", "ofac", p(&sdn), "--published", "2022-13-01"])
        .user_error(&["--published", "2022-13-01"]);
    s.run(&["import", "ofac", p(&sdn), "--published", "2022-02"]).user_error(&["full date"]);

    assert_eq!(s.versions(), before, "failed imports must not add a version");
}

#[test]
fn bad_screen_input_is_a_user_error() {
    let s = Store::new();
    s.import("un", &[&un_file("2026-02-27")]);
    let cases: [(&[&str], &[&str]); 7] = [
        (&["screen", ""], &["empty"]),
        (&["screen", "   "], &["empty"]),
        (&["screen", "Amir", "--threshold", "2"], &["--threshold", "between 0 and 1"]),
        (&["screen", "Amir", "--dob", "19xx"], &["birth date", "19xx"]),
        (&["screen", "Amir", "--kind", "spaceship"], &["spaceship", "person"]),
        (&["screen", "Amir", "--limit", "0"], &["--limit"]),
        (&["screen", "Amir", "--as-of", "2026-02-30"], &["--as-of"]),
    ];
    for (args, needles) in cases {
        let r = s.run(args).user_error(needles);
        assert!(r.stdout.is_empty(), "{r:#?}");
    }
    // No list published that early.
    s.run(&["screen", "Amir", "--as-of", "2001-01-01"]).user_error(&["2001-01-01"]);
}

#[test]
fn bad_screen_input_is_rejected_before_loading_lists() {
    let s = Store::new();
    for (args, needle) in [
        (&["screen", ""][..], "empty"),
        (&["screen", "Amir", "--dob", "19xx"][..], "19xx"),
        (&["screen", "Amir", "--kind", "spaceship"][..], "spaceship"),
    ] {
        let r = s.run(args).user_error(&[needle]);
        assert!(!r.stderr.contains("download"), "input checked only after a download: {r:#?}");
    }
}

#[test]
fn error_messages_do_not_repeat_themselves() {
    let s = Store::new();
    let missing = s.path("no-such-file.xml");
    let r = s.run(&["import", "un", p(&missing)]).code(1);
    assert_eq!(r.stderr.matches("No such file").count(), 1, "{r:#?}");
    let empty = s.write("empty.xml", &un_xml(&[]));
    let r = s.run(&["import", "un", p(&empty)]).code(1);
    assert_eq!(r.stderr.matches("no entries").count(), 1, "{r:#?}");
}

#[test]
fn a_store_that_is_not_a_database_is_an_internal_error() {
    let s = Store::new();
    let garbage = s.write("garbage.sqlite", &"this is not a database\n".repeat(200));
    let r = Command::new(env!("CARGO_BIN_EXE_sanctions"))
        .arg("--db")
        .arg(&garbage)
        .arg("lists")
        .output()
        .expect("run sanctions");
    assert_eq!(r.status.code(), Some(2), "{r:?}");
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot open the store"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// 3. UN versions: diff, history, show --as-of
// ---------------------------------------------------------------------------------------------

#[test]
fn un_versions_diff_history_and_show() {
    let s = Store::new();
    // Newest first: versions are ordered by publication date, not by import order.
    s.import("un", &[&un_file("2026-05-08")]);
    s.import("un", &[&un_file("2026-02-27")]);
    let published: Vec<String> =
        s.versions().iter().map(|v| v["published"].as_str().unwrap().to_string()).collect();
    assert_eq!(published, ["2026-02-27", "2026-05-08"]);

    // `diff un` compares the latest publication with the one before it.
    let default = s.json(&["diff", "un"]);
    assert_eq!(default["from"]["published"], "2026-02-27");
    assert_eq!(default["to"]["published"], "2026-05-08");

    let d = s.json(&["diff", "un", "2026-02-27", "2026-05-08"]);
    assert_eq!(d, default);
    let added = refs(&d, "added");
    assert_eq!(added.len(), 7, "added: {added:?}");
    for r in ["QDi.437", "QDi.438", "QDi.439", "SDi.011", "SDi.012", "SDi.013", "SDi.014"] {
        assert!(added.iter().any(|a| a == r), "{r} not in added {added:?}");
    }
    assert_eq!(refs(&d, "removed"), ["QDe.137"]);
    let amended = d["amended"].as_array().unwrap();
    let tai003 = amended.iter().find(|a| a["reference"] == "TAi.003").expect("TAi.003 amended");
    let names = tai003["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "names")
        .unwrap_or_else(|| panic!("no names change in {tai003:#}"));
    assert!(strs(&names["added"]).contains(&"ABDUL KABIR MUHAMMAD JAN (alias)"), "{names:#}");
    // The 2026-05-08 file adds new fields (HAS_INTERPOL_LINK...) to every record; count the
    // TAi entries with a change to their content proper.
    let tai_content = amended
        .iter()
        .filter(|a| a["reference"].as_str().unwrap().starts_with("TAi."))
        .filter(|a| {
            a["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| !c["field"].as_str().unwrap().starts_with("extra."))
        })
        .count();
    assert!(tai_content >= 25, "only {tai_content} TAi entries amended");

    // Two files with the same content (only dateGenerated differs).
    s.import("un", &[&un_file("2025-12-10")]);
    s.import("un", &[&un_file("2026-01-28")]);
    let d = s.json(&["diff", "un", "2025-12-10", "2026-01-28"]);
    for section in ["added", "removed", "amended"] {
        assert!(refs(&d, section).is_empty(), "{section} should be empty: {d:#}");
    }
    assert_eq!(d["unchanged"], 999);

    // 2020-11-30 → 2020-12-01: twelve Iraq-regime entries delisted (11 IQe and IQi.035).
    s.import("un", &[&un_file("2020-11-30")]);
    s.import("un", &[&un_file("2020-12-01")]);
    let d = s.json(&["diff", "un", "2020-11-30", "2020-12-01"]);
    let removed = refs(&d, "removed");
    assert_eq!(removed.len(), 12, "{removed:?}");
    assert!(removed.iter().all(|r| r.starts_with("IQ")), "{removed:?}");
    assert_eq!(removed.iter().filter(|r| r.starts_with("IQe.")).count(), 11, "{removed:?}");
    assert!(refs(&d, "added").is_empty() && refs(&d, "amended").is_empty(), "{d:#}");

    // History: listed in the oldest version, amended since; the 2026-05-08 step adds the alias.
    let h = s.json(&["history", "un:TAi.003"]);
    let steps = h["history"].as_array().expect("history array");
    assert_eq!(steps[0]["event"], "listed", "{h:#}");
    assert_eq!(steps[0]["first"]["published"], "2020-11-30");
    let last = steps.last().unwrap();
    assert_eq!(last["event"], "amended", "{h:#}");
    assert_eq!(last["first"]["published"], "2026-05-08");
    assert!(last["ended"].is_null());
    assert!(
        last["changes"].as_array().unwrap().iter().any(|c| c["field"] == "names"
            && strs(&c["added"]).contains(&"ABDUL KABIR MUHAMMAD JAN (alias)")),
        "{last:#}"
    );

    // A delisted entry: shown as of a date when it was listed, unknown in the latest list.
    let e = s.json(&["show", "un:QDe.137", "--as-of", "2026-03-01"]);
    assert_eq!(e["entity"]["reference"], "QDe.137");
    assert_eq!(e["version"]["published"], "2026-02-27");
    s.run(&["show", "un:QDe.137"]).user_error(&["QDe.137"]);
}

#[test]
fn history_header_names_the_entry_once() {
    let s = Store::new();
    let one = un_xml(&[un_individual(9_999_001, "TAi.901", "JOHN", "TESTPERSON")]);
    s.import("un", &[&s.write("one.xml", &one)]);
    let r = s.run(&["history", "un:TAi.901"]).ok();
    assert!(r.stdout.starts_with("History of un:TAi.901\n"), "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// 4. OFAC versions and --as-of
// ---------------------------------------------------------------------------------------------

#[test]
fn ofac_versions_dates_from_file_names_and_as_of() {
    let s = Store::new();
    // Putin (35096) was designated on 2022-02-28: he is in sdn-2022-03-31.csv, the first file
    // after that date, and in none before it.
    for f in
        ["sdn-2022-02-25.csv", "sdn-2021-08-18.csv", "sdn-2022-03-31.csv", "sdn-2022-02-24.csv"]
    {
        let r = s.import("ofac", &[&ofac_file(f)]);
        assert_eq!(r["published_from"], "the file name", "{r:#}");
        assert_eq!(r["outcome"]["version"]["published"], &f[4..14], "{r:#}");
    }
    let published: Vec<String> =
        s.versions().iter().map(|v| v["published"].as_str().unwrap().to_string()).collect();
    assert_eq!(published, ["2021-08-18", "2022-02-24", "2022-02-25", "2022-03-31"]);

    let d = s.json(&["diff", "ofac", "2022-02-24", "2022-02-25"]);
    let added = refs(&d, "added");
    assert!(added.len() >= 80, "only {} added: {added:?}", added.len());
    // VTB Bank, Sechin, Otkritie, Sovcombank.
    for r in ["17013", "34558", "34497", "34737"] {
        assert!(added.iter().any(|a| a == r), "{r} not in added");
    }
    assert!(refs(&d, "removed").is_empty(), "{d:#}");

    let putin = hit("ofac", "35096");
    let before = s.json(&["screen", "Vladimir Putin", "--as-of", "2021-10-20"]);
    assert_eq!(before["versions"][0]["published"], "2021-08-18");
    assert!(!hits(&before).contains(&putin), "{before:#}");
    let day_after = s.json(&["screen", "Vladimir Putin", "--as-of", "2022-03-01"]);
    assert_eq!(day_after["versions"][0]["published"], "2022-02-25");
    assert!(!hits(&day_after).contains(&putin), "{day_after:#}");
    let after = s.json(&["screen", "Vladimir Putin", "--as-of", "2022-03-31"]);
    assert!(hits(&after).contains(&putin), "{after:#}");
    let latest = s.json(&["screen", "Vladimir Putin"]);
    assert!(hits(&latest).contains(&putin), "{latest:#}");
}

// ---------------------------------------------------------------------------------------------
// 5. Shrink guard
// ---------------------------------------------------------------------------------------------

#[test]
fn a_list_that_shrinks_is_refused_unless_forced() {
    let s = Store::new();
    s.import("un", &[&un_file("2026-05-08")]);
    let before = s.versions();

    let one = un_xml(&[un_individual(9_999_001, "TAi.901", "JOHN", "TESTPERSON")]);
    let one = s.write("one-entry.xml", &one);
    s.run(&["import", "un", p(&one)]).user_error(&["refusing", "drops", "force"]);
    assert_eq!(s.versions(), before, "a refused import must not add a version");

    let r = s.run(&["--json", "import", "un", p(&one), "--force"]).ok().json();
    assert_eq!(r["outcome"]["outcome"], "created", "{r:#}");
    assert_eq!(r["outcome"]["change"]["removed"], 1009, "{r:#}");
    assert_eq!(s.versions().len(), before.len() + 1);

    let empty = s.write("no-entries.xml", &un_xml(&[]));
    s.run(&["import", "un", p(&empty), "--force"]).user_error(&["no entries"]);
    assert_eq!(s.versions().len(), before.len() + 1);
}

#[test]
fn shrink_refusal_names_the_force_flag() {
    let s = Store::new();
    let ten: Vec<String> = (0..10)
        .map(|i| un_individual(9_999_000 + i, &format!("TAi.9{i:02}"), "JOHN", &format!("TEST{i}")))
        .collect();
    s.import("un", &[&s.write("ten.xml", &un_xml(&ten))]);
    let one = s.write("one.xml", &un_xml(&ten[..1]).replace("2026-06-01T", "2026-06-02T"));
    s.run(&["import", "un", p(&one)]).user_error(&["--force"]);
}

// ---------------------------------------------------------------------------------------------
// 6. Batch screening
// ---------------------------------------------------------------------------------------------

#[test]
fn batch_jsonl_and_csv() {
    let s = Store::new();
    s.import("un", &[&mirror().join("un").join("consolidated.xml")]);

    let queries = s.write(
        "queries.jsonl",
        concat!(
            r#"{"qid":"q-muttaqi","name":"Amir Khan Muttaqi"}"#,
            "\n",
            r#"{"qid":"q-plain","name":"Maria Gonzalez","kind":"person","birth_date":"1980-04-02","nationality":"ES"}"#,
            "\n\n",
            r#"{"qid":42,"name":"امیر خان متقی"}"#,
            "\n",
        ),
    );
    let r = s.run(&["screen", "--batch", p(&queries), "--explain"]).ok();
    assert!(!r.stderr.contains('\x1b'), "ANSI escapes in piped stderr: {r:#?}");
    assert!(r.stderr.trim().is_empty(), "progress output on a pipe: {r:#?}");
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "{r:#?}");
    assert_eq!(lines[0]["qid"], "q-muttaqi");
    assert_eq!(lines[1]["qid"], "q-plain");
    assert_eq!(lines[2]["qid"], 42);
    let first_ref = |l: &Value| l["matches"][0]["reference"].as_str().map(str::to_string);
    assert_eq!(first_ref(&lines[0]).as_deref(), Some("TAi.026"), "{:#}", lines[0]);
    assert!(lines[0]["matches"][0]["explanation"].is_object(), "--explain: {:#}", lines[0]);
    assert_eq!(first_ref(&lines[2]).as_deref(), Some("TAi.026"), "Arabic script: {:#}", lines[2]);
    assert!(
        !lines[1]["matches"].as_array().unwrap().iter().any(|m| m["reference"] == "TAi.026"),
        "{:#}",
        lines[1]
    );

    // CSV in, CSV out, to a file.
    let csv_in = s.write(
        "customers.csv",
        "qid,name,kind,birth_date,nationality\n\
         c1,Amir Khan Muttaqi,person,,\n\
         c2,\"Smith, John\",person,1970,US\n\
         c3,Abdul Ghani Baradar,,1968,Afghanistan\n",
    );
    let out = s.path("results.csv");
    let r = s.run(&["screen", "--batch", p(&csv_in), "--format", "csv", "-o", p(&out)]).ok();
    assert!(r.stdout.is_empty(), "-o should leave stdout empty: {r:#?}");
    let text = std::fs::read_to_string(&out).expect("output file");
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("qid,rank,source,reference,score,name"));
    let rows: Vec<Vec<&str>> = rows.map(|l| l.split(',').collect()).collect();
    let first_of = |qid: &str| rows.iter().find(|r| r[0] == qid).cloned();
    let c1 = first_of("c1").unwrap_or_else(|| panic!("no row for c1:\n{text}"));
    assert_eq!(&c1[1..4], ["1", "un", "TAi.026"], "{text}");
    let c3 = first_of("c3").unwrap_or_else(|| panic!("no row for c3:\n{text}"));
    assert_eq!(&c3[1..4], ["1", "un", "TAi.024"], "{text}");
    let order: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    let pos = |q: &str| order.iter().position(|x| *x == q).unwrap();
    assert!(pos("c1") < pos("c3"), "rows out of input order:\n{text}");

    // A malformed line stops the batch with its file and line number.
    let bad = s.write(
        "bad.jsonl",
        "{\"qid\":\"ok\",\"name\":\"Amir Khan Muttaqi\"}\n{\"qid\":\"bad\" \"name\":\"x\"}\n",
    );
    s.run(&["screen", "--batch", p(&bad)]).user_error(&[&format!("{}:2", bad.display())]);
    let empty_name =
        s.write("empty-name.jsonl", "{\"qid\":1,\"name\":\"Amir\"}\n{\"name\":\"\"}\n");
    s.run(&["screen", "--batch", p(&empty_name)])
        .user_error(&[&format!("{}:2", empty_name.display()), "empty"]);
}

#[test]
fn batch_csv_on_standard_input() {
    let s = Store::new();
    let one = un_xml(&[un_individual(9_999_001, "TAi.901", "JOHN", "TESTPERSON")]);
    s.import("un", &[&s.write("one.xml", &one)]);
    let mut child = s
        .command(&["screen", "--batch", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"qid,name,kind,birth_date,nationality\nc1,John Testperson,person,,\n")
        .unwrap();
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.lines().any(|l| l.starts_with("c1,1,un,TAi.901,")), "{stdout}");
}

// ---------------------------------------------------------------------------------------------
// 7. update over HTTP
// ---------------------------------------------------------------------------------------------

/// How the test server answers.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Serve the file.
    Ok,
    /// HTTP 500.
    Error500,
    /// A 200 HTML page.
    Html,
    /// Announce the file's length and close halfway through the body.
    Truncated,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 serving `/NAME` from `files`; requests for `bad_path`
/// get `bad_mode`, all others are served normally.
struct Server {
    base: String,
}

impl Server {
    fn start(
        files: Vec<(&'static str, PathBuf)>,
        bad_path: &'static str,
        bad_mode: Mode,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let files = Arc::new(files);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let files = Arc::clone(&files);
                std::thread::spawn(move || {
                    let _ = serve(stream, &files, bad_path, bad_mode);
                });
            }
        });
        Server { base }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// The SANCTIONS_URL_* variables pointing at this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SANCTIONS_URL_UN", self.url("consolidated.xml")),
            ("SANCTIONS_URL_OFAC_SDN", self.url("sdn.csv")),
            ("SANCTIONS_URL_OFAC_ALT", self.url("alt.csv")),
            ("SANCTIONS_URL_OFAC_ADD", self.url("add.csv")),
        ]
    }
}

fn serve(
    mut stream: TcpStream,
    files: &[(&'static str, PathBuf)],
    bad_path: &str,
    bad_mode: Mode,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
    let mode = if path == bad_path { bad_mode } else { Mode::Ok };
    let file = files.iter().find(|(name, _)| *name == path);
    let respond = |stream: &mut TcpStream, status: &str, ctype: &str, body: &[u8]| {
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        stream.write_all(body)?;
        stream.flush()
    };
    match (mode, file) {
        (Mode::Error500, _) => {
            respond(&mut stream, "500 Internal Server Error", "text/plain", b"server error")
        }
        (Mode::Html, _) => respond(
            &mut stream,
            "200 OK",
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><body>Please log in to continue.</body></html>",
        ),
        (_, None) => respond(&mut stream, "404 Not Found", "text/plain", b"not found"),
        (Mode::Ok, Some((_, f))) => {
            let mut body = Vec::new();
            std::fs::File::open(f)?.read_to_end(&mut body)?;
            respond(&mut stream, "200 OK", "application/octet-stream", &body)
        }
        (Mode::Truncated, Some((_, f))) => {
            let body = std::fs::read(f)?;
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(&body[..body.len() / 2])?;
            stream.flush()?;
            stream.shutdown(std::net::Shutdown::Both)
        }
    }
}

fn mirror_files() -> Vec<(&'static str, PathBuf)> {
    let m = mirror();
    vec![
        ("consolidated.xml", m.join("un").join("consolidated.xml")),
        ("sdn.csv", m.join("ofac").join("sdn.csv")),
        ("alt.csv", m.join("ofac").join("alt.csv")),
        ("add.csv", m.join("ofac").join("add.csv")),
    ]
}

fn run_update(s: &Store, server: &Server) -> Run {
    let env = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    s.run_with(&["--json", "update"], &env)
}

#[test]
fn update_downloads_both_lists() {
    let s = Store::new();
    let server = Server::start(mirror_files(), "", Mode::Ok);
    let r = run_update(&s, &server).ok();
    let reports = r.json();
    let reports = reports.as_array().expect("array");
    assert_eq!(reports.len(), 2, "{r:#?}");
    for (report, source) in reports.iter().zip(["un", "ofac"]) {
        assert_eq!(report["source"], source);
        assert_eq!(report["outcome"]["outcome"], "created", "{report:#}");
    }
    let versions = s.versions();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["published"], "2026-05-08", "the UN list's own date");
    assert_eq!(versions[1]["files"][0], server.url("sdn.csv"));
    assert!(versions[1]["counts"]["entities"].as_u64().unwrap() > 8000, "{:#}", versions[1]);
}

#[test]
fn update_refuses_bad_downloads_and_changes_nothing() {
    let s = Store::new();
    // The failing file is downloaded after the UN file: an update that imported what it had
    // already downloaded would leave the UN list in the store.
    for (path, mode, needles) in [
        ("add.csv", Mode::Error500, &["download", "500"][..]),
        ("sdn.csv", Mode::Html, &["download", "HTML"][..]),
        ("alt.csv", Mode::Truncated, &["download"][..]),
    ] {
        let server = Server::start(mirror_files(), path, mode);
        let r = run_update(&s, &server).user_error(needles);
        assert!(
            r.stderr.contains(&server.url(path)),
            "{mode:?}: the message names the URL: {r:#?}"
        );
        assert!(s.versions().is_empty(), "{mode:?}: the store changed");
    }

    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let base = format!("http://{closed}");
    let env: Vec<(&str, String)> = URL_VARS.iter().map(|v| (*v, format!("{base}/list"))).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    s.run_with(&["update"], &env).user_error(&["download", &base, "--mirror"]);
    assert!(s.versions().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 8. --json everywhere
// ---------------------------------------------------------------------------------------------

#[test]
fn json_output_of_every_command() {
    let s = Store::new();
    // Before any list: lists is an empty array; compare works with uniform weights.
    assert_eq!(s.json(&["lists"]), serde_json::json!([]));
    let c = s.json(&["compare", "Amir Khan Muttaqi", "MOTAQI, Amir Khan"]);
    assert!(c["weights"].as_str().unwrap().contains("uniform"), "{c:#}");

    let r = s.import("un", &[&un_file("2026-02-27")]);
    assert_eq!(r["source"], "un");
    assert_eq!(r["outcome"]["outcome"], "created");
    assert_eq!(r["outcome"]["version"]["published"], "2026-02-27");

    let lists = s.json(&["lists"]);
    let v = &lists[0];
    assert_eq!(v["source"], "un");
    assert_eq!(v["counts"]["entities"], 1003);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);

    let e = s.json(&["show", "TAi.026"]);
    assert_eq!(e["entity"]["reference"], "TAi.026");
    assert_eq!(e["entity"]["kind"], "person");
    assert_eq!(e["version"]["id"], v["id"]);

    let c = s.json(&["compare", "Amir Khan Muttaqi", "AMIR KHAN MOTAQI", "--kind", "person"]);
    assert_eq!(c["name1"], "Amir Khan Muttaqi");
    let score = c["score"].as_f64().expect("score is a number");
    assert!((0.0..=1.0).contains(&score), "{c:#}");
    assert!(c["alert"].is_boolean() && c["explanation"].is_object(), "{c:#}");
    assert!(c["weights"].as_str().unwrap().contains("loaded lists"), "{c:#}");

    let h = s.json(&["history", "TAi.026"]);
    assert_eq!(h["source"], "un");
    assert_eq!(h["history"].as_array().map(Vec::len), Some(1));

    let r = s.json(&["screen", "Amir Khan Muttaqi", "--limit", "1"]);
    assert_eq!(r["hits"].as_array().map(Vec::len), Some(1), "{r:#}");
    assert_eq!(r["query"]["name"], "Amir Khan Muttaqi");
    assert_eq!(r["versions"][0]["version_id"], v["id"]);
}

// ---------------------------------------------------------------------------------------------
// Output to a closed pipe (`sanctions lists | head -0`)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_closed_stdout_is_not_an_error() {
    let s = Store::new();
    let one = un_xml(&[un_individual(9_999_001, "TAi.901", "JOHN", "TESTPERSON")]);
    s.import("un", &[&s.write("one.xml", &one)]);
    for args in [&["lists"][..], &["--json", "lists"][..]] {
        let mut child =
            s.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        drop(child.stdout.take()); // The reader goes away before anything is written.
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

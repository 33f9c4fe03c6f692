//! Integration tests of `sanctions monitor` and `sanctions decide` on the real UN versions of
//! the shared data folder (`../shared/data/un`, or `$SANCTIONS_SHARED_DATA/un`).
//!
//! 2026-02-27 → 2026-05-08: QDi.437 "SAMI JASIM MUHAMMAD JAATA AL-JABURI" is added, QDe.137
//! "AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT" removed, TAi.003 "ABDUL KABIR MOHAMMAD JAN"
//! amended (an alias, a birth date...), and every entry gains the INTERPOL link fields (a
//! change of format, not an amendment).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn un_file(date: &str) -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    let p = dir.join("un").join(format!("consolidated-{date}.xml"));
    assert!(p.is_file(), "real UN file {} not found (set SANCTIONS_SHARED_DATA)", p.display());
    p
}

fn sanctions(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sanctions"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("SANCTIONS_DB")
        .env_remove("SANCTIONS_AUDIT_LOG")
        .output()
        .expect("the binary runs")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let o = sanctions(db, args);
    assert!(
        o.status.success(),
        "sanctions {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let text = ok(db, &a);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

fn import(db: &Path, date: &str) {
    ok(db, &["import", "un", un_file(date).to_str().unwrap()]);
}

const CUSTOMERS: &str = "\
id,name,birth_date,nationality,kind,identifiers
c1,John Smith,1970-03-02,US,person,
c2,Mary Johnson,,,,
c3,Sami Jasim Muhammad Jaata al-Jaburi,,,person,
c4,Al-Nusrah Front for the People of the Levant,,,organization,
c5,Abdul Kabir Mohammad Jan,,,person,
c6,Robert Williams,,,,
c7,Patricia Brown,1981,,,P1234567
c8,Linda Garcia,,,,
";

/// Open alerts as (customer, reference) pairs, sorted.
fn open_pairs(db: &Path) -> Vec<(String, String)> {
    let alerts = json(db, &["monitor", "alerts", "--open"]);
    let mut out: Vec<(String, String)> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["customer_id"].as_str().unwrap().to_string(),
                a["reference"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn alert_id(db: &Path, customer: &str, reference: &str) -> i64 {
    let alerts = json(db, &["monitor", "alerts"]);
    alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["customer_id"] == customer && a["reference"] == reference)
        .unwrap_or_else(|| panic!("no alert {customer} ~ {reference}: {alerts:#}"))["id"]
        .as_i64()
        .unwrap()
}

fn pair(c: &str, r: &str) -> (String, String) {
    (c.to_string(), r.to_string())
}

/// Copies the store (with its WAL) into `dir` and returns the copy.
fn copy_store(db: &Path, dir: &Path) -> PathBuf {
    let copy = dir.join("copy.sqlite");
    ok(db, &["lists"]);
    for ext in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{ext}", db.display()));
        if from.exists() {
            std::fs::copy(&from, format!("{}{ext}", copy.display())).unwrap();
        }
    }
    copy
}

/// The delta run just done equals a full re-screen: a forced full run on a copy of the store
/// raises, re-opens, clears and delists nothing, and leaves the same open alerts.
#[track_caller]
fn assert_delta_equals_full(db: &Path, dir: &Path) {
    let copy = copy_store(db, dir);
    let full = json(&copy, &["monitor", "run", "--full"]);
    assert_eq!(full["run"]["mode"], "full");
    for k in ["raised", "reopened", "cleared", "delisted"] {
        assert_eq!(full["run"]["summary"][k], 0, "{k}: {:#}", full["run"]["summary"]);
    }
    assert_eq!(open_pairs(&copy), open_pairs(db));
}

#[test]
fn full_then_delta_runs_with_decisions_and_delisting() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, CUSTOMERS).unwrap();

    import(&db, "2026-02-27");
    let added = json(&db, &["monitor", "add", customers.to_str().unwrap()]);
    assert_eq!(added["added"], 8);

    // First run: a full screen.
    let run = json(&db, &["monitor", "run"]);
    assert_eq!(run["run"]["mode"], "full");
    assert_eq!(run["run"]["summary"]["customers_screened"], 8);
    assert_eq!(open_pairs(&db), [pair("c4", "QDe.137"), pair("c5", "TAi.003")]);

    // The TAi customer is decided a false positive; the same list again stays quiet.
    let tai = alert_id(&db, "c5", "TAi.003");
    let decided = json(
        &db,
        &["decide", &tai.to_string(), "--false-positive", "--reason", "born 1990", "--by", "ana"],
    );
    assert_eq!(decided["status"], "false_positive");
    assert_eq!(decided["decisions"][0]["decided_by"], "ana");
    // Registering, running and deciding are in the store's audit log, chain intact.
    let mut log = db.as_os_str().to_owned();
    log.push(".audit.jsonl");
    let records: Vec<Value> = std::fs::read_to_string(PathBuf::from(log))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let events: Vec<&str> = records.iter().map(|r| r["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["customers_added", "monitor_run", "alert_decided"]);
    assert_eq!(records[0]["detail"]["added"], 8);
    assert_eq!(records[2]["detail"]["alert_id"], tai);
    assert_eq!(records[2]["detail"]["verdict"], "false_positive");
    assert_eq!(records[2]["detail"]["decided_by"], "ana");
    assert!(records.iter().all(|r| !r.to_string().contains("Abdul Kabir")), "no customer names");
    assert_eq!(json(&db, &["audit", "verify"])["report"]["records"], 3);
    let run = json(&db, &["monitor", "run"]);
    assert_eq!(run["run"]["mode"], "delta");
    assert_eq!(run["run"]["summary"]["entries_changed"], 0);
    assert_eq!(run["run"]["summary"]["customers_rescored"], 0);
    assert_eq!(open_pairs(&db), [pair("c4", "QDe.137")]);

    // The next version: only the changed entries are screened.
    import(&db, "2026-05-08");
    let run = json(&db, &["monitor", "run"]);
    let s = &run["run"]["summary"];
    assert_eq!(run["run"]["mode"], "delta");
    // 7 added + 138 amended; the 864 entries that only gained the INTERPOL fields are not
    // re-screened.
    assert_eq!(s["entries_changed"], 145, "{s:#}");
    assert_eq!(s["entries_removed"], 1);
    assert_eq!(s["customers_screened"], 0);
    assert!(s["customers_rescored"].as_u64().unwrap() < 8, "{s:#}");
    assert_eq!(
        (s["raised"].as_u64(), s["reopened"].as_u64(), s["delisted"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(open_pairs(&db), [pair("c3", "QDi.437"), pair("c5", "TAi.003")]);

    // The re-opened alert shows what changed since the decision, and the decision.
    let alerts = json(&db, &["monitor", "alerts", "--open"]);
    let reopened = alerts.as_array().unwrap().iter().find(|a| a["reference"] == "TAi.003").unwrap();
    assert_eq!(reopened["reopens"], tai);
    let changes = reopened["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["field"] == "names"
            && c["added"].to_string().contains("ABDUL KABIR MUHAMMAD JAN")),
        "{changes:#?}"
    );
    assert!(!changes.iter().any(|c| c["field"].as_str().unwrap().contains("INTERPOL")));
    assert_eq!(reopened["decisions"][0]["reason"], "born 1990");
    let all = json(&db, &["monitor", "alerts"]);
    let nusra = all.as_array().unwrap().iter().find(|a| a["reference"] == "QDe.137").unwrap();
    assert_eq!(nusra["status"], "delisted");

    // The delta equals a full re-screen: a forced full run on a copy changes nothing.
    assert_delta_equals_full(&db, dir.path());

    // Text output names the counts.
    let text = ok(&db, &["monitor", "run"]);
    assert!(text.contains("0 added or amended"), "{text}");
}

/// "LANDON NEESER" meets QDe.135 (amended on 2026-05-08) only through its Arabic-script name
/// (transliterated "ansar al din"): "neeser" ~ "ansar" and "landon" ~ the glued "aldin" hold
/// under the transliteration rules (consonant keys) alone. The delta run must look the changed
/// entries' words up as the screening index does, and raise what a full run raises.
#[test]
fn delta_finds_hits_on_transliterated_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "id,name\nc1,LANDON NEESER\nc2,Mary Johnson\n").unwrap();
    import(&db, "2026-02-27");
    json(&db, &["monitor", "add", customers.to_str().unwrap()]);
    // Without SANCTIONS_LOG nothing is logged.
    let o = sanctions(&db, &["monitor", "run"]);
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    import(&db, "2026-05-08");
    // With it, the time of each step of the run (docs/monitoring.md).
    let logged = dir.path().join("logged");
    std::fs::create_dir(&logged).unwrap();
    let copy = copy_store(&db, &logged);
    let o = Command::new(env!("CARGO_BIN_EXE_sanctions"))
        .arg("--db")
        .arg(&copy)
        .args(["monitor", "run"])
        .env("SANCTIONS_LOG", "sanctions::monitor=debug")
        .output()
        .unwrap();
    assert!(o.status.success());
    let log = String::from_utf8_lossy(&o.stderr);
    for step in [
        "entries",
        "index, beside the diff and customer reads",
        "words reaching",
        "word bound",
        "screen",
        "record",
    ] {
        assert!(log.contains(&format!("step=\"{step}\"")), "no {step:?} in {log}");
    }
    let delta = json(&db, &["monitor", "run"]);
    assert_eq!(delta["run"]["mode"], "delta");
    assert_delta_equals_full(&db, dir.path());
}

/// A list monitored for the first time (OFAC imported after a run on the UN list): all of it
/// is new to the delta run, which must find what a full run finds.
#[test]
fn delta_run_covers_a_list_new_to_monitoring() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "id,name\nc1,Banco Nacional de Cuba\nc2,Mary Johnson\nc3,Abdul Kabir Mohammad Jan\n",
    )
    .unwrap();
    import(&db, "2026-02-27");
    json(&db, &["monitor", "add", customers.to_str().unwrap()]);
    json(&db, &["monitor", "run"]);
    let ofac = un_file("2026-02-27").parent().unwrap().parent().unwrap().join("ofac");
    let trio: Vec<String> = ["sdn", "alt", "add"]
        .iter()
        .map(|k| ofac.join(format!("watchman-2021-07-07-{k}.csv")).display().to_string())
        .collect();
    let mut args = vec!["import", "ofac"];
    args.extend(trio.iter().map(String::as_str));
    ok(&db, &args);
    let delta = json(&db, &["monitor", "run"]);
    assert_eq!(delta["run"]["mode"], "delta");
    assert!(open_pairs(&db).contains(&pair("c1", "306")), "{:?}", open_pairs(&db));
    assert_delta_equals_full(&db, dir.path());
}

#[test]
fn new_and_updated_customers_are_screened_in_full_by_a_delta_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    import(&db, "2026-02-27");
    let f = dir.path().join("c.jsonl");
    std::fs::write(&f, "{\"id\": 1, \"name\": \"John Smith\"}\n").unwrap();
    ok(&db, &["monitor", "add", f.to_str().unwrap()]);
    json(&db, &["monitor", "run"]);
    // Re-adding id 1 with a listed name updates it; the next run screens it against everything.
    std::fs::write(
        &f,
        "{\"id\": 1, \"name\": \"Abdul Kabir Mohammad Jan\", \"kind\": \"person\"}\n{\"id\": \"2\", \"name\": \"Linda Garcia\", \"identifiers\": [\"X1\"]}\n",
    )
    .unwrap();
    let added = json(&db, &["monitor", "add", f.to_str().unwrap()]);
    assert_eq!((added["added"].as_u64(), added["updated"].as_u64()), (Some(1), Some(1)));
    let run = json(&db, &["monitor", "run"]);
    assert_eq!(run["run"]["mode"], "delta");
    assert_eq!(run["run"]["summary"]["customers_screened"], 2);
    assert_eq!(open_pairs(&db), [pair("1", "TAi.003")]);
}

#[test]
fn bad_customer_files_add_nothing_and_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let f = dir.path().join("bad.csv");
    std::fs::write(&f, "id,name,birth_date\nc1,John Smith,\nc2,Mary Major,1999-13-45\n").unwrap();
    let o = sanctions(&db, &["monitor", "add", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.csv:3"), "{err}");
    let j = dir.path().join("bad.jsonl");
    std::fs::write(&j, "{\"id\": \"a\", \"name\": \"Ann\"}\n{\"id\": \"b\"}\n").unwrap();
    let o = sanctions(&db, &["monitor", "add", j.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.jsonl:2"));
    let dup = dir.path().join("dup.jsonl");
    std::fs::write(&dup, "{\"id\": \"a\", \"name\": \"Ann\"}\n{\"id\": \"a\", \"name\": \"Bo\"}\n")
        .unwrap();
    let o = sanctions(&db, &["monitor", "add", dup.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("dup.jsonl:2"));
    // Nothing was added: a run has no one to screen.
    import(&db, "2026-02-27");
    let o = sanctions(&db, &["monitor", "run"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no customers"));
    // Deciding an unknown alert is a user error.
    let o = sanctions(&db, &["decide", "42", "--true-match", "--reason", "r", "--by", "b"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no alert with id 42"));
}

/// Benchmark, not a timed test: 1,000,000 synthetic customers (US census first and last
/// names, uniformly drawn, with a few hundred listed names planted), a full run on UN
/// 2026-02-27 and the delta run after importing 2026-05-08. Prints the figures.
///
/// `CARGO_TARGET_DIR=... cargo test --release -p sanctions-cli --test monitor -- --ignored
/// --nocapture bench_one_million_customers` (`MONITOR_BENCH_CUSTOMERS` changes the count).
#[test]
#[ignore = "benchmark: run by hand with --release"]
fn bench_one_million_customers() {
    use std::io::Write;
    use std::time::Instant;

    let n: usize = std::env::var("MONITOR_BENCH_CUSTOMERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let names_dir = un_file("2026-02-27").parent().unwrap().parent().unwrap().join("names");
    let column = |file: &str| -> Vec<String> {
        std::fs::read_to_string(names_dir.join(file))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let first: Vec<String> = column("us-census-1990-dist.male.first.txt")
        .into_iter()
        .chain(column("us-census-1990-dist.female.first.txt"))
        .collect();
    let last = column("us-census-1990-dist.all.last.txt");

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.sqlite");
    import(&db, "2026-02-27");
    // Listed names to plant: every fourth entry of the next version (so some are added or
    // amended ones), by primary name.
    let planted: Vec<String> = {
        let tmp = dir.path().join("next.sqlite");
        import(&tmp, "2026-05-08");
        let engine = sanctions_engine::Engine::open(&tmp).unwrap();
        let snap = engine.snapshot(None).unwrap();
        snap.index().entities().iter().step_by(4).map(|e| e.primary_name().to_string()).collect()
    };
    let file = dir.path().join("customers.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        writeln!(w, "id,name").unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let every = n / planted.len().max(1);
        for i in 0..n {
            let name = if every > 0 && i % every == 0 && i / every < planted.len() {
                planted[i / every].replace('"', "")
            } else {
                let f = &first[next() as usize % first.len()];
                let l = &last[next() as usize % last.len()];
                format!("{f} {l}")
            };
            writeln!(w, "c{i},\"{name}\"").unwrap();
        }
    }
    let t = Instant::now();
    ok(&db, &["monitor", "add", file.to_str().unwrap()]);
    let add = t.elapsed();
    let t = Instant::now();
    let full = json(&db, &["monitor", "run"]);
    let full_wall = t.elapsed();
    import(&db, "2026-05-08");
    let t = Instant::now();
    let delta = json(&db, &["monitor", "run"]);
    let delta_wall = t.elapsed();
    println!("customers: {n} ({} planted listed names)", planted.len());
    println!("monitor add: {:.1} s", add.as_secs_f64());
    println!(
        "full run: {:.1} s wall (process), {} ms in the run; {:#}",
        full_wall.as_secs_f64(),
        full["run"]["summary"]["elapsed_ms"],
        full["run"]["summary"]
    );
    println!(
        "delta run: {:.2} s wall (process), {} ms in the run; {:#}",
        delta_wall.as_secs_f64(),
        delta["run"]["summary"]["elapsed_ms"],
        delta["run"]["summary"]
    );
    // The delta found what a full re-screen finds: a forced full run raises and closes
    // nothing.
    let t = Instant::now();
    let check = json(&db, &["monitor", "run", "--full"]);
    let s = &check["run"]["summary"];
    println!("full re-screen after the delta: {:.1} s; {s:#}", t.elapsed().as_secs_f64());
    let all = json(&db, &["monitor", "alerts"]);
    for a in all.as_array().unwrap().iter().filter(|a| a["opened_run"] == check["run"]["id"]) {
        println!("raised by the full run only: {a:#}");
    }
    if let Some(keep) = std::env::var_os("MONITOR_BENCH_KEEP") {
        ok(&db, &["lists"]);
        for ext in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{ext}", db.display()));
            if from.exists() {
                std::fs::copy(&from, format!("{}{ext}", PathBuf::from(&keep).display())).unwrap();
            }
        }
    }
    for k in ["raised", "reopened", "delisted"] {
        assert_eq!(s[k], 0, "the delta missed what a full run finds ({k}): {s:#}");
    }
    // A full run may clear or update alerts on *unchanged* entries (word weights follow the
    // whole list); on the changed entries it must agree with the delta.
    let diff = json(&db, &["diff", "un", "2026-02-27", "2026-05-08"]);
    let changed: std::collections::HashSet<&str> = ["added", "amended"]
        .iter()
        .flat_map(|k| diff[*k].as_array().unwrap())
        .map(|e| e["reference"].as_str().unwrap())
        .collect();
    let alerts = json(&db, &["monitor", "alerts"]);
    let closed_now: Vec<&Value> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["closed_run"] == check["run"]["id"])
        .collect();
    for a in &closed_now {
        println!(
            "closed by the full run: {} ~ {} ({})",
            a["customer_id"], a["reference"], a["status"]
        );
        assert!(
            !changed.contains(a["reference"].as_str().unwrap()),
            "the delta left an alert on a changed entry that a full run closes: {a:#}"
        );
    }
}

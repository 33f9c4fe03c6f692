//! Integration tests of regimes, measures and exemptions: `exemption add|list`,
//! `check travel`, `check payment`, and the regimes named by `show` and `screen`.
//!
//! Every test runs the real binary on its own temporary store, on the real UN lists of the
//! shared data folder (`../shared/data`, or `$SANCTIONS_SHARED_DATA`): the 2020-12-01 list is
//! the one in force during the 2021 Moscow-format talks, the 2026-05-08 list the latest.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir(),
        "shared test data not found at {}: set SANCTIONS_SHARED_DATA",
        dir.display()
    );
    dir
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        self
    }

    #[track_caller]
    fn user_error(self, needle: &str) -> Run {
        assert_eq!(self.code, Some(1), "expected a user error: {self:#?}");
        assert!(self.stderr.contains(needle), "stderr should mention {needle:?}: {self:#?}");
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

/// A temporary store holding the UN lists of 2020-12-01 and 2026-05-08.
struct Store {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Store {
    fn with_un_lists() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sanctions.sqlite");
        let s = Store { _dir: dir, db };
        for date in ["2020-12-01", "2026-05-08"] {
            let f = shared_data().join("un").join(format!("consolidated-{date}.xml"));
            s.run(&["import", "un", f.to_str().unwrap()]).ok();
        }
        s
    }

    fn run(&self, args: &[&str]) -> Run {
        let o = Command::new(env!("CARGO_BIN_EXE_sanctions"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("SANCTIONS_DB")
            .env_remove("SANCTIONS_AUDIT_LOG")
            .env("SANCTIONS_MIRROR", "/nonexistent")
            .env("USER", "tester")
            .output()
            .expect("run sanctions");
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    fn travel(&self, reference: &str, to: &str, on: &str) -> Value {
        self.run(&["check", "travel", reference, "--to", to, "--on", on, "--json"]).ok().json()
    }
}

/// The case: Amir Khan Muttaqi (TAi.026) to Russia on 2021-10-20, without and with a
/// recorded exemption for 2021-09-23 to 2021-12-22; another day or country is not covered.
#[test]
fn muttaqi_travel_to_russia_with_and_without_exemption() {
    let s = Store::with_un_lists();
    let before = s.travel("TAi.026", "RU", "2021-10-20");
    assert_eq!(before["listed"], true);
    assert_eq!(before["verdict"], "travel_ban_applies");
    assert_eq!(before["entry"]["reference"], "TAi.026");
    assert_eq!(before["entry"]["version"]["published"], "2020-12-01", "as of the day: {before}");
    assert_eq!(before["regimes"][0]["id"], "un-taliban");
    assert_eq!(before["travel_ban"], true);
    let text = s.run(&["check", "travel", "TAi.026", "--to", "RU", "--on", "2021-10-20"]).ok();
    assert!(text.stdout.contains("no exemption: travel ban applies"), "{}", text.stdout);
    assert!(text.stdout.contains("not legal advice"), "{}", text.stdout);

    let added = s
        .run(&[
            "exemption",
            "add",
            "--kind",
            "travel",
            "--ref",
            "un:TAi.026",
            "--from",
            "2021-09-23",
            "--to",
            "2021-12-22",
            "--to-country",
            "Russia",
            "--purpose",
            "Moscow format talks",
            "--document",
            "SC/14660",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(added["id"], 1);
    assert_eq!(added["destinations"], serde_json::json!(["RU"]));
    assert_eq!(added["regime"], "un-taliban");
    assert_eq!(added["recorded_by"], "tester");
    // The act is in the store's audit log (the one `sanctions serve` writes), chain intact.
    let mut log = s.db.as_os_str().to_owned();
    log.push(".audit.jsonl");
    let log = std::fs::read_to_string(PathBuf::from(log)).unwrap();
    let records: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1, "{log}");
    assert_eq!(records[0]["event"], "exemption_added");
    assert_eq!(records[0]["actor"], "cli:tester");
    assert_eq!(records[0]["detail"]["exemption"]["id"], 1);
    assert_eq!(records[0]["detail"]["exemption"]["document"], "SC/14660");
    let verified = s.run(&["audit", "verify", "--json"]).ok().json();
    assert_eq!(verified["report"]["records"], 1);

    let covered = s.travel("un:TAi.026", "RU", "2021-10-20");
    assert_eq!(covered["verdict"], "covered");
    assert_eq!(covered["covered_by"][0]["id"], 1);
    assert_eq!(covered["covered_by"][0]["to"], "2021-12-22");
    let text = s.run(&["check", "travel", "TAi.026", "--to", "Russia", "--on", "2021-10-20"]).ok();
    assert!(text.stdout.contains("COVERED by exemption #1"), "{}", text.stdout);
    assert!(text.stdout.contains("2021-09-23 to 2021-12-22"), "{}", text.stdout);

    // Table: (destination, day) -> verdict.
    for (to, on, verdict) in [
        ("RU", "2021-09-23", "covered"),
        ("RU", "2021-12-22", "covered"),
        ("RU", "2021-12-23", "travel_ban_applies"),
        ("RU", "2021-09-22", "travel_ban_applies"),
        ("CN", "2021-10-20", "travel_ban_applies"),
        ("QA", "2021-11-01", "travel_ban_applies"),
    ] {
        let r = s.travel("TAi.026", to, on);
        assert_eq!(r["verdict"], verdict, "{to} on {on}: {r}");
        if verdict != "covered" {
            assert_eq!(r["other_exemptions"][0]["id"], 1, "{r}");
        }
    }
}

/// On the latest (2026-05-08) list: an exemption recorded for a trip after it covers that trip.
#[test]
fn travel_on_the_latest_list() {
    let s = Store::with_un_lists();
    s.run(&[
        "exemption",
        "add",
        "--kind",
        "travel",
        "--ref",
        "TAi.026",
        "--from",
        "2026-05-10",
        "--to",
        "2026-08-07",
        "--to-country",
        "RU",
        "--to-country",
        "QA",
        "--purpose",
        "talks",
        "--by",
        "desk",
    ])
    .ok();
    let r = s.travel("TAi.026", "QA", "2026-06-01");
    assert_eq!(r["verdict"], "covered", "{r}");
    assert_eq!(r["entry"]["version"]["published"], "2026-05-08");
    assert_eq!(s.travel("TAi.026", "RU", "2026-08-08")["verdict"], "travel_ban_applies");
}

/// A person not listed on the day: no measure. HTi.001 was listed in October 2022, so it is
/// not listed on 2021-10-20 but is on 2026-06-01; QDi.999 does not exist.
#[test]
fn not_listed_means_no_measure() {
    let s = Store::with_un_lists();
    let r = s.travel("HTi.001", "RU", "2021-10-20");
    assert_eq!(r["listed"], false);
    assert_eq!(r["verdict"], "not_listed");
    assert!(r["regimes"].as_array().unwrap().is_empty());
    assert_eq!(s.travel("HTi.001", "RU", "2026-06-01")["verdict"], "travel_ban_applies");
    let text = s.run(&["check", "travel", "QDi.999", "--to", "RU", "--on", "2026-06-01"]).ok();
    assert!(text.stdout.contains("not listed on 2026-06-01"), "{}", text.stdout);
}

/// Guinea-Bissau: travel ban only; Iraq: asset freeze only (no travel ban).
#[test]
fn measures_follow_the_regime() {
    let s = Store::with_un_lists();
    let r = s.travel("IQi.002", "FR", "2026-06-01");
    assert_eq!(r["regimes"][0]["id"], "un-iraq", "{r}");
    assert_eq!(r["verdict"], "no_travel_ban", "{r}");
    let r = s.travel("GBi.001", "FR", "2026-06-01");
    assert_eq!(r["regimes"][0]["id"], "un-guinea-bissau", "{r}");
    assert_eq!(r["regimes"][0]["measures"], serde_json::json!(["travel_ban"]));
}

#[test]
fn exemption_rules_are_enforced() {
    let s = Store::with_un_lists();
    let add = |extra: &[&str]| {
        let mut args = vec!["exemption", "add", "--purpose", "talks"];
        args.extend_from_slice(extra);
        s.run(&args)
    };
    add(&[
        "--kind",
        "travel",
        "--ref",
        "TAi.026",
        "--from",
        "2021-09-23",
        "--to",
        "2022-06-23",
        "--to-country",
        "RU",
    ])
    .user_error("at most 9 months");
    add(&[
        "--kind",
        "travel",
        "--ref",
        "TAi.026",
        "--from",
        "2021-12-22",
        "--to",
        "2021-09-23",
        "--to-country",
        "RU",
    ])
    .user_error("before it starts");
    add(&[
        "--kind",
        "travel",
        "--ref",
        "TAi.999",
        "--from",
        "2021-09-23",
        "--to",
        "2021-10-01",
        "--to-country",
        "RU",
    ])
    .user_error("TAi.999");
    add(&[
        "--kind",
        "travel",
        "--ref",
        "TAi.026",
        "--from",
        "2021-09-23",
        "--to",
        "2021-10-01",
        "--to-country",
        "Atlantis",
    ])
    .user_error("unknown country");
    add(&["--kind", "travel", "--ref", "TAi.026", "--from", "2021-09-23", "--to", "2021-10-01"])
        .user_error("destination");
    add(&["--kind", "humanitarian", "--regime", "un-atlantis", "--from", "2021-12-22"])
        .user_error("unknown regime");
    add(&["--kind", "teleport", "--ref", "TAi.026", "--from", "2021-12-22"])
        .user_error("unknown exemption kind");
    // Nothing was stored; a valid regime-wide standing exemption is.
    assert_eq!(s.run(&["exemption", "list", "--json"]).ok().json(), serde_json::json!([]));
    add(&[
        "--kind",
        "humanitarian",
        "--regime",
        "un-taliban",
        "--from",
        "2021-12-22",
        "--document",
        "S/RES/2615 (2021)",
    ])
    .ok();
    let list = s.run(&["exemption", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["kind"], "humanitarian");
    assert!(list[0].get("to").is_none());
    let text = s.run(&["exemption", "list"]).ok();
    assert!(
        text.stdout.contains("regime un-taliban, from 2021-12-22 (standing)"),
        "{}",
        text.stdout
    );
}

/// A humanitarian payment to a 1988-listed party: asset freeze, carve-outs 2615 and 2664.
#[test]
fn humanitarian_payment_reports_the_carve_outs() {
    let s = Store::with_un_lists();
    let r = s
        .run(&[
            "check",
            "payment",
            "--name",
            "Amir Khan Muttaqi",
            "--purpose",
            "humanitarian",
            "--on",
            "2026-06-01",
            "--json",
        ])
        .ok()
        .json();
    let hit = &r["hits"][0];
    assert_eq!(hit["hit"]["reference"], "TAi.026");
    assert_eq!(hit["asset_freeze"], true);
    let ids: Vec<&str> =
        hit["standing"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["un-res-2615", "un-res-2664"]);
    assert!(r["notice"].as_str().unwrap().contains("not legal advice"));

    // Before resolution 2615 was adopted (2021-12-22): no standing carve-out.
    let r = s
        .run(&[
            "check",
            "payment",
            "--name",
            "Amir Khan Muttaqi",
            "--purpose",
            "humanitarian",
            "--on",
            "2021-10-20",
            "--json",
        ])
        .ok()
        .json();
    assert!(r["hits"][0]["standing"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["hits"][0]["without_carve_out"][0], "un-taliban");

    // Not humanitarian: the freeze applies, no carve-out.
    let text =
        s.run(&["check", "payment", "--name", "Amir Khan Muttaqi", "--purpose", "commercial"]).ok();
    assert!(text.stdout.contains("asset freeze: un-taliban"), "{}", text.stdout);
    assert!(text.stdout.contains("no standing carve-out"), "{}", text.stdout);
    assert!(!text.stdout.contains("un-res-2615"), "{}", text.stdout);

    // No hit.
    let text =
        s.run(&["check", "payment", "--name", "Zzyzx Qwerty", "--purpose", "humanitarian"]).ok();
    assert!(text.stdout.contains("no listed party found"), "{}", text.stdout);
}

#[test]
fn show_and_screen_name_regimes_and_measures() {
    let s = Store::with_un_lists();
    let show = s.run(&["show", "TAi.026"]).ok();
    assert!(
        show.stdout.contains("regime: un-taliban (1988 sanctions regime")
            && show.stdout.contains("asset freeze, travel ban, arms embargo"),
        "{}",
        show.stdout
    );
    let screen = s.run(&["screen", "Amir Khan Muttaqi", "--json"]).ok().json();
    let hit = &screen["hits"][0];
    assert_eq!(hit["reference"], "TAi.026");
    assert_eq!(hit["regimes"][0]["id"], "un-taliban");
    assert_eq!(
        hit["regimes"][0]["measures"],
        serde_json::json!(["asset_freeze", "travel_ban", "arms_embargo"])
    );
    let text = s.run(&["screen", "Amir Khan Muttaqi"]).ok();
    assert!(text.stdout.contains("regime: un-taliban"), "{}", text.stdout);
}

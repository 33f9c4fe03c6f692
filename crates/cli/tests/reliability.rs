//! Reliability under faults and hostile input, end to end through the `sanctions` binary
//! (issue 10; docs/reliability.md lists every fault, how it is made and the outcome).
//!
//! Properties checked:
//! - hostile files (entity-expansion bomb, external entity, deep nesting, a 1 GB file,
//!   invalid UTF-8, a 10 MB CSV field, a UN file with the right root but no entries) are each
//!   refused by `sanctions import` with an error naming the file and the problem, under a
//!   virtual-memory limit far below the file sizes, and the store is unchanged (same versions,
//!   same database bytes);
//! - a SIGKILL at random points of `sanctions import` and `sanctions monitor run` leaves a
//!   store that passes `PRAGMA integrity_check` and `foreign_key_check`, where every version
//!   is wholly there (as many entries as its counts say) or absent, and the next run succeeds
//!   and gives what an uninterrupted run gives;
//! - a full disk (the file-size limit `ulimit -f` with SIGXFSZ ignored, so writes fail with
//!   EFBIG as on a full disk) fails the import with a clear error and changes nothing;
//! - download faults against a local HTTP server (connection dropped mid-file with chunked
//!   encoding, a body cut short without a length, an HTML page served with 200 as XML or
//!   CSV, a file older than the newest version held, a list that shrinks past the 20% guard)
//!   are refused or handled as documented, and nothing held is lost;
//! - `sanctions serve` under slow clients (slowloris: a request sent a byte a second) holds at
//!   most `max_connections` of them, in bounded memory, lets every one go after the idle
//!   timeout, and answers every screening meanwhile, across a reload to a new version.
//!
//! The kill loops run a few rounds here; `SANCTIONS_KILL_ROUNDS=N` runs more (the long run in
//! docs/reliability.md), `SANCTIONS_KILL_SEED=S` replays one sequence of kill points;
//! `SANCTIONS_SLOW_CLIENTS=10000` runs the server test with 10,000 slow clients.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(
        dir.join("un").is_dir() && dir.join("ofac").is_dir() && dir.join("mirror").is_dir(),
        "shared test data not found at {}: set SANCTIONS_SHARED_DATA",
        dir.display()
    );
    dir
}

fn un_file(date: &str) -> PathBuf {
    shared_data().join("un").join(format!("consolidated-{date}.xml"))
}

fn mirror_ofac() -> [PathBuf; 3] {
    let d = shared_data().join("mirror").join("ofac");
    [d.join("sdn.csv"), d.join("alt.csv"), d.join("add.csv")]
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

const URL_VARS: [&str; 4] = [
    "SANCTIONS_URL_UN",
    "SANCTIONS_URL_OFAC_SDN",
    "SANCTIONS_URL_OFAC_ALT",
    "SANCTIONS_URL_OFAC_ADD",
];

/// The binary on `db`, isolated from any other store, mirror or the internet.
fn command(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sanctions"));
    c.arg("--db").arg(db).args(args);
    c.env_remove("SANCTIONS_DB").env_remove("SANCTIONS_MIRROR").env_remove("SANCTIONS_AUDIT_LOG");
    for v in URL_VARS {
        c.env(v, "http://127.0.0.1:1/not-used");
    }
    c.stdin(Stdio::null());
    c
}

/// Runs the binary through `sh`, after `limits` (shell commands such as `ulimit -v N`).
fn limited(db: &Path, limits: &str, args: &[&str]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("{limits}\nexec \"$@\"")).arg("sanctions");
    c.arg(env!("CARGO_BIN_EXE_sanctions")).arg("--db").arg(db).args(args);
    c.env_remove("SANCTIONS_DB").env_remove("SANCTIONS_MIRROR").env_remove("SANCTIONS_AUDIT_LOG");
    for v in URL_VARS {
        c.env(v, "http://127.0.0.1:1/not-used");
    }
    c.stdin(Stdio::null());
    c
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn ok(db: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let o = command(db, &a).output().expect("run sanctions");
    assert!(o.status.success(), "sanctions {args:?}: {}", describe(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", describe(&o)))
}

/// `lists --json`.
fn versions(db: &Path) -> Value {
    ok(db, &["lists"])
}

/// What a failed command said, after checking it failed as a user error (exit 1) mentioning
/// every one of `needles`.
#[track_caller]
fn refused(o: &Output, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "expected a user error: {}", describe(o));
    for n in needles {
        assert!(err.contains(n), "stderr should mention {n:?}: {}", describe(o));
    }
    err
}

/// A store (in a temporary folder) with one version of the UN list.
fn store_with_un(dir: &Path, date: &str) -> PathBuf {
    let db = dir.join("store.sqlite");
    ok(&db, &["import", "un", s(&un_file(date))]);
    db
}

/// The database file's bytes with its WAL (which a clean close checkpoints and removes).
fn db_bytes(db: &Path) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    (std::fs::read(db).expect("db"), std::fs::read(PathBuf::from(wal)).ok())
}

/// Checks the store after a fault: SQLite's integrity and foreign-key checks pass, and every
/// version is whole (as many entries as its counts). Returns the versions as (source, sha256).
#[track_caller]
fn check_store(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).expect("open store");
    let integrity: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(integrity, ["ok"], "integrity_check of {}", db.display());
    let fk: i64 =
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 0, "foreign_key_check of {}", db.display());
    let mut st = conn
        .prepare(
            "SELECT v.source, v.sha256, v.counts, \
             (SELECT count(*) FROM version_entry e WHERE e.version_id = v.id) \
             FROM version v ORDER BY v.id",
        )
        .unwrap();
    let rows: Vec<(String, String, String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.into_iter()
        .map(|(source, sha, counts, entries)| {
            let counts: Value = serde_json::from_str(&counts).expect("counts JSON");
            assert_eq!(
                counts["entities"].as_i64(),
                Some(entries),
                "version {source} {sha} is partial: {entries} entries for counts {counts}"
            );
            assert!(entries > 0, "version {source} {sha} is empty");
            (source, sha)
        })
        .collect()
}

/// A small deterministic generator for kill points (xorshift64*).
struct Rng(u64);

impl Rng {
    fn from_env() -> Rng {
        let seed = std::env::var("SANCTIONS_KILL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed_2026_u64);
        eprintln!("kill points: SANCTIONS_KILL_SEED={seed}");
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration in [0, max).
    fn below(&mut self, max: Duration) -> Duration {
        let us = max.as_micros().max(1) as u64;
        Duration::from_micros(self.next() % us)
    }
}

fn rounds(default: usize) -> usize {
    std::env::var("SANCTIONS_KILL_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Starts `cmd`, kills it with SIGKILL after `delay` unless it finished first; true when the
/// kill landed (the process was still running).
fn kill_after(mut cmd: Command, delay: Duration) -> bool {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "the run failed before the kill: {status:?}");
            return false;
        }
        if start.elapsed() >= delay {
            child.kill().expect("SIGKILL");
            let status = child.wait().expect("wait");
            // It may have finished between the last poll and the kill.
            return !status.success();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// How long `cmd` takes when left alone.
fn timed(mut cmd: Command) -> Duration {
    let t = Instant::now();
    let o = cmd.output().expect("run");
    assert!(o.status.success(), "{}", describe(&o));
    t.elapsed()
}

// ---------------------------------------------------------------------------------------------
// 1. Hostile files
// ---------------------------------------------------------------------------------------------

/// Virtual memory allowed to `sanctions import` of a hostile file: far below the 1 GB file,
/// above what importing a real list needs (checked by `hostile_files_are_refused_...`, which
/// imports a real list under the same limit first).
const IMPORT_VM_LIMIT_KB: u64 = 768 * 1024;

fn un_header() -> &'static str {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
     <CONSOLIDATED_LIST xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
     dateGenerated=\"2026-06-01T00:00:00.000Z\">\n"
}

/// One valid UN individual.
fn un_individual(dataid: u32, reference: &str, first: &str) -> String {
    format!(
        "<INDIVIDUAL><DATAID>{dataid}</DATAID><VERSIONNUM>1</VERSIONNUM>\
         <FIRST_NAME>{first}</FIRST_NAME><SECOND_NAME>TESTPERSON</SECOND_NAME>\
         <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>{reference}</REFERENCE_NUMBER>\
         <LISTED_ON>2020-01-01</LISTED_ON></INDIVIDUAL>\n"
    )
}

/// The hostile files, each with what the refusal must mention.
fn hostile_files(dir: &Path) -> Vec<(&'static str, &'static str, Vec<PathBuf>, Vec<String>)> {
    let mut out = Vec::new();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };

    // Billion laughs: ten levels of ten references, 10^9 "lol"s once expanded.
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE CONSOLIDATED_LIST [\n");
    bomb.push_str(" <!ENTITY lol0 \"lol\">\n");
    for i in 1..=9 {
        let refs: String = (0..10).map(|_| format!("&lol{};", i - 1)).collect();
        bomb.push_str(&format!(" <!ENTITY lol{i} \"{refs}\">\n"));
    }
    bomb.push_str(
        "]>\n<CONSOLIDATED_LIST dateGenerated=\"2026-06-01T00:00:00.000Z\"><INDIVIDUALS>",
    );
    bomb.push_str(&un_individual(1, "QDi.001", "&lol9;"));
    bomb.push_str("</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n");
    let p = write("bomb.xml", bomb.as_bytes());
    out.push((
        "un",
        "entity-expansion bomb",
        vec![p.clone()],
        vec![s(&p).to_string(), "DOCTYPE".into()],
    ));

    // External entity (XXE): would read a local file into a name.
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n{}<INDIVIDUALS>{}</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n",
        &un_header()[un_header().find('\n').unwrap() + 1..],
        un_individual(1, "QDi.001", "&e;")
    );
    let p = write("xxe.xml", xxe.as_bytes());
    out.push(("un", "external entity", vec![p.clone()], vec![s(&p).to_string(), "DOCTYPE".into()]));

    // 100,000 nested elements inside an individual.
    let depth = 100_000;
    let mut deep = String::from(un_header());
    deep.push_str("<INDIVIDUALS><INDIVIDUAL>");
    deep.push_str(&"<X>".repeat(depth));
    deep.push_str(&"</X>".repeat(depth));
    deep.push_str("</INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n");
    let p = write("deep.xml", deep.as_bytes());
    out.push((
        "un",
        "deep nesting",
        vec![p.clone()],
        vec![s(&p).to_string(), "nesting depth exceeds the limit of 64".into()],
    ));

    // 1 GB: a real list's first part, then zeros to 1 GiB (sparse: no disk used).
    let real = std::fs::read(un_file("2026-05-08")).unwrap();
    let p = write("huge.xml", &real[..real.len() / 2]);
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(1 << 30).unwrap();
    out.push(("un", "1 GB file", vec![p.clone()], vec![s(&p).to_string(), "larger than".into()]));

    // Invalid UTF-8 in a name on line 3.
    let mut bad = un_header().as_bytes().to_vec();
    bad.extend_from_slice(b"<INDIVIDUALS>");
    bad.extend_from_slice(
        un_individual(1, "QDi.001", "JO\u{FFFD}HN").replace('\u{FFFD}', "\u{1}").as_bytes(),
    );
    let at = bad.iter().position(|&b| b == 1).unwrap();
    bad[at] = 0xFF;
    bad.extend_from_slice(b"</INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>\n");
    let p = write("utf8.xml", &bad);
    out.push((
        "un",
        "invalid UTF-8 (UN)",
        vec![p.clone()],
        vec![format!("{}:3", s(&p)), "UTF-8".into()],
    ));

    // Invalid UTF-8 in an OFAC name on line 2.
    let mut sdn =
        b"36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
            .to_vec();
    sdn.extend_from_slice(b"173,\"ANGLO-CARIBBEAN \xFF CO.\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n");
    let p = write("sdn-utf8.csv", &sdn);
    out.push((
        "ofac",
        "invalid UTF-8 (OFAC)",
        vec![p.clone()],
        vec![format!("{}:2", s(&p)), "UTF-8".into()],
    ));

    // A 10 MB Remarks field.
    let mut big = String::from(
        "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"",
    );
    big.push_str(&"a.k.a. 'X'; ".repeat(10 * 1024 * 1024 / 12));
    big.push_str("\"\r\n");
    let p = write("sdn-bigfield.csv", big.as_bytes());
    out.push((
        "ofac",
        "10 MB CSV field",
        vec![p.clone()],
        vec![format!("{}:1", s(&p)), "field size in bytes exceeds the limit of 1048576".into()],
    ));

    // The right root, no entries.
    let empty = format!("{}<INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>\n", un_header());
    let p = write("empty.xml", empty.as_bytes());
    out.push((
        "un",
        "right root, zero entries",
        vec![p.clone()],
        vec![s(&p).to_string(), "no entries".into()],
    ));
    out
}

#[test]
fn hostile_files_are_refused_in_bounded_memory_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let vm = format!("ulimit -v {IMPORT_VM_LIMIT_KB}");
    // A real list imports under the same memory limit, so the limit is not what refuses.
    let o = limited(&db, &vm, &["import", "un", s(&un_file("2026-05-08"))]).output().unwrap();
    assert!(o.status.success(), "a real list under {vm}: {}", describe(&o));
    let before = versions(&db);
    let bytes = db_bytes(&db);

    for (source, what, files, needles) in hostile_files(dir.path()) {
        let mut args = vec!["import", source];
        args.extend(files.iter().map(|p| s(p)));
        let o = limited(&db, &vm, &args).output().unwrap();
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let err = refused(&o, &needles);
        assert!(err.lines().count() <= 3, "{what}: a short message: {err}");
        assert_eq!(versions(&db), before, "{what}: the versions changed");
        assert!(db_bytes(&db) == bytes, "{what}: the database file changed");
    }
    check_store(&db);
}

/// The same files through `sanctions update --mirror`: refused, nothing changed.
#[test]
fn a_hostile_file_in_the_mirror_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_un(dir.path(), "2026-02-27");
    let before = versions(&db);
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(mirror.join("un")).unwrap();
    let empty = format!("{}<INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>\n", un_header());
    std::fs::write(mirror.join("un").join("consolidated.xml"), empty).unwrap();
    let o = command(&db, &["update", "--mirror", s(&mirror)]).output().unwrap();
    refused(&o, &["consolidated.xml", "no entries"]);
    assert_eq!(versions(&db), before);
}

// ---------------------------------------------------------------------------------------------
// 2. Crash safety: SIGKILL at random points
// ---------------------------------------------------------------------------------------------

/// What one kill-loop round imports.
fn import_jobs() -> Vec<(&'static str, Vec<PathBuf>)> {
    let mut jobs: Vec<(&str, Vec<PathBuf>)> =
        ["2024-09-26", "2025-12-09", "2026-02-27", "2026-05-08"]
            .iter()
            .map(|d| ("un", vec![un_file(d)]))
            .collect();
    jobs.push(("ofac", mirror_ofac().to_vec()));
    jobs
}

#[test]
fn sigkill_during_import_leaves_whole_versions_and_the_next_import_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let template = store_with_un(dir.path(), "2017-06-20");
    let jobs = import_jobs();
    // How long each import takes when left alone: the kill points are spread over 0..1.2×.
    let durations: Vec<Duration> = jobs
        .iter()
        .map(|(source, files)| {
            let db = dir.path().join("timing.sqlite");
            std::fs::copy(&template, &db).unwrap();
            let mut args = vec!["import", *source, "--force"];
            args.extend(files.iter().map(|p| s(p)));
            timed(command(&db, &args))
        })
        .collect();
    let mut rng = Rng::from_env();
    let n = rounds(8);
    let mut landed = 0;
    for round in 0..n {
        let j = round % jobs.len();
        let (source, files) = &jobs[j];
        let db = dir.path().join(format!("round-{round}.sqlite"));
        std::fs::copy(&template, &db).unwrap();
        let before = check_store(&db);
        // --force: the template holds the 2017 list, which later lists shrink by over 20%.
        let mut args = vec!["import", *source, "--force"];
        args.extend(files.iter().map(|p| s(p)));
        let delay = rng.below(durations[j].mul_f32(1.2));
        let killed = kill_after(command(&db, &args), delay);
        landed += usize::from(killed);

        let after = check_store(&db);
        assert!(after.starts_with(&before), "round {round}: a version held before was lost");
        assert!(after.len() <= before.len() + 1, "round {round}: {after:?}");
        let mut a = vec!["--json"];
        a.extend_from_slice(&args);
        let o = command(&db, &a).output().unwrap();
        assert!(o.status.success(), "round {round}: the next import fails: {}", describe(&o));
        let report: Value = serde_json::from_slice(&o.stdout).unwrap();
        let outcome = report["outcome"]["outcome"].as_str().unwrap().to_string();
        let expected = if after.len() > before.len() { "unchanged" } else { "created" };
        assert_eq!(outcome, expected, "round {round} (killed after {delay:?}): {report:#}");
        let fin = check_store(&db);
        assert_eq!(fin.len(), before.len() + 1, "round {round}");
        std::fs::remove_file(&db).ok();
    }
    eprintln!("{landed} of {n} kills landed during the import");
    // The kill points are spread over the measured duration; on a loaded machine more or fewer
    // land mid-run (75 of 100 in the long run). None landing would make the test vacuous.
    assert!(landed > 0, "no kill landed mid-import ({n} rounds)");
}

fn customers_csv(n: usize) -> String {
    const FIRST: &[&str] = &["John", "Amir", "Maria", "Abdul", "Li", "Olga", "Ahmed", "Sara"];
    const LAST: &[&str] = &["Smith", "Khan", "Garcia", "Rahman", "Wei", "Petrova", "Hassan", "Ali"];
    let mut out = String::from("id,name,birth_date,nationality,kind,identifiers\n");
    for i in 0..n {
        let f = FIRST[i % FIRST.len()];
        let l = LAST[(i / FIRST.len()) % LAST.len()];
        out.push_str(&format!("c{i},{f} {l} {i},,,person,\n"));
    }
    // Listed names, so the runs raise alerts.
    out.push_str("x1,Abdul Kabir Mohammad Jan,,,person,\n");
    out.push_str("x2,Sami Jasim Muhammad Jaata al-Jaburi,,,person,\n");
    out.push_str("x3,Al-Nusrah Front for the People of the Levant,,,organization,\n");
    out
}

/// The open alerts as (customer, reference), sorted.
fn open_alerts(db: &Path) -> Vec<(String, String)> {
    let v = ok(db, &["monitor", "alerts", "--open"]);
    let mut out: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (a["customer_id"].as_str().unwrap().into(), a["reference"].as_str().unwrap().into())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn sigkill_during_monitor_run_then_the_next_run_gives_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let template = store_with_un(dir.path(), "2026-02-27");
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, customers_csv(800)).unwrap();
    ok(&template, &["monitor", "add", s(&customers)]);
    ok(&template, &["monitor", "run"]);
    ok(&template, &["import", "un", s(&un_file("2026-05-08"))]);
    // The run after the new version, left alone: the reference result and duration.
    let reference_db = dir.path().join("reference.sqlite");
    std::fs::copy(&template, &reference_db).unwrap();
    let full = dir.path().join("full.sqlite");
    std::fs::copy(&template, &full).unwrap();
    let delta_time = timed(command(&reference_db, &["monitor", "run"]));
    let full_time = timed(command(&full, &["monitor", "run", "--full"]));
    let reference = open_alerts(&reference_db);
    assert!(!reference.is_empty());
    assert_eq!(open_alerts(&full), reference, "full and delta runs agree");

    let mut rng = Rng::from_env();
    let n = rounds(4);
    let mut landed = 0;
    for round in 0..n {
        let db = dir.path().join(format!("round-{round}.sqlite"));
        std::fs::copy(&template, &db).unwrap();
        let (args, t): (&[&str], Duration) = if round % 2 == 0 {
            (&["monitor", "run"], delta_time)
        } else {
            (&["monitor", "run", "--full"], full_time)
        };
        let delay = rng.below(t.mul_f32(1.2));
        landed += usize::from(kill_after(command(&db, args), delay));
        check_store(&db);
        ok(&db, &["monitor", "run"]);
        check_store(&db);
        assert_eq!(open_alerts(&db), reference, "round {round} (killed after {delay:?})");
        std::fs::remove_file(&db).ok();
    }
    eprintln!("{landed} of {n} kills landed during the monitoring run");
    // As above: 47 of 100 in the long run, where the runs sped up once the machine was less
    // loaded than when they were timed.
    assert!(landed > 0, "no kill landed mid-run ({n} rounds)");
}

// ---------------------------------------------------------------------------------------------
// 3. Full disk
// ---------------------------------------------------------------------------------------------

#[test]
fn a_full_disk_fails_the_import_cleanly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_un(dir.path(), "2017-06-20");
    let before = versions(&db);
    let bytes = db_bytes(&db);
    // Writes past 1 MB (2 MB where ulimit counts 1 KiB blocks) fail with EFBIG, as on a full
    // disk: the new version needs several MB of WAL pages.
    let full = "trap '' XFSZ\nulimit -f 2048";
    for (source, files) in [("un", vec![un_file("2026-05-08")]), ("ofac", mirror_ofac().to_vec())] {
        let mut args = vec!["import", source, "--force"];
        args.extend(files.iter().map(|p| s(p)));
        let o = limited(&db, full, &args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{source}: an internal error: {}", describe(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("full") || err.contains("too large") || err.contains("I/O"),
            "{source}: the message says why: {err}"
        );
        check_store(&db);
        assert_eq!(versions(&db), before, "{source}: the versions changed");
        assert!(db_bytes(&db).0 == bytes.0, "{source}: the database file changed");
    }
    // With space again, the same import succeeds.
    let r = ok(&db, &["import", "un", "--force", s(&un_file("2026-05-08"))]);
    assert_eq!(r["outcome"]["outcome"], "created");
    assert_eq!(check_store(&db).len(), 2);
}

// ---------------------------------------------------------------------------------------------
// 4. Download faults
// ---------------------------------------------------------------------------------------------

/// How the test server answers one path.
#[derive(Clone)]
enum Reply {
    /// The bytes, with their length.
    Bytes(&'static str, Vec<u8>),
    /// Chunked transfer encoding, the connection closed mid-chunk at a line break about
    /// half-way, without the final zero-length chunk.
    ChunkedDrop(Vec<u8>),
    /// No length: the bytes up to a line break about half-way, then the connection closes.
    CutWithoutLength(Vec<u8>),
}

/// A local HTTP/1.1 server answering `/NAME` as its table says (404 otherwise).
struct Server {
    base: String,
    table: Arc<Mutex<Vec<(String, Reply)>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let table: Arc<Mutex<Vec<(String, Reply)>>> = Arc::default();
        let t = Arc::clone(&table);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let t = Arc::clone(&t);
                std::thread::spawn(move || {
                    let _ = answer(stream, &t);
                });
            }
        });
        Server { base, table }
    }

    fn set(&self, name: &str, reply: Reply) {
        let mut t = self.table.lock().unwrap();
        t.retain(|(n, _)| n != name);
        t.push((name.to_string(), reply));
    }

    /// Serves the four official files from these paths.
    fn serve_lists(&self, un: &Path, ofac: &[PathBuf; 3]) {
        self.set("consolidated.xml", Reply::Bytes("application/xml", std::fs::read(un).unwrap()));
        for (name, p) in ["sdn.csv", "alt.csv", "add.csv"].iter().zip(ofac) {
            self.set(name, Reply::Bytes("text/csv", std::fs::read(p).unwrap()));
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// `sanctions --json update` against this server.
    fn update(&self, db: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["--json", "update"];
        args.extend_from_slice(extra);
        let mut c = command(db, &args);
        for (v, name) in URL_VARS.iter().zip(["consolidated.xml", "sdn.csv", "alt.csv", "add.csv"])
        {
            c.env(v, self.url(name));
        }
        c.output().unwrap()
    }
}

fn answer(mut stream: TcpStream, table: &Mutex<Vec<(String, Reply)>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
    let reply = table.lock().unwrap().iter().find(|(n, _)| *n == path).map(|(_, r)| r.clone());
    match reply {
        None => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
        Some(Reply::Bytes(ctype, body)) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(&body)?;
        }
        Some(Reply::ChunkedDrop(body)) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            )?;
            // Cut at a line break: the worst case, a CSV that still parses.
            let half = line_break_before(&body, body.len() / 2);
            let chunk = 64 * 1024;
            let mut sent = 0;
            while sent < half {
                let n = chunk.min(body.len() - sent);
                write!(stream, "{n:x}\r\n")?;
                // The last chunk is announced whole and cut in the middle.
                let cut = if sent + n > half { (half - sent).max(1) } else { n };
                stream.write_all(&body[sent..sent + cut])?;
                if cut < n {
                    break;
                }
                stream.write_all(b"\r\n")?;
                sent += n;
            }
            stream.flush()?;
            stream.shutdown(std::net::Shutdown::Both)?;
        }
        Some(Reply::CutWithoutLength(body)) => {
            let cut = line_break_before(&body, body.len() / 2);
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
            )?;
            stream.write_all(&body[..cut])?;
            stream.flush()?;
            stream.shutdown(std::net::Shutdown::Both)?;
        }
    }
    stream.flush()
}

/// The position just after the last line break before `at`.
fn line_break_before(body: &[u8], at: usize) -> usize {
    body[..at].iter().rposition(|&b| b == b'\n').map_or(at, |i| i + 1)
}

/// A UN list like `date`'s with the last `percent`% of its individuals removed.
fn shrunk_un(date: &str, percent: usize) -> Vec<u8> {
    let xml = std::fs::read_to_string(un_file(date)).unwrap();
    let starts: Vec<usize> = xml.match_indices("<INDIVIDUAL>").map(|(i, _)| i).collect();
    let keep = starts.len() * (100 - percent) / 100;
    let cut_from = starts[keep];
    let cut_to = xml.find("</INDIVIDUALS>").unwrap();
    let mut out = String::from(&xml[..cut_from]);
    out.push_str(&xml[cut_to..]);
    out.into_bytes()
}

#[test]
fn download_faults_are_refused_and_nothing_held_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let server = Server::start();
    let ofac = mirror_ofac();
    server.serve_lists(&un_file("2026-02-27"), &ofac);
    let o = server.update(&db, &[]);
    assert!(o.status.success(), "{}", describe(&o));
    let held = versions(&db);
    assert_eq!(held.as_array().unwrap().len(), 2);
    let held_store = check_store(&db);

    let newer = std::fs::read(un_file("2026-05-08")).unwrap();
    let html = b"<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>Service unavailable</body></html>\n".to_vec();
    let sdn = std::fs::read(&ofac[0]).unwrap();
    let cases: Vec<(&str, &str, Reply, Vec<&str>)> = vec![
        (
            "dropped mid-file (chunked)",
            "consolidated.xml",
            Reply::ChunkedDrop(newer.clone()),
            vec!["consolidated.xml", "malformed XML"],
        ),
        (
            "dropped mid-file (chunked), OFAC",
            "alt.csv",
            Reply::ChunkedDrop(std::fs::read(&ofac[1]).unwrap()),
            vec!["download", "alt.csv", "end mark"],
        ),
        (
            "HTML page served as XML",
            "consolidated.xml",
            Reply::Bytes("application/xml", html.clone()),
            vec!["consolidated.xml", "DOCTYPE"],
        ),
        (
            "HTML page served as CSV",
            "sdn.csv",
            Reply::Bytes("text/csv", html.clone()),
            vec!["sdn.csv:1"],
        ),
        (
            "UN cut at a line, no length",
            "consolidated.xml",
            Reply::CutWithoutLength(newer.clone()),
            vec!["consolidated.xml", "malformed XML"],
        ),
        (
            "SDN cut at a line, no length",
            "sdn.csv",
            Reply::CutWithoutLength(sdn.clone()),
            vec!["download", "sdn.csv", "end mark"],
        ),
        (
            "UN list shrunk by 30%",
            "consolidated.xml",
            Reply::Bytes("application/xml", shrunk_un("2026-05-08", 30)),
            vec!["--force"],
        ),
    ];
    for (what, path, reply, needles) in cases {
        server.serve_lists(&un_file("2026-02-27"), &ofac);
        server.set(path, reply);
        let o = server.update(&db, &[]);
        refused(&o, &needles);
        assert_eq!(versions(&db), held, "{what}: the store changed");
        assert_eq!(check_store(&db), held_store, "{what}");
    }

    // A file older than the newest version held: kept as the older version it is; the latest
    // is still the newest, and screening uses it.
    server.serve_lists(&un_file("2025-12-09"), &ofac);
    let o = server.update(&db, &[]);
    assert!(o.status.success(), "{}", describe(&o));
    let reports: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(reports[0]["outcome"]["outcome"], "created", "{reports:#}");
    assert_eq!(reports[1]["outcome"]["outcome"], "unchanged", "{reports:#}");
    let after = versions(&db);
    let un: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["source"] == "un")
        .map(|v| v["published"].as_str().unwrap())
        .collect();
    assert_eq!(un, ["2025-12-09", "2026-02-27"], "{after:#}");
    let screen = ok(&db, &["screen", "Amir Khan Muttaqi", "--limit", "1"]);
    let used = screen["versions"].as_array().unwrap();
    assert!(
        used.iter().any(|v| v["source"] == "un" && v["published"] == "2026-02-27"),
        "screening uses the newest UN version: {screen:#}"
    );
    assert_eq!(check_store(&db).len(), 3);
}

// ---------------------------------------------------------------------------------------------
// 5. The server under slow clients (1,500 here, 10,000 in the long run), with a reload
//    during the load
// ---------------------------------------------------------------------------------------------

/// A `sanctions serve` child process, killed on drop.
struct ServeProcess {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    fn start(db: &Path, config: &Path, keys: &str) -> ServeProcess {
        let mut c = command(db, &["serve", "--addr", "127.0.0.1:0", "--config", s(config)]);
        c.env("SANCTIONS_API_KEYS", keys).env("SANCTIONS_LOG", "warn");
        let mut child = c.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("serve exited").expect("stderr");
            if let Some(rest) = line.split("serving on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().parse().expect("address");
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServeProcess { child, addr }
    }

    /// A field of /proc/PID/status, in kB (VmRSS, VmHWM).
    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// Open file descriptors (sockets included).
    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, |d| d.count())
    }
}

/// The soft limit on open files of this process (from /proc/self/limits).
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            let line = l.lines().find(|l| l.starts_with("Max open files"))?.to_string();
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

/// One request over a new connection (`Connection: close`): the status and body.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    key: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

/// A slowloris client: the start of a request, then one header byte a second until the server
/// closes the connection or `stop` is set. Returns whether the server closed it.
async fn slow_client(
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    connected: Arc<std::sync::atomic::AtomicUsize>,
) -> bool {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else { return true };
    connected.fetch_add(1, Ordering::Relaxed);
    if s.write_all(b"POST /v1/screen HTTP/1.1\r\nHost: test\r\nX-Slow: ").await.is_err() {
        return true;
    }
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            r = s.read(&mut buf) => {
                // The server answered (408, 503...) or closed: either way it let go.
                let _ = r;
                return true;
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                if s.write_all(b"a").await.is_err() {
                    return true;
                }
            }
        }
    }
    false
}

#[test]
fn the_server_under_ten_thousand_slow_clients_with_a_reload() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let wanted: usize =
        std::env::var("SANCTIONS_SLOW_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_500);
    // This process holds one descriptor per slow client, and up to 200 more for the screenings:
    // stay under its open-file limit (`ulimit -n 20000` for the 10,000-client run).
    let slow = wanted.min(open_file_limit().saturating_sub(400)).max(30);
    if slow < wanted {
        eprintln!("{wanted} slow clients asked for, {slow} run: raise `ulimit -n` for more");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_un(dir.path(), "2026-02-27");
    // A third of the slow clients at most (2000 at most) are held at once; a connection with
    // nothing answered for 5 s is let go.
    let max_connections = (slow / 3).clamp(1, 2000);
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!("max_connections = {max_connections}\nidle_timeout_ms = 5000\nrequest_timeout_ms = 4000\n"),
    )
    .unwrap();
    let key = "stress-admin-key";
    let hash = sanctions_server::hash_key(key);
    let server = ServeProcess::start(&db, &config, &format!("ops:admin:{hash}"));
    let addr = server.addr;

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let screen = r#"{"name":"Amir Khan Muttaqi","limit":1}"#;
        let (status, body) = http(addr, "POST", "/v1/screen", key, screen).await.unwrap();
        assert_eq!(status, 200, "{body}");
        let base_rss = server.status_kb("VmRSS");

        let stop = Arc::new(AtomicBool::new(false));
        let connected = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..slow)
            .map(|_| tokio::spawn(slow_client(addr, Arc::clone(&stop), Arc::clone(&connected))))
            .collect();
        // Under attack: the server holds as many slow clients as it takes.
        while connected.load(Ordering::Relaxed) < slow.min(max_connections)
            && !clients.iter().all(|c| c.is_finished())
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let fds_loaded = server.fds();
        let rss_loaded = server.status_kb("VmRSS");

        // Screening goes on, a new version is imported and the server reloads meanwhile.
        let mut legit = Vec::new();
        for i in 0..200 {
            legit.push(tokio::spawn(async move {
                let r = http(addr, "POST", "/v1/screen", key, screen).await;
                (i, r)
            }));
            if i == 100 {
                ok(&db, &["import", "un", s(&un_file("2026-05-08"))]);
                let (status, body) = http(addr, "POST", "/v1/admin/reload", key, "").await.unwrap();
                assert_eq!(status, 200, "reload: {body}");
            }
        }
        let mut failed = Vec::new();
        let mut newest = 0;
        for h in legit {
            let (i, r) = h.await.unwrap();
            match r {
                Ok((200, body)) => newest += usize::from(body.contains("2026-05-08")),
                other => failed.push((i, other)),
            }
        }
        let rss_peak = server.status_kb("VmHWM");
        // Every slow client is let go in the end: a safety stop long after it should be.
        let stopper = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(600)).await;
                stop.store(true, Ordering::Relaxed);
            })
        };
        let mut closed_by_server = 0;
        for c in clients {
            closed_by_server += usize::from(c.await.unwrap());
        }
        stopper.abort();
        eprintln!(
            "{slow} slow clients ({} connected, {closed_by_server} let go by the server): server \
             fds {fds_loaded}, RSS {base_rss} kB idle, {rss_loaded} kB loaded, peak {rss_peak} kB; \
             200 screenings, {} failed, {newest} on the reloaded version",
            connected.load(Ordering::Relaxed),
            failed.len()
        );
        assert!(failed.is_empty(), "failed screenings: {failed:?}");
        assert!(newest > 0, "no screening used the reloaded version");
        // Bounded concurrency: the connections held, plus a few files (store, WAL, audit log,
        // standard streams, the runtime's own).
        assert!(
            fds_loaded <= max_connections + 64,
            "{fds_loaded} descriptors open for at most {max_connections} connections"
        );
        // Bounded memory: 10,000 slow clients held 300 MB before the limit (about 27 kB
        // each); now only the connections held cost, well under 64 kB each.
        assert!(
            rss_loaded < base_rss + (max_connections as u64) * 64,
            "{rss_loaded} kB with {max_connections} connections held (idle: {base_rss} kB)"
        );
        assert_eq!(connected.load(Ordering::Relaxed), slow, "slow clients that never connected");
        assert_eq!(closed_by_server, slow, "slow clients still held by the server");
    });
}

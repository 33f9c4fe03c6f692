//! Replays every fuzz target on its corpus, on stable Rust: the seeds cut from the real files
//! (`sanctions_fuzz::seeds`), the committed regression inputs (`regressions/<target>/`, one
//! file per crash the fuzzer found) and, when present, the local corpus the fuzzer grew
//! (`fuzz/corpus/<target>/`, not committed). A target that panics on any input fails the test,
//! naming the input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sanctions_fuzz::{TARGETS, Target, seeds};

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, Vec<u8>)> = rd
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let p = e.path();
            let data = std::fs::read(&p).unwrap_or_else(|err| panic!("{}: {err}", p.display()));
            (p.display().to_string(), data)
        })
        .collect();
    out.sort();
    out
}

fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    files_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions").join(target))
}

fn local_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    files_in(&dir)
}

/// Runs `t` on every input; returns the names of those that panicked.
fn replay(t: &Target, inputs: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, data) in inputs {
        if catch_unwind(AssertUnwindSafe(|| (t.run)(data))).is_err() {
            failed.push(name.clone());
        }
    }
    failed
}

fn run(name: &str) {
    let t = TARGETS.iter().find(|t| t.name == name).expect("target");
    let seeds = seeds::for_target(name);
    assert!(seeds.len() >= 3, "{name}: too few seeds ({})", seeds.len());
    let mut inputs = seeds;
    inputs.extend(regressions(name));
    inputs.extend(local_corpus(name));
    let failed = replay(t, &inputs);
    assert!(
        failed.is_empty(),
        "{name}: {} of {} inputs panicked: {failed:#?}",
        failed.len(),
        inputs.len()
    );
}

#[test]
fn un_xml() {
    run("un_xml");
}

#[test]
fn ofac_csv() {
    run("ofac_csv");
}

#[test]
fn ofac_remarks() {
    run("ofac_remarks");
}

#[test]
fn text() {
    run("text");
}

#[test]
fn scan() {
    run("scan");
}

#[test]
fn http_body() {
    run("http_body");
}

/// The seeds are valid inputs: the parsers accept the list slices, so the fuzzer starts from
/// deep inside the formats rather than from their first error.
#[test]
fn list_seeds_parse() {
    for (name, data) in seeds::for_target("un_xml") {
        let list =
            sanctions_lists::parse_un_xml(&data[..], &name).unwrap_or_else(|e| panic!("{e}"));
        assert!(list.entities.len() >= 3, "{name}");
    }
    for (name, data) in seeds::for_target("ofac_csv") {
        let mut parts = data.splitn(3, |&b| b == 0xFF);
        let sdn = parts.next().unwrap();
        let r = sanctions_lists::parse_ofac_csv(
            sanctions_lists::Input::new("sdn.csv", sdn),
            parts.next().map(|d| sanctions_lists::Input::new("alt.csv", d)),
            parts.next().map(|d| sanctions_lists::Input::new("add.csv", d)),
        );
        let list = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(list.entities.len() >= 6, "{name}");
    }
}

/// Every target has a regression folder, and every regression file belongs to a target.
#[test]
fn regression_folders_match_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    for e in std::fs::read_dir(&root).expect("regressions/") {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "README.md" || TARGETS.iter().any(|t| t.name == name),
            "regressions/{name} is not a target"
        );
    }
}

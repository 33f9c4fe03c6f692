//! Rough timings of the store on synthetic lists (not a benchmark; run by hand):
//!
//! ```text
//! cargo run --release -p sanctions-store --example load_timing -- [ENTITIES]
//! ```

use std::time::{Duration, Instant};

use sanctions_model::{
    Address, BirthDate, Entity, EntityKind, Identifier, Name, NameQuality, PartialDate, Source,
};
use sanctions_store::{ImportRequest, Store};

/// An entry about the size of a UN list entry.
fn synthetic(i: usize) -> Entity {
    let kind = if i % 4 == 0 { EntityKind::Organization } else { EntityKind::Person };
    let mut e = Entity::new(Source::Un, (100_000 + i).to_string(), format!("QDi.{i:04}"), kind);
    e.names
        .push(Name::new(format!("ABDUL RAHMAN MUHAMMAD AL-SYNTHETIC {i}"), NameQuality::Primary));
    for a in 0..(i % 5) {
        let q = if a % 2 == 0 { NameQuality::Strong } else { NameQuality::Weak };
        e.names.push(Name::new(format!("ALIAS {a} OF ENTRY NUMBER {i}"), q));
    }
    if kind == EntityKind::Person {
        e.birth_dates.push(BirthDate::Exact { date: PartialDate::year(1950 + (i % 50) as i32) });
        e.birth_dates.push(BirthDate::Between {
            from: PartialDate::year(1960),
            to: PartialDate::year(1965),
        });
        e.nationalities.push("Afghanistan".into());
        e.birth_places.push(Address {
            city: Some("Kandahar".into()),
            country: Some("Afghanistan".into()),
            ..Address::default()
        });
        e.titles.push("Maulavi".into());
        e.designations.push("Deputy Minister of Synthetic Affairs under the Taliban regime".into());
    }
    e.identifiers.push(Identifier {
        kind: "Passport".into(),
        number: format!("OA{i:07}"),
        country: Some("Afghanistan".into()),
        ..Identifier::default()
    });
    e.addresses.push(Address {
        street: Some(format!("{i} Synthetic Street")),
        city: Some("Quetta".into()),
        country: Some("Pakistan".into()),
        ..Address::default()
    });
    e.programs.push("Al-Qaida".into());
    e.listed_on = PartialDate::ymd(2001, 1 + (i % 12) as u8, 25);
    e.amended_on.push(PartialDate::ymd(2011, 3, 1).unwrap());
    e.remarks = Some(
        "Review pursuant to Security Council resolution 1822 (2008) was concluded on 21 Jun. \
         2010. INTERPOL-UN Security Council Special Notice web link: https://www.interpol.int/"
            .into(),
    );
    e.push_extra("VERSIONNUM", "1");
    e.push_extra("LIST_TYPE", "UN List");
    e
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    println!("{label:<44} {:>9.1} ms", t.elapsed().as_secs_f64() * 1e3);
    out
}

const RUNS: usize = 15;

fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().expect("a number")).unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("timing.db");
    let mut store = Store::open(&path).expect("open");

    let v1: Vec<Entity> = (0..n).map(synthetic).collect();
    let json_bytes: usize = v1.iter().map(|e| e.canonical_json().len()).sum();
    println!("{n} entities, {:.1} MB canonical JSON", json_bytes as f64 / 1e6);

    let day = |d| PartialDate::ymd(2026, 5, d).expect("date");
    let a = timed("import v1 (all new)", || {
        store.import(ImportRequest::new(Source::Un, day(1), "v1", &v1)).expect("import")
    });
    // Next week: 2% amended, 0.5% delisted, 0.5% new.
    let mut v2 = v1.clone();
    for e in v2.iter_mut().step_by(50) {
        e.names.push(Name::new("NEW ALIAS", NameQuality::Strong));
    }
    v2.retain(|e| !e.source_id.ends_with("07") || e.source_id.len() < 6);
    v2.extend((n..n + n / 200).map(synthetic));
    let b = timed("import v2 (2% amended, +/-0.5%)", || {
        store.import(ImportRequest::new(Source::Un, day(8), "v2", &v2)).expect("import")
    });
    timed("re-import v2 (unchanged)", || {
        store.import(ImportRequest::new(Source::Un, day(8), "v2", &v2)).expect("import")
    });
    let (a, b) = (a.version().id, b.version().id);

    let cpu_before = cpu_seconds();
    let mut runs: Vec<Duration> = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let ents = store.entities(b).expect("entities");
        runs.push(t.elapsed());
        assert_eq!(ents.len(), v2.len());
    }
    runs.sort();
    println!(
        "{:<44} {:>9.1} ms (min {:.1}, max {:.1})",
        format!("entities(v2), median of {RUNS}"),
        runs[RUNS / 2].as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3,
        runs[RUNS - 1].as_secs_f64() * 1e3
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu_seconds()) {
        println!(
            "{:<44} {:>9.1} ms",
            "  CPU time per load (all threads)",
            (b - a) * 1e3 / RUNS as f64
        );
    }
    let d = timed("diff(v1, v2)", || store.diff(a, b).expect("diff"));
    println!(
        "  added {}, removed {}, amended {}, unchanged {}",
        d.added.len(),
        d.removed.len(),
        d.amended.len(),
        d.unchanged
    );
    timed("history(QDi.0050)", || store.history(Source::Un, "QDi.0050").expect("history"));
    timed("entity(QDi.0050, v2)", || store.entity(Source::Un, "QDi.0050", b).expect("entity"));
    timed("as_of(2026-05-05)", || store.as_of(Source::Un, day(5)).expect("as_of"));
    drop(store);
    if std::env::var_os("KEEP").is_some() {
        std::fs::copy(&path, "/tmp/timing.db").expect("copy");
    }
    let size: u64 = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    println!("database files: {:.1} MB", size as f64 / 1e6);
}

/// User + system CPU time of this process so far (Linux; 10 ms resolution).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

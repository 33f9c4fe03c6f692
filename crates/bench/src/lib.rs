//! Measurement infrastructure for issue 4, "screening at memory speed".
//!
//! Shared by the Criterion benches (`benches/screening.rs`) and the `bench-screen` binary:
//!
//! * [`shared_dir`]: where `shared/` is (`$SANCTIONS_SHARED`, else `../../../shared` from this
//!   crate).
//! * [`load_lists`]: parses the benchmark index (UN 2026-05-08 XML + OFAC watchman-2021-07-07
//!   CSV trio) straight from the files, without a store, with parse times.
//! * [`load_queries`] / [`load_truth`]: the dev queries and their truth, as
//!   [`ScreenRequest`]s with [`sanctions_score::DEFAULT_THRESHOLD`] and limit 10.
//! * [`Census`] and [`synthesize`]: the synthetic entities of the scale sweep (see below).
//! * [`length_sweep_queries`]: queries of exactly `n` words for the query-length sweep.
//! * [`memory`]: `VmRSS` / `VmHWM` from `/proc/self/status`.
//!
//! # Synthetic lists (scale sweep)
//!
//! `--scale K` makes the index hold K × the real lists: the real entities, followed by
//! K − 1 synthetic copies of them, made by [`synthesize`]:
//!
//! 1. Copies are made copy-major: copy 1 of every real entity (in parse order, UN then OFAC),
//!    then copy 2, and so on. One [`XorShift64`] PRNG (xorshift64, seed [`SYNTH_SEED`]) is
//!    drawn in that order, so scale 4's synthetic entities are exactly the first three copies
//!    of scale 16's, and every run gives the same lists.
//! 2. A copy is a clone of the real entity (same source, kind, birth dates, nationalities,
//!    identifiers, programmes, addresses, number of names and name qualities) with
//!    `reference` and `source_id` set to `syn:<n>` (n counts synthetic entities from 1), so its
//!    id is `un:syn:<n>` or `ofac:syn:<n>`. The kind mix is thus exactly the real lists'.
//! 3. Each name is rewritten word by word (words = whitespace-separated). A word whose folded
//!    form [`sanctions_text::classify`] calls a plain word ([`TokenClass::Word`]) is replaced
//!    by an upper-case US Census 1990 name; any other word (particle such as `al`/`bin`,
//!    honorific, legal form such as `LTD`/`CO`, number) is kept as it was, as is a trailing
//!    comma. So the number of words, the particles and legal forms, and the `FAMILY, Given`
//!    form of OFAC persons all survive.
//!    * Persons: words before a comma, or the last word when there is no comma, are family
//!      names drawn from `us-census-1990-dist.all.last.txt`; the other words are given names
//!      drawn from the male or female first-name file (by the entity's gender, else a fair
//!      coin drawn once per entity).
//!    * Organisations, vessels, aircraft, unknown: every plain word is drawn from the
//!      last-name file.
//!    * Draws are weighted by the census frequency column (the second column), so common
//!      names (SMITH, JAMES, MARY) are common in the synthetic lists too: a pessimistic load
//!      for retrieval, since common words have long posting lists.
//!    * A word that folds to several (`al-Qaida` → `al qaida`) is judged by its last part
//!      and then replaced whole.
//! 4. Non-Latin names (UN original script) are replaced the same way, so they become Latin.
//!
//! Queries are never built from synthetic entities, so every synthetic hit is a false alert
//! and retrieval recall is still measured against the real entity.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sanctions_index::ScreenRequest;
use sanctions_model::{Entity, EntityKind, Gender, Name, PartialDate};
use sanctions_text::{TokenClass, classify, fold};
use serde::Deserialize;

/// Seed of the synthetic-list PRNG.
pub const SYNTH_SEED: u64 = 0x5eed_5a1c_7104_0004;
/// Result limit of every benchmark request.
pub const LIMIT: usize = 10;

/// The script of a query's name (`sanctions_text::detect_script`) as the model names it in
/// JSON: `latin`, `arabic`, `cyrillic`, ... (bench-screen's latency by script, screen_count's
/// `--script`).
pub fn script_name(name: &str) -> String {
    match serde_json::to_value(sanctions_text::detect_script(name)) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("a script serialises as a string: {other:?}"),
    }
}

/// The folder that holds `bench/` and `data/`: `$SANCTIONS_SHARED`, else
/// `<crate>/../../../shared`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SANCTIONS_SHARED") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_string(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The parsed benchmark index and how long parsing took.
pub struct Lists {
    /// UN entities followed by OFAC entities.
    pub entities: Vec<Entity>,
    /// Number of UN entities (the first ones).
    pub un_count: usize,
    /// Time to parse the UN XML (files already in memory).
    pub un_parse: Duration,
    /// Time to parse the OFAC CSV trio (files already in memory).
    pub ofac_parse: Duration,
}

/// UN XML file of the benchmark index, relative to `shared/`.
pub const UN_FILE: &str = "data/un/consolidated-2026-05-08.xml";
/// OFAC CSV trio of the benchmark index, relative to `shared/`.
pub const OFAC_FILES: [&str; 3] = [
    "data/ofac/watchman-2021-07-07-sdn.csv",
    "data/ofac/watchman-2021-07-07-alt.csv",
    "data/ofac/watchman-2021-07-07-add.csv",
];

/// Parses the benchmark index (README §1) from `shared`. Panics on a missing or bad file.
pub fn load_lists(shared: &Path) -> Lists {
    let un_path = shared.join(UN_FILE);
    let un_bytes = read(&un_path);
    let ofac: Vec<Vec<u8>> = OFAC_FILES.iter().map(|f| read(&shared.join(f))).collect();

    let t = Instant::now();
    let un = sanctions_lists::parse_un_xml(&un_bytes[..], UN_FILE)
        .unwrap_or_else(|e| panic!("{}: {e}", un_path.display()));
    let un_parse = t.elapsed();

    let t = Instant::now();
    let input = |i: usize| sanctions_lists::Input::new(OFAC_FILES[i], &ofac[i]);
    let of = sanctions_lists::parse_ofac_csv(input(0), Some(input(1)), Some(input(2)))
        .unwrap_or_else(|e| panic!("OFAC trio: {e}"));
    let ofac_parse = t.elapsed();

    let un_count = un.entities.len();
    let mut entities = un.entities;
    entities.extend(of.entities);
    Lists { entities, un_count, un_parse, ofac_parse }
}

/// `source:reference`, the benchmark's entity id (`un:TAi.024`, `ofac:2674`).
pub fn entity_id(e: &Entity) -> String {
    format!("{}:{}", e.source, e.reference)
}

#[derive(Deserialize)]
struct RawQuery {
    qid: String,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
}

/// One benchmark query.
#[derive(Clone, Debug)]
pub struct BenchQuery {
    /// Query id (`D01024`).
    pub qid: String,
    /// The request: threshold [`sanctions_score::DEFAULT_THRESHOLD`], limit [`LIMIT`].
    pub request: ScreenRequest,
}

/// Builds a request the way `sanctions screen` does for one batch line.
pub fn request(
    name: &str,
    kind: Option<&str>,
    birth_date: Option<&str>,
    nationality: Option<&str>,
) -> ScreenRequest {
    let kind = kind
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.parse::<EntityKind>().unwrap_or_else(|e| panic!("{e}")));
    let birth_date = birth_date
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.parse::<PartialDate>().unwrap_or_else(|e| panic!("{e}")));
    ScreenRequest {
        name: name.to_string(),
        birth_date,
        nationality: nationality.filter(|n| !n.trim().is_empty()).map(str::to_string),
        kind,
        identifiers: Vec::new(),
        threshold: sanctions_score::DEFAULT_THRESHOLD,
        limit: LIMIT,
    }
}

/// Reads a queries file (JSON lines: `qid`, `name`, optional `kind`, `birth_date`,
/// `nationality`).
pub fn load_queries(path: &Path) -> Vec<BenchQuery> {
    read_string(path)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let q: RawQuery = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            BenchQuery {
                request: request(
                    &q.name,
                    q.kind.as_deref(),
                    q.birth_date.as_deref(),
                    q.nationality.as_deref(),
                ),
                qid: q.qid,
            }
        })
        .collect()
}

/// The dev queries: `shared/bench/dev/queries.jsonl`.
pub fn dev_queries(shared: &Path) -> Vec<BenchQuery> {
    load_queries(&shared.join("bench/dev/queries.jsonl"))
}

/// One truth line.
#[derive(Clone, Debug, Deserialize)]
pub struct Truth {
    /// Query id.
    pub qid: String,
    /// `un:REF` / `ofac:REF`, or `None` for a negative.
    pub expected: Option<String>,
    /// Category (`exact`, `variant`, ..., `common_person`, ...).
    pub category: String,
    /// The listed name the query was made from (positives).
    #[serde(default)]
    pub source_name: Option<String>,
}

/// Reads a truth file, by qid.
pub fn load_truth(path: &Path) -> HashMap<String, Truth> {
    read_string(path)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let t: Truth = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            (t.qid.clone(), t)
        })
        .collect()
}

/// The dev truth: `shared/bench/dev/truth.jsonl`.
pub fn dev_truth(shared: &Path) -> HashMap<String, Truth> {
    load_truth(&shared.join("bench/dev/truth.jsonl"))
}

/// xorshift64 (Marsaglia 2003, shifts 13/7/17): tiny, deterministic, good enough to pick
/// names.
#[derive(Clone, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A generator; a zero seed is replaced (xorshift must not start at 0).
    pub fn new(seed: u64) -> XorShift64 {
        XorShift64(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// One census name file: names with cumulative weights, for weighted draws.
#[derive(Clone, Debug)]
pub struct NameTable {
    names: Vec<String>,
    cumulative: Vec<f64>,
}

impl NameTable {
    /// Reads a US Census 1990 `dist.*.txt` file: `NAME  freq  cumfreq  rank`.
    pub fn load(path: &Path) -> NameTable {
        let mut names = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for line in read_string(path).lines() {
            let mut cols = line.split_whitespace();
            let (Some(name), Some(freq)) = (cols.next(), cols.next()) else { continue };
            // Rows of frequency 0.000 would never be drawn; give them the smallest weight.
            let f: f64 = freq.parse().unwrap_or(0.0);
            total += f.max(0.0005);
            names.push(name.to_string());
            cumulative.push(total);
        }
        assert!(!names.is_empty(), "{}: no names", path.display());
        NameTable { names, cumulative }
    }

    /// The names, most frequent first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// A name drawn with probability proportional to its census frequency.
    pub fn draw(&self, rng: &mut XorShift64) -> &str {
        let total = *self.cumulative.last().expect("non-empty");
        let x = rng.next_f64() * total;
        let i = self.cumulative.partition_point(|&c| c <= x).min(self.names.len() - 1);
        &self.names[i]
    }
}

/// The three US Census 1990 name files in `shared/data/names`.
#[derive(Clone, Debug)]
pub struct Census {
    /// `us-census-1990-dist.male.first.txt`.
    pub male: NameTable,
    /// `us-census-1990-dist.female.first.txt`.
    pub female: NameTable,
    /// `us-census-1990-dist.all.last.txt`.
    pub last: NameTable,
}

impl Census {
    /// Loads the files from `shared/data/names`.
    pub fn load(shared: &Path) -> Census {
        let dir = shared.join("data/names");
        Census {
            male: NameTable::load(&dir.join("us-census-1990-dist.male.first.txt")),
            female: NameTable::load(&dir.join("us-census-1990-dist.female.first.txt")),
            last: NameTable::load(&dir.join("us-census-1990-dist.all.last.txt")),
        }
    }
}

fn is_plain_word(word: &str) -> bool {
    let f = fold(word);
    let f = f.trim();
    // A word that folds to several words ("al-Qaida" → "al qaida") is judged by its last.
    match f.split_whitespace().last() {
        Some(w) => classify(w) == TokenClass::Word,
        None => false,
    }
}

/// Rewrites one name with census names (module doc, step 3).
fn synth_name(
    full: &str,
    kind: EntityKind,
    female: bool,
    census: &Census,
    rng: &mut XorShift64,
) -> String {
    let words: Vec<&str> = full.split_whitespace().collect();
    let comma = words.iter().position(|w| w.ends_with(','));
    let last = words.len().saturating_sub(1);
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let (core, suffix) = match w.strip_suffix(',') {
            Some(c) => (c, ","),
            None => (*w, ""),
        };
        if !is_plain_word(core) {
            out.push(w.to_string());
            continue;
        }
        let family = match comma {
            Some(c) => i <= c,
            None => i == last,
        };
        let table = if kind != EntityKind::Person || family {
            &census.last
        } else if female {
            &census.female
        } else {
            &census.male
        };
        out.push(format!("{}{suffix}", table.draw(rng)));
    }
    out.join(" ")
}

/// The `copies × real.len()` synthetic entities of the scale sweep (module doc), numbered
/// from `syn:1`. `synthesize(real, 15, ..)` starts with `synthesize(real, 3, ..)`.
pub fn synthesize(real: &[Entity], copies: usize, census: &Census) -> Vec<Entity> {
    let mut rng = XorShift64::new(SYNTH_SEED);
    let mut out = Vec::with_capacity(real.len() * copies);
    let mut n = 0usize;
    for _ in 0..copies {
        for e in real {
            n += 1;
            let mut s = e.clone();
            s.reference = format!("syn:{n}");
            s.source_id = s.reference.clone();
            let female = match e.gender {
                Some(Gender::Female) => true,
                Some(Gender::Male) => false,
                _ => rng.next_u64() & 1 == 1,
            };
            s.names = e
                .names
                .iter()
                .map(|name| {
                    Name::new(
                        synth_name(&name.full, e.kind, female, census, &mut rng),
                        name.quality,
                    )
                })
                .collect();
            out.push(s);
        }
    }
    out
}

/// Queries of exactly `words` words for the length sweep: each base request keeps its kind,
/// birth date and nationality; its name is cut to its first `words` words, or, when shorter,
/// extended with census names (given names before the last word for persons, otherwise
/// appended last names), drawn with a fixed seed per length.
pub fn length_sweep_queries(
    base: &[ScreenRequest],
    words: usize,
    census: &Census,
) -> Vec<ScreenRequest> {
    let mut rng = XorShift64::new(SYNTH_SEED ^ (words as u64).wrapping_mul(0x9e37_79b9));
    base.iter()
        .map(|r| {
            let mut w: Vec<String> = r.name.split_whitespace().map(str::to_string).collect();
            w.truncate(words);
            while w.len() < words {
                if r.kind == Some(EntityKind::Person) && !w.is_empty() {
                    let at = w.len() - 1;
                    w.insert(at, census.male.draw(&mut rng).to_string());
                } else {
                    w.push(census.last.draw(&mut rng).to_string());
                }
            }
            ScreenRequest { name: w.join(" "), ..r.clone() }
        })
        .collect()
}

/// Resident memory of this process, from `/proc/self/status`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Memory {
    /// `VmRSS` in MiB (kB / 1024).
    pub rss_mb: f64,
    /// `VmHWM` (peak resident set) in MiB.
    pub hwm_mb: f64,
}

/// Reads `VmRSS` and `VmHWM` (0 where `/proc` is not available).
pub fn memory() -> Memory {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> f64 {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    Memory { rss_mb: field("VmRSS:"), hwm_mb: field("VmHWM:") }
}

/// Resets this process's peak resident set (`VmHWM`) to its current size by writing `5` to
/// `/proc/self/clear_refs` (Linux ≥ 4.0). Returns false where that is not possible.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time (user + system) used so far by every thread of this process, from
/// `/proc/self/stat` (fields 14 and 15, in clock ticks of 1/100 s, the Linux `USER_HZ`).
/// Zero where `/proc` is not available. Resolution 10 ms: use over seconds, not per query.
pub fn process_cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; fields are counted after its ')'.
    let Some(rest) = s.rfind(')').map(|i| &s[i + 1..]) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14 → index 11, stime index 12.
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// Percentile (nearest rank) of sorted values; `p` in [0, 100].
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[test]
    fn script_names_are_the_models() {
        assert_eq!(script_name("Amir Khan Muttaqi"), "latin");
        assert_eq!(script_name("محمد"), "arabic");
        assert_eq!(script_name("Владимир"), "cyrillic");
    }

    #[test]
    fn xorshift_is_deterministic() {
        let mut a = XorShift64::new(SYNTH_SEED);
        let mut b = XorShift64::new(SYNTH_SEED);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert!((0.0..1.0).contains(&a.next_f64()));
    }

    #[test]
    fn cpu_time_moves_forward() {
        let a = process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = black_box(x.wrapping_add(i));
        }
        assert!(process_cpu_seconds() >= a);
    }

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    fn census() -> Census {
        let table = |names: &[&str]| NameTable {
            names: names.iter().map(|s| s.to_string()).collect(),
            cumulative: (1..=names.len()).map(|i| i as f64).collect(),
        };
        Census { male: table(&["JAMES"]), female: table(&["MARY"]), last: table(&["SMITH"]) }
    }

    #[test]
    fn synthetic_names_keep_shape() {
        let c = census();
        let mut rng = XorShift64::new(1);
        assert_eq!(
            synth_name("BARADAR, Abdul Ghani", EntityKind::Person, false, &c, &mut rng),
            "SMITH, Abdul JAMES"
        );
        assert_eq!(
            synth_name("Ahmad al Haqqani", EntityKind::Person, true, &c, &mut rng),
            "MARY al SMITH"
        );
        assert_eq!(
            synth_name("ACME STEEL CO LTD", EntityKind::Organization, false, &c, &mut rng),
            "SMITH SMITH CO LTD"
        );
    }

    #[test]
    fn synthesis_is_prefix_stable() {
        let c = census();
        let mut e = Entity::new(sanctions_model::Source::Un, "1", "QDi.001", EntityKind::Person);
        e.names.push(Name::new("A B C", sanctions_model::NameQuality::Primary));
        let small = synthesize(std::slice::from_ref(&e), 2, &c);
        let big = synthesize(std::slice::from_ref(&e), 5, &c);
        assert_eq!(small[..], big[..2]);
        assert_eq!(big[4].reference, "syn:5");
    }

    #[test]
    fn length_sweep_lengths() {
        let c = census();
        let base = vec![request("Abdul Ghani Baradar", Some("person"), None, None)];
        for n in 1..=8 {
            let q = length_sweep_queries(&base, n, &c);
            assert_eq!(q[0].name.split_whitespace().count(), n);
        }
    }
}

//! Quick release-mode timing of `fold_into` (no statistics; use it to spot regressions).
//!
//! ```sh
//! cargo run --release -p sanctions-text --example fold_speed -- /work/shared/data
//! ```
//!
//! Folds the US census names (`names/*.txt`, ASCII, first column) and, for the slow paths, the
//! Arabic and Cyrillic spellings of `name-variants/wikidata-xlit-wd_*_80.tsv`, and names with
//! Latin diacritics made from them, reporting nanoseconds per name.

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use sanctions_text::fold_into;

fn time(label: &str, names: &[String]) {
    let mut buf = String::new();
    // Warm up (builds the lazy table).
    for n in names {
        fold_into(n, &mut buf);
    }
    let rounds = (2_000_000 / names.len().max(1)).max(1);
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for n in names {
            fold_into(black_box(n), &mut buf);
            bytes += buf.len();
        }
    }
    let per = start.elapsed().as_nanos() as f64 / (rounds * names.len()) as f64;
    println!("{label:<32} {:>7} names  {per:>7.1} ns/name  ({bytes} bytes out)", names.len());
}

fn main() {
    let data = std::env::args().nth(1).unwrap_or_else(|| "/work/shared/data".to_string());
    let data = Path::new(&data);
    let mut census = Vec::new();
    for f in [
        "us-census-1990-dist.male.first.txt",
        "us-census-1990-dist.female.first.txt",
        "us-census-1990-dist.all.last.txt",
    ] {
        let text = fs::read_to_string(data.join("names").join(f)).expect("read census names");
        census.extend(text.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string));
    }
    // Full names: first + last, as queries arrive.
    let full: Vec<String> =
        census.iter().zip(census.iter().rev()).map(|(a, b)| format!("{a} {b}")).collect();
    time("census words (ASCII)", &census);
    time("census first+last (ASCII)", &full);
    let accented: Vec<String> = full
        .iter()
        .map(|n| n.replace('A', "Á").replace('E', "É").replace('O', "Ö").replace("SS", "ß"))
        .collect();
    time("census with diacritics", &accented);
    for (label, file) in [
        ("wikidata Arabic words", "wikidata-xlit-wd_arabic_80.tsv"),
        ("wikidata Cyrillic words", "wikidata-xlit-wd_russian_80.tsv"),
    ] {
        let text = fs::read_to_string(data.join("name-variants").join(file)).expect("read tsv");
        let words: Vec<String> =
            text.lines().filter_map(|l| l.split('\t').nth(1)).map(|w| w.replace(' ', "")).collect();
        time(label, &words);
    }
}

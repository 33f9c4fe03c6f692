//! Throughput of `Scanner::scan` on ordinary English text (no listed names), one thread.
//!
//! `cargo run --release -p sanctions-scan --example scan_bench [MB]`

#[path = "../tests/common.rs"]
mod common;

use std::time::Instant;

use sanctions_scan::{ScanOptions, Scanner};

fn main() {
    let mb: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let t = Instant::now();
    let index = common::real_index();
    let built = t.elapsed();
    let t = Instant::now();
    let scanner = Scanner::new(&index);
    let lexicon = t.elapsed();
    let para = include_str!("../tests/fixtures/ordinary_english.txt");
    let mut text = String::with_capacity(mb << 20);
    while text.len() < mb << 20 {
        text.push_str(para);
        text.push('\n');
    }
    let opts = ScanOptions::default();
    let t = Instant::now();
    let (recs, windows) = scanner.candidates(para, opts.threshold);
    println!(
        "one copy ({} bytes): {recs} kept words, {} windows {:?}; candidate pass {:?}",
        para.len(),
        windows.len(),
        windows,
        t.elapsed()
    );
    let t = Instant::now();
    let m = scanner.scan(&index, para, &opts);
    println!("scan of one copy {:?}, {} mentions", t.elapsed(), m.len());
    // Warm up.
    let _ = scanner.scan(&index, &text[..1 << 20], &opts);
    let t = Instant::now();
    let (kept, w) = scanner.candidates(&text, opts.threshold);
    println!(
        "candidate pass alone over all: {:?}, {kept} kept words, {} windows",
        t.elapsed(),
        w.len()
    );
    let cpu0 = cpu_time();
    let t = Instant::now();
    let mentions = scanner.scan(&index, &text, &opts);
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_time() - cpu0;
    let size = text.len() as f64 / 1e6;
    println!(
        "index {:.2}s, lexicon {:.2}s ({} words); scanned {size:.1} MB in {wall:.2}s wall, {cpu:.2}s CPU: {:.1} MB/s per core; {} mentions",
        built.as_secs_f64(),
        lexicon.as_secs_f64(),
        scanner.word_count(),
        size / cpu.max(1e-9),
        mentions.len()
    );
    for m in mentions.iter().take(10) {
        println!("  {:?} -> {} {}", m.text, m.hits[0].reference, m.hits[0].matched_name);
    }
}

/// CPU time of this process in seconds (user + system), from /proc (Linux), else 0.
fn cpu_time() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let f: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

//! A fixed screening workload for instruction counts (callgrind): the first N dev queries at
//! the default threshold, then (with a second argument) the same N at a lower threshold with
//! limit 20. Only `run` screens, so callgrind can collect it alone:
//!
//! ```sh
//! cargo build --release -p sanctions-bench --example screen_count
//! valgrind --tool=callgrind --toggle-collect='screen_count::run' \
//!     $CARGO_TARGET_DIR/release/examples/screen_count 1000 0.5
//! ```
//!
//! With `--warm` first (`screen_count --warm 5000`), the same queries are screened once before
//! `run`, outside the count: the index's retrieval memo then already holds every vocabulary
//! word they use (the steady state of a service screening names it has seen before). Without
//! it, `run` starts from an empty memo (the cold figure).
//!
//! With `--batch` (after `--warm`, before `--script`), `run` screens as a batch does: every
//! query prepared, then screened in the index's locality order (`Index::locality_order`,
//! `Index::screen_query`), for the cache and branch simulation of batch mode.
//!
//! With `--script NAME` (after `--warm` and `--batch`, if any), only the dev queries whose name is in that
//! script (`latin`, `arabic`, `cyrillic`: `sanctions_text::detect_script`) are used, e.g.
//! `screen_count --warm --script arabic 5000` for the queries that make the latency tail.
//!
//! It prints the process CPU time (user + system, 10 ms ticks) spent in `run` to stderr.
//!
//! With `--dump FILE` it writes every hit (entity, score, explanation) of both passes over all
//! dev queries instead, for checking that a change leaves results identical.
use std::io::Write;

use sanctions_bench::{dev_queries, load_lists, process_cpu_seconds, script_name, shared_dir};
use sanctions_index::{Index, ScreenRequest};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let warm = args.first().map(String::as_str) == Some("--warm");
    if warm {
        args.remove(0);
    }
    let batch = args.first().map(String::as_str) == Some("--batch");
    if batch {
        args.remove(0);
    }
    let script = if args.first().map(String::as_str) == Some("--script") {
        args.remove(0);
        Some(args.remove(0).to_lowercase())
    } else {
        None
    };
    let shared = shared_dir();
    let index = Index::build(load_lists(&shared).entities);
    let in_script = |r: &ScreenRequest| script.as_ref().is_none_or(|s| script_name(&r.name) == *s);
    let reqs: Vec<ScreenRequest> =
        dev_queries(&shared).into_iter().map(|q| q.request).filter(in_script).collect();
    if reqs.is_empty() {
        eprintln!("no dev query in script {script:?}");
        std::process::exit(1);
    }
    let lower = |t: f32| -> Vec<ScreenRequest> {
        reqs.iter()
            .cloned()
            .map(|mut r| {
                r.threshold = t;
                r.limit = 20;
                r
            })
            .collect()
    };
    if args.first().map(String::as_str) == Some("--dump") {
        let path = args.get(1).expect("--dump FILE");
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("dump file"));
        for r in reqs.iter().chain(&lower(0.5)) {
            writeln!(f, "{:?}", index.screen(r)).expect("write");
        }
        return;
    }
    let n: usize = args.first().map_or(reqs.len(), |s| s.parse().expect("N"));
    let n = n.min(reqs.len());
    if warm {
        for r in &reqs[..n] {
            std::hint::black_box(index.screen(r));
        }
        if let Some(t) = args.get(1) {
            for r in &lower(t.parse().expect("threshold"))[..n] {
                std::hint::black_box(index.screen(r));
            }
        }
    }
    let memo = index.memo_stats();
    let cpu = process_cpu_seconds();
    run(&index, &reqs[..n], batch);
    if let Some(t) = args.get(1) {
        run(&index, &lower(t.parse().expect("threshold"))[..n], batch);
    }
    let cpu = process_cpu_seconds() - cpu;
    eprintln!("run: {cpu:.2} CPU-s, {:.0} CPU-us per query", cpu * 1e6 / n.max(1) as f64);
    let after = index.memo_stats();
    eprintln!(
        "retrieval memo: {} entries, {} KiB before run; {} entries, {} KiB after; {} KiB of slots",
        memo.entries,
        memo.bytes / 1024,
        after.entries,
        after.bytes / 1024,
        after.slot_bytes / 1024
    );
}

#[inline(never)]
fn run(index: &Index, reqs: &[ScreenRequest], batch: bool) {
    if !batch {
        for r in reqs {
            std::hint::black_box(index.screen(r));
        }
        return;
    }
    let queries: Vec<_> = reqs.iter().map(|r| index.prepare(r)).collect();
    for i in index.locality_order(&queries) {
        std::hint::black_box(index.screen_query(&queries[i], reqs[i].threshold, reqs[i].limit));
    }
}

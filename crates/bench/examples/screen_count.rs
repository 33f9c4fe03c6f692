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
//! With `--dump FILE` it writes every hit (entity, score, explanation) of both passes over all
//! dev queries instead, for checking that a change leaves results identical.
use std::io::Write;

use sanctions_bench::{dev_queries, load_lists, shared_dir};
use sanctions_index::{Index, ScreenRequest};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let shared = shared_dir();
    let index = Index::build(load_lists(&shared).entities);
    let reqs: Vec<ScreenRequest> = dev_queries(&shared).into_iter().map(|q| q.request).collect();
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
    run(&index, &reqs[..n]);
    if let Some(t) = args.get(1) {
        run(&index, &lower(t.parse().expect("threshold"))[..n]);
    }
}

#[inline(never)]
fn run(index: &Index, reqs: &[ScreenRequest]) {
    for r in reqs {
        std::hint::black_box(index.screen(r));
    }
}

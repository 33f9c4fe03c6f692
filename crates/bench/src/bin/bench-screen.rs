//! Screening speed, retrieval recall and memory on the benchmark index (issue 4).
//!
//! ```text
//! cargo run --release -p sanctions-bench --bin bench-screen -- \
//!     [--queries FILE] [--truth FILE] [--threads 1,2] [--scale 1,4,16] \
//!     [--max-queries N] [--length-queries N] [--min-seconds S] [--no-lengths] [--json]
//! ```
//!
//! See `crates/bench/README.md` for what each figure means.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::exit;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use sanctions_bench::{
    BenchQuery, Census, Memory, Truth, dev_truth, entity_id, length_sweep_queries, load_lists,
    load_queries, load_truth, memory, percentile, process_cpu_seconds, reset_peak_memory,
    script_name, shared_dir, synthesize,
};
use sanctions_index::{Index, RetrievalConfig, ScreenRequest};
use serde_json::{Value, json};

/// The allocator of the `sanctions` binary (crates/cli), so that figures match the product.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    queries: Option<PathBuf>,
    truth: Option<PathBuf>,
    threads: Vec<usize>,
    scales: Vec<usize>,
    max_queries: Option<usize>,
    length_queries: usize,
    min_seconds: f64,
    lengths: bool,
    json: bool,
}

const USAGE: &str = "usage: bench-screen [--queries FILE] [--truth FILE] [--threads N[,N..]] \
[--scale K[,K..]] [--max-queries N] [--length-queries N] [--min-seconds S] [--no-lengths] [--json]";

fn list(s: &str, what: &str) -> Vec<usize> {
    let v: Vec<usize> = s
        .split(',')
        .map(|x| {
            x.trim().parse().ok().filter(|&n: &usize| n > 0).unwrap_or_else(|| {
                eprintln!("{what}: expected positive integers, got {s:?}\n{USAGE}");
                exit(2)
            })
        })
        .collect();
    v
}

fn parse_args() -> Args {
    let mut a = Args {
        queries: None,
        truth: None,
        threads: vec![1, 2],
        scales: vec![1],
        max_queries: None,
        length_queries: 500,
        min_seconds: 2.0,
        lengths: true,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next().unwrap_or_else(|| {
                eprintln!("{arg} needs a value\n{USAGE}");
                exit(2)
            })
        };
        match arg.as_str() {
            "--queries" => a.queries = Some(value().into()),
            "--truth" => a.truth = Some(value().into()),
            "--threads" => a.threads = list(&value(), "--threads"),
            "--scale" => a.scales = list(&value(), "--scale"),
            "--max-queries" => a.max_queries = Some(list(&value(), "--max-queries")[0]),
            "--length-queries" => a.length_queries = list(&value(), "--length-queries")[0],
            "--min-seconds" => {
                a.min_seconds = value().parse().unwrap_or_else(|_| {
                    eprintln!("--min-seconds: expected a number\n{USAGE}");
                    exit(2)
                })
            }
            "--no-lengths" => a.lengths = false,
            "--json" => a.json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0)
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                exit(2)
            }
        }
    }
    a
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn mem_json(m: Memory) -> Value {
    json!({ "rss_mib": round(m.rss_mb, 1), "hwm_mib": round(m.hwm_mb, 1) })
}

/// Per-query latency on one thread: a warm-up pass, then one timed pass.
struct Latency {
    sorted_us: Vec<f64>,
    /// The same latencies in input order.
    by_query: Vec<f64>,
    total: Duration,
    cpu_seconds: f64,
    hits: Vec<Vec<usize>>,
}

fn latency(index: &Index, reqs: &[ScreenRequest]) -> Latency {
    for r in reqs {
        black_box(index.screen(r));
    }
    let mut us = Vec::with_capacity(reqs.len());
    let mut hits = Vec::with_capacity(reqs.len());
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    for r in reqs {
        let t = Instant::now();
        let h = black_box(index.screen(r));
        us.push(t.elapsed().as_secs_f64() * 1e6);
        hits.push(h.into_iter().map(|h| h.entity).collect());
    }
    let total = start.elapsed();
    let cpu_seconds = process_cpu_seconds() - cpu;
    let by_query = us.clone();
    us.sort_by(f64::total_cmp);
    Latency { sorted_us: us, by_query, total, cpu_seconds, hits }
}

/// Where the latency goes by the script of the query's name (`detect_script`): per script,
/// the queries, their mean and p99, their share of the pass's time, and how many of the
/// slowest 1% they are. The tail of the dev queries is mostly names in Arabic script
/// (BENCHMARKS.md §2).
fn latency_by_script(reqs: &[ScreenRequest], l: &Latency) -> Vec<Value> {
    let cut = percentile(&l.sorted_us, 99.0);
    let total: f64 = l.by_query.iter().sum();
    let mut scripts: Vec<(String, Vec<f64>)> = Vec::new();
    for (r, &us) in reqs.iter().zip(&l.by_query) {
        let name = script_name(&r.name);
        match scripts.iter_mut().find(|(s, _)| *s == name) {
            Some((_, v)) => v.push(us),
            None => scripts.push((name, vec![us])),
        }
    }
    scripts.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    scripts
        .into_iter()
        .map(|(script, mut v)| {
            let sum: f64 = v.iter().sum();
            let slowest = v.iter().filter(|&&us| us > cut).count();
            v.sort_by(f64::total_cmp);
            json!({
                "script": script,
                "queries": v.len(),
                "mean_us": round(sum / v.len() as f64, 1),
                "p99_us": round(percentile(&v, 99.0), 1),
                "time_share": round(sum / total.max(1e-9), 3),
                "in_slowest_1pct": slowest,
            })
        })
        .collect()
}

/// The candidate entries of the slowest 1% of `l`'s queries against all of them: how many
/// candidates reach the scorer's bounds (`Index::candidates`, at most
/// `RetrievalConfig::max_candidates`), the median and mean, and how many queries are at that
/// cap. The dev tail is queries of common Arabic names, most of them at the cap
/// (BENCHMARKS.md §2, eighth session).
fn tail_candidates(index: &Index, reqs: &[ScreenRequest], l: &Latency) -> Value {
    let cut = percentile(&l.sorted_us, 99.0);
    let cap = RetrievalConfig::default().max_candidates;
    let counts: Vec<usize> =
        reqs.iter().map(|r| index.candidates(&index.prepare(r)).len()).collect();
    let summary = |pick: &dyn Fn(usize) -> bool| {
        let mut v: Vec<f64> =
            counts.iter().enumerate().filter(|&(i, _)| pick(i)).map(|(_, &c)| c as f64).collect();
        let at_cap = v.iter().filter(|&&c| c as usize >= cap).count();
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.sort_by(f64::total_cmp);
        json!({
            "queries": v.len(),
            "median": percentile(&v, 50.0),
            "mean": round(mean, 1),
            "at_cap": at_cap,
        })
    };
    json!({
        "cap": cap,
        "slowest_1pct": summary(&|i| l.by_query[i] > cut),
        "all": summary(&|_| true),
    })
}

/// [`latency`] of the queries screened as a batch is ([`pass`] with `batch`): all prepared
/// (each timed), then screened in the index's locality order (each timed); a query's latency
/// is its preparation plus its screening. Hits in input order.
fn batch_latency(index: &Index, reqs: &[ScreenRequest]) -> Latency {
    for r in reqs {
        black_box(index.screen(r));
    }
    let mut us = vec![0.0; reqs.len()];
    let mut hits = vec![Vec::new(); reqs.len()];
    let cpu = process_cpu_seconds();
    let start = Instant::now();
    let queries: Vec<_> = reqs
        .iter()
        .zip(us.iter_mut())
        .map(|(r, us)| {
            let t = Instant::now();
            let q = black_box(index.prepare(r));
            *us = t.elapsed().as_secs_f64() * 1e6;
            q
        })
        .collect();
    for i in index.locality_order(&queries) {
        let t = Instant::now();
        let h = black_box(index.screen_query(&queries[i], reqs[i].threshold, reqs[i].limit));
        us[i] += t.elapsed().as_secs_f64() * 1e6;
        hits[i] = h.into_iter().map(|h| h.entity).collect();
    }
    let total = start.elapsed();
    let cpu_seconds = process_cpu_seconds() - cpu;
    let by_query = us.clone();
    us.sort_by(f64::total_cmp);
    Latency { sorted_us: us, by_query, total, cpu_seconds, hits }
}

fn latency_json(l: &Latency) -> Value {
    let s = &l.sorted_us;
    let n = s.len().max(1) as f64;
    json!({
        "queries": s.len(),
        "p50_us": round(percentile(s, 50.0), 1),
        "p90_us": round(percentile(s, 90.0), 1),
        "p99_us": round(percentile(s, 99.0), 1),
        "max_us": round(s.last().copied().unwrap_or(0.0), 1),
        "mean_us": round(s.iter().sum::<f64>() / n, 1),
        "qps": round(s.len() as f64 / l.total.as_secs_f64().max(1e-9), 1),
        "cpu_us_per_query": round(l.cpu_seconds * 1e6 / n, 1),
        "cpu_share": round(l.cpu_seconds / l.total.as_secs_f64().max(1e-9), 3),
    })
}

/// One pass over `reqs`: each screened in file order, or (`batch`) as `sanctions screen
/// --batch` does, all prepared first, then screened in the index's locality order
/// ([`Index::locality_order`]); each thread of the pool takes contiguous runs of the order, at
/// most [`Index::LOCALITY_RUN`] queries long.
fn pass(index: &Index, reqs: &[ScreenRequest], batch: bool) {
    if batch {
        let queries: Vec<_> = reqs.par_iter().map(|r| index.prepare(r)).collect();
        let order = index.locality_order(&queries);
        order.par_iter().with_max_len(Index::LOCALITY_RUN).for_each(|&i| {
            black_box(index.screen_query(&queries[i], reqs[i].threshold, reqs[i].limit));
        });
    } else {
        reqs.par_iter().for_each(|r| {
            black_box(index.screen(r));
        });
    }
}

/// Queries per second over whole passes of `reqs` on a pool of `threads` threads, after one
/// warm-up pass, repeating passes until `min_seconds` have elapsed; and the CPU seconds the
/// process used meanwhile. `batch`: see [`pass`].
fn throughput(
    index: &Index,
    reqs: &[ScreenRequest],
    threads: usize,
    min_seconds: f64,
    batch: bool,
) -> (f64, f64) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    pool.install(|| {
        pass(index, reqs, batch);
        let cpu = process_cpu_seconds();
        let start = Instant::now();
        let mut done = 0usize;
        loop {
            pass(index, reqs, batch);
            done += reqs.len();
            let el = start.elapsed().as_secs_f64();
            if el >= min_seconds {
                return (done as f64 / el, (process_cpu_seconds() - cpu) / el);
            }
        }
    })
}

#[derive(Default)]
struct Tally {
    n: usize,
    retrieved: usize,
    screened: usize,
}

impl Tally {
    fn json(&self) -> Value {
        let share = |k: usize| round(k as f64 / self.n.max(1) as f64, 4);
        json!({
            "n": self.n,
            "retrieval_recall": share(self.retrieved),
            "screen_recall": share(self.screened),
        })
    }
}

/// Retrieval recall (expected entity among `index.candidates`) and, for context, screen
/// recall (expected entity among the returned hits), overall and per category.
fn recall(
    index: &Index,
    queries: &[BenchQuery],
    truth: &HashMap<String, Truth>,
    hits: &[Vec<usize>],
) -> (Value, f64) {
    let ids: HashMap<String, usize> =
        index.entities().iter().enumerate().map(|(i, e)| (entity_id(e), i)).collect();
    let mut overall = Tally::default();
    let mut by_cat: BTreeMap<String, Tally> = BTreeMap::new();
    let mut candidates_total = 0usize;
    let mut missing = 0usize;
    for (q, h) in queries.iter().zip(hits) {
        let cands = index.candidates(&index.prepare(&q.request));
        candidates_total += cands.len();
        let Some(t) = truth.get(&q.qid) else { continue };
        let Some(expected) = &t.expected else { continue };
        let Some(&e) = ids.get(expected) else {
            missing += 1;
            continue;
        };
        let r = cands.contains(&e);
        let s = h.contains(&e);
        for tally in [&mut overall, by_cat.entry(t.category.clone()).or_default()] {
            tally.n += 1;
            tally.retrieved += usize::from(r);
            tally.screened += usize::from(s);
        }
    }
    if missing > 0 {
        eprintln!("warning: {missing} expected entities are not in the index");
    }
    let mean_candidates = candidates_total as f64 / queries.len().max(1) as f64;
    let cats: serde_json::Map<String, Value> =
        by_cat.iter().map(|(k, v)| (k.clone(), v.json())).collect();
    (
        json!({
            "overall": overall.json(),
            "by_category": cats,
            "mean_candidates_per_query": round(mean_candidates, 1),
        }),
        mean_candidates,
    )
}

fn length_sweep(index: &Index, base: &[ScreenRequest], census: &Census) -> Vec<Value> {
    (1..=8)
        .map(|words| {
            let reqs = length_sweep_queries(base, words, census);
            let l = latency(index, &reqs);
            let mean = l.total.as_secs_f64() * 1e6 / reqs.len().max(1) as f64;
            json!({
                "words": words,
                "us_per_query": round(mean, 1),
                "p50_us": round(percentile(&l.sorted_us, 50.0), 1),
                "p99_us": round(percentile(&l.sorted_us, 99.0), 1),
            })
        })
        .collect()
}

fn main() {
    let args = parse_args();
    let shared = shared_dir();
    let say = |s: String| {
        if args.json {
            eprintln!("{s}");
        } else {
            println!("{s}");
        }
    };
    let mem_start = memory();

    let lists = load_lists(&shared);
    let ofac_count = lists.entities.len() - lists.un_count;
    say(format!(
        "parse: UN {} entries in {:.1} ms, OFAC {} entries in {:.1} ms (files already read)",
        lists.un_count,
        ms(lists.un_parse),
        ofac_count,
        ms(lists.ofac_parse)
    ));

    let mut queries = match &args.queries {
        Some(p) => load_queries(p),
        None => sanctions_bench::dev_queries(&shared),
    };
    if let Some(m) = args.max_queries {
        queries.truncate(m);
    }
    let truth = match &args.truth {
        Some(p) => load_truth(p),
        None => dev_truth(&shared),
    };
    let reqs: Vec<ScreenRequest> = queries.iter().map(|q| q.request.clone()).collect();
    let positives =
        queries.iter().filter(|q| truth.get(&q.qid).is_some_and(|t| t.expected.is_some())).count();
    say(format!("queries: {} ({positives} positive in the truth file)", queries.len()));
    let census = Census::load(&shared);
    let length_base: Vec<ScreenRequest> = reqs.iter().take(args.length_queries).cloned().collect();
    let mem_loaded = memory();

    let mut scales = Vec::new();
    for &k in &args.scales {
        let peak_reset = reset_peak_memory();
        let mem_before = memory();
        let t = Instant::now();
        let mut entities = lists.entities.clone();
        entities.extend(synthesize(&lists.entities, k - 1, &census));
        let synth = t.elapsed();
        let n_entities = entities.len();
        let t = Instant::now();
        let index = Index::build(entities);
        let build = t.elapsed();
        let mem_built = memory();
        say(format!(
            "\n== scale {k}: {n_entities} entities, {} names; synthesis {:.0} ms, build {:.0} ms; \
             RSS {:.1} MiB after build ({:.1} before)",
            index.name_count(),
            ms(synth),
            ms(build),
            mem_built.rss_mb,
            mem_before.rss_mb
        ));

        let lat = latency(&index, &reqs);
        let lj = latency_json(&lat);
        let batch_lat = batch_latency(&index, &reqs);
        assert_eq!(batch_lat.hits, lat.hits, "the same hits in batch order");
        let bj = latency_json(&batch_lat);
        for (mode, lj) in [("file order", &lj), ("batch, locality order", &bj)] {
            say(format!(
                "latency (1 thread, {} queries, {mode}): p50 {} µs, p90 {} µs, p99 {} µs, max {} \
                 µs, mean {} µs; {} queries/s; CPU {} µs/query (the process got {} of a core)",
                lj["queries"],
                lj["p50_us"],
                lj["p90_us"],
                lj["p99_us"],
                lj["max_us"],
                lj["mean_us"],
                lj["qps"],
                lj["cpu_us_per_query"],
                lj["cpu_share"]
            ));
        }

        let scripts = latency_by_script(&reqs, &lat);
        for sj in &scripts {
            say(format!(
                "  by script (file order): {} {} queries, mean {} µs, p99 {} µs, {}% of the \
                 time, {} of the slowest 1%",
                sj["script"].as_str().unwrap_or("?"),
                sj["queries"],
                sj["mean_us"],
                sj["p99_us"],
                round(sj["time_share"].as_f64().unwrap_or(0.0) * 100.0, 1),
                sj["in_slowest_1pct"]
            ));
        }

        let tail = tail_candidates(&index, &reqs, &lat);
        say(format!(
            "  candidates (entries bounded, at most {}): slowest 1% median {}, mean {}, {} of {} \
             at the cap; all queries median {}, mean {}, {} at the cap",
            tail["cap"],
            tail["slowest_1pct"]["median"],
            tail["slowest_1pct"]["mean"],
            tail["slowest_1pct"]["at_cap"],
            tail["slowest_1pct"]["queries"],
            tail["all"]["median"],
            tail["all"]["mean"],
            tail["all"]["at_cap"]
        ));

        let mut tp = Vec::new();
        for batch in [false, true] {
            let mut base_qps = None;
            let mode = if batch { "batch, locality order" } else { "file order" };
            for &n in &args.threads {
                let (qps, cores) = throughput(&index, &reqs, n, args.min_seconds, batch);
                let base = *base_qps.get_or_insert(qps);
                let scaling = qps / base;
                let per_cpu = qps / cores.max(1e-9);
                say(format!(
                    "throughput ({mode}): {n} thread(s) {qps:.0} queries/s (×{scaling:.2} of {} \
                     thread(s)); {cores:.2} cores busy, {per_cpu:.0} queries per CPU-second",
                    args.threads[0]
                ));
                tp.push(json!({
                    "mode": if batch { "batch" } else { "file_order" },
                    "threads": n,
                    "qps": round(qps, 1),
                    "scaling": round(scaling, 3),
                    "cores_busy": round(cores, 3),
                    "qps_per_cpu_second": round(per_cpu, 1),
                }));
            }
        }

        let (rec, _) = recall(&index, &queries, &truth, &lat.hits);
        say(format!(
            "retrieval recall: {} of {} positives (screen recall {}); {} candidates/query",
            rec["overall"]["retrieval_recall"],
            rec["overall"]["n"],
            rec["overall"]["screen_recall"],
            rec["mean_candidates_per_query"]
        ));
        if let Some(cats) = rec["by_category"].as_object() {
            for (c, v) in cats {
                say(format!(
                    "  {c:<14} n={:<5} retrieval {:<7} screen {}",
                    v["n"], v["retrieval_recall"], v["screen_recall"]
                ));
            }
        }

        let lengths = if args.lengths {
            let l = length_sweep(&index, &length_base, &census);
            let line: Vec<String> =
                l.iter().map(|v| format!("{}w {} µs", v["words"], v["us_per_query"])).collect();
            say(format!(
                "query length ({} queries each, mean): {}",
                length_base.len(),
                line.join(", ")
            ));
            Value::Array(l)
        } else {
            Value::Null
        };

        let mem_after = memory();
        say(format!(
            "memory: RSS {:.1} MiB after build, {:.1} MiB after screening; peak {:.1} MiB{}",
            mem_built.rss_mb,
            mem_after.rss_mb,
            mem_after.hwm_mb,
            if peak_reset { " (since this scale began)" } else { " (whole process)" }
        ));
        drop(index);
        scales.push(json!({
            "scale": k,
            "entities": n_entities,
            "synthesis_ms": round(ms(synth), 1),
            "build_ms": round(ms(build), 1),
            "memory": {
                "before_build": mem_json(mem_before),
                "after_build": mem_json(mem_built),
                "after_screen": mem_json(mem_after),
                "index_rss_delta_mib": round(mem_built.rss_mb - mem_before.rss_mb, 1),
                "peak_reset_per_scale": peak_reset,
            },
            "latency": lj,
            "latency_batch": bj,
            "latency_by_script": scripts,
            "tail_candidates": tail,
            "throughput": tp,
            "recall": rec,
            "length_sweep": lengths,
        }));
    }

    if args.json {
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let out = json!({
            "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "loadavg": load.trim(),
            "parse": {
                "un_entities": lists.un_count,
                "ofac_entities": ofac_count,
                "un_ms": round(ms(lists.un_parse), 2),
                "ofac_ms": round(ms(lists.ofac_parse), 2),
            },
            "queries": queries.len(),
            "positives": positives,
            "threshold": sanctions_score::DEFAULT_THRESHOLD,
            "limit": sanctions_bench::LIMIT,
            "memory_start": mem_json(mem_start),
            "memory_loaded": mem_json(mem_loaded),
            "scales": scales,
        });
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    }
}

//! Criterion benches of the screening path on the benchmark index (issue 4).
//!
//! `cargo bench -p sanctions-bench --bench screening [-- FILTER]`. Groups:
//!
//! * `text`: `fold` and `tokenize` of the first [`SAMPLE`] dev query names.
//! * `score`: `word_similarity` over the word pairs of (query, listed name) of the first
//!   [`SAMPLE`] positive dev queries, and `align` of those prepared name pairs.
//! * `retrieval`: `index.prepare` alone, and `index.prepare` + `index.candidates`, over the
//!   first [`SAMPLE`] dev queries.
//! * `screen`: `index.screen` over the first [`SCREEN_SAMPLE`] dev queries, then over
//!   positives and negatives separately.
//! * `build`: `Index::build` over the UN + OFAC entities (the clone of the entity vector is
//!   not timed).
//!
//! Throughput is reported per element (a name, a word pair, a query, an entity).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sanctions_bench::{BenchQuery, dev_queries, dev_truth, load_lists, shared_dir};
use sanctions_index::{Index, ScreenRequest};
use sanctions_score::{NameConfig, PreparedName, align, word_similarity};
use sanctions_text::{fold, tokenize};

/// Queries (or names) per iteration.
const SAMPLE: usize = 500;
/// Queries per iteration of the `screen` group (whole screening is ~100× slower than
/// retrieval; a smaller batch keeps each sample short).
const SCREEN_SAMPLE: usize = 200;

struct Data {
    entities: Vec<sanctions_model::Entity>,
    index: Index,
    queries: Vec<BenchQuery>,
    /// (query, listed name) of positive queries.
    pairs: Vec<(String, String)>,
    positives: Vec<ScreenRequest>,
    negatives: Vec<ScreenRequest>,
}

fn data() -> &'static Data {
    static DATA: std::sync::OnceLock<Data> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let shared = shared_dir();
        let entities = load_lists(&shared).entities;
        let index = Index::build(entities.clone());
        let queries = dev_queries(&shared);
        let truth = dev_truth(&shared);
        let mut pairs = Vec::new();
        let mut positives = Vec::new();
        let mut negatives = Vec::new();
        for q in &queries {
            let Some(t) = truth.get(&q.qid) else { continue };
            if t.expected.is_some() {
                if let Some(src) = &t.source_name {
                    pairs.push((q.request.name.clone(), src.clone()));
                }
                positives.push(q.request.clone());
            } else {
                negatives.push(q.request.clone());
            }
        }
        pairs.truncate(SAMPLE);
        positives.truncate(SAMPLE);
        negatives.truncate(SAMPLE);
        Data { entities, index, queries, pairs, positives, negatives }
    })
}

fn text(c: &mut Criterion) {
    let d = data();
    let names: Vec<&str> = d.queries.iter().take(SAMPLE).map(|q| q.request.name.as_str()).collect();
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Elements(names.len() as u64));
    g.bench_function("fold", |b| {
        b.iter(|| {
            for n in &names {
                black_box(fold(black_box(n)));
            }
        })
    });
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            for n in &names {
                black_box(tokenize(black_box(n)));
            }
        })
    });
    g.finish();
}

fn score(c: &mut Criterion) {
    let d = data();
    let prepared: Vec<(PreparedName, PreparedName)> = d
        .pairs
        .iter()
        .map(|(q, n)| {
            let p = |s: &str| {
                d.index.prepare(&ScreenRequest { name: s.to_string(), ..Default::default() }).name
            };
            (p(q), p(n))
        })
        .collect();
    let words: Vec<(String, String, String, String)> = prepared
        .iter()
        .flat_map(|(q, n)| {
            q.tokens.iter().flat_map(move |a| {
                n.tokens
                    .iter()
                    .map(move |b| (a.text.clone(), a.key.clone(), b.text.clone(), b.key.clone()))
            })
        })
        .collect();
    let cfg = NameConfig::default();
    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(words.len() as u64));
    g.bench_function("word_similarity", |b| {
        b.iter(|| {
            for (a, ka, w, kw) in &words {
                black_box(word_similarity(a, ka, w, kw));
            }
        })
    });
    g.throughput(Throughput::Elements(prepared.len() as u64));
    g.bench_function("align", |b| {
        b.iter(|| {
            for (q, n) in &prepared {
                black_box(align(black_box(q), black_box(n), &cfg));
            }
        })
    });
    g.finish();
}

fn retrieval(c: &mut Criterion) {
    let d = data();
    let reqs: Vec<&ScreenRequest> = d.queries.iter().take(SAMPLE).map(|q| &q.request).collect();
    let mut g = c.benchmark_group("retrieval");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("prepare", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(d.index.prepare(r));
            }
        })
    });
    g.bench_function("prepare+candidates", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(d.index.candidates(&d.index.prepare(r)));
            }
        })
    });
    g.finish();
}

fn screen(c: &mut Criterion) {
    let d = data();
    let all: Vec<ScreenRequest> =
        d.queries.iter().take(SCREEN_SAMPLE).map(|q| q.request.clone()).collect();
    let mut g = c.benchmark_group("screen");
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    for (name, reqs) in [("dev", &all), ("positives", &d.positives), ("negatives", &d.negatives)] {
        let reqs = &reqs[..reqs.len().min(SCREEN_SAMPLE)];
        g.throughput(Throughput::Elements(reqs.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for r in reqs.iter() {
                    black_box(d.index.screen(r));
                }
            })
        });
    }
    g.finish();
}

fn build(c: &mut Criterion) {
    let d = data();
    let mut g = c.benchmark_group("build");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(d.entities.len() as u64));
    g.bench_function("un+ofac", |b| {
        b.iter_batched(|| d.entities.clone(), Index::build, BatchSize::LargeInput)
    });
    g.finish();
}

fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = text, score, retrieval, screen, build
}
criterion_main!(benches);

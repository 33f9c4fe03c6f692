//! Continuous monitoring of a customer base: full and delta re-screening, alerts, decisions.
//!
//! The first run (or a run after the algorithm or threshold changed, or `full`) screens every
//! customer against every entry of the current list versions. Later runs screen only what
//! changed since the versions the previous run covered ([`sanctions_store::Store::diff`] per
//! list, so a change of the list's format alone is not a change):
//!
//! 1. customers added or changed since the last run are screened against every entry;
//! 2. the words (and glued word pairs) of the added and amended entries are indexed on their
//!    own (a small [`sanctions_index::Index`]), and every distinct word of the customers' names
//!    (kept by the store) is looked up in it with the same lookup keys and word similarity as
//!    screening, giving each word its best similarity with a changed entry; then every
//!    customer of the [`CustomerIndex`] (each customer's word ids, saved with the previous run
//!    and patched with the customers changed since) with a reached word gets an upper bound of
//!    its score — the weighted share of its name those similarities cover, plus the bonuses
//!    its attributes could earn — per changed entry its words reach (a customer between
//!    screening's retrieval floor and that bound has its words compared with the entry's
//!    directly); those whose bound comes within [`DELTA_MARGIN`] of the threshold go on;
//! 3. each of those is bounded again, against the changed entries that passed, with
//!    screening's own candidate bound ([`Index::may_hit`]: name coverage and attributes);
//! 4. the customers left, plus those with an alert on a changed entry, are screened exactly as
//!    a full run screens them (same index over the whole current lists, same threshold and
//!    limit), and their hits on changed entries are kept, so the alerts equal those of a full
//!    re-screen for the changed entries;
//! 5. alerts on removed entries are closed as `delisted`.
//!
//! Each filter drops only customers that cannot be hit; `crates/cli/tests/monitor.rs` checks
//! the outcome against a forced full run on the real UN versions.
//!
//! Unchanged entries are not re-scored: their scores can move slightly when the list around
//! them changes (word weights follow word rarity in the whole list); a full run
//! (`full = true`) catches that.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Instant;

use sanctions_index::{Hit, Index, RetrievalConfig, ScreenRequest};
use sanctions_model::{
    Entity, EntityKind, ListVersion, Name, NameQuality, PartialDate, Script, Source,
};
use sanctions_score::{
    ALGORITHM_NAME, ALGORITHM_VERSION, Algorithm, DEFAULT_THRESHOLD, NameToken, PreparedName,
    Query, ShapeCheck, WordPattern, WordShape, letter_mask, sim_masked,
};
use sanctions_store::{
    Alert, AlertHit, Customer, CustomerIndex, CustomerIndexUpdate, CustomerUpsert, DecideOutcome,
    FLAG_BIRTH_DATE, FLAG_IDENTIFIERS, FLAG_NATIONALITY, MonitorRun, RunMode, RunRecord,
    RunSummary, RunVersion, Verdict,
};
use sanctions_text::detect_script;
use serde::Serialize;

use crate::snapshot::Snapshot;
use crate::{Engine, Error, Result};

/// Most hits kept per customer in a monitoring run.
pub const MONITOR_LIMIT: usize = 25;

/// How to run monitoring.
#[derive(Clone, Debug)]
pub struct MonitorOptions {
    /// Screen every customer against every entry even if a delta would do.
    pub full: bool,
    /// Lowest score that raises an alert.
    pub threshold: f32,
    /// Worker threads (0: all cores).
    pub threads: usize,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        MonitorOptions { full: false, threshold: DEFAULT_THRESHOLD, threads: 0 }
    }
}

/// The result of a monitoring run.
#[derive(Clone, Debug, Serialize)]
pub struct MonitorReport {
    /// The recorded run (id, mode, versions covered, counts).
    pub run: MonitorRun,
    /// The list versions covered, with their dates.
    pub versions: Vec<crate::VersionUsed>,
    /// Alerts raised or re-raised by this run.
    pub new_alerts: Vec<Alert>,
}

/// The algorithm id recorded with runs: a change forces a full run.
pub fn algorithm_id() -> String {
    format!("{ALGORITHM_NAME}/{ALGORITHM_VERSION}")
}

/// Longest customer id accepted, in bytes.
pub const MAX_CUSTOMER_ID_BYTES: usize = 200;
/// Longest customer name accepted, in bytes.
pub const MAX_CUSTOMER_NAME_BYTES: usize = 1000;

/// A customer as given, trimmed (empty optional fields dropped) and checked: an id and a name
/// within bounds, a birth date and kind that parse. The error says what is wrong; callers add
/// where (a file line, a request item).
pub fn check_customer(c: Customer) -> Result<Customer> {
    let opt = |s: Option<String>| s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    let c = Customer {
        id: c.id.trim().to_string(),
        name: c.name.trim().to_string(),
        birth_date: opt(c.birth_date),
        nationality: opt(c.nationality),
        kind: opt(c.kind),
        identifiers: c.identifiers.into_iter().filter_map(|s| opt(Some(s))).collect(),
    };
    let usage = |m: String| Err(Error::Usage(m));
    if c.id.is_empty() {
        return usage("empty id".into());
    }
    if c.id.len() > MAX_CUSTOMER_ID_BYTES {
        return usage(format!("id longer than {MAX_CUSTOMER_ID_BYTES} bytes"));
    }
    if c.name.is_empty() {
        return usage(format!("customer {}: empty name", c.id));
    }
    if c.name.len() > MAX_CUSTOMER_NAME_BYTES {
        return usage(format!(
            "customer {}: name longer than {MAX_CUSTOMER_NAME_BYTES} bytes",
            c.id
        ));
    }
    customer_request(&c, DEFAULT_THRESHOLD)?;
    Ok(c)
}

/// The screening request of a customer. Fails on a malformed birth date or kind.
pub fn customer_request(c: &Customer, threshold: f32) -> Result<ScreenRequest> {
    let birth_date = c
        .birth_date
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim().parse::<PartialDate>())
        .transpose()
        .map_err(|e| Error::Usage(format!("customer {}: birth date: {e}", c.id)))?;
    let kind = c
        .kind
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.trim().parse::<EntityKind>())
        .transpose()
        .map_err(|e| Error::Usage(format!("customer {}: kind: {e}", c.id)))?;
    Ok(ScreenRequest {
        name: c.name.clone(),
        birth_date,
        nationality: c.nationality.clone().filter(|n| !n.trim().is_empty()),
        kind,
        identifiers: c.identifiers.clone(),
        threshold,
        limit: MONITOR_LIMIT,
    })
}

/// The words of a name as the index sees them (folded, tokenised).
pub fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> =
        sanctions_text::tokenize(name).into_iter().map(|t| t.text).collect();
    words.sort();
    words.dedup();
    words
}

fn threads(n: usize) -> usize {
    if n > 0 { n } else { std::thread::available_parallelism().map_or(1, |n| n.get()) }
}

/// Runs `f` over `items` on `threads` threads, concatenating the results in order. The items
/// go out in contiguous pieces, eight a thread, each to the next thread free: slow items side by
/// side (a locality order groups queries of common words) do not all fall to one thread.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Vec<R> + Sync,
) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let threads = threads.max(1);
    let pieces: Vec<&[T]> = items.chunks(items.len().div_ceil(threads * 8).max(1)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(pieces.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(piece) = pieces.get(i) else { break };
                        out.push((i, piece.iter().flat_map(&f).collect::<Vec<R>>()));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_unstable_by_key(|d| d.0);
    done.into_iter().flat_map(|d| d.1).collect()
}

/// Screens customers on the snapshot; keeps hits on entries `keep` accepts.
fn screen_customers(
    snapshot: &Snapshot,
    customers: &[Customer],
    threshold: f32,
    threads: usize,
    keep: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Vec<AlertHit>> {
    let version_of: HashMap<Source, i64> =
        snapshot.versions().iter().map(|v| (v.source, v.id)).collect();
    let requests =
        customers.iter().map(|c| customer_request(c, threshold)).collect::<Result<Vec<_>>>()?;
    let index = snapshot.index();
    // A chunk at a time, each screened in the index's locality order (customers sharing words
    // one after the other; each thread takes a contiguous run of it), the hits then put back
    // in customer order.
    let mut out = Vec::new();
    for (chunk, reqs) in customers.chunks(LOCALITY_CHUNK).zip(requests.chunks(LOCALITY_CHUNK)) {
        let queries: Vec<Query> = par_map(reqs, threads, |r| vec![index.prepare(r)]);
        let order = index.locality_order(&queries);
        let mut hits = par_map(&order, threads, |&i| {
            let (c, req) = (&chunk[i], &reqs[i]);
            index
                .screen_query(&queries[i], req.threshold, req.limit)
                .into_iter()
                .filter(|h| keep(h.entity))
                .map(|h| (i, alert_hit(index, &version_of, c, h)))
                .collect()
        });
        // Stable: a customer's hits keep their order (best first).
        hits.sort_by_key(|(i, _)| *i);
        out.extend(hits.into_iter().map(|(_, h)| h));
    }
    Ok(out)
}

/// Customers screened at a time by [`screen_customers`]: enough for queries sharing words to
/// meet, few enough that their prepared queries stay small.
const LOCALITY_CHUNK: usize = 8192;

/// An alert hit of customer `c` on a screening hit.
fn alert_hit(index: &Index, version_of: &HashMap<Source, i64>, c: &Customer, h: Hit) -> AlertHit {
    let e = &index.entities()[h.entity];
    AlertHit {
        customer_id: c.id.clone(),
        source: e.source,
        source_id: e.source_id.clone(),
        reference: e.reference.clone(),
        entry_name: e.primary_name().to_string(),
        score: h.score,
        version_id: version_of.get(&e.source).copied().unwrap_or_default(),
        content_hash: e.content_hash(),
        explanation: serde_json::to_string(&h.explanation).expect("explanations serialize"),
    }
}

/// One word (or two adjacent words glued) of a changed entry's names.
struct ListedWord {
    text: String,
    key: String,
    mask: u64,
    /// For [`WordPattern::may_be_similar`].
    shape: WordShape,
    transliterated: bool,
    /// The changed entries (positions in the slice given) whose names hold it.
    entries: Vec<u32>,
}

/// A customer word's best similarity with the words of each changed entry it meets, by
/// entry.
type Reach = Vec<(u32, f32)>;

/// The words (and glued word pairs) of the changed entries' names.
fn listed_units(entries: &[Entity]) -> Vec<ListedWord> {
    let mut seen: HashMap<(String, bool), usize> = HashMap::new();
    let mut listed: Vec<ListedWord> = Vec::new();
    for (ei, e) in entries.iter().enumerate() {
        let ei = ei as u32;
        for n in &e.names {
            let translit =
                n.script == Some(Script::Arabic) || detect_script(&n.full) == Script::Arabic;
            let p = PreparedName::new(sanctions_text::tokenize(&n.full), |_| 1.0);
            let units = p
                .tokens
                .iter()
                .map(|t| (&t.text, &t.key))
                .chain(p.glued.iter().map(|g| (&g.text, &g.key)));
            for (text, key) in units {
                let at = *seen.entry((text.clone(), translit)).or_insert_with(|| {
                    listed.push(ListedWord {
                        text: text.clone(),
                        key: key.clone(),
                        mask: letter_mask(text),
                        shape: WordShape::new(text, key),
                        transliterated: translit,
                        entries: Vec::new(),
                    });
                    listed.len() - 1
                });
                if listed[at].entries.last() != Some(&ei) {
                    listed[at].entries.push(ei);
                }
            }
        }
    }
    listed
}

/// For each of `words`: its weight and token as the screening `index` sees it, and, when it
/// meets a unit of `listed` through the screening's lookup keys (variant keys, typo keys), its
/// best word similarity with the units of each entry it meets. Each word is tokenised once.
fn words_reaching(
    listed: &[ListedWord],
    words: &[(i64, String)],
    index: &Index,
    threads: usize,
) -> Vec<(i64, WordInfo, Reach)> {
    // One pseudo-entry per listed word, only to reach words by the index's lookup keys; no
    // pruning beyond the index's floor (a one-word query passes it with similarity 0.2).
    let pseudo: Vec<Entity> = listed
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut e = Entity::new(Source::Un, i.to_string(), i.to_string(), EntityKind::Unknown);
            let mut name = Name::new(w.text.clone(), NameQuality::Primary);
            // A word transliterated from Arabic is compared as such (consonant keys), as the
            // screening index compares it.
            if w.transliterated {
                name.script = Some(Script::Arabic);
            }
            e.names.push(name);
            e
        })
        .collect();
    let retrieval = RetrievalConfig { min_coverage: 0.0, max_candidates: usize::MAX };
    let small = Index::build_with(pseudo, Algorithm::default(), retrieval);
    let one = |(id, text): &(i64, String)| {
        let req =
            ScreenRequest { name: text.clone(), threshold: 0.0, limit: 1, ..Default::default() };
        let q = small.prepare(&req);
        let tokens = &q.name.tokens;
        let info = WordInfo::new(tokens, text, index);
        let mut reach: Reach = Vec::new();
        if !listed.is_empty() {
            for (i, sim, word) in small.reached_first_words(&q) {
                let w = &listed[i];
                // The similarity retrieval computed, when the index compared the word as
                // listed; else (the same spelling also listed from an Arabic-script name, say)
                // compared here.
                let same = word.text == w.text
                    && word.key == w.key
                    && word.transliterated == w.transliterated;
                let best = if same {
                    sim
                } else {
                    let translit = w.transliterated || q.name.transliterated;
                    tokens
                        .iter()
                        .map(|t| {
                            let m = letter_mask(&t.text);
                            sim_masked(translit, &t.text, &t.key, m, &w.text, &w.key, w.mask).value
                        })
                        .fold(0.0f32, f32::max)
                };
                if best <= 0.0 {
                    continue;
                }
                for &e in &w.entries {
                    match reach.iter_mut().find(|(x, _)| *x == e) {
                        Some((_, s)) => *s = s.max(best),
                        None => reach.push((e, best)),
                    }
                }
            }
        }
        // By entry, for binary search.
        reach.sort_unstable_by_key(|&(e, _)| e);
        (*id, info, reach)
    };
    // In chunks, so the results are gathered a chunk at a time, not a word at a time.
    let chunks: Vec<&[(i64, String)]> = words.chunks(1024).collect();
    par_map(&chunks, threads, |chunk| chunk.iter().map(one).collect())
}

/// Slack on the delta run's bound (see [`delta_candidates`]): a customer whose bound falls
/// short of the threshold by less than this is still screened.
pub const DELTA_MARGIN: f32 = 0.05;

/// The most a customer's attributes can add to a score, by what the customer gave.
fn attribute_bonus(flags: u8) -> f32 {
    let a = &Algorithm::default().config.attributes;
    let mut b = 0.0;
    if flags & FLAG_BIRTH_DATE != 0 {
        b += a.dob_exact_bonus.max(a.dob_year_bonus);
    }
    if flags & FLAG_NATIONALITY != 0 {
        b += a.nationality_bonus;
    }
    if flags & FLAG_IDENTIFIERS != 0 {
        b += a.identifier_bonus;
    }
    b
}

/// A customer word as the screening index sees it: weight, and its token (text, key, shape).
struct WordInfo {
    weight: f32,
    text: String,
    key: String,
    /// Rules out most listed words without comparing ([`WordShape::check`]).
    shape: WordShape,
    /// Made the first time a comparison is left to do (a kilobyte; most words never need
    /// it), then shared by the threads.
    pattern: OnceLock<Box<WordPattern>>,
}

impl WordInfo {
    fn from_token(weight: f32, text: String, key: String) -> WordInfo {
        let shape = WordShape::new(&text, &key);
        WordInfo { weight, text, key, shape, pattern: OnceLock::new() }
    }

    /// A stored customer word tokenised (`tokens`), weighed by the screening `index` as
    /// [`Index::prepare`] weighs it.
    fn new(tokens: &[NameToken], word: &str, index: &Index) -> WordInfo {
        // A word tokenised alone is one token; should it split, its parts' weights add.
        let weight = tokens.iter().map(|t| index.key_weight(&t.key, t.class)).sum::<f32>();
        let (text, key) = tokens
            .first()
            .map_or((word.to_string(), String::new()), |t| (t.text.clone(), t.key.clone()));
        WordInfo::from_token(weight, text, key)
    }
}

/// The customers (rowids) of `ix` that a changed entry may hit: those whose name words can
/// still reach the threshold against one changed entry.
///
/// A score is at most the name's query coverage (`Σ weight × similarity / Σ weight` over the
/// customer's words; the name score multiplies it by the listed name's coverage, at most 1)
/// plus the bonuses of the attributes the customer gave. With `reach[w]` the best similarity
/// of word `w` with the words of each changed entry its lookup keys meet, and its weight in
/// the screening index, a customer is kept when, for some entry, that share plus its possible
/// bonuses and [`DELTA_MARGIN`] reaches `threshold`. Otherwise, for the entries whose
/// key-reached share passes screening's own retrieval floor (below it screening never
/// retrieves the entry), the customer's words are also compared with the entry's words
/// directly, and the better similarity counts. Weights are computed only for the words of
/// customers with at least one reached word.
fn delta_candidates(
    ix: &CustomerIndex,
    reach: &[Reach],
    word_info: &[Option<WordInfo>],
    listed: &[ListedWord],
    threshold: f32,
    threads: usize,
) -> Vec<(i64, Vec<u32>)> {
    // Changed entries are numbered from 0; those without a word are never reached.
    let entries = listed.iter().flat_map(|l| l.entries.iter()).max().map_or(0, |&e| e as usize + 1);
    // What the loop over customers reads of a word, packed by word id (its weight, where its
    // reach is in `flat`), so a customer costs few cache lines.
    let mut meta: Vec<WordMeta> = Vec::with_capacity(reach.len());
    let mut flat: Vec<(u32, f32)> = Vec::new();
    for (w, r) in reach.iter().enumerate() {
        let weight = word_info.get(w).and_then(Option::as_ref).map_or(0.0, |i| i.weight);
        meta.push(WordMeta { weight, start: flat.len() as u32, len: r.len() as u32 });
        flat.extend_from_slice(r);
    }
    // A word the store does not know (none should be) weighs nothing.
    let meta_of = |meta: &[WordMeta], w: u32| meta.get(w as usize).copied().unwrap_or_default();
    // Asked only of words that weigh something, which are known.
    let info_of = |w: u32| {
        word_info.get(w as usize).and_then(Option::as_ref).expect("a word with a weight is known")
    };
    let meta = &meta;
    let flat = &flat;
    // Each entry's units, side by side (what the shape check reads of them first).
    let mut units_of: Vec<Vec<EntryUnit>> = vec![Vec::new(); entries];
    for (u, l) in listed.iter().enumerate() {
        for &e in &l.entries {
            units_of[e as usize].push(EntryUnit {
                shape: l.shape,
                transliterated: l.transliterated,
                unit: u as u32,
            });
        }
    }
    let unit_start: Vec<usize> = std::iter::once(0)
        .chain(units_of.iter().scan(0, |n, u| {
            *n += u.len();
            Some(*n)
        }))
        .collect();
    let entry_units: Vec<EntryUnit> = units_of.into_iter().flatten().collect();
    // The best similarity of a word with the units of an entry, compared directly (for the
    // words the lookup keys did not reach: glued units, distant spellings).
    let direct = |wi: &WordInfo, e: u32| -> f32 {
        entry_units[unit_start[e as usize]..unit_start[e as usize + 1]]
            .iter()
            .map(|u| unit_similarity(wi, &u.shape, u.transliterated, &listed[u.unit as usize]))
            .fold(0.0f32, f32::max)
    };
    // The share of a query that screening's retrieval needs reached by lookup keys.
    let share =
        (RetrievalConfig::default().min_coverage + (threshold - DEFAULT_THRESHOLD)).clamp(0.2, 1.0);
    let bonus: [f32; 8] = std::array::from_fn(|f| attribute_bonus(f as u8));
    // The least a customer's words must reach of their weight (`den`) for an entry.
    let need = |i: usize| threshold - bonus[usize::from(ix.flags[i] & 7)] - DELTA_MARGIN;

    // 1. Customer by customer, through the lookup keys alone: the (customer, entry) pairs
    // that pass, and by entry the customers to compare directly with it (their key-reached
    // share is short of what they need, but not of screening's retrieval floor).
    let n = ix.len();
    let step = n.div_ceil(threads.max(1) * 8).max(1);
    let chunks: Vec<std::ops::Range<usize>> =
        (0..n).step_by(step).map(|a| a..n.min(a + step)).collect();
    let keyed_pass: Vec<KeyedPass> = par_map(&chunks, threads, |chunk| {
        // Per entry: the key-reached weighted similarity of this customer's words.
        let mut acc: Vec<f32> = vec![0.0; entries];
        let mut seen: Vec<bool> = vec![false; entries];
        let mut covered: Vec<u32> = Vec::new();
        let mut out = KeyedPass { pass: Vec::new(), to_compare: vec![Vec::new(); entries] };
        for i in chunk.clone() {
            let words = ix.words_of(i);
            // Only customers with a word some changed entry reaches.
            if words.iter().all(|&w| meta_of(meta, w).len == 0) {
                continue;
            }
            for &e in &covered {
                acc[e as usize] = 0.0;
                seen[e as usize] = false;
            }
            covered.clear();
            let mut den = 0.0f32;
            for &w in words {
                let m = meta_of(meta, w);
                den += m.weight;
                for &(e, s) in &flat[m.start as usize..(m.start + m.len) as usize] {
                    if !seen[e as usize] {
                        seen[e as usize] = true;
                        covered.push(e);
                    }
                    acc[e as usize] += m.weight * s;
                }
            }
            if den <= 0.0 {
                // Nothing to weigh the words by: every entry they meet goes on.
                out.pass.extend(covered.iter().map(|&e| (i as u32, e)));
                continue;
            }
            let need = need(i) * den;
            // Screening retrieves a name only when the words its lookup keys reach cover
            // `share` of the query: entries below it cannot be hit at all.
            let floor = (share - DELTA_MARGIN) * den;
            for &e in &covered {
                let a = acc[e as usize];
                if a >= need {
                    out.pass.push((i as u32, e));
                } else if a >= floor {
                    out.to_compare[e as usize].push(i as u32);
                }
            }
        }
        vec![out]
    });

    // 2. Entry by entry, the customers short through the keys: their words compared with the
    // entry's words directly (a spelling the keys do not reach), the better similarity kept.
    // Each thread takes the next entry and keeps that entry's similarities by word, so a word
    // met by many customers is compared once per entry.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let direct_pass: Vec<(u32, u32)> = par_map(&vec![(); threads.max(1)], threads, |()| {
        let mut cell: Vec<f32> = vec![0.0; reach.len()];
        let mut stamp: Vec<u32> = vec![0; reach.len()];
        let mut out = Vec::new();
        loop {
            let e = next.fetch_add(1, Ordering::Relaxed);
            if e >= entries {
                break;
            }
            let e32 = e as u32;
            // Word `w`'s similarity with the entry through its lookup keys (0 if none).
            let keyed = |m: WordMeta| {
                let r = &flat[m.start as usize..(m.start + m.len) as usize];
                r.binary_search_by_key(&e32, |&(x, _)| x).map_or(0.0, |k| r[k].1)
            };
            // Its similarity with the entry, keyed or direct, the better (once per word).
            let mut sim = |w: u32, m: WordMeta| -> f32 {
                let at = w as usize;
                if stamp[at] != e32 + 1 {
                    stamp[at] = e32 + 1;
                    cell[at] = keyed(m).max(direct(info_of(w), e32));
                }
                cell[at]
            };
            for &i in keyed_pass.iter().flat_map(|k| &k.to_compare[e]) {
                let words = ix.words_of(i as usize);
                let den: f32 = words.iter().map(|&w| meta_of(meta, w).weight).sum();
                let need = need(i as usize) * den;
                // First with each keyed word at 1, its best possible: most entries fail
                // here, having compared only the words the keys did not reach.
                let mut upper = 0.0f32;
                for &w in words {
                    let m = meta_of(meta, w);
                    // A word that weighs nothing adds nothing, whatever its similarity.
                    if m.weight > 0.0 {
                        upper += m.weight * if keyed(m) > 0.0 { 1.0 } else { sim(w, m) };
                    }
                }
                if upper < need {
                    continue;
                }
                let mut got = 0.0f32;
                for &w in words {
                    let m = meta_of(meta, w);
                    if m.weight > 0.0 {
                        got += m.weight * sim(w, m);
                    }
                }
                if got >= need {
                    out.push((i, e32));
                }
            }
        }
        out
    });

    // By customer, with the entries each passed.
    let mut pairs: Vec<(u32, u32)> = direct_pass;
    for k in keyed_pass {
        pairs.extend(k.pass);
    }
    pairs.sort_unstable();
    let mut found: Vec<(i64, Vec<u32>)> = Vec::new();
    for (i, e) in pairs {
        let rowid = ix.rowids[i as usize];
        match found.last_mut() {
            Some((r, es)) if *r == rowid => es.push(e),
            _ => found.push((rowid, vec![e])),
        }
    }
    found
}

/// What one range of customers gives the delta's bound through the lookup keys alone.
struct KeyedPass {
    /// (customer, entry) pairs that pass on their key-reached words.
    pass: Vec<(u32, u32)>,
    /// By entry: the customers to compare with its words directly.
    to_compare: Vec<Vec<u32>>,
}

/// A unit of a changed entry, as the direct comparison reads it.
#[derive(Clone, Copy)]
struct EntryUnit {
    shape: WordShape,
    transliterated: bool,
    /// Its position in the listed units.
    unit: u32,
}

/// The word similarity screening gives a customer word with a listed unit `l`
/// ([`sim_masked`]), after the shape check that rules most pairs out; `shape` and
/// `transliterated` are `l`'s, passed apart so a caller can keep them side by side.
#[inline]
fn unit_similarity(wi: &WordInfo, shape: &WordShape, transliterated: bool, l: &ListedWord) -> f32 {
    match wi.shape.check(transliterated, shape) {
        ShapeCheck::Zero => 0.0,
        check => {
            let pat = wi.pattern.get_or_init(|| Box::new(WordPattern::new(&wi.text, &wi.key)));
            pat.sim_checked(check, transliterated, &wi.text, &wi.key, &l.text, &l.key, shape).value
        }
    }
}

/// What a run reads from the store while the screening index is built.
enum RunInputs {
    /// Every customer.
    Full(Vec<Customer>),
    Delta(Box<DeltaInputs>),
}

/// See [`Engine::delta_inputs`].
struct DeltaInputs {
    changed: Vec<(Source, String)>,
    removed: Vec<(Source, String)>,
    pending: Vec<Customer>,
    pending_rows: CustomerIndex,
    saved_index: Option<CustomerIndex>,
    words: Vec<(i64, String)>,
}

/// Logs how long each step of a run took (`SANCTIONS_LOG=sanctions::monitor=debug`), for
/// finding where a slow run spends its time.
struct Phases {
    last: Instant,
}

impl Phases {
    fn new() -> Phases {
        Phases { last: Instant::now() }
    }

    /// Logs the time since the previous step ended as step `name`'s.
    fn done(&mut self, name: &str) {
        let now = Instant::now();
        let us = now.duration_since(self.last).as_micros() as u64;
        tracing::debug!(target: "sanctions::monitor", step = name, ms = us as f64 / 1000.0);
        self.last = now;
    }
}

/// A customer word as the delta's loop over customers reads it.
#[derive(Clone, Copy, Default)]
struct WordMeta {
    /// Its weight in the screening index (0 for a word the store does not know).
    weight: f32,
    /// Where its reach (by entry) is in the packed array, and how many.
    start: u32,
    len: u32,
}

impl Engine {
    /// Registers customers (a known id is updated), in one transaction.
    pub fn monitor_add(&mut self, customers: &[Customer]) -> Result<CustomerUpsert> {
        for c in customers {
            customer_request(c, DEFAULT_THRESHOLD)?;
        }
        let with_words: Vec<(Customer, Vec<String>)> =
            customers.iter().map(|c| (c.clone(), name_words(&c.name))).collect();
        Ok(self.store.upsert_customers(&with_words)?)
    }

    /// How many customers are registered.
    pub fn customer_count(&self) -> Result<usize> {
        Ok(self.store.customer_count()?)
    }

    /// Screens the customers against the current list versions and records the alerts: a
    /// full run the first time, then only what changed (see the module documentation).
    pub fn monitor_run(&mut self, opts: &MonitorOptions) -> Result<MonitorReport> {
        let start = Instant::now();
        let mut phases = Phases::new();
        let threads = threads(opts.threads);
        let versions: Vec<ListVersion> = self.versions_for(None)?;
        let last = self.store.last_monitor_run()?;
        let algorithm = algorithm_id();
        let full = opts.full
            || match &last {
                None => true,
                Some(r) => r.algorithm != algorithm || (r.threshold - opts.threshold).abs() > 1e-6,
            };
        let mut entities = Vec::new();
        for v in &versions {
            entities.extend(self.store.entities(v.id)?);
        }
        phases.done("entries");
        // The entries of a list the last run did not cover are all new to this one.
        let before: HashMap<Source, i64> =
            last.iter().flat_map(|r| r.versions.iter().map(|v| (v.source, v.version_id))).collect();
        let new_lists: Vec<(Source, String)> = entities
            .iter()
            .filter(|e| !full && !before.contains_key(&e.source))
            .map(|e| (e.source, e.source_id.clone()))
            .collect();
        // The screening index is built on another thread while this one reads the store.
        let (snapshot, inputs) = std::thread::scope(|scope| {
            let building = scope.spawn(|| Snapshot::build(versions.clone(), entities, None));
            let inputs = if full {
                self.store.customers(false).map(RunInputs::Full).map_err(Error::from)
            } else {
                self.delta_inputs(&before, &versions, new_lists)
            };
            let snapshot = building.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (snapshot, inputs)
        });
        let inputs = inputs?;
        phases.done("index, beside the diff and customer reads");
        let mut summary =
            RunSummary { customers: self.store.customer_count()?, ..Default::default() };
        let run_versions: Vec<RunVersion> =
            versions.iter().map(|v| RunVersion { source: v.source, version_id: v.id }).collect();
        let record = match inputs {
            RunInputs::Full(customers) => {
                summary.customers_screened = customers.len();
                let hits =
                    screen_customers(&snapshot, &customers, opts.threshold, threads, &|_| true)?;
                phases.done("screen");
                let customer_index =
                    CustomerIndexUpdate::Save(self.store.customer_index_rows(false)?);
                phases.done("customer index");
                RunRecord {
                    customer_index,
                    mode: RunMode::Full,
                    algorithm,
                    threshold: opts.threshold,
                    versions: run_versions,
                    screened_customers: Vec::new(),
                    changed_entries: Vec::new(),
                    removed_entries: Vec::new(),
                    hits,
                    summary,
                }
            }
            RunInputs::Delta(d) => {
                let DeltaInputs { changed, removed, pending, pending_rows, saved_index, words } =
                    *d;
                summary.entries_changed = changed.len();
                summary.entries_removed = removed.len();
                let changed_set: HashSet<(Source, &str)> =
                    changed.iter().map(|(s, id)| (*s, id.as_str())).collect();
                let entities = snapshot.index().entities();
                let is_changed: Vec<bool> = entities
                    .iter()
                    .map(|e| changed_set.contains(&(e.source, e.source_id.as_str())))
                    .collect();

                // 1. New and changed customers: against everything.
                let pending_ids: HashSet<&str> = pending.iter().map(|c| c.id.as_str()).collect();
                summary.customers_screened = pending.len();
                let mut hits =
                    screen_customers(&snapshot, &pending, opts.threshold, threads, &|_| true)?;
                phases.done("pending customers");

                // 2. Candidates for the changed entries, through the customers' words: the
                // index of the last run patched with the pending customers.
                let (customer_index, keep) = match saved_index {
                    // Nobody added or changed: the saved index stays as it is.
                    Some(ix) if pending_rows.is_empty() => (ix, true),
                    Some(ix) => (ix.merge(&pending_rows), false),
                    None => (self.store.customer_index_rows(false)?, false),
                };
                phases.done("customer index");
                // Changed entries by their position in the snapshot's index.
                let changed_at: Vec<usize> =
                    (0..entities.len()).filter(|&i| is_changed[i]).collect();
                let changed_entities: Vec<Entity> =
                    changed_at.iter().map(|&i| entities[i].clone()).collect();
                let mut found: Vec<(i64, Vec<u32>)> = Vec::new();
                if !changed_entities.is_empty() {
                    let size = words.iter().map(|(id, _)| *id as usize + 1).max().unwrap_or(0);
                    let listed = listed_units(&changed_entities);
                    let mut reach: Vec<Reach> = vec![Vec::new(); size];
                    let mut word_info: Vec<Option<WordInfo>> = (0..size).map(|_| None).collect();
                    for (id, info, r) in words_reaching(&listed, &words, snapshot.index(), threads)
                    {
                        reach[id as usize] = r;
                        word_info[id as usize] = Some(info);
                    }
                    phases.done("words reaching");
                    found = delta_candidates(
                        &customer_index,
                        &reach,
                        &word_info,
                        &listed,
                        opts.threshold,
                        threads,
                    );
                    phases.done("word bound");
                }
                // The same bound as screening's before it aligns a candidate, on the changed
                // entries each candidate's words met (name coverage and attributes included).
                let rowids: Vec<i64> = found.iter().map(|(r, _)| *r).collect();
                let entries_of: HashMap<i64, &[u32]> =
                    found.iter().map(|(r, e)| (*r, e.as_slice())).collect();
                let index = snapshot.index();
                // Of a batch of customers read, those that may be hit, with their rowids.
                let bound = |batch: Vec<(i64, Customer)>| -> Vec<(i64, Customer)> {
                    batch
                        .into_iter()
                        .filter(|(rowid, c)| {
                            if pending_ids.contains(c.id.as_str()) {
                                return false;
                            }
                            // A request that cannot be made is left to the screening below,
                            // which reports it as a full run would.
                            let Ok(req) = customer_request(c, opts.threshold) else {
                                return true;
                            };
                            let q = index.prepare(&req);
                            let entries = entries_of.get(rowid).copied().unwrap_or_default();
                            entries
                                .iter()
                                .any(|&e| index.may_hit(&q, changed_at[e as usize], opts.threshold))
                        })
                        .collect()
                };
                // Read in batches on this thread while the others bound the batches read.
                let (tx, rx) = std::sync::mpsc::channel::<Vec<(i64, Customer)>>();
                let rx = std::sync::Mutex::new(rx);
                let work = || {
                    let mut kept = Vec::new();
                    loop {
                        let batch =
                            rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
                        match batch {
                            Ok(b) => kept.extend(bound(b)),
                            Err(()) => break kept,
                        }
                    }
                };
                let (loaded, kept) = std::thread::scope(|scope| -> Result<_> {
                    let workers: Vec<_> = (1..threads.max(2)).map(|_| scope.spawn(work)).collect();
                    let mut loaded = 0;
                    let mut read = Ok(());
                    for chunk in rowids.chunks(2048) {
                        match self.store.customers_at(chunk) {
                            Ok(batch) => {
                                loaded += batch.len();
                                if tx.send(batch).is_err() {
                                    break;
                                }
                            }
                            Err(e) => {
                                read = Err(e);
                                break;
                            }
                        }
                    }
                    drop(tx);
                    // Then this thread bounds what is left with them.
                    let mut kept = work();
                    for w in workers {
                        kept.extend(w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
                    }
                    read?;
                    Ok((loaded, kept))
                })?;
                let mut kept = kept;
                kept.sort_unstable_by_key(|(rowid, _)| *rowid);
                let mut candidates: Vec<Customer> = kept.into_iter().map(|(_, c)| c).collect();
                summary.customers_bounded = loaded;
                phases.done("read and bound the customers bounded");
                // And every customer with an alert on a changed entry.
                let alerted = self.store.customers_alerted_on(&changed)?;
                if !alerted.is_empty() {
                    let known: HashSet<String> = candidates.iter().map(|c| c.id.clone()).collect();
                    let extra: Vec<String> = alerted
                        .into_iter()
                        .filter(|id| !known.contains(id) && !pending_ids.contains(id.as_str()))
                        .collect();
                    candidates.extend(self.store.customers_by_id(&extra)?);
                }
                summary.customers_rescored = candidates.len();
                phases.done("alerted customers");

                // 3. Confirm each candidate exactly as a full screening does.
                hits.extend(screen_customers(
                    &snapshot,
                    &candidates,
                    opts.threshold,
                    threads,
                    &|i| is_changed[i],
                )?);
                phases.done("screen");
                RunRecord {
                    customer_index: if keep {
                        CustomerIndexUpdate::Keep
                    } else {
                        CustomerIndexUpdate::Save(customer_index)
                    },
                    mode: RunMode::Delta,
                    algorithm,
                    threshold: opts.threshold,
                    versions: run_versions,
                    screened_customers: pending.into_iter().map(|c| c.id).collect(),
                    changed_entries: changed,
                    removed_entries: removed,
                    hits,
                    summary,
                }
            }
        };
        let mut record = record;
        record.summary.elapsed_ms = start.elapsed().as_millis() as u64;
        let run = self.store.record_monitor_run(record)?;
        phases.done("record");
        let new_alerts =
            self.store.alerts(false)?.into_iter().filter(|a| a.opened_run == run.id).collect();
        Ok(MonitorReport { run, versions: snapshot.versions_used(), new_alerts })
    }

    /// What a delta run reads from the store before it needs the screening index: the
    /// changes since the versions of the last run (`before`; `new_lists` are the entries of
    /// lists it did not cover), the customers added or changed since, the saved customer
    /// index, and the customers' words when some entry changed.
    fn delta_inputs(
        &self,
        before: &HashMap<Source, i64>,
        versions: &[ListVersion],
        new_lists: Vec<(Source, String)>,
    ) -> Result<RunInputs> {
        let mut changed: Vec<(Source, String)> = new_lists;
        let mut removed: Vec<(Source, String)> = Vec::new();
        for v in versions {
            match before.get(&v.source) {
                Some(&from) if from != v.id => {
                    let d = self.store.diff(from, v.id)?;
                    changed.extend(d.added.into_iter().map(|e| (v.source, e.source_id)));
                    changed.extend(d.amended.into_iter().map(|e| (v.source, e.source_id)));
                    removed.extend(d.removed.into_iter().map(|e| (v.source, e.source_id)));
                }
                _ => {}
            }
        }
        let pending = self.store.customers(true)?;
        let pending_rows = self.store.customer_index_rows(true)?;
        let saved_index = self.store.saved_customer_index()?;
        let words = if changed.is_empty() { Vec::new() } else { self.store.customer_words()? };
        Ok(RunInputs::Delta(Box::new(DeltaInputs {
            changed,
            removed,
            pending,
            pending_rows,
            saved_index,
            words,
        })))
    }

    /// Alerts, newest first (only open ones if `open_only`), with their decision history.
    pub fn monitor_alerts(&self, open_only: bool) -> Result<Vec<Alert>> {
        Ok(self.store.alerts(open_only)?)
    }

    /// Records an analyst's decision on an alert.
    pub fn decide(
        &mut self,
        alert_id: i64,
        verdict: Verdict,
        reason: &str,
        decided_by: &str,
    ) -> Result<Alert> {
        if reason.trim().is_empty() {
            return Err(Error::Usage("a decision needs a reason".into()));
        }
        if decided_by.trim().is_empty() {
            return Err(Error::Usage("a decision needs the name of who decided".into()));
        }
        match self.store.decide(alert_id, verdict, reason.trim(), decided_by.trim())? {
            DecideOutcome::Decided(a) => Ok(*a),
            DecideOutcome::NotFound => Err(Error::Usage(format!("no alert with id {alert_id}"))),
            DecideOutcome::Closed(a) => Err(Error::Usage(format!(
                "alert {alert_id} is closed ({}): nothing to decide",
                a.status
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `par_map` gives what a plain map gives, in order, whatever the number of items, threads
    /// and results an item; and every thread that starts takes pieces as they come.
    #[test]
    fn par_map_equals_a_plain_map() {
        for n in [0usize, 1, 2, 7, 16, 17, 100, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let f = |&i: &usize| (0..i % 3).map(|k| i * 10 + k).collect::<Vec<_>>();
            let plain: Vec<usize> = items.iter().flat_map(f).collect();
            for threads in [0, 1, 2, 3, 8] {
                assert_eq!(par_map(&items, threads, f), plain, "{n} items, {threads} threads");
            }
        }
        // One item a thread, each taking the rest of a shared queue (as the delta's second
        // pass does): every unit of work done once.
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut got = par_map(&[(); 4], 4, |()| {
            let mut out = Vec::new();
            while let Some(i) = Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < 50) {
                out.push(i);
            }
            out
        });
        got.sort_unstable();
        assert_eq!(got, (0..50).collect::<Vec<_>>());
    }

    fn token(word: &str) -> (String, String) {
        let t = sanctions_text::tokenize(word).into_iter().next().expect("one token");
        (t.text, t.key)
    }

    fn listed(word: &str, transliterated: bool) -> ListedWord {
        let (text, key) = token(word);
        ListedWord {
            mask: letter_mask(&text),
            shape: WordShape::new(&text, &key),
            text,
            key,
            transliterated,
            entries: Vec::new(),
        }
    }

    /// The delta's direct comparison gives exactly the similarity screening gives
    /// (`sim_masked`): every pair of a word list with its typos, repeated letters, initials
    /// and transliteration variants, as Latin and as transliterated listed words.
    #[test]
    fn unit_similarity_is_the_screening_similarity() {
        let mut words: Vec<String> = [
            "a",
            "m",
            "al",
            "ali",
            "amir",
            "amer",
            "khan",
            "kahn",
            "muttaqi",
            "motaqi",
            "mottaki",
            "mohammad",
            "muhammad",
            "mohamad",
            "mhmd",
            "abdul",
            "abdulrahman",
            "rahman",
            "hassan",
            "hasan",
            "husain",
            "hussein",
            "anna",
            "ana",
            "aaaa",
            "aaab",
            "smith",
            "smyth",
            "mary",
            "john",
            "x",
            "xi",
            "ivanov",
            "ivanova",
            "putin",
            "vladimir",
            "wladimir",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for w in words.clone() {
            for i in 0..w.len() {
                words.push(format!("{}{}", &w[..i], &w[i + 1..]));
                words.push(format!("{}{}{}", &w[..i], &w[i..i + 1], &w[i..]));
            }
        }
        words.retain(|w| !w.is_empty());
        words.sort();
        words.dedup();
        let mut nonzero = 0;
        for a in &words {
            let (text, key) = token(a);
            let wi = WordInfo::from_token(1.0, text, key);
            for b in &words {
                for translit in [false, true] {
                    let l = listed(b, translit);
                    let want = sim_masked(
                        translit,
                        &wi.text,
                        &wi.key,
                        letter_mask(&wi.text),
                        &l.text,
                        &l.key,
                        l.mask,
                    )
                    .value;
                    let got = unit_similarity(&wi, &l.shape, l.transliterated, &l);
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "{a} / {b} ({translit}): {got} != {want}"
                    );
                    nonzero += usize::from(want > 0.0);
                }
            }
        }
        assert!(nonzero > 1000, "too few similar pairs to test anything: {nonzero}");
    }
}

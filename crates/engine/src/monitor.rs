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
//!    screening; the customers holding a word that meets a changed entry's word with at least
//!    [`min_word_similarity`] (below it no name can reach the threshold), plus those with an
//!    alert on a changed entry, are the candidates;
//! 3. each candidate is screened exactly as a full run screens it (same index over the whole
//!    current lists, same threshold and limit), and its hits on changed entries are kept, so
//!    the alerts equal those of a full re-screen for the changed entries;
//! 4. alerts on removed entries are closed as `delisted`.
//!
//! Unchanged entries are not re-scored: their scores can move slightly when the list around
//! them changes (word weights follow word rarity in the whole list); a full run
//! (`full = true`) catches that.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use sanctions_index::{Index, RetrievalConfig, ScreenRequest};
use sanctions_model::{
    Entity, EntityKind, ListVersion, Name, NameQuality, PartialDate, Script, Source,
};
use sanctions_score::{
    ALGORITHM_NAME, ALGORITHM_VERSION, Algorithm, DEFAULT_THRESHOLD, PreparedName, letter_mask,
    sim_masked,
};
use sanctions_store::{
    Alert, AlertHit, Customer, CustomerUpsert, DecideOutcome, MonitorRun, RunMode, RunRecord,
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

/// Runs `f` over `items` on `threads` threads, concatenating the results in order.
fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Vec<R> + Sync,
) -> Vec<R> {
    if items.is_empty() {
        return Vec::new();
    }
    let chunk = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(|| c.iter().flat_map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
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
    let pairs: Vec<(&Customer, &ScreenRequest)> = customers.iter().zip(&requests).collect();
    let index = snapshot.index();
    Ok(par_map(&pairs, threads, |(c, req)| {
        index
            .screen(req)
            .into_iter()
            .filter(|h| keep(h.entity))
            .map(|h| {
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
                    explanation: serde_json::to_string(&h.explanation)
                        .expect("explanations serialize"),
                }
            })
            .collect()
    }))
}

/// The lowest word similarity a customer needs with some word of an entry to reach
/// `threshold`: a name score is a weighted mean of word similarities (never above the best
/// one), and attributes add at most the sum of their bonuses.
pub fn min_word_similarity(threshold: f32) -> f32 {
    let a = &Algorithm::default().config.attributes;
    let bonus = a.dob_exact_bonus.max(a.dob_year_bonus) + a.nationality_bonus + a.identifier_bonus;
    (threshold - bonus).clamp(0.2, 1.0)
}

/// One word (or two adjacent words glued) of a changed entry's names.
struct ListedWord {
    text: String,
    key: String,
    mask: u64,
    transliterated: bool,
}

/// Which of `words` meet a word of `entries` with at least `min_sim`, found with the
/// screening's lookup keys (variant keys, typo keys) and measured with its word similarity.
fn words_reaching(
    entries: &[Entity],
    words: &[(i64, String)],
    min_sim: f32,
    threads: usize,
) -> Vec<i64> {
    let mut seen: HashMap<(String, bool), usize> = HashMap::new();
    let mut listed: Vec<ListedWord> = Vec::new();
    for e in entries {
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
                seen.entry((text.clone(), translit)).or_insert_with(|| {
                    listed.push(ListedWord {
                        text: text.clone(),
                        key: key.clone(),
                        mask: letter_mask(text),
                        transliterated: translit,
                    });
                    listed.len() - 1
                });
            }
        }
    }
    if listed.is_empty() {
        return Vec::new();
    }
    // One pseudo-entry per listed word, only to reach words by the index's lookup keys; no
    // pruning beyond the index's floor (a one-word query passes it with similarity 0.2).
    let pseudo: Vec<Entity> = listed
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut e = Entity::new(Source::Un, i.to_string(), i.to_string(), EntityKind::Unknown);
            e.names.push(Name::new(w.text.clone(), NameQuality::Primary));
            e
        })
        .collect();
    let retrieval = RetrievalConfig { min_coverage: 0.0, max_candidates: usize::MAX };
    let small = Index::build_with(pseudo, Algorithm::default(), retrieval);
    par_map(words, threads, |(id, text)| {
        let req =
            ScreenRequest { name: text.clone(), threshold: 0.0, limit: 1, ..Default::default() };
        let q = small.prepare(&req);
        let tokens = &q.name.tokens;
        let reached = small.candidates_at(&q, 0.0);
        let hit = reached.into_iter().any(|i| {
            let w = &listed[i];
            tokens.iter().any(|t| {
                let translit = w.transliterated || q.name.transliterated;
                sim_masked(translit, &t.text, &t.key, letter_mask(&t.text), &w.text, &w.key, w.mask)
                    .value
                    >= min_sim
            })
        });
        if hit { vec![*id] } else { Vec::new() }
    })
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
        let snapshot = Snapshot::build(versions.clone(), entities, None);
        let mut summary =
            RunSummary { customers: self.store.customer_count()?, ..Default::default() };
        let run_versions: Vec<RunVersion> =
            versions.iter().map(|v| RunVersion { source: v.source, version_id: v.id }).collect();
        let record = if full {
            let customers = self.store.customers(false)?;
            summary.customers_screened = customers.len();
            let hits = screen_customers(&snapshot, &customers, opts.threshold, threads, &|_| true)?;
            RunRecord {
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
        } else {
            let last = last.expect("a delta run follows a run");
            let before: HashMap<Source, i64> =
                last.versions.iter().map(|v| (v.source, v.version_id)).collect();
            let mut changed: Vec<(Source, String)> = Vec::new();
            let mut removed: Vec<(Source, String)> = Vec::new();
            for v in &versions {
                match before.get(&v.source) {
                    Some(&from) if from == v.id => {}
                    Some(&from) => {
                        let d = self.store.diff(from, v.id)?;
                        changed.extend(d.added.into_iter().map(|e| (v.source, e.source_id)));
                        changed.extend(d.amended.into_iter().map(|e| (v.source, e.source_id)));
                        removed.extend(d.removed.into_iter().map(|e| (v.source, e.source_id)));
                    }
                    // A list monitored for the first time: all of it is new.
                    None => changed.extend(
                        snapshot
                            .index()
                            .entities()
                            .iter()
                            .filter(|e| e.source == v.source)
                            .map(|e| (v.source, e.source_id.clone())),
                    ),
                }
            }
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
            let pending = self.store.customers(true)?;
            let pending_ids: HashSet<&str> = pending.iter().map(|c| c.id.as_str()).collect();
            summary.customers_screened = pending.len();
            let mut hits =
                screen_customers(&snapshot, &pending, opts.threshold, threads, &|_| true)?;

            // 2. Candidates for the changed entries, through the customers' words.
            let changed_entities: Vec<Entity> = entities
                .iter()
                .zip(&is_changed)
                .filter(|(_, c)| **c)
                .map(|(e, _)| e.clone())
                .collect();
            let words = if changed_entities.is_empty() {
                Vec::new()
            } else {
                self.store.customer_words()?
            };
            let min_sim = min_word_similarity(opts.threshold);
            let reached = words_reaching(&changed_entities, &words, min_sim, threads);
            let alerted = self.store.customers_alerted_on(&changed)?;
            let candidates: Vec<Customer> = if reached.is_empty() && alerted.is_empty() {
                Vec::new()
            } else {
                self.store.customers_matching(&reached, &alerted)?
            };
            let candidates: Vec<Customer> =
                candidates.into_iter().filter(|c| !pending_ids.contains(c.id.as_str())).collect();
            summary.customers_rescored = candidates.len();

            // 3. Confirm each candidate exactly as a full screening does.
            hits.extend(screen_customers(&snapshot, &candidates, opts.threshold, threads, &|i| {
                is_changed[i]
            })?);
            RunRecord {
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
        };
        let mut record = record;
        record.summary.elapsed_ms = start.elapsed().as_millis() as u64;
        let run = self.store.record_monitor_run(record)?;
        let new_alerts =
            self.store.alerts(false)?.into_iter().filter(|a| a.opened_run == run.id).collect();
        Ok(MonitorReport { run, versions: snapshot.versions_used(), new_alerts })
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

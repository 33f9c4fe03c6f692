//! Candidate retrieval and top-k screening over an immutable set of list entries.
//!
//! [`Index::build`] tokenises every name of every entry once (with `sanctions-text`), weighs
//! each word by its rarity across all listed names (inverse document frequency over variant
//! keys), and fills an inverted index from keys to names: each word's variant key, every
//! one-letter deletion of it (so a typo still meets its word), and the key of each pair of
//! adjacent words glued together (so "Abdulghani" meets "Abdul Ghani").
//!
//! [`Index::screen`] looks the query's keys up, adds for each name the weight of every query
//! word that reached it (an upper bound of the query coverage), drops names that cannot reach
//! the threshold, and scores the surviving entries with [`sanctions_score::Algorithm`].
//! The index is `Send + Sync` and is shared behind an `Arc`.
#![deny(missing_docs)]

use std::cell::RefCell;
use std::collections::HashMap;

use sanctions_model::{Entity, EntityKind, NameQuality, PartialDate};
use sanctions_score::{
    Algorithm, CandidateAttrs, CandidateName, Explanation, PreparedName, Query, attributes,
};
use sanctions_text::{Token, TokenClass, country_code, deletions, detect_script, tokenize};

/// One screening request.
#[derive(Clone, Debug, Default)]
pub struct ScreenRequest {
    /// The name to screen (any script).
    pub name: String,
    /// Date of birth (a year or a full date).
    pub birth_date: Option<PartialDate>,
    /// Nationality as a country name or ISO code.
    pub nationality: Option<String>,
    /// Kind of party.
    pub kind: Option<EntityKind>,
    /// Document numbers (passport, national id...).
    pub identifiers: Vec<String>,
    /// Lowest score returned.
    pub threshold: f32,
    /// Most hits returned.
    pub limit: usize,
}

/// One hit.
#[derive(Clone, Debug)]
pub struct Hit {
    /// Position of the entry in [`Index::entities`].
    pub entity: usize,
    /// Score in [0, 1].
    pub score: f32,
    /// Why.
    pub explanation: Explanation,
}

struct Candidate {
    entity: usize,
    /// Positions of the entity's prepared names that the query reached.
    names: Vec<u16>,
    bound: f32,
}

struct Record {
    /// (prepared name, quality, position in `Entity::names`).
    names: Vec<(PreparedName, NameQuality, usize)>,
    countries: Vec<&'static str>,
    identifiers: Vec<String>,
}

/// Tuning of candidate retrieval.
#[derive(Clone, Debug)]
pub struct RetrievalConfig {
    /// A name is scored only if the query words reaching it weigh at least this share of the
    /// query.
    pub min_coverage: f32,
    /// At most this many entries are fully scored per query (best upper bounds first).
    pub max_candidates: usize,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        RetrievalConfig { min_coverage: 0.45, max_candidates: 300 }
    }
}

/// An immutable screening index over a set of entries.
pub struct Index {
    entities: Vec<Entity>,
    records: Vec<Record>,
    /// Global name id → (entity, position in its record's prepared names).
    names: Vec<(u32, u16)>,
    postings: HashMap<String, Vec<u32>>,
    df: HashMap<String, u32>,
    name_count: f32,
    algorithm: Algorithm,
    retrieval: RetrievalConfig,
}

#[derive(Default)]
struct Scratch {
    bound: Vec<f32>,
    last_token: Vec<u32>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn class_factor(class: TokenClass) -> f32 {
    match class {
        TokenClass::Word => 1.0,
        TokenClass::Number => 0.6,
        TokenClass::Particle | TokenClass::Honorific => 0.15,
        TokenClass::LegalForm => 0.1,
    }
}

/// The keys a word is indexed and looked up under, each with how much a hit on it counts
/// towards the bound: its variant key in full, and every one-letter deletion of it (a typo)
/// at a discount, so exact-key hits rank first when candidates must be cut.
fn probe_keys(key: &str, out: &mut Vec<(String, f32)>) {
    out.push((key.to_string(), 1.0));
    if key.len() >= 3 {
        out.extend(deletions(key).map(|k| (k, DELETION_FACTOR)));
    }
}

const DELETION_FACTOR: f32 = 0.9;
const AFFIX_FACTOR: f32 = 0.8;

/// Extra keys for long words: their first and last three letters, so a word whose variant
/// key took two typos (or a typo in a digraph: "Mahcanga" / "Machanga") is still reached.
fn affix_keys(text: &str, out: &mut Vec<(String, f32)>) {
    if text.len() >= 6 && text.is_ascii() {
        out.push((format!("<{}", &text[..3]), AFFIX_FACTOR));
        out.push((format!(">{}", &text[text.len() - 3..]), AFFIX_FACTOR));
    }
}

impl Index {
    /// Builds the index over `entities` with the default algorithm.
    pub fn build(entities: Vec<Entity>) -> Index {
        Index::build_with(entities, Algorithm::default(), RetrievalConfig::default())
    }

    /// Builds the index with an explicit algorithm and retrieval configuration.
    pub fn build_with(
        entities: Vec<Entity>,
        algorithm: Algorithm,
        retrieval: RetrievalConfig,
    ) -> Index {
        // Pass 1: tokens of every name, document frequencies of keys.
        let mut tokenised: Vec<Vec<(Vec<Token>, NameQuality, usize)>> =
            Vec::with_capacity(entities.len());
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut name_count = 0u32;
        for e in &entities {
            let mut names = Vec::with_capacity(e.names.len());
            for (orig, n) in e.names.iter().enumerate() {
                let toks = tokenize(&n.full);
                if toks.is_empty() {
                    continue;
                }
                let mut seen: Vec<&str> = Vec::new();
                for t in &toks {
                    if !seen.contains(&t.key.as_str()) {
                        seen.push(&t.key);
                        *df.entry(t.key.clone()).or_default() += 1;
                    }
                }
                name_count += 1;
                names.push((toks, n.quality, orig));
            }
            tokenised.push(names);
        }
        let n = name_count.max(1) as f32;
        let weight = |t: &Token| -> f32 {
            let d = df.get(&t.key).copied().unwrap_or(0).max(1) as f32;
            let idf = ((n + 1.0) / d).ln() / (n + 1.0).ln();
            idf.clamp(0.2, 1.0) * class_factor(t.class)
        };
        // Pass 2: prepared names and postings.
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut names = Vec::new();
        let mut records = Vec::with_capacity(entities.len());
        let mut keys = Vec::new();
        for (ei, (e, toks)) in entities.iter().zip(tokenised).enumerate() {
            let mut prepared = Vec::with_capacity(toks.len());
            for (t, q, orig) in toks {
                let mut p = PreparedName::new(t, weight);
                p.transliterated = e.names[orig].script == Some(sanctions_model::Script::Arabic)
                    || detect_script(&e.names[orig].full) == sanctions_model::Script::Arabic;
                let id = names.len() as u32;
                names.push((ei as u32, prepared.len() as u16));
                keys.clear();
                for t in &p.tokens {
                    probe_keys(&t.key, &mut keys);
                    affix_keys(&t.text, &mut keys);
                }
                for g in &p.glued {
                    keys.push((g.key.clone(), 1.0));
                }
                let mut ks: Vec<String> = keys.drain(..).map(|(k, _)| k).collect();
                ks.sort_unstable();
                ks.dedup();
                for k in ks {
                    postings.entry(k).or_default().push(id);
                }
                prepared.push((p, q, orig));
            }
            let countries = e
                .nationalities
                .iter()
                .chain(&e.citizenships)
                .filter_map(|c| country_code(c))
                .collect::<Vec<_>>();
            let identifiers = e
                .identifiers
                .iter()
                .map(|i| attributes::normalize_identifier(&i.number))
                .filter(|s| s.len() >= 5)
                .collect();
            records.push(Record { names: prepared, countries, identifiers });
        }
        Index { entities, records, names, postings, df, name_count: n, algorithm, retrieval }
    }

    /// The entries, in the order they were given.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The number of indexed names.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    fn query_weight(&self, t: &Token) -> f32 {
        let d = self.df.get(&t.key).copied().unwrap_or(0).max(1) as f32;
        let n = self.name_count;
        let idf = ((n + 1.0) / d).ln() / (n + 1.0).ln();
        idf.clamp(0.2, 1.0) * class_factor(t.class)
    }

    /// Prepares a request for scoring.
    pub fn prepare(&self, req: &ScreenRequest) -> Query {
        let tokens = tokenize(&req.name);
        let mut name = PreparedName::new(tokens, |t| self.query_weight(t));
        name.transliterated = detect_script(&req.name) == sanctions_model::Script::Arabic;
        Query {
            name,
            birth_date: req.birth_date,
            country: req.nationality.as_deref().and_then(country_code),
            country_text: req.nationality.clone(),
            kind: req.kind,
            identifiers: req
                .identifiers
                .iter()
                .map(|s| attributes::normalize_identifier(s))
                .filter(|s| s.len() >= 5)
                .collect(),
        }
    }

    /// The entries whose names the query reaches through the inverted index and that survive
    /// pruning, best upper bound first (for measuring retrieval recall on its own).
    pub fn candidates(&self, query: &Query) -> Vec<usize> {
        self.candidate_names(query).into_iter().map(|c| c.entity).collect()
    }

    fn candidate_names(&self, query: &Query) -> Vec<Candidate> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.candidates_in(query, &mut s)
        })
    }

    fn candidates_in(&self, query: &Query, s: &mut Scratch) -> Vec<Candidate> {
        let q = &query.name;
        if q.is_empty() {
            return Vec::new();
        }
        if s.bound.len() < self.names.len() {
            s.bound = vec![0.0; self.names.len()];
            s.last_token = vec![u32::MAX; self.names.len()];
        }
        s.touched.clear();
        let mut keys = Vec::new();
        // Each query word (or glued pair, counted as its two words) adds its weight once.
        let units = q.tokens.len() + q.glued.len();
        for u in 0..units {
            keys.clear();
            let w = if u < q.tokens.len() {
                probe_keys(&q.tokens[u].key, &mut keys);
                affix_keys(&q.tokens[u].text, &mut keys);
                q.tokens[u].weight
            } else {
                let g = &q.glued[u - q.tokens.len()];
                keys.push((g.key.clone(), 1.0));
                q.tokens[g.first].weight + q.tokens[g.first + 1].weight
            };
            // Exact-key postings first, so a name reached both ways counts in full.
            for (k, f) in &keys {
                let Some(list) = self.postings.get(k) else { continue };
                for &id in list {
                    let i = id as usize;
                    if s.last_token[i] == u as u32 {
                        continue;
                    }
                    if s.last_token[i] == u32::MAX {
                        s.touched.push(id);
                    }
                    s.last_token[i] = u as u32;
                    s.bound[i] += w * f;
                }
            }
        }
        let need = self.retrieval.min_coverage * q.total_weight;
        let mut passing: Vec<(u32, u16, f32)> = Vec::new();
        for &id in &s.touched {
            let i = id as usize;
            let b = s.bound[i];
            s.bound[i] = 0.0;
            s.last_token[i] = u32::MAX;
            if b >= need {
                let (e, local) = self.names[i];
                passing.push((e, local, b));
            }
        }
        passing.sort_unstable_by_key(|p| (p.0, p.1));
        let mut out: Vec<Candidate> = Vec::new();
        for (e, local, b) in passing {
            match out.last_mut() {
                Some(c) if c.entity == e as usize => {
                    c.names.push(local);
                    c.bound = c.bound.max(b);
                }
                _ => out.push(Candidate { entity: e as usize, names: vec![local], bound: b }),
            }
        }
        out.sort_by(|a, b| {
            b.bound
                .partial_cmp(&a.bound)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.entity.cmp(&b.entity))
        });
        out.truncate(self.retrieval.max_candidates);
        out
    }

    fn score_candidate(&self, query: &Query, c: &Candidate) -> Option<Hit> {
        let r = &self.records[c.entity];
        let e = &self.entities[c.entity];
        let names = c.names.iter().map(|&local| {
            let (p, q, i) = &r.names[local as usize];
            CandidateName { index: *i, name: p, quality: *q }
        });
        let attrs = CandidateAttrs {
            kind: e.kind,
            birth_dates: &e.birth_dates,
            countries: &r.countries,
            identifiers: &r.identifiers,
        };
        let s = self.algorithm.score(query, names, attrs)?;
        Some(Hit { entity: c.entity, score: s.score, explanation: s.explanation })
    }

    /// Scores one entry against a prepared query.
    pub fn score_entity(&self, query: &Query, entity: usize) -> Option<Hit> {
        let r = &self.records[entity];
        let e = &self.entities[entity];
        let names =
            r.names.iter().map(|(p, q, i)| CandidateName { index: *i, name: p, quality: *q });
        let attrs = CandidateAttrs {
            kind: e.kind,
            birth_dates: &e.birth_dates,
            countries: &r.countries,
            identifiers: &r.identifiers,
        };
        let s = self.algorithm.score(query, names, attrs)?;
        Some(Hit { entity, score: s.score, explanation: s.explanation })
    }

    /// Screens one request: hits at or above its threshold, best first, at most its limit.
    pub fn screen(&self, req: &ScreenRequest) -> Vec<Hit> {
        let query = self.prepare(req);
        let mut hits: Vec<Hit> = self
            .candidate_names(&query)
            .iter()
            .filter_map(|c| self.score_candidate(&query, c))
            .filter(|h| h.score >= req.threshold)
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.entity.cmp(&b.entity))
        });
        hits.truncate(req.limit.max(1));
        hits
    }

    /// Scores `name1` (as a query) against `name2` (as a listed name of the given kind), with
    /// this index's word weights. For `sanctions compare` and labelled-pair evaluation.
    pub fn compare(
        &self,
        name1: &str,
        name2: &str,
        kind: Option<EntityKind>,
    ) -> sanctions_score::Scored {
        let req = ScreenRequest { name: name1.to_string(), kind, ..Default::default() };
        let query = self.prepare(&req);
        let mut listed = PreparedName::new(tokenize(name2), |t| self.query_weight(t));
        listed.transliterated = detect_script(name2) == sanctions_model::Script::Arabic;
        let names = [CandidateName { index: 0, name: &listed, quality: NameQuality::Primary }];
        let attrs = CandidateAttrs {
            kind: kind.unwrap_or(EntityKind::Unknown),
            birth_dates: &[],
            countries: &[],
            identifiers: &[],
        };
        self.algorithm.score(&query, names, attrs).expect("one name is always scored")
    }

    /// The listed name a hit matched (its text as the list writes it).
    pub fn matched_name(&self, hit: &Hit) -> &str {
        let e = &self.entities[hit.entity];
        e.names
            .get(hit.explanation.name_index)
            .map(|n| n.full.as_str())
            .unwrap_or_else(|| e.primary_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_model::{BirthDate, Name, Source};

    fn person(id: &str, names: &[&str]) -> Entity {
        let mut e = Entity::new(Source::Un, id, id, EntityKind::Person);
        for (i, n) in names.iter().enumerate() {
            e.names.push(Name::new(
                *n,
                if i == 0 { NameQuality::Primary } else { NameQuality::Strong },
            ));
        }
        e
    }

    fn fixture() -> Index {
        let mut muttaqi = person("TAi.026", &["AMIR KHAN MUTTAQI", "Amir Khan Motaqi"]);
        muttaqi.birth_dates.push(BirthDate::Exact { date: PartialDate::year(1968) });
        let mut org = Entity::new(Source::Ofac, "6636", "6636", EntityKind::Organization);
        org.names.push(Name::new("TALIBAN", NameQuality::Primary));
        Index::build(vec![
            muttaqi,
            person("TAi.024", &["ABDUL GHANI BARADAR"]),
            person("X1", &["MOHAMMAD HASSAN AKHUND"]),
            person("X2", &["MOHAMMAD OMAR"]),
            org,
        ])
    }

    fn req(name: &str) -> ScreenRequest {
        ScreenRequest { name: name.into(), threshold: 0.8, limit: 10, ..Default::default() }
    }

    #[test]
    fn finds_variants_and_orders() {
        let idx = fixture();
        for q in ["Amir Khan Muttaqi", "MOTAQI Amir Khan", "Amir Khan Mottaki", "amir khan mutaqqi"]
        {
            let hits = idx.screen(&req(q));
            assert_eq!(hits.first().map(|h| h.entity), Some(0), "{q}");
        }
        let hits = idx.screen(&req("Abdulghani Baradar"));
        assert_eq!(hits[0].entity, 1);
        let hits = idx.screen(&req("Baradr Abdul Ghani"));
        assert_eq!(hits[0].entity, 1);
    }

    #[test]
    fn no_hit_for_ordinary_names() {
        let idx = fixture();
        assert!(idx.screen(&req("John Smith")).is_empty());
        assert!(idx.screen(&req("Khalid Baradar")).is_empty());
        assert!(idx.screen(&req("")).is_empty());
    }

    #[test]
    fn kind_matters() {
        let idx = fixture();
        let mut r = req("Taliban");
        r.kind = Some(EntityKind::Organization);
        assert_eq!(idx.screen(&r)[0].entity, 4);
    }

    #[test]
    fn auto_traits() {
        fn assert_all<T: Send + Sync>() {}
        assert_all::<Index>();
    }
}

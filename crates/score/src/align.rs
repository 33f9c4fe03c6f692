//! Order-free alignment of query words to listed-name words.

use std::cell::RefCell;

use sanctions_text::{Token, TokenClass, skeleton};
use serde::Serialize;

use crate::similarity::{
    MatchKind, WordPattern, WordSim, key_similarity, letter_mask, word_similarity_masked,
};

/// One word of a name, ready for scoring: its text, variant key, class and weight.
#[derive(Clone, Debug, PartialEq)]
pub struct NameToken {
    /// Folded text.
    pub text: String,
    /// Variant key.
    pub key: String,
    /// Class (word, particle, honorific, legal form, number).
    pub class: TokenClass,
    /// Weight: rare words weigh more than common ones; particles and titles weigh little.
    pub weight: f32,
}

/// Two adjacent words glued ("abdul" + "ghani" → "abdulghani"), for compound matching.
#[derive(Clone, Debug, PartialEq)]
pub struct Glued {
    /// Index of the first of the two words.
    pub first: usize,
    /// The glued text.
    pub text: String,
    /// Its variant key.
    pub key: String,
}

/// A name prepared for scoring: tokens with weights and glued neighbours.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedName {
    /// The words.
    pub tokens: Vec<NameToken>,
    /// Adjacent pairs glued.
    pub glued: Vec<Glued>,
    /// Sum of the token weights.
    pub total_weight: f32,
    /// True when the name was transliterated from a script without short vowels (Arabic):
    /// words then also compare by their variant keys alone.
    pub transliterated: bool,
}

impl PreparedName {
    /// Prepares tokens with a weight function.
    pub fn new(tokens: Vec<Token>, mut weight: impl FnMut(&Token) -> f32) -> PreparedName {
        let tokens: Vec<NameToken> = tokens
            .into_iter()
            .map(|t| {
                let w = weight(&t);
                NameToken { text: t.text, key: t.key, class: t.class, weight: w }
            })
            .collect();
        let glued = tokens
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0].class != TokenClass::Number && w[1].class != TokenClass::Number)
            .map(|(i, w)| {
                // Pushed, not `format!`: the same bytes without the formatting machinery.
                let mut text = String::with_capacity(w[0].text.len() + w[1].text.len());
                text.push_str(&w[0].text);
                text.push_str(&w[1].text);
                let key = skeleton(&text);
                Glued { first: i, text, key }
            })
            .collect();
        let total_weight = tokens.iter().map(|t| t.weight).sum();
        PreparedName { tokens, glued, total_weight, transliterated: false }
    }

    /// True when the name has no words.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// One aligned pair: one or two query words met one or two listed words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pair {
    /// Query word indexes (one, or two glued).
    pub query: Vec<usize>,
    /// Listed word indexes (one, or two glued).
    pub name: Vec<usize>,
    /// Similarity in [0, 1].
    pub similarity: f32,
    /// How they matched.
    pub how: MatchKind,
}

/// The alignment of a query name with a listed name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alignment {
    /// Name score in [0, 1].
    pub score: f32,
    /// Weighted share of the query that found a partner.
    pub query_coverage: f32,
    /// Weighted share of the listed name that found a partner.
    pub name_coverage: f32,
    /// The pairs, best first.
    pub pairs: Vec<Pair>,
}

/// Tunable constants of the name score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NameConfig {
    /// Exponent on the query coverage.
    pub query_exponent: f32,
    /// Share of the score that does not depend on the listed-name coverage: the score is
    /// `query_coverage^e × (floor + (1 − floor) × name_coverage)`.
    pub name_floor: f32,
}

impl Default for NameConfig {
    fn default() -> Self {
        NameConfig { query_exponent: 1.0, name_floor: 0.5 }
    }
}

#[derive(Clone, Copy)]
struct Opt {
    sim: f32,
    how: MatchKind,
    q: (usize, usize),
    n: (usize, usize),
    weight: f32,
}

const NONE: usize = usize::MAX;

/// Word similarity, with the key comparison for Arabic-script words.
pub fn sim(translit: bool, a: &str, ka: &str, b: &str, kb: &str) -> WordSim {
    sim_masked(translit, a, ka, letter_mask(a), b, kb, letter_mask(b))
}

/// [`sim`] with precomputed letter masks.
pub fn sim_masked(
    translit: bool,
    a: &str,
    ka: &str,
    ma: u64,
    b: &str,
    kb: &str,
    mb: u64,
) -> WordSim {
    let s = word_similarity_masked(a, ka, ma, b, kb, mb);
    if translit && s.value < 0.9 {
        let k = key_similarity(ka, kb);
        if k.value > s.value {
            return k;
        }
    }
    s
}

/// Aligns `q` (the query) with `n` (a listed name), order-free.
///
/// Every query word is paired with at most one listed word (or a glued pair of adjacent
/// words, so "Abdulghani" meets "Abdul Ghani"), greedily by similarity. The name score is
/// `query_coverage^a × name_coverage^b`, where each coverage is the similarity-weighted share
/// of that side's word weight that found a partner.
pub fn align(q: &PreparedName, n: &PreparedName, cfg: &NameConfig) -> Alignment {
    align_with(q, n, cfg, &mut Direct { q, n })
}

/// Where [`align_with`] gets word similarities from: computed on the spot ([`align`]), or
/// looked up in a table the caller filled once per query (the index does this, so a word
/// met in many names is compared once).
pub trait SimLookup {
    /// Query word `qi` against listed word `nj`.
    fn token(&mut self, qi: usize, nj: usize) -> WordSim;
    /// Query word `qi` against the listed glued pair starting at `n.glued[g]`.
    fn name_glued(&mut self, qi: usize, g: usize) -> WordSim;
    /// The query glued pair `q.glued[g]` against listed word `nj`.
    fn query_glued(&mut self, g: usize, nj: usize) -> WordSim;
}

struct Direct<'a> {
    q: &'a PreparedName,
    n: &'a PreparedName,
}

impl SimLookup for Direct<'_> {
    fn token(&mut self, qi: usize, nj: usize) -> WordSim {
        let (a, b) = (&self.q.tokens[qi], &self.n.tokens[nj]);
        sim(self.q.transliterated || self.n.transliterated, &a.text, &a.key, &b.text, &b.key)
    }
    fn name_glued(&mut self, qi: usize, g: usize) -> WordSim {
        let (a, b) = (&self.q.tokens[qi], &self.n.glued[g]);
        sim(self.q.transliterated || self.n.transliterated, &a.text, &a.key, &b.text, &b.key)
    }
    fn query_glued(&mut self, g: usize, nj: usize) -> WordSim {
        let (a, b) = (&self.q.glued[g], &self.n.tokens[nj]);
        sim(self.q.transliterated || self.n.transliterated, &a.text, &a.key, &b.text, &b.key)
    }
}

/// Glued pairs count only when they are this similar (a compound is either the same word
/// written together or not the same at all).
pub const GLUED_MIN: f32 = 0.8;
/// Glued pairs are tried only for words at least this long.
pub const GLUED_MIN_LEN: usize = 5;

/// False only when the similarity of `a` (prepared as `pa`) with `b` is certainly below
/// [`GLUED_MIN`], whatever the edit distance: a cheap test before comparing a word with a glued
/// pair. At 0.8 a typo needs `d ≤ len / 3` (so the lengths differ by at most a third), a
/// variant needs equal keys, and the key similarity of transliterated words needs keys at
/// most one letter apart in length or a `v` / `y` in a key.
#[inline(always)]
pub fn may_reach_glued_min(
    translit: bool,
    a: &str,
    ka: &str,
    pa: &WordPattern,
    b: &str,
    kb: &str,
    kb_vy: bool,
) -> bool {
    const _: () = assert!(GLUED_MIN == 0.8, "may_reach_glued_min assumes GLUED_MIN = 0.8");
    let (la, lb) = (a.len(), b.len());
    if la == lb || 3 * la.abs_diff(lb) <= la.max(lb) || ka == kb {
        return true;
    }
    translit && (pa.key_vy() || kb_vy || ka.len().abs_diff(kb.len()) <= 1)
}

/// [`align`] with word similarities from `lookup`.
pub fn align_with(
    q: &PreparedName,
    n: &PreparedName,
    cfg: &NameConfig,
    lookup: &mut impl SimLookup,
) -> Alignment {
    let mut pairs = Vec::new();
    let (score, query_coverage, name_coverage) =
        with_scratch(|sc| align_core::<true>(q, n, cfg, lookup, sc, &mut pairs));
    Alignment { score, query_coverage, name_coverage, pairs }
}

/// The score of [`align_with`] alone (no pairs are recorded): the same number, cheaper.
pub fn align_score_with(
    q: &PreparedName,
    n: &PreparedName,
    cfg: &NameConfig,
    lookup: &mut impl SimLookup,
) -> f32 {
    with_scratch(|sc| align_core::<false>(q, n, cfg, lookup, sc, &mut Vec::new())).0
}

/// Buffers reused by every alignment on a thread.
#[derive(Default)]
struct AlignScratch {
    opts: Vec<Opt>,
    q_used: Vec<bool>,
    n_used: Vec<bool>,
}

thread_local! {
    static ALIGN_SCRATCH: RefCell<AlignScratch> = RefCell::new(AlignScratch::default());
}

fn with_scratch<R>(f: impl FnOnce(&mut AlignScratch) -> R) -> R {
    ALIGN_SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut sc) => f(&mut sc),
        // A lookup that aligns in turn: use fresh buffers.
        Err(_) => f(&mut AlignScratch::default()),
    })
}

/// The alignment: (score, query coverage, name coverage); the pairs go to `pairs` when
/// `PAIRS`.
fn align_core<const PAIRS: bool>(
    q: &PreparedName,
    n: &PreparedName,
    cfg: &NameConfig,
    lookup: &mut impl SimLookup,
    sc: &mut AlignScratch,
    pairs: &mut Vec<Pair>,
) -> (f32, f32, f32) {
    let opts = &mut sc.opts;
    opts.clear();
    for (i, qt) in q.tokens.iter().enumerate() {
        for (j, nt) in n.tokens.iter().enumerate() {
            let s = lookup.token(i, j);
            if s.value > 0.0 {
                opts.push(Opt {
                    sim: s.value,
                    how: s.how,
                    q: (i, NONE),
                    n: (j, NONE),
                    weight: qt.weight + nt.weight,
                });
            }
        }
        if qt.text.len() < GLUED_MIN_LEN {
            continue;
        }
        for (gi, g) in n.glued.iter().enumerate() {
            let s = lookup.name_glued(i, gi);
            if s.value >= GLUED_MIN {
                let w = qt.weight + n.tokens[g.first].weight + n.tokens[g.first + 1].weight;
                opts.push(Opt {
                    sim: s.value,
                    how: s.how,
                    q: (i, NONE),
                    n: (g.first, g.first + 1),
                    weight: w,
                });
            }
        }
    }
    for (gi, g) in q.glued.iter().enumerate() {
        if g.text.len() < GLUED_MIN_LEN {
            continue;
        }
        for (j, nt) in n.tokens.iter().enumerate() {
            let s = lookup.query_glued(gi, j);
            if s.value >= GLUED_MIN {
                let w = q.tokens[g.first].weight + q.tokens[g.first + 1].weight + nt.weight;
                opts.push(Opt {
                    sim: s.value,
                    how: s.how,
                    q: (g.first, g.first + 1),
                    n: (j, NONE),
                    weight: w,
                });
            }
        }
    }
    // Best similarity first; among equals, the heavier pair, then compounds last.
    opts.sort_by(|a, b| {
        b.sim
            .partial_cmp(&a.sim)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.weight.partial_cmp(&a.weight).unwrap_or(std::cmp::Ordering::Equal))
    });
    let q_used = &mut sc.q_used;
    q_used.clear();
    q_used.resize(q.tokens.len(), false);
    let n_used = &mut sc.n_used;
    n_used.clear();
    n_used.resize(n.tokens.len(), false);
    // A matched query word counts with the weight of the listed word(s) it met, so a typo or
    // an unknown spelling cannot make a common word look rare; unmatched query words keep
    // their own weight.
    let mut q_matched = 0.0f32;
    let mut q_total = 0.0f32;
    let mut n_matched = 0.0f32;
    let free = |used: &[bool], (a, b): (usize, usize)| !used[a] && (b == NONE || !used[b]);
    for o in opts.iter() {
        if !free(q_used, o.q) || !free(n_used, o.n) {
            continue;
        }
        q_used[o.q.0] = true;
        if o.q.1 != NONE {
            q_used[o.q.1] = true;
        }
        n_used[o.n.0] = true;
        let mut nw = n.tokens[o.n.0].weight;
        if o.n.1 != NONE {
            n_used[o.n.1] = true;
            nw += n.tokens[o.n.1].weight;
        }
        n_matched += nw * o.sim;
        q_matched += nw * o.sim;
        q_total += nw;
        if PAIRS {
            let mut qi = vec![o.q.0];
            if o.q.1 != NONE {
                qi.push(o.q.1);
            }
            let mut ni = vec![o.n.0];
            if o.n.1 != NONE {
                ni.push(o.n.1);
            }
            pairs.push(Pair { query: qi, name: ni, similarity: o.sim, how: o.how });
        }
    }
    q_total += q
        .tokens
        .iter()
        .zip(q_used.iter())
        .filter(|(_, u)| !**u)
        .map(|(t, _)| t.weight)
        .sum::<f32>();
    let qc = if q_total > 0.0 { (q_matched / q_total).min(1.0) } else { 0.0 };
    let nc = if n.total_weight > 0.0 { (n_matched / n.total_weight).min(1.0) } else { 0.0 };
    let score = qc.powf(cfg.query_exponent) * (cfg.name_floor + (1.0 - cfg.name_floor) * nc);
    (score.clamp(0.0, 1.0), qc, nc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_text::{skeleton, tokenize};

    #[test]
    fn glued_pairs_are_the_words_side_by_side() {
        let p = prep("Abdul Ghani 1968 Baradar al Akhund");
        let firsts: Vec<usize> = p.glued.iter().map(|g| g.first).collect();
        assert_eq!(firsts, [0, 3, 4]);
        for g in &p.glued {
            let text = format!("{}{}", p.tokens[g.first].text, p.tokens[g.first + 1].text);
            assert_eq!(g.text, text);
            assert_eq!(g.key, skeleton(&text));
        }
    }

    fn prep(s: &str) -> PreparedName {
        PreparedName::new(tokenize(s), |t| match t.class {
            TokenClass::Word => 1.0,
            _ => 0.2,
        })
    }

    fn score(a: &str, b: &str) -> f32 {
        align(&prep(a), &prep(b), &NameConfig::default()).score
    }

    #[test]
    fn glued_filter_is_safe() {
        use crate::similarity::{has_vy, sim_prepared};
        let mut words: Vec<String> =
            "a al ali amir abdul ghani abdulghani abdolghani baradar mohammad muhammad mhmd amanullah aman ullah alawi alui yusufali yousef vy wy abdurrahman rahman abdur abdalrahman mullahomar omar hasan hassan alhasan alhassan hsn binladen"
                .split(' ')
                .map(str::to_string)
                .collect();
        words.extend(crate::similarity::random_words(0x2545_f491_4f6c_dd1d, 400, 15, b"ahmdlnuvy"));
        // Typos of the listed-looking words: one and two letters changed, dropped, swapped.
        let base: Vec<String> = words.iter().take(34).cloned().collect();
        for w in &base {
            let b = w.as_bytes();
            for i in 0..b.len() {
                let mut t = b.to_vec();
                t[i] = if t[i] == b'a' { b'e' } else { b'a' };
                words.push(String::from_utf8(t.clone()).unwrap());
                if i + 1 < b.len() {
                    t.swap(i, i + 1);
                    words.push(String::from_utf8(t).unwrap());
                }
                let mut t = b.to_vec();
                t.remove(i);
                words.push(String::from_utf8(t).unwrap());
            }
        }
        let (mut shape_rejected, mut word_rejected, mut translit_rejected) = (0, 0, 0);
        for a in &words {
            let ka = skeleton(a);
            let pa = WordPattern::new(a, &ka);
            for b in &words {
                let kb = skeleton(b);
                for translit in [false, true] {
                    let shape = crate::similarity::WordShape::new(b, &kb);
                    let s = sim_prepared(
                        translit,
                        a,
                        &ka,
                        &pa,
                        b,
                        &kb,
                        crate::similarity::letter_multiset_mask(b),
                        has_vy(&kb),
                    );
                    if !pa.may_reach_glued_min(translit, &shape) {
                        shape_rejected += 1;
                        translit_rejected += usize::from(translit);
                        assert!(s.value < GLUED_MIN, "shapes: {a} {b} {translit} {s:?}");
                    }
                    if !may_reach_glued_min(translit, a, &ka, &pa, b, &kb, has_vy(&kb)) {
                        word_rejected += 1;
                        assert!(s.value < GLUED_MIN, "{a} {b} {translit} {s:?}");
                    }
                }
            }
        }
        // The shapes (letters too) rule out more pairs than lengths and keys alone, and the
        // keys' letters many transliterated pairs.
        assert!(shape_rejected > word_rejected, "{shape_rejected} {word_rejected}");
        // (93% of the transliterated pairs here; 26% on the key lengths alone.)
        let pairs = words.len() * words.len();
        assert!(translit_rejected * 5 > 4 * pairs, "{translit_rejected} of {pairs}");
    }

    #[test]
    fn alignment_table() {
        assert!((score("Amir Khan Muttaqi", "MUTTAQI, Amir Khan") - 1.0).abs() < 1e-6);
        assert!(score("Amir Khan Motaqi", "AMIR KHAN MUTTAQI") > 0.9);
        assert!(score("Abdulghani Baradar", "ABDUL GHANI BARADAR") > 0.95);
        assert!(score("Abdul Ghani Baradar", "Abdulghani Baradar") > 0.95);
        assert!(score("Mullah Abdul Ghani Baradar", "ABDUL GHANI BARADAR") > 0.9);
        assert!(score("Khalid Baradar", "ABDUL GHANI BARADAR") < 0.6);
        assert!(score("John Smith", "ABDUL GHANI BARADAR") == 0.0);
        assert!(score("Smith", "SMITH, John William") < 0.75);
    }
}

//! Candidate retrieval and top-k screening over an immutable set of list entries.
//!
//! [`Index::build`] tokenises every name of every entry once (with `sanctions-text`), interns
//! every distinct word (and every pair of adjacent words glued together, so "Abdulghani" meets
//! "Abdul Ghani") into a vocabulary, weighs each word by its rarity across all listed names
//! (inverse document frequency over variant keys), and builds two inverted indexes: lookup
//! keys → words (each word's variant key, every one-letter deletion of it so a typo still
//! meets its word, short words' own spelling and its one-letter deletions, and for long words
//! their first and last four letters), and words → names.
//!
//! [`Index::screen`] works word-first. For each query word it looks its keys up, compares the
//! query word once with each vocabulary word reached (the exact word similarity of
//! `sanctions-score`), and credits every name holding that word with the query word's weight
//! times the similarity. That sum bounds the share of the query a name can cover, so names
//! that cannot reach the threshold are dropped before any alignment. The surviving names are
//! aligned with the similarities already computed ([`sanctions_score::align_with`]) and scored
//! with [`sanctions_score::Algorithm`]. The index is `Send + Sync` and shared behind an `Arc`.
//!
//! A query word spelt as a vocabulary word (most of them: queries are variants of listed names,
//! and customer files repeat given names and surnames) is looked up and compared only the first
//! time any query holds it: the words it reached and their similarities are kept in a memo of
//! one lazily filled slot per vocabulary word and kind of unit ([`Index::memo_stats`]), so the
//! memo never outgrows the vocabulary, and results are those of a fresh lookup.
#![deny(missing_docs)]

mod delta;

pub use delta::ReachedWord;

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use sanctions_model::{Entity, EntityKind, NameQuality, PartialDate, Script};
use sanctions_score::{
    Algorithm, Alignment, CandidateAttrs, CandidateName, Explanation, MatchKind, NameConfig,
    PreparedName, Query, ShapeCheck, SimLookup, WordPattern, WordShape, WordSim, align_score_with,
    align_with, attributes, lengths_may_reach_glued_min,
};
use sanctions_text::{
    Token, TokenClass, country_code, detect_script, tokenize, tokenize_with_script,
};

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
    /// Where the positions of the entity's prepared names that the query reached are in
    /// [`Candidates::names`].
    names: std::ops::Range<usize>,
    bound: f32,
}

/// The candidates of one query, their names in one buffer (kept in the scratch between
/// queries, so retrieval allocates nothing once warm).
#[derive(Default)]
struct Candidates {
    list: Vec<Candidate>,
    names: Vec<u16>,
}

impl Candidates {
    fn names(&self, c: &Candidate) -> &[u16] {
        &self.names[c.names.clone()]
    }
}

/// A listed name ready for scoring: the prepared name and the vocabulary ids of its words and
/// glued pairs.
struct IndexedName {
    prepared: PreparedName,
    quality: NameQuality,
    /// Position in `Entity::names`.
    orig: usize,
    token_words: Vec<u32>,
    glued_words: Vec<u32>,
}

struct Record {
    /// The global id of the first of `names` (the others follow it).
    first_name: u32,
    names: Vec<IndexedName>,
    countries: Vec<&'static str>,
    identifiers: Vec<String>,
}

/// What the candidate bound ([`Index::name_bound`]) reads of one listed name, by global name
/// id, in one small record; the name's words are in [`Index::bound_words`] from `start`: its
/// tokens (word id, weight), heaviest first (ties in name order), then its glued pairs (word
/// id, and the positions of their two tokens in that order).
#[derive(Clone, Copy)]
struct NameHead {
    start: u32,
    tokens: u16,
    glued: u16,
    total_weight: f32,
    quality: NameQuality,
}

/// One word of a listed name for the candidate bound: its vocabulary id and, for a token, the
/// bits of its weight, for a glued pair the positions of its two tokens among the name's
/// tokens as [`NameHead`] orders them (low and high 16 bits); and what
/// [`SimTable::rules_out`] reads of the word, so that a glued pair the query's lengths rule out
/// costs no look at the word itself ([`SimTable::rules_out_bound`]).
#[derive(Clone, Copy)]
struct BoundWord {
    word: u32,
    arg: u32,
    /// The word's [`WordShape::text_len`] (`u16::MAX` from there up: not ruled out by it)...
    len: u16,
    /// ...the low six bits of its [`WordShape::key_id`]...
    key6: u8,
    /// ...and [`Word::transliterated`].
    transliterated: bool,
}

impl BoundWord {
    fn new(word: u32, arg: u32, w: &Word) -> BoundWord {
        BoundWord {
            word,
            arg,
            len: u16::try_from(w.shape.text_len()).unwrap_or(u16::MAX),
            key6: (w.shape.key_id() & 63) as u8,
            transliterated: w.transliterated,
        }
    }
}

/// Tuning of candidate retrieval.
#[derive(Clone, Debug)]
pub struct RetrievalConfig {
    /// A name is scored only if the similarity-weighted query words reaching it weigh at
    /// least this share of the query, at the default threshold 0.8. The share moves with the
    /// request's threshold (lower thresholds look wider).
    pub min_coverage: f32,
    /// At most this many entries are fully scored per query (best bounds first).
    pub max_candidates: usize,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        RetrievalConfig { min_coverage: 0.45, max_candidates: 200 }
    }
}

/// One distinct word (or glued pair) of the listed names.
struct Word {
    text: Box<str>,
    key: Box<str>,
    /// Seen in an Arabic-script name: compare by keys as well.
    transliterated: bool,
    /// Lengths, letters and key hash, for rejecting most comparisons without one
    /// ([`WordPattern::may_be_similar`]).
    shape: WordShape,
}

/// A pass-through hasher for keys that are already 64-bit hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// FNV-1a over a tag and a key: lookup keys are stored as 64-bit hashes (a collision only
/// adds a candidate word, which the similarity then rejects).
fn key_hash(tag: u8, key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(tag);
    h = h.wrapping_mul(0x0100_0000_01b3);
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Final avalanche so the pass-through hasher spreads well.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

const TAG_KEY: u8 = 0;
const TAG_PREFIX: u8 = 1;
const TAG_SUFFIX: u8 = 2;
const TAG_TEXT: u8 = 3;
const TAG_VOCAB: u8 = 4;

/// The lookup keys of a word: its variant key, every one-letter deletion of it (a typo),
/// and for long words their first and last four letters (two typos, or a typo inside a
/// digraph: "Mahcanga" / "Machanga").
fn lookup_keys(text: &str, key: &str, affixes: bool, out: &mut Vec<u64>) {
    let kb = key.as_bytes();
    out.push(key_hash(TAG_KEY, kb));
    if kb.len() >= 4 {
        let mut buf = Vec::with_capacity(kb.len());
        for i in 0..kb.len() {
            buf.clear();
            buf.extend_from_slice(&kb[..i]);
            buf.extend_from_slice(&kb[i + 1..]);
            out.push(key_hash(TAG_KEY, &buf));
        }
    }
    let tb = text.as_bytes();
    // Short words have short keys ("meia" → "m", "media" → "md"): their spelling itself,
    // and each one-letter deletion of it, are keys too.
    if (4..=7).contains(&tb.len()) {
        out.push(key_hash(TAG_TEXT, tb));
        let mut buf = Vec::with_capacity(tb.len());
        for i in 0..tb.len() {
            buf.clear();
            buf.extend_from_slice(&tb[..i]);
            buf.extend_from_slice(&tb[i + 1..]);
            out.push(key_hash(TAG_TEXT, &buf));
        }
    }
    if affixes && tb.len() >= 7 {
        out.push(key_hash(TAG_PREFIX, &tb[..4]));
        out.push(key_hash(TAG_SUFFIX, &tb[tb.len() - 4..]));
    }
}

/// A name's tokens, quality, position in `Entity::names` and whether it was transliterated.
type TokenisedName = (Vec<Token>, NameQuality, usize, bool);

/// An immutable screening index over a set of entries.
pub struct Index {
    entities: Vec<Entity>,
    records: Vec<Record>,
    /// Global name id → (entity, position in its record's names).
    names: Vec<(u32, u16)>,
    words: Vec<Word>,
    /// Lookup key hash → words.
    key_words: KeyMap<Vec<u32>>,
    /// Word → names holding it (as a word or a glued pair), flat: word `w`'s names are
    /// `word_names[word_name_start[w]..word_name_start[w + 1]]`.
    word_name_start: Vec<u32>,
    word_names: Vec<u32>,
    /// Per global name id, what the candidate bound reads ([`NameHead`]).
    name_heads: Vec<NameHead>,
    /// The names' words for the candidate bound, name after name ([`BoundWord`]).
    bound_words: Vec<BoundWord>,
    df: HashMap<String, u32>,
    name_count: f32,
    algorithm: Algorithm,
    retrieval: RetrievalConfig,
    /// Hash of a vocabulary word's text ([`key_hash`] with `TAG_VOCAB`) → the word.
    vocab: KeyMap<u32>,
    /// The retrieval memo: per vocabulary word and kind of unit ([`MEMO_KINDS`]), retrieval's
    /// work for a query unit spelt as that word, made by the first query that needs it.
    memo: Box<[OnceLock<Box<UnitReach>>]>,
    memo_entries: AtomicUsize,
    memo_bytes: AtomicUsize,
    /// False only in tests comparing with fresh retrieval.
    memo_on: bool,
    /// False only in tests comparing the candidate bounds with every glued option compared
    /// ([`SimTable::set_glued_ranges`]).
    ranges_on: bool,
}

/// Similarities of every query unit (a word, or two adjacent words glued) with the vocabulary
/// words met while screening one query: one row of cells per word, filled on demand. A word
/// reached by retrieval or met in a candidate name is compared with a unit once per query.
#[derive(Default)]
struct SimTable {
    stamp: u32,
    units: usize,
    /// The rows, `used` cells of them in use; every cell past `used` is unset.
    cells: Vec<WordSim>,
    used: usize,
    /// Per vocabulary word: its row, and its best options for the candidate bounds
    /// ([`Index::name_bound`]), side by side (one cache line for both).
    word_best: Vec<WordBest>,
    /// Whether the fields below hold the current query ([`SimTable::set_glued_ranges`]).
    ranges: bool,
    /// The lengths of a listed word some query glued pair may reach GLUED_MIN with by the
    /// lengths alone, `[lowest, highest]`, and a bit per query glued pair at the low six bits of
    /// its [`WordShape::key_id`]...
    glued_range: [u32; 2],
    glued_keys: u64,
    /// ...and the same of a listed glued pair against the query words from GLUED_MIN_LEN.
    long_range: [u32; 2],
    long_keys: u64,
}

/// What the candidate bounds need of one vocabulary word for the current query, made once per
/// query and word whatever the number of candidate names holding it.
#[derive(Clone, Copy, Default)]
struct WordBest {
    /// The query stamp the word's row was made for...
    row_stamp: u32,
    /// ...and the offset of that row in `cells`.
    row_of: u32,
    /// The query stamps `token_*` and `glued_*` were made for.
    token_stamp: u32,
    glued_stamp: u32,
    /// As a listed word: the best similarity a query word, or from GLUED_MIN a query glued
    /// pair, has with it (0.0 if none)...
    token_best: f32,
    /// ...and the query words those options hold (bit i: query word i).
    token_has: u64,
    /// As a listed glued pair: the best similarity from GLUED_MIN a query word has with it,
    /// and those query words.
    glued_best: f32,
    glued_has: u64,
}

/// A cell not computed yet (similarities are never negative).
const UNSET: WordSim = WordSim { value: -1.0, how: MatchKind::None };

impl SimTable {
    /// Starts a query with `units` units over a vocabulary of `words` words.
    fn begin(&mut self, words: usize, units: usize) {
        if self.word_best.len() < words {
            self.word_best = vec![WordBest::default(); words];
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.word_best.iter_mut().for_each(|x| *x = WordBest::default());
            self.stamp = 1;
        }
        self.units = units;
        self.ranges = false;
        // Unset is a negative value (the `how` of an unset cell is never read): one store a
        // cell instead of two.
        for c in &mut self.cells[..self.used] {
            c.value = UNSET.value;
        }
        self.used = 0;
    }

    /// Sets the length ranges and key bits of the current query's glued pairs and long words
    /// ([`SimTable::glued_range`]); none when `on` is false.
    fn set_glued_ranges(&mut self, q: &PreparedName, pats: &[WordPattern], on: bool) {
        self.ranges = on;
        // The lengths a unit of length `l` may reach GLUED_MIN with: one interval from
        // `l - l / 3` (`lengths_may_reach_glued_min`).
        let interval = |l: u32| {
            let mut hi = l;
            while lengths_may_reach_glued_min(l, hi + 1) {
                hi += 1;
            }
            (l - l / 3, hi)
        };
        let (mut range, mut keys) = ([u32::MAX, 0], 0u64);
        for (g, gl) in q.glued.iter().enumerate() {
            if gl.text.len() >= sanctions_score::GLUED_MIN_LEN {
                let shape = pats[q.tokens.len() + g].shape();
                let (lo, hi) = interval(shape.text_len());
                range = [range[0].min(lo), range[1].max(hi)];
                keys |= 1 << (shape.key_id() & 63);
            }
        }
        (self.glued_range, self.glued_keys) = (range, keys);
        let (mut range, mut keys) = ([u32::MAX, 0], 0u64);
        for (t, pat) in q.tokens.iter().zip(pats) {
            if t.text.len() >= sanctions_score::GLUED_MIN_LEN {
                let (lo, hi) = interval(pat.shape().text_len());
                range = [range[0].min(lo), range[1].max(hi)];
                keys |= 1 << (pat.shape().key_id() & 63);
            }
        }
        (self.long_range, self.long_keys) = (range, keys);
    }

    /// True when no query unit of a kind (its `range` and `keys`: [`SimTable::glued_range`])
    /// can reach GLUED_MIN with `w` in a query not transliterated (`qt`): the lengths rule
    /// every pair out, and no unit has the word's key.
    #[inline]
    fn rules_out(&self, qt: bool, w: &Word, range: [u32; 2], keys: u64) -> bool {
        let l = w.shape.text_len();
        self.ranges
            && !(qt || w.transliterated)
            && (l < range[0] || l > range[1])
            && keys & (1 << (w.shape.key_id() & 63)) == 0
    }

    /// [`SimTable::rules_out`] of a listed glued pair against the query words from
    /// GLUED_MIN_LEN, from what the bound keeps of the word: true when its
    /// [`SimTable::glued_best`] is certainly 0 for that reason.
    #[inline(always)]
    fn rules_out_bound(&self, qt: bool, g: &BoundWord) -> bool {
        let (l, range) = (u32::from(g.len), self.long_range);
        self.ranges
            && !(qt || g.transliterated)
            && g.len != u16::MAX
            && (l < range[0] || l > range[1])
            && self.long_keys & (1 << g.key6) == 0
    }

    /// The offset of `word`'s row, made now if the query has not met the word yet.
    #[inline]
    fn row(&mut self, word: u32) -> usize {
        let w = word as usize;
        let e = &mut self.word_best[w];
        if e.row_stamp == self.stamp {
            return e.row_of as usize;
        }
        let r = self.used;
        e.row_stamp = self.stamp;
        e.row_of = r as u32;
        self.used += self.units;
        if self.used > self.cells.len() {
            // Grown by doubling, unset: most rows then cost no write at all until used.
            let n = self.used.max(2 * self.cells.len()).max(1024);
            self.cells.resize(n, UNSET);
        }
        r
    }

    /// The similarity in `cell` of query unit `text`, `key` (prepared as `pat`) with `w`,
    /// computed now if missing.
    #[inline]
    fn cell_sim(
        &mut self,
        cell: usize,
        query_translit: bool,
        pat: &WordPattern,
        text: &str,
        key: &str,
        w: &Word,
    ) -> f32 {
        let c = self.cells[cell];
        if c.value >= 0.0 {
            return c.value;
        }
        let s = compare(query_translit, pat, text, key, w);
        self.cells[cell] = s;
        s.value
    }

    /// A glued option's similarity in `cell` for the bounds: 0.0 unless it reaches
    /// [`sanctions_score::GLUED_MIN`]. A missing cell is not computed when
    /// [`sanctions_score::may_reach_glued_min`] rules the pair out (a cell present is below
    /// GLUED_MIN in that case anyway).
    #[inline(always)]
    fn glued_cell(
        &mut self,
        cell: usize,
        query_translit: bool,
        pat: &WordPattern,
        text: &str,
        key: &str,
        w: &Word,
    ) -> f32 {
        if self.cells[cell].value < 0.0
            && !pat.may_reach_glued_min(query_translit || w.transliterated, &w.shape)
        {
            return 0.0;
        }
        self.glued_sim(cell, query_translit, pat, text, key, w)
    }

    /// [`SimTable::glued_cell`] for a pair already known not to be ruled out by
    /// [`sanctions_score::may_reach_glued_min`] (a row just made: its cells are unset), so
    /// not checked again.
    #[inline]
    fn glued_sim(
        &mut self,
        cell: usize,
        query_translit: bool,
        pat: &WordPattern,
        text: &str,
        key: &str,
        w: &Word,
    ) -> f32 {
        let v = self.cell_sim(cell, query_translit, pat, text, key, w);
        if v >= sanctions_score::GLUED_MIN { v } else { 0.0 }
    }

    /// `word` as a listed word: its best option with the query and the query words it holds
    /// ([`WordBest`]).
    fn token_best(
        &mut self,
        q: &PreparedName,
        pats: &[WordPattern],
        words: &[Word],
        word: u32,
    ) -> (f32, u64) {
        let e = self.word_best[word as usize];
        if e.token_stamp == self.stamp {
            return (e.token_best, e.token_has);
        }
        let qn = q.tokens.len();
        // The word's row, made only when a similarity is kept: a pair the shapes rule out is
        // 0 and leaves its cell unset (so a word no query unit may be similar to gets none).
        let mut row = (e.row_stamp == self.stamp).then_some(e.row_of as usize);
        let w = &words[word as usize];
        let qt = q.transliterated;
        let translit = qt || w.transliterated;
        let (mut best, mut has) = (0.0f32, 0u64);
        for (i, (t, pat)) in q.tokens.iter().zip(pats).enumerate() {
            let s = match row.map(|r| self.cells[r + i].value) {
                Some(v) if v >= 0.0 => v,
                _ => {
                    let check = pat.check(translit, &w.shape);
                    if check == ShapeCheck::Zero {
                        continue;
                    }
                    let r = match row {
                        Some(r) => r,
                        None => *row.insert(self.row(word)),
                    };
                    let s = compare_checked(check, translit, pat, &t.text, &t.key, w);
                    self.cells[r + i] = s;
                    s.value
                }
            };
            if s > 0.0 {
                best = best.max(s);
                has |= 1 << i;
            }
        }
        // A glued option is 0 below GLUED_MIN: none when every query glued pair is ruled out.
        let glued = if self.rules_out(qt, w, self.glued_range, self.glued_keys) {
            &[][..]
        } else {
            &q.glued[..]
        };
        for (g, gl) in glued.iter().enumerate() {
            if gl.text.len() < sanctions_score::GLUED_MIN_LEN {
                continue;
            }
            let unit = qn + g;
            let s = match row {
                Some(r) => self.glued_cell(r + unit, qt, &pats[unit], &gl.text, &gl.key, w),
                // No cell set: unless the pair may reach GLUED_MIN, it is no option.
                None if !pats[unit].may_reach_glued_min(translit, &w.shape) => continue,
                // It may: the row is made now, and the pair not checked again.
                None => {
                    let r = *row.insert(self.row(word));
                    self.glued_sim(r + unit, qt, &pats[unit], &gl.text, &gl.key, w)
                }
            };
            if s >= sanctions_score::GLUED_MIN {
                best = best.max(s);
                has |= (1 << gl.first) | (1 << (gl.first + 1));
            }
        }
        let e = &mut self.word_best[word as usize];
        e.token_stamp = self.stamp;
        e.token_best = best;
        e.token_has = has;
        (best, has)
    }

    /// `word` as a listed glued pair: its best option (from GLUED_MIN) with a query word and
    /// the query words that reach it ([`WordBest`]).
    fn glued_best(
        &mut self,
        q: &PreparedName,
        pats: &[WordPattern],
        words: &[Word],
        word: u32,
    ) -> (f32, u64) {
        let e = self.word_best[word as usize];
        if e.glued_stamp == self.stamp {
            return (e.glued_best, e.glued_has);
        }
        let w = &words[word as usize];
        let qt = q.transliterated;
        let (mut best, mut has) = (0.0f32, 0u64);
        // None when every query word is ruled out.
        let tokens = if self.rules_out(qt, w, self.long_range, self.long_keys) {
            &[][..]
        } else {
            &q.tokens[..]
        };
        for (i, (t, pat)) in tokens.iter().zip(pats).enumerate() {
            if t.text.len() < sanctions_score::GLUED_MIN_LEN {
                continue;
            }
            // No row is made for a glued word no query word can reach GLUED_MIN with; a row
            // made now has its cells unset and the pair just checked.
            let s = if self.word_best[word as usize].row_stamp != self.stamp {
                if !pat.may_reach_glued_min(qt || w.transliterated, &w.shape) {
                    continue;
                }
                let row = self.row(word);
                self.glued_sim(row + i, qt, pat, &t.text, &t.key, w)
            } else {
                let row = self.row(word);
                self.glued_cell(row + i, qt, pat, &t.text, &t.key, w)
            };
            if s >= sanctions_score::GLUED_MIN {
                best = best.max(s);
                has |= 1 << i;
            }
        }
        let e = &mut self.word_best[word as usize];
        e.glued_stamp = self.stamp;
        e.glued_best = best;
        e.glued_has = has;
        (best, has)
    }
}

/// The similarity of a query unit (`text`, `key`, prepared as `pat`) with a vocabulary word,
/// 0 without comparing when the shapes rule it out (most pairs: that check is inlined).
#[inline(always)]
fn compare(query_translit: bool, pat: &WordPattern, text: &str, key: &str, w: &Word) -> WordSim {
    let translit = query_translit || w.transliterated;
    let check = pat.check(translit, &w.shape);
    if check == ShapeCheck::Zero {
        // What `sim_checked` returns for it.
        return WordSim { value: 0.0, how: MatchKind::None };
    }
    compare_checked(check, translit, pat, text, key, w)
}

/// [`compare`] past the shape check.
#[inline(never)]
fn compare_checked(
    check: ShapeCheck,
    translit: bool,
    pat: &WordPattern,
    text: &str,
    key: &str,
    w: &Word,
) -> WordSim {
    pat.sim_checked(check, translit, text, key, &w.text, &w.key, &w.shape)
}

/// Credits the names of each word a unit of `weight` reached (`reached`, packed as
/// [`Scratch::reached`], best last; the names of word `w` are `word_names[name_start[w]..
/// name_start[w + 1]]`), best similarity first, each name once per unit (`mark`) with the
/// unit's weight times that similarity: see [`Acc`]; a name joins `passing` when its bound
/// first reaches `need`. Out of line, once per unit, on purpose: inside `candidates_in` the
/// loop kept its slice, credit and `need` on the stack (about 20 instructions a name against
/// 13 here).
#[inline(never)]
fn credit_names(
    acc: &mut [Acc],
    (name_start, word_names): (&[u32], &[u32]),
    reached: &[u64],
    weight: f32,
    [base, mark]: [u32; 2],
    need: f32,
    passing: &mut Vec<u64>,
) {
    for &r in reached.iter().rev() {
        let (wid, sim) = (r as u32 as usize, f32::from_bits((r >> 32) as u32));
        let credit = weight * sim;
        let names = &word_names[name_start[wid] as usize..name_start[wid + 1] as usize];
        for &nid in names {
            let a = &mut acc[nid as usize];
            let m = a.mark;
            if m == mark {
                continue;
            }
            let first = m < base;
            let old = if first { 0.0 } else { a.bound };
            let bound = old + credit;
            *a = Acc { bound, mark };
            if bound >= need && (first || old < need) {
                passing.push(u64::from(nid));
            }
        }
    }
}

/// Above this many, passing name ids are put in order through a bit set instead of a sort.
const SORT_IDS_MAX: usize = 32;

/// Sorts `ids` (distinct, below `count`): a sort when they are few, else through `bits` (one bit
/// per id, left clear), which costs a word per 64 ids between the smallest and the largest.
fn sort_ids(ids: &mut Vec<u64>, bits: &mut Vec<u64>, count: usize) {
    if ids.len() <= SORT_IDS_MAX {
        ids.sort_unstable();
        return;
    }
    if bits.len() < count.div_ceil(64) {
        *bits = vec![0; count.div_ceil(64)];
    }
    let (mut lo, mut hi) = (usize::MAX, 0);
    for &id in ids.iter() {
        let w = id as usize / 64;
        bits[w] |= 1 << (id % 64);
        lo = lo.min(w);
        hi = hi.max(w);
    }
    ids.clear();
    for (w, word) in bits[lo..=hi].iter_mut().enumerate() {
        let mut b = std::mem::take(word);
        while b != 0 {
            ids.push(((lo + w) * 64) as u64 + u64::from(b.trailing_zeros()));
            b &= b - 1;
        }
    }
}

/// A name's running bound during retrieval, and the mark of the last unit that credited it:
/// `base + unit` for the current query ([`Scratch::acc_base`]); a mark below the base is
/// left from an earlier query (the bound is then 0), so nothing is reset between queries.
#[derive(Clone, Copy, Default)]
struct Acc {
    bound: f32,
    mark: u32,
}

#[derive(Default)]
struct Scratch {
    /// Per name id ([`Acc`]).
    acc: Vec<Acc>,
    /// The mark of the current query's first unit (marks `acc_base..acc_base + units`).
    acc_base: u32,
    /// Above every mark given so far: the next query's base.
    acc_next: u32,
    keys: Vec<u64>,
    /// The vocabulary words the current unit's keys reached (each word is looked at once per
    /// unit).
    seen: SeenSet,
    /// Words reached by the current unit's keys that credit names: their similarity's bits
    /// (positive, so ordered as the similarities), then the word id.
    reached: Vec<u64>,
    /// Ids of the names passing retrieval.
    passing: Vec<u64>,
    /// One bit per name id, all clear between queries ([`sort_ids`]).
    pass_bits: Vec<u64>,
    /// The buffers of the last query's candidates, for the next one.
    spare: Candidates,
    /// Every query unit prepared for comparisons ([`WordPattern`]).
    pats: Vec<WordPattern>,
    /// Table rows of the words of the name being aligned: its tokens, then its glued pairs.
    rows: Vec<u32>,
    /// Per word of a candidate name, the best similarity it may meet ([`Index::name_bound`]).
    best: Vec<f32>,
    table: SimTable,
}

/// The per-thread buffers retrieval walks the lookup keys with ([`Index::reach_unit`]).
struct Walk<'a> {
    keys: &'a mut Vec<u64>,
    seen: &'a mut SeenSet,
}

/// A set of vocabulary word ids: one bit per word (7 KB for UN + OFAC, so it stays in the
/// first-level cache where a stamp per word, 227 KB, did not), and the ids set, to clear
/// them.
#[derive(Default)]
struct SeenSet {
    bits: Vec<u64>,
    set: Vec<u32>,
}

impl SeenSet {
    /// Empties the set and makes room for ids below `words`.
    fn clear(&mut self, words: usize) {
        for &id in &self.set {
            self.bits[id as usize / 64] = 0;
        }
        self.set.clear();
        if self.bits.len() < words.div_ceil(64) {
            self.bits = vec![0; words.div_ceil(64)];
        }
    }

    /// Adds `id`; false when it was in the set already.
    #[inline]
    fn insert(&mut self, id: u32) -> bool {
        let (w, bit) = (id as usize / 64, 1u64 << (id % 64));
        if self.bits[w] & bit != 0 {
            return false;
        }
        self.bits[w] |= bit;
        self.set.push(id);
        true
    }
}

/// Retrieval's work for one query unit that depends on the unit alone (its text and key,
/// whether it is a glued pair, whether the query is transliterated): kept once per vocabulary
/// word and kind of unit ([`Index::memo_slot`]) and reused by every later query holding it.
struct UnitReach {
    /// Every vocabulary word the unit was compared with that has a non-zero similarity with
    /// it, and the similarity (the table cells retrieval fills; a zero is not kept: the bounds
    /// compute it again if they ever need it).
    cells: Box<[(u32, WordSim)]>,
    /// The words that credit names, packed and sorted as [`Scratch::reached`].
    reached: Box<[u64]>,
}

impl UnitReach {
    /// Heap bytes held (the entry, its cells and its reached words).
    fn bytes(&self) -> usize {
        std::mem::size_of::<UnitReach>()
            + std::mem::size_of_val(&*self.cells)
            + std::mem::size_of_val(&*self.reached)
    }
}

/// Kinds of query unit per vocabulary word in the retrieval memo: word or glued pair, in a
/// query transliterated or not.
const MEMO_KINDS: usize = 4;

/// What the retrieval memo holds ([`Index::memo_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoStats {
    /// Vocabulary words (per kind of unit) whose retrieval work is kept.
    pub entries: usize,
    /// Heap bytes of those entries.
    pub bytes: usize,
    /// Bytes of the empty slots, one per vocabulary word and kind, allocated with the index.
    pub slot_bytes: usize,
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

struct NameLookup<'a> {
    cells: &'a mut [WordSim],
    pats: &'a [WordPattern],
    query: &'a PreparedName,
    words: &'a [Word],
    name: &'a IndexedName,
    /// Table rows of the name's tokens, then of its glued pairs.
    rows: &'a [u32],
}

impl<'a> NameLookup<'a> {
    /// Makes the table rows of every word of `name` (into `rows`) and the lookup over them.
    fn new(
        table: &'a mut SimTable,
        rows: &'a mut Vec<u32>,
        pats: &'a [WordPattern],
        query: &'a PreparedName,
        words: &'a [Word],
        name: &'a IndexedName,
    ) -> NameLookup<'a> {
        rows.clear();
        for &w in name.token_words.iter().chain(&name.glued_words) {
            rows.push(table.row(w) as u32);
        }
        NameLookup { cells: &mut table.cells, pats, query, words, name, rows }
    }

    /// The similarity from the table, else computed now (a pair the lookup keys did not
    /// bring together can still be similar, e.g. two typos in a short word).
    #[inline(always)]
    fn get(&mut self, unit: usize, text: &str, key: &str, row: usize, word: u32) -> WordSim {
        let cell = self.rows[row] as usize + unit;
        let c = self.cells[cell];
        if c.value >= 0.0 {
            return c;
        }
        self.compute(unit, text, key, cell, word)
    }

    #[inline(never)]
    fn compute(&mut self, unit: usize, text: &str, key: &str, cell: usize, word: u32) -> WordSim {
        let s = compare(
            self.query.transliterated,
            &self.pats[unit],
            text,
            key,
            &self.words[word as usize],
        );
        self.cells[cell] = s;
        s
    }
}

impl NameLookup<'_> {
    /// [`sanctions_score::may_reach_glued_min`] for a query unit and a vocabulary word: glued
    /// pairs count only from [`sanctions_score::GLUED_MIN`] on, so a pair that cannot reach it
    /// is not compared (its cell stays unset for any other use).
    #[inline(always)]
    fn may_reach_glued_min(&self, unit: usize, word: u32) -> bool {
        let w = &self.words[word as usize];
        self.pats[unit].may_reach_glued_min(self.query.transliterated || w.transliterated, &w.shape)
    }
}

/// Slack on the bound of [`Index::name_bound`] against rounding (its sums run in another
/// order than the alignment's): a candidate is dropped only when its bound misses the
/// threshold by more than this.
const BOUND_SLACK: f32 = 1e-3;

/// The early exit of [`Index::name_bound`] rules a name out only when the weight its words miss
/// exceeds what the least acceptable name coverage allows by this share of the name's weight
/// (rounding in those sums is below 1e-5 of it).
const EARLY_MARGIN: f32 = 1e-4;

/// What a glued pair below [`sanctions_score::GLUED_MIN`] is worth to the alignment.
const NO_SIM: WordSim = WordSim { value: 0.0, how: MatchKind::None };

impl SimLookup for NameLookup<'_> {
    fn token(&mut self, qi: usize, nj: usize) -> WordSim {
        let q = self.query;
        let t = &q.tokens[qi];
        self.get(qi, &t.text, &t.key, nj, self.name.token_words[nj])
    }
    fn name_glued(&mut self, qi: usize, g: usize) -> WordSim {
        let q = self.query;
        let t = &q.tokens[qi];
        let word = self.name.glued_words[g];
        if !self.may_reach_glued_min(qi, word) {
            return NO_SIM;
        }
        let row = self.name.token_words.len() + g;
        self.get(qi, &t.text, &t.key, row, word)
    }
    fn query_glued(&mut self, g: usize, nj: usize) -> WordSim {
        let q = self.query;
        let t = &q.glued[g];
        let unit = q.tokens.len() + g;
        let word = self.name.token_words[nj];
        if !self.may_reach_glued_min(unit, word) {
            return NO_SIM;
        }
        self.get(unit, &t.text, &t.key, nj, word)
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
        let mut tokenised: Vec<Vec<TokenisedName>> = Vec::with_capacity(entities.len());
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
                let translit =
                    n.script == Some(Script::Arabic) || detect_script(&n.full) == Script::Arabic;
                names.push((toks, n.quality, orig, translit));
            }
            tokenised.push(names);
        }
        let n = name_count.max(1) as f32;
        let weight = |t: &Token| -> f32 {
            let d = df.get(&t.key).copied().unwrap_or(0).max(1) as f32;
            let idf = ((n + 1.0) / d).ln() / (n + 1.0).ln();
            idf.clamp(0.2, 1.0) * class_factor(t.class)
        };
        // Pass 2: vocabulary, prepared names, postings.
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut words: Vec<Word> = Vec::new();
        let mut word_names: Vec<Vec<u32>> = Vec::new();
        let mut intern = |text: &str,
                          key: &str,
                          translit: bool,
                          words: &mut Vec<Word>,
                          word_names: &mut Vec<Vec<u32>>|
         -> u32 {
            if let Some(&id) = vocab.get(text) {
                if translit {
                    words[id as usize].transliterated = true;
                }
                return id;
            }
            let id = words.len() as u32;
            vocab.insert(text.to_string(), id);
            words.push(Word {
                text: text.into(),
                key: key.into(),
                transliterated: translit,
                shape: WordShape::new(text, key),
            });
            word_names.push(Vec::new());
            id
        };
        let mut names = Vec::new();
        let mut records = Vec::with_capacity(entities.len());
        for (ei, (e, toks)) in entities.iter().zip(tokenised).enumerate() {
            let mut prepared = Vec::with_capacity(toks.len());
            for (t, quality, orig, translit) in toks {
                let mut p = PreparedName::new(t, weight);
                p.transliterated = translit;
                let id = names.len() as u32;
                names.push((ei as u32, prepared.len() as u16));
                let token_words: Vec<u32> = p
                    .tokens
                    .iter()
                    .map(|t| intern(&t.text, &t.key, translit, &mut words, &mut word_names))
                    .collect();
                let glued_words: Vec<u32> = p
                    .glued
                    .iter()
                    .map(|g| intern(&g.text, &g.key, translit, &mut words, &mut word_names))
                    .collect();
                let mut all: Vec<u32> = token_words.iter().chain(&glued_words).copied().collect();
                all.sort_unstable();
                all.dedup();
                for w in all {
                    word_names[w as usize].push(id);
                }
                prepared.push(IndexedName { prepared: p, quality, orig, token_words, glued_words });
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
            let first_name = (names.len() - prepared.len()) as u32;
            records.push(Record { first_name, names: prepared, countries, identifiers });
        }
        let mut key_words: KeyMap<Vec<u32>> = KeyMap::default();
        let mut keys = Vec::new();
        for (id, w) in words.iter().enumerate() {
            keys.clear();
            lookup_keys(&w.text, &w.key, true, &mut keys);
            keys.sort_unstable();
            keys.dedup();
            for &k in &keys {
                key_words.entry(k).or_default().push(id as u32);
            }
        }
        let mut vocab = KeyMap::default();
        for (id, w) in words.iter().enumerate() {
            // On a hash collision the later word has no memo (it is then always computed).
            vocab.entry(key_hash(TAG_VOCAB, w.text.as_bytes())).or_insert(id as u32);
        }
        let memo = (0..words.len() * MEMO_KINDS).map(|_| OnceLock::new()).collect();
        let mut word_name_start = Vec::with_capacity(word_names.len() + 1);
        word_name_start.push(0u32);
        for l in &word_names {
            let end = word_name_start[word_name_start.len() - 1] as usize + l.len();
            word_name_start.push(u32::try_from(end).expect("fewer than 2^32 word-name pairs"));
        }
        let word_names: Vec<u32> = word_names.concat();
        let mut name_heads = Vec::with_capacity(names.len());
        let mut bound_words = Vec::new();
        for r in &records {
            for n in &r.names {
                let p = &n.prepared;
                name_heads.push(NameHead {
                    start: u32::try_from(bound_words.len()).expect("fewer than 2^32 name words"),
                    tokens: u16::try_from(p.tokens.len()).expect("fewer than 2^16 words a name"),
                    glued: u16::try_from(p.glued.len()).expect("fewer than 2^16 words a name"),
                    total_weight: p.total_weight,
                    quality: n.quality,
                });
                // Heaviest first, for the early exit of the bound (`name_bound`).
                let mut order: Vec<usize> = (0..p.tokens.len()).collect();
                order.sort_by(|&a, &b| {
                    p.tokens[b].weight.total_cmp(&p.tokens[a].weight).then(a.cmp(&b))
                });
                let mut at = vec![0u32; order.len()];
                for (k, &i) in order.iter().enumerate() {
                    at[i] = k as u32;
                    let word = n.token_words[i];
                    let arg = p.tokens[i].weight.to_bits();
                    bound_words.push(BoundWord::new(word, arg, &words[word as usize]));
                }
                for (g, &word) in p.glued.iter().zip(&n.glued_words) {
                    let arg = at[g.first] | (at[g.first + 1] << 16);
                    bound_words.push(BoundWord::new(word, arg, &words[word as usize]));
                }
            }
        }
        Index {
            entities,
            records,
            names,
            words,
            key_words,
            word_name_start,
            word_names,
            name_heads,
            bound_words,
            df,
            name_count: n,
            algorithm,
            retrieval,
            vocab,
            memo,
            memo_entries: AtomicUsize::new(0),
            memo_bytes: AtomicUsize::new(0),
            memo_on: true,
            ranges_on: true,
        }
    }

    /// The entries, in the order they were given.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The number of indexed names.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// The number of distinct words (and glued pairs) in the vocabulary.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// The algorithm in use.
    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    fn query_weight(&self, t: &Token) -> f32 {
        self.key_weight(&t.key, t.class)
    }

    /// The weight of a query word with this variant key and class: its rarity among the
    /// listed names (inverse document frequency), times its class's factor.
    pub fn key_weight(&self, key: &str, class: TokenClass) -> f32 {
        let d = self.df.get(key).copied().unwrap_or(0).max(1) as f32;
        let n = self.name_count;
        let idf = ((n + 1.0) / d).ln() / (n + 1.0).ln();
        idf.clamp(0.2, 1.0) * class_factor(class)
    }

    /// Prepares a request for scoring.
    pub fn prepare(&self, req: &ScreenRequest) -> Query {
        let (tokens, script) = tokenize_with_script(&req.name);
        let mut name = PreparedName::new(tokens, |t| self.query_weight(t));
        name.transliterated = script == Script::Arabic;
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

    /// The entries whose names the query reaches and that survive pruning at the default
    /// threshold, best bound first (for measuring retrieval recall on its own).
    pub fn candidates(&self, query: &Query) -> Vec<usize> {
        self.candidates_at(query, sanctions_score::DEFAULT_THRESHOLD)
    }

    /// [`Index::candidates`] at a given threshold.
    pub fn candidates_at(&self, query: &Query, threshold: f32) -> Vec<usize> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let candidates = self.candidates_in(query, threshold, &mut s, true);
            let entities = candidates.list.iter().map(|c| c.entity).collect();
            s.spare = candidates;
            entities
        })
    }

    fn min_share(&self, threshold: f32) -> f32 {
        // At the default threshold 0.8 the share is `min_coverage`; it moves one for one with
        // the threshold, never below 0.2.
        (self.retrieval.min_coverage + (threshold - 0.8)).clamp(0.2, 1.0)
    }

    /// The names holding vocabulary word `wid` (retrieval reads the flat table in
    /// [`credit_names`]).
    #[cfg(test)]
    fn word_names(&self, wid: u32) -> &[u32] {
        let w = wid as usize;
        &self.word_names[self.word_name_start[w] as usize..self.word_name_start[w + 1] as usize]
    }

    /// What the retrieval memo holds now. It grows as queries meet vocabulary words for the
    /// first time and never beyond one entry per vocabulary word and kind of unit.
    pub fn memo_stats(&self) -> MemoStats {
        MemoStats {
            entries: self.memo_entries.load(Ordering::Relaxed),
            bytes: self.memo_bytes.load(Ordering::Relaxed),
            slot_bytes: std::mem::size_of_val(&*self.memo),
        }
    }

    /// The memo slot of a query unit spelt as a vocabulary word (same text and key), if it is.
    #[inline]
    fn memo_slot(
        &self,
        text: &str,
        key: &str,
        is_glued: bool,
        translit: bool,
    ) -> Option<&OnceLock<Box<UnitReach>>> {
        if !self.memo_on {
            return None;
        }
        let &id = self.vocab.get(&key_hash(TAG_VOCAB, text.as_bytes()))?;
        let w = &self.words[id as usize];
        if *w.text != *text || *w.key != *key {
            return None;
        }
        let kind = usize::from(is_glued) * 2 + usize::from(translit);
        Some(&self.memo[id as usize * MEMO_KINDS + kind])
    }

    /// Retrieval's comparisons for one query unit: looks its keys up and compares it with
    /// every vocabulary word they reach that the shapes do not rule out (nor, for a glued
    /// unit, rule out of GLUED_MIN), each word once, calling `cell` with each non-zero similarity;
    /// pushes the words that credit names (non-zero, from GLUED_MIN for a glued unit) onto
    /// `reached`, packed as [`Scratch::reached`], unsorted.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn reach_unit(
        &self,
        walk: &mut Walk<'_>,
        pat: &WordPattern,
        text: &str,
        key: &str,
        query_translit: bool,
        is_glued: bool,
        reached: &mut Vec<u64>,
        mut cell: impl FnMut(u32, WordSim),
    ) {
        walk.keys.clear();
        walk.seen.clear(self.words.len());
        lookup_keys(text, key, !is_glued, walk.keys);
        for k in walk.keys.iter() {
            let Some(list) = self.key_words.get(k) else { continue };
            for &wid in list {
                if !walk.seen.insert(wid) {
                    continue;
                }
                let word = &self.words[wid as usize];
                let translit = query_translit || word.transliterated;
                // Words that certainly score 0 with the unit (most of them), or that a glued
                // unit cannot reach GLUED_MIN with, credit nothing: not compared, their cells
                // stay unset.
                let check = pat.check(translit, &word.shape);
                if check == ShapeCheck::Zero {
                    continue;
                }
                if is_glued && !pat.may_reach_glued_min(translit, &word.shape) {
                    continue;
                }
                let sim =
                    pat.sim_checked(check, translit, text, key, &word.text, &word.key, &word.shape);
                if sim.value > 0.0 {
                    cell(wid, sim);
                }
                // A glued unit credits only from GLUED_MIN on.
                if sim.value > 0.0 && (!is_glued || sim.value >= sanctions_score::GLUED_MIN) {
                    reached.push((u64::from(sim.value.to_bits()) << 32) | u64::from(wid));
                }
            }
        }
    }

    /// Fills `s.units` with the similarities of every query unit and returns the candidates:
    /// the `max_candidates` of best bound (ties: lower entity first), in that order when
    /// `ordered` (else in no particular order: screening sorts its hits by score alone).
    fn candidates_in(
        &self,
        query: &Query,
        threshold: f32,
        s: &mut Scratch,
        ordered: bool,
    ) -> Candidates {
        let mut out = std::mem::take(&mut s.spare);
        out.list.clear();
        out.names.clear();
        let q = &query.name;
        if q.is_empty() {
            return out;
        }
        let units = q.tokens.len() + q.glued.len();
        // Every earlier mark is below the new base.
        let base = s.acc_next.max(1);
        match u32::try_from(units).ok().and_then(|n| base.checked_add(n)) {
            Some(next) if s.acc.len() >= self.names.len() => {
                s.acc_base = base;
                s.acc_next = next;
            }
            _ => {
                s.acc = vec![Acc::default(); self.names.len()];
                s.acc_base = 1;
                s.acc_next = u32::try_from(units).map_or(u32::MAX, |n| n.saturating_add(1));
            }
        }
        let need = self.min_share(threshold) * q.total_weight;
        s.passing.clear();
        s.table.begin(self.words.len(), units);
        // The patterns of the last query are made again in place, the rest added.
        s.pats.truncate(units);
        let translit = q.transliterated;
        for u in 0..units {
            let (text, key, w, is_glued) = if u < q.tokens.len() {
                let t = &q.tokens[u];
                (t.text.as_str(), t.key.as_str(), t.weight, false)
            } else {
                let g = &q.glued[u - q.tokens.len()];
                let w = q.tokens[g.first].weight + q.tokens[g.first + 1].weight;
                (g.text.as_str(), g.key.as_str(), w, true)
            };
            match s.pats.get_mut(u) {
                Some(p) => p.reset(text, key),
                None => s.pats.push(WordPattern::new(text, key)),
            }
            if is_glued && text.len() < sanctions_score::GLUED_MIN_LEN {
                continue;
            }
            let Scratch { table, keys, seen, reached: buf, acc, acc_base, passing, pats, .. } =
                &mut *s;
            let pat = &pats[u];
            let mut walk = Walk { keys, seen };
            // A unit spelt as a vocabulary word is looked up and compared once per index (per
            // kind of unit), the first time a query holds it; the same work, so the same cells.
            let slot = self.memo_slot(text, key, is_glued, translit);
            let reached: &[u64] = match slot {
                Some(slot) => {
                    let m = slot.get_or_init(|| {
                        let mut cells = Vec::new();
                        let mut reached = Vec::new();
                        self.reach_unit(
                            &mut walk,
                            pat,
                            text,
                            key,
                            translit,
                            is_glued,
                            &mut reached,
                            |w, sim| cells.push((w, sim)),
                        );
                        reached.sort_unstable();
                        let m = UnitReach { cells: cells.into(), reached: reached.into() };
                        self.memo_bytes.fetch_add(m.bytes(), Ordering::Relaxed);
                        self.memo_entries.fetch_add(1, Ordering::Relaxed);
                        Box::new(m)
                    });
                    for &(wid, sim) in m.cells.iter() {
                        // Each word once per unit, and retrieval runs first: the cell is unset.
                        let cell = table.row(wid) + u;
                        table.cells[cell] = sim;
                    }
                    &m.reached
                }
                None => {
                    buf.clear();
                    self.reach_unit(
                        &mut walk,
                        pat,
                        text,
                        key,
                        translit,
                        is_glued,
                        buf,
                        |wid, sim| {
                            // Each word once per unit, and retrieval runs first: the cell is unset.
                            let cell = table.row(wid) + u;
                            table.cells[cell] = sim;
                        },
                    );
                    buf.sort_unstable();
                    buf
                }
            };
            // Credit names, best similarity first so each name gets this unit's best. Bounds
            // only grow (weights and similarities are positive): a name joins `passing` when
            // its bound first reaches `need`.
            let (base, mark) = (*acc_base, *acc_base + u as u32);
            let names = (&self.word_name_start[..], &self.word_names[..]);
            credit_names(&mut acc[..], names, reached, w, [base, mark], need, passing);
        }
        // Name ids run in (entity, position) order, so in id order the names come by entity
        // and position.
        let Scratch { acc, passing, pass_bits, table, pats, .. } = &mut *s;
        table.set_glued_ranges(q, pats, self.ranges_on);
        sort_ids(passing, pass_bits, self.names.len());
        for &p in passing.iter() {
            let (e, local) = self.names[p as usize];
            let b = acc[p as usize].bound;
            out.names.push(local);
            let end = out.names.len();
            match out.list.last_mut() {
                Some(c) if c.entity == e as usize => {
                    c.names.end = end;
                    c.bound = c.bound.max(b);
                }
                _ => out.list.push(Candidate { entity: e as usize, names: end - 1..end, bound: b }),
            }
        }
        // Entities are distinct: a total order, so an unstable sort gives the same order, and
        // selecting the first `max_candidates` the same set.
        let order = |a: &Candidate, b: &Candidate| {
            b.bound
                .partial_cmp(&a.bound)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.entity.cmp(&b.entity))
        };
        let max = self.retrieval.max_candidates;
        if ordered {
            out.list.sort_unstable_by(order);
        } else if out.list.len() > max && max > 0 {
            out.list.select_nth_unstable_by(max - 1, order);
        }
        out.list.truncate(max);
        out
    }

    /// What the scorer needs of an entry's attributes.
    fn attrs(&self, entity: usize) -> CandidateAttrs<'_> {
        let (e, r) = (&self.entities[entity], &self.records[entity]);
        CandidateAttrs {
            kind: e.kind,
            birth_dates: &e.birth_dates,
            countries: &r.countries,
            identifiers: &r.identifiers,
        }
    }

    /// Scores entry `entity` on its prepared names at positions `names`, with explanation.
    fn score_candidate(
        &self,
        query: &Query,
        entity: usize,
        names: &[u16],
        table: &mut SimTable,
        rows: &mut Vec<u32>,
        pats: &[WordPattern],
    ) -> Option<Hit> {
        let r = &self.records[entity];
        let names = names.iter().map(|&local| {
            let n = &r.names[local as usize];
            CandidateName { index: n.orig, name: &n.prepared, quality: n.quality }
        });
        let attrs = self.attrs(entity);
        let cfg = &self.algorithm.config.name;
        let s = self.algorithm.score_with(query, names, attrs, |q, cand| -> Alignment {
            // Find the indexed name behind this candidate (same position in `Entity::names`).
            let name =
                r.names.iter().find(|n| n.orig == cand.index).expect("candidate name is indexed");
            let mut lookup = NameLookup::new(table, rows, pats, q, &self.words, name);
            align_with(q, cand.name, cfg, &mut lookup)
        })?;
        Some(Hit { entity, score: s.score, explanation: s.explanation })
    }

    /// An upper bound of [`sanctions_score::align_score_with`] for this name, cheaper than
    /// the alignment: word pairs from the table (computed now where missing; the alignment
    /// reuses them), glued pairs only from [`sanctions_score::GLUED_MIN`], each listed word's
    /// options summed up once per query ([`WordBest`]).
    ///
    /// Every listed word j is matched at most once with some similarity ≤ `best[j]`, the best
    /// option it is part of, so the matched listed weight `X = Σ w_j·best[j]` bounds
    /// `n_matched`, and the name coverage is at most `X / total`. The query coverage is
    /// `A / (B + U)` with `A = n_matched ≤ B` (similarities are at most 1) and `U` the weight
    /// of the unmatched query words, at least `U0`, the weight of the query words with no
    /// option at all: so it is at most `A / (A + U0) ≤ X / (X + U0)`. The score increases with
    /// both coverages.
    ///
    /// With `nc_min > 0`, the least name coverage the caller can accept (the query coverage
    /// taken at its most, 1), the listed words are first summed up heaviest first, and the
    /// bound is 0 as soon as the weight they miss (`w_j·(1 − best[j])`) already keeps `X`
    /// below `nc_min·total`: most candidate names fail on name coverage alone, after one or
    /// two words, and their other words are never summed up.
    #[allow(clippy::too_many_arguments)]
    fn name_bound(
        &self,
        q: &PreparedName,
        name: u32,
        cfg: &NameConfig,
        table: &mut SimTable,
        pats: &[WordPattern],
        best: &mut Vec<f32>,
        nc_min: f32,
    ) -> f32 {
        // The options' query words are a 64-bit set: longer queries are not bounded.
        if !(cfg.query_exponent > 0.0 && (0.0..=1.0).contains(&cfg.name_floor))
            || q.tokens.len() > 64
        {
            return f32::INFINITY;
        }
        let head = self.name_heads[name as usize];
        let start = head.start as usize;
        let tokens = &self.bound_words[start..start + usize::from(head.tokens)];
        let glued = &self.bound_words[start + tokens.len()..][..usize::from(head.glued)];
        let words = &self.words;
        let total = head.total_weight;
        if nc_min > 0.0 && total > 0.0 {
            // X ≤ total − missing: beyond `allowed`, X < nc_min·total (with a margin far above
            // the rounding of these sums, so the full bound below would fail as well).
            let allowed = total * (1.0 - nc_min + EARLY_MARGIN);
            let (mut missing, mut left) = (0.0f32, total);
            for (k, t) in tokens.iter().enumerate() {
                if missing + left <= allowed {
                    // The words left cannot miss enough.
                    break;
                }
                let w = f32::from_bits(t.arg);
                left -= w;
                let (mut b, _) = table.token_best(q, pats, words, t.word);
                if b < 1.0 {
                    let k = k as u32;
                    for g in glued {
                        if (g.arg & 0xffff == k || g.arg >> 16 == k)
                            && !table.rules_out_bound(q.transliterated, g)
                        {
                            let (s, _) = table.glued_best(q, pats, words, g.word);
                            if s >= sanctions_score::GLUED_MIN {
                                b = b.max(s);
                            }
                        }
                    }
                }
                missing += w * (1.0 - b);
                if missing > allowed {
                    return 0.0;
                }
            }
        }
        best.clear();
        let mut has = 0u64;
        for t in tokens {
            let (b, h) = table.token_best(q, pats, words, t.word);
            best.push(b);
            has |= h;
        }
        for g in glued {
            if table.rules_out_bound(q.transliterated, g) {
                continue;
            }
            let (s, h) = table.glued_best(q, pats, words, g.word);
            if s >= sanctions_score::GLUED_MIN {
                let (a, b) = ((g.arg & 0xffff) as usize, (g.arg >> 16) as usize);
                best[a] = best[a].max(s);
                best[b] = best[b].max(s);
                has |= h;
            }
        }
        let x: f32 = tokens.iter().zip(best.iter()).map(|(t, b)| f32::from_bits(t.arg) * b).sum();
        if x <= 0.0 {
            return 0.0;
        }
        let u0: f32 = q
            .tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| has & (1 << i) == 0)
            .map(|(_, t)| t.weight)
            .sum();
        let qc = (x / (x + u0)).min(1.0);
        let nc = if total > 0.0 { (x / total).min(1.0) } else { 0.0 };
        // The default exponent is 1: no `powf` call (`powf(q, 1.0)` is `q`, tested over [0, 1];
        // a bound besides, which BOUND_SLACK covers an ulp either way).
        let qe = if cfg.query_exponent == 1.0 { qc } else { qc.powf(cfg.query_exponent) };
        let score = qe * (cfg.name_floor + (1.0 - cfg.name_floor) * nc);
        score.clamp(0.0, 1.0)
    }

    /// False when the candidate certainly scores below `threshold` (see
    /// [`Index::name_bound`]); attribute effects are exact.
    fn may_reach(
        &self,
        query: &Query,
        entity: usize,
        names: &[u16],
        threshold: f32,
        s: &mut Scratch,
    ) -> bool {
        if threshold <= 0.0 {
            // Scores are clamped at 0: everything reaches such a threshold.
            return true;
        }
        let first = self.records[entity].first_name;
        let (adj, id) = self.algorithm.attribute_adjustment(query, self.attrs(entity));
        let cfg = &self.algorithm.config.name;
        let Scratch { table, pats, best, .. } = s;
        let mut ub = 0.0f32;
        for &local in names {
            let name = first + u32::from(local);
            let quality = self.name_heads[name as usize].quality;
            let qf = if quality == NameQuality::Weak && id {
                1.0
            } else {
                self.algorithm.quality_factor(quality)
            };
            // The least name coverage with which this name could pass: its bound `b` must
            // reach `b_min`, and `b ≤ floor + (1 − floor)·nc` (the query coverage at most 1).
            let b_min = (threshold - BOUND_SLACK - adj) / qf;
            let nc_min = if qf > 0.0 && cfg.name_floor < 1.0 {
                (b_min - cfg.name_floor) / (1.0 - cfg.name_floor)
            } else {
                0.0
            };
            let b = self.name_bound(&query.name, name, cfg, table, pats, best, nc_min);
            ub = ub.max(b * qf);
            if ub + adj >= threshold - BOUND_SLACK {
                return true;
            }
        }
        false
    }

    /// [`Index::score_candidate`]'s score alone, and the position in `names` of the name it
    /// would explain ([`sanctions_score::Algorithm::score_only_best_with`]).
    fn score_candidate_only(
        &self,
        query: &Query,
        entity: usize,
        names: &[u16],
        table: &mut SimTable,
        rows: &mut Vec<u32>,
        pats: &[WordPattern],
    ) -> Option<(f32, usize)> {
        let r = &self.records[entity];
        let names = names.iter().map(|&local| {
            let n = &r.names[local as usize];
            CandidateName { index: local as usize, name: &n.prepared, quality: n.quality }
        });
        let attrs = self.attrs(entity);
        let cfg = &self.algorithm.config.name;
        self.algorithm.score_only_best_with(query, names, attrs, |q, cand| -> f32 {
            // `index` is the position in the record's names here.
            let name = &r.names[cand.index];
            let mut lookup = NameLookup::new(table, rows, pats, q, &self.words, name);
            align_score_with(q, cand.name, cfg, &mut lookup)
        })
    }

    /// Scores one entry (all its names) against a prepared query.
    pub fn score_entity(&self, query: &Query, entity: usize) -> Option<Hit> {
        let r = &self.records[entity];
        let names = r.names.iter().map(|n| CandidateName {
            index: n.orig,
            name: &n.prepared,
            quality: n.quality,
        });
        let attrs = self.attrs(entity);
        let s = self.algorithm.score(query, names, attrs)?;
        Some(Hit { entity, score: s.score, explanation: s.explanation })
    }

    /// Screens one request: hits at or above its threshold, best first, at most its limit.
    pub fn screen(&self, req: &ScreenRequest) -> Vec<Hit> {
        self.screen_query(&self.prepare(req), req.threshold, req.limit)
    }

    /// The longest run of [`Index::locality_order`] one thread should take at a time when
    /// several threads screen it (rayon: `with_max_len`). The order puts the heaviest queries
    /// (names of the lists' commonest words) side by side, so with the pieces rayon makes on
    /// its own one thread could be left with a run of them while the other had nothing left
    /// to take (1.6–1.75 cores busy on two); runs this short keep both busy (1.95) and still
    /// keep most of the order's locality (BENCHMARKS.md §2, ninth session).
    pub const LOCALITY_RUN: usize = 8;

    /// The order in which to screen many prepared queries for speed: queries that share words
    /// one after the other (by their words' variant keys, commonest first), so that one
    /// query's retrieval work, postings and name bounds are still in the cache for the next
    /// one. Results never depend on the order (each query's hits are its own); a batch
    /// screens in this order and puts the results back in input order. On the 5,000 dev
    /// queries this takes about a third of the last-level cache misses away (BENCHMARKS.md
    /// §2).
    pub fn locality_order(&self, queries: &[Query]) -> Vec<usize> {
        let mut keyed: Vec<(Vec<(f32, &str)>, usize)> = queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let mut k: Vec<(f32, &str)> =
                    q.name.tokens.iter().map(|t| (t.weight, t.key.as_str())).collect();
                k.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
                (k, i)
            })
            .collect();
        keyed.sort_by(|a, b| {
            a.0.iter().map(|x| x.1).cmp(b.0.iter().map(|x| x.1)).then(a.1.cmp(&b.1))
        });
        keyed.into_iter().map(|(_, i)| i).collect()
    }

    /// [`Index::screen`] of a query already prepared ([`Index::prepare`]): hits at or above
    /// `threshold`, best first, at most `limit`.
    pub fn screen_query(&self, query: &Query, threshold: f32, limit: usize) -> Vec<Hit> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let candidates = self.candidates_in(query, threshold, &mut s, false);
            // Scores first (no explanation), explanations for the hits returned only; a
            // candidate whose bound cannot reach the threshold is not aligned at all.
            let mut scored: Vec<(&Candidate, f32, usize)> = Vec::new();
            for c in &candidates.list {
                let names = candidates.names(c);
                if !self.may_reach(query, c.entity, names, threshold, &mut s) {
                    continue;
                }
                let Scratch { table, rows, pats, .. } = &mut *s;
                if let Some((score, best)) =
                    self.score_candidate_only(query, c.entity, names, table, rows, pats)
                {
                    if score >= threshold {
                        scored.push((c, score, best));
                    }
                }
            }
            let Scratch { table, rows, pats, .. } = &mut *s;
            scored.sort_by(|a, b| {
                b.1.partial_cmp(&a.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.0.entity.cmp(&b.0.entity))
            });
            scored.truncate(limit.max(1));
            let hits = scored
                .into_iter()
                .filter_map(|(c, score, best)| {
                    // The name that gave the score is the one explained: aligned alone.
                    let name = &candidates.names(c)[best..=best];
                    let hit = self.score_candidate(query, c.entity, name, table, rows, pats)?;
                    debug_assert_eq!(hit.score.to_bits(), score.to_bits());
                    Some(hit)
                })
                .collect();
            s.spare = candidates;
            hits
        })
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
        Index::build(fixture_entities())
    }

    fn fixture_entities() -> Vec<Entity> {
        let mut muttaqi = person("TAi.026", &["AMIR KHAN MUTTAQI", "Amir Khan Motaqi"]);
        muttaqi.birth_dates.push(BirthDate::Exact { date: PartialDate::year(1968) });
        let mut org = Entity::new(Source::Ofac, "6636", "6636", EntityKind::Organization);
        org.names.push(Name::new("TALIBAN", NameQuality::Primary));
        vec![
            muttaqi,
            person("TAi.024", &["ABDUL GHANI BARADAR"]),
            person("X1", &["MOHAMMAD HASSAN AKHUND"]),
            person("X2", &["MOHAMMAD OMAR"]),
            org,
        ]
    }

    fn req(name: &str) -> ScreenRequest {
        ScreenRequest { name: name.into(), threshold: 0.8, limit: 10, ..Default::default() }
    }

    /// The seen set holds each id once until cleared, across the bits of several words.
    #[test]
    fn seen_set_holds_each_id_once() {
        let mut s = SeenSet::default();
        s.clear(200);
        let ids = [0u32, 63, 64, 65, 127, 199, 64];
        let fresh: Vec<bool> = ids.iter().map(|&i| s.insert(i)).collect();
        assert_eq!(fresh, [true, true, true, true, true, true, false]);
        s.clear(200);
        assert!(s.bits.iter().all(|&b| b == 0) && s.set.is_empty());
        assert!(s.insert(64) && !s.insert(64) && s.insert(63));
        s.clear(1000);
        assert!(s.bits.len() >= 1000 / 64 && s.insert(999) && s.insert(64));
    }

    /// The locality order is a permutation of the queries that puts queries sharing their
    /// commonest words side by side, and screening in it gives each query its own hits.
    #[test]
    fn locality_order_groups_queries_and_changes_no_result() {
        let idx = fixture();
        let names = [
            "Mohammad Omar",
            "Amir Khan Muttaqi",
            "Hassan Akhund Mohammad",
            "Abdul Ghani Baradar",
            "Omar Mohammad",
            "Taliban",
            "",
            "Amir Khan Motaqi",
        ];
        let reqs: Vec<ScreenRequest> = names
            .iter()
            .map(|n| ScreenRequest { name: n.to_string(), threshold: 0.5, ..req("") })
            .collect();
        let queries: Vec<Query> = reqs.iter().map(|r| idx.prepare(r)).collect();
        let order = idx.locality_order(&queries);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..names.len()).collect::<Vec<_>>());
        let at = |i: usize| order.iter().position(|&x| x == i).expect("in the order");
        assert_eq!(at(0).abs_diff(at(4)), 1, "{order:?}");
        assert_eq!(at(1).abs_diff(at(7)), 1, "{order:?}");
        for &i in &order {
            let r = &reqs[i];
            let batch = idx.screen_query(&queries[i], r.threshold, r.limit);
            assert_eq!(format!("{batch:?}"), format!("{:?}", idx.screen(r)), "{}", names[i]);
        }
        assert!(idx.locality_order(&[]).is_empty());
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

    /// The candidate bound skips `powf` for the default query exponent 1: `q.powf(1.0)` is `q`
    /// bit for bit over [0, 1] (every 97th float, and the ends), so may_hit's answers stay
    /// those of the formula.
    #[test]
    fn powf_of_one_is_identity() {
        let (lo, hi) = (0.0f32.to_bits(), 1.0f32.to_bits());
        for b in (lo..=hi).step_by(97).chain([lo, 1, hi - 1, hi]) {
            let q = f32::from_bits(b);
            assert_eq!(q.powf(1.0).to_bits(), b, "{q:e}");
        }
    }

    /// A hit is explained from the one name that gave its score: the same hit as explaining
    /// it from every name retrieval reached.
    #[test]
    fn explaining_the_best_name_alone_is_the_same() {
        let mut entities = fixture_entities();
        let mut weak = person("X4", &["Mohammad Omar Akhund", "Omar Akhund", "Mullah Omar"]);
        weak.names[2].quality = NameQuality::Weak;
        entities.push(weak);
        let idx = Index::build(entities);
        let (mut checked, mut later_best) = (0, 0);
        for q in ["Mohammad Omar", "Omar Akhund", "Amir Khan Motaqi", "Mullah Omar", "Akhund"] {
            for threshold in [0.8, 0.3] {
                let r =
                    ScreenRequest { name: q.into(), threshold, limit: 10, ..Default::default() };
                let query = idx.prepare(&r);
                let mut s = Scratch::default();
                let c = idx.candidates_in(&query, threshold, &mut s, true);
                let Scratch { table, rows, pats, .. } = &mut s;
                for cand in &c.list {
                    let names = c.names(cand);
                    let Some((score, best)) =
                        idx.score_candidate_only(&query, cand.entity, names, table, rows, pats)
                    else {
                        continue;
                    };
                    let all = idx.score_candidate(&query, cand.entity, names, table, rows, pats);
                    let one = &names[best..=best];
                    let alone = idx.score_candidate(&query, cand.entity, one, table, rows, pats);
                    assert_eq!(format!("{all:?}"), format!("{alone:?}"), "{q} {threshold}");
                    assert_eq!(all.map(|h| h.score.to_bits()), Some(score.to_bits()));
                    checked += usize::from(names.len() > 1);
                    later_best += usize::from(best > 0);
                }
            }
        }
        assert!(checked > 3 && later_best > 0, "{checked} with several names, {later_best}");
    }

    /// The flat tables (word → names, and what the candidate bound reads of each name) say
    /// what the indexed names say.
    #[test]
    fn flat_tables_match_names() {
        let mut entities = fixture_entities();
        entities.push(person("X3", &["عبد الغني برادر", "ABDUL GHANI BARADAR", "", "Omar"]));
        let idx = Index::build(entities);
        let mut holders: Vec<Vec<u32>> = vec![Vec::new(); idx.words.len()];
        for (id, &(e, local)) in idx.names.iter().enumerate() {
            let r = &idx.records[e as usize];
            assert_eq!(r.first_name + u32::from(local), id as u32);
            let n = &r.names[usize::from(local)];
            let head = idx.name_heads[id];
            let start = head.start as usize;
            let words = &idx.bound_words[start..][..usize::from(head.tokens + head.glued)];
            let (t, g) = words.split_at(usize::from(head.tokens));
            // The tokens heaviest first, ties in name order: each (word, weight) of the name
            // once, at the position its glued pairs give.
            let weight = |b: &BoundWord| f32::from_bits(b.arg);
            assert!(t.windows(2).all(|p| weight(&p[0]) >= weight(&p[1])), "heaviest first");
            let mut pos = vec![usize::MAX; t.len()];
            for (i, (tok, &word)) in n.prepared.tokens.iter().zip(&n.token_words).enumerate() {
                let k = (0..t.len())
                    .find(|&k| {
                        !pos.contains(&k) && t[k].word == word && t[k].arg == tok.weight.to_bits()
                    })
                    .expect("every token in the bound's words");
                pos[i] = k;
            }
            let mut sorted = pos.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..t.len()).collect::<Vec<_>>());
            assert_eq!(g.iter().map(|b| b.word).collect::<Vec<_>>(), n.glued_words);
            let at: Vec<u32> = n
                .prepared
                .glued
                .iter()
                .map(|g| pos[g.first] as u32 | ((pos[g.first + 1] as u32) << 16))
                .collect();
            assert_eq!(g.iter().map(|b| b.arg).collect::<Vec<_>>(), at);
            assert_eq!(head.total_weight.to_bits(), n.prepared.total_weight.to_bits());
            assert_eq!(head.quality, n.quality);
            for &w in n.token_words.iter().chain(&n.glued_words) {
                if holders[w as usize].last() != Some(&(id as u32)) {
                    holders[w as usize].push(id as u32);
                }
            }
        }
        for (w, h) in holders.iter().enumerate() {
            assert_eq!(idx.word_names(w as u32), h.as_slice(), "word {w}");
        }
    }

    /// Retrieval of `query` on a fresh scratch: the candidates (entity, bound bits, names) and
    /// every table cell it filled (unit, word, similarity bits, how).
    #[allow(clippy::type_complexity)]
    fn retrieval_state(
        idx: &Index,
        query: &Query,
        threshold: f32,
    ) -> (Vec<(usize, u32, Vec<u16>)>, Vec<(usize, u32, u32, MatchKind)>) {
        let mut s = Scratch::default();
        let c = idx.candidates_in(query, threshold, &mut s, true);
        let cands =
            c.list.iter().map(|x| (x.entity, x.bound.to_bits(), c.names(x).to_vec())).collect();
        let t = &s.table;
        let mut cells = Vec::new();
        for w in 0..idx.words.len() {
            if t.word_best[w].row_stamp != t.stamp {
                continue;
            }
            for u in 0..t.units {
                let c = t.cells[t.word_best[w].row_of as usize + u];
                if c.value >= 0.0 {
                    // Retrieval keeps non-zero similarities only.
                    assert!(c.value > 0.0, "a zero kept for unit {u}, word {w}");
                    cells.push((u, w as u32, c.value.to_bits(), c.how));
                }
            }
        }
        cells.sort_by_key(|c| (c.0, c.1));
        (cands, cells)
    }

    /// The retrieval memo is invisible: with it (first and later uses of each vocabulary word,
    /// as a word and glued, in plain and transliterated queries, from several threads)
    /// retrieval fills the same table cells and returns the same candidates as without it,
    /// and screening returns the same hits.
    #[test]
    fn memo_equals_fresh_retrieval() {
        // With a name in Arabic script, so that transliterated queries meet vocabulary words.
        let mut entities = fixture_entities();
        entities.push(person("X3", &["عبد الغني برادر", "ABDUL GHANI BARADAR"]));
        let idx = std::sync::Arc::new(Index::build(entities.clone()));
        let mut fresh = Index::build(entities);
        fresh.memo_on = false;
        let words: Vec<String> = idx.words.iter().map(|w| w.text.to_string()).collect();
        let mut queries: Vec<String> = words.clone();
        queries.extend(words.windows(2).map(|w| format!("{} {}", w[0], w[1])));
        queries.extend(
            ["Abdul Ghani Baradar", "Amir Khan Muttaqi", "Abdulghani", "Mohamad Omar"]
                .map(String::from),
        );
        queries.extend(["عبد الغني برادر", "محمد عمر"].map(String::from));
        for round in 0..2 {
            for q in &queries {
                for threshold in [0.8, 0.3] {
                    let r = ScreenRequest {
                        name: q.clone(),
                        threshold,
                        limit: 10,
                        ..Default::default()
                    };
                    let (a, b) = (idx.prepare(&r), fresh.prepare(&r));
                    assert_eq!(
                        retrieval_state(&idx, &a, threshold),
                        retrieval_state(&fresh, &b, threshold),
                        "{q} {round}"
                    );
                    let want = format!("{:?}", fresh.screen(&r));
                    assert_eq!(format!("{:?}", idx.screen(&r)), want, "{q} {round}");
                    let idx2 = idx.clone();
                    let there = std::thread::spawn(move || format!("{:?}", idx2.screen(&r)))
                        .join()
                        .unwrap();
                    assert_eq!(there, want, "{q} {round}");
                }
            }
            let stats = idx.memo_stats();
            assert!(stats.entries > words.len() / 2 && stats.bytes > 0, "{stats:?}");
            assert_eq!(fresh.memo_stats().entries, 0);
        }
        // Every kind of unit was memoised: words and glued pairs, plain and transliterated.
        for kind in 0..MEMO_KINDS {
            assert!(
                idx.memo.iter().skip(kind).step_by(MEMO_KINDS).any(|m| m.get().is_some()),
                "kind {kind}"
            );
        }
    }

    /// `sort_ids` puts distinct ids in order, few or many (through the bit set, left clear for
    /// the next call), as a sort does.
    #[test]
    fn sort_ids_sorts() {
        let (mut bits, mut x) = (Vec::new(), 0x9e37_79b9_7f4a_7c15u64);
        for round in 0..200 {
            let count = 1 + round * 37;
            let mut ids: Vec<u64> = Vec::new();
            for _ in 0..(round % 90) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let id = x % count as u64;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let mut want = ids.clone();
            want.sort_unstable();
            sort_ids(&mut ids, &mut bits, count);
            assert_eq!(ids, want, "{round}");
            assert!(bits.iter().all(|&b| b == 0), "{round}");
        }
    }

    /// Screening takes its candidates unordered (its hits are sorted by score and entity): the
    /// same candidates, with the same bounds and names, as the ordered list, also when only the
    /// best `max_candidates` are kept.
    #[test]
    fn unordered_candidates_are_the_same() {
        let mut entities = fixture_entities();
        for i in 0..12 {
            let name = format!("Mohammad Omar Akhund {}", ["Baradar", "Khan", "Hassan"][i % 3]);
            entities.push(person(&format!("Y{i}"), &[&name, "Omar Akhund"]));
        }
        let mut checked = 0;
        for max_candidates in [1, 2, 3, 5, 200] {
            let cfg = RetrievalConfig { max_candidates, ..RetrievalConfig::default() };
            let idx = Index::build_with(entities.clone(), Algorithm::default(), cfg);
            for q in ["Mohammad Omar", "Omar Akhund Khan", "Mohamad Hassan", "Amir Khan", "Omar"] {
                for threshold in [0.8, 0.5, 0.0] {
                    let query = idx.prepare(&ScreenRequest { name: q.into(), ..req("") });
                    let mut s = Scratch::default();
                    let key = |c: &Candidates| {
                        let mut v: Vec<_> = c
                            .list
                            .iter()
                            .map(|x| (x.entity, x.bound.to_bits(), c.names(x).to_vec()))
                            .collect();
                        v.sort();
                        v
                    };
                    let ordered = idx.candidates_in(&query, threshold, &mut s, true);
                    let unordered = idx.candidates_in(&query, threshold, &mut s, false);
                    assert_eq!(key(&ordered), key(&unordered), "{q} {threshold} {max_candidates}");
                    checked += usize::from(ordered.list.len() == max_candidates);
                }
            }
        }
        assert!(checked > 10, "{checked} cut to max_candidates");
    }

    /// The glued options ruled out by lengths and keys ([`SimTable::set_glued_ranges`]) are
    /// never options: every candidate name's bound is the same, bit for bit, as with every
    /// glued option compared, and so are the hits.
    #[test]
    fn glued_ranges_change_no_bound() {
        let mut entities = fixture_entities();
        entities
            .push(person("X3", &["عبد الغني برادر", "ABDULGHANI BARADAR", "Abdul Ghanibaradar"]));
        entities.push(person("X5", &["Mohammadomar Akhund", "Hassan Akhundzada", "Amirkhan"]));
        let idx = Index::build(entities.clone());
        let mut plain = Index::build(entities);
        plain.ranges_on = false;
        let words: Vec<String> = idx.words.iter().map(|w| w.text.to_string()).collect();
        let mut queries: Vec<String> =
            words.windows(2).map(|w| format!("{} {}", w[0], w[1])).collect();
        queries.extend(words.windows(3).map(|w| format!("{} {} {}", w[0], w[1], w[2])));
        queries.extend(
            ["Abdul Ghani Baradar", "Mohammad Omar Akhund", "Amir Khan", "Hasan Akhundzade"]
                .map(String::from),
        );
        queries.extend(["عبد الغني برادر", "محمد عمر"].map(String::from));
        let (mut bounds, mut skipped, mut early, mut ruled_out) = (0, 0, 0, 0);
        for q in &queries {
            for threshold in [0.8, 0.3] {
                let r = ScreenRequest { name: q.clone(), threshold, ..req("") };
                let query = idx.prepare(&r);
                let (mut a, mut b) = (Scratch::default(), Scratch::default());
                let ca = idx.candidates_in(&query, threshold, &mut a, true);
                let cb = plain.candidates_in(&query, threshold, &mut b, true);
                let cfg = &idx.algorithm.config.name;
                for c in &ca.list {
                    for &local in ca.names(c) {
                        let name = idx.records[c.entity].first_name + u32::from(local);
                        let Scratch { table, pats, best, .. } = &mut a;
                        let x = idx.name_bound(&query.name, name, cfg, table, pats, best, 0.0);
                        // The early exit (a name of quality factor 1, no attribute effect)
                        // rules a name out only when the full bound does.
                        let nc_min =
                            (threshold - BOUND_SLACK - cfg.name_floor) / (1.0 - cfg.name_floor);
                        let e = idx.name_bound(&query.name, name, cfg, table, pats, best, nc_min);
                        assert!(
                            e.to_bits() == x.to_bits() || (e == 0.0 && x < threshold - BOUND_SLACK),
                            "{q} {threshold}: early {e}, full {x}"
                        );
                        early += usize::from(e == 0.0 && x > 0.0);
                        // What the bound keeps of a word rules glued pairs out as the word does.
                        let head = idx.name_heads[name as usize];
                        let words = &idx.bound_words[head.start as usize..]
                            [..usize::from(head.tokens + head.glued)];
                        for g in words {
                            let w = &idx.words[g.word as usize];
                            let (qt, t) = (query.name.transliterated, &*table);
                            assert_eq!(
                                t.rules_out_bound(qt, g),
                                t.rules_out(qt, w, t.long_range, t.long_keys)
                            );
                            ruled_out += usize::from(t.rules_out_bound(qt, g));
                        }
                        let Scratch { table, pats, best, .. } = &mut b;
                        let y = plain.name_bound(&query.name, name, cfg, table, pats, best, 0.0);
                        assert_eq!(x.to_bits(), y.to_bits(), "{q} {threshold}");
                        bounds += 1;
                    }
                }
                skipped += usize::from(a.table.ranges && a.table.glued_range[0] > 1);
                assert_eq!(cb.list.len(), ca.list.len());
                assert_eq!(format!("{:?}", idx.screen(&r)), format!("{:?}", plain.screen(&r)));
            }
        }
        assert!(bounds > 300 && skipped > 100, "{bounds} bounds, {skipped}");
        assert!(early > 10, "{early} names ruled out early of {bounds}");
        assert!(ruled_out > 10, "{ruled_out} words ruled out by what the bound keeps");
    }

    /// The per-word summaries of the bounds (no row for a word whose pairs the shapes rule
    /// out, no glued option where lengths and keys rule it out) are those of comparing every
    /// query unit with the word afresh, for every vocabulary word, after retrieval filled
    /// some of its cells.
    #[test]
    fn word_summaries_equal_plain_comparisons() {
        let mut entities = fixture_entities();
        entities
            .push(person("X3", &["عبد الغني برادر", "ABDULGHANI BARADAR", "Abdul Ghanibaradar"]));
        entities.push(person("X5", &["Mohammadomar Akhund", "Hassan Akhundzada", "Amirkhan A"]));
        let idx = Index::build(entities);
        let queries = [
            "Abdul Ghani Baradar",
            "Mohammad Omar Akhund",
            "Amir Khan Mutaqi",
            "Hasan Akhundzade",
            "Abdulghani",
            "A Omar",
            "عبد الغني برادر",
            "محمد عمر",
        ];
        let mut nonzero = 0;
        for q in queries {
            let query = idx.prepare(&req(q));
            let qn = &query.name;
            let mut s = Scratch::default();
            idx.candidates_in(&query, 0.3, &mut s, true);
            let Scratch { table, pats, .. } = &mut s;
            for word in 0..idx.words.len() as u32 {
                let w = &idx.words[word as usize];
                let sim = |u: usize| {
                    let (text, key) = if u < qn.tokens.len() {
                        (&qn.tokens[u].text, &qn.tokens[u].key)
                    } else {
                        (&qn.glued[u - qn.tokens.len()].text, &qn.glued[u - qn.tokens.len()].key)
                    };
                    compare(qn.transliterated, &pats[u], text, key, w).value
                };
                let (mut best, mut has) = (0.0f32, 0u64);
                for i in 0..qn.tokens.len() {
                    if sim(i) > 0.0 {
                        best = best.max(sim(i));
                        has |= 1 << i;
                    }
                }
                for (g, gl) in qn.glued.iter().enumerate() {
                    let v = sim(qn.tokens.len() + g);
                    if gl.text.len() >= sanctions_score::GLUED_MIN_LEN
                        && v >= sanctions_score::GLUED_MIN
                    {
                        best = best.max(v);
                        has |= (1 << gl.first) | (1 << (gl.first + 1));
                    }
                }
                let (b, h) = table.token_best(qn, pats, &idx.words, word);
                assert_eq!((b.to_bits(), h), (best.to_bits(), has), "{q} {}", w.text);
                let (mut best, mut has) = (0.0f32, 0u64);
                for (i, t) in qn.tokens.iter().enumerate() {
                    if t.text.len() >= sanctions_score::GLUED_MIN_LEN
                        && sim(i) >= sanctions_score::GLUED_MIN
                    {
                        best = best.max(sim(i));
                        has |= 1 << i;
                    }
                }
                let (b, h) = table.glued_best(qn, pats, &idx.words, word);
                assert_eq!((b.to_bits(), h), (best.to_bits(), has), "{q} {}", w.text);
                nonzero += usize::from(b > 0.0);
            }
        }
        assert!(nonzero > 5, "{nonzero} glued options");
    }

    /// The per-thread scratch (marks, stamps, table, candidate buffers) carries nothing from
    /// one query to the next: long and short queries in a row screen as on a fresh thread.
    #[test]
    fn scratch_reuse_is_invisible() {
        let idx = std::sync::Arc::new(fixture());
        let queries = [
            "Mullah Amir Khan Muttaqi Abdul Ghani Baradar Akhund",
            "Baradar",
            "Amir Khan Motaqi",
            "Abdulghani",
            "Mohammad Hassan Akhund Omar",
            "Taliban",
            "Muttaqi",
        ];
        let mut low = req("");
        low.threshold = 0.3;
        for round in 0..3 {
            for q in queries {
                let r = if round == 1 {
                    ScreenRequest { name: q.into(), ..low.clone() }
                } else {
                    req(q)
                };
                let here = format!("{:?}", idx.screen(&r));
                let idx2 = idx.clone();
                let fresh =
                    std::thread::spawn(move || format!("{:?}", idx2.screen(&r))).join().unwrap();
                assert_eq!(here, fresh, "{q}");
            }
        }
    }
}

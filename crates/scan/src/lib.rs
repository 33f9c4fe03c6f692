//! Mentions of listed names in free text and payment messages.
//!
//! [`Scanner::new`] reads the listed names of an [`Index`] once (through its public API only)
//! and builds a lexicon: every folded listed word, its variant key ([`sanctions_text::skeleton`])
//! and the one-letter deletions of long keys, the names holding each word, the weight of each
//! word by its rarity (as the index weighs it), and for every name its *anchors* (its rare
//! words, or its rarest word when it has none).
//!
//! [`Scanner::scan`] then works in three passes:
//!
//! 1. **Words.** An offset-preserving splitter cuts the text into words, folds each with
//!    [`sanctions_text::fold`] (possessives `'s` removed) and looks it up in one hash map
//!    (exact spelling) and, for words of four letters or more that are not common English
//!    words, in a second one (variant key). Only words that meet a listed word (or are a
//!    particle or honorific) are kept.
//! 2. **Windows.** At every word that meets an anchor, each name anchored there is grown
//!    left and right over the consecutive kept words that meet another word of that name
//!    (particles and honorifics may sit between), never across a sentence or paragraph end.
//!    A window whose words could cover enough of the name to reach the threshold is a
//!    candidate.
//! 3. **Scoring.** Each distinct candidate window is screened with [`Index::screen`], the same
//!    scorer and explanation as `sanctions screen`. A window of one name word is a mention only
//!    if the listed name is one word too (an organisation such as "Taliban") and the text word
//!    is capitalised and not a common English word, or the score is very high. Overlapping
//!    mentions resolve to the longest window ("Tehrik-e Taliban Pakistan", not "Taliban").
//!
//! [`payment`] reads SWIFT MT103 and ISO 20022 pacs.008 messages and screens their party and
//! remittance fields.
#![deny(missing_docs)]

mod common;
pub mod payment;
mod words;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use sanctions_index::{Index, ScreenRequest};
use sanctions_model::{EntityKind, Source};
use sanctions_score::Explanation;
use sanctions_text::{TokenClass, classify, skeleton_into, tokenize};
use serde::Serialize;

pub use payment::{Field, MessageFormat, PaymentError};

/// Longest window screened, in words.
pub const MAX_WINDOW_WORDS: usize = 8;
/// A word in more listed names than this is not used to find candidates (unless a name has no
/// rarer word).
const ANCHOR_MAX_NAMES: u32 = 40;
/// Most names grown from one anchor word.
const MAX_NAMES_PER_ANCHOR: usize = 400;
/// Similarity assumed for a word that meets a listed word by variant key.
const SIM_VARIANT: f32 = 0.85;
/// Similarity assumed for a word that meets a listed word by a one-letter deletion of its key.
const SIM_DELETION: f32 = 0.7;

/// A fast hasher for short strings (FxHash).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// An anchor word and another word of one of its names, as one key.
fn pair(anchor: u32, other: u32) -> u64 {
    (u64::from(anchor) << 32) | u64::from(other)
}

/// What the exact spelling of a word tells.
#[derive(Clone, Default)]
struct Entry {
    /// The listed word with this spelling.
    vocab: Option<u32>,
    /// A particle or honorific.
    soft: bool,
    /// A common English word.
    common: bool,
}

/// One distinct listed word (or two adjacent listed words glued).
struct Vocab {
    /// The folded word.
    text: Box<str>,
    /// One-word names that may be mentioned alone, for which this word is the anchor.
    alone: Vec<u32>,
    /// Longer names for which this word is an anchor.
    multi: Vec<u32>,
}

/// One listed name as the candidate pass sees it.
struct ListedName {
    /// Vocabulary ids and weights of its words.
    tokens: Vec<(u32, f32)>,
    /// Vocabulary ids of adjacent word pairs glued ("abdulghani") and the first position.
    glued: Vec<(u32, u8)>,
    total: f32,
    /// A one-word name that may be mentioned alone (an organisation's).
    alone: bool,
}

/// Options of one scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Lowest score reported.
    pub threshold: f32,
    /// Most entries reported per mention.
    pub limit: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { threshold: sanctions_score::DEFAULT_THRESHOLD, limit: 3 }
    }
}

/// One listed entry a mention matched.
#[derive(Clone, Debug, Serialize)]
pub struct MentionHit {
    /// Position of the entry in [`Index::entities`].
    #[serde(skip)]
    pub entity: usize,
    /// The list.
    pub source: Source,
    /// The entry's reference (`TAi.026`, `6636`).
    pub reference: String,
    /// Primary listed name.
    pub name: String,
    /// The listed name that matched best.
    pub matched_name: String,
    /// Kind of the entry.
    pub kind: EntityKind,
    /// Programmes / regimes of the entry.
    pub programs: Vec<String>,
    /// Score in [0, 1].
    pub score: f32,
    /// Why (the same explanation as screening).
    pub explanation: Explanation,
}

/// One mention of listed names in the text.
#[derive(Clone, Debug, Serialize)]
pub struct Mention {
    /// The text of the span, as written.
    pub text: String,
    /// Byte offset of the span in the scanned input.
    pub start: usize,
    /// Byte offset just past the span.
    pub end: usize,
    /// Character (Unicode scalar) offset of the span.
    pub char_start: usize,
    /// Character offset just past the span.
    pub char_end: usize,
    /// Line of the span's first character (1-based).
    pub line: usize,
    /// Column of the span's first character (1-based, in characters).
    pub column: usize,
    /// The payment message field the span is in (payment messages only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The entries matched, best first.
    pub hits: Vec<MentionHit>,
}

impl Mention {
    /// The best score of the mention.
    pub fn score(&self) -> f32 {
        self.hits.first().map_or(0.0, |h| h.score)
    }
}

fn mention_hit(index: &Index, h: sanctions_index::Hit) -> MentionHit {
    let e = &index.entities()[h.entity];
    MentionHit {
        entity: h.entity,
        source: e.source,
        reference: e.reference.clone(),
        name: e.primary_name().to_string(),
        matched_name: index.matched_name(&h).to_string(),
        kind: e.kind,
        programs: e.programs.clone(),
        score: h.score,
        explanation: h.explanation,
    }
}

fn blank_mention(text: &str, start: usize, end: usize, hits: Vec<MentionHit>) -> Mention {
    Mention {
        text: text.to_string(),
        start,
        end,
        char_start: 0,
        char_end: 0,
        line: 0,
        column: 0,
        field: None,
        hits,
    }
}

/// A kept word of the text.
struct WordRec {
    /// Word number in the text.
    pos: u32,
    start: usize,
    end: usize,
    hard_before: bool,
    soft: bool,
    common: bool,
    /// Written as a name: capitalised, or in a script without case.
    cap: bool,
    /// First letter and length of the folded word.
    first: u8,
    len: u8,
    /// Range in the hits buffer.
    hits: (u32, u32),
}

/// Finds mentions of the names of one index. Build once per index; `Send + Sync`.
pub struct Scanner {
    exact: FxMap<Box<str>, Entry>,
    keys: FxMap<Box<str>, Vec<(u32, f32)>>,
    vocab: Vec<Vocab>,
    names: Vec<ListedName>,
    /// (anchor, word) pairs of the longer names: a window can only grow from an anchor
    /// when a neighbouring word is one of these.
    companions: FxSet<u64>,
}

fn class_factor(class: TokenClass) -> f32 {
    match class {
        TokenClass::Word => 1.0,
        TokenClass::Number => 0.6,
        TokenClass::Particle | TokenClass::Honorific => 0.15,
        TokenClass::LegalForm => 0.1,
    }
}

impl Scanner {
    /// Reads the listed names of `index` (tokenised with `sanctions-text`, as the index does).
    pub fn new(index: &Index) -> Scanner {
        let common: HashSet<&str> = common::COMMON.iter().copied().collect();
        // Tokens of every name; document frequency of keys (as the index weighs words).
        let mut all: Vec<Vec<sanctions_text::Token>> = Vec::new();
        let mut kinds: Vec<EntityKind> = Vec::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        for e in index.entities() {
            for n in &e.names {
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
                all.push(toks);
                kinds.push(e.kind);
            }
        }
        let n = all.len().max(1) as f32;
        let weight = |t: &sanctions_text::Token| -> f32 {
            let d = df.get(&t.key).copied().unwrap_or(0).max(1) as f32;
            let idf = ((n + 1.0) / d).ln() / (n + 1.0).ln();
            idf.clamp(0.2, 1.0) * class_factor(t.class)
        };
        let mut exact: FxMap<Box<str>, Entry> = FxMap::default();
        let mut vocab: Vec<Vocab> = Vec::new();
        let mut vocab_df: Vec<u32> = Vec::new();
        let mut vocab_common: Vec<bool> = Vec::new();
        let mut intern = |text: &str, exact: &mut FxMap<Box<str>, Entry>| -> u32 {
            let e = exact.entry(text.into()).or_default();
            if let Some(v) = e.vocab {
                return v;
            }
            let id = vocab.len() as u32;
            e.vocab = Some(id);
            vocab.push(Vocab { text: text.into(), alone: Vec::new(), multi: Vec::new() });
            vocab_df.push(0);
            vocab_common.push(common.contains(text));
            id
        };
        let mut names: Vec<ListedName> = Vec::with_capacity(all.len());
        let mut word_keys: Vec<(u32, String)> = Vec::new();
        for toks in &all {
            let tokens: Vec<(u32, f32)> = toks
                .iter()
                .map(|t| {
                    let id = intern(&t.text, &mut exact);
                    if t.class == TokenClass::Word && t.text.len() >= 4 {
                        word_keys.push((id, t.key.clone()));
                    }
                    (id, weight(t))
                })
                .collect();
            let glued: Vec<(u32, u8)> = toks
                .windows(2)
                .enumerate()
                .take(255)
                .filter(|(_, p)| p[0].text.len() + p[1].text.len() >= 5)
                .map(|(i, p)| (intern(&format!("{}{}", p[0].text, p[1].text), &mut exact), i as u8))
                .collect();
            let total = tokens.iter().map(|t| t.1).sum::<f32>().max(f32::EPSILON);
            names.push(ListedName { tokens, glued, total, alone: false });
        }
        // Document frequency per vocabulary word, for anchors.
        for name in &names {
            let mut ids: Vec<u32> = name.tokens.iter().map(|t| t.0).collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                vocab_df[id as usize] += 1;
            }
        }
        let mut companions: FxSet<u64> = FxSet::default();
        for (name, kind) in names.iter_mut().zip(&kinds) {
            name.alone = name.tokens.len() == 1
                && matches!(kind, EntityKind::Organization | EntityKind::Unknown);
        }
        for (ni, (name, toks)) in names.iter().zip(&all).enumerate() {
            let words: Vec<(u32, u32, bool)> = name
                .tokens
                .iter()
                .zip(toks)
                .filter(|(_, t)| t.class == TokenClass::Word || toks.len() == 1)
                .map(|(&(id, _), _)| (id, vocab_df[id as usize], vocab_common[id as usize]))
                .collect();
            let mut anchors: Vec<u32> = words
                .iter()
                .filter(|(_, d, c)| *d <= ANCHOR_MAX_NAMES && !c)
                .map(|w| w.0)
                .collect();
            if anchors.is_empty() {
                // No rare word: the rarest (uncommon first) stands in.
                let pool: Vec<&(u32, u32, bool)> = if words.iter().any(|w| !w.2) {
                    words.iter().filter(|w| !w.2).collect()
                } else if words.is_empty() {
                    Vec::new()
                } else {
                    words.iter().collect()
                };
                let pool: Vec<(u32, u32)> = if pool.is_empty() {
                    name.tokens.iter().map(|t| (t.0, vocab_df[t.0 as usize])).collect()
                } else {
                    pool.iter().map(|w| (w.0, w.1)).collect()
                };
                if let Some(min) = pool.iter().map(|w| w.1).min() {
                    anchors = pool.iter().filter(|w| w.1 == min).map(|w| w.0).collect();
                }
            }
            anchors.sort_unstable();
            anchors.dedup();
            for a in anchors {
                if name.alone {
                    vocab[a as usize].alone.push(ni as u32);
                } else if name.tokens.len() > 1 {
                    vocab[a as usize].multi.push(ni as u32);
                    let others =
                        name.tokens.iter().map(|t| t.0).chain(name.glued.iter().map(|g| g.0));
                    for c in others.filter(|&c| c != a) {
                        companions.insert(pair(a, c));
                    }
                }
            }
        }
        // Variant keys and their one-letter deletions.
        let mut keys: FxMap<Box<str>, Vec<(u32, f32)>> = FxMap::default();
        word_keys.sort_unstable();
        word_keys.dedup();
        let add = |k: &str, id: u32, sim: f32, keys: &mut FxMap<Box<str>, Vec<(u32, f32)>>| {
            let list = keys.entry(k.into()).or_default();
            match list.iter_mut().find(|(v, _)| *v == id) {
                Some(slot) => slot.1 = slot.1.max(sim),
                None => list.push((id, sim)),
            }
        };
        for (id, key) in &word_keys {
            if key.len() >= 3 {
                add(key, *id, SIM_VARIANT, &mut keys);
            }
            if key.len() >= 5 {
                for d in sanctions_text::deletions(key) {
                    add(&d, *id, SIM_DELETION, &mut keys);
                }
            }
        }
        // Particles, honorifics and common words.
        for w in common::COMMON {
            exact.entry((*w).into()).or_default().common = true;
        }
        let soft: Vec<Box<str>> = exact
            .keys()
            .filter(|w| matches!(classify(w), TokenClass::Particle | TokenClass::Honorific))
            .cloned()
            .collect();
        for w in soft {
            exact.get_mut(&w).expect("present").soft = true;
        }
        Scanner { exact, keys, vocab, names, companions }
    }

    /// The candidate pass alone over `text`: the number of kept words and the windows that
    /// would be screened (for measuring the pass).
    pub fn candidates<'t>(&self, text: &'t str, threshold: f32) -> (usize, Vec<&'t str>) {
        let (recs, hits) = self.words(text);
        let w = self.windows(text, &recs, &hits, threshold);
        (recs.len(), w.iter().map(|&(a, b)| &text[recs[a].start..recs[b].end]).collect())
    }

    /// The number of distinct listed words (and glued pairs) in the lexicon.
    pub fn word_count(&self) -> usize {
        self.vocab.len()
    }

    /// Finds the mentions of listed names in `text`, in text order.
    pub fn scan(&self, index: &Index, text: &str, opts: &ScanOptions) -> Vec<Mention> {
        let (recs, hits) = self.words(text);
        let windows = self.windows(text, &recs, &hits, opts.threshold);
        let mut found: Vec<(usize, usize, usize, Vec<MentionHit>)> = Vec::new();
        for (a, b) in windows {
            let (start, end) = (recs[a].start, recs[b].end);
            let window = &text[start..end];
            let content = b - a + 1;
            let req = ScreenRequest {
                name: window.to_string(),
                threshold: opts.threshold,
                limit: opts.limit.max(1) + 2,
                ..Default::default()
            };
            let mut mhits: Vec<MentionHit> = Vec::new();
            for h in index.screen(&req) {
                let kind = index.entities()[h.entity].kind;
                if a == b
                    && !self.single_word_ok(text, &recs[a], kind, index.matched_name(&h), h.score)
                {
                    continue;
                }
                mhits.push(mention_hit(index, h));
            }
            mhits.truncate(opts.limit.max(1));
            if !mhits.is_empty() {
                found.push((start, end, content, mhits));
            }
        }
        // Longest window first (then best score); overlapping shorter ones are dropped.
        found.sort_by(|x, y| {
            y.2.cmp(&x.2)
                .then((y.1 - y.0).cmp(&(x.1 - x.0)))
                .then(y.3[0].score.partial_cmp(&x.3[0].score).unwrap_or(std::cmp::Ordering::Equal))
                .then(x.0.cmp(&y.0))
        });
        let mut kept: Vec<(usize, usize, usize, Vec<MentionHit>)> = Vec::new();
        for f in found {
            if kept.iter().all(|k| f.1 <= k.0 || f.0 >= k.1) {
                kept.push(f);
            }
        }
        kept.sort_by_key(|k| k.0);
        let mut pos = Positions::new(text);
        kept.into_iter()
            .map(|(start, end, _, hits)| {
                let (char_start, line, column) = pos.at(start);
                let (char_end, _, _) = pos.at(end);
                Mention {
                    text: text[start..end].to_string(),
                    start,
                    end,
                    char_start,
                    char_end,
                    line,
                    column,
                    field: None,
                    hits,
                }
            })
            .collect()
    }

    /// Scans a message of the given format: plain text as [`Scanner::scan`]; a payment
    /// message field by field, the party names screened as names (as `sanctions screen`
    /// does) and every field's text scanned for mentions. Each mention names its field;
    /// offsets are in the whole message (for an XML text with character references, the
    /// span is the element's text).
    pub fn scan_message(
        &self,
        index: &Index,
        msg: &str,
        format: MessageFormat,
        opts: &ScanOptions,
    ) -> Result<Vec<Mention>, PaymentError> {
        let fields = match format {
            MessageFormat::Text => return Ok(self.scan(index, msg, opts)),
            MessageFormat::Mt103 => payment::parse_mt103(msg)?,
            MessageFormat::Pacs008 => payment::parse_pacs008(msg)?,
        };
        let mut out: Vec<Mention> = Vec::new();
        for f in fields {
            let mut local: Vec<Mention> = Vec::new();
            for &(s, e) in &f.names {
                let name = &f.text[s..e];
                let lead = name.len() - name.trim_start().len();
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                let req = ScreenRequest {
                    name: name.to_string(),
                    threshold: opts.threshold,
                    limit: opts.limit.max(1),
                    ..Default::default()
                };
                let hits: Vec<MentionHit> =
                    index.screen(&req).into_iter().map(|h| mention_hit(index, h)).collect();
                if !hits.is_empty() {
                    let start = s + lead;
                    local.push(blank_mention(name, start, start + name.len(), hits));
                }
            }
            for m in self.scan(index, &f.text, opts) {
                if local.iter().all(|d| m.end <= d.start || m.start >= d.end) {
                    local.push(m);
                }
            }
            for mut m in local {
                match f.offset {
                    Some(o) => {
                        m.start += o;
                        m.end += o;
                    }
                    None => {
                        (m.start, m.end) = f.raw;
                    }
                }
                m.field = Some(f.field.clone());
                out.push(m);
            }
        }
        out.sort_by_key(|m| (m.start, m.end));
        let mut pos = Positions::new(msg);
        for m in &mut out {
            let (cs, line, column) = pos.at(m.start);
            let (ce, _, _) = pos.at(m.end);
            (m.char_start, m.char_end, m.line, m.column) = (cs, ce, line, column);
        }
        Ok(out)
    }

    /// The single-word rule: a window of one word is a mention only when the listed name is
    /// that one word too, of an organisation (a lone given name or vessel name is not a
    /// mention), written as a name (capitalised, or in a script without case), not a common
    /// English word, and scored high. A short name (four letters or fewer) must be written
    /// in capitals in text that is not all capitals (an acronym: "ETA", not "Eta" or "ETA"
    /// in a telex).
    fn single_word_ok(
        &self,
        text: &str,
        rec: &WordRec,
        kind: EntityKind,
        matched: &str,
        score: f32,
    ) -> bool {
        if rec.common
            || score < 0.9
            || !matches!(kind, EntityKind::Organization | EntityKind::Unknown)
        {
            return false;
        }
        let word = &text[rec.start..rec.end];
        if tokenize(matched).len() != tokenize(word).len() {
            return false;
        }
        let first = word.chars().next().unwrap_or(' ');
        if first.is_lowercase() || !first.is_alphabetic() {
            return false;
        }
        if word.chars().count() <= 4 {
            let caps = word.chars().all(|c| !c.is_lowercase());
            let line_start = text[..rec.start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[rec.end..].find('\n').map_or(text.len(), |i| rec.end + i);
            let mixed = text[line_start..line_end].chars().any(char::is_lowercase);
            return caps && mixed;
        }
        true
    }

    /// Pass 1: the kept words of the text and their hits.
    fn words(&self, text: &str) -> (Vec<WordRec>, Vec<(u32, f32)>) {
        let mut recs: Vec<WordRec> = Vec::new();
        let mut hits: Vec<(u32, f32)> = Vec::new();
        let mut pos: u32 = 0;
        let mut key = String::new();
        words::for_each_word(text, |w| {
            let p = pos;
            pos += 1;
            let h0 = hits.len() as u32;
            let (mut soft, mut common) = (false, false);
            if let Some(e) = self.exact.get(w.folded) {
                if let Some(v) = e.vocab {
                    hits.push((v, 1.0));
                }
                soft = e.soft;
                common = e.common;
            }
            let first = text[w.start..].chars().next().unwrap_or(' ');
            let cap = !first.is_lowercase();
            // Variant spellings are looked for in words written as names only.
            if cap && !common && w.folded.len() >= 4 {
                skeleton_into(w.folded, &mut key);
                if let Some(list) = self.keys.get(key.as_str()) {
                    for &(v, s) in list {
                        if !hits[h0 as usize..].iter().any(|h| h.0 == v) {
                            hits.push((v, s));
                        }
                    }
                }
            }
            let h1 = hits.len() as u32;
            if h1 > h0 || soft {
                recs.push(WordRec {
                    pos: p,
                    start: w.start,
                    end: w.end,
                    hard_before: w.hard_before,
                    soft,
                    common,
                    cap,
                    first: w.folded.as_bytes()[0],
                    len: w.folded.len().min(255) as u8,
                    hits: (h0, h1),
                });
            }
        });
        (recs, hits)
    }

    /// Pass 2: candidate windows (first and last kept word), each once.
    fn windows(
        &self,
        text: &str,
        recs: &[WordRec],
        hits: &[(u32, f32)],
        threshold: f32,
    ) -> Vec<(usize, usize)> {
        // Name coverage needed: score = qcov × (0.5 + 0.5 × ncov) ≥ threshold with some slack
        // for the similarities assumed here.
        let need = (2.0 * threshold - 1.0 - 0.15).clamp(0.0, 0.6);
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        let mut out = Vec::new();
        for (a, r) in recs.iter().enumerate() {
            // Common words and particles never start a window; a word in lower case only by
            // its exact spelling; a one-letter-off spelling never.
            if r.common || r.soft {
                continue;
            }
            let min_sim = if r.cap { SIM_VARIANT } else { 1.0 };
            for &(v, sim) in &hits[r.hits.0 as usize..r.hits.1 as usize] {
                if sim < min_sim {
                    continue;
                }
                let vocab = &self.vocab[v as usize];
                // One word alone: a one-word organisation name, written as a name, spelt
                // as listed or nearly (same first letter, length within one).
                if !vocab.alone.is_empty() && r.cap {
                    let t = vocab.text.as_bytes();
                    let near = sim >= 1.0
                        || (t.first() == Some(&r.first)
                            && t.len().abs_diff(usize::from(r.len)) <= 1
                            && one_edit(&sanctions_text::fold(&text[r.start..r.end]), &vocab.text));
                    if near && seen.insert((a, a)) {
                        out.push((a, a));
                    }
                }
                if vocab.multi.is_empty() || !self.has_companion(recs, hits, a, v) {
                    continue;
                }
                for &ni in vocab.multi.iter().take(MAX_NAMES_PER_ANCHOR) {
                    let name = &self.names[ni as usize];
                    if let Some(w) = grow(name, recs, hits, a, need) {
                        if w.0 != w.1 && seen.insert(w) {
                            out.push(w);
                        }
                    }
                }
            }
        }
        out
    }
}

impl Scanner {
    /// Whether a word next to kept word `a` (across particles and honorifics, not across a
    /// phrase boundary) is another word of a name anchored at `v`.
    fn has_companion(&self, recs: &[WordRec], hits: &[(u32, f32)], a: usize, v: u32) -> bool {
        // A common word in lower case ("a", "the") does not count.
        let meets = |r: &WordRec| {
            (r.cap || !r.common)
                && hits[r.hits.0 as usize..r.hits.1 as usize]
                    .iter()
                    .any(|&(c, _)| c != v && self.companions.contains(&pair(v, c)))
        };
        let mut j = a;
        for _ in 0..3 {
            if j == 0 || recs[j].hard_before || recs[j - 1].pos + 1 != recs[j].pos {
                break;
            }
            j -= 1;
            if meets(&recs[j]) {
                return true;
            }
            if !recs[j].soft {
                break;
            }
        }
        let mut j = a;
        for _ in 0..3 {
            if j + 1 >= recs.len() || recs[j + 1].hard_before || recs[j].pos + 1 != recs[j + 1].pos
            {
                break;
            }
            j += 1;
            if meets(&recs[j]) {
                return true;
            }
            if !recs[j].soft {
                break;
            }
        }
        false
    }
}

/// Whether `a` and `b` are at most one letter apart (one substitution, insertion or
/// deletion): "Taleban" / "Taliban", not "Thomas" / "Tamas".
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let p = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[p.min(short.len())..].iter().skip(1).eq(long[p.min(long.len())..].iter().skip(1))
    } else {
        short[p..] == long[p + 1..]
    }
}

/// The best unused position (or glued pair) of `name` that kept word `r` meets, and its gain.
fn best_match(
    name: &ListedName,
    r: &WordRec,
    hits: &[(u32, f32)],
    covered: u64,
) -> Option<(u64, f32)> {
    let mut best: Option<(u64, f32)> = None;
    for &(v, sim) in &hits[r.hits.0 as usize..r.hits.1 as usize] {
        for (j, &(id, w)) in name.tokens.iter().enumerate().take(64) {
            if id == v && covered & (1 << j) == 0 && best.is_none_or(|b| w * sim > b.1) {
                best = Some((1 << j, w * sim));
            }
        }
        for &(id, first) in &name.glued {
            let j = u64::from(first);
            if id == v && j < 63 && covered & (3 << j) == 0 {
                let w = name.tokens[j as usize].1 + name.tokens[j as usize + 1].1;
                if best.is_none_or(|b| w * sim > b.1) {
                    best = Some((3 << j, w * sim));
                }
            }
        }
    }
    best
}

/// Grows `name` around kept word `a`; the window if it covers enough of the name.
fn grow(
    name: &ListedName,
    recs: &[WordRec],
    hits: &[(u32, f32)],
    a: usize,
    need: f32,
) -> Option<(usize, usize)> {
    let (mut covered, mut gain) = best_match(name, &recs[a], hits, 0)?;
    let max_steps = (name.tokens.len() + 2).min(MAX_WINDOW_WORDS);
    let (mut left, mut right) = (a, a);
    // Left.
    let mut j = a;
    let mut steps = 0;
    while j > 0 && steps < max_steps {
        let (prev, cur) = (&recs[j - 1], &recs[j]);
        if cur.hard_before || prev.pos + 1 != cur.pos {
            break;
        }
        j -= 1;
        steps += 1;
        if let Some((m, g)) = best_match(name, prev, hits, covered) {
            covered |= m;
            gain += g;
            left = j;
        } else if !prev.soft {
            break;
        }
    }
    // Right.
    let mut j = a;
    steps = 0;
    while j + 1 < recs.len() && steps < max_steps {
        let (cur, next) = (&recs[j], &recs[j + 1]);
        if next.hard_before || cur.pos + 1 != next.pos {
            break;
        }
        j += 1;
        steps += 1;
        if let Some((m, g)) = best_match(name, next, hits, covered) {
            covered |= m;
            gain += g;
            right = j;
        } else if !next.soft {
            break;
        }
    }
    // A particle or honorific at an edge is in the window only when the name holds it
    // ("Mullah Baradar Akhund"): the loop above moves the edges only on matched words.
    (gain / name.total >= need).then_some((left, right))
}

/// Byte offset → (character offset, line, column), for increasing offsets.
struct Positions<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
    line: usize,
    line_start_chars: usize,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        Positions { text, byte: 0, chars: 0, line: 1, line_start_chars: 0 }
    }

    fn at(&mut self, offset: usize) -> (usize, usize, usize) {
        if offset < self.byte {
            *self = Positions::new(self.text);
        }
        for c in self.text[self.byte..offset].chars() {
            self.chars += 1;
            if c == '\n' {
                self.line += 1;
                self.line_start_chars = self.chars;
            }
        }
        self.byte = offset;
        (self.chars, self.line, self.chars - self.line_start_chars + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_letter_apart() {
        assert!(one_edit("taleban", "taliban"));
        assert!(one_edit("taliban", "talibans"));
        assert!(one_edit("hamas", "hamas"));
        assert!(!one_edit("thomas", "tamas"));
        assert!(!one_edit("abcd", "badc"));
    }

    #[test]
    fn positions() {
        let t = "ab\ncd é\nf";
        let mut p = Positions::new(t);
        assert_eq!(p.at(0), (0, 1, 1));
        assert_eq!(p.at(3), (3, 2, 1));
        assert_eq!(p.at(t.find('f').unwrap()), (8, 3, 1));
    }

    #[test]
    fn auto_traits() {
        fn assert_all<T: Send + Sync>() {}
        assert_all::<Scanner>();
    }
}

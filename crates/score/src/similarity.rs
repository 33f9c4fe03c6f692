//! Similarity of two name words.

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions) between two
/// ASCII byte strings, with an early exit once the distance exceeds `max`.
///
/// A distance above `max` is reported as `max + 1`.
pub fn osa_distance(a: &[u8], b: &[u8], max: usize) -> usize {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return max + 1;
    }
    if n == 0 {
        return m;
    }
    if m == 0 {
        return n;
    }
    if n <= 64 && m < 64 {
        if let Some(d) = osa_bits(a, b) {
            return if d > max { max + 1 } else { d };
        }
    }
    osa_rows(a, b, max).min(max + 1)
}

/// A word prepared as the first argument of [`osa_distance`] against many words: the
/// bit-parallel match vectors are built once instead of once per pair.
#[derive(Clone, Copy, Debug)]
pub struct OsaPattern {
    /// Match vectors by [`CODE`] (64 entries, so any code indexes it without a bounds check;
    /// entry 0, for bytes that are neither letters nor digits, stays empty).
    peq: [u64; 64],
    /// The entries of `peq` in use (bit k: entry k), cleared by [`OsaPattern::reset`].
    used: u64,
    /// The bit-parallel distance applies (1..=64 letters or digits).
    bits: bool,
}

impl OsaPattern {
    /// The pattern of `a`.
    pub fn new(a: &[u8]) -> OsaPattern {
        let mut p = OsaPattern { peq: [0; 64], used: 0, bits: false };
        p.reset(a);
        p
    }

    /// Makes this the pattern of `a` in place (clearing only the entries in use).
    pub fn reset(&mut self, a: &[u8]) {
        let mut used = self.used;
        while used != 0 {
            self.peq[used.trailing_zeros() as usize] = 0;
            used &= used - 1;
        }
        self.used = 0;
        self.bits = !a.is_empty() && a.len() <= 64;
        if self.bits {
            for (i, &c) in a.iter().enumerate() {
                let k = CODE[usize::from(c)];
                if k == 0 {
                    self.bits = false;
                    break;
                }
                self.peq[usize::from(k)] |= 1u64 << i;
                self.used |= 1 << k;
            }
        }
    }

    /// `osa_distance(a, b, max)`, where `a` is the word this pattern was made from.
    #[inline]
    pub fn distance(&self, a: &[u8], b: &[u8], max: usize) -> usize {
        let (n, m) = (a.len(), b.len());
        if n.abs_diff(m) > max {
            return max + 1;
        }
        if n == 0 {
            return m;
        }
        if m == 0 {
            return n;
        }
        if self.bits && m < 64 {
            return osa_bits_peq_max(&self.peq, n, b, max);
        }
        osa_rows(a, b, max).min(max + 1)
    }
}

/// Codes of the bytes folded words are made of (letters and digits), 1..=36; 0 for any other.
static CODE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'a' as usize + i] = 1 + i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = 27 + i as u8;
        i += 1;
    }
    t
};

/// Bit-parallel OSA distance (Hyyrö 2003: Myers' algorithm with adjacent transpositions) for
/// a pattern `a` of 1..=64 letters or digits; `None` when a byte is anything else.
#[inline]
fn osa_bits(a: &[u8], b: &[u8]) -> Option<usize> {
    // One entry per code (0 is never looked up with a pattern bit set).
    let mut peq = [0u64; 37];
    for (i, &c) in a.iter().enumerate() {
        let k = CODE[usize::from(c)];
        if k == 0 {
            return None;
        }
        peq[usize::from(k)] |= 1u64 << i;
    }
    osa_bits_peq(&peq, a.len(), b)
}

/// [`osa_bits`] with the pattern's match vectors built already (`n` = pattern length,
/// 1..=64).
#[inline]
fn osa_bits_peq(peq: &[u64; 37], n: usize, b: &[u8]) -> Option<usize> {
    let mut vp = !0u64;
    let mut vn = 0u64;
    let mut d0 = 0u64;
    let mut pm_old = 0u64;
    let mut dist = n;
    let last = 1u64 << (n - 1);
    for &c in b {
        let k = CODE[usize::from(c)];
        if k == 0 {
            return None;
        }
        let pm = peq[usize::from(k)];
        let tr = ((!d0 & pm) << 1) & pm_old;
        d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
        let hp = vn | !(d0 | vp);
        let hn = d0 & vp;
        dist += usize::from(hp & last != 0);
        dist -= usize::from(hn & last != 0);
        let hp = (hp << 1) | 1;
        let hn = hn << 1;
        vp = hn | !(d0 | hp);
        vn = hp & d0;
        pm_old = pm;
    }
    Some(dist)
}

/// [`osa_bits_peq`] capped at `max`: the distance, or `max + 1` when it exceeds `max`, found
/// early when it must. The last row's value moves by at most one per letter of `b`, so once it
/// exceeds `max` by more than the letters left it cannot come back to `max`. The pattern holds
/// letters and digits only, so a byte of `b` that is neither matches nothing: its code 0 has
/// an empty match vector, and any byte of `b` is fine.
#[inline]
fn osa_bits_peq_max(peq: &[u64; 64], n: usize, b: &[u8], max: usize) -> usize {
    let mut vp = !0u64;
    let mut vn = 0u64;
    let mut d0 = 0u64;
    let mut pm_old = 0u64;
    let mut dist = n;
    let last = 1u64 << (n - 1);
    // `max` plus the letters of `b` not read yet.
    let mut limit = max + b.len();
    for &c in b {
        let pm = peq[usize::from(CODE[usize::from(c)] & 63)];
        let tr = ((!d0 & pm) << 1) & pm_old;
        d0 = (((pm & vp).wrapping_add(vp)) ^ vp) | pm | vn | tr;
        let hp = vn | !(d0 | vp);
        let hn = d0 & vp;
        dist += usize::from(hp & last != 0);
        dist -= usize::from(hn & last != 0);
        limit -= 1;
        if dist > limit {
            return max + 1;
        }
        let hp = (hp << 1) | 1;
        let hn = hn << 1;
        vp = hn | !(d0 | hp);
        vn = hp & d0;
        pm_old = pm;
    }
    dist
}

/// The row-by-row dynamic programme behind [`osa_distance`] (exact up to `max`; above it,
/// some value above `max`).
fn osa_rows(a: &[u8], b: &[u8], max: usize) -> usize {
    let (n, m) = (a.len(), b.len());
    const CAP: usize = 64;
    // The stack rows hold distances as u8: a word of 255 letters or more would overflow them
    // (found by fuzzing the HTTP API with a 340-letter name; docs/reliability.md).
    if m + 1 > CAP || n >= usize::from(u8::MAX) {
        // Very long words: plain Levenshtein on the heap.
        let mut prev: Vec<usize> = (0..=m).collect();
        let mut cur = vec![0; m + 1];
        for i in 1..=n {
            cur[0] = i;
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        return prev[m];
    }
    // Three rolling rows (two back for transpositions), rotated by reference: no copying.
    let mut r0 = [0u8; CAP];
    let mut r1 = [0u8; CAP];
    let mut r2 = [0u8; CAP];
    let (mut pp, mut prev, mut cur) = (&mut r0, &mut r1, &mut r2);
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j as u8;
    }
    for i in 1..=n {
        cur[0] = i.min(255) as u8;
        let mut row_min = cur[0];
        let ai = a[i - 1];
        for j in 1..=m {
            let bj = b[j - 1];
            let cost = u8::from(ai != bj);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && ai == b[j - 2] && a[i - 2] == bj {
                v = v.min(pp[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min as usize > max {
            return max + 1;
        }
        let old_pp = pp;
        pp = prev;
        prev = cur;
        cur = old_pp;
    }
    prev[m] as usize
}

/// How two name words compare, in [0, 1], and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WordSim {
    /// The similarity.
    pub value: f32,
    /// How it was reached.
    pub how: MatchKind,
}

/// The way two words were found similar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Identical after folding.
    Exact,
    /// Same variant key (a transliteration variant such as Muhammad / Mohammed).
    Variant,
    /// Close in spelling (a typo).
    Fuzzy,
    /// One is the initial of the other.
    Initial,
    /// Not similar.
    None,
}

/// The set of letters and digits in a folded word, as a bit mask (a cheap lower bound on the
/// edit distance: one edit changes at most two bits).
pub fn letter_mask(word: &str) -> u64 {
    word.bytes().fold(0u64, |m, b| match b {
        b'a'..=b'z' => m | (1 << (b - b'a')),
        b'0'..=b'9' => m | (1 << (26 + b - b'0')),
        _ => m,
    })
}

/// [`letter_mask`] with repeated letters counted: bits 0–35 are the letters and digits
/// present, bits 36–61 the letters present twice or more, bit 62 a third `a`, bit 63 a third
/// `e`. Each bit is one (letter, occurrence) of the word, so the bits present on one side only
/// bound the edit distance from below as [`letter_mask`]'s do, more tightly.
pub fn letter_multiset_mask(word: &str) -> u64 {
    let mut seen = 0u64;
    let mut m = 0u64;
    for b in word.bytes() {
        let bit = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            _ => continue,
        };
        let one = 1u64 << bit;
        if seen & one == 0 {
            seen |= one;
        } else if bit < 26 {
            let two = 1u64 << (36 + bit);
            if m & two == 0 {
                m |= two;
            } else if b == b'a' {
                m |= 1 << 62;
            } else if b == b'e' {
                m |= 1 << 63;
            }
        }
    }
    m | seen
}

/// Similarity of two folded words with their variant keys.
///
/// - identical → 1.0;
/// - same variant key → 0.85–0.97, higher the closer the spellings;
/// - otherwise 1 − edit distance / length, kept only when at least one letter in four is
///   right and the words are long enough for an edit to be a typo (≥ 4 letters).
pub fn word_similarity(a: &str, ka: &str, b: &str, kb: &str) -> WordSim {
    word_similarity_masked(a, ka, letter_mask(a), b, kb, letter_mask(b))
}

/// [`word_similarity`] with the words' [`letter_mask`]s precomputed (the hot path).
pub fn word_similarity_masked(a: &str, ka: &str, ma: u64, b: &str, kb: &str, mb: u64) -> WordSim {
    word_similarity_core::<false>(a, ka, ma, b, kb, mb, osa_distance)
}

/// The body of [`word_similarity_masked`], with the OSA distance from `dist` (plain, or with
/// the first word's [`OsaPattern`]). `BOUNDED`: the caller knows the keys differ and the
/// length and letter bounds pass ([`ShapeCheck::Bounded`]), so they are not evaluated again.
#[inline(always)]
fn word_similarity_core<const BOUNDED: bool>(
    a: &str,
    ka: &str,
    ma: u64,
    b: &str,
    kb: &str,
    mb: u64,
    dist: impl FnOnce(&[u8], &[u8], usize) -> usize,
) -> WordSim {
    if a.len() == b.len() && a == b {
        return WordSim { value: 1.0, how: MatchKind::Exact };
    }
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let len = ab.len().max(bb.len());
    let minlen = ab.len().min(bb.len());
    if minlen == 1 {
        // An initial meets the word it abbreviates, weakly.
        if ab[0] == bb[0] {
            return WordSim { value: 0.6, how: MatchKind::Initial };
        }
        return WordSim { value: 0.0, how: MatchKind::None };
    }
    // A shared key is a variant only when the key says enough: a two-letter key ("jt") is
    // shared by too many unrelated words unless the lengths are close.
    let same_key = !BOUNDED
        && !ka.is_empty()
        && ka == kb
        && (ka.len() >= 3 || (ka.len() == 2 && len - minlen <= 1) || len <= 3);
    let max = len * 2 / 5;
    // Each letter present on one side only costs an edit (and each repeat of a letter, with
    // [`letter_multiset_mask`]s); a substitution can serve one letter of each side.
    if !BOUNDED
        && !same_key
        && (len - minlen > max
            || (ma & !mb).count_ones() as usize > max
            || (mb & !ma).count_ones() as usize > max)
    {
        return WordSim { value: 0.0, how: MatchKind::None };
    }
    let d = dist(ab, bb, if same_key { len } else { max });
    let edit = if d > len { 0.0 } else { 1.0 - d as f32 / len as f32 };
    // A shared key with almost no letter in place ("mary" / "amir") is a coincidence.
    let min_edit = if ka.len() <= 3 { 0.4 } else { 0.25 };
    if same_key && edit >= min_edit {
        let v = (0.78 + 0.2 * edit).min(0.97);
        return WordSim { value: v, how: MatchKind::Variant };
    }
    if d <= max && minlen >= 4 {
        // A typo: one wrong letter costs little; two cost more, less so in long words.
        let per = if d <= 1 {
            0.6
        } else if len >= 6 {
            0.75
        } else {
            0.9
        };
        return WordSim { value: 1.0 - per * d as f32 / len as f32, how: MatchKind::Fuzzy };
    }
    if minlen >= 3 && d == 1 {
        return WordSim { value: 0.8, how: MatchKind::Fuzzy };
    }
    WordSim { value: 0.0, how: MatchKind::None }
}

/// Similarity of two words by their variant keys alone, for words transliterated from a
/// script that does not write short vowels (Arabic): `mhmd` against Muhammad, Mahamat.
pub fn key_similarity(ka: &str, kb: &str) -> WordSim {
    key_similarity_core(ka, kb, || has_vy(ka) || has_vy(kb), osa_distance)
}

/// True when a variant key holds a `v` or a `y` (see [`key_similarity`]).
pub fn has_vy(key: &str) -> bool {
    key.contains(['v', 'y'])
}

/// The body of [`key_similarity`]: `vy` tells whether either key holds a `v` or a `y`, `dist`
/// is the OSA distance (plain, or with the first key's [`OsaPattern`]).
#[inline(always)]
fn key_similarity_core(
    ka: &str,
    kb: &str,
    vy: impl FnOnce() -> bool,
    dist: impl FnOnce(&[u8], &[u8], usize) -> usize,
) -> WordSim {
    if ka.is_empty() || kb.is_empty() {
        return WordSim { value: 0.0, how: MatchKind::None };
    }
    // Arabic و and ي are both consonants (w, y) and long vowels (u, i): Latin spellings
    // write "Alawi" where the letters say "alui". Compare without them too.
    if vy() {
        fn strip(k: &str) -> impl Iterator<Item = u8> + '_ {
            k.bytes().filter(|c| *c != b'v' && *c != b'y')
        }
        if strip(ka).eq(strip(kb)) && strip(ka).next().is_some() {
            return WordSim { value: 0.85, how: MatchKind::Variant };
        }
    }
    if ka == kb {
        let v = if ka.len() >= 2 { 0.9 } else { 0.75 };
        return WordSim { value: v, how: MatchKind::Variant };
    }
    let len = ka.len().max(kb.len());
    if ka.len().min(kb.len()) < 3 {
        return WordSim { value: 0.0, how: MatchKind::None };
    }
    let d = dist(ka.as_bytes(), kb.as_bytes(), 1);
    if d == 1 {
        return WordSim { value: 0.9 - 0.3 / len as f32, how: MatchKind::Variant };
    }
    WordSim { value: 0.0, how: MatchKind::None }
}

/// What the cheap rejection [`WordPattern::may_be_similar`] needs of a word: the lengths and
/// letters ([`letter_multiset_mask`]) of its text and variant key, a hash of the key, and
/// whether the key holds a `v` or a `y`. Small and copyable, so a caller can keep one per
/// vocabulary word and reject most pairs without reading the words themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordShape {
    mask: u64,
    key_mask: u64,
    len: u32,
    key_len: u32,
    key_hash: u32,
    key_vy: bool,
}

impl WordShape {
    /// The shape of `text` with its variant key `key`.
    pub fn new(text: &str, key: &str) -> WordShape {
        // FNV-1a: equal keys have equal hashes (different keys rarely do; that only costs a
        // comparison).
        let key_hash =
            key.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        WordShape {
            mask: letter_multiset_mask(text),
            key_mask: letter_multiset_mask(key),
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            key_len: u32::try_from(key.len()).unwrap_or(u32::MAX),
            key_hash,
            key_vy: has_vy(key),
        }
    }

    /// [`letter_multiset_mask`] of the text.
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// The length of the text in bytes.
    pub fn text_len(&self) -> u32 {
        self.len
    }

    /// The key's length and hash in one number: equal for equal keys (and rarely for others).
    /// Unless two shapes have the same `key_id`, [`lengths_may_reach_glued_min`] of their
    /// lengths can rule the pair out.
    pub fn key_id(&self) -> u64 {
        (u64::from(self.key_len) << 32) | u64::from(self.key_hash)
    }

    /// True when the key holds a `v` or a `y` ([`has_vy`]).
    pub fn key_vy(&self) -> bool {
        self.key_vy
    }

    /// What the shapes alone say of this word against the word of shape `b` ([`ShapeCheck`]),
    /// for [`WordPattern::sim_checked`] (which [`WordPattern::check`] asks of its shape): a
    /// word kept with its shape alone, its pattern made only for the pairs this leaves.
    #[inline]
    pub fn check(&self, translit: bool, b: &WordShape) -> ShapeCheck {
        let a = self;
        let (len, minlen) = (a.len.max(b.len), a.len.min(b.len));
        if minlen <= 1 {
            // An initial (or nothing): compare.
            return ShapeCheck::Unknown;
        }
        if a.key_len == b.key_len && a.key_len > 0 && a.key_hash == b.key_hash {
            // Perhaps the same key: a variant.
            return ShapeCheck::Unknown;
        }
        // The keys differ: a word similarity needs an OSA distance within `max` (see
        // `word_similarity_core`), which these lower bounds rule out.
        let max = len * 2 / 5;
        if !(len - minlen > max
            || more_bits(a.mask & !b.mask, max)
            || more_bits(b.mask & !a.mask, max))
        {
            return ShapeCheck::Bounded;
        }
        if !translit {
            return ShapeCheck::Zero;
        }
        if a.keys_may_be_similar(b) {
            return ShapeCheck::Unknown;
        }
        ShapeCheck::Zero
    }

    /// Whether two different keys may have a key similarity above 0 ([`key_similarity`]),
    /// from their shapes: equal without `v` / `y` (when either holds one; then their other
    /// letters agree, repeats included), or one edit apart (both at least three letters long,
    /// the lengths a letter apart at most, and at most one letter, or repeat, on each side
    /// alone). Such similarities are 0.85 and from 0.8 up, so this is also when two
    /// transliterated words with different keys may reach [`crate::GLUED_MIN`] by their keys.
    #[inline(always)]
    fn keys_may_be_similar(&self, b: &WordShape) -> bool {
        let a = self;
        ((a.key_vy || b.key_vy) && (a.key_mask ^ b.key_mask) & !VY_BITS == 0)
            || (a.key_len.min(b.key_len) >= 3
                && a.key_len.abs_diff(b.key_len) <= 1
                && !more_bits(a.key_mask & !b.key_mask, 1)
                && !more_bits(b.key_mask & !a.key_mask, 1))
    }
}

/// False when, unless their shapes have the same [`WordShape::key_id`] or the pair is
/// transliterated, words of these lengths (in bytes) cannot reach [`crate::GLUED_MIN`]
/// ([`WordPattern::may_reach_glued_min`] on lengths alone). For a word of length `a`, the
/// lengths `b` it allows are one interval, from `a - a / 3` up.
#[inline]
pub fn lengths_may_reach_glued_min(a: u32, b: u32) -> bool {
    a.abs_diff(b) <= a.max(b) / 3
}

/// What [`WordPattern::check`] can tell of a pair from the shapes alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeCheck {
    /// The similarity is certainly 0.
    Zero,
    /// The keys differ and the length and letter bounds on the edit distance pass: the word
    /// similarity rests on the distance itself.
    Bounded,
    /// Anything else (perhaps the same key, an initial, transliterated keys): compare fully.
    Unknown,
}

/// The bits of `v` and `y` in a [`letter_multiset_mask`] (present, and present twice).
const VY_BITS: u64 = 1 << 21 | 1 << 24 | 1 << (36 + 21) | 1 << (36 + 24);

/// More than `max` bits set. For the small `max` of most words, by clearing the lowest set
/// bit `max` times (a bit is left exactly when more than `max` were set): two or three
/// instructions a bit, where `count_ones` is a software routine of about a dozen on the
/// baseline x86-64 target.
#[inline(always)]
fn more_bits(x: u64, max: u32) -> bool {
    let c1 = x & x.wrapping_sub(1);
    let c2 = c1 & c1.wrapping_sub(1);
    let c3 = c2 & c2.wrapping_sub(1);
    let left = match max {
        0 => x,
        1 => c1,
        2 => c2,
        3 => c3,
        _ => return x.count_ones() > max,
    };
    left != 0
}

/// A word prepared once to be compared with many words as the first argument of
/// [`crate::sim_masked`]: its [`WordShape`], and the OSA patterns of its text and of its
/// variant key.
#[derive(Clone, Copy, Debug)]
pub struct WordPattern {
    /// [`letter_multiset_mask`] of the text.
    pub mask: u64,
    shape: WordShape,
    text: OsaPattern,
    key: OsaPattern,
}

impl WordPattern {
    /// True when the key holds a `v` or a `y` ([`has_vy`]).
    pub fn key_vy(&self) -> bool {
        self.shape.key_vy
    }

    /// The word's [`WordShape`].
    pub fn shape(&self) -> &WordShape {
        &self.shape
    }

    /// Prepares `text` with its variant key `key`.
    pub fn new(text: &str, key: &str) -> WordPattern {
        let shape = WordShape::new(text, key);
        WordPattern {
            mask: shape.mask,
            shape,
            text: OsaPattern::new(text.as_bytes()),
            key: OsaPattern::new(key.as_bytes()),
        }
    }

    /// Makes this `WordPattern::new(text, key)` in place (no 1 KiB copy, and only the match
    /// vectors in use are cleared).
    pub fn reset(&mut self, text: &str, key: &str) {
        self.shape = WordShape::new(text, key);
        self.mask = self.shape.mask;
        self.text.reset(text.as_bytes());
        self.key.reset(key.as_bytes());
    }

    /// False only when [`sim_prepared`] of this word (`a`, `ka`) with the word of shape `b`
    /// is certainly 0 ([`MatchKind::None`]), from lengths, letters and key hashes alone: the
    /// keys differ, and neither an edit distance within the typo cap nor (for `translit`) a
    /// key similarity can be reached. True when the words may be similar.
    #[inline]
    pub fn may_be_similar(&self, translit: bool, b: &WordShape) -> bool {
        self.check(translit, b) != ShapeCheck::Zero
    }

    /// [`crate::may_reach_glued_min`] of this word with the word of shape `b`, from the
    /// shapes, and tighter: false means the similarity stays below [`crate::GLUED_MIN`]. At
    /// 0.8, unless the keys may be equal (same length and hash) or the key similarity of
    /// transliterated words may reach it, the words must be equal or a typo apart with an edit
    /// distance `d ≤ len / 3` (`len` the longer length), and `d` is at least the length
    /// difference and the letters ([`letter_multiset_mask`]) present on one side only.
    ///
    /// The key similarity of different keys ([`key_similarity`]) reaches 0.8 only equal
    /// without `v` / `y` (0.85: their other letters agree, repeats included) or one edit apart
    /// with both at least three letters long (0.9 − 0.3 / len ≥ 0.8: the lengths a letter
    /// apart at most, and at most one letter, or repeat, on each side alone); equal keys (0.9)
    /// are the first case above. The same test as [`WordShape::check`]'s
    /// ([`WordShape::keys_may_be_similar`]), which a glued pair of a name in Arabic script
    /// otherwise passed on the key lengths alone.
    #[inline(always)]
    pub fn may_reach_glued_min(&self, translit: bool, b: &WordShape) -> bool {
        const _: () = assert!(crate::GLUED_MIN == 0.8, "the bound below assumes GLUED_MIN = 0.8");
        let a = &self.shape;
        if a.key_len == b.key_len && a.key_hash == b.key_hash {
            return true;
        }
        let cap = a.len.max(b.len) / 3;
        if a.len.abs_diff(b.len) <= cap
            && !more_bits(a.mask & !b.mask, cap)
            && !more_bits(b.mask & !a.mask, cap)
        {
            return true;
        }
        translit && a.keys_may_be_similar(b)
    }

    /// What the shapes alone say of this word (`a`, `ka`) against the word of shape `b`
    /// ([`ShapeCheck`]), for [`WordPattern::sim_checked`]: [`WordShape::check`] of its shape.
    #[inline]
    pub fn check(&self, translit: bool, b: &WordShape) -> ShapeCheck {
        self.shape.check(translit, b)
    }

    /// [`sim_prepared`] of this word (`a`, `ka`) with `b`, `kb` of shape `shape`, given
    /// `check = self.check(translit, shape)`: the same value, without redoing what the check
    /// established.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn sim_checked(
        &self,
        check: ShapeCheck,
        translit: bool,
        a: &str,
        ka: &str,
        b: &str,
        kb: &str,
        shape: &WordShape,
    ) -> WordSim {
        match check {
            ShapeCheck::Zero => WordSim { value: 0.0, how: MatchKind::None },
            ShapeCheck::Bounded => {
                sim_prepared_core::<true>(translit, a, ka, self, b, kb, shape.mask, shape.key_vy)
            }
            ShapeCheck::Unknown => {
                sim_prepared_core::<false>(translit, a, ka, self, b, kb, shape.mask, shape.key_vy)
            }
        }
    }
}

/// [`crate::sim_masked`]`(translit, a, ka, letter_mask(a), b, kb, letter_mask(b))` with `a`
/// prepared as `pa` (`WordPattern::new(a, ka)`), `mb = letter_multiset_mask(b)` and
/// `kb_vy = has_vy(kb)`: the same value, computed faster.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn sim_prepared(
    translit: bool,
    a: &str,
    ka: &str,
    pa: &WordPattern,
    b: &str,
    kb: &str,
    mb: u64,
    kb_vy: bool,
) -> WordSim {
    sim_prepared_core::<false>(translit, a, ka, pa, b, kb, mb, kb_vy)
}

/// The body of [`sim_prepared`] (`BOUNDED`: see [`word_similarity_core`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn sim_prepared_core<const BOUNDED: bool>(
    translit: bool,
    a: &str,
    ka: &str,
    pa: &WordPattern,
    b: &str,
    kb: &str,
    mb: u64,
    kb_vy: bool,
) -> WordSim {
    let s = word_similarity_core::<BOUNDED>(a, ka, pa.mask, b, kb, mb, |x, y, m| {
        pa.text.distance(x, y, m)
    });
    if translit && s.value < 0.9 {
        let k = key_similarity_core(
            ka,
            kb,
            || pa.shape.key_vy || kb_vy,
            |x, y, m| pa.key.distance(x, y, m),
        );
        if k.value > s.value {
            return k;
        }
    }
    s
}

/// Test words: `count` pseudo-random words of 1 to `max_len` (at most 16) letters from
/// `alphabet`, one xorshift draw per word from `seed` (4 bits of it per letter).
#[cfg(test)]
pub(crate) fn random_words(seed: u64, count: usize, max_len: u64, alphabet: &[u8]) -> Vec<String> {
    assert!((1..=16).contains(&max_len));
    let mut x = seed;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (x % max_len) as usize;
            (0..len)
                .map(|i| alphabet[((x >> (4 * i)) % alphabet.len() as u64) as usize] as char)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_text::skeleton;

    fn sim(a: &str, b: &str) -> f32 {
        word_similarity(a, &skeleton(a), b, &skeleton(b)).value
    }

    #[test]
    fn more_bits_is_a_popcount_comparison() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut xs = vec![0, 1, u64::MAX, 1 << 63, 0b1011, 0b111, 0b1111];
        for _ in 0..2000 {
            // xorshift, then sparser words too (most masks have few bits).
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            xs.extend([
                x,
                x & (x >> 3),
                x & (x >> 5) & (x >> 11),
                x & (x >> 7) & (x >> 19) & (x >> 29),
            ]);
        }
        for &x in &xs {
            for max in 0..=65 {
                assert_eq!(more_bits(x, max), x.count_ones() > max, "{x:#x} {max}");
            }
        }
    }

    #[test]
    fn distances() {
        assert_eq!(osa_distance(b"baradar", b"baradar", 3), 0);
        assert_eq!(osa_distance(b"baradar", b"barardar", 3), 1);
        assert_eq!(osa_distance(b"baradar", b"abradar", 3), 1);
        assert_eq!(osa_distance(b"kitten", b"sitting", 5), 3);
        assert!(osa_distance(b"abcdef", b"uvwxyz", 2) > 2);
    }

    #[test]
    fn bit_parallel_matches_rows() {
        // Every pair of words over a small alphabet up to 7 letters, plus random longer ones.
        let alphabet = b"abc";
        let mut words: Vec<Vec<u8>> = vec![vec![]];
        let mut frontier: Vec<Vec<u8>> = vec![vec![]];
        for _ in 0..6 {
            let mut next = Vec::new();
            for w in &frontier {
                for &c in alphabet {
                    let mut v = w.clone();
                    v.push(c);
                    next.push(v);
                }
            }
            words.extend(next.iter().cloned());
            frontier = next;
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..1000 {
            let len = 1 + rnd(63) as usize;
            words.push((0..len).map(|_| b"ab01z"[rnd(5) as usize]).collect());
        }
        for (i, a) in words.iter().enumerate() {
            for b in words.iter().skip(i % 29).step_by(29) {
                if a.is_empty() || b.is_empty() {
                    continue;
                }
                let exact = osa_rows(a, b, usize::MAX / 2);
                assert_eq!(osa_bits(a, b), Some(exact), "{a:?} {b:?}");
                for max in 0..4 {
                    let want = if exact > max { max + 1 } else { exact };
                    assert_eq!(osa_distance(a, b, max), want, "{a:?} {b:?} {max}");
                }
            }
        }
    }

    /// Regression: a word of 255 letters or more against a short one overflowed the u8 rows
    /// (a panic in debug builds, a wrong distance in release).
    #[test]
    fn very_long_words_do_not_overflow() {
        let long = vec![b'q'; 300];
        let short = vec![b'q'; 60];
        assert_eq!(osa_distance(&long, &short, usize::MAX / 2), 240);
        assert_eq!(osa_distance(&long, &short, 250), 240);
        assert_eq!(OsaPattern::new(&long).distance(&long, &short, 250), 240);
        let mut other = long.clone();
        other[299] = b'a';
        assert_eq!(osa_distance(&other, &short, 250), 240);
    }

    #[test]
    fn prepared_matches_plain() {
        let words: Vec<&str> =
            std::iter::once("").chain("a m al ali amir mary omar muhammad mohammad mohamed mhmd muttaqi motaqi mottaki baradar barafar barardar abdulghani abdolghani alawi alui yusuf yousef vy wy y ltd co x1234567 1234567 ivanov ivanoff haqqani haqani naim naeem abdallah abdalla abdullah aaaa aaab eeee eeea mamma mama hassanein hasanin".split(' ')).collect();
        for &a in &words {
            let ka = skeleton(a);
            let pa = WordPattern::new(a, &ka);
            for &b in &words {
                let kb = skeleton(b);
                for translit in [false, true] {
                    let plain =
                        crate::sim_masked(translit, a, &ka, letter_mask(a), b, &kb, letter_mask(b));
                    let mb = letter_multiset_mask(b);
                    let fast = sim_prepared(translit, a, &ka, &pa, b, &kb, mb, has_vy(&kb));
                    assert_eq!(plain.value.to_bits(), fast.value.to_bits(), "{a} {b} {translit}");
                    assert_eq!(plain.how, fast.how, "{a} {b} {translit}");
                }
            }
        }
    }

    #[test]
    fn may_be_similar_is_safe() {
        // Real-looking words, their typos and random words over a small alphabet: whenever the
        // shape test says no, the similarity is 0.
        let mut words: Vec<String> = "a m al ali amir mary omar muhammad mohammad mohamed mhmd muttaqi motaqi mottaki baradar barafar barardar abdulghani abdolghani alawi alui yusuf yousef vy wy y ltd co x1234567 1234567 ivanov ivanoff haqqani haqani naim naeem abdallah abdullah hassan hasan husain hussein ahmad ahmed akhmed yahya yehia".split(' ').map(str::to_string).collect();
        words.extend(random_words(0x9e37_79b9_7f4a_7c15, 600, 11, b"ahmdlnuvyi"));
        let (mut rejected, mut pairs, mut without_vy) = (0, 0, 0);
        for a in &words {
            let ka = skeleton(a);
            let pa = WordPattern::new(a, &ka);
            for b in &words {
                let kb = skeleton(b);
                let shape = WordShape::new(b, &kb);
                for translit in [false, true] {
                    pairs += 1;
                    let plain =
                        sim_prepared(translit, a, &ka, &pa, b, &kb, shape.mask(), shape.key_vy());
                    let check = pa.check(translit, &shape);
                    let checked = pa.sim_checked(check, translit, a, &ka, b, &kb, &shape);
                    assert_eq!(plain.value.to_bits(), checked.value.to_bits(), "{a} {b}");
                    assert_eq!(plain.how, checked.how, "{a} {b}");
                    // Keys equal once `v` and `y` are left out, and nothing better.
                    if translit && ka != kb && plain.value == 0.85 {
                        without_vy += 1;
                    }
                    if !pa.may_be_similar(translit, &shape) {
                        rejected += 1;
                        let s = sim_prepared(
                            translit,
                            a,
                            &ka,
                            &pa,
                            b,
                            &kb,
                            shape.mask(),
                            shape.key_vy(),
                        );
                        assert_eq!(s, WordSim { value: 0.0, how: MatchKind::None }, "{a} {b}");
                    }
                }
            }
        }
        assert!(rejected * 3 > pairs, "{rejected} of {pairs}");
        assert!(without_vy > 100, "only {without_vy} pairs of keys equal without v / y");
    }

    /// The length rule agrees with the shapes' glued check: a pair it rules out, with keys of
    /// different `key_id`, not transliterated, is out of `may_reach_glued_min`; and the
    /// lengths it allows form the interval it documents.
    #[test]
    fn glued_length_rule_is_safe() {
        let mut words: Vec<String> =
            "a m al ali amir omar muhammad mohammad abdulghani yusuf ltd x1234567 hassan hussein"
                .split(' ')
                .map(str::to_string)
                .collect();
        words.extend(random_words(0x2545_f491_4f6c_dd1d, 800, 16, b"ahmdlnuvyibrs"));
        let mut ruled_out = 0;
        for a in &words {
            let ka = skeleton(a);
            let pa = WordPattern::new(a, &ka);
            for b in &words {
                let kb = skeleton(b);
                let shape = WordShape::new(b, &kb);
                let (la, lb) = (pa.shape.text_len(), shape.text_len());
                assert_eq!((la as usize, lb as usize), (a.len(), b.len()));
                if pa.shape.key_id() != shape.key_id() && !lengths_may_reach_glued_min(la, lb) {
                    ruled_out += 1;
                    assert!(!pa.may_reach_glued_min(false, &shape), "{a} {b}");
                }
            }
        }
        assert!(ruled_out > 1000, "{ruled_out}");
        for a in 0..100u32 {
            let ok: Vec<u32> = (0..200).filter(|&b| lengths_may_reach_glued_min(a, b)).collect();
            assert_eq!(ok.len() as u32, ok[ok.len() - 1] - ok[0] + 1, "{a}");
            assert_eq!(ok[0], a - a / 3, "{a}");
        }
    }

    /// A pattern made again in place is the pattern made anew: same distances and
    /// similarities, whatever it held before.
    #[test]
    fn pattern_reset_equals_new() {
        let words = random_words(0x5851_f42d_4c95_7f2d, 300, 16, b"ahmdlnuvyi0-");
        let mut p = WordPattern::new("x", "x");
        for (i, a) in words.iter().enumerate() {
            let ka = skeleton(a);
            p.reset(a, &ka);
            let fresh = WordPattern::new(a, &ka);
            assert_eq!(p.shape(), fresh.shape());
            for b in words.iter().skip(i % 7).step_by(13) {
                let kb = skeleton(b);
                for max in [0, 1, 3, 20] {
                    let (x, y) = (p.text.distance(a.as_bytes(), b.as_bytes(), max), {
                        fresh.text.distance(a.as_bytes(), b.as_bytes(), max)
                    });
                    assert_eq!(x, y, "{a} {b} {max}");
                    let (x, y) = (
                        p.key.distance(ka.as_bytes(), kb.as_bytes(), max),
                        fresh.key.distance(ka.as_bytes(), kb.as_bytes(), max),
                    );
                    assert_eq!(x, y, "{ka} {kb} {max}");
                }
                let shape = WordShape::new(b, &kb);
                for translit in [false, true] {
                    let (x, y) = (
                        sim_prepared(translit, a, &ka, &p, b, &kb, shape.mask(), shape.key_vy()),
                        sim_prepared(
                            translit,
                            a,
                            &ka,
                            &fresh,
                            b,
                            &kb,
                            shape.mask(),
                            shape.key_vy(),
                        ),
                    );
                    assert_eq!((x.value.to_bits(), x.how), (y.value.to_bits(), y.how));
                }
            }
        }
    }

    #[test]
    fn multiset_mask_bounds_distance() {
        // Every pair over a small alphabet: the bits on one side only never exceed the
        // distance, and the capped distance matches the plain one.
        let mut words: Vec<String> = vec![String::new()];
        let mut frontier = words.clone();
        for _ in 0..5 {
            let next: Vec<String> = frontier
                .iter()
                .flat_map(|w| ["a", "e", "b", "7"].map(|c| format!("{w}{c}")))
                .collect();
            words.extend(next.iter().cloned());
            frontier = next;
        }
        for a in &words {
            let (ma, p) = (letter_multiset_mask(a), OsaPattern::new(a.as_bytes()));
            assert_eq!(ma & ((1 << 36) - 1), letter_mask(a));
            for b in &words {
                let mb = letter_multiset_mask(b);
                let exact = osa_distance(a.as_bytes(), b.as_bytes(), usize::MAX / 2);
                assert!((ma & !mb).count_ones() as usize <= exact, "{a} {b}");
                assert!((mb & !ma).count_ones() as usize <= exact, "{a} {b}");
                for max in 0..4 {
                    let want = exact.min(max + 1);
                    assert_eq!(p.distance(a.as_bytes(), b.as_bytes(), max), want, "{a} {b}");
                }
            }
        }
    }

    #[test]
    fn pattern_distance_matches() {
        let words: [&[u8]; 8] =
            [b"", b"a", b"ab", b"ba", b"baradar", b"barardar", b"x-y", &[b'q'; 70]];
        for a in words {
            let p = OsaPattern::new(a);
            for b in words {
                for max in 0..5 {
                    assert_eq!(p.distance(a, b, max), osa_distance(a, b, max), "{a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn word_table() {
        assert_eq!(sim("muttaqi", "muttaqi"), 1.0);
        assert!(sim("muttaqi", "motaqi") > 0.85);
        assert!(sim("mohammad", "muhammad") > 0.9);
        assert!(sim("baradar", "barafar") > 0.8);
        assert!(sim("baradar", "barardar") > 0.8);
        assert_eq!(sim("smith", "baradar"), 0.0);
        assert_eq!(sim("ali", "omar"), 0.0);
        assert!(sim("a", "amir") > 0.0 && sim("a", "amir") < 0.7);
    }
}

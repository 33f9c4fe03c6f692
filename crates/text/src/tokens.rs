//! Name-aware tokens: words, particles, honorifics and legal forms.
//!
//! A name is folded ([`crate::fold`]) and split on spaces. Each word gets a [`TokenClass`]:
//! honorifics and titles (Mullah, Maulavi, Haji, Sheikh, Dr) and particles (al, bin, abu,
//! abdul) weigh little in scoring; company legal forms (LLC, Ltd, JSC, OOO, GmbH) are one
//! class, so "Ltd" meets "Limited". The same function runs at index time and at query time.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::keys::skeleton;

/// What role a word plays in a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenClass {
    /// An ordinary name word.
    Word,
    /// A joining particle: al, el, bin, ibn, abu, abd, abdul, ul, ur, ud, van, von, de...
    Particle,
    /// An honorific or title: mullah, maulavi, haji, sheikh, qari, dr, mr...
    Honorific,
    /// A legal form of an organisation, canonicalised (ltd, llc, jsc, gmbh...).
    LegalForm,
    /// A word made of digits.
    Number,
}

/// One token of a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The folded word (legal forms canonicalised, e.g. "limited" → "ltd").
    pub text: String,
    /// Its class.
    pub class: TokenClass,
    /// Its variant-tolerant key ([`crate::skeleton`]).
    pub key: String,
}

const HONORIFICS: &[&str] = &[
    "mullah",
    "mulla",
    "molla",
    "mollah",
    "maulavi",
    "mawlawi",
    "maulvi",
    "moulvi",
    "molvi",
    "mawlavi",
    "maulawi",
    "moulavi",
    "mowlavi",
    "mawlana",
    "maulana",
    "haji",
    "hajji",
    "haj",
    "hadji",
    "alhaj",
    "alhaji",
    "hajj",
    "sheikh",
    "shaikh",
    "sheik",
    "shaykh",
    "shaykhs",
    "cheikh",
    "qari",
    "qary",
    "kari",
    "mufti",
    "hafiz",
    "hafez",
    "ustad",
    "ustaz",
    "dr",
    "doctor",
    "prof",
    "professor",
    "mr",
    "mrs",
    "ms",
    "miss",
    "sir",
    "general",
    "gen",
    "colonel",
    "col",
    "major",
    "maj",
    "captain",
    "capt",
    "lieutenant",
    "lt",
    "brigadier",
    "admiral",
    "sayyid",
    "sayed",
    "sayyed",
    "syed",
    "said",
    "imam",
    "emir",
    "commander",
    "eng",
    "engineer",
];

/// Honorifics that are also common given names: they weigh as honorifics only when another
/// word follows them.
const AMBIGUOUS_HONORIFICS: &[&str] =
    &["sayed", "sayyid", "sayyed", "syed", "said", "imam", "hafiz"];

const PARTICLES: &[&str] = &[
    "al", "el", "ul", "ur", "ud", "ad", "as", "ash", "at", "az", "an", "ar", "bin", "ibn", "ben",
    "bint", "bent", "abu", "abou", "abo", "bu", "abd", "abdel", "abdul", "abdal", "abdol", "abdu",
    "abdur", "abdus", "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das",
    "du", "la", "le", "ould", "oul", "wa", "y",
];

/// Legal forms: every spelling maps to one canonical class word.
const LEGAL_FORMS: &[(&str, &str)] = &[
    ("ltd", "ltd"),
    ("limited", "ltd"),
    ("llc", "llc"),
    ("llp", "llp"),
    ("lp", "lp"),
    ("inc", "inc"),
    ("incorporated", "inc"),
    ("corp", "corp"),
    ("corporation", "corp"),
    ("co", "co"),
    ("company", "co"),
    ("plc", "plc"),
    ("jsc", "jsc"),
    ("ojsc", "jsc"),
    ("pjsc", "jsc"),
    ("cjsc", "jsc"),
    ("oao", "jsc"),
    ("zao", "jsc"),
    ("pao", "jsc"),
    ("ao", "jsc"),
    ("ooo", "llc"),
    ("too", "llc"),
    ("gmbh", "gmbh"),
    ("ag", "ag"),
    ("sa", "sa"),
    ("sarl", "sarl"),
    ("srl", "srl"),
    ("spa", "spa"),
    ("bv", "bv"),
    ("nv", "nv"),
    ("fze", "fze"),
    ("fzco", "fze"),
    ("fzc", "fze"),
    ("fzllc", "fze"),
    ("pte", "pte"),
    ("pvt", "pvt"),
    ("private", "pvt"),
    ("sdn", "sdn"),
    ("bhd", "bhd"),
    ("establishment", "est"),
    ("est", "est"),
    ("group", "group"),
    ("holding", "holding"),
    ("holdings", "holding"),
    ("trading", "trading"),
    ("enterprise", "enterprise"),
    ("enterprises", "enterprise"),
    ("international", "intl"),
    ("intl", "intl"),
    ("organization", "org"),
    ("organisation", "org"),
    ("org", "org"),
    ("industries", "ind"),
    ("industry", "ind"),
    ("industrial", "ind"),
    ("ind", "ind"),
    ("department", "dept"),
    ("dept", "dept"),
    ("association", "assn"),
    ("assn", "assn"),
    ("assoc", "assn"),
    ("manufacturing", "mfg"),
    ("mfg", "mfg"),
    ("the", "the"),
    ("and", "and"),
    ("of", "of"),
    ("for", "for"),
];

/// What the word lists above say of one word (each word looked up once, not list by list).
#[derive(Clone, Copy, Default)]
struct Known {
    honorific: bool,
    particle: bool,
    /// The canonical legal form it spells (the first in [`LEGAL_FORMS`]).
    legal_form: Option<&'static str>,
    /// Its canonical spelling in [`WORD_VARIANTS`] (the first).
    variant: Option<&'static str>,
}

/// FNV-1a, for the short words of [`known`].
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The words of the lists above, with what each list says of them.
fn known(word: &str) -> Option<Known> {
    static TABLE: OnceLock<HashMap<&'static str, Known, BuildHasherDefault<Fnv>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t: HashMap<&'static str, Known, BuildHasherDefault<Fnv>> = HashMap::default();
        for &w in HONORIFICS {
            t.entry(w).or_default().honorific = true;
        }
        for &w in PARTICLES {
            t.entry(w).or_default().particle = true;
        }
        for &(w, c) in LEGAL_FORMS {
            t.entry(w).or_default().legal_form.get_or_insert(c);
        }
        for &(w, c) in WORD_VARIANTS {
            t.entry(w).or_default().variant.get_or_insert(c);
        }
        t
    });
    table.get(word).copied()
}

/// A misspelt long legal form ("Limted", "Corporaton", "Compnay"): one edit away from a
/// known spelling of six letters or more (two edits for ten or more).
fn fuzzy_legal_form(word: &str) -> Option<&'static str> {
    if word.len() < 6 {
        return None;
    }
    // The long spellings with their letters, in list order, and by the length of the words
    // they may be within reach of (the last slot for any longer word).
    type Long = Vec<(&'static str, &'static str, u64)>;
    static LONG: OnceLock<Vec<Long>> = OnceLock::new();
    let by_len = LONG.get_or_init(|| {
        (0..=32)
            .map(|len: usize| {
                LEGAL_FORMS
                    .iter()
                    .filter(|(w, _)| w.len() >= 6)
                    .filter(|(w, _)| len == 32 || w.len().abs_diff(len) <= 2)
                    .map(|&(w, c)| (w, c, letters(w)))
                    .collect()
            })
            .collect()
    });
    let wm = letters(word);
    by_len[word.len().min(32)]
        .iter()
        .find(|&&(w, _, fm)| {
            let max = if w.len() >= 10 { 2 } else { 1 };
            if w.len().abs_diff(word.len()) > max {
                return false;
            }
            // Each letter on one side only costs an edit (a cheap lower bound of the distance).
            if (fm & !wm).count_ones() as usize > max || (wm & !fm).count_ones() as usize > max {
                return false;
            }
            bounded_distance(w.as_bytes(), word.as_bytes()) <= max
        })
        .map(|&(_, c, _)| c)
}

/// The set of bytes of a word, folded onto 64 bits. Two bytes may share a bit; that only
/// weakens the bound (a bit set on one side only still stands for a letter on one side only).
#[inline]
fn letters(word: &str) -> u64 {
    word.bytes().fold(0u64, |m, b| m | (1u64 << (b & 63)))
}

/// Levenshtein distance with adjacent transpositions (small words only).
fn bounded_distance(a: &[u8], b: &[u8]) -> usize {
    const CAP: usize = 32;
    let m = b.len();
    if m + 1 > CAP {
        return bounded_distance_heap(a, b);
    }
    // Three rolling rows on the stack.
    let mut pp = [0usize; CAP];
    let mut prev = [0usize; CAP];
    let mut cur = [0usize; CAP];
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(pp[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut pp, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// [`bounded_distance`] for long words.
fn bounded_distance_heap(a: &[u8], b: &[u8]) -> usize {
    let m = b.len();
    let mut pp: Vec<usize> = vec![0; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0; m + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(pp[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut pp, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// Spellings of one name word that romanisation systems write differently and no letter rule
/// relates (Korean surnames above all): each maps to one canonical spelling.
const WORD_VARIANTS: &[(&str, &str)] = &[
    ("rhee", "ri"),
    ("lee", "ri"),
    ("yi", "ri"),
    ("rhie", "ri"),
    ("park", "pak"),
    ("bak", "pak"),
    ("choi", "choe"),
    ("chwe", "choe"),
    ("gim", "kim"),
    ("mohd", "muhammad"),
    ("muhd", "muhammad"),
];

/// The class of one folded word, ignoring context.
pub fn classify(word: &str) -> TokenClass {
    class_of(word, &known(word).unwrap_or_default())
}

/// [`classify`], given what the lists say of the word (`k`, from [`known`]).
fn class_of(word: &str, k: &Known) -> TokenClass {
    if word.bytes().all(|b| b.is_ascii_digit()) {
        TokenClass::Number
    } else if k.honorific {
        TokenClass::Honorific
    } else if k.particle {
        TokenClass::Particle
    } else if k.legal_form.or_else(|| fuzzy_legal_form(word)).is_some() {
        TokenClass::LegalForm
    } else {
        TokenClass::Word
    }
}

/// Splits a name into classified tokens (folding it first).
///
/// ```
/// use sanctions_text::{tokenize, TokenClass};
/// let t = tokenize("Mullah Abdul-Ghani BARADAR");
/// let words: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
/// assert_eq!(words, ["mullah", "abdul", "ghani", "baradar"]);
/// assert_eq!(t[0].class, TokenClass::Honorific);
/// assert_eq!(t[1].class, TokenClass::Particle);
/// ```
pub fn tokenize(name: &str) -> Vec<Token> {
    tokenize_with_script(name).0
}

/// [`tokenize`], with the name's script ([`crate::detect_script`]), which it detects anyway.
pub fn tokenize_with_script(name: &str) -> (Vec<Token>, sanctions_model::Script) {
    let script = crate::detect_script(name);
    (tokenize_in(name, script), script)
}

/// [`tokenize`] of a name in `script`.
fn tokenize_in(name: &str, script: sanctions_model::Script) -> Vec<Token> {
    let folded = crate::fold(name);
    if script == sanctions_model::Script::Arabic {
        // The Arabic article is written joined to its word (الغني → "alghni"); Latin
        // spellings write it apart or not at all, so split it off as a particle.
        let mut split = String::with_capacity(folded.len() + 8);
        for w in folded.split(' ') {
            if !split.is_empty() {
                split.push(' ');
            }
            match w.strip_prefix("al") {
                Some(rest) if rest.len() >= 3 => {
                    split.push_str("al ");
                    split.push_str(rest);
                }
                _ => split.push_str(w),
            }
        }
        return tokenize_folded(&split);
    }
    tokenize_folded(&folded)
}

/// [`tokenize`] for text that is already folded.
pub fn tokenize_folded(folded: &str) -> Vec<Token> {
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let n = words.len();
    let mut out = Vec::with_capacity(n);
    for (i, w) in words.iter().enumerate() {
        // The lists are asked once per word, for its class and its canonical spelling.
        let k = known(w).unwrap_or_default();
        let mut class = class_of(w, &k);
        // A lone word is always a name word: "Said", "Sheikh" alone are names.
        if n == 1 && class != TokenClass::Number {
            class = TokenClass::Word;
        }
        // Ambiguous honorifics count as names unless they open the name.
        if class == TokenClass::Honorific && AMBIGUOUS_HONORIFICS.contains(w) && i > 0 {
            class = TokenClass::Word;
        }
        let text = match class {
            TokenClass::LegalForm => {
                k.legal_form.or_else(|| fuzzy_legal_form(w)).unwrap_or(w).to_string()
            }
            _ => k.variant.unwrap_or(w).to_string(),
        };
        let key = skeleton(&text);
        out.push(Token { text, class, key });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_with_script_is_tokenize_and_detect_script() {
        for name in ["Mullah Abdul-Ghani BARADAR", "عبد الغني برادر", "Ким Чен Ын", "", "ACME Ltd"]
        {
            let (tokens, script) = tokenize_with_script(name);
            assert_eq!(tokens, tokenize(name));
            assert_eq!(script, crate::detect_script(name));
        }
    }

    #[test]
    fn classes() {
        let t = tokenize("Haji Amir Khan al-Muttaqi");
        let c: Vec<TokenClass> = t.iter().map(|t| t.class).collect();
        use TokenClass::*;
        assert_eq!(c, [Honorific, Word, Word, Particle, Word]);
        let t = tokenize("Acme Trading Limited");
        assert_eq!(t[2].text, "ltd");
        assert_eq!(t[2].class, LegalForm);
        assert_eq!(tokenize("Sheikh")[0].class, Word);
        assert_eq!(tokenize("Ahmad Said")[1].class, Word);
        assert!(tokenize("  ").is_empty());
        assert_eq!(tokenize("Sarv Shipping Company Limted")[3].text, "ltd");
        assert_eq!(tokenize("Namchongang Trading Corporagion")[2].text, "corp");
        assert_eq!(tokenize("Ltd Limit")[1].class, Word);
        let ar: Vec<String> = tokenize("عبد الغني").into_iter().map(|t| t.text).collect();
        assert_eq!(ar[1], "al");
    }

    /// The lookup table says of every listed word what the lists, read in order, say.
    #[test]
    fn the_table_agrees_with_the_lists() {
        let mut words: Vec<&str> = HONORIFICS.to_vec();
        words.extend(PARTICLES);
        words.extend(LEGAL_FORMS.iter().flat_map(|&(w, c)| [w, c]));
        words.extend(WORD_VARIANTS.iter().flat_map(|&(w, c)| [w, c]));
        words.extend(["muttaqi", "limted", "corporagion", "1234", "", "x", "sayed", "ltd2"]);
        for w in words {
            let class = if w.bytes().all(|b| b.is_ascii_digit()) {
                TokenClass::Number
            } else if HONORIFICS.contains(&w) {
                TokenClass::Honorific
            } else if PARTICLES.contains(&w) {
                TokenClass::Particle
            } else if LEGAL_FORMS.iter().any(|(f, _)| *f == w) || fuzzy_legal_form(w).is_some() {
                TokenClass::LegalForm
            } else {
                TokenClass::Word
            };
            assert_eq!(classify(w), class, "{w}");
            let legal = LEGAL_FORMS.iter().find(|(f, _)| *f == w).map(|(_, c)| *c);
            assert_eq!(known(w).and_then(|k| k.legal_form), legal, "{w}");
            let variant = WORD_VARIANTS.iter().find(|(f, _)| *f == w).map(|(_, c)| *c);
            assert_eq!(known(w).and_then(|k| k.variant), variant, "{w}");
        }
    }

    /// The misspelt legal forms found through the length table are those the whole list gives.
    #[test]
    fn fuzzy_legal_forms_by_length_agree_with_the_list() {
        let by_the_list = |word: &str| {
            if word.len() < 6 {
                return None;
            }
            LEGAL_FORMS
                .iter()
                .filter(|(w, _)| w.len() >= 6)
                .find(|(w, _)| {
                    let max = if w.len() >= 10 { 2 } else { 1 };
                    w.len().abs_diff(word.len()) <= max
                        && bounded_distance(w.as_bytes(), word.as_bytes()) <= max
                })
                .map(|(_, c)| *c)
        };
        let mut words: Vec<String> =
            vec!["x".repeat(40), "corporationcorporationcorporation".into()];
        for (w, _) in LEGAL_FORMS {
            words.push(w.to_string());
            for i in 0..w.len() {
                words.push(format!("{}{}", &w[..i], &w[i + 1..]));
                words.push(format!("{}x{}", &w[..i], &w[i..]));
                words.push(format!("{}xy{}", &w[..i], &w[i..]));
                words.push(format!("{}{}", &w[..i], &w[(i + 2).min(w.len())..]));
            }
        }
        let mut found = 0;
        for w in &words {
            assert_eq!(fuzzy_legal_form(w), by_the_list(w), "{w}");
            found += usize::from(by_the_list(w).is_some());
        }
        assert!(found > 200, "{found}");
    }

    #[test]
    fn stack_distance_matches_heap() {
        let words = ["limited", "limted", "corporation", "corporagion", "compnay", "company", ""];
        for a in words {
            for b in words {
                let (a, b) = (a.as_bytes(), b.as_bytes());
                assert_eq!(bounded_distance(a, b), bounded_distance_heap(a, b));
            }
        }
    }
}

//! Folding of name text to a canonical ASCII form for matching.

use std::sync::OnceLock;

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

use crate::translit::to_latin;

/// Full folding for matching: NFKD, drop combining marks, to_latin, lowercase, special letters to ASCII
/// (ß→ss, æ→ae, œ→oe, ø→o, ł→l, đ/ð→d, þ→th, ı→i, ...), apostrophes and ayn/hamza marks (' ’ ‘ ʼ ʻ ʿ ʾ ` ´) deleted,
/// hyphens/other punctuation/symbols → space, whitespace collapsed to single spaces and trimmed.
/// Output is ASCII lowercase letters, digits and single spaces only. Idempotent: fold(fold(x)) == fold(x).
///
/// Non-Latin scripts are transliterated with [`to_latin`] before the marks are dropped, so that
/// Arabic harakat and Cyrillic й/ё are read by the transliterator. Letters of scripts that
/// [`to_latin`] leaves alone (Han, Hangul, Hebrew, ...) have no ASCII form and act as word
/// separators.
///
/// ```
/// use sanctions_text::fold;
/// assert_eq!(fold("  Abdul-Ghani  BARADAR "), "abdul ghani baradar");
/// assert_eq!(fold("Sa'id al‑Ḥusaynī"), "said al husayni");
/// assert_eq!(fold("Straße Øresund"), "strasse oresund");
/// assert_eq!(fold("Сергей Лавров"), "sergey lavrov");
/// ```
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`] into a reused buffer: `out` is cleared, then receives the folded text.
///
/// Allocates nothing beyond growing `out` when `s` is ASCII.
pub fn fold_into(s: &str, out: &mut String) {
    // Work on the bytes of `out` (zero-copy both ways): every byte written is ASCII.
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.reserve(s.len());
    let mut w = Writer { out: bytes, pending_space: false };
    fold_bytes(s, &mut w);
    *out = String::from_utf8(w.out).expect("fold writes ASCII only");
}

fn fold_bytes(s: &str, w: &mut Writer) {
    if s.is_ascii() {
        for &b in s.as_bytes() {
            w.ascii(b);
        }
        return;
    }
    let latin = to_latin(s);
    let table = table();
    for c in latin.chars() {
        if c.is_ascii() {
            w.ascii(c as u8);
            continue;
        }
        match table.get(c as usize - 0x80) {
            Some(entry) if entry[0] != SLOW => {
                for &b in &entry[1..=usize::from(entry[0])] {
                    w.byte(b);
                }
            }
            _ => fold_char(c, &mut |b| w.byte(b)),
        }
    }
}

/// Appends folded bytes to the output, turning runs of separators into one space and never
/// starting with one. A trailing separator is never written.
struct Writer {
    out: Vec<u8>,
    pending_space: bool,
}

impl Writer {
    /// One byte of folded output: a lowercase letter, a digit, or b' ' for a separator.
    #[inline]
    fn byte(&mut self, b: u8) {
        if b == b' ' {
            self.pending_space = true;
        } else {
            if self.pending_space {
                if !self.out.is_empty() {
                    self.out.push(b' ');
                }
                self.pending_space = false;
            }
            self.out.push(b);
        }
    }

    /// One ASCII input byte.
    #[inline]
    fn ascii(&mut self, b: u8) {
        match ASCII[usize::from(b)] {
            A_KEEP => self.byte(b),
            A_UPPER => self.byte(b + 32),
            A_DELETE => {}
            _ => self.pending_space = true,
        }
    }
}

const A_SEP: u8 = 0;
const A_KEEP: u8 = 1;
const A_UPPER: u8 = 2;
const A_DELETE: u8 = 3;

/// What each ASCII byte folds to.
static ASCII: [u8; 128] = {
    let mut t = [A_SEP; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_lowercase() || b.is_ascii_digit() {
            A_KEEP
        } else if b.is_ascii_uppercase() {
            A_UPPER
        } else if b == b'\'' || b == b'`' {
            A_DELETE
        } else {
            A_SEP
        };
        i += 1;
    }
    t
};

/// Table entries: byte 0 is the length of the folded output (bytes 1..) or [`SLOW`].
type Entry = [u8; 8];
const SLOW: u8 = u8::MAX;
/// Code points U+0080..TABLE_END are folded by table lookup, the rest on the fly.
const TABLE_END: u32 = 0x3000;

fn table() -> &'static [Entry] {
    static TABLE: OnceLock<Box<[Entry]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0x80..TABLE_END)
            .map(|u| {
                let mut e: Entry = [0; 8];
                let Some(c) = char::from_u32(u) else { return e };
                let mut len = 0usize;
                fold_char(c, &mut |b| {
                    len += 1;
                    if len < e.len() {
                        e[len] = b;
                    }
                });
                if len < e.len() {
                    e[0] = len as u8;
                } else {
                    e[0] = SLOW;
                }
                e
            })
            .collect()
    })
}

/// Characters deleted outright: apostrophes, ayn and hamza signs, primes.
fn is_deleted(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{00B4}' // ´ acute accent
            | '\u{2018}' // ‘
            | '\u{2019}' // ’
            | '\u{201B}' // ‛
            | '\u{02B9}' // ʹ
            | '\u{02BB}' // ʻ
            | '\u{02BC}' // ʼ
            | '\u{02BD}' // ʽ
            | '\u{02BE}' // ʾ
            | '\u{02BF}' // ʿ
            | '\u{02C8}' // ˈ
            | '\u{0294}' // ʔ
            | '\u{0295}' // ʕ
            | '\u{2032}' // ′
            | '\u{FF07}' // fullwidth '
            | '\u{00AD}' // soft hyphen
            | '\u{200B}'
            ..='\u{200D}' // zero-width space and joiners
            | '\u{2060}' // word joiner
            | '\u{FEFF}' // BOM / zero-width no-break space
    )
}

/// Lowercase letters that have no decomposition but an accepted ASCII spelling.
fn special_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' | 'ɗ' | 'ɖ' => "d",
        'þ' => "th",
        'ı' | 'ɨ' | 'ɩ' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ŋ' => "ng",
        'ĸ' => "k",
        'ƒ' => "f",
        'ǝ' | 'ə' | 'ɛ' => "e",
        'ɔ' => "o",
        'ʉ' => "u",
        'ƀ' | 'ɓ' => "b",
        'ƙ' => "k",
        'ƴ' | 'ɏ' => "y",
        'ȥ' | 'ƶ' => "z",
        'ɍ' => "r",
        'ǥ' | 'ɠ' | 'ɡ' | 'ɣ' => "g",
        'ɲ' | 'ƞ' => "n",
        'ʃ' => "sh",
        'ʒ' => "zh",
        'ɑ' => "a",
        'ʋ' => "v",
        _ => return None,
    })
}

/// Fold one non-ASCII character already through [`to_latin`]; `emit` receives lowercase
/// letters, digits and b' ' for separators.
fn fold_char(c: char, emit: &mut impl FnMut(u8)) {
    if is_deleted(c) {
        return;
    }
    decompose_compatible(c, |d| {
        if is_combining_mark(d) || is_deleted(d) {
            return;
        }
        if d.is_ascii() {
            match ASCII[d as usize] {
                A_KEEP => emit(d as u8),
                A_UPPER => emit(d as u8 + 32),
                A_DELETE => {}
                _ => emit(b' '),
            }
            return;
        }
        for l in d.to_lowercase() {
            if l.is_ascii_alphanumeric() {
                emit(l as u8);
            } else if let Some(s) = special_letter(l) {
                s.bytes().for_each(&mut *emit);
            } else {
                emit(b' ');
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_slow_path() {
        let t = table();
        for u in 0x80..TABLE_END {
            let Some(c) = char::from_u32(u) else { continue };
            let entry = t[(u - 0x80) as usize];
            if entry[0] == SLOW {
                continue;
            }
            let mut slow = Vec::new();
            fold_char(c, &mut |b| slow.push(b));
            assert_eq!(&entry[1..=usize::from(entry[0])], &slow[..], "U+{u:04X}");
        }
    }
}

//! An offset-preserving word splitter: each word of the text with its byte span, folded with
//! [`sanctions_text::fold`] (the same folding as the index), possessives removed.

/// One folded word (or part of a word, when folding splits it) handed to the caller.
pub(crate) struct RawWord<'a> {
    /// Byte offset of the word in the text.
    pub start: usize,
    /// Byte offset just past the word (before a possessive `'s`).
    pub end: usize,
    /// A sentence or paragraph boundary separates it from the previous word.
    pub hard_before: bool,
    /// The folded word: lowercase ASCII letters and digits.
    pub folded: &'a str,
}

/// Separator bytes that end a phrase (a name does not run across them).
fn ascii_hard(b: u8) -> bool {
    matches!(b, b';' | b'!' | b'?' | b':' | b'|' | b'=')
}

/// Apostrophes a word may hold inside it (`Sa'id`, `Muttaqi’s`).
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '\u{02BF}' | '\u{02BE}'
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || ('\u{0300}'..='\u{036F}').contains(&c)
        || ('\u{064B}'..='\u{065F}').contains(&c)
}

fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c)
}

/// Calls `f` for every word of `text`, in order.
pub(crate) fn for_each_word(text: &str, mut f: impl FnMut(RawWord<'_>)) {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut hard = true;
    let mut newlines = 0u32;
    let mut prev_len = 0usize;
    let mut buf = String::new();
    let mut folded = String::new();
    while i < n {
        let c = b[i];
        // Separators.
        if c < 0x80 {
            if !c.is_ascii_alphanumeric() {
                match c {
                    b'\n' => {
                        newlines += 1;
                        if newlines >= 2 {
                            hard = true;
                        }
                    }
                    b'\r' | b' ' | b'\t' => {}
                    b'.' => {
                        // "A. G. Baradar": a period after an initial does not end the phrase.
                        if prev_len > 1 {
                            hard = true;
                        }
                        newlines = 0;
                    }
                    _ => {
                        if ascii_hard(c) {
                            hard = true;
                        }
                        newlines = 0;
                    }
                }
                i += 1;
                continue;
            }
        } else {
            let ch = text[i..].chars().next().expect("char boundary");
            if !is_word_char(ch) {
                if matches!(ch, '。' | '؟' | '؛' | '!' | '?' | '…') {
                    hard = true;
                }
                if ch != '\u{00A0}' && !ch.is_whitespace() {
                    newlines = 0;
                }
                i += ch.len_utf8();
                continue;
            }
        }
        // A word: letters, digits, marks, and apostrophes between letters.
        let start = i;
        let mut ascii = true;
        let mut arabic = false;
        let mut apostrophe_at: Option<usize> = None;
        while i < n {
            let c = b[i];
            if c < 0x80 {
                if c.is_ascii_alphanumeric() {
                    i += 1;
                    continue;
                }
                if (c == b'\'' || c == b'`') && i + 1 < n && b[i + 1].is_ascii_alphabetic() {
                    apostrophe_at = Some(i);
                    i += 1;
                    continue;
                }
                break;
            }
            let ch = text[i..].chars().next().expect("char boundary");
            let len = ch.len_utf8();
            if is_word_char(ch) {
                ascii = false;
                arabic |= is_arabic(ch);
                i += len;
                continue;
            }
            if is_apostrophe(ch)
                && text[i + len..].chars().next().is_some_and(|c| c.is_alphabetic())
            {
                ascii = false;
                apostrophe_at = Some(i);
                i += len;
                continue;
            }
            break;
        }
        let mut end = i;
        // Possessive: "Muttaqi's", "Putin’s".
        if let Some(a) = apostrophe_at {
            let after = &text[a..end];
            let tail = after.trim_start_matches(['\'', '`', '\u{2019}', '\u{2018}']);
            if (tail == "s" || tail == "S") && a > start {
                end = a;
            }
        }
        let word = &text[start..end];
        folded.clear();
        if ascii {
            for &c in word.as_bytes() {
                if c.is_ascii_alphanumeric() {
                    folded.push(c.to_ascii_lowercase() as char);
                }
            }
        } else {
            sanctions_text::fold_into(word, &mut buf);
            folded.push_str(&buf);
        }
        let mut first = true;
        for part in folded.split(' ').filter(|p| !p.is_empty()) {
            // The Arabic article is written joined to its word (الغني): split it off, as the
            // index does for Arabic-script names.
            let pieces: [&str; 2] = match part.strip_prefix("al") {
                Some(rest) if arabic && rest.len() >= 3 => ["al", rest],
                _ => [part, ""],
            };
            for p in pieces.iter().filter(|p| !p.is_empty()) {
                f(RawWord { start, end, hard_before: first && hard, folded: p });
                first = false;
            }
        }
        if !first {
            hard = false;
            newlines = 0;
        }
        prev_len = end - start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &str) -> Vec<(String, &str, bool)> {
        let mut out = Vec::new();
        for_each_word(t, |w| out.push((w.folded.to_string(), &t[w.start..w.end], w.hard_before)));
        out
    }

    #[test]
    fn spans_and_possessives() {
        let w = words("Muttaqi's aides; A. G. Baradar’s\nAbdul-Ghani");
        let f: Vec<&str> = w.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(f, ["muttaqi", "aides", "a", "g", "baradar", "abdul", "ghani"]);
        assert_eq!(w[0].1, "Muttaqi");
        assert_eq!(w[4].1, "Baradar");
        assert!(w[2].2, "';' ends a phrase");
        assert!(!w[3].2 && !w[4].2, "initials do not");
        assert_eq!(words("Sa'id")[0].0, "said");
    }

    #[test]
    fn other_scripts() {
        let w = words("Владимир Путин, الغني");
        let f: Vec<&str> = w.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(f[..2], ["vladimir", "putin"]);
        assert_eq!(f[2], "al");
        assert_eq!(w[0].1, "Владимир");
    }

    #[test]
    fn paragraphs_are_boundaries() {
        let w = words("Khan\n\nBaradar");
        assert!(w[1].2);
        let w = words("Abdul Ghani\nBaradar");
        assert!(!w[2].2);
    }
}

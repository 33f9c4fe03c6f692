//! Variant-tolerant keys for name words.
//!
//! [`skeleton`] maps the spellings that romanisation produces for one name to one key:
//! Mohammad / Muhammad / Mohamed → `mhmd`, Muttaqi / Motaqi / Mottaki → `mtk`,
//! Haqqani / Haqani → `hkn`, Naim / Naeem → `nm`, Barich / Barech / Baraich → `brc`,
//! Aleksandr / Alexander → `lksndr`. It works on folded ASCII words:
//!
//! 1. digraphs fold to one consonant class: kh→h, gh→g, sh→s, zh/dj/dzh→j, ch/tch→c,
//!    th→t, dh→d, ph→f, ck/q/c→k, x→ks, w→v, f→v;
//! 2. vowels (a e i o u, and y after the first letter) are dropped;
//! 3. repeated consonants collapse, and a final h after a consonant is dropped.
//!
//! The key is deliberately loose (Mahmud and Muhammad share `mhmd`): it decides what the
//! scorer looks at, not the score, which compares the words themselves.

/// The consonant skeleton of a folded word (see the module docs). A word made only of
/// vowels keeps its first letter so the key is never empty for a non-empty word.
///
/// ```
/// use sanctions_text::skeleton;
/// assert_eq!(skeleton("mohammad"), skeleton("muhammad"));
/// assert_eq!(skeleton("muttaqi"), skeleton("mottaki"));
/// assert_eq!(skeleton("aleksandr"), skeleton("alexander"));
/// ```
pub fn skeleton(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    skeleton_into(word, &mut out);
    out
}

/// [`skeleton`] into a reusable buffer (cleared first).
pub fn skeleton_into(word: &str, out: &mut String) {
    out.clear();
    let b = word.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut last: u8 = 0;
    let push = |c: u8, out: &mut String, last: &mut u8| {
        if c != *last {
            out.push(c as char);
            *last = c;
        }
    };
    while i < n {
        let c = b[i];
        let next = if i + 1 < n { b[i + 1] } else { 0 };
        let next2 = if i + 2 < n { b[i + 2] } else { 0 };
        let (class, step) = match (c, next) {
            (b'd', b'z') if next2 == b'h' => (b'j', 3),
            (b't', b'c') if next2 == b'h' => (b'c', 3),
            (b's', b'c') if next2 == b'h' => (b's', 3),
            (b'k', b'h') => (b'h', 2),
            (b'g', b'h') => (b'g', 2),
            (b's', b'h') => (b's', 2),
            (b'z', b'h') => (b'j', 2),
            (b'd', b'j') => (b'j', 2),
            (b'c', b'h') => (b'c', 2),
            (b't', b'h') => (b't', 2),
            (b'd', b'h') => (b'd', 2),
            (b'p', b'h') => (b'v', 2),
            (b'c', b'k') => (b'k', 2),
            (b'q', _) | (b'c', _) => (b'k', 1),
            (b'x', _) => {
                push(b'k', out, &mut last);
                (b's', 1)
            }
            (b'w', _) | (b'f', _) => (b'v', 1),
            (b'y', _) if i == 0 => (b'y', 1),
            (b'a' | b'e' | b'i' | b'o' | b'u' | b'y', _) => (0, 1),
            (b'h', _) if last != 0 && !next.is_ascii_alphabetic() && i > 0 => (0, 1),
            _ => (c, 1),
        };
        if class == 0 {
            // A vowel separates equal consonants ("nn" collapses, "nan" does not in the
            // source, but in the skeleton both are "n": vowels carry no weight).
        } else {
            push(class, out, &mut last);
        }
        i += step;
    }
    if out.is_empty() && n > 0 {
        out.push(b[0] as char);
    }
}

/// Every string obtained by deleting one character of `key` (for typo-tolerant lookup).
pub fn deletions(key: &str) -> impl Iterator<Item = String> + '_ {
    (0..key.len()).map(move |i| {
        let mut s = String::with_capacity(key.len() - 1);
        s.push_str(&key[..i]);
        s.push_str(&key[i + 1..]);
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_share_keys() {
        let groups: &[&[&str]] = &[
            &["mohammad", "muhammad", "mohamed", "mohammed", "muhammed", "mukhammed"],
            &["muttaqi", "motaqi", "mottaki", "mutaqi"],
            &["haqqani", "haqani"],
            &["naim", "naeem"],
            &["barich", "barech", "baraich"],
            &["aleksandr", "alexander", "aleksander"],
            &["yusuf", "yousef", "yousuf", "yusof"],
            &["hussein", "husein", "hossein", "husayn", "hussain"],
            &["abdulghani", "abdolghani"],
            &["sergey", "sergei"],
            &["ivanov", "ivanoff"],
            &["khalid", "halid"],
        ];
        for g in groups {
            let k = skeleton(g[0]);
            for w in &g[1..] {
                assert_eq!(skeleton(w), k, "{} vs {}", g[0], w);
            }
        }
        assert_ne!(skeleton("baradar"), skeleton("barafar"));
        assert_eq!(skeleton("aaa"), "a");
        assert_eq!(skeleton(""), "");
    }

    #[test]
    fn deletion_neighbourhood() {
        let d: Vec<String> = deletions("mtk").collect();
        assert_eq!(d, ["tk", "mk", "mt"]);
    }
}

//! Script detection: which writing system dominates a string.

use sanctions_model::Script;

/// Which writing system dominates `s` (letters only; ties → Latin; no letters → Other).
///
/// Only letters are counted: digits, punctuation, spaces and combining marks are ignored.
/// Letters of scripts without a [`Script`] variant (Greek, Hebrew, kana...) count as
/// [`Script::Other`]. On a tie the first of Latin, Arabic, Cyrillic, Han, Hangul, Other wins.
///
/// ```
/// use sanctions_model::Script;
/// use sanctions_text::detect_script;
/// assert_eq!(detect_script("Владимир Putin"), Script::Cyrillic);
/// assert_eq!(detect_script("محمد"), Script::Arabic);
/// assert_eq!(detect_script("1234 -"), Script::Other);
/// ```
pub fn detect_script(s: &str) -> Script {
    // Index order is the tie-break order.
    const ORDER: [Script; 6] = [
        Script::Latin,
        Script::Arabic,
        Script::Cyrillic,
        Script::Han,
        Script::Hangul,
        Script::Other,
    ];
    let mut counts = [0usize; 6];
    for c in s.chars() {
        if c.is_ascii() {
            counts[0] += usize::from(c.is_ascii_alphabetic());
            continue;
        }
        if let Some(script) = letter_script(c) {
            counts[script] += 1;
        }
    }
    let mut best = None;
    for (i, &n) in counts.iter().enumerate() {
        if n > 0 && best.is_none_or(|b: usize| n > counts[b]) {
            best = Some(i);
        }
    }
    best.map_or(Script::Other, |i| ORDER[i])
}

/// Index into `ORDER` of the script of a non-ASCII letter, `None` when `c` is not a letter.
fn letter_script(c: char) -> Option<usize> {
    let u = u32::from(c);
    let script = match u {
        0x00C0..=0x024F
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A
        | 0x0250..=0x02AF => 0,
        0x0600..=0x06FF | 0x0750..=0x077F | 0x0870..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            1
        }
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => 2,
        0x2E80..=0x2FDF
        | 0x3005..=0x3007
        | 0x3021..=0x3029
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF => 3,
        0x1100..=0x11FF
        | 0x3130..=0x318F
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7AF
        | 0xD7B0..=0xD7FF
        | 0xFFA0..=0xFFDC => 4,
        _ => 5,
    };
    // Ranges above hold a few non-letters (Arabic punctuation and digits, Latin symbols):
    // count only real letters.
    c.is_alphabetic().then_some(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Script)] = &[
            ("", Script::Other),
            ("  12-34 .", Script::Other),
            ("Abdul Ghani Baradar", Script::Latin),
            ("José Müller Ørsted", Script::Latin),
            ("عبد الغني برادر", Script::Arabic),
            ("محمد جواد ظريف", Script::Arabic),
            ("پښتون", Script::Arabic),
            ("٣٤٥", Script::Other),
            ("Владимир Путин", Script::Cyrillic),
            ("Олександр", Script::Cyrillic),
            ("金正恩", Script::Han),
            ("김정은", Script::Hangul),
            ("Ελλάδα", Script::Other),
            // Majority wins; ties go to Latin, then Arabic, then Cyrillic.
            ("Ivan Иванович", Script::Cyrillic),
            ("Ali Ива", Script::Latin),
            ("abc абв", Script::Latin),
            ("علي Ива", Script::Arabic),
            ("Ki 김정은", Script::Hangul),
            ("Kim 김정은", Script::Latin),
            // Marks are not letters.
            ("a\u{0301}\u{0301}\u{0301}", Script::Latin),
        ];
        for &(input, want) in cases {
            assert_eq!(detect_script(input), want, "{input:?}");
        }
    }
}

//! Small text helpers shared by the parsers: whitespace, scripts, dates.

use std::borrow::Cow;

use sanctions_model::{PartialDate, Script};

/// Trims and collapses every run of whitespace (line breaks of the XML pretty-printer,
/// double spaces) into one space. Allocates only when something must change.
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    let mut prev_space = false;
    let needs = t.chars().any(|c| {
        let ws = c.is_whitespace();
        let bad = ws && (c != ' ' || prev_space);
        prev_space = ws;
        bad
    });
    if !needs {
        return Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    for (i, w) in t.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(w);
    }
    Cow::Owned(out)
}

fn script_of(c: char) -> Script {
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xAA | 0xBA | 0xC0..=0x2AF | 0x1E00..=0x1EFF => Script::Latin,
        0x600..=0x6FF | 0x750..=0x77F | 0x870..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Script::Arabic
        }
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x2E80..=0x2FDF | 0x3005..=0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => {
            Script::Han
        }
        0x20000..=0x3FFFF => Script::Han,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7FF => Script::Hangul,
        _ => Script::Other,
    }
}

/// The writing system of a name, from its letters: one script, or [`Script::Other`] when
/// letters of several scripts are mixed. `None` when the text has no letters.
pub(crate) fn detect_script(s: &str) -> Option<Script> {
    let mut seen = None;
    for c in s.chars() {
        if !c.is_alphabetic() {
            continue;
        }
        let sc = script_of(c);
        match seen {
            None => seen = Some(sc),
            Some(x) if x == sc => {}
            Some(_) => return Some(Script::Other),
        }
    }
    seen
}

/// Reads an ISO date as the UN writes it: `YYYY`, `YYYY-MM-DD`, with an optional time part
/// (`T...`) or an xsd:date time-zone suffix (`1960-01-01-05:00`, `...Z`), both ignored.
pub(crate) fn iso_date(s: &str) -> Option<PartialDate> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() > 10 && b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'-' | b'+' | b'Z') {
        let tz = &s[10..];
        let tz_ok = tz == "Z"
            || (tz.len() == 6
                && tz.as_bytes()[3] == b':'
                && tz.bytes().enumerate().all(|(i, c)| i == 0 || i == 3 || c.is_ascii_digit()));
        if tz_ok {
            return s[..10].parse().ok();
        }
        return None;
    }
    s.parse().ok()
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month(s: &str) -> Option<u8> {
    let s = s.trim_end_matches('.');
    if s.len() < 3 || !s.is_ascii() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| lower.starts_with(m))?;
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // "Jun", "June", "Sept" are fine; "Junk" is not.
    if lower.len() == 3 || FULL[i].starts_with(&lower) { Some(i as u8 + 1) } else { None }
}

fn year(s: &str) -> Option<i32> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None }
}

/// Reads an OFAC date: `12 Jun 1961`, `Jun 1961` or `1961`.
pub(crate) fn ofac_date(s: &str) -> Option<PartialDate> {
    let mut it = s.split_whitespace();
    let parts: [Option<&str>; 4] = [it.next(), it.next(), it.next(), it.next()];
    match parts {
        [Some(y), None, None, None] => Some(PartialDate::year(year(y)?)),
        [Some(m), Some(y), None, None] => {
            Some(PartialDate { year: year(y)?, month: Some(month(m)?), day: None })
        }
        [Some(d), Some(m), Some(y), None] => {
            if d.is_empty() || d.len() > 2 || !d.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            PartialDate::ymd(year(y)?, month(m)?, d.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses() {
        assert_eq!(clean("  GEDO "), "GEDO");
        assert!(matches!(clean("A B"), Cow::Borrowed(_)));
        assert_eq!(clean("Murtaza\n      Safari"), "Murtaza Safari");
        assert_eq!(clean("a  b\tc"), "a b c");
        assert_eq!(clean(" \n "), "");
    }

    #[test]
    fn scripts() {
        assert_eq!(detect_script("امیر خان متقی"), Some(Script::Arabic));
        assert_eq!(detect_script("Владимир Путин"), Some(Script::Cyrillic));
        assert_eq!(detect_script("金正恩"), Some(Script::Han));
        assert_eq!(detect_script("김정은"), Some(Script::Hangul));
        assert_eq!(detect_script("AL-‘ANIZI Müller"), Some(Script::Latin));
        assert_eq!(detect_script("حسن غول (Hassan Ghul)"), Some(Script::Other));
        assert_eq!(detect_script("123 -"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(iso_date("1960-01-01-05:00").unwrap().to_string(), "1960-01-01");
        assert_eq!(iso_date("2001-01-25Z").unwrap().to_string(), "2001-01-25");
        assert_eq!(iso_date("1968").unwrap().to_string(), "1968");
        assert_eq!(iso_date("2017-06-20T19:04:40.335-04:00").unwrap().to_string(), "2017-06-20");
        assert!(iso_date("1960-01-01-5").is_none());
        assert!(iso_date("null").is_none());
        assert_eq!(ofac_date("12 Jun 1961").unwrap().to_string(), "1961-06-12");
        assert_eq!(ofac_date("Jun 1961").unwrap().to_string(), "1961-06");
        assert_eq!(ofac_date("September 1961").unwrap().to_string(), "1961-09");
        assert_eq!(ofac_date("1961").unwrap().to_string(), "1961");
        assert!(ofac_date("31 Feb 1961").is_none());
        assert!(ofac_date("Junk 1961").is_none());
        assert!(ofac_date("1 2 3 4").is_none());
    }
}

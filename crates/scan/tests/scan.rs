//! Scanning realistic texts and payment messages against the real lists (UN 2026-05-08, OFAC
//! SDN 2021-07-07). Scores move as the scorer is tuned, so the tests assert on which entries
//! are found where, never on exact scores.

mod common;

use std::sync::OnceLock;

use sanctions_index::Index;
use sanctions_scan::{Mention, MessageFormat, ScanOptions, Scanner};

fn setup() -> &'static (Index, Scanner) {
    static S: OnceLock<(Index, Scanner)> = OnceLock::new();
    S.get_or_init(|| {
        let index = common::real_index();
        let scanner = Scanner::new(&index);
        (index, scanner)
    })
}

fn fixture(name: &str) -> String {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn scan(text: &str) -> Vec<Mention> {
    let (index, scanner) = setup();
    scanner.scan(index, text, &ScanOptions::default())
}

fn scan_as(text: &str, format: MessageFormat) -> Vec<Mention> {
    let (index, scanner) = setup();
    scanner
        .scan_message(index, text, format, &ScanOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn show(ms: &[Mention]) -> String {
    ms.iter()
        .map(|m| {
            let hits: Vec<String> = m
                .hits
                .iter()
                .map(|h| {
                    format!(
                        "{}:{} {:?} {:.2}",
                        h.source_str(),
                        h.reference,
                        h.matched_name,
                        h.score
                    )
                })
                .collect();
            format!(
                "{:?} line {} [{}] -> {}",
                m.text,
                m.line,
                m.field.as_ref().map_or("", |f| f.tag.as_str()),
                hits.join("; ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

trait SourceStr {
    fn source_str(&self) -> String;
}

impl SourceStr for sanctions_scan::MentionHit {
    fn source_str(&self) -> String {
        format!("{:?}", self.source).to_lowercase()
    }
}

/// The mention whose text is `text` (whitespace-normalised), with its references.
fn find<'a>(ms: &'a [Mention], text: &str) -> Option<&'a Mention> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    ms.iter().find(|m| norm(&m.text) == text)
}

fn refs(m: &Mention) -> Vec<&str> {
    m.hits.iter().map(|h| h.reference.as_str()).collect()
}

#[test]
fn news_report_names_listed_people_and_groups() {
    let text = fixture("news_kabul.txt");
    let ms = scan(&text);
    let all = show(&ms);
    eprintln!("{all}");
    let m = find(&ms, "Amir Khan Muttaqi").unwrap_or_else(|| panic!("Muttaqi not found:\n{all}"));
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert_eq!(&text[m.start..m.end], "Amir Khan Muttaqi");
    assert_eq!(m.line, 1);
    assert_eq!(m.char_end - m.char_start, "Amir Khan Muttaqi".chars().count());
    // Broken across a line.
    let m = find(&ms, "Abdul Ghani Baradar").unwrap_or_else(|| panic!("Baradar not found:\n{all}"));
    assert!(refs(m).contains(&"TAi.024"), "{all}");
    assert!(m.text.contains('\n'));
    assert_eq!(m.line, 6);
    // Honorific in front.
    let m =
        find(&ms, "Mullah Baradar").unwrap_or_else(|| panic!("Mullah Baradar not found:\n{all}"));
    assert!(refs(m).contains(&"TAi.024"), "{all}");
    // The organisation alone, and the longer organisation (not both).
    let m = find(&ms, "Taliban").unwrap_or_else(|| panic!("Taliban not found:\n{all}"));
    assert!(refs(m).contains(&"6636"), "{all}");
    let m =
        find(&ms, "Tehrik-e Taliban Pakistan").unwrap_or_else(|| panic!("TTP not found:\n{all}"));
    assert!(refs(m).contains(&"12206"), "{all}");
    assert!(!refs(m).contains(&"6636"), "{all}");
    let ttp_start = text.find("Tehrik-e").unwrap();
    assert!(
        ms.iter().all(|x| x.end <= ttp_start
            || x.start >= ttp_start + "Tehrik-e Taliban Pakistan".len()
            || x.start == ttp_start),
        "an overlapping shorter hit was kept:\n{all}"
    );
    // Unlisted people and ordinary capitalised words are not mentions.
    for name in [
        "Sarah Whitfield",
        "Richard Olson",
        "Zarif Haidari",
        "Kabul",
        "Peshawar",
        "Kandahar",
        "Institute",
    ] {
        assert!(ms.iter().all(|m| !m.text.contains(name)), "{name} reported:\n{all}");
    }
    // "Muttaqi's" alone (possessive of a three-word name) is not enough on its own.
    assert!(ms.iter().all(|m| m.text != "Muttaqi's"), "{all}");
}

#[test]
fn possessive_after_full_name() {
    let ms = scan("Officials confirmed Amir Khan Muttaqi's visit to Doha next week.");
    let all = show(&ms);
    let m = find(&ms, "Amir Khan Muttaqi").unwrap_or_else(|| panic!("{all}"));
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert_eq!(ms.len(), 1, "{all}");
}

#[test]
fn other_scripts_and_spellings() {
    let text = fixture("news_scripts.txt");
    let ms = scan(&text);
    let all = show(&ms);
    eprintln!("{all}");
    let m = find(&ms, "امیر خان متقی").unwrap_or_else(|| panic!("Persian name not found:\n{all}"));
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert_eq!(m.line, 1);
    assert_eq!(&text[m.start..m.end], "امیر خان متقی");
    let m = find(&ms, "Mottaki Amir Khan")
        .unwrap_or_else(|| panic!("reordered variant not found:\n{all}"));
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert_eq!(m.line, 3);
    assert_eq!(ms.len(), 2, "{all}");
}

#[test]
fn ordinary_text_has_no_mention() {
    let text = fixture("ordinary_english.txt");
    // Long: the paragraphs several times over, also in capitals (as payment texts are).
    let long = format!("{text}\n{}\n{text}", text.to_uppercase());
    let ms = scan(&long);
    assert!(ms.is_empty(), "false mentions:\n{}", show(&ms));
}

#[test]
fn lowercase_common_word_is_not_a_mention() {
    // "taliban" in lower case inside a word-for-word quote is still the name; a capitalised
    // common word alone ("Hope", "Star") is not.
    let ms = scan("Hope rose again. Star players left. The Taliban spokesman spoke.");
    let all = show(&ms);
    assert_eq!(ms.len(), 1, "{all}");
    assert_eq!(ms[0].text, "Taliban");
}

#[test]
fn mt103_reports_the_field() {
    let msg = fixture("mt103_listed.txt");
    let ms = scan_as(&msg, MessageFormat::Mt103);
    let all = show(&ms);
    eprintln!("{all}");
    let m = find(&ms, "ABDUL GHANI BARADAR").unwrap_or_else(|| panic!("{all}"));
    let f = m.field.as_ref().expect("field");
    assert_eq!(f.tag, "59");
    assert_eq!(f.label, "beneficiary customer");
    assert_eq!(m.line, 12);
    assert_eq!(&msg[m.start..m.end], "ABDUL GHANI BARADAR");
    assert!(refs(m).contains(&"TAi.024"), "{all}");
    let m = find(&ms, "AMIR KHAN MUTTAQI").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(m.field.as_ref().unwrap().tag, "70");
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert!(ms.iter().all(|m| !m.text.contains("CARTER")), "{all}");
    assert_eq!(ms.len(), 2, "{all}");
}

#[test]
fn mt103_clean_has_no_mention() {
    let ms = scan_as(&fixture("mt103_clean.txt"), MessageFormat::Mt103);
    assert!(ms.is_empty(), "{}", show(&ms));
}

#[test]
fn pacs008_reports_the_element() {
    let msg = fixture("pacs008_listed.xml");
    let ms = scan_as(&msg, MessageFormat::Pacs008);
    let all = show(&ms);
    eprintln!("{all}");
    let m = find(&ms, "Muttaqi, Amir Khan").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(m.field.as_ref().unwrap().tag, "CdtTrfTxInf[2]/Cdtr/Nm");
    assert_eq!(m.field.as_ref().unwrap().label, "creditor");
    assert!(refs(m).contains(&"TAi.026"), "{all}");
    assert_eq!(m.line, 27);
    let m = find(&ms, "Tehrik-e Taliban Pakistan").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(m.field.as_ref().unwrap().tag, "CdtTrfTxInf[2]/UltmtCdtr/Nm");
    assert!(refs(m).contains(&"12206"), "{all}");
    // Remittance text with a character reference: the mention spans the element's text.
    let m = ms
        .iter()
        .find(|m| m.field.as_ref().unwrap().tag == "CdtTrfTxInf[2]/RmtInf/Ustrd")
        .unwrap_or_else(|| panic!("{all}"));
    assert!(refs(m).contains(&"TAi.024"), "{all}");
    for clean in ["Margaret Hughes", "Thomas Bennett", "Richard Olson", "National Westminster Bank"]
    {
        assert!(ms.iter().all(|m| !m.text.contains(clean)), "{clean}:\n{all}");
    }
    assert_eq!(ms.len(), 3, "{all}");
}

#[test]
fn malformed_messages_are_refused_clearly() {
    let (index, scanner) = setup();
    let o = ScanOptions::default();
    let e = scanner
        .scan_message(index, ":20:X\n:32A:260508USD1,00\n:50K:A B\n", MessageFormat::Mt103, &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("59a") && e.contains("beneficiary"), "{e}");
    let bad = fixture("pacs008_listed.xml").replace("</Cdtr>", "</Cdtor>");
    let e = scanner.scan_message(index, &bad, MessageFormat::Pacs008, &o).unwrap_err().to_string();
    assert!(e.contains("line 17") && e.contains("Cdtr"), "{e}");
}

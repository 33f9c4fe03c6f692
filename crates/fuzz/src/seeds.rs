//! Seed corpora, cut at run time from the real files of the shared data folder (never copied
//! into the repository): small slices of several UN versions and OFAC file trios, real Remarks
//! fields and names, the scanner's test messages, and screening request bodies.

use std::path::Path;

use crate::shared_data;

/// One seed: a file name (for the corpus folder) and its bytes.
pub type Seed = (String, Vec<u8>);

/// The seeds of the target called `name` (see [`crate::TARGETS`]).
pub fn for_target(name: &str) -> Vec<Seed> {
    match name {
        "un_xml" => un_xml(),
        "ofac_csv" => ofac_csv(),
        "ofac_remarks" => ofac_remarks(),
        "text" => text(),
        "scan" => scan(),
        "http_body" => http_body(),
        other => panic!("no target {other:?}"),
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn read_string(p: &Path) -> String {
    String::from_utf8(read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The first `n` `<TAG>…</TAG>` blocks of `xml`.
fn blocks<'a>(xml: &'a str, tag: &str, n: usize) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while out.len() < n {
        let Some(s) = rest.find(&open) else { break };
        let Some(e) = rest[s..].find(&close) else { break };
        let end = s + e + close.len();
        out.push(&rest[s..end]);
        rest = &rest[end..];
    }
    out
}

/// A valid UN list: the real file's root element with its first `persons` individuals and
/// `orgs` entities.
fn un_slice(xml: &str, persons: usize, orgs: usize) -> String {
    let root_start = xml.find("<CONSOLIDATED_LIST").expect("UN root");
    let root_end = root_start + xml[root_start..].find('>').expect("root end") + 1;
    let mut out = String::from(&xml[..root_end]);
    out.push_str("<INDIVIDUALS>");
    for b in blocks(xml, "INDIVIDUAL", persons) {
        out.push_str(b);
    }
    out.push_str("</INDIVIDUALS><ENTITIES>");
    for b in blocks(xml, "ENTITY", orgs) {
        out.push_str(b);
    }
    out.push_str("</ENTITIES></CONSOLIDATED_LIST>\n");
    out
}

fn un_xml() -> Vec<Seed> {
    let dir = shared_data().join("un");
    let mut seeds = Vec::new();
    for date in ["2017-06-20", "2020-11-30", "2024-09-26", "2026-05-08"] {
        let xml = read_string(&dir.join(format!("consolidated-{date}.xml")));
        seeds.push((format!("un-{date}-small"), un_slice(&xml, 2, 1).into_bytes()));
        seeds.push((format!("un-{date}-medium"), un_slice(&xml, 12, 6).into_bytes()));
    }
    seeds
}

/// Splits one CSV line into fields (quotes honoured, `""` unescaped), for picking seeds.
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn ent_num(line: &str) -> &str {
    line.split(',').next().unwrap_or("")
}

/// `sdn 0xFF alt 0xFF add` for the first `n` entries of an OFAC trio.
fn ofac_trio(sdn: &str, alt: &str, add: &str, skip: usize, n: usize) -> Vec<u8> {
    let lines: Vec<&str> =
        sdn.lines().filter(|l| !l.trim().is_empty()).skip(skip).take(n).collect();
    let ids: Vec<&str> = lines.iter().map(|l| ent_num(l)).collect();
    let pick = |file: &str| -> String {
        file.lines().filter(|l| ids.contains(&ent_num(l))).map(|l| format!("{l}\r\n")).collect()
    };
    let mut out: Vec<u8> =
        lines.iter().map(|l| format!("{l}\r\n")).collect::<String>().into_bytes();
    out.push(0xFF);
    out.extend_from_slice(pick(alt).as_bytes());
    out.push(0xFF);
    out.extend_from_slice(pick(add).as_bytes());
    out
}

fn ofac_csv() -> Vec<Seed> {
    let d = shared_data();
    let mut seeds = Vec::new();
    let trios = [
        (
            "mirror",
            d.join("mirror/ofac/sdn.csv"),
            d.join("mirror/ofac/alt.csv"),
            d.join("mirror/ofac/add.csv"),
        ),
        (
            "2019-01-04",
            d.join("ofac/watchman-2019-01-04-sdn.csv"),
            d.join("ofac/watchman-2019-01-04-alt.csv"),
            d.join("ofac/watchman-2019-01-04-add.csv"),
        ),
    ];
    for (tag, sdn, alt, add) in trios {
        let (sdn, alt, add) = (read_string(&sdn), read_string(&alt), read_string(&add));
        seeds.push((format!("ofac-{tag}-head"), ofac_trio(&sdn, &alt, &add, 0, 6)));
        seeds.push((format!("ofac-{tag}-mid"), ofac_trio(&sdn, &alt, &add, 4000, 12)));
    }
    // An sdn.csv alone, from a dated file.
    let sdn = read_string(&d.join("ofac/sdn-2022-02-24.csv"));
    let head: String = sdn.lines().take(10).map(|l| format!("{l}\r\n")).collect();
    seeds.push(("ofac-2022-02-24-sdn-only".into(), head.into_bytes()));
    seeds
}

fn ofac_remarks() -> Vec<Seed> {
    let sdn = read_string(&shared_data().join("mirror/ofac/sdn.csv"));
    let mut all: Vec<String> = sdn
        .lines()
        .filter_map(|l| csv_fields(l).get(11).cloned())
        .filter(|r| r.trim() != "-0-" && !r.trim().is_empty())
        .collect();
    all.sort();
    all.dedup();
    // An even spread over the distinct remarks: every kind of clause, not only the first.
    let step = (all.len() / 150).max(1);
    all.into_iter()
        .step_by(step)
        .enumerate()
        .map(|(i, r)| (format!("remarks-{i:03}"), r.into_bytes()))
        .collect()
}

fn text() -> Vec<Seed> {
    let xml = read(&shared_data().join("un/consolidated-2026-05-08.xml"));
    let list = sanctions_lists::parse_un_xml(&xml[..], "un").unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<String> = Vec::new();
    // Names in every script the list holds (Arabic original-script names among them).
    for e in list.entities.iter().step_by(8) {
        for n in e.names.iter().take(3) {
            names.push(n.full.clone());
        }
    }
    names.extend(
        [
            "Ахмед Муттаки",
            "Σωκράτης Παπαδόπουλος",
            "Արամ Խաչատրյան",
            "მიხეილ სააკაშვილი",
            "محمد عمر",
            "ملا محمد حسن آخوند",
            "Ǆemal Ñúñez-ʿAbd al-Raḥmān",
            "ﷺ ﻻ Ａｂｃ ﬁ ǅ",
        ]
        .map(String::from),
    );
    names.sort();
    names.dedup();
    names.into_iter().enumerate().map(|(i, n)| (format!("name-{i:04}"), n.into_bytes())).collect()
}

fn scan_fixture(name: &str) -> Vec<u8> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scan/tests/fixtures").join(name))
}

fn scan() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (sel, file) in [
        (0u8, "news_kabul.txt"),
        (0, "news_scripts.txt"),
        (0, "ordinary_english.txt"),
        (1, "mt103_listed.txt"),
        (1, "mt103_clean.txt"),
        (2, "pacs008_listed.xml"),
    ] {
        let mut data = vec![sel];
        data.extend(scan_fixture(file));
        seeds.push((format!("scan-{file}"), data));
    }
    seeds
}

fn http_body() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    let mut add = |name: &str, route: u8, body: &str| {
        let mut data = vec![route];
        data.extend_from_slice(body.as_bytes());
        seeds.push((name.to_string(), data));
    };
    add("screen-name", 0, r#"{"name":"Amir Khan Muttaqi"}"#);
    add(
        "screen-full",
        0,
        r#"{"name":"Abdul Ghani Baradar","kind":"person","birth_date":"1968","nationality":"Afghanistan","identifiers":["OR1961825"],"as_of":"2025-01-01","threshold":0.7,"limit":5}"#,
    );
    add("screen-arabic", 0, r#"{"name":"عبد الغني برادر","limit":1}"#);
    add(
        "batch",
        1,
        r#"{"queries":[{"name":"Muttaqi"},{"name":"Taliban","kind":"organization"},{"name":""}]}"#,
    );
    add("scan-text", 2, r#"{"text":"Payment to Amir Khan Motaqi in Kabul.","threshold":0.8}"#);
    add(
        "scan-mt103",
        2,
        r#"{"text":"{1:F01BANKBEBBAXXX0000000000}{4:\n:20:REF\n:50K:/123\nAMIR KHAN MUTTAQI\nKABUL\n:59:/456\nJOHN SMITH\n-}","format":"mt103"}"#,
    );
    add(
        "scan-pacs008",
        2,
        r#"{"text":"<Document><Dbtr><Nm>Taliban</Nm></Dbtr></Document>","format":"pacs008"}"#,
    );
    seeds
}

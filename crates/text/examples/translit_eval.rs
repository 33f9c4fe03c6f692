//! Measures how well `to_latin` + `fold` agree with real Latin spellings of names.
//!
//! ```sh
//! cargo run --release -p sanctions-text --example translit_eval -- /work/shared/data [--list-words] [--errors N]
//! ```
//!
//! Reads the Wikidata transliteration tables `name-variants/wikidata-xlit-wd_{arabic,russian}_80.tsv`
//! (`latin<TAB>space-separated letters<TAB>count`) and `name-variants/google-ar2en.txt`
//! (`arabic<TAB>latin`). For each pair it compares `skeleton(fold(to_latin(x)))` with
//! `skeleton(fold(latin))`, where skeleton drops a e i o u y after the first letter and
//! collapses repeated letters, and also the exact `fold` match. Reports rates over distinct
//! pairs and weighted by the Wikidata count. `--list-words` restricts the pairs to Latin words
//! that occur in the UN and OFAC benchmark lists (the names that matter for screening).
//! `--native` keeps only Arabic spellings that use letters for Arabic-only sounds
//! (ع ح ق ص ض ظ ة), i.e. Arabic-origin names. `--dev` instead scores the DEV benchmark's
//! `script` queries (built from the `_80` tables) word by word against the listed name.
//! `--heldout` evaluates the `_20` files instead: only for a final check, never for tuning.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;

use sanctions_text::{fold, to_latin};

fn skeleton(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        let mut last = None;
        for (i, c) in word.chars().enumerate() {
            if i > 0 && matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y') {
                continue;
            }
            if last == Some(c) {
                continue;
            }
            out.push(c);
            last = Some(c);
        }
    }
    out
}

/// Like [`skeleton`] but any first vowel counts the same: a weaker, informative variant.
fn skeleton_v(s: &str) -> String {
    skeleton(s)
        .split(' ')
        .map(|w| match w.chars().next() {
            Some('a' | 'e' | 'i' | 'o' | 'u' | 'y') => format!("V{}", &w[1..]),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Default)]
struct Stats {
    n: u64,
    skel: u64,
    skel_v: u64,
    exact: u64,
    wn: u64,
    wskel: u64,
    wexact: u64,
}

impl Stats {
    fn add(&mut self, skel: bool, skel_v: bool, exact: bool, weight: u64) {
        self.n += 1;
        self.skel += u64::from(skel);
        self.skel_v += u64::from(skel_v);
        self.exact += u64::from(exact);
        self.wn += weight;
        self.wskel += weight * u64::from(skel);
        self.wexact += weight * u64::from(exact);
    }

    fn print(&self, name: &str) {
        let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
        println!(
            "{name:<28} pairs {:>7}  skeleton {:>5.1}%  skeleton(V-first) {:>5.1}%  exact {:>5.1}%  | weighted: skeleton {:>5.1}%  exact {:>5.1}%",
            self.n,
            pct(self.skel, self.n),
            pct(self.skel_v, self.n),
            pct(self.exact, self.n),
            pct(self.wskel, self.wn),
            pct(self.wexact, self.wn),
        );
    }
}

fn list_words(data: &Path) -> HashSet<String> {
    let mut words = HashSet::new();
    let mut add = |text: &str| {
        for w in fold(text).split(' ') {
            if w.len() > 1 && w.bytes().all(|b| b.is_ascii_lowercase()) {
                words.insert(w.to_string());
            }
        }
    };
    let un = fs::read_to_string(data.join("un/consolidated-2026-05-08.xml")).unwrap_or_default();
    for line in un.lines() {
        let line = line.trim();
        if line.contains("_NAME>") && !line.contains("ORIGINAL_SCRIPT") {
            if let Some(start) = line.find('>') {
                if let Some(end) = line[start..].find("</") {
                    add(&line[start + 1..start + end]);
                }
            }
        }
    }
    for (file, field) in
        [("ofac/watchman-2021-07-07-sdn.csv", 1), ("ofac/watchman-2021-07-07-alt.csv", 3)]
    {
        let text = fs::read_to_string(data.join(file)).unwrap_or_default();
        for line in text.lines() {
            if let Some(name) = line.split('"').nth(field) {
                add(name);
            }
        }
    }
    words
}

/// The string value of `"key": "..."` in one JSON line (enough for the benchmark files).
fn json_str(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\": \"");
    let start = line.find(&pat)? + pat.len();
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// Words of a folded name for comparison: the article "al" dropped, alone or as a prefix.
fn dev_words(folded: &str) -> Vec<String> {
    folded
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "al" && *w != "el")
        .map(|w| {
            let w = w.strip_prefix("al").filter(|r| r.len() > 2).unwrap_or(w);
            skeleton(w)
        })
        .collect()
}

/// The DEV benchmark's `script` queries (built from the `_80` tables): share of query words
/// whose skeleton equals the skeleton of a word of the listed name, by script.
fn dev_eval(bench: &Path, show_errors: usize) {
    let Ok(truth) = fs::read_to_string(bench.join("dev/truth.jsonl")) else { return };
    let Ok(queries) = fs::read_to_string(bench.join("dev/queries.jsonl")) else { return };
    let mut source: HashMap<String, (String, String)> = HashMap::new();
    for line in truth.lines() {
        if json_str(line, "category").as_deref() == Some("script") {
            let qid = json_str(line, "qid").unwrap_or_default();
            let name = json_str(line, "source_name").unwrap_or_default();
            let detail = json_str(line, "detail").unwrap_or_default();
            source.insert(qid, (name, detail));
        }
    }
    for script in ["script:arabic", "script:cyrillic"] {
        let (mut words, mut word_hits, mut queries_n, mut query_hits) = (0, 0, 0, 0);
        let mut shown = 0;
        for line in queries.lines() {
            let qid = json_str(line, "qid").unwrap_or_default();
            let Some((listed, detail)) = source.get(&qid) else { continue };
            if detail != script {
                continue;
            }
            let name = json_str(line, "name").unwrap_or_default();
            let got = fold(&name);
            let want = dev_words(&fold(listed));
            let got_words = dev_words(&got);
            let hits = got_words.iter().filter(|w| want.contains(w)).count();
            words += got_words.len();
            word_hits += hits;
            queries_n += 1;
            query_hits += usize::from(hits == got_words.len());
            if hits < got_words.len() && shown < show_errors {
                shown += 1;
                println!("  {name} -> {got} / {listed}");
            }
        }
        println!(
            "dev {script:<16} queries {queries_n:>4}  all words match {:>5.1}%  words {words:>4}  word match {:>5.1}%",
            100.0 * query_hits as f64 / queries_n.max(1) as f64,
            100.0 * word_hits as f64 / words.max(1) as f64,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = Path::new(args.get(1).map_or("/work/shared/data", String::as_str)).to_path_buf();
    if args.iter().any(|a| a == "--dev") {
        let errors = args
            .iter()
            .position(|a| a == "--errors")
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        dev_eval(&data.join("../bench"), errors);
        return;
    }
    let only_list = args.iter().any(|a| a == "--list-words");
    // Arabic spellings with letters for Arabic-only sounds (ع ح ق ص ض ظ ة): native names.
    let native = args.iter().any(|a| a == "--native");
    let heldout = args.iter().any(|a| a == "--heldout");
    let show_errors: usize = args
        .iter()
        .position(|a| a == "--errors")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let words = only_list.then(|| list_words(&data));
    if let Some(w) = &words {
        println!("list words: {}", w.len());
    }
    let split = if heldout { "20" } else { "80" };
    let mut files: Vec<(String, bool)> = vec![
        (format!("name-variants/wikidata-xlit-wd_arabic_{split}.tsv"), true),
        (format!("name-variants/wikidata-xlit-wd_russian_{split}.tsv"), true),
    ];
    if !heldout {
        files.push(("name-variants/google-ar2en.txt".to_string(), false));
    }
    for (file, wikidata) in files {
        let text = fs::read_to_string(data.join(&file)).expect("read data file");
        let mut stats = Stats::default();
        let mut errors: HashMap<String, (u64, Vec<String>)> = HashMap::new();
        for line in text.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            let (latin, script, weight) = if wikidata {
                if cols.len() < 3 {
                    continue;
                }
                (cols[0], cols[1].replace(' ', ""), cols[2].trim().parse().unwrap_or(1))
            } else {
                if cols.len() < 2 {
                    continue;
                }
                (cols[1], cols[0].to_string(), 1)
            };
            let want = fold(latin);
            if want.is_empty() {
                continue;
            }
            if let Some(w) = &words {
                if !want.split(' ').all(|t| w.contains(t)) {
                    continue;
                }
            }
            if native
                && wikidata
                && file.contains("arabic")
                && !script.chars().any(|c| matches!(c, 'ع' | 'ح' | 'ق' | 'ص' | 'ض' | 'ظ' | 'ة'))
            {
                continue;
            }
            let got = fold(&to_latin(&script));
            let (sg, sw) = (skeleton(&got), skeleton(&want));
            let skel = sg == sw;
            stats.add(skel, skeleton_v(&got) == skeleton_v(&want), got == want, weight);
            if !skel && show_errors > 0 {
                let e = errors.entry(format!("{sg} != {sw}")).or_default();
                e.0 += weight;
                if e.1.len() < 3 {
                    e.1.push(format!("{script} -> {got} / {want}"));
                }
            }
        }
        let label = Path::new(&file).file_name().map(|f| f.to_string_lossy().into_owned());
        stats.print(&label.unwrap_or_default());
        if show_errors > 0 {
            let mut errors: Vec<_> = errors.into_iter().collect();
            errors.sort_by_key(|e| std::cmp::Reverse(e.1.0));
            for (k, (w, ex)) in errors.into_iter().take(show_errors) {
                println!("  {w:>6}  {k:<24} {}", ex.join(" | "));
            }
        }
    }
}

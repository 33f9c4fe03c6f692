//! `sanctions scan`: mentions of listed names in a text or a payment message.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sanctions_engine::{AlgorithmId, DEFAULT_THRESHOLD};
use sanctions_scan::{Mention, MessageFormat, ScanOptions, Scanner};

use crate::args::{ScanArgs, ScanFormat};

/// Largest input read (bytes).
const MAX_INPUT: u64 = 1 << 30;

fn read_input(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    let label = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        "standard input".to_string()
    } else {
        let f =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        f.take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        path.display().to_string()
    };
    if bytes.len() as u64 > MAX_INPUT {
        bail!("{label} is larger than {} MiB", MAX_INPUT >> 20);
    }
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{FEFF}') {
                // A byte-order mark is not text; keep offsets of the file by blanking it.
                s.replace_range(..3, "   ");
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
            bail!("{label} is not UTF-8 text (invalid byte at offset {at}, line {line})")
        }
    }
}

/// Runs `sanctions scan`.
pub(crate) fn run(db: &Path, a: ScanArgs, json: bool) -> Result<()> {
    let threshold = a.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) || threshold.is_nan() {
        bail!("--threshold must be between 0 and 1, got {threshold}");
    }
    if a.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let as_of = a.as_of.as_deref().map(|d| super::parse_date(d, "--as-of")).transpose()?;
    let format = match a.format {
        ScanFormat::Text => MessageFormat::Text,
        ScanFormat::Mt103 => MessageFormat::Mt103,
        ScanFormat::Pacs008 => MessageFormat::Pacs008,
    };
    // Check the input before anything is loaded.
    let text = read_input(&a.input)?;
    let what = if a.input == Path::new("-") {
        "standard input".into()
    } else {
        a.input.display().to_string()
    };
    match format {
        MessageFormat::Text => {}
        MessageFormat::Mt103 => {
            sanctions_scan::payment::parse_mt103(&text).with_context(|| what.clone())?;
        }
        MessageFormat::Pacs008 => {
            sanctions_scan::payment::parse_pacs008(&text).with_context(|| what.clone())?;
        }
    }
    let mut engine = super::open(db)?;
    super::ensure_loaded(&mut engine)?;
    let snapshot = engine.snapshot(as_of)?;
    let scanner = Scanner::new(snapshot.index());
    let opts = ScanOptions { threshold, limit: a.limit };
    let mentions = scanner
        .scan_message(snapshot.index(), &text, format, &opts)
        .with_context(|| what.clone())?;
    if json {
        return super::print_json(&serde_json::json!({
            "input": what,
            "format": format,
            "as_of": as_of,
            "threshold": threshold,
            "versions": snapshot.versions_used(),
            "algorithm": AlgorithmId::current(),
            "mentions": mentions,
        }));
    }
    super::out(&render(&what, &mentions, &snapshot.versions_used(), threshold, as_of))
}

fn render(
    what: &str,
    mentions: &[Mention],
    versions: &[sanctions_engine::VersionUsed],
    threshold: f32,
    as_of: Option<sanctions_engine::model::PartialDate>,
) -> String {
    let mut s = String::new();
    let lists = crate::render::versions_used(versions);
    let _ = writeln!(
        s,
        "Scanning {what}{} against {}; threshold {threshold:.2}",
        as_of.map(|d| format!(" as of {d}")).unwrap_or_default(),
        lists
    );
    if mentions.is_empty() {
        let _ = writeln!(s, "No listed name mentioned.");
        return s;
    }
    let _ =
        writeln!(s, "{} mention{}:", mentions.len(), if mentions.len() == 1 { "" } else { "s" });
    for m in mentions {
        let field = m
            .field
            .as_ref()
            .map(|f| format!("  field {} ({}, line {})", f.tag, f.label, f.line))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "\nline {}, column {} (bytes {}..{}): {:?}{field}",
            m.line,
            m.column,
            m.start,
            m.end,
            m.text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for h in &m.hits {
            let e = &h.explanation;
            let quality = crate::render::quality_label(e.name_quality);
            let _ = writeln!(
                s,
                "  {:.2}  {}:{}  {}  [{}{}]",
                h.score,
                h.source,
                h.reference,
                h.name,
                h.kind,
                if h.programs.is_empty() {
                    String::new()
                } else {
                    format!("; {}", h.programs.join(", "))
                }
            );
            let _ = writeln!(
                s,
                "        matched {quality} {:?} (name score {:.2})",
                h.matched_name, e.name_score
            );
            if !e.words.is_empty() {
                let _ = writeln!(s, "        words: {}", crate::render::word_matches(&e.words));
            }
            if !e.unmatched_listed.is_empty() {
                let _ = writeln!(
                    s,
                    "        listed words not in the text: {}",
                    e.unmatched_listed.join(", ")
                );
            }
            if let Some(n) = &e.note {
                let _ = writeln!(s, "        note: {n}");
            }
        }
    }
    s
}

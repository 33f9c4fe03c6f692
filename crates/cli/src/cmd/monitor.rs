//! `monitor add|run|alerts` and `decide`: continuous monitoring of a customer base.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};
use sanctions_engine::{
    Alert, Customer, DEFAULT_THRESHOLD, MonitorOptions, MonitorReport, Verdict,
};
use serde::Deserialize;

use super::{audit, cli_actor, open, out, print_json};
use crate::args::{DecideArgs, MonitorCommand};

/// One JSONL customer line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerLine {
    #[serde(alias = "customer_id")]
    id: serde_json::Value,
    name: String,
    #[serde(default, alias = "dob")]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    identifiers: Identifiers,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Identifiers {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Identifiers {
    fn into_vec(self) -> Vec<String> {
        match self {
            Identifiers::None => Vec::new(),
            Identifiers::One(s) => split_ids(&s),
            Identifiers::Many(v) => v.into_iter().filter(|s| !s.trim().is_empty()).collect(),
        }
    }
}

fn split_ids(s: &str) -> Vec<String> {
    s.split([';', '|']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn id_text(v: serde_json::Value) -> Result<String> {
    match v {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => bail!("id must be a string or a number, got {other}"),
    }
}

fn opt(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

/// Checks one customer; the error says what is wrong (the caller adds file:line).
fn check(c: Customer) -> Result<Customer> {
    Ok(sanctions_engine::check_customer(c)?)
}

/// Reads a customers file: CSV (by extension) with a header, else JSONL.
fn read_customers(path: &Path) -> Result<Vec<Customer>> {
    let label = path.display().to_string();
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {label}"))?)
    };
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut out: Vec<(usize, Customer)> = Vec::new();
    if is_csv {
        let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
        let headers = r.headers().with_context(|| format!("{label}:1: cannot read the header"))?;
        let col: HashMap<String, usize> =
            headers.iter().enumerate().map(|(i, h)| (h.trim().to_ascii_lowercase(), i)).collect();
        let known = [
            "id",
            "customer_id",
            "name",
            "birth_date",
            "dob",
            "nationality",
            "kind",
            "identifiers",
        ];
        if let Some(h) = col.keys().find(|h| !known.contains(&h.as_str())) {
            bail!("{label}:1: unknown column {h:?} (known: {})", known.join(", "));
        }
        let id_col = col.get("id").or_else(|| col.get("customer_id")).copied();
        let Some(id_col) = id_col else { bail!("{label}:1: no id column") };
        let Some(&name_col) = col.get("name") else { bail!("{label}:1: no name column") };
        let get = |rec: &csv::StringRecord, names: &[&str]| -> Option<String> {
            names
                .iter()
                .find_map(|n| col.get(*n))
                .and_then(|&i| rec.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        for rec in r.records() {
            let rec = rec.with_context(|| format!("{label}: malformed CSV"))?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let c = Customer {
                id: rec.get(id_col).unwrap_or("").trim().to_string(),
                name: rec.get(name_col).unwrap_or("").trim().to_string(),
                birth_date: get(&rec, &["birth_date", "dob"]),
                nationality: get(&rec, &["nationality"]),
                kind: get(&rec, &["kind"]),
                identifiers: get(&rec, &["identifiers"]).map(|s| split_ids(&s)).unwrap_or_default(),
            };
            out.push((line, check(c).with_context(|| format!("{label}:{line}"))?));
        }
    } else {
        for (i, line) in BufReader::new(reader).lines().enumerate() {
            let lineno = i + 1;
            let line = line.with_context(|| format!("{label}:{lineno}: cannot read"))?;
            if line.trim().is_empty() {
                continue;
            }
            let parsed = (|| -> Result<Customer> {
                let l: CustomerLine = serde_json::from_str(&line)?;
                check(Customer {
                    id: id_text(l.id)?.trim().to_string(),
                    name: l.name.trim().to_string(),
                    birth_date: opt(l.birth_date),
                    nationality: opt(l.nationality),
                    kind: opt(l.kind),
                    identifiers: l.identifiers.into_vec(),
                })
            })()
            .with_context(|| format!("{label}:{lineno}"))?;
            out.push((lineno, parsed));
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (line, c) in &out {
        if let Some(first) = seen.insert(c.id.as_str(), *line) {
            bail!("{label}:{line}: customer id {:?} already given on line {first}", c.id);
        }
    }
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

/// Runs `monitor add|run|alerts`.
pub fn command(db: &Path, cmd: MonitorCommand, json: bool) -> Result<()> {
    match cmd {
        MonitorCommand::Add { file } => add(db, &file, json),
        MonitorCommand::Run { full, threshold, threads } => run(db, full, threshold, threads, json),
        MonitorCommand::Alerts { open } => alerts(db, open, json),
    }
}

fn add(db: &Path, file: &Path, json: bool) -> Result<()> {
    let customers = read_customers(file)?;
    let mut engine = open(db)?;
    let r = engine.monitor_add(&customers)?;
    let total = engine.customer_count()?;
    audit(db, sanctions_server::customers_event(&r, total, cli_actor(), None))?;
    if json {
        return print_json(&serde_json::json!({
            "added": r.added, "updated": r.updated, "unchanged": r.unchanged, "customers": total
        }));
    }
    out(&format!(
        "{} added, {} updated, {} unchanged; {total} customers registered\n",
        r.added, r.updated, r.unchanged
    ))
}

fn run(
    db: &Path,
    full: bool,
    threshold: Option<f32>,
    threads: Option<usize>,
    json: bool,
) -> Result<()> {
    let threshold = threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&threshold) || threshold.is_nan() {
        bail!("--threshold must be between 0 and 1, got {threshold}");
    }
    let mut engine = open(db)?;
    if engine.customer_count()? == 0 {
        bail!("no customers registered: run `sanctions monitor add FILE` first");
    }
    let opts = MonitorOptions { full, threshold, threads: threads.unwrap_or(0) };
    let report = engine.monitor_run(&opts)?;
    audit(db, sanctions_server::monitor_run_event(&report, cli_actor(), None))?;
    if json {
        return print_json(&report);
    }
    out(&render_run(&report))
}

fn render_run(r: &MonitorReport) -> String {
    let s = &r.run.summary;
    let mut o = String::new();
    let versions: Vec<String> = r
        .versions
        .iter()
        .map(|v| format!("{} {} (#{})", v.source, v.published, v.version_id))
        .collect();
    o.push_str(&format!(
        "run #{} ({:?}) against {} in {} ms\n",
        r.run.id,
        r.run.mode,
        versions.join(", "),
        s.elapsed_ms
    ));
    o.push_str(&format!(
        "  customers: {} registered, {} screened in full, {} bounded, {} re-scored\n",
        s.customers, s.customers_screened, s.customers_bounded, s.customers_rescored
    ));
    o.push_str(&format!(
        "  entries: {} added or amended, {} removed since the previous run\n",
        s.entries_changed, s.entries_removed
    ));
    o.push_str(&format!(
        "  alerts: {} raised, {} re-opened, {} updated, {} suppressed by decisions, {} cleared, {} delisted; {} open\n",
        s.raised, s.reopened, s.updated, s.suppressed, s.cleared, s.delisted, s.open
    ));
    for a in &r.new_alerts {
        o.push_str(&render_alert(a));
    }
    o
}

fn render_alert(a: &Alert) -> String {
    let mut o = format!(
        "#{} [{}] customer {}{} ~ {}:{} {} score {:.2}\n",
        a.id,
        a.status,
        a.customer_id,
        a.customer_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
        a.source,
        a.reference,
        a.entry_name,
        a.score
    );
    if let Some(prev) = a.reopens {
        o.push_str(&format!("    re-raises #{prev}: the entry changed since the decision\n"));
    }
    for c in a.changes.iter().flatten() {
        for v in &c.added {
            o.push_str(&format!("    + {}: {v}\n", c.field));
        }
        for v in &c.removed {
            o.push_str(&format!("    - {}: {v}\n", c.field));
        }
    }
    for d in &a.decisions {
        o.push_str(&format!(
            "    decided {} by {} on {} (alert #{}): {}\n",
            d.verdict.as_str(),
            d.decided_by,
            d.decided_at,
            d.alert_id,
            d.reason
        ));
    }
    o
}

fn alerts(db: &Path, open_only: bool, json: bool) -> Result<()> {
    let engine = open(db)?;
    let alerts = engine.monitor_alerts(open_only)?;
    if json {
        return print_json(&alerts);
    }
    if alerts.is_empty() {
        return out(if open_only { "no open alerts\n" } else { "no alerts\n" });
    }
    out(&alerts.iter().map(render_alert).collect::<String>())
}

/// Runs `decide`.
pub fn decide(db: &Path, a: DecideArgs, json: bool) -> Result<()> {
    let verdict = if a.true_match { Verdict::TrueMatch } else { Verdict::FalsePositive };
    let mut engine = open(db)?;
    let alert = engine.decide(a.alert_id, verdict, &a.reason, &a.by)?;
    audit(db, sanctions_server::decision_event(&alert, cli_actor(), None))?;
    if json {
        return print_json(&alert);
    }
    out(&render_alert(&alert))
}

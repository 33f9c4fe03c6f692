//! `screen --batch`: stream a file of queries through the screener on every core.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use sanctions_engine::{HitView, Index, Query, ScreenRequest, Snapshot};
use serde::{Deserialize, Serialize};

use crate::args::{Format, ScreenArgs};
use crate::cmd::request_from;

/// One query line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryLine {
    #[serde(default)]
    qid: Option<serde_json::Value>,
    #[serde(default, alias = "id")]
    customer_id: Option<serde_json::Value>,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, alias = "dob")]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    identifiers: Vec<String>,
}

#[derive(Serialize)]
struct OutLine<'a> {
    qid: &'a serde_json::Value,
    matches: Vec<serde_json::Value>,
}

fn round4(x: f32) -> f64 {
    (x as f64 * 10_000.0).round() / 10_000.0
}

struct Parsed {
    qid: serde_json::Value,
    req: ScreenRequest,
}

const CHUNK: usize = 4096;

fn parse_jsonl(
    line: &str,
    lineno: usize,
    file: &str,
    args: &ScreenArgs,
    threshold: f32,
) -> Result<Parsed> {
    let q: QueryLine = serde_json::from_str(line)
        .with_context(|| format!("{file}:{lineno}: not a valid query line"))?;
    let qid = q.qid.or(q.customer_id).unwrap_or_else(|| serde_json::Value::from(lineno));
    let req = request_from(
        q.name,
        q.birth_date.as_deref(),
        q.nationality,
        q.kind.as_deref(),
        q.identifiers,
        threshold,
        args.limit,
    )
    .with_context(|| format!("{file}:{lineno}"))?;
    Ok(Parsed { qid, req })
}

/// One query's output, formatted ([`write_result`]), and whether it has hits.
struct Rendered {
    bytes: Vec<u8>,
    has_hits: bool,
}

/// Screens a chunk of queries on every core, in the index's locality order (queries sharing
/// words one after the other: [`sanctions_engine::Index::locality_order`]), formats each
/// result where it was screened, and returns them in input order.
fn screen_chunk(
    snapshot: &Snapshot,
    parsed: &[Parsed],
    args: &ScreenArgs,
) -> Result<Vec<Rendered>> {
    let index = snapshot.index();
    let queries: Vec<Query> = parsed.par_iter().map(|p| index.prepare(&p.req)).collect();
    let order = index.locality_order(&queries);
    // Each thread takes contiguous runs of `order`, so the locality holds per thread; short
    // ones, so that no thread is left alone with a run of heavy queries.
    let screened: Vec<(usize, Result<Rendered>)> = order
        .par_iter()
        .with_max_len(Index::LOCALITY_RUN)
        .map(|&i| {
            let p = &parsed[i];
            let hits =
                snapshot.hit_views(index.screen_query(&queries[i], p.req.threshold, p.req.limit));
            let mut bytes = Vec::with_capacity(64 + 128 * hits.len());
            let r = write_result(&mut bytes, args, &p.qid, &hits)
                .map(|()| Rendered { bytes, has_hits: !hits.is_empty() });
            (i, r)
        })
        .collect();
    let mut results: Vec<Option<Rendered>> = (0..parsed.len()).map(|_| None).collect();
    for (i, r) in screened {
        results[i] = Some(r?);
    }
    Ok(results.into_iter().map(|r| r.expect("each query screened once")).collect())
}

/// Screens every query of `path` and writes one result line per query, in input order.
pub fn run(snapshot: &Snapshot, path: &Path, args: &ScreenArgs, threshold: f32) -> Result<()> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().ok();
    }
    let file_label = path.display().to_string();
    let (reader, total_bytes): (Box<dyn BufRead>, Option<u64>) = if path.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin())), None)
    } else {
        let f = File::open(path).with_context(|| format!("cannot open {file_label}"))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 20, f)), len)
    };
    // CSV when the file is named *.csv, or for standard input when --format csv is given.
    let input_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        || (path.as_os_str() == "-" && args.format == Format::Csv);
    let out: Box<dyn Write> = match &args.output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let progress = if std::io::stderr().is_terminal() {
        let pb = match total_bytes {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} screening [{bar:30}] {percent:>3}% {msg} ({elapsed}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Some(pb)
    } else {
        None
    };
    if args.format == Format::Csv {
        writeln!(out, "qid,rank,source,reference,score,name")?;
    }
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
    let mut queries = 0usize;
    let mut hits = 0usize;
    let start = std::time::Instant::now();
    let (mut csv_reader, mut json_lines) = if input_csv {
        (Some(csv::ReaderBuilder::new().flexible(false).from_reader(reader)), None)
    } else {
        (None, Some(LineReader::new(reader)))
    };
    let headers = match csv_reader.as_mut() {
        Some(r) => Some(
            r.headers()
                .with_context(|| format!("{file_label}: cannot read the CSV header"))?
                .clone(),
        ),
        None => None,
    };
    if let Some(h) = &headers {
        if !h.iter().any(|c| c == "name") {
            bail!(
                "{file_label}: the CSV header has no `name` column (columns: {})",
                h.iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
    loop {
        lines.clear();
        let mut bytes_read = 0u64;
        // Read a chunk.
        let mut parsed: Vec<Parsed> = Vec::with_capacity(CHUNK);
        if let Some(r) = csv_reader.as_mut() {
            let h = headers.as_ref().expect("csv header");
            let mut rec = csv::StringRecord::new();
            while parsed.len() < CHUNK {
                let ok = r
                    .read_record(&mut rec)
                    .with_context(|| format!("{file_label}: malformed CSV"))?;
                if !ok {
                    break;
                }
                let lineno = rec.position().map(|p| p.line() as usize).unwrap_or(0);
                bytes_read += rec.as_slice().len() as u64 + 1;
                let get = |c: &str| {
                    h.iter().position(|x| x == c).and_then(|i| rec.get(i)).map(str::to_string)
                };
                let qid = get("qid")
                    .or_else(|| get("id"))
                    .or_else(|| get("customer_id"))
                    .map(serde_json::Value::from);
                let req = request_from(
                    get("name").unwrap_or_default(),
                    get("birth_date").or_else(|| get("dob")).as_deref(),
                    get("nationality"),
                    get("kind").as_deref(),
                    get("identifiers")
                        .map(|s| {
                            s.split(';')
                                .map(|x| x.trim().to_string())
                                .filter(|x| !x.is_empty())
                                .collect()
                        })
                        .unwrap_or_default(),
                    threshold,
                    args.limit,
                )
                .with_context(|| format!("{file_label}:{lineno}"))?;
                parsed.push(Parsed {
                    qid: qid.unwrap_or_else(|| serde_json::Value::from(lineno)),
                    req,
                });
            }
        } else if let Some(r) = json_lines.as_mut() {
            while lines.len() < CHUNK {
                match r.next_line().with_context(|| format!("cannot read {file_label}"))? {
                    None => break,
                    Some((n, l)) => {
                        bytes_read += l.len() as u64 + 1;
                        if l.trim().is_empty() || l.trim_start().starts_with('#') {
                            continue;
                        }
                        lines.push((n, l));
                    }
                }
            }
            parsed = lines
                .par_iter()
                .map(|(n, l)| parse_jsonl(l, *n, &file_label, args, threshold))
                .collect::<Result<Vec<_>>>()?;
        }
        if parsed.is_empty() {
            break;
        }
        // Formatted on the pool: only the copy, in input order, is left to this thread.
        for r in screen_chunk(snapshot, &parsed, args)? {
            queries += 1;
            hits += usize::from(r.has_hits);
            out.write_all(&r.bytes)?;
        }
        if let Some(pb) = &progress {
            if total_bytes.is_some() {
                pb.inc(bytes_read);
            } else {
                pb.tick();
            }
            pb.set_message(format!("{queries} queries, {hits} with hits"));
        }
    }
    out.flush()?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "screened {queries} queries in {secs:.2} s ({:.0}/s); {hits} with hits at threshold {threshold:.2}",
            queries as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

fn write_result(
    out: &mut impl Write,
    args: &ScreenArgs,
    qid: &serde_json::Value,
    hits: &[HitView],
) -> Result<()> {
    match args.format {
        Format::Jsonl => {
            let matches: Vec<serde_json::Value> = hits
                .iter()
                .map(|h| {
                    let mut m = serde_json::json!({
                        "source": h.source, "reference": h.reference, "score": round4(h.score), "name": h.matched_name,
                    });
                    if args.explain {
                        m["explanation"] = serde_json::to_value(&h.explanation).unwrap_or_default();
                    }
                    m
                })
                .collect();
            serde_json::to_writer(&mut *out, &OutLine { qid, matches })?;
            out.write_all(b"\n")?;
        }
        Format::Csv => {
            let qid = match qid {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(&mut *out);
            if hits.is_empty() {
                // Every query gets a row: rank 0 and empty match fields mean no hit.
                w.write_record([qid.as_str(), "0", "", "", "", ""])?;
            }
            for (i, h) in hits.iter().enumerate() {
                w.write_record([
                    qid.as_str(),
                    &(i + 1).to_string(),
                    h.source.as_str(),
                    &h.reference,
                    &format!("{:.4}", h.score),
                    &h.matched_name,
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// Reads lines with their numbers, reporting invalid UTF-8 with the line number.
struct LineReader {
    inner: Box<dyn BufRead>,
    n: usize,
    buf: Vec<u8>,
}

impl LineReader {
    fn new(inner: Box<dyn BufRead>) -> LineReader {
        LineReader { inner, n: 0, buf: Vec::new() }
    }

    fn next_line(&mut self) -> Result<Option<(usize, String)>> {
        self.buf.clear();
        if self.inner.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(None);
        }
        self.n += 1;
        while self.buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            self.buf.pop();
        }
        let s = String::from_utf8(std::mem::take(&mut self.buf))
            .map_err(|_| anyhow::anyhow!("line {}: not valid UTF-8", self.n))?;
        Ok(Some((self.n, s)))
    }
}

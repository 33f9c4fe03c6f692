//! The append-only, hash-chained audit log (JSON Lines): screenings, and the acts that change
//! what a screening means (exemptions recorded, alert decisions, monitoring runs).
//!
//! Each screened query appends one record (a batch of k queries appends k records, written and
//! synced together). A record never holds the query itself, which is personal data, only the
//! SHA-256 of its canonical JSON (`query_hash`): whoever holds the query can prove it was
//! screened, and when, against which list versions, with which results.
//!
//! ```text
//! {"algorithm":{"name":"...","version":"..."},"as_of":null,"event":"screen","hash":"<hex>",
//!  "item":null,"key_id":"app","prev_hash":"<hex>","query_hash":"<hex>","request_id":"...",
//!  "results":[{"reference":"TAi.026","score":0.97,"source":"un"}],"seq":1,
//!  "time":"2026-05-08T10:00:00.000Z","versions":[{"published":"2026-05-08","sha256":"<hex>",
//!  "source":"un","version_id":1}]}
//! ```
//!
//! Other acts are [`AuditEvent`]s: `{"event":"exemption_added","actor":"...","detail":{...},
//! "request_id":...,"seq":...,"time":...,"prev_hash":...,"hash":...}`, written by the server
//! and by the command line alike: the file is locked while a record is appended, and the
//! chain's end is re-read when another process appended since.
//!
//! `hash` is the SHA-256 (hex) of `prev_hash` (hex text) followed by the canonical JSON of the
//! record without its `hash` field; `prev_hash` of the first record is 64 zeros. Canonical JSON
//! is compact JSON with the keys of every object sorted (bytewise); numbers print as
//! `serde_json` prints them. [`verify_audit_log`] recomputes the chain and names the first
//! line that was edited, deleted, reordered or inserted. Removing records from the *end* of
//! the log leaves a valid shorter chain: anchor [`AuditReport::head_hash`] elsewhere (a
//! ticket, a daily e-mail, a timestamping service) to detect that too.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use sanctions_engine::model::{Exemption, PartialDate, Source};
use sanctions_engine::{Alert, CustomerUpsert, MonitorReport, VersionUsed};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::hex;

/// `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a verified log holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The file verified.
    pub path: PathBuf,
    /// Number of records (= the `seq` of the last one).
    pub records: u64,
    /// `hash` of the last record ([`GENESIS_HASH`] for an empty log). Keep it elsewhere to
    /// detect a truncation later.
    pub head_hash: String,
}

/// How an audit log failed verification, or could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The file could not be read or written.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not a well-formed record (not JSON, a field missing, a partial write).
    #[error("audit log line {line}: malformed record: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A record's content does not match its hash: it was edited.
    #[error("audit log line {line}: the record does not match its hash (edited)")]
    HashMismatch {
        /// 1-based line number.
        line: u64,
    },
    /// A record does not follow the one before it: a record was deleted, reordered or inserted.
    #[error(
        "audit log line {line}: the chain is broken (expected seq {expected_seq}, found \
         {found_seq}; prev_hash {}): a record before it was deleted, reordered or inserted",
        if *.prev_hash_ok { "matches" } else { "does not match" }
    )]
    ChainBroken {
        /// 1-based line number.
        line: u64,
        /// The sequence number expected.
        expected_seq: u64,
        /// The sequence number found.
        found_seq: u64,
        /// Whether `prev_hash` matched the previous record's hash.
        prev_hash_ok: bool,
    },
}

impl AuditError {
    /// The 1-based line of the first bad record, if the log was readable.
    pub fn line(&self) -> Option<u64> {
        match self {
            AuditError::Io { .. } => None,
            AuditError::Malformed { line, .. }
            | AuditError::HashMismatch { line }
            | AuditError::ChainBroken { line, .. } => Some(*line),
        }
    }
}

/// Writes `v` as canonical JSON: compact, object keys sorted bytewise. Keys and scalars are
/// written by `serde_json`'s compact serializer, exactly as `Value`'s `Display` writes them.
fn canonical_into(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, k.as_str());
                out.push(b':');
                canonical_into(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_into(item, out);
            }
            out.push(b']');
        }
        other => write_json(out, other),
    }
}

/// The members of an object, keys in bytewise order.
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    // Usually in order already (serde_json's map is sorted unless `preserve_order` is on).
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    members
}

/// Appends the compact JSON of a plain value (a string, a number, a `Value`).
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Into memory, and a `Value` or a string always serialises: this cannot fail.
    if let Err(e) = serde_json::to_writer(&mut *out, v) {
        unreachable!("serialising JSON into memory failed: {e}");
    }
}

/// Canonical JSON of a value (compact, keys sorted).
#[cfg(test)]
fn canonical_json(v: &Value) -> String {
    let mut out = Vec::new();
    canonical_into(v, &mut out);
    // Only JSON text was written, from `&str`s and serde_json's output: valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| unreachable!("canonical JSON is UTF-8: {e}"))
}

/// SHA-256 (hex) of the canonical JSON of a value.
pub(crate) fn sha256_canonical(v: &Value) -> String {
    let mut out = Vec::new();
    canonical_into(v, &mut out);
    hex(&Sha256::digest(&out))
}

fn record_hash(prev_hash: &str, without_hash: &Value) -> String {
    let mut out = Vec::new();
    canonical_into(without_hash, &mut out);
    chain_hash(prev_hash, &out)
}

/// The hash of a record: SHA-256 (hex) of the previous record's hash and the record's
/// canonical JSON without its own hash.
fn chain_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical);
    hex(&h.finalize())
}

/// Ends the line of a record whose canonical JSON (without `hash`) is `out[start..]`: inserts
/// the member `"hash"` at `pos` (just after `{` when it is the first member; `before_another`
/// when a member follows it), then a newline. Returns the hash.
fn seal_line(
    prev_hash: &str,
    out: &mut Vec<u8>,
    start: usize,
    pos: usize,
    before_another: bool,
) -> String {
    let hash = chain_hash(prev_hash, &out[start..]);
    // After `{` the member is the first one; elsewhere a comma separates it from the member
    // written before `pos`.
    let first = pos == start + 1;
    let member = match (first, before_another) {
        (true, true) => format!("\"hash\":\"{hash}\","),
        (true, false) => format!("\"hash\":\"{hash}\""),
        (false, _) => format!(",\"hash\":\"{hash}\""),
    };
    out.splice(pos..pos, member.bytes());
    out.push(b'\n');
    hash
}

/// Appends the log line of a record: its canonical JSON with the member `"hash"` (the
/// [`record_hash`] of `prev_hash` and the record as given) in its sorted place, and a newline.
/// The record is serialised once; the same bytes as adding `hash` to it and writing
/// [`canonical_json`]. Returns the hash.
fn record_line(prev_hash: &str, rec: &serde_json::Map<String, Value>, out: &mut Vec<u8>) -> String {
    let start = out.len();
    out.push(b'{');
    // Where the hash member goes, and whether a member follows it.
    let mut at: Option<(usize, bool)> = None;
    for (i, (k, v)) in sorted(rec).into_iter().enumerate() {
        if at.is_none() && k.as_str() > "hash" {
            at = Some((out.len(), true));
        }
        if i > 0 {
            out.push(b',');
        }
        write_json(out, k.as_str());
        out.push(b':');
        canonical_into(v, out);
    }
    let (pos, before_another) = at.unwrap_or((out.len(), false));
    out.push(b'}');
    seal_line(prev_hash, out, start, pos, before_another)
}

/// [`record_line`] of a screening record, written straight from the entry: its members in
/// bytewise order of their keys, the hash in its place after `event`. The same bytes as the
/// record built as a `Value` and written by [`record_line`] (tested against it), without a
/// map, a key string and a value a member: this runs for every screening.
fn screen_record_line(
    prev_hash: &str,
    seq: u64,
    time: &str,
    e: &AuditEntry,
    out: &mut Vec<u8>,
) -> String {
    let start = out.len();
    out.extend_from_slice(b"{\"algorithm\":");
    // Its two members are declared in bytewise order (`name`, `version`).
    write_json(out, &sanctions_engine::AlgorithmId::current());
    out.extend_from_slice(b",\"as_of\":");
    write_json(out, &e.as_of);
    out.extend_from_slice(b",\"event\":\"screen\"");
    let pos = out.len();
    out.extend_from_slice(b",\"item\":");
    write_json(out, &e.item);
    out.extend_from_slice(b",\"key_id\":");
    write_json(out, &e.key_id);
    out.extend_from_slice(b",\"prev_hash\":");
    write_json(out, prev_hash);
    out.extend_from_slice(b",\"query_hash\":");
    write_json(out, &e.query_hash);
    out.extend_from_slice(b",\"request_id\":");
    write_json(out, &e.request_id);
    out.extend_from_slice(b",\"results\":[");
    for (i, (source, reference, score)) in e.results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"reference\":");
        write_json(out, reference);
        out.extend_from_slice(b",\"score\":");
        write_json(out, &audit_score(*score));
        out.extend_from_slice(b",\"source\":");
        write_json(out, source);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"seq\":");
    write_json(out, &seq);
    out.extend_from_slice(b",\"time\":");
    write_json(out, time);
    out.extend_from_slice(b",\"versions\":[");
    for (i, v) in e.versions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"published\":");
        write_json(out, &v.published);
        out.extend_from_slice(b",\"sha256\":");
        write_json(out, &v.sha256);
        out.extend_from_slice(b",\"source\":");
        write_json(out, &v.source);
        out.extend_from_slice(b",\"version_id\":");
        write_json(out, &v.version_id);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    seal_line(prev_hash, out, start, pos, true)
}

/// A score as it is recorded: four decimals, as a double. Such a number prints the same in
/// `serde_json` and in most JSON libraries (no exponent), so the canonical form is portable.
pub(crate) fn audit_score(score: f32) -> f64 {
    (f64::from(score) * 1e4).round() / 1e4
}

/// One screened query, to be recorded.
#[derive(Clone, Debug)]
pub(crate) struct AuditEntry {
    pub request_id: String,
    pub key_id: Option<String>,
    /// Position in the batch; `None` for a single screening.
    pub item: Option<usize>,
    pub query_hash: String,
    pub as_of: Option<PartialDate>,
    pub versions: Vec<VersionUsed>,
    /// (source, reference, score), best first.
    pub results: Vec<(Source, String, f32)>,
}

/// An act recorded in the log besides screenings: who did what, with the facts needed to
/// reconstruct it (never a screened person's name).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// What happened: `exemption_added`, `alert_decided`, `monitor_run`, `customers_added`,
    /// `travel_checked`, `payment_checked`.
    pub event: &'static str,
    /// Who: the API key id over HTTP, `cli:USER` on the command line.
    pub actor: String,
    /// The HTTP request id, if any.
    pub request_id: Option<String>,
    /// The facts (an exemption as recorded, a decision, a run's counts).
    pub detail: Value,
}

/// A record to append.
#[derive(Clone, Debug)]
pub(crate) enum Record {
    Screen(AuditEntry),
    Event(AuditEvent),
}

struct Tail {
    file: File,
    seq: u64,
    last_hash: String,
    /// The file's length after our last append: when it differs, another process appended.
    len: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded state stays consistent across a panic (a failed write is reported to its
    // batch), so poisoning is ignored.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads the chain's end: (seq, hash) of the last record, or (0, genesis) for an empty file.
fn chain_end(file: &mut File, path: &Path) -> Result<(u64, String), AuditError> {
    let io = |source| AuditError::Io { path: path.to_path_buf(), source };
    let Some((line_text, ends_with_newline)) = read_tail(file).map_err(io)? else {
        return Ok((0, GENESIS_HASH.to_string()));
    };
    let bad = |reason: String| AuditError::Malformed { line: 0, reason };
    if !ends_with_newline {
        return Err(bad("the log ends with a partial record; repair it before appending".into()));
    }
    let v: Value =
        serde_json::from_str(&line_text).map_err(|e| bad(format!("last record: {e}")))?;
    let seq = v["seq"].as_u64().ok_or_else(|| bad("last record: no seq".into()))?;
    let hash = v["hash"].as_str().ok_or_else(|| bad("last record: no hash".into()))?.to_string();
    Ok((seq, hash))
}

/// The record of an analyst's decision: the alert, the entry revision decided on, the
/// verdict, the reason and who decided (the customer by id only, never by name).
pub fn decision_event(alert: &Alert, actor: String, request_id: Option<&str>) -> AuditEvent {
    let d = alert.decisions.last();
    AuditEvent {
        event: "alert_decided",
        actor,
        request_id: request_id.map(str::to_string),
        detail: json!({
            "alert_id": alert.id,
            "customer_id": alert.customer_id,
            "source": alert.source,
            "reference": alert.reference,
            "content_hash": alert.content_hash,
            "score": audit_score(alert.score),
            "status": alert.status,
            "decision_id": d.map(|d| d.id),
            "verdict": d.map(|d| d.verdict),
            "reason": d.map(|d| d.reason.clone()),
            "decided_by": d.map(|d| d.decided_by.clone()),
        }),
    }
}

/// The record of a monitoring run: its id, mode, list versions, threshold and counts, and
/// the alerts it raised (by alert id, customer id and entry).
pub fn monitor_run_event(r: &MonitorReport, actor: String, request_id: Option<&str>) -> AuditEvent {
    AuditEvent {
        event: "monitor_run",
        actor,
        request_id: request_id.map(str::to_string),
        detail: json!({
            "run_id": r.run.id,
            "mode": r.run.mode,
            "algorithm": r.run.algorithm,
            "threshold": audit_score(r.run.threshold),
            "versions": r.versions.iter().map(|v| json!({
                "source": v.source, "version_id": v.version_id, "sha256": v.sha256,
            })).collect::<Vec<_>>(),
            "summary": r.run.summary,
            "new_alerts": r.new_alerts.iter().map(|a| json!({
                "alert_id": a.id, "customer_id": a.customer_id, "source": a.source,
                "reference": a.reference, "score": audit_score(a.score),
            })).collect::<Vec<_>>(),
        }),
    }
}

/// The record of customers registered for monitoring: counts only (names are personal data).
pub fn customers_event(
    r: &CustomerUpsert,
    total: usize,
    actor: String,
    request_id: Option<&str>,
) -> AuditEvent {
    AuditEvent {
        event: "customers_added",
        actor,
        request_id: request_id.map(str::to_string),
        detail: json!({
            "added": r.added, "updated": r.updated, "unchanged": r.unchanged, "customers": total,
        }),
    }
}

/// The record of an exemption recorded: the exemption as stored (id, kind, entry or regime,
/// period, destinations, purpose, document, who).
pub fn exemption_event(ex: &Exemption, actor: String, request_id: Option<&str>) -> AuditEvent {
    AuditEvent {
        event: "exemption_added",
        actor,
        request_id: request_id.map(str::to_string),
        detail: json!({ "exemption": ex }),
    }
}

/// Appends one event to the log at `path` (created if missing), as the command line does
/// after it recorded an exemption or a decision. Returns the record's seq.
pub fn append_audit_event(path: &Path, event: AuditEvent) -> Result<u64, AuditError> {
    AuditLog::open(path)?.append_event(event)
}

/// The open log. One writer thread appends every record: callers hand it their records and
/// wait (a thread blocks, an async task awaits) until they are written and, by default,
/// synced to disk.
///
/// Group commit: the records handed over while a batch is being written and synced are taken
/// together by the writer's next round, written in one go and synced with one `fsync`; many
/// concurrent requests then cost one sync between them, and waiting for it takes no thread.
/// Each write holds an exclusive lock of the file (other processes may append too: the
/// chain's end is re-read when the file changed).
///
/// With a deferred sync ([`AuditLog::with_sync_interval`]) there is no `fsync` to share before
/// answering, so callers write their records themselves, one at a time under the tail's lock,
/// and the writer thread stays idle.
pub(crate) struct AuditLog {
    path: PathBuf,
    shared: Arc<LogShared>,
    writer: Option<std::thread::JoinHandle<()>>,
}

/// What callers and the writer thread share.
struct LogShared {
    /// Submissions waiting for the writer's next round, and whether the log is closing.
    queue: Mutex<Queue>,
    /// Signalled when a submission arrives or the log closes.
    ready: Condvar,
    /// Set once by [`AuditLog::with_sync_interval`]: batches are then synced by that thread,
    /// and appended by the callers themselves (nothing to wait for but the write).
    deferred: OnceLock<Arc<Deferred>>,
    /// The file and where its chain ends; held while a batch is written.
    tail: Mutex<Tail>,
}

/// The deferred sync's shared state: whether something was written since the last sync.
struct Deferred {
    dirty: AtomicBool,
    closed: AtomicBool,
    file: File,
}

impl Deferred {
    fn sync(&self) {
        if self.dirty.swap(false, Ordering::AcqRel) && self.file.sync_data().is_err() {
            // Tried again at the next tick.
            self.dirty.store(true, Ordering::Release);
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // The writer finishes what was handed to it, then stops.
        lock(&self.shared.queue).closed = true;
        self.shared.ready.notify_all();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        // The last records reach the disk before the log is let go.
        if let Some(d) = self.shared.deferred.get() {
            d.closed.store(true, Ordering::Release);
            d.sync();
        }
    }
}

/// The outcome of a submission: the seq of its last record, or why the write failed.
type Outcome = Result<u64, String>;

/// Records handed to the writer together (one request's), stamped with one time.
struct Submission {
    records: Vec<Record>,
    time: String,
    done: Box<dyn FnOnce(Outcome) + Send>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Submission>,
    closed: bool,
}

impl AuditLog {
    /// Opens (or creates) the log, reads where its chain ends and starts its writer thread.
    pub(crate) fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let io = |source| AuditError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file =
            OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
        let (seq, last_hash) = chain_end(&mut file, path)?;
        let len = file.metadata().map_err(io)?.len();
        let shared = Arc::new(LogShared {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            deferred: OnceLock::new(),
            tail: Mutex::new(Tail { file, seq, last_hash, len }),
        });
        let (s, p) = (Arc::clone(&shared), path.to_path_buf());
        let writer = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer_loop(&s, &p))
            .map_err(io)?;
        Ok(AuditLog { path: path.to_path_buf(), shared, writer: Some(writer) })
    }

    /// Defers the sync: a batch is written (to the operating system, so it survives the
    /// process) before its requests are answered, and synced to disk within `interval` by a
    /// background thread. A power loss can then lose the records of the last `interval`; the
    /// chain of what remains still verifies. For latency-bound deployments only: by default
    /// every batch is synced before it is answered.
    pub(crate) fn with_sync_interval(self, interval: Duration) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io { path: self.path.clone(), source };
        // Syncing any handle of the file syncs its data.
        let file = OpenOptions::new().append(true).open(&self.path).map_err(io)?;
        let deferred = Arc::new(Deferred {
            dirty: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            file,
        });
        let d = Arc::clone(&deferred);
        std::thread::Builder::new()
            .name("audit-sync".into())
            .spawn(move || {
                while !d.closed.load(Ordering::Acquire) {
                    std::thread::park_timeout(interval);
                    d.sync();
                }
            })
            .map_err(io)?;
        let _ = self.shared.deferred.set(deferred);
        Ok(self)
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record per screened query, in order, and syncs the file. Returns the last
    /// seq. Blocking.
    pub(crate) fn append(&self, entries: &[AuditEntry]) -> Result<u64, AuditError> {
        self.append_records(entries.iter().cloned().map(Record::Screen).collect())
    }

    /// Appends one event and syncs the file. Returns its seq. Blocking.
    pub(crate) fn append_event(&self, event: AuditEvent) -> Result<u64, AuditError> {
        self.append_records(vec![Record::Event(event)])
    }

    /// Appends records in order and returns once they are synced to disk (see
    /// [`AuditLog::with_sync_interval`]), with the seq of the last one. Blocking: waits for
    /// the writer thread.
    pub(crate) fn append_records(&self, records: Vec<Record>) -> Result<u64, AuditError> {
        if self.shared.deferred.get().is_some() {
            return self.append_now(&records);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.submit(records, Box::new(move |r| drop(tx.send(r))));
        self.outcome(rx.recv().ok())
    }

    /// [`AuditLog::append`] for async code: the task waits for the writer without holding a
    /// thread.
    pub(crate) async fn append_async(&self, entries: Vec<AuditEntry>) -> Result<u64, AuditError> {
        if self.shared.deferred.get().is_some() {
            let records: Vec<Record> = entries.into_iter().map(Record::Screen).collect();
            return self.append_now(&records);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(
            entries.into_iter().map(Record::Screen).collect(),
            Box::new(move |r| drop(tx.send(r))),
        );
        self.outcome(rx.await.ok())
    }

    /// With a deferred sync: writes the records here and now (a write to the operating
    /// system, no `fsync` to share), instead of handing them to the writer thread and waiting
    /// for it to wake up.
    fn append_now(&self, records: &[Record]) -> Result<u64, AuditError> {
        let time = crate::clock::now_rfc3339();
        let records: Vec<(&Record, &str)> = records.iter().map(|r| (r, time.as_str())).collect();
        let mut tail = lock(&self.shared.tail);
        if records.is_empty() {
            return Ok(tail.seq);
        }
        let first = write_batch(&self.shared, &mut tail, &self.path, &records)?;
        Ok(first + records.len() as u64 - 1)
    }

    fn submit(&self, records: Vec<Record>, done: Box<dyn FnOnce(Outcome) + Send>) {
        let time = crate::clock::now_rfc3339();
        let mut q = lock(&self.shared.queue);
        if q.closed {
            // The writer is gone (it panicked): fail at once rather than wait for ever.
            drop(q);
            done(Err("the audit writer stopped".into()));
            return;
        }
        q.waiting.push(Submission { records, time, done });
        // Only the writer waits on `ready`, and only with an empty queue.
        if q.waiting.len() == 1 {
            self.shared.ready.notify_one();
        }
    }

    fn outcome(&self, r: Option<Outcome>) -> Result<u64, AuditError> {
        let err = |m: String| AuditError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(m),
        };
        match r {
            Some(Ok(seq)) => Ok(seq),
            Some(Err(m)) => Err(err(m)),
            None => Err(err("the audit writer stopped".into())),
        }
    }
}

/// The writer thread: takes everything handed over since its last round, writes it as one
/// batch and tells each submitter the seq of its last record (or the error).
fn writer_loop(shared: &LogShared, path: &Path) {
    /// If the writer panics, the log closes: what waits and what comes later fails at once.
    struct FailOnPanic<'a>(&'a LogShared);
    impl Drop for FailOnPanic<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                let waiting = {
                    let mut q = lock(&self.0.queue);
                    q.closed = true;
                    std::mem::take(&mut q.waiting)
                };
                for s in waiting {
                    (s.done)(Err("the audit writer stopped".into()));
                }
            }
        }
    }
    let _guard = FailOnPanic(shared);
    loop {
        let batch = {
            let mut q = lock(&shared.queue);
            while q.waiting.is_empty() && !q.closed {
                q = shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
            }
            if q.waiting.is_empty() {
                return;
            }
            std::mem::take(&mut q.waiting)
        };
        let records: Vec<(&Record, &str)> =
            batch.iter().flat_map(|s| s.records.iter().map(|r| (r, s.time.as_str()))).collect();
        let mut tail = lock(&shared.tail);
        let written = if records.is_empty() {
            Ok(tail.seq + 1)
        } else {
            write_batch(shared, &mut tail, path, &records).map_err(|e| e.to_string())
        };
        drop(tail);
        drop(records);
        let mut next = written.as_ref().map_or(0, |first| *first);
        for s in batch {
            next += s.records.len() as u64;
            (s.done)(written.as_ref().map(|_| next - 1).map_err(Clone::clone));
        }
    }
}

/// Writes one batch under the file lock and syncs it. Returns the seq of its first record.
fn write_batch(
    shared: &LogShared,
    tail: &mut Tail,
    path: &Path,
    records: &[(&Record, &str)],
) -> Result<u64, AuditError> {
    let io = |source| AuditError::Io { path: path.to_path_buf(), source };
    fs4::fs_std::FileExt::lock_exclusive(&tail.file).map_err(io)?;
    let result = append_locked(shared, tail, path, records);
    let unlocked = fs4::fs_std::FileExt::unlock(&tail.file).map_err(io);
    let last = result?;
    unlocked?;
    Ok(last + 1 - records.len() as u64)
}

fn append_locked(
    shared: &LogShared,
    tail: &mut Tail,
    path: &Path,
    records: &[(&Record, &str)],
) -> Result<u64, AuditError> {
    let io = |source| AuditError::Io { path: path.to_path_buf(), source };
    let len = tail.file.metadata().map_err(io)?.len();
    if len != tail.len {
        let (seq, hash) = chain_end(&mut tail.file, path)?;
        tail.seq = seq;
        tail.last_hash = hash;
    }
    let mut seq = tail.seq;
    let mut prev = tail.last_hash.clone();
    let mut buf = Vec::new();
    for &(r, time) in records {
        seq += 1;
        let rec = match r {
            Record::Screen(e) => {
                prev = screen_record_line(&prev, seq, time, e, &mut buf);
                continue;
            }
            Record::Event(e) => json!({
                "seq": seq,
                "time": time,
                "event": e.event,
                "actor": e.actor,
                "request_id": e.request_id,
                "detail": e.detail,
                "prev_hash": prev,
            }),
        };
        let Value::Object(rec) = rec else { unreachable!("a record is a JSON object") };
        prev = record_line(&prev, &rec, &mut buf);
    }
    tail.file.write_all(&buf).map_err(io)?;
    match shared.deferred.get() {
        Some(d) => d.dirty.store(true, Ordering::Release),
        None => tail.file.sync_data().map_err(io)?,
    }
    tail.len = len + buf.len() as u64;
    tail.seq = seq;
    tail.last_hash = prev;
    Ok(seq)
}

/// The last line of the file (without its newline) and whether the file ends with a newline;
/// `None` for an empty file. Reads backwards from the end.
fn read_tail(file: &mut File) -> std::io::Result<Option<(String, bool)>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut pos = len;
    loop {
        let step = pos.min(64 * 1024);
        pos -= step;
        file.seek(SeekFrom::Start(pos))?;
        let mut chunk = vec![0; step as usize];
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        let ends_nl = buf.last() == Some(&b'\n');
        let body = if ends_nl { &buf[..buf.len() - 1] } else { &buf[..] };
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            return Ok(Some((String::from_utf8_lossy(&body[i + 1..]).into_owned(), ends_nl)));
        }
        if pos == 0 {
            return Ok(Some((String::from_utf8_lossy(body).into_owned(), ends_nl)));
        }
    }
}

/// Verifies a whole audit log: every record's hash, the chain of `prev_hash`, and the
/// sequence numbers. Returns the number of records and the head hash, or the first bad line.
///
/// A missing file is an error ([`AuditError::Io`]); an empty file is a valid empty log.
pub fn verify_audit_log(path: impl AsRef<Path>) -> Result<AuditReport, AuditError> {
    let path = path.as_ref();
    let io = |source| AuditError::Io { path: path.to_path_buf(), source };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut seq = 0u64;
    let mut line_no = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        line_no += 1;
        let bad = |reason: &str| AuditError::Malformed { line: line_no, reason: reason.into() };
        if line.pop() != Some(b'\n') {
            return Err(bad("no newline at the end (a partial write?)"));
        }
        let text = std::str::from_utf8(&line).map_err(|_| bad("not UTF-8"))?;
        let mut rec: Value =
            serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
        let obj = rec.as_object_mut().ok_or_else(|| bad("not a JSON object"))?;
        let Some(Value::String(hash)) = obj.remove("hash") else {
            return Err(bad("no hash"));
        };
        let found_seq = obj.get("seq").and_then(Value::as_u64).ok_or_else(|| bad("no seq"))?;
        let found_prev = obj
            .get("prev_hash")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no prev_hash"))?
            .to_string();
        if record_hash(&found_prev, &rec) != hash {
            return Err(AuditError::HashMismatch { line: line_no });
        }
        let prev_hash_ok = found_prev == prev_hash;
        if found_seq != seq + 1 || !prev_hash_ok {
            return Err(AuditError::ChainBroken {
                line: line_no,
                expected_seq: seq + 1,
                found_seq,
                prev_hash_ok,
            });
        }
        seq = found_seq;
        prev_hash = hash;
    }
    Ok(AuditReport { path: path.to_path_buf(), records: seq, head_hash: prev_hash })
}

#[cfg(test)]
mod tests {
    //! Canonical JSON; append then verify; every kind of tampering is found at its line;
    //! reopening continues the chain; a partial last line stops appends.
    use super::*;

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            request_id: format!("r{i}"),
            key_id: Some("app".into()),
            item: None,
            query_hash: hex(&Sha256::digest(format!("q{i}").as_bytes())),
            as_of: None,
            versions: vec![],
            results: vec![(Source::Un, "TAi.026".into(), 0.912_345_7)],
        }
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p).unwrap().lines().map(str::to_string).collect()
    }

    fn write_lines(p: &Path, l: &[String]) {
        std::fs::write(p, l.iter().map(|x| format!("{x}\n")).collect::<String>()).unwrap();
    }

    #[test]
    fn canonical() {
        let v = json!({"b": [1, {"z": null, "a": "x\"y"}], "a": 0.5});
        assert_eq!(canonical_json(&v), r#"{"a":0.5,"b":[1,{"a":"x\"y","z":null}]}"#);
    }

    /// The canonical form as first written: every key and scalar through `Value`'s
    /// `Display`. The faster writer must give the same bytes (hashes in existing logs).
    fn canonical_by_display(v: &Value) -> String {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let members: Vec<String> = keys
                    .into_iter()
                    .map(|k| {
                        format!("{}:{}", Value::String(k.clone()), canonical_by_display(&map[k]))
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(canonical_by_display).collect();
                format!("[{}]", items.join(","))
            }
            other => other.to_string(),
        }
    }

    fn tricky() -> Value {
        json!({
            "é": "ünïcödé \u{1F600} \u{7f} \u{0} \\ \" \n\t/",
            "Z": [0.1, 1e-7, 1.5e300, -0.0, 12345678901234567890u64, -9, true, false, null],
            "a": {"y": {}, "x": [], "": ""},
            "score": audit_score(0.912_345_7),
            "prev_hash": GENESIS_HASH,
        })
    }

    #[test]
    fn canonical_is_the_display_form() {
        let v = tricky();
        assert_eq!(canonical_json(&v), canonical_by_display(&v));
        assert_eq!(sha256_canonical(&v), hex(&Sha256::digest(canonical_by_display(&v))));
    }

    /// A screening record written straight from its entry is the record built as a `Value`
    /// (the form `verify_audit_log` reads back) and written by `record_line`, byte for byte:
    /// with and without key, item and date, no result or several, strings to escape, scores
    /// at the edges.
    #[test]
    fn screen_record_line_is_the_value_records_line() {
        let version = |source, id, sha: &str| VersionUsed {
            source,
            version_id: id,
            published: "2026-05-08".parse().unwrap(),
            sha256: sha.to_string(),
        };
        let entries = [
            AuditEntry {
                request_id: "req-1".into(),
                key_id: None,
                item: None,
                query_hash: "ab".repeat(32),
                as_of: None,
                versions: vec![],
                results: vec![],
            },
            AuditEntry {
                request_id: "ünï \"cödé\" \u{1F600}\n\t\u{0}\\/".into(),
                key_id: Some("ops \u{7f}".into()),
                item: Some(4_294_967_296),
                query_hash: String::new(),
                as_of: Some("2021-07".parse().unwrap()),
                versions: vec![version(Source::Un, 1, "00"), version(Source::Ofac, -7, "\"")],
                results: vec![
                    (Source::Un, "TAi.026".into(), 1.0),
                    (Source::Ofac, "12345".into(), 0.912_345_7),
                    (Source::Ofac, String::new(), 0.0),
                    (Source::Un, "x".into(), f32::MIN_POSITIVE),
                    (Source::Un, "nan".into(), f32::NAN),
                ],
            },
        ];
        for (i, e) in entries.iter().enumerate() {
            let (prev, seq, time) =
                ("prev \"hash\"", 1 + i as u64 * u64::MAX / 2, "2026-11-30T12:00:00Z");
            let rec = json!({
                "seq": seq,
                "time": time,
                "event": "screen",
                "request_id": e.request_id,
                "key_id": e.key_id,
                "item": e.item,
                "query_hash": e.query_hash,
                "as_of": e.as_of,
                "versions": e.versions.iter().map(|v| json!({
                    "source": v.source, "version_id": v.version_id,
                    "published": v.published, "sha256": v.sha256,
                })).collect::<Vec<_>>(),
                "algorithm": sanctions_engine::AlgorithmId::current(),
                "results": e.results.iter().map(|(s, r, score)| json!({
                    "source": s, "reference": r, "score": audit_score(*score),
                })).collect::<Vec<_>>(),
                "prev_hash": prev,
            });
            let Value::Object(map) = &rec else { unreachable!() };
            let (mut want, mut got) = (b"earlier\n".to_vec(), b"earlier\n".to_vec());
            let want_hash = record_line(prev, map, &mut want);
            let got_hash = screen_record_line(prev, seq, time, e, &mut got);
            assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap());
            assert_eq!(got_hash, want_hash);
            assert_eq!(got_hash, record_hash(prev, &rec));
        }
    }

    /// A record's line is its canonical JSON with its hash added, wherever `hash` sorts.
    #[test]
    fn record_line_inserts_the_hash_in_place() {
        let cases = [
            tricky(),
            json!({"event": "screen", "item": null, "seq": 1}),
            json!({"a": 1}),
            json!({"z": 1}),
            json!({"hasg": 1, "hasi": 2}),
            json!({}),
        ];
        for rec in cases {
            let Value::Object(map) = &rec else { unreachable!() };
            let mut out = b"earlier line\n".to_vec();
            let hash = record_line("prev", map, &mut out);
            assert_eq!(hash, record_hash("prev", &rec));
            let mut with = rec.clone();
            with["hash"] = Value::String(hash);
            let want = format!("earlier line\n{}\n", canonical_by_display(&with));
            assert_eq!(String::from_utf8(out).unwrap(), want, "{rec}");
        }
    }

    /// With a deferred sync the records are written before `append` returns (another reader
    /// sees them at once), the background thread syncs them, and the chain is the same.
    #[test]
    fn deferred_sync_writes_before_answering() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.jsonl");
        let log = AuditLog::open(&p).unwrap().with_sync_interval(Duration::from_millis(5)).unwrap();
        for i in 0..4 {
            assert_eq!(log.append(&[entry(i)]).unwrap(), i as u64 + 1);
            assert_eq!(verify_audit_log(&p).unwrap().records, i as u64 + 1, "written at once");
        }
        let d = Arc::clone(log.shared.deferred.get().unwrap());
        // Synced by the thread within a few intervals.
        let mut waited = 0;
        while d.dirty.load(Ordering::Acquire) && waited < 2000 {
            std::thread::sleep(Duration::from_millis(5));
            waited += 5;
        }
        assert!(!d.dirty.load(Ordering::Acquire), "not synced after {waited} ms");
        log.append(&[entry(4)]).unwrap();
        drop(log);
        assert!(!d.dirty.load(Ordering::Acquire), "dropping the log syncs what is left");
        assert!(d.closed.load(Ordering::Acquire));
        assert_eq!(verify_audit_log(&p).unwrap().records, 5);
    }

    /// Once the writer is gone, appends fail at once instead of waiting for ever.
    #[test]
    fn appends_fail_once_the_writer_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        let log = AuditLog::open(&p).unwrap();
        assert_eq!(log.append(&[entry(0)]).unwrap(), 1);
        // What the writer's panic guard does.
        lock(&log.shared.queue).closed = true;
        let e = log.append(&[entry(1)]).unwrap_err();
        assert!(e.to_string().contains("the audit writer stopped"), "{e}");
        drop(log);
        assert_eq!(verify_audit_log(&p).unwrap().records, 1);
    }

    #[test]
    fn chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        let log = AuditLog::open(&p).unwrap();
        assert_eq!(verify_audit_log(&p).unwrap().records, 0);
        for i in 0..3 {
            log.append(&[entry(i)]).unwrap();
        }
        log.append(&[entry(3), entry(4)]).unwrap();
        drop(log);
        // Reopening continues the chain.
        let log = AuditLog::open(&p).unwrap();
        log.append(&[entry(5)]).unwrap();
        let r = verify_audit_log(&p).unwrap();
        assert_eq!(r.records, 6);
        assert_eq!(r.head_hash.len(), 64);
        let good = lines(&p);
        assert!(good[0].contains(r#""score":0.9123"#), "{}", good[0]);

        // Edited: one byte of line 3.
        let mut l = good.clone();
        l[2] = l[2].replace("r2", "r9");
        write_lines(&p, &l);
        assert!(matches!(verify_audit_log(&p), Err(AuditError::HashMismatch { line: 3 })));

        // Deleted: line 2.
        let mut l = good.clone();
        l.remove(1);
        write_lines(&p, &l);
        let e = verify_audit_log(&p).unwrap_err();
        assert!(matches!(e, AuditError::ChainBroken { line: 2, .. }), "{e}");

        // Reordered: lines 4 and 5.
        let mut l = good.clone();
        l.swap(3, 4);
        write_lines(&p, &l);
        assert_eq!(verify_audit_log(&p).unwrap_err().line(), Some(4));

        // Inserted: a copy of line 1 after line 1.
        let mut l = good.clone();
        l.insert(1, good[0].clone());
        write_lines(&p, &l);
        assert_eq!(verify_audit_log(&p).unwrap_err().line(), Some(2));

        // Garbage and a partial last line.
        let mut l = good.clone();
        l[5] = "{not json".into();
        write_lines(&p, &l);
        assert!(matches!(verify_audit_log(&p), Err(AuditError::Malformed { line: 6, .. })));
        let mut text = good.join("\n");
        text.push('\n');
        text.push_str("{\"seq\":7");
        std::fs::write(&p, &text).unwrap();
        assert_eq!(verify_audit_log(&p).unwrap_err().line(), Some(7));
        assert!(AuditLog::open(&p).is_err(), "no appends after a partial record");
    }

    #[test]
    fn concurrent_appends_share_syncs_and_keep_the_chain() {
        concurrent_appends_keep_the_chain(None);
    }

    /// With a deferred sync each caller writes its own records under the tail's lock.
    #[test]
    fn concurrent_deferred_appends_keep_the_chain() {
        concurrent_appends_keep_the_chain(Some(Duration::from_millis(2)));
    }

    /// Tasks waiting for their records (both modes) get their own seq; the chain verifies.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_appends_keep_the_chain() {
        for sync_interval in [None, Some(Duration::from_millis(2))] {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("a.jsonl");
            let log = AuditLog::open(&p).unwrap();
            let log = Arc::new(match sync_interval {
                Some(i) => log.with_sync_interval(i).unwrap(),
                None => log,
            });
            let tasks: Vec<_> = (0..16)
                .map(|t| {
                    let log = log.clone();
                    tokio::spawn(async move {
                        let mut seqs = Vec::new();
                        for i in 0..20 {
                            seqs.push(log.append_async(vec![entry(t * 100 + i)]).await.unwrap());
                        }
                        seqs
                    })
                })
                .collect();
            let mut seqs = Vec::new();
            for t in tasks {
                let mine = t.await.unwrap();
                assert!(mine.windows(2).all(|w| w[0] < w[1]), "in order: {mine:?}");
                seqs.extend(mine);
            }
            seqs.sort_unstable();
            assert_eq!(seqs, (1..=320).collect::<Vec<u64>>(), "{sync_interval:?}");
            assert_eq!(log.append_async(vec![]).await.unwrap(), 320, "nothing to add");
            drop(log);
            assert_eq!(verify_audit_log(&p).unwrap().records, 320);
        }
    }

    fn concurrent_appends_keep_the_chain(sync_interval: Option<Duration>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        let log = AuditLog::open(&p).unwrap();
        let log = match sync_interval {
            Some(i) => log.with_sync_interval(i).unwrap(),
            None => log,
        };
        let log = Arc::new(log);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut seqs = Vec::new();
                    for i in 0..50 {
                        let batch = [entry(t * 100 + i), entry(t * 100 + i + 50)];
                        seqs.push(log.append(&batch).unwrap());
                    }
                    seqs
                })
            })
            .collect();
        let mut seqs: Vec<u64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(seqs.len(), 400, "each append gets the seq of its own last record");
        assert!(seqs.iter().all(|s| s % 2 == 0 && *s <= 800), "{seqs:?}");
        assert_eq!(verify_audit_log(&p).unwrap().records, 800);
        // A request's records stay together and in order.
        let l = lines(&p);
        for pair in l.chunks(2) {
            let a: Value = serde_json::from_str(&pair[0]).unwrap();
            let b: Value = serde_json::from_str(&pair[1]).unwrap();
            let id = |v: &Value| v["request_id"].as_str().unwrap()[1..].parse::<usize>().unwrap();
            assert_eq!(id(&a) + 50, id(&b));
        }
    }

    #[test]
    fn two_writers_keep_one_chain() {
        // The server and the command line append to the same file, each with its own handle.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        let server = AuditLog::open(&p).unwrap();
        server.append(&[entry(0)]).unwrap();
        let event = |i: usize| AuditEvent {
            event: "exemption_added",
            actor: "cli:analyst".into(),
            request_id: None,
            detail: json!({ "exemption": { "id": i } }),
        };
        assert_eq!(append_audit_event(&p, event(1)).unwrap(), 2);
        assert_eq!(server.append(&[entry(2)]).unwrap(), 3, "the server re-reads the end");
        let cli = AuditLog::open(&p).unwrap();
        assert_eq!(cli.append_event(event(3)).unwrap(), 4);
        assert_eq!(server.append_event(event(4)).unwrap(), 5);
        let r = verify_audit_log(&p).unwrap();
        assert_eq!(r.records, 5);
        let l = lines(&p);
        assert!(l[0].contains(r#""event":"screen""#), "{}", l[0]);
        assert!(l[1].contains(r#""actor":"cli:analyst""#), "{}", l[1]);
        assert!(l[1].contains(r#""event":"exemption_added""#), "{}", l[1]);
    }
}

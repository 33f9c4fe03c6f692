//! Monitoring of a customer base: customers, runs, alerts and decisions.
//!
//! Customers are registered with the words of their names (tokenised by the caller), so that a
//! changed list entry can find the customers it may hit without reading every customer. A
//! monitoring run is computed by the engine and recorded here with [`Store::record_monitor_run`]
//! in one transaction: the alerts it raises, re-opens, updates, suppresses and closes, the list
//! versions it covered and its counts. A decision ([`Store::decide`]) is one transaction too.
//!
//! Alert states: `open`; `false_positive` and `true_match` (decided); `delisted` (the entry left
//! the list); `cleared` (the entry or the customer changed and no longer match). A decided
//! (customer, entry) pair stays quiet while the entry's content is unchanged; when it changes
//! (ignoring fields that the list format added or dropped), a new alert re-opens it with the
//! field-level change since the decided revision.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use sanctions_model::diff::{FieldChange, entity_changes};
use sanctions_model::{Entity, Source};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::rows::{parse_entity, parse_source};
use crate::store::Store;

/// A customer to monitor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's own id (unique; registering it again updates it).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Date of birth as given (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Nationality (country name or ISO code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    /// Kind (`person`, `organization`, `vessel`, `aircraft`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Document numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
}

/// What registering customers did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CustomerUpsert {
    /// New customers.
    pub added: usize,
    /// Known customers whose data changed (screened again at the next run).
    pub updated: usize,
    /// Known customers given again with the same data.
    pub unchanged: usize,
}

/// Whether a run screened everything or only what changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Every customer against every entry.
    Full,
    /// Changed entries against the customers they may hit, and new or changed customers
    /// against every entry.
    Delta,
}

impl RunMode {
    fn as_str(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Delta => "delta",
        }
    }
}

/// One list version a run covered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunVersion {
    /// The list.
    pub source: Source,
    /// Store id of the version.
    pub version_id: i64,
}

/// Counts of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunSummary {
    /// Customers registered.
    pub customers: usize,
    /// Customers screened against every entry (all in a full run; new or changed ones in a
    /// delta run).
    pub customers_screened: usize,
    /// Customers whose name words may reach a changed entry, bounded against it before any
    /// screening (delta run; 0 in runs recorded before this count existed, by the summary's
    /// `serde(default)`).
    pub customers_bounded: usize,
    /// Customers re-scored against the changed entries only (delta run).
    pub customers_rescored: usize,
    /// Entries added or amended since the previous run (delta run).
    pub entries_changed: usize,
    /// Entries removed since the previous run (delta run).
    pub entries_removed: usize,
    /// Hits found at or above the threshold.
    pub hits: usize,
    /// New alerts.
    pub raised: usize,
    /// New alerts re-raising a decided pair whose entry changed.
    pub reopened: usize,
    /// Open alerts whose score or entry revision moved.
    pub updated: usize,
    /// Hits on a decided pair whose entry did not change (no alert).
    pub suppressed: usize,
    /// Open alerts closed because the entry or customer no longer match.
    pub cleared: usize,
    /// Open alerts closed because the entry left the list.
    pub delisted: usize,
    /// Open alerts after the run.
    pub open: usize,
    /// Wall time of the run in milliseconds (screening and recording).
    pub elapsed_ms: u64,
}

/// A hit of one customer on one list entry, as a run found it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertHit {
    /// Customer id.
    pub customer_id: String,
    /// The list.
    pub source: Source,
    /// The entry's stable id.
    pub source_id: String,
    /// The entry's reference.
    pub reference: String,
    /// The entry's primary name.
    pub entry_name: String,
    /// Score in [0, 1].
    pub score: f32,
    /// The list version screened.
    pub version_id: i64,
    /// Content hash of the entry's revision.
    pub content_hash: String,
    /// The explanation, as JSON.
    pub explanation: String,
}

/// A run to record: what it screened and what it found.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// Full or delta.
    pub mode: RunMode,
    /// Algorithm id (`sanctions-name/1`).
    pub algorithm: String,
    /// Threshold applied.
    pub threshold: f32,
    /// The list versions covered (one per list).
    pub versions: Vec<RunVersion>,
    /// Delta runs: customers screened against every entry.
    pub screened_customers: Vec<String>,
    /// Delta runs: entries (list, source id) added or amended, screened against every
    /// customer they may hit.
    pub changed_entries: Vec<(Source, String)>,
    /// Delta runs: entries removed since the previous run.
    pub removed_entries: Vec<(Source, String)>,
    /// Every hit found within what was screened.
    pub hits: Vec<AlertHit>,
    /// Screening counts (the alert counts are filled in by the store).
    pub summary: RunSummary,
    /// The words of every customer as of this run, for the next delta run.
    pub customer_index: CustomerIndexUpdate,
}

/// What a monitoring run does with the saved [`crate::CustomerIndex`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CustomerIndexUpdate {
    /// Nothing: the saved index (if any) belongs to an older run, and the next delta run
    /// rebuilds it from the customer tables.
    #[default]
    None,
    /// The saved index (that of the previous run, which [`Store::saved_customer_index`]
    /// returned) still holds every customer: it now belongs to this run as it is, without
    /// being written again.
    Keep,
    /// Save this index with the run.
    Save(crate::CustomerIndex),
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonitorRun {
    /// Run id.
    pub id: i64,
    /// Start time (RFC 3339, UTC).
    pub started_at: String,
    /// End time (RFC 3339, UTC).
    pub finished_at: String,
    /// Full or delta.
    pub mode: RunMode,
    /// Algorithm id.
    pub algorithm: String,
    /// Threshold applied.
    pub threshold: f32,
    /// The list versions covered.
    pub versions: Vec<RunVersion>,
    /// Counts.
    pub summary: RunSummary,
}

/// An analyst's decision on an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Decision id.
    pub id: i64,
    /// The alert.
    pub alert_id: i64,
    /// `false_positive` or `true_match`.
    pub verdict: Verdict,
    /// Why.
    pub reason: String,
    /// Who.
    pub decided_by: String,
    /// When (RFC 3339, UTC).
    pub decided_at: String,
    /// The entry revision decided on.
    pub content_hash: String,
}

/// A decision's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not the listed party: quiet until the entry changes.
    FalsePositive,
    /// The listed party.
    TrueMatch,
}

impl Verdict {
    /// `false_positive` or `true_match`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::FalsePositive => "false_positive",
            Verdict::TrueMatch => "true_match",
        }
    }

    fn parse(s: &str) -> Verdict {
        if s == "true_match" { Verdict::TrueMatch } else { Verdict::FalsePositive }
    }
}

/// One alert with its decisions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Alert id.
    pub id: i64,
    /// Customer id.
    pub customer_id: String,
    /// Customer name (as registered now).
    pub customer_name: Option<String>,
    /// The list.
    pub source: Source,
    /// The entry's stable id.
    pub source_id: String,
    /// The entry's reference.
    pub reference: String,
    /// The entry's primary name.
    pub entry_name: String,
    /// Score in [0, 1].
    pub score: f32,
    /// The list version of the last screening that hit.
    pub version_id: i64,
    /// Content hash of the entry revision that hit.
    pub content_hash: String,
    /// Why it matched.
    pub explanation: serde_json::Value,
    /// `open`, `false_positive`, `true_match`, `delisted` or `cleared`.
    pub status: String,
    /// For a re-raised alert: what changed in the entry since the decided revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<FieldChange>>,
    /// For a re-raised alert: the decided alert it re-raises.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopens: Option<i64>,
    /// The run that raised it.
    pub opened_run: i64,
    /// The run that closed it (delisted, cleared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_run: Option<i64>,
    /// Created (RFC 3339, UTC).
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Decisions, oldest first (including those on the alerts it re-raises).
    pub decisions: Vec<Decision>,
}

/// What [`Store::decide`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum DecideOutcome {
    /// Recorded.
    Decided(Box<Alert>),
    /// No alert with this id.
    NotFound,
    /// The alert is closed (`delisted` or `cleared`): nothing to decide.
    Closed(Box<Alert>),
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

const ALERT_COLUMNS: &str = "a.id, a.customer_id, c.name, a.source, a.source_id, a.reference, \
     a.entry_name, a.score, a.version_id, a.content_hash, a.explanation, a.status, a.changes, \
     a.reopens, a.opened_run, a.closed_run, a.created_at, a.updated_at";

fn read_alert(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Alert, String, String, Option<String>)> {
    let source: String = r.get(3)?;
    let explanation: String = r.get(10)?;
    let changes: Option<String> = r.get(12)?;
    Ok((
        Alert {
            id: r.get(0)?,
            customer_id: r.get(1)?,
            customer_name: r.get(2)?,
            source: Source::Un,
            source_id: r.get(4)?,
            reference: r.get(5)?,
            entry_name: r.get(6)?,
            score: r.get::<_, f64>(7)? as f32,
            version_id: r.get(8)?,
            content_hash: r.get(9)?,
            explanation: serde_json::Value::Null,
            status: r.get(11)?,
            changes: None,
            reopens: r.get(13)?,
            opened_run: r.get(14)?,
            closed_run: r.get(15)?,
            created_at: r.get(16)?,
            updated_at: r.get(17)?,
            decisions: Vec::new(),
        },
        source,
        explanation,
        changes,
    ))
}

fn finish_alert(raw: (Alert, String, String, Option<String>)) -> Result<Alert> {
    let (mut a, source, explanation, changes) = raw;
    a.source = parse_source("alert", a.id, &source)?;
    a.explanation = serde_json::from_str(&explanation).map_err(|error| {
        crate::Error::CorruptJson { table: "alert", column: "explanation", id: a.id, error }
    })?;
    a.changes = changes.map(|c| serde_json::from_str(&c)).transpose().map_err(|error| {
        crate::Error::CorruptJson { table: "alert", column: "changes", id: a.id, error }
    })?;
    Ok(a)
}

/// The latest alert of a pair, briefly.
struct PairState {
    id: i64,
    status: String,
    content_hash: String,
    score: f32,
    version_id: i64,
}

/// The changes between two revisions of an entry that are not a change of the list's
/// format: changes in `extra` fields that one of the two revisions lacks entirely (the UN
/// added `HAS_INTERPOL_LINK` to every entry in 2026) are left out.
pub fn significant_changes(before: &Entity, after: &Entity) -> Vec<FieldChange> {
    entity_changes(before, after)
        .into_iter()
        .filter(|c| match c.field.strip_prefix("extra.") {
            Some(key) => before.extra.contains_key(key) && after.extra.contains_key(key),
            None => true,
        })
        .collect()
}

fn revision_by_hash(
    tx: &Transaction<'_>,
    source: Source,
    source_id: &str,
    hash: &str,
) -> Result<Option<Entity>> {
    let row: Option<(i64, String)> = tx
        .prepare_cached(
            "SELECT id, json FROM revision WHERE source = ?1 AND source_id = ?2 AND content_hash = ?3",
        )?
        .query_row(params![source.as_str(), source_id, hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(id, json)| parse_entity(id, &json)).transpose()
}

impl Store {
    /// Registers customers (a new id is added, a known id updated) with the words of their
    /// names, in one transaction. `customers` pairs each customer with its name's words.
    pub fn upsert_customers(
        &mut self,
        customers: &[(Customer, Vec<String>)],
    ) -> Result<CustomerUpsert> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = CustomerUpsert::default();
        let mut words: HashMap<String, i64> = {
            let mut st = tx.prepare("SELECT text, id FROM customer_word")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
        };
        {
            let mut find = tx.prepare_cached(
                "SELECT rowid, name, birth_date, nationality, kind, identifiers FROM customer WHERE id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                &format!("INSERT INTO customer (id, name, birth_date, nationality, kind, identifiers, added_at, updated_at, pending) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW}, {NOW}, 1) RETURNING rowid"),
            )?;
            let mut update = tx.prepare_cached(&format!(
                "UPDATE customer SET name = ?2, birth_date = ?3, nationality = ?4, kind = ?5, \
                 identifiers = ?6, updated_at = {NOW}, pending = 1 WHERE rowid = ?1"
            ))?;
            let mut unlink =
                tx.prepare_cached("DELETE FROM customer_word_link WHERE customer = ?1")?;
            let mut new_word =
                tx.prepare_cached("INSERT INTO customer_word (text) VALUES (?1) RETURNING id")?;
            let mut link = tx.prepare_cached(
                "INSERT OR IGNORE INTO customer_word_link (word_id, customer) VALUES (?1, ?2)",
            )?;
            for (c, name_words) in customers {
                let ids = serde_json::to_string(&c.identifiers).expect("strings serialize");
                type Row = (i64, String, Option<String>, Option<String>, Option<String>, String);
                let found: Option<Row> = find
                    .query_row([&c.id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                    })
                    .optional()?;
                let rowid = match found {
                    Some((rowid, name, dob, nat, kind, idents)) => {
                        if name == c.name
                            && dob == c.birth_date
                            && nat == c.nationality
                            && kind == c.kind
                            && idents == ids
                        {
                            out.unchanged += 1;
                            continue;
                        }
                        update.execute(params![
                            rowid,
                            c.name,
                            c.birth_date,
                            c.nationality,
                            c.kind,
                            ids
                        ])?;
                        unlink.execute([rowid])?;
                        out.updated += 1;
                        rowid
                    }
                    None => {
                        out.added += 1;
                        insert.query_row(
                            params![c.id, c.name, c.birth_date, c.nationality, c.kind, ids],
                            |r| r.get::<_, i64>(0),
                        )?
                    }
                };
                for w in name_words {
                    let wid = match words.get(w) {
                        Some(&id) => id,
                        None => {
                            let id: i64 = new_word.query_row([w], |r| r.get(0))?;
                            words.insert(w.clone(), id);
                            id
                        }
                    };
                    link.execute(params![wid, rowid])?;
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// How many customers are registered.
    pub fn customer_count(&self) -> Result<usize> {
        Ok(self.conn.query_row("SELECT count(*) FROM customer", [], |r| r.get::<_, i64>(0))?
            as usize)
    }

    pub(crate) fn read_customers(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Customer>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query(params)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(customer_from_row(r, 0)?);
        }
        Ok(out)
    }

    /// Every customer, or only those added or changed since the last run.
    pub fn customers(&self, pending_only: bool) -> Result<Vec<Customer>> {
        self.read_customers(
            if pending_only {
                // Through the partial index `customer_pending`: no scan of every customer.
                "SELECT id, name, birth_date, nationality, kind, identifiers FROM customer \
                 WHERE pending = 1 ORDER BY rowid"
            } else {
                "SELECT id, name, birth_date, nationality, kind, identifiers FROM customer \
                 ORDER BY rowid"
            },
            [],
        )
    }

    /// The distinct words of all customers' names, with their ids.
    pub fn customer_words(&self) -> Result<Vec<(i64, String)>> {
        let mut st = self.conn.prepare_cached("SELECT id, text FROM customer_word")?;
        Ok(st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?)
    }

    /// The customers with these ids (unknown ids are skipped), in rowid order.
    pub fn customers_by_id(&self, ids: &[String]) -> Result<Vec<Customer>> {
        let mut rowids: Vec<i64> = Vec::with_capacity(ids.len());
        let mut st = self.conn.prepare_cached("SELECT rowid FROM customer WHERE id = ?1")?;
        for id in ids {
            if let Some(r) = st.query_row([id], |r| r.get(0)).optional()? {
                rowids.push(r);
            }
        }
        self.customers_by_rowid(&rowids)
    }

    /// The customers with an alert (in any state) on any of these entries.
    pub fn customers_alerted_on(&self, entries: &[(Source, String)]) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT DISTINCT customer_id FROM alert WHERE source = ?1 AND source_id = ?2",
        )?;
        let mut out = Vec::new();
        for (s, id) in entries {
            let rows = st.query_map(params![s.as_str(), id], |r| r.get::<_, String>(0))?;
            for r in rows {
                out.push(r?);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The most recent monitoring run.
    pub fn last_monitor_run(&self) -> Result<Option<MonitorRun>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, started_at, finished_at, mode, algorithm, threshold, versions, summary \
                 FROM monitor_run ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, f64>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, started_at, finished_at, mode, algorithm, threshold, versions, summary)) =
            row
        else {
            return Ok(None);
        };
        let json_err = |column: &'static str| {
            move |error| crate::Error::CorruptJson { table: "monitor_run", column, id, error }
        };
        Ok(Some(MonitorRun {
            id,
            started_at,
            finished_at,
            mode: if mode == "full" { RunMode::Full } else { RunMode::Delta },
            algorithm,
            threshold: threshold as f32,
            versions: serde_json::from_str(&versions).map_err(json_err("versions"))?,
            summary: serde_json::from_str(&summary).map_err(json_err("summary"))?,
        }))
    }

    /// Records a run and applies its hits to the alerts, in one transaction; returns the run
    /// with its final counts.
    ///
    /// For each hit: a pair without a live alert gets a new `open` alert; an open alert is
    /// updated; a decided pair stays quiet while its entry's content is unchanged, else a new
    /// alert re-raises it with the change. Open alerts within what the run screened (every
    /// pair in a full run; the screened customers and changed entries in a delta run) that
    /// were not hit are closed: `delisted` when the entry is no longer in the list version
    /// covered, else `cleared`.
    pub fn record_monitor_run(&mut self, run: RunRecord) -> Result<MonitorRun> {
        let start = std::time::Instant::now();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let versions_json = serde_json::to_string(&run.versions).expect("versions serialize");
        let run_id: i64 = tx.query_row(
            &format!(
                "INSERT INTO monitor_run (started_at, finished_at, mode, algorithm, threshold, versions, summary) \
                 VALUES ({NOW}, {NOW}, ?1, ?2, ?3, ?4, '{{}}') RETURNING id"
            ),
            params![run.mode.as_str(), run.algorithm, run.threshold as f64, versions_json],
            |r| r.get(0),
        )?;
        let mut summary = run.summary.clone();
        summary.hits = run.hits.len();
        let mut hit_pairs: HashSet<(&str, Source, &str)> = HashSet::with_capacity(run.hits.len());
        {
            let mut latest = tx.prepare_cached(
                "SELECT id, status, content_hash, score, version_id FROM alert \
                 WHERE customer_id = ?1 AND source = ?2 AND source_id = ?3 ORDER BY id DESC LIMIT 1",
            )?;
            let mut decided_hash = tx.prepare_cached(
                "SELECT content_hash FROM decision WHERE alert_id = ?1 ORDER BY id DESC LIMIT 1",
            )?;
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO alert (customer_id, source, source_id, reference, entry_name, score, \
                 version_id, content_hash, explanation, status, changes, reopens, opened_run, \
                 created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10, ?11, ?12, {NOW}, {NOW})"
            ))?;
            let mut update = tx.prepare_cached(&format!(
                "UPDATE alert SET reference = ?2, entry_name = ?3, score = ?4, version_id = ?5, \
                 content_hash = ?6, explanation = ?7, updated_at = {NOW} WHERE id = ?1"
            ))?;
            for h in &run.hits {
                hit_pairs.insert((&h.customer_id, h.source, &h.source_id));
                let state: Option<PairState> = latest
                    .query_row(params![h.customer_id, h.source.as_str(), h.source_id], |r| {
                        Ok(PairState {
                            id: r.get(0)?,
                            status: r.get(1)?,
                            content_hash: r.get(2)?,
                            score: r.get::<_, f64>(3)? as f32,
                            version_id: r.get(4)?,
                        })
                    })
                    .optional()?;
                let mut insert_alert = |changes: Option<String>, reopens: Option<i64>| {
                    insert.execute(params![
                        h.customer_id,
                        h.source.as_str(),
                        h.source_id,
                        h.reference,
                        h.entry_name,
                        h.score as f64,
                        h.version_id,
                        h.content_hash,
                        h.explanation,
                        changes,
                        reopens,
                        run_id
                    ])
                };
                match state {
                    None => {
                        insert_alert(None, None)?;
                        summary.raised += 1;
                    }
                    Some(s) if s.status == "delisted" || s.status == "cleared" => {
                        insert_alert(None, None)?;
                        summary.raised += 1;
                    }
                    Some(s) if s.status == "open" => {
                        if s.content_hash != h.content_hash
                            || s.version_id != h.version_id
                            || (s.score - h.score).abs() > 1e-6
                        {
                            update.execute(params![
                                s.id,
                                h.reference,
                                h.entry_name,
                                h.score as f64,
                                h.version_id,
                                h.content_hash,
                                h.explanation
                            ])?;
                            summary.updated += 1;
                        }
                    }
                    Some(s) => {
                        // Decided: compare the decided revision with the one hit now.
                        let decided: String = decided_hash
                            .query_row([s.id], |r| r.get(0))
                            .optional()?
                            .unwrap_or(s.content_hash);
                        if decided == h.content_hash {
                            summary.suppressed += 1;
                            continue;
                        }
                        let before = revision_by_hash(&tx, h.source, &h.source_id, &decided)?;
                        let after = revision_by_hash(&tx, h.source, &h.source_id, &h.content_hash)?;
                        let changes = match (before, after) {
                            (Some(b), Some(a)) => significant_changes(&b, &a),
                            // A revision we cannot read back: report it changed.
                            _ => vec![FieldChange {
                                field: "content_hash".into(),
                                removed: vec![decided.clone()],
                                added: vec![h.content_hash.clone()],
                            }],
                        };
                        if changes.is_empty() {
                            summary.suppressed += 1;
                            continue;
                        }
                        let json = serde_json::to_string(&changes).expect("changes serialize");
                        insert_alert(Some(json), Some(s.id))?;
                        summary.reopened += 1;
                    }
                }
            }
        }
        // Close the open alerts within scope that were not hit.
        let in_version: HashMap<Source, i64> =
            run.versions.iter().map(|v| (v.source, v.version_id)).collect();
        let screened: HashSet<&str> = run.screened_customers.iter().map(String::as_str).collect();
        let changed: HashSet<(Source, &str)> =
            run.changed_entries.iter().map(|(s, id)| (*s, id.as_str())).collect();
        let removed: HashSet<(Source, &str)> =
            run.removed_entries.iter().map(|(s, id)| (*s, id.as_str())).collect();
        let open: Vec<(i64, String, String, String)> = {
            let mut st = tx.prepare_cached(
                "SELECT id, customer_id, source, source_id FROM alert WHERE status = 'open'",
            )?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        {
            let mut close = tx.prepare_cached(&format!(
                "UPDATE alert SET status = ?2, closed_run = ?3, updated_at = {NOW} WHERE id = ?1"
            ))?;
            let mut listed = tx.prepare_cached(
                "SELECT 1 FROM revision r JOIN version_entry e ON e.revision_id = r.id \
                 AND e.version_id = ?3 WHERE r.source = ?1 AND r.source_id = ?2 LIMIT 1",
            )?;
            for (id, customer, source, source_id) in &open {
                let source = parse_source("alert", *id, source)?;
                let key = (source, source_id.as_str());
                if hit_pairs.contains(&(customer.as_str(), source, source_id.as_str())) {
                    continue;
                }
                let in_scope = run.mode == RunMode::Full
                    || screened.contains(customer.as_str())
                    || changed.contains(&key)
                    || removed.contains(&key);
                if !in_scope {
                    continue;
                }
                let still_listed = match in_version.get(&source) {
                    Some(&v) => listed.exists(params![source.as_str(), source_id, v])?,
                    None => false,
                };
                if still_listed {
                    close.execute(params![id, "cleared", run_id])?;
                    summary.cleared += 1;
                } else {
                    close.execute(params![id, "delisted", run_id])?;
                    summary.delisted += 1;
                }
            }
        }
        match run.mode {
            RunMode::Full => {
                tx.execute("UPDATE customer SET pending = 0 WHERE pending = 1", [])?;
            }
            RunMode::Delta => {
                let mut st = tx.prepare_cached("UPDATE customer SET pending = 0 WHERE id = ?1")?;
                for c in &run.screened_customers {
                    st.execute([c])?;
                }
            }
        }
        match &run.customer_index {
            CustomerIndexUpdate::None => {}
            CustomerIndexUpdate::Keep => Store::keep_customer_index(&tx, run_id)?,
            CustomerIndexUpdate::Save(ix) => {
                // A full run marks every customer screened, also one registered while it ran,
                // which its index lacks: then the index is not saved (the next delta run
                // rebuilds it from the customer tables).
                let complete = run.mode == RunMode::Delta || {
                    let settled: i64 =
                        tx.query_row("SELECT count(*) FROM customer WHERE pending = 0", [], |r| {
                            r.get(0)
                        })?;
                    settled as usize == ix.len()
                };
                if complete {
                    Store::save_customer_index(&tx, run_id, ix)?;
                }
            }
        }
        summary.open =
            tx.query_row("SELECT count(*) FROM alert WHERE status = 'open'", [], |r| {
                r.get::<_, i64>(0)
            })? as usize;
        summary.elapsed_ms += start.elapsed().as_millis() as u64;
        let summary_json = serde_json::to_string(&summary).expect("summary serializes");
        tx.execute(
            &format!("UPDATE monitor_run SET summary = ?2, finished_at = {NOW} WHERE id = ?1"),
            params![run_id, summary_json],
        )?;
        tx.commit()?;
        Ok(self.last_monitor_run()?.expect("the run was just recorded"))
    }

    fn decisions_of(&self, alert: &Alert) -> Result<Vec<Decision>> {
        // The alert's own decisions and those of the alerts it re-raises.
        let mut ids = vec![alert.id];
        let mut next = alert.reopens;
        while let Some(id) = next {
            if ids.contains(&id) {
                break;
            }
            ids.push(id);
            next = self
                .conn
                .prepare_cached("SELECT reopens FROM alert WHERE id = ?1")?
                .query_row([id], |r| r.get::<_, Option<i64>>(0))
                .optional()?
                .flatten();
        }
        let mut st = self.conn.prepare_cached(
            "SELECT id, alert_id, verdict, reason, decided_by, decided_at, content_hash \
             FROM decision WHERE alert_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::new();
        for id in ids {
            let rows = st.query_map([id], |r| {
                Ok(Decision {
                    id: r.get(0)?,
                    alert_id: r.get(1)?,
                    verdict: Verdict::parse(&r.get::<_, String>(2)?),
                    reason: r.get(3)?,
                    decided_by: r.get(4)?,
                    decided_at: r.get(5)?,
                    content_hash: r.get(6)?,
                })
            })?;
            for d in rows {
                out.push(d?);
            }
        }
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    /// Alerts (only the open ones if `open_only`), newest first, with their decisions.
    pub fn alerts(&self, open_only: bool) -> Result<Vec<Alert>> {
        let raw = {
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS} FROM alert a LEFT JOIN customer c ON c.id = a.customer_id \
                 WHERE ?1 = 0 OR a.status = 'open' ORDER BY a.id DESC"
            ))?;
            st.query_map([open_only as i64], read_alert)?.collect::<rusqlite::Result<Vec<_>>>()?
        };
        let mut out = Vec::with_capacity(raw.len());
        for r in raw {
            let mut a = finish_alert(r)?;
            a.decisions = self.decisions_of(&a)?;
            out.push(a);
        }
        Ok(out)
    }

    /// One alert with its decisions.
    pub fn alert(&self, id: i64) -> Result<Option<Alert>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ALERT_COLUMNS} FROM alert a LEFT JOIN customer c ON c.id = a.customer_id \
                 WHERE a.id = ?1"
            ))?
            .query_row([id], read_alert)
            .optional()?;
        let Some(raw) = raw else { return Ok(None) };
        let mut a = finish_alert(raw)?;
        a.decisions = self.decisions_of(&a)?;
        Ok(Some(a))
    }

    /// Records a decision on an open or decided alert, in one transaction. A false positive
    /// keeps the (customer, entry) pair quiet until the entry's content changes.
    pub fn decide(
        &mut self,
        alert_id: i64,
        verdict: Verdict,
        reason: &str,
        decided_by: &str,
    ) -> Result<DecideOutcome> {
        let Some(alert) = self.alert(alert_id)? else { return Ok(DecideOutcome::NotFound) };
        if alert.status == "delisted" || alert.status == "cleared" {
            return Ok(DecideOutcome::Closed(Box::new(alert)));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            &format!(
                "INSERT INTO decision (alert_id, verdict, reason, decided_by, decided_at, content_hash) \
                 VALUES (?1, ?2, ?3, ?4, {NOW}, ?5)"
            ),
            params![alert_id, verdict.as_str(), reason, decided_by, alert.content_hash],
        )?;
        tx.execute(
            &format!("UPDATE alert SET status = ?2, updated_at = {NOW} WHERE id = ?1"),
            params![alert_id, verdict.as_str()],
        )?;
        tx.commit()?;
        let alert = self.alert(alert_id)?.expect("the alert exists");
        Ok(DecideOutcome::Decided(Box::new(alert)))
    }
}

/// A customer from the columns id, name, birth_date, nationality, kind, identifiers of `r`,
/// starting at column `at`.
pub(crate) fn customer_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Customer> {
    let idents: String = r.get(at + 5)?;
    Ok(Customer {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        birth_date: r.get(at + 2)?,
        nationality: r.get(at + 3)?,
        kind: r.get(at + 4)?,
        identifiers: serde_json::from_str(&idents).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImportRequest;
    use sanctions_model::{EntityKind, Name, NameQuality, PartialDate};

    fn entity(id: &str, name: &str) -> Entity {
        let mut e = Entity::new(Source::Un, id, format!("QDi.{id}"), EntityKind::Person);
        e.names.push(Name::new(name, NameQuality::Primary));
        e
    }

    fn customer(id: &str, name: &str) -> (Customer, Vec<String>) {
        let c = Customer { id: id.into(), name: name.into(), ..Default::default() };
        let words = name.to_lowercase().split_whitespace().map(String::from).collect();
        (c, words)
    }

    fn hit(store: &Store, customer: &str, e: &Entity, version_id: i64) -> AlertHit {
        let _ = store;
        AlertHit {
            customer_id: customer.into(),
            source: e.source,
            source_id: e.source_id.clone(),
            reference: e.reference.clone(),
            entry_name: e.primary_name().into(),
            score: 0.9,
            version_id,
            content_hash: e.content_hash(),
            explanation: "{}".into(),
        }
    }

    fn run(mode: RunMode, version_id: i64, hits: Vec<AlertHit>) -> RunRecord {
        RunRecord {
            mode,
            algorithm: "test/1".into(),
            threshold: 0.8,
            versions: vec![RunVersion { source: Source::Un, version_id }],
            screened_customers: Vec::new(),
            changed_entries: Vec::new(),
            removed_entries: Vec::new(),
            hits,
            summary: RunSummary::default(),
            customer_index: CustomerIndexUpdate::None,
        }
    }

    fn import(store: &mut Store, day: u8, entities: &[Entity]) -> i64 {
        let published = PartialDate::ymd(2026, 5, day).unwrap();
        let sha = format!("sha{day}");
        let mut req = ImportRequest::new(Source::Un, published, sha, entities);
        req.force = true;
        store.import(req).unwrap().version().id
    }

    /// A run saves the customer index, keeps it (nobody changed since), or leaves it to be
    /// rebuilt; pending customers are found through the partial index.
    #[test]
    fn the_customer_index_is_saved_kept_or_dropped() {
        let mut s = Store::open_in_memory().unwrap();
        let v = import(&mut s, 1, &[entity("1", "Amir Khan Muttaqi")]);
        s.upsert_customers(&[customer("c1", "John Smith"), customer("c2", "Ann Lee")]).unwrap();
        assert_eq!(s.customers(true).unwrap().len(), 2);
        assert_eq!(s.saved_customer_index().unwrap(), None, "no run yet");
        let ix = s.customer_index_rows(false).unwrap();
        let mut r = run(RunMode::Full, v, Vec::new());
        r.customer_index = CustomerIndexUpdate::Save(ix.clone());
        s.record_monitor_run(r).unwrap();
        assert!(s.customers(true).unwrap().is_empty());
        assert_eq!(s.customers(false).unwrap().len(), 2);
        assert_eq!(s.saved_customer_index().unwrap().as_ref(), Some(&ix));
        let mut r = run(RunMode::Delta, v, Vec::new());
        r.customer_index = CustomerIndexUpdate::Keep;
        s.record_monitor_run(r).unwrap();
        assert_eq!(s.saved_customer_index().unwrap().as_ref(), Some(&ix), "kept for the new run");
        s.upsert_customers(&[customer("c3", "Mary Jones")]).unwrap();
        assert_eq!(s.customers(true).unwrap()[0].id, "c3");
        assert_eq!(s.customer_index_rows(true).unwrap().len(), 1);
        s.record_monitor_run(run(RunMode::Delta, v, Vec::new())).unwrap();
        assert_eq!(s.saved_customer_index().unwrap(), None, "an older run's index is not used");
        // A full run whose index lacks a customer registered while it ran saves no index.
        let mut r = run(RunMode::Full, v, Vec::new());
        r.customer_index = CustomerIndexUpdate::Save(ix.clone());
        s.record_monitor_run(r).unwrap();
        assert_eq!(s.saved_customer_index().unwrap(), None, "c3 is not in it");
        let all = s.customer_index_rows(false).unwrap();
        let mut r = run(RunMode::Full, v, Vec::new());
        r.customer_index = CustomerIndexUpdate::Save(all.clone());
        s.record_monitor_run(r).unwrap();
        assert_eq!(s.saved_customer_index().unwrap(), Some(all));
    }

    #[test]
    fn customers_are_added_updated_and_found_by_word() {
        let mut s = Store::open_in_memory().unwrap();
        let r =
            s.upsert_customers(&[customer("c1", "John Smith"), customer("c2", "Ann Lee")]).unwrap();
        assert_eq!((r.added, r.updated, r.unchanged), (2, 0, 0));
        let r = s
            .upsert_customers(&[customer("c1", "John Smith"), customer("c2", "Ann Leigh")])
            .unwrap();
        assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 1));
        assert_eq!(s.customer_count().unwrap(), 2);
        let words = s.customer_words().unwrap();
        let id = |t: &str| words.iter().find(|(_, w)| w == t).unwrap().0 as u32;
        let ix = s.customer_index_rows(false).unwrap();
        let holding = |w: u32| -> Vec<i64> {
            (0..ix.len()).filter(|&i| ix.words_of(i).contains(&w)).map(|i| ix.rowids[i]).collect()
        };
        let found = s.customers_by_rowid(&holding(id("leigh"))).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "Ann Leigh");
        // The old word no longer links to the updated customer.
        assert!(holding(id("lee")).is_empty());
        // In rowid order, each once, unknown rowids skipped.
        let all: Vec<i64> = ix.rowids.iter().rev().chain(&ix.rowids).copied().collect();
        let at = s.customers_at(&[&all[..], &[-5, 999_999]].concat()).unwrap();
        let got: Vec<(i64, &str)> = at.iter().map(|(r, c)| (*r, c.id.as_str())).collect();
        assert_eq!(got, [(ix.rowids[0], "c1"), (ix.rowids[1], "c2")]);
        assert!(s.customers_at(&[]).unwrap().is_empty());
        let by_id = s.customers_by_id(&["c2".into(), "nobody".into()]).unwrap();
        assert_eq!(by_id.len(), 1);
        assert_eq!(by_id[0].name, "Ann Leigh");
        assert_eq!(s.customers(true).unwrap().len(), 2);
    }

    #[test]
    fn alerts_follow_hits_decisions_and_delisting() {
        let mut s = Store::open_in_memory().unwrap();
        s.upsert_customers(&[customer("c1", "Abu Test"), customer("c2", "Bob Other")]).unwrap();
        let a = entity("1", "ABU TEST");
        let b = entity("2", "BOB OTHER");
        let v1 = import(&mut s, 1, &[a.clone(), b.clone()]);
        let r = s
            .record_monitor_run(run(
                RunMode::Full,
                v1,
                vec![hit(&s, "c1", &a, v1), hit(&s, "c2", &b, v1)],
            ))
            .unwrap();
        assert_eq!((r.summary.raised, r.summary.open), (2, 2));
        assert!(s.customers(true).unwrap().is_empty());

        // Decide c1 a false positive: the same hit again is suppressed.
        let alert = s.alerts(true).unwrap().into_iter().find(|x| x.customer_id == "c1").unwrap();
        let d = s.decide(alert.id, Verdict::FalsePositive, "other person", "ana").unwrap();
        assert!(matches!(d, DecideOutcome::Decided(_)));
        assert_eq!(s.decide(999, Verdict::TrueMatch, "x", "y").unwrap(), DecideOutcome::NotFound);
        let r = s
            .record_monitor_run(run(
                RunMode::Full,
                v1,
                vec![hit(&s, "c1", &a, v1), hit(&s, "c2", &b, v1)],
            ))
            .unwrap();
        assert_eq!((r.summary.raised, r.summary.suppressed, r.summary.open), (0, 1, 1));

        // The entry is amended: the decided pair re-opens with the change; b is delisted.
        let mut a2 = a.clone();
        a2.names.push(Name::new("ABOU TEST", NameQuality::Strong));
        let v2 = import(&mut s, 2, &[a2.clone()]);
        let mut rec = run(RunMode::Delta, v2, vec![hit(&s, "c1", &a2, v2)]);
        rec.changed_entries = vec![(Source::Un, "1".into())];
        rec.removed_entries = vec![(Source::Un, "2".into())];
        let r = s.record_monitor_run(rec).unwrap();
        assert_eq!((r.summary.reopened, r.summary.delisted, r.summary.open), (1, 1, 1));
        let open = s.alerts(true).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].reopens, Some(alert.id));
        let changes = open[0].changes.as_ref().unwrap();
        assert!(changes.iter().any(|c| c.field == "names" && c.added[0].contains("ABOU TEST")));
        assert_eq!(open[0].decisions.len(), 1);
        let all = s.alerts(false).unwrap();
        assert!(all.iter().any(|x| x.customer_id == "c2" && x.status == "delisted"));
        // A delisted alert cannot be decided.
        let delisted = all.iter().find(|x| x.status == "delisted").unwrap();
        assert!(matches!(
            s.decide(delisted.id, Verdict::TrueMatch, "x", "y").unwrap(),
            DecideOutcome::Closed(_)
        ));
        let last = s.last_monitor_run().unwrap().unwrap();
        assert_eq!(last.mode, RunMode::Delta);
        assert_eq!(last.versions[0].version_id, v2);
    }

    #[test]
    fn format_only_changes_are_not_significant() {
        let a = entity("1", "ABU TEST");
        let mut b = a.clone();
        b.push_extra("HAS_INTERPOL_LINK", "false");
        assert!(significant_changes(&a, &b).is_empty());
        let mut c = b.clone();
        c.names.push(Name::new("X", NameQuality::Strong));
        assert_eq!(significant_changes(&a, &c).len(), 1);
    }
}

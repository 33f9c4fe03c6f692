//! Importing a list version.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sanctions_model::{Entity, ListVersion, PartialDate, Source, VersionCounts};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::rows::{RawVersion, VERSION_COLUMNS, canonical};
use crate::store::Store;
use crate::version_ref::VersionRef;

/// A version is refused when it drops more than `1 / SHRINK_DENOMINATOR` (20%) of the
/// entries of the version before it.
const SHRINK_DENOMINATOR: usize = 5;

/// One file (or set of files) of one list, already parsed, to be stored as a new version.
#[derive(Clone, Debug)]
pub struct ImportRequest<'a> {
    /// The list.
    pub source: Source,
    /// The list's publication date; must be a full day.
    pub published: PartialDate,
    /// The publication timestamp exactly as the file or the user gave it.
    pub published_raw: String,
    /// SHA-256 (hex) over the imported file(s): a version with the same list and digest is
    /// not imported twice.
    pub sha256: String,
    /// File names, for the record.
    pub files: Vec<String>,
    /// Every entry, in file order. Each must be of `source`, with a distinct `source_id`.
    pub entities: &'a [Entity],
    /// Import even if the list shrinks suspiciously.
    pub force: bool,
}

impl<'a> ImportRequest<'a> {
    /// A request with `published_raw` set from `published`, no file names, and no `force`.
    pub fn new(
        source: Source,
        published: PartialDate,
        sha256: impl Into<String>,
        entities: &'a [Entity],
    ) -> ImportRequest<'a> {
        ImportRequest {
            source,
            published,
            published_raw: published.to_string(),
            sha256: sha256.into(),
            files: Vec::new(),
            entities,
            force: false,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// The same file (same list and SHA-256) was imported before; nothing was written.
    Unchanged(ListVersion),
    /// A new version was stored.
    Created {
        /// The new version.
        version: ListVersion,
        /// How it compares with the version before it by publication date, if there is one.
        change: Option<VersionChange>,
    },
}

impl ImportOutcome {
    /// The version imported now, or imported before with the same content.
    pub fn version(&self) -> &ListVersion {
        match self {
            ImportOutcome::Unchanged(v) | ImportOutcome::Created { version: v, .. } => v,
        }
    }

    /// True when a new version was stored.
    pub fn is_created(&self) -> bool {
        matches!(self, ImportOutcome::Created { .. })
    }
}

/// Entry counts between a new version and the version before it, compared by source id and
/// content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    /// The version compared with.
    pub previous: VersionRef,
    /// Entries new in this version.
    pub added: usize,
    /// Entries of the previous version that this one lacks.
    pub removed: usize,
    /// Entries in both whose content changed.
    pub amended: usize,
    /// Entries in both with equal content.
    pub unchanged: usize,
}

/// Source id → revision id of every entry of a version.
pub(crate) fn entry_map(conn: &Connection, version_id: i64) -> Result<HashMap<String, i64>> {
    let mut st = conn.prepare_cached(
        "SELECT r.source_id, e.revision_id FROM version_entry e \
         JOIN revision r ON r.id = e.revision_id WHERE e.version_id = ?1",
    )?;
    let rows = st.query_map(params![version_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Stores a parsed list file as a new, immutable version, in one transaction.
    ///
    /// - The same list and SHA-256 as an existing version: [`ImportOutcome::Unchanged`], and
    ///   nothing is written.
    /// - Fails with [`Error::SuspiciousShrink`] if the new version lacks more than 20% of the
    ///   source ids of the version that precedes it by publication date, unless `force`.
    /// - Fails with [`Error::DuplicateEntity`], [`Error::WrongSource`] or
    ///   [`Error::PartialPublished`] on bad input.
    ///
    /// Any failure leaves the store exactly as it was. Versions may be imported in any
    /// order: they are ordered by publication date (then id), never by import order.
    pub fn import(&mut self, req: ImportRequest<'_>) -> Result<ImportOutcome> {
        if !req.published.is_full() {
            return Err(Error::PartialPublished { published: req.published });
        }
        let source = req.source.as_str();
        let published = req.published.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;

        let existing = tx
            .prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM version WHERE source = ?1 AND sha256 = ?2"
            ))?
            .query_row(params![source, req.sha256], RawVersion::from_row)
            .optional()?;
        if let Some(existing) = existing {
            return Ok(ImportOutcome::Unchanged(existing.parse()?));
        }

        // The version the new one follows: its id will be the highest, so among versions
        // published the same day it comes last.
        let previous = tx
            .prepare_cached(
                "SELECT id, published FROM version WHERE source = ?1 AND published <= ?2 \
                 ORDER BY published DESC, id DESC LIMIT 1",
            )?
            .query_row(params![source, published], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;

        let counts = VersionCounts::of(req.entities);
        let files_json = serde_json::to_string(&req.files).expect("strings serialize");
        let counts_json = serde_json::to_string(&counts).expect("counts serialize");
        let (id, imported_at): (i64, String) = tx
            .prepare_cached(
                "INSERT INTO version \
                 (source, published, published_raw, imported_at, sha256, files, counts) \
                 VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?4, ?5, ?6) \
                 RETURNING id, imported_at",
            )?
            .query_row(
                params![source, published, req.published_raw, req.sha256, files_json, counts_json],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;

        let mut new_entries: Vec<(&str, i64)> = Vec::with_capacity(req.entities.len());
        {
            let mut seen: HashSet<&str> = HashSet::with_capacity(req.entities.len());
            let mut find = tx.prepare_cached(
                "SELECT id FROM revision \
                 WHERE source = ?1 AND source_id = ?2 AND content_hash = ?3",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO revision (source, source_id, reference, content_hash, json) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut link = tx.prepare_cached(
                "INSERT INTO version_entry (version_id, revision_id, position) VALUES (?1, ?2, ?3)",
            )?;
            for (position, e) in req.entities.iter().enumerate() {
                if e.source != req.source {
                    return Err(Error::WrongSource {
                        expected: req.source,
                        found: e.source,
                        source_id: e.source_id.clone(),
                    });
                }
                if !seen.insert(&e.source_id) {
                    return Err(Error::DuplicateEntity {
                        list: req.source,
                        source_id: e.source_id.clone(),
                    });
                }
                let (json, hash) = canonical(e);
                let found = find
                    .query_row(params![source, e.source_id, hash], |r| r.get::<_, i64>(0))
                    .optional()?;
                let revision_id = match found {
                    Some(rid) => rid,
                    None => {
                        insert.execute(params![source, e.source_id, e.reference, hash, json])?;
                        tx.last_insert_rowid()
                    }
                };
                link.execute(params![id, revision_id, position as i64])?;
                new_entries.push((&e.source_id, revision_id));
            }
        }

        let change = match previous {
            None => None,
            Some((prev_id, prev_published)) => {
                let prev = entry_map(&tx, prev_id)?;
                let (mut added, mut amended, mut unchanged) = (0, 0, 0);
                for (source_id, revision_id) in &new_entries {
                    match prev.get(*source_id) {
                        None => added += 1,
                        Some(r) if r == revision_id => unchanged += 1,
                        Some(_) => amended += 1,
                    }
                }
                let removed = prev.len() - amended - unchanged;
                if !req.force && removed * SHRINK_DENOMINATOR > prev.len() {
                    return Err(Error::SuspiciousShrink {
                        list: req.source,
                        previous_version: prev_id,
                        previous: prev.len(),
                        new: new_entries.len(),
                        dropped: removed,
                    });
                }
                let published = prev_published.parse().map_err(|_| Error::CorruptValue {
                    table: "version",
                    column: "published",
                    id: prev_id,
                    value: prev_published.clone(),
                })?;
                Some(VersionChange {
                    previous: VersionRef { id: prev_id, published },
                    added,
                    removed,
                    amended,
                    unchanged,
                })
            }
        };

        tx.commit()?;
        let version = ListVersion {
            id,
            source: req.source,
            published: req.published,
            published_raw: req.published_raw,
            imported_at,
            sha256: req.sha256,
            files: req.files,
            counts,
        };
        Ok(ImportOutcome::Created { version, change })
    }
}

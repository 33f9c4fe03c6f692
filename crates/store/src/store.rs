//! The store handle: opening, and reading versions and entities.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use sanctions_model::{Entity, ListVersion, PartialDate, Source};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::rows::{RawVersion, VERSION_COLUMNS, parse_entity};
use crate::schema;

/// Rows per thread below which parsing is not split.
const PARSE_CHUNK: usize = 2048;

/// Parses revisions' JSON, on several threads for large lists (JSON decoding is most of the
/// cost of loading a list).
fn parse_all(rows: &[(i64, i64, String)]) -> Result<Vec<Entity>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let parse = |rows: &[(i64, i64, String)]| -> Result<Vec<Entity>> {
        rows.iter().map(|(_, id, json)| parse_entity(*id, json)).collect()
    };
    if threads < 2 || rows.len() < 2 * PARSE_CHUNK {
        return parse(rows);
    }
    let chunk = rows.len().div_ceil(threads).max(PARSE_CHUNK);
    let parts: Vec<Result<Vec<Entity>>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows.chunks(chunk).map(|c| s.spawn(move || parse(c))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// The versioned list store: one SQLite database.
///
/// Reads take `&self`, writes (`import`) take `&mut self`. The handle is `Send` but not
/// `Sync` (it owns one SQLite connection): share it behind a `Mutex`, or open one per thread;
/// SQLite's WAL mode lets readers proceed while one writer imports.
#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
}

/// How many rows the store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// List versions.
    pub versions: u64,
    /// Distinct entity revisions.
    pub revisions: u64,
    /// Links between versions and revisions (the sum of all versions' entry counts).
    pub entries: u64,
}

impl Store {
    /// Opens (creating if needed) the store at `path`, and brings its schema up to date.
    ///
    /// Fails with [`Error::SchemaTooNew`] for a database written by a newer release.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = sanctions_store::Store::open(&dir.path().join("sanctions.db")).unwrap();
    /// assert!(store.versions(None).unwrap().is_empty());
    /// ```
    pub fn open(path: &Path) -> Result<Store> {
        Store::setup(Connection::open(path)?)
    }

    /// Opens a new, empty store in memory (for tests and throw-away use).
    ///
    /// # Examples
    ///
    /// ```
    /// let store = sanctions_store::Store::open_in_memory().unwrap();
    /// assert_eq!(store.schema_version().unwrap(), sanctions_store::SCHEMA_VERSION);
    /// ```
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// The schema version of the open database (equal to [`crate::SCHEMA_VERSION`]).
    pub fn schema_version(&self) -> Result<i64> {
        schema::user_version(&self.conn)
    }

    /// Every version of one list, or of all lists, ordered by list (in [`Source::ALL`]
    /// order) and then by publication date and id.
    pub fn versions(&self, source: Option<Source>) -> Result<Vec<ListVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM version WHERE ?1 IS NULL OR source = ?1 \
             ORDER BY published, id"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let raw = st
            .query_map(params![source.map(|s| s.as_str())], RawVersion::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut out = raw.into_iter().map(RawVersion::parse).collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|v| v.source); // stable: keeps (published, id) within a list
        Ok(out)
    }

    /// The version with this id.
    pub fn version(&self, id: i64) -> Result<Option<ListVersion>> {
        self.one_version(
            &format!("SELECT {VERSION_COLUMNS} FROM version WHERE id = ?1"),
            params![id],
        )
    }

    /// The version with this id, or [`Error::UnknownVersion`].
    pub(crate) fn require_version(&self, id: i64) -> Result<ListVersion> {
        self.version(id)?.ok_or(Error::UnknownVersion { id })
    }

    /// The most recent version of a list by publication date (the last imported of those
    /// published on the same day).
    pub fn latest(&self, source: Source) -> Result<Option<ListVersion>> {
        self.one_version(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM version WHERE source = ?1 \
                 ORDER BY published DESC, id DESC LIMIT 1"
            ),
            params![source.as_str()],
        )
    }

    /// The version of a list in force on `date`: the latest one published on or before that
    /// day (a version published on `date` itself counts). A partial date means its last day
    /// (`2026-05` is the end of May 2026). `None` if the list had no version yet.
    pub fn as_of(&self, source: Source, date: PartialDate) -> Result<Option<ListVersion>> {
        self.one_version(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM version WHERE source = ?1 AND published <= ?2 \
                 ORDER BY published DESC, id DESC LIMIT 1"
            ),
            params![source.as_str(), date.latest().to_string()],
        )
    }

    /// For every list that has one, the version in force on `date` (see [`Store::as_of`]),
    /// in [`Source::ALL`] order.
    pub fn as_of_all(&self, date: PartialDate) -> Result<Vec<ListVersion>> {
        let mut out = Vec::new();
        for source in Source::ALL {
            out.extend(self.as_of(source, date)?);
        }
        Ok(out)
    }

    /// A version of a list published on `date` (the last imported, if several were published
    /// that day). A partial date matches any day it covers, and the latest such version wins.
    pub fn version_by_date(
        &self,
        source: Source,
        date: PartialDate,
    ) -> Result<Option<ListVersion>> {
        self.one_version(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM version \
                 WHERE source = ?1 AND published BETWEEN ?2 AND ?3 \
                 ORDER BY published DESC, id DESC LIMIT 1"
            ),
            params![source.as_str(), date.earliest().to_string(), date.latest().to_string()],
        )
    }

    fn one_version(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<ListVersion>> {
        let mut st = self.conn.prepare_cached(sql)?;
        st.query_row(params, RawVersion::from_row).optional()?.map(RawVersion::parse).transpose()
    }

    /// Every entry of a version, in the order they were imported.
    ///
    /// Fails with [`Error::UnknownVersion`] if there is no such version.
    pub fn entities(&self, version_id: i64) -> Result<Vec<Entity>> {
        let version = self.require_version(version_id)?;
        // No ORDER BY: sorting in SQLite would move every JSON text through a temporary
        // b-tree; rows come in revision order and are put back in file order here.
        let mut st = self.conn.prepare_cached(
            "SELECT e.position, r.id, r.json FROM version_entry e \
             JOIN revision r ON r.id = e.revision_id WHERE e.version_id = ?1",
        )?;
        let mut rows: Vec<(i64, i64, String)> = Vec::with_capacity(version.counts.entities);
        let mut q = st.query(params![version_id])?;
        while let Some(row) = q.next()? {
            rows.push((row.get(0)?, row.get(1)?, row.get(2)?));
        }
        rows.sort_unstable_by_key(|r| r.0);
        parse_all(&rows)
    }

    /// One entry of a version, looked up by its reference (`TAi.026`) or, failing that, by
    /// its source id (UN DATAID, OFAC ent_num). `None` if the version does not hold it (or is
    /// a version of another list).
    ///
    /// Fails with [`Error::UnknownVersion`] if there is no such version.
    pub fn entity(
        &self,
        source: Source,
        reference_or_source_id: &str,
        version_id: i64,
    ) -> Result<Option<Entity>> {
        self.require_version(version_id)?;
        for column in ["reference", "source_id"] {
            let sql = format!(
                "SELECT r.id, r.json FROM revision r \
                 JOIN version_entry e ON e.revision_id = r.id AND e.version_id = ?3 \
                 WHERE r.source = ?1 AND r.{column} = ?2 ORDER BY r.source_id LIMIT 1"
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let found = st
                .query_row(params![source.as_str(), reference_or_source_id, version_id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?;
            if let Some((id, json)) = found {
                return parse_entity(id, &json).map(Some);
            }
        }
        Ok(None)
    }

    /// Row counts.
    pub fn stats(&self) -> Result<StoreStats> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM version), (SELECT count(*) FROM revision), \
             (SELECT count(*) FROM version_entry)",
            [],
            |r| Ok(StoreStats { versions: r.get(0)?, revisions: r.get(1)?, entries: r.get(2)? }),
        )?)
    }

    /// Runs SQLite's `PRAGMA integrity_check`; [`Error::IntegrityCheck`] if it finds anything.
    pub fn integrity_check(&self) -> Result<()> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let messages =
            st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        if messages.len() == 1 && messages[0] == "ok" {
            Ok(())
        } else {
            Err(Error::IntegrityCheck { messages })
        }
    }
}

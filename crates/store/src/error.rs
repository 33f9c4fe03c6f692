//! The store's error type.

use sanctions_model::{PartialDate, Source};

/// Everything that can go wrong in the store.
///
/// Variants carry data, not formatted strings, so that callers (the engine, the CLI, the
/// server) can map them to their own messages and codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The new version would drop more than 20% of the entries of the version that precedes
    /// it by publication date. Import again with `force` if the shrink is genuine.
    #[error(
        "refusing to import {list} list: it drops {dropped} of the {previous} entries of version \
         {previous_version} (new version has {new}); a truncated file? if the shrink is genuine, import again with --force"
    )]
    SuspiciousShrink {
        /// The list.
        list: Source,
        /// Id of the version the new one was compared with.
        previous_version: i64,
        /// Entries in that version.
        previous: usize,
        /// Entries in the refused version.
        new: usize,
        /// Entries of the previous version (by source id) missing from the new one.
        dropped: usize,
    },

    /// One import holds two entries with the same source id.
    #[error("{list} list holds source id {source_id:?} more than once")]
    DuplicateEntity {
        /// The list.
        list: Source,
        /// The repeated source id.
        source_id: String,
    },

    /// An entity of another list was passed to an import.
    #[error("entity {source_id:?} is from the {found} list, not from {expected}")]
    WrongSource {
        /// The list being imported.
        expected: Source,
        /// The entity's list.
        found: Source,
        /// The entity's source id.
        source_id: String,
    },

    /// A list's publication date must be a full day.
    #[error("publication date {published} is not a full date (YYYY-MM-DD)")]
    PartialPublished {
        /// The date given.
        published: PartialDate,
    },

    /// No version has this id.
    #[error("no list version with id {id}")]
    UnknownVersion {
        /// The id asked for.
        id: i64,
    },

    /// Two versions of different lists cannot be compared.
    #[error("cannot diff version {from_version} ({from}) against version {to_version} ({to})")]
    DifferentSources {
        /// The first version's id.
        from_version: i64,
        /// The first version's list.
        from: Source,
        /// The second version's id.
        to_version: i64,
        /// The second version's list.
        to: Source,
    },

    /// The database was written by a newer release of this software.
    #[error(
        "database schema version {found} is newer than this build supports ({supported}); \
         upgrade sanctions"
    )]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },

    /// A schema migration failed; the database was left at its previous version.
    #[error("schema migration {migration} failed")]
    Migration {
        /// The migration's name (`0002_customers`).
        migration: &'static str,
        /// SQLite's error.
        #[source]
        error: rusqlite::Error,
    },

    /// A JSON column could not be read back.
    #[error("corrupt {column} JSON in {table} row {id}")]
    CorruptJson {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// Row id (the revision id for entities).
        id: i64,
        /// The JSON error.
        #[source]
        error: serde_json::Error,
    },

    /// A column holds a value this build cannot read (an unknown list, a malformed date).
    #[error("corrupt value {value:?} in {table}.{column} row {id}")]
    CorruptValue {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// Row id.
        id: i64,
        /// The stored text.
        value: String,
    },

    /// `PRAGMA integrity_check` found problems.
    #[error("database integrity check failed: {}", messages.join("; "))]
    IntegrityCheck {
        /// What SQLite reported.
        messages: Vec<String>,
    },

    /// An exemption was refused before it was stored.
    #[error("invalid exemption: {reason}")]
    InvalidExemption {
        /// What is wrong with it.
        reason: String,
    },

    /// An error from SQLite.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

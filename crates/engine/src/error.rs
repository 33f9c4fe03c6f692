//! Engine errors: user errors (bad input, nothing loaded) apart from internal ones.

use std::path::PathBuf;

use sanctions_model::Source;

/// An engine error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A list file could not be parsed; nothing was imported.
    #[error("{0}")]
    Parse(#[from] sanctions_lists::Error),
    /// The store refused or failed.
    #[error("{0}")]
    Store(#[from] sanctions_store::Error),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A download failed.
    #[error("cannot download {url}: {reason}")]
    Download {
        /// The address.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The command was used wrongly (bad arguments, missing files).
    #[error("{0}")]
    Usage(String),
    /// No version of any list is loaded.
    #[error("no list is loaded: run `sanctions update` (or `sanctions import`) first")]
    NoLists,
    /// No version of a list on or before a date.
    #[error("no version of the {list} list was published on or before {date}")]
    NoVersionAsOf {
        /// The list.
        list: Source,
        /// The date.
        date: String,
    },
    /// No such entry.
    #[error("no entry {reference:?} in {scope}")]
    UnknownEntry {
        /// The reference asked for.
        reference: String,
        /// Where it was looked for.
        scope: String,
    },
}

impl Error {
    /// True for errors caused by the caller's input rather than by the system.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Error::Store(sanctions_store::Error::Sqlite(_)))
    }
}

/// Engine result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

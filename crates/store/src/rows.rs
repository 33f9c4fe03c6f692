//! Reading rows into model types, and the canonical form entities are stored in.

use rusqlite::Row;
use sanctions_model::{Entity, ListVersion, PartialDate, Source, VersionCounts};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The columns [`RawVersion::from_row`] reads, in order.
pub(crate) const VERSION_COLUMNS: &str =
    "id, source, published, published_raw, imported_at, sha256, files, counts";

/// A `version` row as stored, before its text columns are parsed.
pub(crate) struct RawVersion {
    id: i64,
    source: String,
    published: String,
    published_raw: String,
    imported_at: String,
    sha256: String,
    files: String,
    counts: String,
}

impl RawVersion {
    /// Reads [`VERSION_COLUMNS`] starting at column 0.
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<RawVersion> {
        Ok(RawVersion {
            id: r.get(0)?,
            source: r.get(1)?,
            published: r.get(2)?,
            published_raw: r.get(3)?,
            imported_at: r.get(4)?,
            sha256: r.get(5)?,
            files: r.get(6)?,
            counts: r.get(7)?,
        })
    }

    /// Parses the text columns.
    pub(crate) fn parse(self) -> Result<ListVersion> {
        let id = self.id;
        let source = parse_source("version", id, &self.source)?;
        let published: PartialDate = self.published.parse().map_err(|_| Error::CorruptValue {
            table: "version",
            column: "published",
            id,
            value: self.published.clone(),
        })?;
        let files: Vec<String> = serde_json::from_str(&self.files)
            .map_err(|error| Error::CorruptJson { table: "version", column: "files", id, error })?;
        let counts: VersionCounts = serde_json::from_str(&self.counts).map_err(|error| {
            Error::CorruptJson { table: "version", column: "counts", id, error }
        })?;
        Ok(ListVersion {
            id,
            source,
            published,
            published_raw: self.published_raw,
            imported_at: self.imported_at,
            sha256: self.sha256,
            files,
            counts,
        })
    }
}

/// Parses a stored list id.
pub(crate) fn parse_source(table: &'static str, id: i64, value: &str) -> Result<Source> {
    value.parse().map_err(|_| Error::CorruptValue {
        table,
        column: "source",
        id,
        value: value.to_string(),
    })
}

/// Parses a revision's stored JSON.
pub(crate) fn parse_entity(revision_id: i64, json: &str) -> Result<Entity> {
    serde_json::from_str(json).map_err(|error| Error::CorruptJson {
        table: "revision",
        column: "json",
        id: revision_id,
        error,
    })
}

/// The canonical JSON of an entity and its content hash, computed with one serialization.
///
/// Equal to `(entity.canonical_json(), entity.content_hash())`.
pub(crate) fn canonical(entity: &Entity) -> (String, String) {
    let json = entity.canonical_json();
    let digest = Sha256::digest(json.as_bytes());
    (json, hex(&digest))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_model::{EntityKind, Name, NameQuality};

    #[test]
    fn canonical_matches_the_model() {
        let mut e = Entity::new(Source::Un, "6908", "TAi.026", EntityKind::Person);
        e.names.push(Name::new("AMIR KHAN MUTTAQI", NameQuality::Primary));
        e.push_extra("VERSIONNUM", "3");
        let (json, hash) = canonical(&e);
        assert_eq!(json, e.canonical_json());
        assert_eq!(hash, e.content_hash());
    }
}

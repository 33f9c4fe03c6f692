//! An immutable, imported version of one list.

use serde::{Deserialize, Serialize};

use crate::date::PartialDate;
use crate::entity::Source;

/// Counts of what a list version holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionCounts {
    /// All entries.
    pub entities: usize,
    /// Natural persons.
    pub persons: usize,
    /// Organisations.
    pub organizations: usize,
    /// Vessels.
    pub vessels: usize,
    /// Aircraft.
    pub aircraft: usize,
    /// Non-primary names.
    pub aliases: usize,
}

impl VersionCounts {
    /// Counts over a slice of entities.
    pub fn of(entities: &[crate::Entity]) -> VersionCounts {
        use crate::EntityKind::*;
        let mut c = VersionCounts { entities: entities.len(), ..Default::default() };
        for e in entities {
            match e.kind {
                Person => c.persons += 1,
                Organization => c.organizations += 1,
                Vessel => c.vessels += 1,
                Aircraft => c.aircraft += 1,
                Unknown => {}
            }
            c.aliases += e.names.len().saturating_sub(1);
        }
        c
    }
}

/// One imported version of a list. Never edited once stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVersion {
    /// Store id of the version.
    pub id: i64,
    /// The list.
    pub source: Source,
    /// The list's own publication date (UN dateGenerated; OFAC as given at import).
    pub published: PartialDate,
    /// The publication timestamp exactly as the file or the importer gave it.
    pub published_raw: String,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
    /// SHA-256 (hex) over the imported file(s).
    pub sha256: String,
    /// File names imported.
    pub files: Vec<String>,
    /// Counts.
    pub counts: VersionCounts,
}

//! Parsers for official sanctions-list files, producing [`sanctions_model::Entity`] values.
//!
//! * [`parse_un_xml`]: the UN Security Council Consolidated List XML (`CONSOLIDATED_LIST`),
//!   streamed with quick-xml from any [`std::io::BufRead`].
//! * [`parse_ofac_csv`]: the OFAC SDN legacy CSV trio (`sdn.csv` + `alt.csv` + `add.csv`),
//!   with [`parse_ofac_remarks`] for the grammar of the Remarks column.
//!
//! Key design decision: parsing is **strict and lossless**. A malformed file fails as a whole
//! with an [`Error`] naming the file and line; nothing partial is returned, because a
//! half-read list would silently delist entries. Everything a record says that the model has
//! no field for is kept in [`Entity::extra`](sanctions_model::Entity::extra), so a diff of two
//! versions never hides a change.
//!
//! ```
//! let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
//! <CONSOLIDATED_LIST dateGenerated="2017-06-20T19:04:40.335-04:00"><INDIVIDUALS/>
//!   <ENTITIES><ENTITY><DATAID>110</DATAID><FIRST_NAME>TALIBAN</FIRST_NAME>
//!   <REFERENCE_NUMBER>TAe.001</REFERENCE_NUMBER></ENTITY></ENTITIES>
//! </CONSOLIDATED_LIST>"#;
//! let list = sanctions_lists::parse_un_xml(xml.as_bytes(), "consolidated.xml").unwrap();
//! assert_eq!(list.stats.organizations, 1);
//! assert_eq!(list.published_raw.as_deref(), Some("2017-06-20T19:04:40.335-04:00"));
//! ```
#![deny(missing_docs)]

mod error;
mod ofac;
mod remarks;
mod text;
mod un;

pub use error::{Error, Result};
pub use ofac::{Input, parse_ofac_csv};
pub use remarks::{Remarks, parse_ofac_remarks};
pub use un::parse_un_xml;

use sanctions_model::{Entity, PartialDate, Source};

/// Largest single field (element text, CSV field) accepted, in bytes.
pub const MAX_FIELD: usize = 1024 * 1024;
/// Deepest XML element nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// One parsed list file (or OFAC file trio).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedList {
    /// The list.
    pub source: Source,
    /// The list's own publication date: UN `dateGenerated`, date part as written (local
    /// date). OFAC CSV has none: `None`, the caller supplies it.
    pub published: Option<PartialDate>,
    /// UN `dateGenerated` verbatim.
    pub published_raw: Option<String>,
    /// Every entry, in file order.
    pub entities: Vec<Entity>,
    /// Counts.
    pub stats: ParseStats,
}

/// Counts of what a parse read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseStats {
    /// Records (entries).
    pub records: usize,
    /// Natural persons (UN INDIVIDUAL, OFAC "individual").
    pub persons: usize,
    /// Organisations (UN ENTITY, OFAC `-0-`).
    pub organizations: usize,
    /// Vessels (OFAC).
    pub vessels: usize,
    /// Aircraft (OFAC).
    pub aircraft: usize,
    /// Alias entries: UN alias elements with a non-empty ALIAS_NAME, OFAC alt.csv rows. One
    /// entry may give several names (UN "A; B"); weak a.k.a. in OFAC remarks are not counted.
    pub alias_entries: usize,
    /// [`ParseStats::alias_entries`] of persons.
    pub person_alias_entries: usize,
    /// [`ParseStats::alias_entries`] of everything else.
    pub organization_alias_entries: usize,
    /// Address entries: non-empty UN address elements, OFAC add.csv rows.
    pub addresses: usize,
    /// OFAC add.csv rows with every column `-0-` (counted in `addresses`, not stored).
    pub empty_addresses: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    fn assert_all<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    #[test]
    fn auto_traits() {
        assert_all::<ParsedList>();
        assert_all::<ParseStats>();
        assert_all::<Remarks>();
        assert_all::<Input<'static>>();
    }

    #[test]
    fn error_is_send_sync() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
    }
}

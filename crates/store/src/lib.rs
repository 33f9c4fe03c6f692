//! The versioned list store of the `sanctions` system, on SQLite.
//!
//! Every import of a list file becomes an immutable [`ListVersion`]. Entries are stored once
//! per distinct content (a *revision*, keyed by list, source id and
//! [`Entity::content_hash`]) and linked to every version that holds them, so a weekly list
//! with few changes costs little more than its changes. On top of that the store answers:
//!
//! - which version of a list was in force on a day ([`Store::as_of`]);
//! - what changed between two versions, field by field ([`Store::diff`]);
//! - the whole life of one entry: listing, amendments, delisting, relisting
//!   ([`Store::history`]);
//! - every entry of a version, for building a screening index ([`Store::entities`]).
//!
//! Key design decisions: all SQL lives in this crate; the API is synchronous (the server
//! calls it through `spawn_blocking`); an import is one transaction, so a failed or
//! interrupted import leaves the store as it was; a list that shrinks by more than 20% is
//! refused unless forced ([`Error::SuspiciousShrink`]); versions are ordered by publication
//! date and id, never by import order. The schema is versioned (`PRAGMA user_version`) and
//! migrated at open; a database from a newer release is refused ([`Error::SchemaTooNew`]).
//!
//! # Examples
//!
//! ```
//! use sanctions_model::{Entity, EntityKind, Name, NameQuality, PartialDate, Source};
//! use sanctions_store::{ImportOutcome, ImportRequest, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let mut e = Entity::new(Source::Un, "6908", "TAi.026", EntityKind::Person);
//! e.names.push(Name::new("AMIR KHAN MUTTAQI", NameQuality::Primary));
//! let entities = vec![e];
//! let published = PartialDate::ymd(2026, 5, 8).unwrap();
//! let outcome = store.import(ImportRequest::new(Source::Un, published, "ab12", &entities))?;
//! assert!(outcome.is_created());
//!
//! let v = store.as_of(Source::Un, PartialDate::ymd(2026, 6, 1).unwrap())?.unwrap();
//! assert_eq!(store.entity(Source::Un, "TAi.026", v.id)?.unwrap().primary_name(), "AMIR KHAN MUTTAQI");
//!
//! // The same file again writes nothing.
//! let again = store.import(ImportRequest::new(Source::Un, published, "ab12", &entities))?;
//! assert!(matches!(again, ImportOutcome::Unchanged(_)));
//! # Ok::<(), sanctions_store::Error>(())
//! ```
#![deny(missing_docs)]

mod customer_index;
mod diff;
mod error;
mod exemptions;
mod history;
mod import;
mod monitor;
mod rows;
mod schema;
mod store;
mod version_ref;

pub use customer_index::{CustomerIndex, FLAG_BIRTH_DATE, FLAG_IDENTIFIERS, FLAG_NATIONALITY};
pub use diff::{Amendment, Diff, EntrySummary, SchemaChange};
pub use error::{Error, Result};
pub use history::{HistoryEvent, HistoryStep};
pub use import::{ImportOutcome, ImportRequest, VersionChange};
pub use monitor::{
    Alert, AlertHit, Customer, CustomerIndexUpdate, CustomerUpsert, DecideOutcome, Decision,
    MonitorRun, RunMode, RunRecord, RunSummary, RunVersion, Verdict, significant_changes,
};
pub use schema::SCHEMA_VERSION;
pub use store::{Store, StoreStats};
pub use version_ref::VersionRef;

#[doc(no_inline)]
pub use sanctions_model::{Entity, ListVersion};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_all<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

    #[test]
    fn auto_traits() {
        // One SQLite connection: movable across threads, not shareable.
        assert_send::<Store>();
        assert_all::<ImportOutcome>();
        assert_all::<ImportRequest<'static>>();
        assert_all::<Diff>();
        assert_all::<HistoryStep>();
        assert_all::<StoreStats>();
        // Wraps rusqlite::Error, whose boxed inner errors are not unwind-safe.
        assert_send_sync::<Error>();
    }
}

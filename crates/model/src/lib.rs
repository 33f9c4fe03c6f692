//! Domain types of the `sanctions` system.
//!
//! An [`Entity`] is one entry of an official sanctions list, kept losslessly: every name with
//! its quality and script, every birth date exactly as the source gives it ([`BirthDate`] is
//! never collapsed to one day), documents, places, programmes (regimes), dates, remarks and an
//! `extra` map for anything the model has no field for. [`Entity::content_hash`] gives a stable
//! digest of the canonical form, so two revisions of an entry are equal exactly when their
//! hashes are. [`diff::entity_changes`] lists field-level changes between two revisions.
//!
//! This crate does no I/O.
#![deny(missing_docs)]

mod date;
pub mod diff;
mod entity;
mod exemption;
mod list_version;

pub use date::{BirthDate, DateError, PartialDate};
pub use entity::{
    Address, Entity, EntityKind, Gender, Identifier, Name, NamePart, NamePartKind, NameQuality,
    Script, Source, UnknownSource,
};
pub use exemption::{Exemption, ExemptionKind};
pub use list_version::{ListVersion, VersionCounts};

#[cfg(test)]
mod tests {
    use super::*;
    fn assert_all<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    #[test]
    fn auto_traits() {
        assert_all::<Entity>();
        assert_all::<ListVersion>();
        assert_all::<BirthDate>();
    }
}

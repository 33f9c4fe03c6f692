//! Differences between two versions of one list.

use sanctions_model::ListVersion;
use sanctions_model::diff::{FieldChange, entity_changes};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::import::entry_map;
use crate::rows::parse_entity;
use crate::store::Store;

/// One entry, briefly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntrySummary {
    /// The source's stable id.
    pub source_id: String,
    /// The reference people quote.
    pub reference: String,
    /// The primary name.
    pub name: String,
}

/// One entry whose content changed between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Amendment {
    /// The source's stable id.
    pub source_id: String,
    /// The reference in the later version.
    pub reference: String,
    /// The primary name in the later version.
    pub name: String,
    /// What changed, field by field.
    pub changes: Vec<FieldChange>,
}

/// What changed from one version of a list to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The version compared from.
    pub from: ListVersion,
    /// The version compared to.
    pub to: ListVersion,
    /// Entries in `to` and not in `from`, by reference.
    pub added: Vec<EntrySummary>,
    /// Entries in `from` and not in `to`, by reference.
    pub removed: Vec<EntrySummary>,
    /// Entries in both whose content changed, by reference.
    pub amended: Vec<Amendment>,
    /// How many entries are in both, unchanged.
    pub unchanged: usize,
    /// Fields that the list's format gained or lost between the two versions (e.g. the UN
    /// added `HAS_INTERPOL_LINK` to every entry in 2026). Changes in these fields alone are
    /// a change of format, not an amendment: they are left out of `amended` and counted here.
    pub schema: SchemaChange,
}

/// A change in the fields a list's format uses, between two versions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SchemaChange {
    /// `extra` fields no entry of the earlier version has and some entry of the later has.
    pub fields_added: Vec<String>,
    /// `extra` fields some entry of the earlier version has and no entry of the later has.
    pub fields_removed: Vec<String>,
    /// Entries in both versions whose only differences are in those fields.
    pub reformatted: usize,
}

impl SchemaChange {
    /// True when the format did not change.
    pub fn is_empty(&self) -> bool {
        self.fields_added.is_empty() && self.fields_removed.is_empty()
    }
}

impl Diff {
    /// True when the two versions hold the same entries with the same content.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.amended.is_empty()
    }
}

impl Store {
    /// The entries added, removed and amended (with field-level changes) from version
    /// `from_version_id` to `to_version_id`. Either order is allowed; entries are matched by
    /// source id.
    ///
    /// Fails with [`Error::UnknownVersion`], or [`Error::DifferentSources`] for versions of
    /// two lists.
    pub fn diff(&self, from_version_id: i64, to_version_id: i64) -> Result<Diff> {
        let from = self.require_version(from_version_id)?;
        let to = self.require_version(to_version_id)?;
        if from.source != to.source {
            return Err(Error::DifferentSources {
                from_version: from.id,
                from: from.source,
                to_version: to.id,
                to: to.source,
            });
        }
        let before = entry_map(&self.conn, from.id)?;
        let after = entry_map(&self.conn, to.id)?;
        let fields = |version: i64| -> Result<std::collections::BTreeSet<String>> {
            Ok(self
                .entities(version)?
                .into_iter()
                .flat_map(|e| e.extra.into_keys())
                .map(|k| format!("extra.{k}"))
                .collect())
        };
        let (fields_before, fields_after) = (fields(from.id)?, fields(to.id)?);
        let mut schema = SchemaChange {
            fields_added: fields_after.difference(&fields_before).cloned().collect(),
            fields_removed: fields_before.difference(&fields_after).cloned().collect(),
            reformatted: 0,
        };
        let is_schema_field =
            |f: &str| schema.fields_added.iter().chain(&schema.fields_removed).any(|x| x == f);

        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut amended = Vec::new();
        let mut unchanged = 0;
        let mut reformatted = 0;
        for (source_id, &rid) in &after {
            match before.get(source_id) {
                None => added.push(self.summary(rid)?),
                Some(&old) if old == rid => unchanged += 1,
                Some(&old) => {
                    let a = self.revision(old)?;
                    let b = self.revision(rid)?;
                    let changes: Vec<_> = entity_changes(&a, &b)
                        .into_iter()
                        .filter(|c| !is_schema_field(&c.field))
                        .collect();
                    if changes.is_empty() {
                        reformatted += 1;
                        continue;
                    }
                    amended.push(Amendment {
                        source_id: b.source_id.clone(),
                        reference: b.reference.clone(),
                        name: b.primary_name().to_string(),
                        changes,
                    });
                }
            }
        }
        for (source_id, &rid) in &before {
            if !after.contains_key(source_id) {
                removed.push(self.summary(rid)?);
            }
        }
        added.sort_by(|a, b| (&a.reference, &a.source_id).cmp(&(&b.reference, &b.source_id)));
        removed.sort_by(|a, b| (&a.reference, &a.source_id).cmp(&(&b.reference, &b.source_id)));
        amended.sort_by(|a, b| (&a.reference, &a.source_id).cmp(&(&b.reference, &b.source_id)));
        schema.reformatted = reformatted;
        Ok(Diff { from, to, added, removed, amended, unchanged, schema })
    }

    fn summary(&self, revision_id: i64) -> Result<EntrySummary> {
        let e = self.revision(revision_id)?;
        Ok(EntrySummary {
            name: e.primary_name().to_string(),
            source_id: e.source_id,
            reference: e.reference,
        })
    }

    /// The entity stored as revision `id`.
    pub(crate) fn revision(&self, id: i64) -> Result<sanctions_model::Entity> {
        let mut st = self.conn.prepare_cached("SELECT json FROM revision WHERE id = ?1")?;
        let json: String = st.query_row([id], |r| r.get(0))?;
        parse_entity(id, &json)
    }
}

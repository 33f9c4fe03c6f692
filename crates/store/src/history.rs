//! The history of one entry across the versions of its list.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use sanctions_model::diff::{FieldChange, entity_changes};
use sanctions_model::{Entity, Source};
use serde::Serialize;

use crate::error::Result;
use crate::store::Store;
use crate::version_ref::VersionRef;

/// What happened to an entry at the start of a [`HistoryStep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryEvent {
    /// First seen in the list.
    Listed,
    /// Its content changed.
    Amended,
    /// Absent from the list after having been in it.
    Delisted,
    /// Back in the list after a delisting.
    Relisted,
}

/// One period during which an entry was in one state: present with one revision, or absent.
///
/// The period runs over consecutive versions of the list (by publication date) from `first`
/// to `last`; `ended` is the version that ended it, `None` while it still holds in the latest
/// version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryStep {
    /// How the period began.
    pub event: HistoryEvent,
    /// The first version in which the state held.
    pub first: VersionRef,
    /// The last version in which the state held.
    pub last: VersionRef,
    /// The first version in which it no longer held (the entry changed, went or came back).
    pub ended: Option<VersionRef>,
    /// The stored revision in force; `None` for a delisting.
    pub revision_id: Option<i64>,
    /// The entry as it stood; `None` for a delisting.
    pub entity: Option<Entity>,
    /// Field-level changes from the previous revision (for an amendment, or for a relisting
    /// with different content); empty otherwise.
    pub changes: Vec<FieldChange>,
}

impl Store {
    /// The history of one entry of a list, found by reference (`TAi.026`) or, failing that,
    /// by source id: each revision with the versions it was in force, delistings and
    /// relistings, oldest first. Empty if the list never held such an entry.
    pub fn history(
        &self,
        source: Source,
        reference_or_source_id: &str,
    ) -> Result<Vec<HistoryStep>> {
        let Some(source_id) = self.resolve_source_id(source, reference_or_source_id)? else {
            return Ok(Vec::new());
        };
        let present: HashMap<i64, i64> = {
            let mut st = self.conn.prepare_cached(
                "SELECT e.version_id, e.revision_id FROM revision r \
                 JOIN version_entry e ON e.revision_id = r.id \
                 WHERE r.source = ?1 AND r.source_id = ?2",
            )?;
            let rows =
                st.query_map(params![source.as_str(), source_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };

        // Runs of consecutive versions with the same state, from the first listing on.
        let mut runs: Vec<(Option<i64>, VersionRef, VersionRef)> = Vec::new();
        for v in self.versions(Some(source))? {
            let state = present.get(&v.id).copied();
            let here = VersionRef::from(&v);
            match runs.last_mut() {
                Some((s, _, last)) if *s == state => *last = here,
                None if state.is_none() => {}
                _ => runs.push((state, here, here)),
            }
        }

        let mut steps: Vec<HistoryStep> = Vec::with_capacity(runs.len());
        let mut last_entity: Option<Entity> = None;
        for (i, &(state, first, last)) in runs.iter().enumerate() {
            let ended = runs.get(i + 1).map(|r| r.1);
            let step = match state {
                None => HistoryStep {
                    event: HistoryEvent::Delisted,
                    first,
                    last,
                    ended,
                    revision_id: None,
                    entity: None,
                    changes: Vec::new(),
                },
                Some(rid) => {
                    let entity = self.revision(rid)?;
                    let (event, changes) =
                        match (last_entity.as_ref(), steps.last().map(|s| s.event)) {
                            (None, _) => (HistoryEvent::Listed, Vec::new()),
                            (Some(before), Some(HistoryEvent::Delisted)) => {
                                (HistoryEvent::Relisted, entity_changes(before, &entity))
                            }
                            (Some(before), _) => {
                                (HistoryEvent::Amended, entity_changes(before, &entity))
                            }
                        };
                    last_entity = Some(entity.clone());
                    HistoryStep {
                        event,
                        first,
                        last,
                        ended,
                        revision_id: Some(rid),
                        entity: Some(entity),
                        changes,
                    }
                }
            };
            steps.push(step);
        }
        Ok(steps)
    }

    /// The source id of the entry a user names by reference or source id.
    fn resolve_source_id(&self, source: Source, key: &str) -> Result<Option<String>> {
        for sql in [
            "SELECT source_id FROM revision WHERE source = ?1 AND reference = ?2 \
             ORDER BY id DESC LIMIT 1",
            "SELECT source_id FROM revision WHERE source = ?1 AND source_id = ?2 LIMIT 1",
        ] {
            let mut st = self.conn.prepare_cached(sql)?;
            let found: Option<String> =
                st.query_row(params![source.as_str(), key], |r| r.get(0)).optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

//! The one API the front ends (`sanctions` CLI, HTTP server) use.
//!
//! An [`Engine`] owns the store. It imports official files ([`Engine::import_files`],
//! [`Engine::update_from_mirror`], [`Engine::update_from_web`]), reads versions, and builds a
//! [`Snapshot`]: the latest version of every list (or the versions in force on a date), with
//! an in-memory index, immutable and shared behind an `Arc`. Screening runs on a snapshot, so a
//! reload never disturbs a screening in flight. Every result records the list versions and the
//! algorithm that produced it.
//!
//! The engine is synchronous.
#![deny(missing_docs)]

mod error;
mod import;
mod monitor;
mod regimes;
mod snapshot;

pub use error::{Error, Result};
pub use import::{FileRole, ImportReport, SourceUrls, detect_files};
pub use monitor::{
    MAX_CUSTOMER_ID_BYTES, MAX_CUSTOMER_NAME_BYTES, MONITOR_LIMIT, MonitorOptions, MonitorReport,
    algorithm_id, check_customer, customer_request, name_words,
};
pub use regimes::{
    CheckedEntry, NOT_LEGAL_ADVICE, NewExemption, PaymentCheck, PaymentHit, TravelCheck,
    TravelVerdict,
};
pub use snapshot::{AlgorithmId, HitView, ScreenResult, Snapshot, VersionUsed};

pub use sanctions_index::{Hit, Index, ScreenRequest};
pub use sanctions_model as model;
pub use sanctions_regimes as regime_catalogue;
pub use sanctions_regimes::{Measure, RegimeInfo};
pub use sanctions_score::{
    ALGORITHM_NAME, ALGORITHM_VERSION, DEFAULT_THRESHOLD, Explanation, Query, Scored, WordMatch,
};
pub use sanctions_store::{
    Alert, Customer, CustomerUpsert, Decision, MonitorRun, RunMode, RunSummary, RunVersion, Verdict,
};
pub use sanctions_store::{Diff, HistoryStep, ImportOutcome};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sanctions_model::{Entity, ListVersion, PartialDate, Source};
use sanctions_store::Store;

/// The engine: a store and the ways to read and screen it.
pub struct Engine {
    store: Store,
    path: Option<PathBuf>,
}

impl Engine {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Engine> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                std::fs::create_dir_all(dir)
                    .map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
            }
        }
        Ok(Engine { store: Store::open(path)?, path: Some(path.to_path_buf()) })
    }

    /// An engine over an in-memory store (tests, one-off runs).
    pub fn in_memory() -> Result<Engine> {
        Ok(Engine { store: Store::open_in_memory()?, path: None })
    }

    /// Where the store lives, if on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Every version held, by list then publication date.
    pub fn lists(&self) -> Result<Vec<ListVersion>> {
        Ok(self.store.versions(None)?)
    }

    /// True when no version of any list is held.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.store.versions(None)?.is_empty())
    }

    /// The versions a snapshot uses: the latest of every list, or those in force on `as_of`.
    pub fn versions_for(&self, as_of: Option<PartialDate>) -> Result<Vec<ListVersion>> {
        let mut out = Vec::new();
        for source in Source::ALL {
            let v = match as_of {
                None => self.store.latest(source)?,
                Some(d) => self.store.as_of(source, d)?,
            };
            out.extend(v);
        }
        if out.is_empty() {
            return match as_of {
                None => Err(Error::NoLists),
                Some(d) => {
                    if self.is_empty()? {
                        Err(Error::NoLists)
                    } else {
                        Err(Error::Usage(format!("no list version was published on or before {d}")))
                    }
                }
            };
        }
        Ok(out)
    }

    /// Builds a snapshot (entities + index) of the latest versions, or as of a date.
    pub fn snapshot(&self, as_of: Option<PartialDate>) -> Result<Arc<Snapshot>> {
        let versions = self.versions_for(as_of)?;
        let mut entities = Vec::new();
        for v in &versions {
            entities.extend(self.store.entities(v.id)?);
        }
        Ok(Arc::new(Snapshot::build(versions, entities, as_of)))
    }

    /// One entry, by reference (`TAi.026`, `6636`, or `un:TAi.026`), in the latest versions
    /// or as of a date. Searches every list unless the reference names one.
    pub fn show(
        &self,
        reference: &str,
        as_of: Option<PartialDate>,
    ) -> Result<(Entity, ListVersion)> {
        let (source, reference) = split_reference(reference)?;
        let versions = self.versions_for(as_of)?;
        for v in versions.iter().filter(|v| source.is_none_or(|s| s == v.source)) {
            if let Some(e) = self.store.entity(v.source, reference, v.id)? {
                return Ok((e, v.clone()));
            }
        }
        Err(Error::UnknownEntry {
            reference: reference.to_string(),
            scope: match as_of {
                Some(d) => format!("the lists in force on {d}"),
                None => "the latest lists".to_string(),
            },
        })
    }

    /// The history of an entry (`un:TAi.026`, or a bare reference searched in every list).
    pub fn history(&self, reference: &str) -> Result<(Source, Vec<HistoryStep>)> {
        let (source, reference) = split_reference(reference)?;
        for s in Source::ALL.into_iter().filter(|s| source.is_none_or(|x| x == *s)) {
            let h = self.store.history(s, reference)?;
            if !h.is_empty() {
                return Ok((s, h));
            }
        }
        Err(Error::UnknownEntry {
            reference: reference.to_string(),
            scope: "any list version".into(),
        })
    }

    /// Resolves a version selector: a store id (`#12` or `12`), a publication date, or
    /// `latest`/`previous`.
    pub fn resolve_version(&self, source: Source, selector: &str) -> Result<ListVersion> {
        let versions = self.store.versions(Some(source))?;
        let s = selector.trim();
        let found = if s == "latest" {
            versions.last().cloned()
        } else if s == "previous" {
            versions.len().checked_sub(2).and_then(|i| versions.get(i)).cloned()
        } else if let Some(id) = s.strip_prefix('#').and_then(|x| x.parse::<i64>().ok()) {
            versions.iter().find(|v| v.id == id).cloned()
        } else {
            let date: PartialDate = s.parse().map_err(|e| {
                Error::Usage(format!("{e}; expected a date (YYYY-MM-DD), #ID, latest or previous"))
            })?;
            // The last version published that day, else the latest before it.
            versions.iter().rev().find(|v| v.published <= date.latest()).cloned()
        };
        found.ok_or_else(|| Error::Usage(format!("no {source} version matches {selector:?}")))
    }

    /// Field-level differences between two versions of a list. `from`/`to` default to the
    /// previous and latest versions.
    pub fn diff(&self, source: Source, from: Option<&str>, to: Option<&str>) -> Result<Diff> {
        let to_v = self.resolve_version(source, to.unwrap_or("latest"))?;
        let from_v = match from {
            Some(f) => self.resolve_version(source, f)?,
            None => {
                let versions = self.store.versions(Some(source))?;
                let pos = versions.iter().position(|v| v.id == to_v.id).unwrap_or(0);
                match pos.checked_sub(1) {
                    Some(p) => versions[p].clone(),
                    None => {
                        return Err(Error::Usage(format!(
                            "the {source} list has only one version before or at {}: nothing to compare",
                            to_v.published
                        )));
                    }
                }
            }
        };
        Ok(self.store.diff(from_v.id, to_v.id)?)
    }
}

/// Splits `un:TAi.026` into (Some(Un), "TAi.026"); a bare reference gives (None, ref).
pub fn split_reference(reference: &str) -> Result<(Option<Source>, &str)> {
    let r = reference.trim();
    if r.is_empty() {
        return Err(Error::Usage("empty reference".into()));
    }
    if let Some((prefix, rest)) = r.split_once(':') {
        if let Ok(s) = prefix.parse::<Source>() {
            return Ok((Some(s), rest.trim()));
        }
    }
    Ok((None, r))
}

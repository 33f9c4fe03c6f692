//! Shared server state: the engine behind a mutex, the current snapshot in a swappable cell,
//! a small cache of `as_of` snapshots, and the audit log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Instant;

use sanctions_engine::model::{ListVersion, PartialDate};
use sanctions_engine::{Engine, Snapshot, VersionUsed};
use serde::Serialize;

use crate::audit::{AuditError, AuditLog};
use crate::config::{ConfigError, ServerConfig};
use crate::error::ApiError;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The store could not be opened or read.
    #[error("{0}")]
    Engine(#[from] sanctions_engine::Error),
    /// The audit log could not be opened.
    #[error("{0}")]
    Audit(#[from] AuditError),
}

/// What a reload did.
#[derive(Clone, Debug, Serialize)]
pub struct ReloadReport {
    /// The versions now served.
    pub versions: Vec<VersionUsed>,
    /// False when the store held the same versions as before (the snapshot is still swapped).
    pub changed: bool,
    /// Milliseconds spent reading the store and building the index.
    pub build_ms: u64,
}

struct Shared {
    config: ServerConfig,
    engine: Mutex<Engine>,
    /// The snapshot of the latest versions; `None` while the store holds no list.
    current: RwLock<Option<Arc<Snapshot>>>,
    /// Snapshots for `as_of` requests, most recently used first, keyed by their version ids.
    as_of: Mutex<Vec<(Vec<i64>, Arc<Snapshot>)>>,
    /// Serialises snapshot builds (reloads and `as_of` misses).
    build: Mutex<()>,
    audit: AuditLog,
    requests: AtomicU64,
    started: Instant,
}

/// The state every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves data that is still consistent here (snapshots are
    // immutable, the engine's store is transactional), so poisoning is ignored.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn ids(versions: &[ListVersion]) -> Vec<i64> {
    versions.iter().map(|v| v.id).collect()
}

impl AppState {
    /// Opens the store and the audit log named by `config` and builds the snapshot of the
    /// latest versions. Blocking: call it from `spawn_blocking` in async code.
    pub fn open(config: ServerConfig) -> Result<AppState, StartError> {
        config.validate()?;
        let engine = Engine::open(&config.db)?;
        AppState::new(engine, config)
    }

    /// Serves an engine already open (its store path in `config.db` only names the default
    /// audit log). Builds the snapshot of the latest versions. Blocking.
    pub fn new(engine: Engine, config: ServerConfig) -> Result<AppState, StartError> {
        config.validate()?;
        let audit = AuditLog::open(&config.audit_log_path())?;
        let audit = match config.audit_sync_interval {
            Some(interval) => audit.with_sync_interval(interval)?,
            None => audit,
        };
        let state = AppState(Arc::new(Shared {
            config,
            engine: Mutex::new(engine),
            current: RwLock::new(None),
            as_of: Mutex::new(Vec::new()),
            build: Mutex::new(()),
            audit,
            requests: AtomicU64::new(0),
            started: Instant::now(),
        }));
        match state.reload_engine() {
            Ok(r) => tracing::info!(
                versions = ?r.versions.iter().map(|v| (v.source.as_str(), v.version_id)).collect::<Vec<_>>(),
                build_ms = r.build_ms,
                "snapshot built"
            ),
            Err(sanctions_engine::Error::NoLists) => {
                tracing::warn!("the store holds no list: not ready until a reload finds one")
            }
            Err(e) => return Err(e.into()),
        }
        Ok(state)
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.0.config
    }

    /// The snapshot of the latest versions, if any list is loaded.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.0.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs `f` with the engine locked. Blocking.
    pub(crate) fn with_engine<T>(
        &self,
        f: impl FnOnce(&Engine) -> sanctions_engine::Result<T>,
    ) -> Result<T, ApiError> {
        Ok(f(&lock(&self.0.engine))?)
    }

    /// Runs `f` with the engine locked for a change (a decision, an exemption, customers, a
    /// monitoring run). Blocking.
    pub(crate) fn with_engine_mut<T>(
        &self,
        f: impl FnOnce(&mut Engine) -> sanctions_engine::Result<T>,
    ) -> Result<T, ApiError> {
        Ok(f(&mut lock(&self.0.engine))?)
    }

    pub(crate) fn audit(&self) -> &AuditLog {
        &self.0.audit
    }

    /// A new request number (for request ids).
    pub(crate) fn next_request(&self) -> u64 {
        self.0.requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn started(&self) -> Instant {
        self.0.started
    }

    /// Reads the versions and their entries under the engine lock.
    fn load(
        &self,
        as_of: Option<PartialDate>,
    ) -> sanctions_engine::Result<(Vec<ListVersion>, Vec<sanctions_engine::model::Entity>)> {
        let engine = lock(&self.0.engine);
        let versions = engine.versions_for(as_of)?;
        let mut entities = Vec::new();
        for v in &versions {
            entities.extend(engine.store().entities(v.id)?);
        }
        Ok((versions, entities))
    }

    /// Rebuilds the snapshot of the latest versions from the store and swaps it in. Requests
    /// that already hold the old snapshot finish on it. Blocking.
    pub fn reload(&self) -> Result<ReloadReport, ApiError> {
        Ok(self.reload_engine()?)
    }

    fn reload_engine(&self) -> sanctions_engine::Result<ReloadReport> {
        let _build = lock(&self.0.build);
        let t = Instant::now();
        let (versions, entities) = self.load(None)?;
        let snapshot = Arc::new(Snapshot::build(versions, entities, None));
        let build_ms = t.elapsed().as_millis() as u64;
        let versions = snapshot.versions_used();
        let mut cur = self.0.current.write().unwrap_or_else(|p| p.into_inner());
        let changed = cur.as_ref().is_none_or(|c| ids(c.versions()) != ids(snapshot.versions()));
        *cur = Some(snapshot);
        Ok(ReloadReport { versions, changed, build_ms })
    }

    /// The snapshot to screen on: the current one, or the one in force on `as_of` (built on
    /// first use, then cached). Blocking.
    pub(crate) fn snapshot_for(
        &self,
        as_of: Option<PartialDate>,
    ) -> Result<Arc<Snapshot>, ApiError> {
        let Some(date) = as_of else {
            return self.current().ok_or(ApiError::NoLists);
        };
        let key = self.with_engine(|e| Ok(ids(&e.versions_for(Some(date))?)))?;
        if let Some(cur) = self.current().filter(|c| ids(c.versions()) == key) {
            return Ok(cur);
        }
        if let Some(s) = self.cached(&key) {
            return Ok(s);
        }
        let _build = lock(&self.0.build);
        if let Some(s) = self.cached(&key) {
            return Ok(s);
        }
        let t = Instant::now();
        let (versions, entities) = self.load(Some(date))?;
        let built = Arc::new(Snapshot::build(versions, entities, Some(date)));
        tracing::info!(
            versions = ?ids(built.versions()),
            build_ms = t.elapsed().as_millis() as u64,
            "as_of snapshot built"
        );
        // The key is recomputed from what was loaded, in case an import ran in between.
        let cap = self.0.config.as_of_cache;
        if cap > 0 {
            let mut cache = lock(&self.0.as_of);
            cache.insert(0, (ids(built.versions()), built.clone()));
            cache.truncate(cap);
        }
        Ok(built)
    }

    fn cached(&self, key: &[i64]) -> Option<Arc<Snapshot>> {
        let mut cache = lock(&self.0.as_of);
        let pos = cache.iter().position(|(k, _)| k == key)?;
        let hit = cache.remove(pos);
        let snap = hit.1.clone();
        cache.insert(0, hit);
        Some(snap)
    }
}

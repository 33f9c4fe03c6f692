//! An immutable snapshot of the lists with its index, and screening results.

use sanctions_index::{Hit, Index, ScreenRequest};
use sanctions_model::{Entity, EntityKind, ListVersion, PartialDate, Source};
use sanctions_score::{ALGORITHM_NAME, ALGORITHM_VERSION, Explanation};
use serde::Serialize;

/// The list versions a snapshot (and every result computed on it) used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionUsed {
    /// The list.
    pub source: Source,
    /// Store id of the version.
    pub version_id: i64,
    /// Its publication date.
    pub published: PartialDate,
    /// SHA-256 of the imported file(s).
    pub sha256: String,
}

/// The algorithm that produced a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlgorithmId {
    /// Name.
    pub name: &'static str,
    /// Version.
    pub version: &'static str,
}

impl AlgorithmId {
    /// The algorithm of this build.
    pub fn current() -> AlgorithmId {
        AlgorithmId { name: ALGORITHM_NAME, version: ALGORITHM_VERSION }
    }
}

/// One hit, ready to render or serialise.
#[derive(Clone, Debug, Serialize)]
pub struct HitView {
    /// The list.
    pub source: Source,
    /// The entry's reference (`TAi.026`, `6636`).
    pub reference: String,
    /// Primary listed name.
    pub name: String,
    /// The listed name that matched best.
    pub matched_name: String,
    /// Kind of the listed entry.
    pub kind: EntityKind,
    /// Programmes / regimes of the entry.
    pub programs: Vec<String>,
    /// The entry's regimes and the measures that bind it (from the regime catalogue).
    pub regimes: Vec<sanctions_regimes::RegimeInfo>,
    /// Score in [0, 1].
    pub score: f32,
    /// Why.
    pub explanation: Explanation,
}

/// The result of screening one request.
#[derive(Clone, Debug, Serialize)]
pub struct ScreenResult {
    /// Hits, best first.
    pub hits: Vec<HitView>,
    /// The threshold applied.
    pub threshold: f32,
    /// The list versions used.
    pub versions: Vec<VersionUsed>,
    /// The algorithm used.
    pub algorithm: AlgorithmId,
}

/// An immutable view of some list versions with their index.
pub struct Snapshot {
    versions: Vec<ListVersion>,
    index: Index,
    as_of: Option<PartialDate>,
}

impl Snapshot {
    /// Builds the index over `entities` (which must come from `versions`).
    pub fn build(
        versions: Vec<ListVersion>,
        entities: Vec<Entity>,
        as_of: Option<PartialDate>,
    ) -> Snapshot {
        Snapshot { versions, index: Index::build(entities), as_of }
    }

    /// The list versions in this snapshot.
    pub fn versions(&self) -> &[ListVersion] {
        &self.versions
    }

    /// The date the snapshot was taken as of, if any.
    pub fn as_of(&self) -> Option<PartialDate> {
        self.as_of
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The versions used, for audit.
    pub fn versions_used(&self) -> Vec<VersionUsed> {
        self.versions
            .iter()
            .map(|v| VersionUsed {
                source: v.source,
                version_id: v.id,
                published: v.published,
                sha256: v.sha256.clone(),
            })
            .collect()
    }

    /// Screens one request.
    pub fn screen(&self, req: &ScreenRequest) -> ScreenResult {
        let hits = self.screen_hits(req);
        ScreenResult {
            hits,
            threshold: req.threshold,
            versions: self.versions_used(),
            algorithm: AlgorithmId::current(),
        }
    }

    /// Screens one request and returns only the hits (the batch path).
    pub fn screen_hits(&self, req: &ScreenRequest) -> Vec<HitView> {
        self.hit_views(self.index.screen(req))
    }

    /// The hits of [`Index::screen`] or [`Index::screen_query`] on this snapshot's index, as
    /// [`Snapshot::screen_hits`] returns them.
    pub fn hit_views(&self, hits: Vec<Hit>) -> Vec<HitView> {
        hits.into_iter()
            .map(|h| {
                let e = &self.index.entities()[h.entity];
                HitView {
                    source: e.source,
                    reference: e.reference.clone(),
                    name: e.primary_name().to_string(),
                    matched_name: self.index.matched_name(&h).to_string(),
                    kind: e.kind,
                    programs: e.programs.clone(),
                    regimes: sanctions_regimes::regimes_for(e),
                    score: h.score,
                    explanation: h.explanation,
                }
            })
            .collect()
    }
}

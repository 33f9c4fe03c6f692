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
        self.result(self.index.screen(req), req.threshold)
    }

    /// The result of a screening that found `hits` at `threshold` on this snapshot.
    fn result(&self, hits: Vec<Hit>, threshold: f32) -> ScreenResult {
        ScreenResult {
            hits: self.hit_views(hits),
            threshold,
            versions: self.versions_used(),
            algorithm: AlgorithmId::current(),
        }
    }

    /// Screens many requests on this thread, in the index's locality order (queries sharing
    /// words one after the other, [`Index::locality_order`]: about three quarters of the time
    /// of screening them in turn), and returns their results in input order, each the same as
    /// [`Snapshot::screen`]'s. `keep_going` is asked before the first screening and after
    /// every [`Snapshot::SCREEN_MANY_STEP`] more; its error, if any, ends the run.
    pub fn screen_many<E>(
        &self,
        reqs: &[&ScreenRequest],
        mut keep_going: impl FnMut() -> Result<(), E>,
    ) -> Result<Vec<ScreenResult>, E> {
        keep_going()?;
        let queries: Vec<_> = reqs.iter().map(|r| self.index.prepare(r)).collect();
        let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); reqs.len()];
        for (n, i) in self.index.locality_order(&queries).into_iter().enumerate() {
            if n > 0 && n % Self::SCREEN_MANY_STEP == 0 {
                keep_going()?;
            }
            hits[i] = self.index.screen_query(&queries[i], reqs[i].threshold, reqs[i].limit);
        }
        Ok(hits.into_iter().zip(reqs).map(|(h, r)| self.result(h, r.threshold)).collect())
    }

    /// How many screenings [`Snapshot::screen_many`] does between two calls of `keep_going`.
    pub const SCREEN_MANY_STEP: usize = 64;

    /// The hits of [`Index::screen`] or [`Index::screen_query`] on this snapshot's index, as
    /// [`Snapshot::screen`] returns them.
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

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_model::{Name, NameQuality};

    fn person(id: &str, names: &[&str]) -> Entity {
        let mut e = Entity::new(Source::Un, id, id, EntityKind::Person);
        for (i, n) in names.iter().enumerate() {
            let q = if i == 0 { NameQuality::Primary } else { NameQuality::Strong };
            e.names.push(Name::new(*n, q));
        }
        e
    }

    fn snapshot() -> Snapshot {
        let entities = vec![
            person("A.1", &["Amir Khan Muttaqi", "Amir Khan Motaqi"]),
            person("A.2", &["Abdul Ghani Baradar"]),
            person("A.3", &["Mohammad Hassan Akhund"]),
            person("A.4", &["Mohammad Khan Akbari"]),
            person("A.5", &["Khan Mohammad Amir"]),
        ];
        Snapshot::build(Vec::new(), entities, None)
    }

    /// Many requests, with words in common in no particular order, and some repeated.
    fn requests() -> Vec<ScreenRequest> {
        let names = [
            "Mohammad Khan",
            "Amir Khan Muttaqi",
            "Zzyzx Qwrtplk",
            "Abdul Ghani Baradar",
            "Muttaqi Amir Khan",
            "Mohammad Akhund",
            "Amir Khan Mottaki",
            "Khan",
        ];
        (0..150)
            .map(|i| ScreenRequest {
                name: names[i % names.len()].into(),
                threshold: if i % 3 == 0 { 0.5 } else { 0.8 },
                limit: 1 + i % 4,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn screen_many_equals_screening_each_in_turn() {
        let s = snapshot();
        let reqs = requests();
        let refs: Vec<&ScreenRequest> = reqs.iter().collect();
        let many = s.screen_many(&refs, || Ok::<(), ()>(())).unwrap();
        assert_eq!(many.len(), reqs.len());
        let mut hits = 0;
        for (r, m) in reqs.iter().zip(&many) {
            let one = s.screen(r);
            hits += one.hits.len();
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::to_value(&one).unwrap());
        }
        assert!(hits > 100, "{hits} hits: the requests find something");
        // The locality order is not the input order here, so the results were put back.
        let queries: Vec<_> = reqs.iter().map(|r| s.index().prepare(r)).collect();
        let order = s.index().locality_order(&queries);
        assert!(order.iter().enumerate().any(|(i, &j)| i != j));
    }

    #[test]
    fn screen_many_stops_when_told() {
        let s = snapshot();
        let reqs = requests();
        let refs: Vec<&ScreenRequest> = reqs.iter().collect();
        // Asked before the first screening, then after every SCREEN_MANY_STEP.
        let mut asked = 0;
        s.screen_many(&refs, || {
            asked += 1;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(asked, 1 + (reqs.len() - 1) / Snapshot::SCREEN_MANY_STEP);
        let mut asked = 0;
        let got = s.screen_many(&refs, || {
            asked += 1;
            if asked == 2 { Err("deadline") } else { Ok(()) }
        });
        assert_eq!(got.err(), Some("deadline"));
        assert_eq!(asked, 2);
        assert_eq!(s.screen_many(&refs, || Err(7)).err(), Some(7));
        assert!(s.screen_many(&[], || Ok::<(), ()>(())).unwrap().is_empty());
    }
}

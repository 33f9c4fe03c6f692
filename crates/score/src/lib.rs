//! Pairwise scoring of a query against a listed entry, with explanations.
//!
//! The algorithm [`Algorithm`] (name [`ALGORITHM_NAME`], version [`ALGORITHM_VERSION`]) works
//! in two steps:
//!
//! 1. **Names.** The query and each listed name are tokenised by `sanctions-text`. Words are
//!    aligned order-free ([`align`]): each query word meets at most one listed word, or two
//!    adjacent words glued ("Abdulghani" = "Abdul Ghani"), by [`word_similarity`]: identical,
//!    a transliteration variant (same variant key), or a typo (edit distance). Rare words weigh
//!    more than common ones (the weights come from the index); particles and honorifics weigh
//!    little. The name score is `query_coverage × name_coverage^0.5`: a query must be found
//!    almost whole in the name, and most of the name must be found in the query.
//!    Weak aliases are discounted unless a document number agrees.
//! 2. **Attributes.** Birth date (exact day, year, approximate ± 2 years, ranges; the closest of
//!    several listed dates decides), nationality, kind and document numbers add or subtract
//!    bounded amounts ([`attributes`]).
//!
//! Scores are in [0, 1]. Every result carries an [`Explanation`].
#![deny(missing_docs)]

mod align;
pub mod attributes;
mod similarity;

pub use align::{
    Alignment, GLUED_MIN, GLUED_MIN_LEN, Glued, NameConfig, NameToken, Pair, PreparedName,
    SimLookup, align, align_score_with, align_with, may_reach_glued_min, sim, sim_masked,
};
pub use attributes::{AttributeConfig, Evidence, Verdict};
pub use similarity::{
    MatchKind, OsaPattern, ShapeCheck, WordPattern, WordShape, WordSim, has_vy, key_similarity,
    lengths_may_reach_glued_min, letter_mask, letter_multiset_mask, osa_distance, sim_prepared,
    word_similarity,
};

use sanctions_model::{BirthDate, EntityKind, NameQuality, PartialDate};
use serde::Serialize;

/// Name of the scoring algorithm, recorded with every result.
pub const ALGORITHM_NAME: &str = "sanctions-name";
/// Version of the scoring algorithm, recorded with every result. Bump on any change that
/// moves scores.
pub const ALGORITHM_VERSION: &str = "1";

/// The default alert threshold: scores at or above it are hits.
pub const DEFAULT_THRESHOLD: f32 = 0.80;

/// All tunable constants of the algorithm, recorded with results for audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlgorithmConfig {
    /// Name-score constants.
    pub name: NameConfig,
    /// Attribute constants.
    pub attributes: AttributeConfig,
    /// Multiplier on the name score of a weak (low-quality) alias.
    pub weak_alias_factor: f32,
    /// Multiplier on the name score of a former name.
    pub former_name_factor: f32,
}

impl Default for AlgorithmConfig {
    fn default() -> Self {
        AlgorithmConfig {
            name: NameConfig::default(),
            attributes: AttributeConfig::default(),
            weak_alias_factor: 0.75,
            former_name_factor: 0.97,
        }
    }
}

/// A query ready for scoring.
#[derive(Clone, Debug)]
pub struct Query {
    /// The name, tokenised and weighted.
    pub name: PreparedName,
    /// Date of birth, if given.
    pub birth_date: Option<PartialDate>,
    /// Nationality as an ISO code, if given and known.
    pub country: Option<&'static str>,
    /// The nationality as the user wrote it (for explanations).
    pub country_text: Option<String>,
    /// Kind, if given.
    pub kind: Option<EntityKind>,
    /// Document numbers, normalised with [`attributes::normalize_identifier`].
    pub identifiers: Vec<String>,
}

/// What the scorer needs of a listed entry's attributes.
#[derive(Clone, Copy, Debug)]
pub struct CandidateAttrs<'a> {
    /// Kind.
    pub kind: EntityKind,
    /// Every listed birth date.
    pub birth_dates: &'a [BirthDate],
    /// Nationality and citizenship codes.
    pub countries: &'a [&'static str],
    /// Normalised document numbers.
    pub identifiers: &'a [String],
}

/// One listed name offered to the scorer.
#[derive(Clone, Copy, Debug)]
pub struct CandidateName<'a> {
    /// Position of the name in the entity.
    pub index: usize,
    /// The prepared name.
    pub name: &'a PreparedName,
    /// Its quality.
    pub quality: NameQuality,
}

/// One word pair in an explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WordMatch {
    /// The query word(s).
    pub query: String,
    /// The listed word(s).
    pub listed: String,
    /// Similarity in [0, 1].
    pub similarity: f32,
    /// Exact, variant, fuzzy or initial.
    pub how: MatchKind,
}

/// Why a candidate scored what it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The index of the listed name that matched best.
    pub name_index: usize,
    /// Its quality.
    pub name_quality: NameQuality,
    /// Name score before attributes.
    pub name_score: f32,
    /// Weighted share of the query found in the name.
    pub query_coverage: f32,
    /// Weighted share of the name found in the query.
    pub name_coverage: f32,
    /// Word pairs.
    pub words: Vec<WordMatch>,
    /// Query words that met nothing.
    pub unmatched_query: Vec<String>,
    /// Listed words that met nothing.
    pub unmatched_listed: Vec<String>,
    /// Attribute evidence.
    pub attributes: Vec<Evidence>,
    /// A note, e.g. that a weak alias was discounted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A scored candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    /// Final score in [0, 1].
    pub score: f32,
    /// Why.
    pub explanation: Explanation,
}

/// The scoring algorithm with its configuration.
#[derive(Clone, Debug, Default)]
pub struct Algorithm {
    /// Constants.
    pub config: AlgorithmConfig,
}

fn quality_factor(cfg: &AlgorithmConfig, q: NameQuality) -> f32 {
    match q {
        NameQuality::Primary | NameQuality::Strong => 1.0,
        NameQuality::Weak => cfg.weak_alias_factor,
        NameQuality::Former => cfg.former_name_factor,
    }
}

impl Algorithm {
    /// The best name score over `names` without attributes, and which name gave it: a cheap
    /// upper bound used by the index to prune (attributes can add at most a bounded amount).
    pub fn best_name<'a>(
        &self,
        query: &PreparedName,
        names: impl IntoIterator<Item = CandidateName<'a>>,
    ) -> Option<(f32, CandidateName<'a>, Alignment)> {
        self.best_name_with(query, names, |q, c| align(q, c.name, &self.config.name))
    }

    /// [`Algorithm::best_name`] with the alignment computed by `align_fn` (e.g. with
    /// [`align_with`] and a similarity table).
    pub fn best_name_with<'a>(
        &self,
        query: &PreparedName,
        names: impl IntoIterator<Item = CandidateName<'a>>,
        mut align_fn: impl FnMut(&PreparedName, &CandidateName<'a>) -> Alignment,
    ) -> Option<(f32, CandidateName<'a>, Alignment)> {
        let mut best: Option<(f32, CandidateName<'a>, Alignment)> = None;
        for cand in names {
            let al = align_fn(query, &cand);
            let s = al.score * quality_factor(&self.config, cand.quality);
            if best.as_ref().is_none_or(|(b, _, _)| s > *b) {
                best = Some((s, cand, al));
            }
        }
        best
    }

    /// Scores a query against one listed entry: best name, then attributes.
    pub fn score<'a>(
        &self,
        query: &Query,
        names: impl IntoIterator<Item = CandidateName<'a>>,
        attrs: CandidateAttrs<'_>,
    ) -> Option<Scored> {
        self.score_with(query, names, attrs, |q, c| align(q, c.name, &self.config.name))
    }

    /// [`Algorithm::score`] with the alignment computed by `align_fn`.
    pub fn score_with<'a>(
        &self,
        query: &Query,
        names: impl IntoIterator<Item = CandidateName<'a>>,
        attrs: CandidateAttrs<'_>,
        align_fn: impl FnMut(&PreparedName, &CandidateName<'a>) -> Alignment,
    ) -> Option<Scored> {
        let (mut name_score, cand, al) = self.best_name_with(&query.name, names, align_fn)?;
        let cfg = &self.config.attributes;
        let mut evidence = Vec::new();
        if let Some(dob) = query.birth_date {
            if attrs.kind != EntityKind::Organization {
                evidence.extend(attributes::birth_date(dob, attrs.birth_dates, cfg));
            }
        }
        if let Some(code) = query.country {
            evidence.extend(attributes::nationality(code, attrs.countries, cfg));
        }
        if let Some(kind) = query.kind {
            evidence.extend(attributes::kind(kind, attrs.kind, cfg));
        }
        let id = attributes::identifier(&query.identifiers, attrs.identifiers, cfg);
        let mut note = None;
        if cand.quality == NameQuality::Weak {
            if id.is_some() {
                name_score = al.score;
                note = Some("weak alias counted in full: a document number agrees".to_string());
            } else {
                note = Some(format!(
                    "weak (low-quality) alias: name score × {}",
                    self.config.weak_alias_factor
                ));
            }
        }
        evidence.extend(id);
        let adj: f32 = evidence.iter().map(|e| e.effect).sum();
        let score = (name_score + adj).clamp(0.0, 1.0);
        let explanation = explain(&query.name, cand, &al, name_score, evidence, note);
        Some(Scored { score, explanation })
    }

    /// The score of [`Algorithm::score_with`] alone, with `score_fn` giving each name's
    /// alignment score (e.g. [`align_score_with`]): the same number, nothing explained.
    pub fn score_only_with<'a>(
        &self,
        query: &Query,
        names: impl IntoIterator<Item = CandidateName<'a>>,
        attrs: CandidateAttrs<'_>,
        score_fn: impl FnMut(&PreparedName, &CandidateName<'a>) -> f32,
    ) -> Option<f32> {
        self.score_only_best_with(query, names, attrs, score_fn).map(|(score, _)| score)
    }

    /// [`Algorithm::score_only_with`], and the position among `names` of the name
    /// [`Algorithm::score_with`] would explain (the first with the best weighted name score):
    /// scoring that name alone with [`Algorithm::score_with`] gives the same result as scoring
    /// them all.
    pub fn score_only_best_with<'a>(
        &self,
        query: &Query,
        names: impl IntoIterator<Item = CandidateName<'a>>,
        attrs: CandidateAttrs<'_>,
        mut score_fn: impl FnMut(&PreparedName, &CandidateName<'a>) -> f32,
    ) -> Option<(f32, usize)> {
        let mut best: Option<(f32, NameQuality, f32, usize)> = None;
        for (i, cand) in names.into_iter().enumerate() {
            let al = score_fn(&query.name, &cand);
            let s = al * quality_factor(&self.config, cand.quality);
            if best.as_ref().is_none_or(|(b, _, _, _)| s > *b) {
                best = Some((s, cand.quality, al, i));
            }
        }
        let (mut name_score, quality, al_score, at) = best?;
        let (adj, id) = self.attribute_adjustment(query, attrs);
        if quality == NameQuality::Weak && id {
            name_score = al_score;
        }
        Some(((name_score + adj).clamp(0.0, 1.0), at))
    }

    /// The multiplier on the name score of a listed name of quality `q` (weak aliases and
    /// former names count less).
    pub fn quality_factor(&self, q: NameQuality) -> f32 {
        quality_factor(&self.config, q)
    }

    /// What the attributes add to the name score (the sum of the effects, as
    /// [`Algorithm::score_with`] sums them), and whether a document number agrees (a weak
    /// alias then counts in full).
    pub fn attribute_adjustment(&self, query: &Query, attrs: CandidateAttrs<'_>) -> (f32, bool) {
        let cfg = &self.config.attributes;
        // The effects in the order `score_with` lists the evidence, summed the same way.
        let mut effects = [0.0f32; 4];
        let mut k = 0;
        let mut add = |e: Option<f32>| {
            if let Some(e) = e {
                effects[k] = e;
                k += 1;
            }
        };
        if let Some(dob) = query.birth_date {
            if attrs.kind != EntityKind::Organization {
                add(attributes::birth_date_effect(dob, attrs.birth_dates, cfg));
            }
        }
        if let Some(code) = query.country {
            add(attributes::nationality_effect(code, attrs.countries, cfg));
        }
        if let Some(kind) = query.kind {
            add(attributes::kind_effect(kind, attrs.kind, cfg));
        }
        let id = attributes::identifier_agrees(&query.identifiers, attrs.identifiers);
        add(id.then_some(cfg.identifier_bonus));
        let adj: f32 = effects[..k].iter().sum();
        (adj, id)
    }
}

fn join(tokens: &[NameToken], idx: &[usize]) -> String {
    idx.iter().map(|&i| tokens[i].text.as_str()).collect::<Vec<_>>().join(" ")
}

fn explain(
    q: &PreparedName,
    cand: CandidateName<'_>,
    al: &Alignment,
    name_score: f32,
    attributes: Vec<Evidence>,
    note: Option<String>,
) -> Explanation {
    let n = cand.name;
    let mut qm = vec![false; q.tokens.len()];
    let mut nm = vec![false; n.tokens.len()];
    let words = al
        .pairs
        .iter()
        .map(|p| {
            p.query.iter().for_each(|&i| qm[i] = true);
            p.name.iter().for_each(|&i| nm[i] = true);
            WordMatch {
                query: join(&q.tokens, &p.query),
                listed: join(&n.tokens, &p.name),
                similarity: p.similarity,
                how: p.how,
            }
        })
        .collect();
    let unmatched = |t: &[NameToken], m: &[bool]| {
        t.iter().zip(m).filter(|(_, m)| !**m).map(|(t, _)| t.text.clone()).collect()
    };
    Explanation {
        name_index: cand.index,
        name_quality: cand.quality,
        name_score,
        query_coverage: al.query_coverage,
        name_coverage: al.name_coverage,
        words,
        unmatched_query: unmatched(&q.tokens, &qm),
        unmatched_listed: unmatched(&n.tokens, &nm),
        attributes,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sanctions_text::{TokenClass, tokenize};

    fn prep(s: &str) -> PreparedName {
        PreparedName::new(tokenize(s), |t| if t.class == TokenClass::Word { 1.0 } else { 0.2 })
    }

    fn query(name: &str) -> Query {
        Query {
            name: prep(name),
            birth_date: None,
            country: None,
            country_text: None,
            kind: None,
            identifiers: vec![],
        }
    }

    fn assert_all<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

    #[test]
    fn auto_traits() {
        assert_all::<Algorithm>();
        assert_all::<PreparedName>();
        assert_all::<Scored>();
    }

    #[test]
    fn dob_conflict_lowers_and_explains() {
        let alg = Algorithm::default();
        let listed = prep("AMIR KHAN MUTTAQI");
        let dobs = vec![BirthDate::Exact { date: PartialDate::year(1968) }];
        let attrs = CandidateAttrs {
            kind: EntityKind::Person,
            birth_dates: &dobs,
            countries: &["AF"],
            identifiers: &[],
        };
        let names = [CandidateName { index: 0, name: &listed, quality: NameQuality::Primary }];
        let mut q = query("Amir Khan Muttaqi");
        let plain = alg.score(&q, names, attrs).unwrap();
        q.birth_date = Some(PartialDate::year(1999));
        let conflict = alg.score(&q, names, attrs).unwrap();
        assert!(conflict.score < plain.score - 0.2, "{} vs {}", conflict.score, plain.score);
        assert_eq!(conflict.explanation.attributes[0].verdict, Verdict::Conflicts);
        q.birth_date = Some(PartialDate::year(1968));
        let agree = alg.score(&q, names, attrs).unwrap();
        assert!(agree.score >= plain.score);
        assert_eq!(plain.explanation.words.len(), 3);
    }

    #[test]
    fn weak_alias_is_discounted() {
        let alg = Algorithm::default();
        let listed = prep("BNC");
        let attrs = CandidateAttrs {
            kind: EntityKind::Organization,
            birth_dates: &[],
            countries: &[],
            identifiers: &[],
        };
        let names = [CandidateName { index: 1, name: &listed, quality: NameQuality::Weak }];
        let s = alg.score(&query("BNC"), names, attrs).unwrap();
        assert!(s.score < DEFAULT_THRESHOLD);
        assert!(s.explanation.note.is_some());
    }

    proptest::proptest! {
        #[test]
        fn scores_in_unit_interval(a in "\\PC{0,40}", b in "\\PC{0,40}", year in 1900i32..2030) {
            let alg = Algorithm::default();
            let listed = prep(&b);
            let dobs = vec![BirthDate::Approximately { date: PartialDate::year(1970) }];
            let attrs = CandidateAttrs { kind: EntityKind::Person, birth_dates: &dobs, countries: &["AF"], identifiers: &[] };
            let mut q = query(&a);
            q.birth_date = Some(PartialDate::year(year));
            q.country = Some("US");
            q.kind = Some(EntityKind::Organization);
            let names = [CandidateName { index: 0, name: &listed, quality: NameQuality::Primary }];
            if let Some(s) = alg.score(&q, names, attrs) {
                proptest::prop_assert!((0.0..=1.0).contains(&s.score));
                proptest::prop_assert!((0.0..=1.0).contains(&s.explanation.name_score));
            }
        }
    }
}

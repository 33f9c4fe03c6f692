//! Secondary attributes as evidence: birth date, nationality, kind, documents.

use sanctions_model::{BirthDate, EntityKind, PartialDate};
use serde::Serialize;

/// Whether an attribute supports or contradicts the match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The attribute agrees.
    Agrees,
    /// The attribute contradicts.
    Conflicts,
    /// Nothing to compare or too close to call.
    Neutral,
}

/// One piece of attribute evidence and its effect on the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Which attribute ("birth_date", "nationality", "kind", "identifier").
    pub attribute: &'static str,
    /// Agrees, conflicts or neutral.
    pub verdict: Verdict,
    /// Added to the name score (negative for conflicts).
    pub effect: f32,
    /// A sentence for the reviewer.
    pub detail: String,
}

/// Tunable effects of attributes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttributeConfig {
    /// Years an "approximately" date is widened by on each side.
    pub approx_years: i32,
    /// Bonus for an identical full birth date.
    pub dob_exact_bonus: f32,
    /// Bonus for a birth year inside the listed year or range.
    pub dob_year_bonus: f32,
    /// Penalty per year of distance beyond the tolerance, up to `dob_max_penalty`.
    pub dob_penalty_per_year: f32,
    /// Largest birth-date penalty.
    pub dob_max_penalty: f32,
    /// Bonus for a nationality that agrees.
    pub nationality_bonus: f32,
    /// Penalty for a nationality that contradicts every listed one.
    pub nationality_penalty: f32,
    /// Penalty when a person is compared with an organisation, vessel or aircraft.
    pub kind_penalty: f32,
    /// Penalty when organisation, vessel and aircraft kinds disagree.
    pub minor_kind_penalty: f32,
    /// Bonus for an identical document number.
    pub identifier_bonus: f32,
}

impl Default for AttributeConfig {
    fn default() -> Self {
        AttributeConfig {
            approx_years: 2,
            dob_exact_bonus: 0.06,
            dob_year_bonus: 0.03,
            dob_penalty_per_year: 0.04,
            dob_max_penalty: 0.30,
            nationality_bonus: 0.02,
            nationality_penalty: 0.04,
            kind_penalty: 0.35,
            minor_kind_penalty: 0.10,
            identifier_bonus: 0.25,
        }
    }
}

/// Compares a queried birth date with every listed one; the closest decides.
pub fn birth_date(
    query: PartialDate,
    listed: &[BirthDate],
    cfg: &AttributeConfig,
) -> Option<Evidence> {
    let (d, exact, i) = birth_date_closest(query, listed, cfg)?;
    let text = listed[i].to_string();
    Some(if exact {
        Evidence {
            attribute: "birth_date",
            verdict: Verdict::Agrees,
            effect: cfg.dob_exact_bonus,
            detail: format!("born {query}: the same date as listed ({text})"),
        }
    } else if d == 0 {
        Evidence {
            attribute: "birth_date",
            verdict: Verdict::Agrees,
            effect: cfg.dob_year_bonus,
            detail: format!("born {query}: consistent with listed {text}"),
        }
    } else if d <= 1 {
        Evidence {
            attribute: "birth_date",
            verdict: Verdict::Neutral,
            effect: 0.0,
            detail: format!("born {query}: close to listed {text}"),
        }
    } else {
        let effect = -(cfg.dob_penalty_per_year * (d - 1) as f32).min(cfg.dob_max_penalty);
        Evidence {
            attribute: "birth_date",
            verdict: Verdict::Conflicts,
            effect,
            detail: format!("born {query}: {d} years from listed {text}"),
        }
    })
}

/// Compares a queried country code with the listed nationalities/citizenships (codes).
pub fn nationality(query: &str, listed: &[&str], cfg: &AttributeConfig) -> Option<Evidence> {
    if listed.is_empty() {
        return None;
    }
    Some(if listed.contains(&query) {
        Evidence {
            attribute: "nationality",
            verdict: Verdict::Agrees,
            effect: cfg.nationality_bonus,
            detail: format!("nationality {query} is listed"),
        }
    } else {
        Evidence {
            attribute: "nationality",
            verdict: Verdict::Conflicts,
            effect: -cfg.nationality_penalty,
            detail: format!("nationality {query}; listed {}", listed.join(", ")),
        }
    })
}

/// The closest listed birth date: (distance in years, exact day, its index).
fn birth_date_closest(
    query: PartialDate,
    listed: &[BirthDate],
    cfg: &AttributeConfig,
) -> Option<(i32, bool, usize)> {
    let mut best: Option<(i32, bool, usize)> = None; // (distance in years, exact day, listed index)
    for (i, b) in listed.iter().enumerate() {
        let Some((lo, hi)) = b.year_range(cfg.approx_years) else { continue };
        let d = if query.year < lo {
            lo - query.year
        } else if query.year > hi {
            query.year - hi
        } else {
            0
        };
        let exact_day = match b {
            BirthDate::Exact { date } => date.is_full() && query.is_full() && *date == query,
            _ => false,
        };
        // A full date whose year agrees but whose day differs is weaker than a year match.
        let day_conflict = match b {
            BirthDate::Exact { date } => {
                date.is_full() && query.is_full() && *date != query && d == 0
            }
            _ => false,
        };
        let d_eff = if day_conflict { 1 } else { d };
        let better = match &best {
            None => true,
            Some((bd, bex, _)) => !bex && (exact_day || d_eff < *bd),
        };
        if better {
            best = Some((d_eff, exact_day, i));
        }
    }
    best
}

/// The effect of [`birth_date`] alone (nothing formatted).
pub(crate) fn birth_date_effect(
    query: PartialDate,
    listed: &[BirthDate],
    cfg: &AttributeConfig,
) -> Option<f32> {
    let (d, exact, _) = birth_date_closest(query, listed, cfg)?;
    Some(if exact {
        cfg.dob_exact_bonus
    } else if d == 0 {
        cfg.dob_year_bonus
    } else if d <= 1 {
        0.0
    } else {
        -(cfg.dob_penalty_per_year * (d - 1) as f32).min(cfg.dob_max_penalty)
    })
}

/// The effect of [`nationality`] alone.
pub(crate) fn nationality_effect(
    query: &str,
    listed: &[&str],
    cfg: &AttributeConfig,
) -> Option<f32> {
    if listed.is_empty() {
        return None;
    }
    Some(if listed.contains(&query) { cfg.nationality_bonus } else { -cfg.nationality_penalty })
}

/// The effect of [`kind`] alone.
pub(crate) fn kind_effect(
    query: EntityKind,
    listed: EntityKind,
    cfg: &AttributeConfig,
) -> Option<f32> {
    use EntityKind::*;
    if query == Unknown || listed == Unknown || query == listed {
        return None;
    }
    let effect =
        if query == Person || listed == Person { cfg.kind_penalty } else { cfg.minor_kind_penalty };
    Some(-effect)
}

/// Whether [`identifier`] finds a queried document number among the listed ones.
pub(crate) fn identifier_agrees(query: &[String], listed: &[String]) -> bool {
    query.iter().any(|q| q.len() >= 5 && listed.contains(q))
}

/// Compares the queried kind with the listed kind.
pub fn kind(query: EntityKind, listed: EntityKind, cfg: &AttributeConfig) -> Option<Evidence> {
    use EntityKind::*;
    if query == Unknown || listed == Unknown {
        return None;
    }
    if query == listed {
        return None;
    }
    let effect =
        if query == Person || listed == Person { cfg.kind_penalty } else { cfg.minor_kind_penalty };
    Some(Evidence {
        attribute: "kind",
        verdict: Verdict::Conflicts,
        effect: -effect,
        detail: format!("searched for a {query}; listed as a {listed}"),
    })
}

/// Normalises a document number for comparison: letters and digits only, upper case.
pub fn normalize_identifier(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Compares queried document numbers (normalised) with listed ones (normalised).
pub fn identifier(query: &[String], listed: &[String], cfg: &AttributeConfig) -> Option<Evidence> {
    let hit = query.iter().find(|q| q.len() >= 5 && listed.contains(q))?;
    Some(Evidence {
        attribute: "identifier",
        verdict: Verdict::Agrees,
        effect: cfg.identifier_bonus,
        detail: format!("document number {hit} is listed for this entry"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    #[test]
    fn birth_dates() {
        let cfg = AttributeConfig::default();
        let listed = vec![
            BirthDate::Approximately { date: d("1968") },
            BirthDate::Exact { date: d("1970-05-12") },
        ];
        assert_eq!(birth_date(d("1970-05-12"), &listed, &cfg).unwrap().verdict, Verdict::Agrees);
        assert!(birth_date(d("1970-05-12"), &listed, &cfg).unwrap().effect > cfg.dob_year_bonus);
        assert_eq!(birth_date(d("1966"), &listed, &cfg).unwrap().verdict, Verdict::Agrees);
        assert_eq!(birth_date(d("1940"), &listed, &cfg).unwrap().verdict, Verdict::Conflicts);
        assert_eq!(birth_date(d("1940"), &listed, &cfg).unwrap().effect, -cfg.dob_max_penalty);
        let between = vec![BirthDate::Between { from: d("1975"), to: d("1978") }];
        assert_eq!(birth_date(d("1977"), &between, &cfg).unwrap().verdict, Verdict::Agrees);
        assert!(birth_date(d("1977"), &[], &cfg).is_none());
    }

    #[test]
    fn others() {
        let cfg = AttributeConfig::default();
        assert_eq!(nationality("AF", &["AF", "PK"], &cfg).unwrap().verdict, Verdict::Agrees);
        assert_eq!(nationality("US", &["AF"], &cfg).unwrap().verdict, Verdict::Conflicts);
        assert!(nationality("US", &[], &cfg).is_none());
        assert!(kind(EntityKind::Person, EntityKind::Organization, &cfg).unwrap().effect < -0.3);
        assert!(kind(EntityKind::Person, EntityKind::Unknown, &cfg).is_none());
        assert_eq!(normalize_identifier("fu-015 2122"), "FU0152122");
        let q = vec!["FU0152122".to_string()];
        assert!(identifier(&q, &q, &cfg).is_some());
    }
}

//! The regime catalogue of the `sanctions` system, and the exemption rules.
//!
//! The catalogue is reviewed data, `data/regimes.toml`, embedded in the binary and parsed once
//! ([`catalogue`]): for each UN sanctions regime of the Consolidated List (keyed by its
//! `UN_LIST_TYPE` value) the committee, the resolutions and the measures that bind listed
//! individuals and entities; the standing carve-outs (resolution 2615 (2021) for the 1988
//! regime, resolution 2664 (2022) across UN asset freezes); and the name of every OFAC SDN
//! program code.
//!
//! [`regimes_for`] names the regimes and measures of an entry; [`covers_trip`] and
//! [`covers_payment`] say whether a recorded [`Exemption`] covers a trip or a payment;
//! [`validate`] checks an exemption before it is stored (period order, the nine-month limit of
//! 1988 travel exemptions, known regime). Everything here is pure.
//!
//! The catalogue is information for analysts, not legal advice.
#![deny(missing_docs)]

use std::fmt;
use std::sync::OnceLock;

use sanctions_model::{Entity, EntityKind, Exemption, ExemptionKind, PartialDate, Source};
use serde::{Deserialize, Serialize};

/// The catalogue file, as reviewed.
pub const CATALOGUE_TOML: &str = include_str!("../data/regimes.toml");

/// A measure that binds a designated party.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Freeze of funds and economic resources (OFAC: blocking of property).
    AssetFreeze,
    /// States prevent entry into or transit through their territories.
    TravelBan,
    /// Targeted arms embargo on the designated party.
    ArmsEmbargo,
}

impl Measure {
    /// Words for people: `asset freeze`, `travel ban`, `arms embargo`.
    pub fn label(&self) -> &'static str {
        match self {
            Measure::AssetFreeze => "asset freeze",
            Measure::TravelBan => "travel ban",
            Measure::ArmsEmbargo => "arms embargo",
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// A UN Security Council sanctions regime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnRegime {
    /// The `UN_LIST_TYPE` value of its entries (`Taliban`).
    pub list_type: String,
    /// Catalogue id (`un-taliban`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The sanctions committee.
    pub committee: String,
    /// The main resolutions, `NNNN (YYYY)`.
    pub resolutions: Vec<String>,
    /// Prefixes of the permanent reference numbers (`TAi`, `TAe`).
    pub reference_prefixes: Vec<String>,
    /// Measures on listed individuals.
    pub individuals: Vec<Measure>,
    /// Measures on listed entities.
    pub entities: Vec<Measure>,
    /// `active` or `terminated`.
    pub status: String,
    /// Longest period of a travel-ban exemption, in months, where the regime sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_exemption_max_months: Option<u32>,
    /// What a reviewer should know.
    #[serde(default)]
    pub note: String,
}

/// An OFAC SDN program code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfacProgram {
    /// The code as the SDN list writes it (`SDGT`).
    pub code: String,
    /// Its name and legal authority.
    pub name: String,
    /// Measures (default: blocking, i.e. an asset freeze).
    #[serde(default = "blocking")]
    pub measures: Vec<Measure>,
    /// What a reviewer should know.
    #[serde(default)]
    pub note: String,
}

fn blocking() -> Vec<Measure> {
    vec![Measure::AssetFreeze]
}

/// A standing exemption or carve-out: applies to every designation of its regimes, within
/// its conditions, without a per-case decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingExemption {
    /// Catalogue id (`un-res-2615`).
    pub id: String,
    /// The resolution (`2615 (2021)`).
    pub resolution: String,
    /// Adoption date.
    pub adopted: PartialDate,
    /// The regimes (catalogue ids) whose measure it carves out.
    pub regimes: Vec<String>,
    /// The measure it carves out.
    pub measure: Measure,
    /// The purpose it covers (`humanitarian`).
    pub purpose: String,
    /// What it permits.
    pub summary: String,
    /// Its conditions.
    pub conditions: String,
}

/// The whole catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// When the file was last reviewed.
    pub reviewed: PartialDate,
    /// UN regimes.
    pub un: Vec<UnRegime>,
    /// Standing exemptions.
    #[serde(default)]
    pub standing: Vec<StandingExemption>,
    /// OFAC program codes.
    pub ofac: Vec<OfacProgram>,
}

impl Catalogue {
    /// Parses and checks a catalogue text.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let c: Catalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Internal consistency: unique ids and codes, non-empty fields, standing exemptions
    /// naming known regimes that have the measure they carve out.
    pub fn check(&self) -> Result<(), String> {
        let mut ids = std::collections::BTreeSet::new();
        for r in &self.un {
            if !ids.insert(r.id.as_str()) || !ids.insert(r.list_type.as_str()) {
                return Err(format!("UN regime {} / {} appears twice", r.id, r.list_type));
            }
            if r.name.is_empty() || r.committee.is_empty() || r.resolutions.is_empty() {
                return Err(format!("UN regime {} lacks a name, committee or resolution", r.id));
            }
            if let Some(bad) = r.resolutions.iter().find(|x| !is_resolution(x)) {
                return Err(format!("UN regime {}: {bad:?} is not `NNNN (YYYY)`", r.id));
            }
            if r.status != "active" && r.status != "terminated" {
                return Err(format!("UN regime {}: unknown status {:?}", r.id, r.status));
            }
            if r.individuals.is_empty() {
                return Err(format!("UN regime {} has no measure on individuals", r.id));
            }
        }
        for s in &self.standing {
            if !ids.insert(s.id.as_str()) || !is_resolution(&s.resolution) {
                return Err(format!("standing exemption {} repeated or badly cited", s.id));
            }
            for id in &s.regimes {
                let r = self
                    .un_by_id(id)
                    .ok_or_else(|| format!("standing exemption {}: unknown regime {id}", s.id))?;
                if !r.individuals.contains(&s.measure) && !r.entities.contains(&s.measure) {
                    return Err(format!(
                        "standing exemption {} carves out a {} that regime {id} does not impose",
                        s.id, s.measure
                    ));
                }
            }
        }
        let mut codes = std::collections::BTreeSet::new();
        for p in &self.ofac {
            if !codes.insert(p.code.as_str()) || p.name.trim().is_empty() {
                return Err(format!("OFAC program {:?} repeated or unnamed", p.code));
            }
        }
        Ok(())
    }

    /// The UN regime of a `UN_LIST_TYPE` value.
    pub fn un_by_list_type(&self, list_type: &str) -> Option<&UnRegime> {
        self.un.iter().find(|r| r.list_type.eq_ignore_ascii_case(list_type.trim()))
    }

    /// The UN regime with this catalogue id.
    pub fn un_by_id(&self, id: &str) -> Option<&UnRegime> {
        self.un.iter().find(|r| r.id == id)
    }

    /// An OFAC program by code.
    pub fn ofac(&self, code: &str) -> Option<&OfacProgram> {
        self.ofac.iter().find(|p| p.code.eq_ignore_ascii_case(code.trim()))
    }

    /// True for a regime id known to the catalogue: a UN regime id, or `ofac-CODE`.
    pub fn is_known_regime(&self, id: &str) -> bool {
        self.un_by_id(id).is_some()
            || id.strip_prefix("ofac-").is_some_and(|c| self.ofac(c).is_some())
    }

    /// The standing exemptions that carve `measure` out of the regime `regime_id`, for
    /// `purpose` (case-insensitive), in force on `date` (adopted on or before it) if given.
    pub fn standing_for(
        &self,
        regime_id: &str,
        measure: Measure,
        purpose: &str,
        date: Option<PartialDate>,
    ) -> Vec<&StandingExemption> {
        self.standing
            .iter()
            .filter(|s| {
                s.measure == measure
                    && s.purpose.eq_ignore_ascii_case(purpose.trim())
                    && s.regimes.iter().any(|r| r == regime_id)
                    && date.is_none_or(|d| s.adopted <= d.latest())
            })
            .collect()
    }
}

fn is_resolution(s: &str) -> bool {
    let Some((num, year)) = s.split_once(" (") else { return false };
    let Some(year) = year.strip_suffix(')') else { return false };
    !num.is_empty()
        && num.bytes().all(|b| b.is_ascii_digit())
        && year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
}

/// The embedded catalogue, parsed once.
///
/// # Panics
///
/// If the embedded file does not parse; the crate's tests guarantee it does.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        Catalogue::parse(CATALOGUE_TOML).unwrap_or_else(|e| panic!("regimes.toml: {e}"))
    })
}

/// One regime an entry is listed under, with the measures that bind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegimeInfo {
    /// Catalogue id (`un-taliban`, `ofac-SDGT`), or `un-?` / `ofac-?` + the code when unknown.
    pub id: String,
    /// The list.
    pub source: Source,
    /// The entry's programme value (`Taliban`, `SDGT`).
    pub program: String,
    /// Name of the regime or program (`unknown program` when the catalogue lacks it).
    pub name: String,
    /// The UN committee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committee: Option<String>,
    /// The resolutions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolutions: Vec<String>,
    /// The measures that bind this entry (by its kind: individual or entity).
    pub measures: Vec<Measure>,
    /// False when the catalogue does not know the programme.
    pub known: bool,
}

impl RegimeInfo {
    /// True when the measure binds the entry under this regime.
    pub fn has(&self, m: Measure) -> bool {
        self.measures.contains(&m)
    }

    /// One line: `un-taliban (1988 sanctions regime ...): asset freeze, travel ban, arms embargo`.
    pub fn summary(&self) -> String {
        let measures = if self.measures.is_empty() {
            "no measure catalogued".to_string()
        } else {
            self.measures.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ")
        };
        format!("{} ({}): {measures}", self.id, self.name)
    }
}

/// The regimes of an entry, from its list and programmes.
pub fn regimes_for(entity: &Entity) -> Vec<RegimeInfo> {
    regimes_for_programs(entity.source, entity.kind, &entity.programs)
}

/// The regimes for a list, an entry kind and programme values (UN_LIST_TYPE or OFAC codes).
/// Unknown values are reported with `known: false` and the name `unknown program`.
pub fn regimes_for_programs(
    source: Source,
    kind: EntityKind,
    programs: &[String],
) -> Vec<RegimeInfo> {
    let cat = catalogue();
    let individual = kind == EntityKind::Person;
    let mut out: Vec<RegimeInfo> = Vec::new();
    for p in programs {
        let info = match source {
            Source::Un => match cat.un_by_list_type(p) {
                Some(r) => RegimeInfo {
                    id: r.id.clone(),
                    source,
                    program: p.clone(),
                    name: r.name.clone(),
                    committee: Some(r.committee.clone()),
                    resolutions: r.resolutions.clone(),
                    measures: if individual { r.individuals.clone() } else { r.entities.clone() },
                    known: true,
                },
                None => unknown(source, p),
            },
            Source::Ofac => match cat.ofac(p) {
                Some(o) => RegimeInfo {
                    id: format!("ofac-{}", o.code),
                    source,
                    program: p.clone(),
                    name: o.name.clone(),
                    committee: None,
                    resolutions: Vec::new(),
                    measures: o.measures.clone(),
                    known: true,
                },
                None => unknown(source, p),
            },
            _ => unknown(source, p),
        };
        if !out.iter().any(|x| x.id == info.id) {
            out.push(info);
        }
    }
    out
}

fn unknown(source: Source, program: &str) -> RegimeInfo {
    RegimeInfo {
        id: format!("{source}-?{program}"),
        source,
        program: program.to_string(),
        name: "unknown program".into(),
        committee: None,
        resolutions: Vec::new(),
        measures: Vec::new(),
        known: false,
    }
}

/// Why an exemption cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExemptionError {
    /// Neither an entry nor a regime is named.
    NoTarget,
    /// A travel exemption must name the listed person.
    TravelWithoutReference,
    /// A travel exemption must name at least one destination.
    TravelWithoutDestination,
    /// A travel exemption must end.
    TravelWithoutEnd,
    /// A date is not a full day.
    PartialDate(PartialDate),
    /// The period ends before it starts.
    EndBeforeStart {
        /// First day.
        from: PartialDate,
        /// Last day.
        to: PartialDate,
    },
    /// The period is longer than the regime allows.
    PeriodTooLong {
        /// The regime that sets the limit.
        regime: String,
        /// The limit in months.
        max_months: u32,
        /// First day.
        from: PartialDate,
        /// Last day.
        to: PartialDate,
    },
    /// The regime id is not in the catalogue.
    UnknownRegime(String),
    /// The purpose is empty.
    NoPurpose,
    /// A destination is not an ISO 3166 alpha-2 code.
    BadDestination(String),
}

impl fmt::Display for ExemptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExemptionError::NoTarget => {
                f.write_str("an exemption must name a listed entry (--ref) or a regime (--regime)")
            }
            ExemptionError::TravelWithoutReference => {
                f.write_str("a travel exemption must name the listed person (--ref)")
            }
            ExemptionError::TravelWithoutDestination => {
                f.write_str("a travel exemption must name at least one destination (--to-country)")
            }
            ExemptionError::TravelWithoutEnd => {
                f.write_str("a travel exemption must have an end date (--to)")
            }
            ExemptionError::PartialDate(d) => write!(f, "{d} is not a full date (YYYY-MM-DD)"),
            ExemptionError::EndBeforeStart { from, to } => {
                write!(f, "the period ends ({to}) before it starts ({from})")
            }
            ExemptionError::PeriodTooLong { regime, max_months, from, to } => write!(
                f,
                "{regime} travel exemptions last at most {max_months} months; {from} to {to} is longer"
            ),
            ExemptionError::UnknownRegime(r) => write!(
                f,
                "unknown regime {r:?} (expected a catalogue id such as un-taliban or ofac-SDGT)"
            ),
            ExemptionError::NoPurpose => f.write_str("the purpose is empty"),
            ExemptionError::BadDestination(d) => {
                write!(f, "destination {d:?} is not an ISO 3166 alpha-2 country code")
            }
        }
    }
}

impl std::error::Error for ExemptionError {}

/// `date` moved by `months` calendar months, the day clamped to the month's end.
pub fn add_months(date: PartialDate, months: u32) -> PartialDate {
    let d = date.earliest();
    let total = d.year as i64 * 12 + (d.month.unwrap_or(1) as i64 - 1) + months as i64;
    let (year, month) = (total.div_euclid(12) as i32, (total.rem_euclid(12) + 1) as u8);
    let mut day = d.day.unwrap_or(1);
    loop {
        if let Some(x) = PartialDate::ymd(year, month, day) {
            return x;
        }
        day -= 1;
    }
}

/// Checks an exemption before it is recorded. `entry_regimes` are the regime ids of the
/// exempted entry (empty for a regime-wide exemption); the nine-month limit of 1988 travel
/// exemptions applies when the entry or the exemption's regime is the 1988 regime.
pub fn validate(ex: &Exemption, entry_regimes: &[String]) -> Result<(), ExemptionError> {
    let cat = catalogue();
    if ex.reference.is_none() && ex.regime.is_none() {
        return Err(ExemptionError::NoTarget);
    }
    if ex.purpose.trim().is_empty() {
        return Err(ExemptionError::NoPurpose);
    }
    if let Some(r) = &ex.regime {
        if !cat.is_known_regime(r) {
            return Err(ExemptionError::UnknownRegime(r.clone()));
        }
    }
    for d in std::iter::once(ex.from).chain(ex.to) {
        if !d.is_full() {
            return Err(ExemptionError::PartialDate(d));
        }
    }
    if let Some(to) = ex.to {
        if to < ex.from {
            return Err(ExemptionError::EndBeforeStart { from: ex.from, to });
        }
    }
    if let Some(bad) =
        ex.destinations.iter().find(|d| d.len() != 2 || !d.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(ExemptionError::BadDestination(bad.clone()));
    }
    if ex.kind == ExemptionKind::Travel {
        if ex.reference.is_none() {
            return Err(ExemptionError::TravelWithoutReference);
        }
        if ex.destinations.is_empty() {
            return Err(ExemptionError::TravelWithoutDestination);
        }
        let Some(to) = ex.to else { return Err(ExemptionError::TravelWithoutEnd) };
        for id in ex.regime.iter().chain(entry_regimes) {
            if let Some(max) = cat.un_by_id(id).and_then(|r| r.travel_exemption_max_months) {
                if to >= add_months(ex.from, max) {
                    return Err(ExemptionError::PeriodTooLong {
                        regime: id.clone(),
                        max_months: max,
                        from: ex.from,
                        to,
                    });
                }
            }
        }
    }
    Ok(())
}

fn same_entry(ex: &Exemption, source: Source, reference: &str) -> bool {
    ex.source.is_none_or(|s| s == source)
        && ex.reference.as_deref().is_some_and(|r| r.trim().eq_ignore_ascii_case(reference.trim()))
}

/// True when `ex` is a travel exemption for this entry that covers a trip to `destination`
/// (ISO alpha-2) on `date`.
pub fn covers_trip(
    ex: &Exemption,
    source: Source,
    reference: &str,
    destination: &str,
    date: PartialDate,
) -> bool {
    ex.kind == ExemptionKind::Travel
        && same_entry(ex, source, reference)
        && ex.in_period(date)
        && ex.destinations.iter().any(|d| d.eq_ignore_ascii_case(destination.trim()))
}

/// True when `ex` lifts the asset freeze for a payment to this entry on `date`: an
/// asset-freeze exemption for the entry, or a humanitarian one (for the entry, or for one of
/// `regime_ids`) when the payment is humanitarian.
pub fn covers_payment(
    ex: &Exemption,
    source: Source,
    reference: &str,
    regime_ids: &[String],
    humanitarian: bool,
    date: PartialDate,
) -> bool {
    let target = same_entry(ex, source, reference)
        || (ex.reference.is_none() && ex.regime.as_ref().is_some_and(|r| regime_ids.contains(r)));
    let kind = match ex.kind {
        ExemptionKind::AssetFreeze => true,
        ExemptionKind::Humanitarian => humanitarian,
        ExemptionKind::Travel => false,
    };
    kind && target && ex.in_period(date)
}

#[cfg(test)]
mod tests;

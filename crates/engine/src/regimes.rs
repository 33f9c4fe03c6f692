//! Regimes, measures and exemptions: recording exemptions, and the two questions a desk asks
//! after a hit — may this listed person make this trip ([`Engine::check_travel`]), and is a
//! payment to this party frozen or carved out ([`Engine::check_payment`]).
//!
//! Answers are information from the regime catalogue (`sanctions-regimes`) and the recorded
//! exemptions, not legal advice.

use sanctions_index::ScreenRequest;
use sanctions_model::{EntityKind, Exemption, ExemptionKind, PartialDate, Source};
use sanctions_regimes::{
    Measure, RegimeInfo, StandingExemption, catalogue, covers_payment, covers_trip, regimes_for,
    validate,
};
use serde::Serialize;

use crate::snapshot::{HitView, Snapshot, VersionUsed};
use crate::{Engine, Error, Result, split_reference};

/// What every answer of this module says about itself.
pub const NOT_LEGAL_ADVICE: &str = "Information from the regime catalogue and the exemptions \
recorded in this store, not legal advice: the binding texts are the resolutions, the \
committees' decisions and guidelines, and the national measures implementing them.";

/// An exemption to record (see [`Engine::add_exemption`]).
#[derive(Clone, Debug)]
pub struct NewExemption {
    /// What it lifts.
    pub kind: ExemptionKind,
    /// The exempted entry: `un:TAi.026` or a bare reference searched in every list.
    pub reference: Option<String>,
    /// The regime (catalogue id, `un-taliban`); taken from the entry when it has one regime.
    pub regime: Option<String>,
    /// First day covered.
    pub from: PartialDate,
    /// Last day covered (inclusive); `None` for a standing exemption.
    pub to: Option<PartialDate>,
    /// Destination countries: ISO codes or names (`RU`, `Russia`).
    pub destinations: Vec<String>,
    /// The purpose as granted.
    pub purpose: String,
    /// The source document (`SC/14660`).
    pub document: Option<String>,
    /// Who records it.
    pub recorded_by: String,
}

/// A country name or code as an ISO 3166 alpha-2 code.
fn country(s: &str) -> Result<String> {
    sanctions_text::country_code(s)
        .map(str::to_string)
        .ok_or_else(|| Error::Usage(format!("unknown country {s:?} (use an ISO code such as RU)")))
}

fn full_day(d: PartialDate, what: &str) -> Result<PartialDate> {
    if d.is_full() {
        Ok(d)
    } else {
        Err(Error::Usage(format!("{what} must be a full date (YYYY-MM-DD), got {d}")))
    }
}

/// The listed entry a check is about.
#[derive(Clone, Debug, Serialize)]
pub struct CheckedEntry {
    /// The list.
    pub source: Source,
    /// Its reference.
    pub reference: String,
    /// Primary name.
    pub name: String,
    /// Kind.
    pub kind: EntityKind,
    /// The list version it was found in.
    pub version: VersionUsed,
}

/// The answer to "may this person travel there on that day".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelVerdict {
    /// Not on any list in force on the day: no measure.
    NotListed,
    /// Listed, but no regime of the entry imposes a travel ban (as catalogued).
    NoTravelBan,
    /// Listed under a travel ban, and a recorded exemption covers the trip.
    Covered,
    /// Listed under a travel ban and no recorded exemption covers the trip.
    TravelBanApplies,
}

/// [`Engine::check_travel`]'s answer.
#[derive(Clone, Debug, Serialize)]
pub struct TravelCheck {
    /// The reference asked about.
    pub reference: String,
    /// Destination (ISO alpha-2).
    pub destination: String,
    /// The day of travel.
    pub date: PartialDate,
    /// True when listed on that day.
    pub listed: bool,
    /// The entry, when listed.
    pub entry: Option<CheckedEntry>,
    /// The list versions in force on that day that were searched.
    pub versions: Vec<VersionUsed>,
    /// The entry's regimes and measures.
    pub regimes: Vec<RegimeInfo>,
    /// True when a regime of the entry imposes a travel ban.
    pub travel_ban: bool,
    /// Recorded exemptions that cover the trip.
    pub covered_by: Vec<Exemption>,
    /// The entry's other recorded travel exemptions (another period or destination).
    pub other_exemptions: Vec<Exemption>,
    /// The answer.
    pub verdict: TravelVerdict,
    /// [`NOT_LEGAL_ADVICE`].
    pub notice: &'static str,
}

/// One hit of [`Engine::check_payment`], with what freezes it and what may lift the freeze.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentHit {
    /// The screening hit (with its regimes and measures).
    pub hit: HitView,
    /// True when a regime of the entry imposes an asset freeze.
    pub asset_freeze: bool,
    /// The regimes (ids) that freeze the entry's assets.
    pub freezing_regimes: Vec<String>,
    /// Standing carve-outs that apply to those regimes for this purpose.
    pub standing: Vec<StandingExemption>,
    /// Freezing regimes without a standing carve-out for this purpose.
    pub without_carve_out: Vec<String>,
    /// Recorded exemptions (for the entry or its regime) that cover the payment on the day.
    pub recorded: Vec<Exemption>,
}

/// [`Engine::check_payment`]'s answer.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentCheck {
    /// The name screened.
    pub name: String,
    /// The purpose given.
    pub purpose: String,
    /// True when the purpose is humanitarian.
    pub humanitarian: bool,
    /// The day of the payment.
    pub date: PartialDate,
    /// Threshold used.
    pub threshold: f32,
    /// The hits.
    pub hits: Vec<PaymentHit>,
    /// The list versions screened.
    pub versions: Vec<VersionUsed>,
    /// [`NOT_LEGAL_ADVICE`].
    pub notice: &'static str,
}

/// The name must not be empty and the date, if any, must be a full day.
fn check_payment_input(name: &str, date: Option<PartialDate>) -> Result<Option<PartialDate>> {
    if name.trim().is_empty() {
        return Err(Error::Usage("the name to screen is empty".into()));
    }
    date.map(|d| full_day(d, "the payment date")).transpose()
}

fn version_used(v: &sanctions_model::ListVersion) -> VersionUsed {
    VersionUsed {
        source: v.source,
        version_id: v.id,
        published: v.published,
        sha256: v.sha256.clone(),
    }
}

impl Engine {
    /// Records an exemption after checking it against the catalogue: a known entry (in some
    /// list version) or regime, destinations that are countries, full dates in order, and at
    /// most nine months for a 1988 (Taliban) travel exemption.
    pub fn add_exemption(&mut self, req: NewExemption) -> Result<Exemption> {
        let from = full_day(req.from, "the start date")?;
        let to = req.to.map(|t| full_day(t, "the end date")).transpose()?;
        let destinations =
            req.destinations.iter().map(|d| country(d)).collect::<Result<Vec<_>>>()?;
        let mut source = None;
        let mut reference = None;
        let mut entry_regimes = Vec::new();
        if let Some(r) = &req.reference {
            let (s, steps) = self.history(r)?;
            let entity = steps.iter().rev().find_map(|st| st.entity.as_ref()).ok_or_else(|| {
                Error::UnknownEntry { reference: r.clone(), scope: "any list version".into() }
            })?;
            source = Some(s);
            reference = Some(entity.reference.clone());
            entry_regimes = regimes_for(entity);
        }
        let regime = req.regime.clone().or_else(|| {
            let known: Vec<_> = entry_regimes.iter().filter(|r| r.known).collect();
            (known.len() == 1).then(|| known[0].id.clone())
        });
        let mut dests = destinations;
        dests.dedup();
        let ex = Exemption {
            id: 0,
            kind: req.kind,
            source,
            reference,
            regime,
            from,
            to,
            destinations: dests,
            purpose: req.purpose.trim().to_string(),
            document: req.document.clone().filter(|d| !d.trim().is_empty()),
            recorded_at: String::new(),
            recorded_by: req.recorded_by.clone(),
        };
        let ids: Vec<String> = entry_regimes.iter().map(|r| r.id.clone()).collect();
        validate(&ex, &ids).map_err(|e| Error::Usage(e.to_string()))?;
        Ok(self.store.add_exemption(&ex)?)
    }

    /// Every recorded exemption, in the order recorded.
    pub fn exemptions(&self) -> Result<Vec<Exemption>> {
        Ok(self.store.exemptions(None)?)
    }

    /// May the listed person `reference` travel to `destination` (country name or code) on
    /// `date`: listed on that day (the lists in force then), travel ban under the entry's
    /// regimes, and the recorded exemption that covers the trip, if any.
    pub fn check_travel(
        &self,
        reference: &str,
        destination: &str,
        date: PartialDate,
    ) -> Result<TravelCheck> {
        let date = full_day(date, "the travel date")?;
        let destination = country(destination)?;
        split_reference(reference)?;
        let versions: Vec<VersionUsed> =
            self.versions_for(Some(date))?.iter().map(version_used).collect();
        let found = match self.show(reference, Some(date)) {
            Ok(x) => Some(x),
            Err(Error::UnknownEntry { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut check = TravelCheck {
            reference: reference.trim().to_string(),
            destination,
            date,
            listed: found.is_some(),
            entry: None,
            versions,
            regimes: Vec::new(),
            travel_ban: false,
            covered_by: Vec::new(),
            other_exemptions: Vec::new(),
            verdict: TravelVerdict::NotListed,
            notice: NOT_LEGAL_ADVICE,
        };
        let Some((entity, version)) = found else { return Ok(check) };
        check.regimes = regimes_for(&entity);
        check.travel_ban = check.regimes.iter().any(|r| r.has(Measure::TravelBan));
        for ex in self.store.exemptions(Some((entity.source, &entity.reference)))? {
            if ex.kind != ExemptionKind::Travel {
                continue;
            }
            if covers_trip(&ex, entity.source, &entity.reference, &check.destination, date) {
                check.covered_by.push(ex);
            } else {
                check.other_exemptions.push(ex);
            }
        }
        check.verdict = if !check.travel_ban {
            TravelVerdict::NoTravelBan
        } else if check.covered_by.is_empty() {
            TravelVerdict::TravelBanApplies
        } else {
            TravelVerdict::Covered
        };
        check.entry = Some(CheckedEntry {
            source: entity.source,
            reference: entity.reference.clone(),
            name: entity.primary_name().to_string(),
            kind: entity.kind,
            version: version_used(&version),
        });
        Ok(check)
    }

    /// Screens `name` (the lists in force on `date`, default today's latest) and, for every
    /// hit, reports the asset freeze of its regimes, the standing carve-outs for `purpose`
    /// (`humanitarian`: resolution 2615 (2021) for 1988 hits, 2664 (2022) across UN asset
    /// freezes) and the recorded exemptions that cover a payment on that day.
    pub fn check_payment(
        &self,
        name: &str,
        purpose: &str,
        date: Option<PartialDate>,
        threshold: f32,
    ) -> Result<PaymentCheck> {
        let date = check_payment_input(name, date)?;
        let snapshot = self.snapshot(date)?;
        self.check_payment_on(&snapshot, name, purpose, date, threshold)
    }

    /// [`Engine::check_payment`] on a snapshot already built for `date` (the latest versions
    /// when `date` is `None`), as the server holds them.
    pub fn check_payment_on(
        &self,
        snapshot: &Snapshot,
        name: &str,
        purpose: &str,
        date: Option<PartialDate>,
        threshold: f32,
    ) -> Result<PaymentCheck> {
        let date = check_payment_input(name, date)?;
        let day = date.unwrap_or_else(crate::import::today);
        let humanitarian = purpose.trim().eq_ignore_ascii_case("humanitarian");
        let req = ScreenRequest {
            name: name.to_string(),
            birth_date: None,
            nationality: None,
            kind: None,
            identifiers: Vec::new(),
            threshold,
            limit: 10,
        };
        let result = snapshot.screen(&req);
        let recorded_all = self.store.exemptions(None)?;
        let cat = catalogue();
        let hits = result
            .hits
            .into_iter()
            .map(|hit| {
                let freezing: Vec<String> = hit
                    .regimes
                    .iter()
                    .filter(|r| r.has(Measure::AssetFreeze))
                    .map(|r| r.id.clone())
                    .collect();
                let mut standing: Vec<StandingExemption> = Vec::new();
                let mut without = Vec::new();
                for id in &freezing {
                    let found = cat.standing_for(id, Measure::AssetFreeze, purpose, Some(day));
                    if found.is_empty() {
                        without.push(id.clone());
                    }
                    for s in found {
                        if !standing.iter().any(|x| x.id == s.id) {
                            standing.push(s.clone());
                        }
                    }
                }
                let ids: Vec<String> = hit.regimes.iter().map(|r| r.id.clone()).collect();
                let recorded = recorded_all
                    .iter()
                    .filter(|ex| {
                        covers_payment(ex, hit.source, &hit.reference, &ids, humanitarian, day)
                    })
                    .cloned()
                    .collect();
                PaymentHit {
                    asset_freeze: !freezing.is_empty(),
                    freezing_regimes: freezing,
                    standing,
                    without_carve_out: without,
                    recorded,
                    hit,
                }
            })
            .collect();
        Ok(PaymentCheck {
            name: name.to_string(),
            purpose: purpose.trim().to_string(),
            humanitarian,
            date: day,
            threshold,
            hits,
            versions: result.versions,
            notice: NOT_LEGAL_ADVICE,
        })
    }
}

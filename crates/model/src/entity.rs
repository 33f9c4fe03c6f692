//! One list entry and its parts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::date::{BirthDate, PartialDate};

/// The list an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// UN Security Council Consolidated List.
    Un,
    /// US Treasury OFAC SDN list.
    Ofac,
    /// EU consolidated financial sanctions list.
    Eu,
    /// UK sanctions list.
    Uk,
    /// Russian Rosfinmonitoring list.
    Ru,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 5] = [Source::Un, Source::Ofac, Source::Eu, Source::Uk, Source::Ru];

    /// The short lowercase id (`un`, `ofac`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Un => "un",
            Source::Ofac => "ofac",
            Source::Eu => "eu",
            Source::Uk => "uk",
            Source::Ru => "ru",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A source id that is not one of [`Source::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSource(pub String);

impl fmt::Display for UnknownSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown list source {:?} (expected one of: un, ofac, eu, uk, ru)", self.0)
    }
}

impl std::error::Error for UnknownSource {}

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|src| src.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSource(s.to_string()))
    }
}

/// What kind of thing an entry is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, group, organisation or other legal entity.
    Organization,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// The source does not say.
    #[default]
    Unknown,
}

impl EntityKind {
    /// Lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organization => "organization",
            EntityKind::Vessel => "vessel",
            EntityKind::Aircraft => "aircraft",
            EntityKind::Unknown => "unknown",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for EntityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "person" | "individual" => Ok(EntityKind::Person),
            "organization" | "organisation" | "entity" | "company" => Ok(EntityKind::Organization),
            "vessel" => Ok(EntityKind::Vessel),
            "aircraft" => Ok(EntityKind::Aircraft),
            "unknown" => Ok(EntityKind::Unknown),
            other => Err(format!(
                "unknown kind {other:?} (expected person, organization, vessel or aircraft)"
            )),
        }
    }
}

/// How a name relates to the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameQuality {
    /// The entry's main name.
    Primary,
    /// A strong alias: UN "Good" / "a.k.a.", OFAC alt.csv "aka".
    Strong,
    /// A weak or low-quality alias: UN "Low", OFAC weak a.k.a. in remarks. Matches only on
    /// strong other evidence.
    Weak,
    /// A former name: UN/OFAC "f.k.a.".
    Former,
}

/// Writing system of a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    /// Latin letters.
    Latin,
    /// Arabic script (Arabic, Persian, Pashto, Urdu).
    Arabic,
    /// Cyrillic script.
    Cyrillic,
    /// Chinese characters.
    Han,
    /// Korean Hangul.
    Hangul,
    /// Anything else or mixed.
    Other,
}

/// Which part of a name a [`NamePart`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamePartKind {
    /// UN FIRST_NAME.
    First,
    /// UN SECOND_NAME.
    Second,
    /// UN THIRD_NAME.
    Third,
    /// UN FOURTH_NAME.
    Fourth,
    /// A given name.
    Given,
    /// A family name.
    Family,
    /// Anything else.
    Other,
}

/// One part of a structured name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NamePart {
    /// Which part.
    pub kind: NamePartKind,
    /// The text as given (trimmed).
    pub value: String,
}

/// One name of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name {
    /// The whole name as the list writes it (parts joined by one space where the list gives parts).
    pub full: String,
    /// Structured parts where the source gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<NamePart>,
    /// Primary, strong alias, weak alias or former name.
    pub quality: NameQuality,
    /// Writing system, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<Script>,
    /// The source's own label for the alias quality or type, verbatim ("Good", "a.k.a.", "fka").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_quality: Option<String>,
    /// A note the list attaches to this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Name {
    /// A name with only its full text.
    pub fn new(full: impl Into<String>, quality: NameQuality) -> Name {
        Name {
            full: full.into(),
            parts: Vec::new(),
            quality,
            script: None,
            source_quality: None,
            note: None,
        }
    }
}

/// An address or place (also used for places of birth).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// City or town.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country as the list names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Free-text note or the whole place when the list gives it as one string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> =
            [&self.street, &self.city, &self.state, &self.postal_code, &self.country, &self.note]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .filter(|p| !p.is_empty())
                .collect();
        f.write_str(&parts.join(", "))
    }
}

/// An identity document or registration number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    /// Document type as the list names it ("Passport", "National Identification Number").
    pub kind: String,
    /// The number, as given.
    pub number: String,
    /// Issuing country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Date of issue, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    /// Date of expiry, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Any further note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Gender as a list states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
}

/// One list entry, losslessly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The list.
    pub source: Source,
    /// The source's stable id (UN DATAID, OFAC ent_num).
    pub source_id: String,
    /// The reference people quote (UN "TAi.026", OFAC ent_num).
    pub reference: String,
    /// Person, organisation, vessel, aircraft.
    pub kind: EntityKind,
    /// Every name; the first is the primary name.
    pub names: Vec<Name>,
    /// Every date of birth as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_dates: Vec<BirthDate>,
    /// Places of birth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_places: Vec<Address>,
    /// Nationalities, as the list names the countries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<String>,
    /// Citizenships, as the list names the countries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citizenships: Vec<String>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Documents and registration numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<Identifier>,
    /// Gender, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Titles (Maulavi, Haji, Dr).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub titles: Vec<String>,
    /// Designations / positions held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub designations: Vec<String>,
    /// Programmes / regimes: UN_LIST_TYPE ("Taliban", "Al-Qaida"), OFAC program codes ("SDGT").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Date first listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<PartialDate>,
    /// Every amendment date the source gives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amended_on: Vec<PartialDate>,
    /// Free-text remarks / comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// Everything else the source says, field name → values, in source order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl Entity {
    /// An empty entity with its identity set.
    pub fn new(
        source: Source,
        source_id: impl Into<String>,
        reference: impl Into<String>,
        kind: EntityKind,
    ) -> Entity {
        Entity {
            source,
            source_id: source_id.into(),
            reference: reference.into(),
            kind,
            names: Vec::new(),
            birth_dates: Vec::new(),
            birth_places: Vec::new(),
            nationalities: Vec::new(),
            citizenships: Vec::new(),
            addresses: Vec::new(),
            identifiers: Vec::new(),
            gender: None,
            titles: Vec::new(),
            designations: Vec::new(),
            programs: Vec::new(),
            listed_on: None,
            amended_on: Vec::new(),
            remarks: None,
            extra: BTreeMap::new(),
        }
    }

    /// The primary name (the first name), or the reference when there is none.
    pub fn primary_name(&self) -> &str {
        self.names.first().map(|n| n.full.as_str()).unwrap_or(&self.reference)
    }

    /// Adds a value under `key` in [`Entity::extra`].
    pub fn push_extra(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.extra.entry(key.into()).or_default().push(value.into());
    }

    /// The canonical JSON form: field order fixed by the struct, maps sorted.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("entity serializes")
    }

    /// SHA-256 (hex) of [`Entity::canonical_json`]: equal hashes mean no change.
    pub fn content_hash(&self) -> String {
        let digest = Sha256::digest(self.canonical_json().as_bytes());
        let mut out = String::with_capacity(64);
        for b in digest {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let mut e = Entity::new(Source::Un, "6908", "TAi.026", EntityKind::Person);
        e.names.push(Name::new("AMIR KHAN MUTTAQI", NameQuality::Primary));
        let h1 = e.content_hash();
        assert_eq!(h1, e.clone().content_hash());
        assert_eq!(h1.len(), 64);
        e.names.push(Name::new("AMIR KHAN MOTAQI", NameQuality::Strong));
        assert_ne!(h1, e.content_hash());
        let back: Entity = serde_json::from_str(&e.canonical_json()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn parse_source_and_kind() {
        assert_eq!("UN".parse::<Source>().unwrap(), Source::Un);
        assert!("xx".parse::<Source>().is_err());
        assert_eq!("organisation".parse::<EntityKind>().unwrap(), EntityKind::Organization);
    }
}

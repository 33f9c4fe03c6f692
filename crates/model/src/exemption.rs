//! Exemptions granted from sanctions measures (travel-ban exemptions for named trips,
//! asset-freeze exemptions, humanitarian carve-outs), as recorded by a user.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::date::PartialDate;
use crate::entity::Source;

/// What an exemption lifts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptionKind {
    /// A travel-ban exemption for a named listed person, for given places and a period.
    Travel,
    /// An asset-freeze exemption (for example to finance an exempted trip).
    AssetFreeze,
    /// A humanitarian exemption from an asset freeze.
    Humanitarian,
}

impl ExemptionKind {
    /// Every kind.
    pub const ALL: [ExemptionKind; 3] =
        [ExemptionKind::Travel, ExemptionKind::AssetFreeze, ExemptionKind::Humanitarian];

    /// The stored id: `travel`, `asset_freeze`, `humanitarian`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExemptionKind::Travel => "travel",
            ExemptionKind::AssetFreeze => "asset_freeze",
            ExemptionKind::Humanitarian => "humanitarian",
        }
    }
}

impl fmt::Display for ExemptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ExemptionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        ExemptionKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!("unknown exemption kind {s:?} (expected travel, asset_freeze or humanitarian)")
        })
    }
}

/// One exemption as recorded: who or which regime, what, when, where, why, on what authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    /// Store id (0 before it is stored).
    pub id: i64,
    /// What it lifts.
    pub kind: ExemptionKind,
    /// The list of the exempted entry, with [`Exemption::reference`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The exempted entry's reference (`TAi.026`); `None` for a regime-wide exemption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The regime (catalogue id, `un-taliban`) the exemption is granted under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<String>,
    /// First day covered.
    pub from: PartialDate,
    /// Last day covered (inclusive); `None` for a standing exemption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<PartialDate>,
    /// Destination countries (ISO 3166 alpha-2) for travel exemptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<String>,
    /// The purpose as granted ("Moscow format talks").
    pub purpose: String,
    /// The source document: a committee press release number (`SC/14660`), a letter, a licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// When it was recorded (RFC 3339, UTC; set by the store).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

impl Exemption {
    /// True when `date` (a full day) lies in the exemption's period.
    pub fn in_period(&self, date: PartialDate) -> bool {
        self.from.earliest() <= date && self.to.is_none_or(|t| date <= t.latest())
    }
}

//! Partial dates and birth dates as the lists give them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date that may lack its day or month: `2001`, `2001-05`, `2001-05-17`.
///
/// Serialized as the ISO 8601 prefix it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    /// Year (e.g. 1968).
    pub year: i32,
    /// Month 1..=12, if known.
    pub month: Option<u8>,
    /// Day 1..=31, if known (only with a month).
    pub day: Option<u8>,
}

/// A date string that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    /// The text that was rejected.
    pub input: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid date {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for DateError {}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl PartialDate {
    /// A year-only date.
    pub fn year(year: i32) -> PartialDate {
        PartialDate { year, month: None, day: None }
    }

    /// A full date; `None` when the day does not exist.
    pub fn ymd(year: i32, month: u8, day: u8) -> Option<PartialDate> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(PartialDate { year, month: Some(month), day: Some(day) })
    }

    /// The calendar date `days` days after 1970-01-01 (negative: before), by Howard
    /// Hinnant's civil-from-days algorithm.
    ///
    /// ```
    /// use sanctions_model::PartialDate;
    /// assert_eq!(PartialDate::from_days_since_epoch(0).to_string(), "1970-01-01");
    /// assert_eq!(PartialDate::from_days_since_epoch(20_454).to_string(), "2026-01-01");
    /// ```
    pub fn from_days_since_epoch(days: i64) -> PartialDate {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let y = if m <= 2 { y + 1 } else { y } as i32;
        PartialDate { year: y, month: Some(m), day: Some(d) }
    }

    /// True when day and month are both known.
    pub fn is_full(&self) -> bool {
        self.day.is_some() && self.month.is_some()
    }

    /// The date as a sortable key `YYYYMMDD` with unknown parts as 0.
    pub fn sort_key(&self) -> i64 {
        self.year as i64 * 10_000
            + self.month.unwrap_or(0) as i64 * 100
            + self.day.unwrap_or(0) as i64
    }

    /// The first day this date could mean.
    pub fn earliest(&self) -> PartialDate {
        PartialDate {
            year: self.year,
            month: Some(self.month.unwrap_or(1)),
            day: Some(self.day.unwrap_or(1)),
        }
    }

    /// The last day this date could mean.
    pub fn latest(&self) -> PartialDate {
        let month = self.month.unwrap_or(12);
        PartialDate {
            year: self.year,
            month: Some(month),
            day: Some(self.day.unwrap_or_else(|| days_in_month(self.year, month))),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;

    /// Reads `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a trailing time part after `T` is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| DateError { input: s.to_string(), reason };
        let t = s.trim();
        let t = t.split('T').next().unwrap_or(t);
        let mut it = t.split('-');
        let y = it.next().ok_or_else(|| err("empty"))?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("year must have four digits"));
        }
        let year: i32 = y.parse().map_err(|_| err("bad year"))?;
        let month = match it.next() {
            None => return Ok(PartialDate::year(year)),
            Some(m) => {
                let m: u8 = m.parse().map_err(|_| err("bad month"))?;
                if !(1..=12).contains(&m) {
                    return Err(err("month out of range"));
                }
                m
            }
        };
        let day = match it.next() {
            None => return Ok(PartialDate { year, month: Some(month), day: None }),
            Some(d) => d.parse::<u8>().map_err(|_| err("bad day"))?,
        };
        if it.next().is_some() {
            return Err(err("too many parts"));
        }
        PartialDate::ymd(year, month, day).ok_or_else(|| err("day out of range"))
    }
}

impl Serialize for PartialDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A date of birth exactly as a list states it. A person may have several.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BirthDate {
    /// An exact date or year ("1968", "1968-05-12").
    Exact {
        /// The date.
        date: PartialDate,
    },
    /// "Approximately" / "circa" a year or date.
    Approximately {
        /// The date.
        date: PartialDate,
    },
    /// A range of years or dates ("between 1975 and 1978", "1975 to 1978").
    Between {
        /// Start of the range.
        from: PartialDate,
        /// End of the range.
        to: PartialDate,
    },
    /// Text that is not a date the model understands, kept verbatim.
    Text {
        /// The source text.
        text: String,
    },
}

impl BirthDate {
    /// The inclusive range of years this birth date allows, widened by `approx_years` for
    /// approximate dates. `None` for free text.
    pub fn year_range(&self, approx_years: i32) -> Option<(i32, i32)> {
        match self {
            BirthDate::Exact { date } => Some((date.year, date.year)),
            BirthDate::Approximately { date } => {
                Some((date.year - approx_years, date.year + approx_years))
            }
            BirthDate::Between { from, to } => {
                Some((from.year.min(to.year), from.year.max(to.year)))
            }
            BirthDate::Text { .. } => None,
        }
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BirthDate::Exact { date } => write!(f, "{date}"),
            BirthDate::Approximately { date } => write!(f, "circa {date}"),
            BirthDate::Between { from, to } => write!(f, "between {from} and {to}"),
            BirthDate::Text { text } => write!(f, "{text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        for s in ["1968", "1968-05", "1968-05-12", "2000-02-29"] {
            assert_eq!(s.parse::<PartialDate>().unwrap().to_string(), s);
        }
        for s in ["68", "1968-13", "1968-02-30", "1900-02-29", "abcd", "", "1968-1-1-1"] {
            assert!(s.parse::<PartialDate>().is_err(), "{s}");
        }
        assert_eq!(
            "2026-05-08T23:00:06.922Z".parse::<PartialDate>().unwrap().to_string(),
            "2026-05-08"
        );
    }

    #[test]
    fn ranges() {
        let d = PartialDate::year(1970);
        assert_eq!(BirthDate::Approximately { date: d }.year_range(2), Some((1968, 1972)));
        assert_eq!(
            BirthDate::Between { from: PartialDate::year(1978), to: PartialDate::year(1975) }
                .year_range(2),
            Some((1975, 1978))
        );
        assert_eq!(d.latest().to_string(), "1970-12-31");
    }
}

//! Recorded exemptions (travel-ban, asset-freeze, humanitarian), in the same database as the
//! list versions. Rows are append-only.
//!
//! The store checks the shape of an exemption (a target, full dates in order, a purpose);
//! the rules that need the regime catalogue (the nine-month limit of 1988 travel exemptions,
//! known regimes and references) are checked by the engine before it calls
//! [`Store::add_exemption`].

use rusqlite::{OptionalExtension, Row, params};
use sanctions_model::{Exemption, PartialDate, Source};

use crate::error::{Error, Result};
use crate::store::Store;

const COLUMNS: &str = "id, kind, source, reference, regime, valid_from, valid_to, destinations, \
                       purpose, document, recorded_at, recorded_by";

fn corrupt(column: &'static str, id: i64, value: String) -> Error {
    Error::CorruptValue { table: "exemptions", column, id, value }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<RawExemption> {
    Ok(RawExemption {
        id: r.get(0)?,
        kind: r.get(1)?,
        source: r.get(2)?,
        reference: r.get(3)?,
        regime: r.get(4)?,
        from: r.get(5)?,
        to: r.get(6)?,
        destinations: r.get(7)?,
        purpose: r.get(8)?,
        document: r.get(9)?,
        recorded_at: r.get(10)?,
        recorded_by: r.get(11)?,
    })
}

struct RawExemption {
    id: i64,
    kind: String,
    source: Option<String>,
    reference: Option<String>,
    regime: Option<String>,
    from: String,
    to: Option<String>,
    destinations: String,
    purpose: String,
    document: Option<String>,
    recorded_at: String,
    recorded_by: String,
}

impl RawExemption {
    fn parse(self) -> Result<Exemption> {
        let id = self.id;
        let date = |column: &'static str, s: String| -> Result<PartialDate> {
            s.parse::<PartialDate>().map_err(|_| corrupt(column, id, s))
        };
        Ok(Exemption {
            id,
            kind: self.kind.parse().map_err(|_| corrupt("kind", id, self.kind.clone()))?,
            source: self
                .source
                .map(|s| s.parse::<Source>().map_err(|_| corrupt("source", id, s)))
                .transpose()?,
            reference: self.reference,
            regime: self.regime,
            from: date("valid_from", self.from)?,
            to: self.to.map(|t| date("valid_to", t)).transpose()?,
            destinations: serde_json::from_str(&self.destinations).map_err(|error| {
                Error::CorruptJson { table: "exemptions", column: "destinations", id, error }
            })?,
            purpose: self.purpose,
            document: self.document,
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by,
        })
    }
}

/// The shape rules the store enforces.
fn check(ex: &Exemption) -> Result<()> {
    let invalid = |reason: String| Err(Error::InvalidExemption { reason });
    if ex.reference.is_none() && ex.regime.is_none() {
        return invalid("it names neither a listed entry nor a regime".into());
    }
    if ex.reference.is_some() != ex.source.is_some() {
        return invalid("an entry reference needs its list (and a list needs a reference)".into());
    }
    if ex.purpose.trim().is_empty() {
        return invalid("the purpose is empty".into());
    }
    if ex.recorded_by.trim().is_empty() {
        return invalid("who recorded it is not given".into());
    }
    for d in std::iter::once(ex.from).chain(ex.to) {
        if !d.is_full() {
            return invalid(format!("{d} is not a full date (YYYY-MM-DD)"));
        }
    }
    if let Some(to) = ex.to {
        if to < ex.from {
            return invalid(format!("the period ends ({to}) before it starts ({})", ex.from));
        }
    }
    Ok(())
}

impl Store {
    /// Records an exemption and returns it with its id and recording time.
    ///
    /// Fails with [`Error::InvalidExemption`] when it names no entry or regime, lacks a
    /// purpose, or its period is not two full dates in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use sanctions_model::{Exemption, ExemptionKind, Source};
    /// let mut store = sanctions_store::Store::open_in_memory()?;
    /// let ex = Exemption {
    ///     id: 0,
    ///     kind: ExemptionKind::Travel,
    ///     source: Some(Source::Un),
    ///     reference: Some("TAi.026".into()),
    ///     regime: Some("un-taliban".into()),
    ///     from: "2021-09-23".parse().unwrap(),
    ///     to: Some("2021-12-22".parse().unwrap()),
    ///     destinations: vec!["RU".into()],
    ///     purpose: "Moscow format talks".into(),
    ///     document: None,
    ///     recorded_at: String::new(),
    ///     recorded_by: "analyst".into(),
    /// };
    /// let stored = store.add_exemption(&ex)?;
    /// assert_eq!(store.exemptions(Some((Source::Un, "TAi.026")))?, [stored]);
    /// # Ok::<(), sanctions_store::Error>(())
    /// ```
    pub fn add_exemption(&mut self, ex: &Exemption) -> Result<Exemption> {
        check(ex)?;
        let destinations = serde_json::to_string(&ex.destinations).expect("strings serialize");
        let (id, recorded_at): (i64, String) = self.conn.query_row(
            "INSERT INTO exemptions (kind, source, reference, regime, valid_from, valid_to, \
             destinations, purpose, document, recorded_at, recorded_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?10) \
             RETURNING id, recorded_at",
            params![
                ex.kind.as_str(),
                ex.source.map(|s| s.as_str()),
                ex.reference.as_deref().map(str::trim),
                ex.regime.as_deref().map(str::trim),
                ex.from.to_string(),
                ex.to.map(|t| t.to_string()),
                destinations,
                ex.purpose.trim(),
                ex.document.as_deref().map(str::trim).filter(|d| !d.is_empty()),
                ex.recorded_by.trim(),
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(self.exemption(id)?.unwrap_or_else(|| Exemption { id, recorded_at, ..ex.clone() }))
    }

    /// The exemption with this id.
    pub fn exemption(&self, id: i64) -> Result<Option<Exemption>> {
        let mut st =
            self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM exemptions WHERE id = ?1"))?;
        st.query_row(params![id], from_row).optional()?.map(RawExemption::parse).transpose()
    }

    /// Every exemption in the order recorded, or those of one entry (list and reference,
    /// the reference compared without regard to case).
    pub fn exemptions(&self, entry: Option<(Source, &str)>) -> Result<Vec<Exemption>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM exemptions \
             WHERE ?1 IS NULL OR (source = ?1 AND reference = ?2 COLLATE NOCASE) ORDER BY id"
        ))?;
        let rows = st
            .query_map(
                params![entry.map(|(s, _)| s.as_str()), entry.map(|(_, r)| r.trim())],
                from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(RawExemption::parse).collect()
    }
}

#[cfg(test)]
mod tests {
    use sanctions_model::ExemptionKind;

    use super::*;

    fn travel(from: &str, to: &str) -> Exemption {
        Exemption {
            id: 0,
            kind: ExemptionKind::Travel,
            source: Some(Source::Un),
            reference: Some("TAi.026".into()),
            regime: None,
            from: from.parse().unwrap(),
            to: Some(to.parse().unwrap()),
            destinations: vec!["RU".into(), "QA".into()],
            purpose: " talks ".into(),
            document: Some("SC/14660".into()),
            recorded_at: String::new(),
            recorded_by: "tester".into(),
        }
    }

    #[test]
    fn exemptions_round_trip_and_filter() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store.add_exemption(&travel("2021-09-23", "2021-12-22")).unwrap();
        assert_eq!(a.id, 1);
        assert_eq!(a.purpose, "talks");
        assert_eq!(a.destinations, ["RU", "QA"]);
        assert!(a.recorded_at.ends_with('Z'), "{}", a.recorded_at);
        let h = store
            .add_exemption(&Exemption {
                kind: ExemptionKind::Humanitarian,
                source: None,
                reference: None,
                regime: Some("un-taliban".into()),
                to: None,
                destinations: vec![],
                ..travel("2021-12-22", "2021-12-22")
            })
            .unwrap();
        assert_eq!(store.exemptions(None).unwrap(), [a.clone(), h.clone()]);
        assert_eq!(store.exemptions(Some((Source::Un, "tai.026"))).unwrap(), [a]);
        assert!(store.exemptions(Some((Source::Ofac, "TAi.026"))).unwrap().is_empty());
        assert_eq!(store.exemption(2).unwrap(), Some(h));
        assert_eq!(store.exemption(3).unwrap(), None);
    }

    #[test]
    fn invalid_exemptions_are_refused_and_leave_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let cases = [
            (travel("2021-12-22", "2021-09-23"), "ends (2021-09-23) before it starts"),
            (travel("2021-09", "2021-12-22"), "not a full date"),
            (
                Exemption {
                    reference: None,
                    regime: Some("un-taliban".into()),
                    ..travel("2021-09-23", "2021-12-22")
                },
                "its list",
            ),
            (
                Exemption { reference: None, source: None, ..travel("2021-09-23", "2021-12-22") },
                "neither",
            ),
            (Exemption { purpose: " ".into(), ..travel("2021-09-23", "2021-12-22") }, "purpose"),
        ];
        for (ex, needle) in cases {
            let err = store.add_exemption(&ex).unwrap_err();
            assert!(matches!(err, Error::InvalidExemption { .. }), "{err:?}");
            assert!(err.to_string().contains(needle), "{err} lacks {needle:?}");
        }
        assert!(store.exemptions(None).unwrap().is_empty());
        // The database enforces the period order too.
        let err = store
            .conn
            .execute(
                "INSERT INTO exemptions (kind, regime, valid_from, valid_to, purpose, \
                 recorded_at, recorded_by) VALUES ('humanitarian', 'un-taliban', '2022-01-02', \
                 '2022-01-01', 'x', 'now', 'me')",
                [],
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }
}

//! The words of every monitored customer in compact arrays: what a delta monitoring run
//! searches to find the customers a changed list entry may hit, without reading the customer
//! table. Saved with each run (migration `0004_customer_index`), patched with the customers
//! added or changed since, and rebuilt from `customer_word_link` when missing or stale.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::monitor::{Customer, customer_from_row};
use crate::store::Store;

/// The customer gave a birth date.
pub const FLAG_BIRTH_DATE: u8 = 1;
/// The customer gave a nationality.
pub const FLAG_NATIONALITY: u8 = 2;
/// The customer gave document numbers.
pub const FLAG_IDENTIFIERS: u8 = 4;

const MAGIC: &[u8; 4] = b"SCI1";

/// Customers (by store rowid, ascending) with their attribute flags and the ids of their
/// name words (`customer_word.id`), in compressed-row form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerIndex {
    /// Customer rowids, ascending.
    pub rowids: Vec<i64>,
    /// Per customer: [`FLAG_BIRTH_DATE`] | [`FLAG_NATIONALITY`] | [`FLAG_IDENTIFIERS`].
    pub flags: Vec<u8>,
    /// Per customer, where its words start in `words`; one more entry than customers.
    pub offsets: Vec<u32>,
    /// Word ids, customer after customer.
    pub words: Vec<u32>,
}

impl CustomerIndex {
    /// Number of customers.
    pub fn len(&self) -> usize {
        self.rowids.len()
    }

    /// True when no customer is held.
    pub fn is_empty(&self) -> bool {
        self.rowids.is_empty()
    }

    /// The word ids of customer `i`.
    pub fn words_of(&self, i: usize) -> &[u32] {
        &self.words[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    fn push(&mut self, rowid: i64, flags: u8, words: &[u32]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.rowids.push(rowid);
        self.flags.push(flags);
        self.words.extend_from_slice(words);
        self.offsets.push(self.words.len() as u32);
    }

    /// This index with the customers of `newer` replacing or joining its own (both sorted
    /// by rowid).
    pub fn merge(&self, newer: &CustomerIndex) -> CustomerIndex {
        let mut out = CustomerIndex::default();
        out.offsets.push(0);
        let (mut i, mut j) = (0, 0);
        while i < self.len() || j < newer.len() {
            let take_new =
                j < newer.len() && (i >= self.len() || newer.rowids[j] <= self.rowids[i]);
            if take_new {
                if i < self.len() && self.rowids[i] == newer.rowids[j] {
                    i += 1;
                }
                out.push(newer.rowids[j], newer.flags[j], newer.words_of(j));
                j += 1;
            } else {
                out.push(self.rowids[i], self.flags[i], self.words_of(i));
                i += 1;
            }
        }
        out
    }

    /// Little-endian bytes: magic, customer count, word count, then the four arrays.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(12 + self.len() * 13 + self.words.len() * 4);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&(self.len() as u32).to_le_bytes());
        b.extend_from_slice(&(self.words.len() as u32).to_le_bytes());
        for r in &self.rowids {
            b.extend_from_slice(&r.to_le_bytes());
        }
        b.extend_from_slice(&self.flags);
        for o in self.offsets.iter().skip(1) {
            b.extend_from_slice(&o.to_le_bytes());
        }
        for w in &self.words {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b
    }

    /// Reads [`CustomerIndex::to_bytes`]; `None` when the bytes are not such an index.
    pub fn from_bytes(b: &[u8]) -> Option<CustomerIndex> {
        let u32_at = |at: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
        };
        if b.get(..4)? != MAGIC {
            return None;
        }
        let n = u32_at(4)? as usize;
        let m = u32_at(8)? as usize;
        if b.len() != 12 + n * 8 + n + n * 4 + m * 4 {
            return None;
        }
        let (rowids, rest) = b[12..].split_at(n * 8);
        let (flags, rest) = rest.split_at(n);
        let (offsets, words) = rest.split_at(n * 4);
        let u32s = |b: &[u8]| -> Vec<u32> {
            b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        };
        let mut ix = CustomerIndex {
            rowids: rowids
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            flags: flags.to_vec(),
            offsets: Vec::with_capacity(n + 1),
            words: u32s(words),
        };
        ix.offsets.push(0);
        ix.offsets.extend(u32s(offsets));
        let sorted = ix.rowids.windows(2).all(|w| w[0] < w[1]);
        let offsets_ok = ix.offsets.windows(2).all(|w| w[0] <= w[1])
            && ix.offsets.last().is_some_and(|&l| l as usize == m);
        (sorted && offsets_ok).then_some(ix)
    }
}

const FLAGS_SQL: &str = "((birth_date IS NOT NULL AND birth_date != '') \
     | ((nationality IS NOT NULL AND nationality != '') << 1) \
     | ((identifiers != '[]') << 2))";

impl Store {
    /// The words and flags of every customer (`pending_only`: of those added or changed
    /// since the last run), read from the customer tables.
    pub fn customer_index_rows(&self, pending_only: bool) -> Result<CustomerIndex> {
        let mut ix = CustomerIndex::default();
        ix.offsets.push(0);
        let mut flags: Vec<(i64, u8)> = Vec::new();
        {
            // `pending = 1` goes through the partial index `customer_pending`.
            let filter = if pending_only { "WHERE pending = 1" } else { "" };
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT rowid, {FLAGS_SQL} FROM customer {filter} ORDER BY rowid"
            ))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                flags.push((r.get(0)?, r.get::<_, i64>(1)? as u8));
            }
        }
        let sql = if pending_only {
            "SELECT l.customer, l.word_id FROM customer_word_link l \
             JOIN customer c ON c.rowid = l.customer WHERE c.pending = 1 ORDER BY l.customer"
        } else {
            "SELECT customer, word_id FROM customer_word_link ORDER BY customer"
        };
        let mut st = self.conn.prepare_cached(sql)?;
        let mut rows = st.query([])?;
        let mut next = rows.next()?;
        let mut words: Vec<u32> = Vec::new();
        for (rowid, f) in flags {
            words.clear();
            while let Some(r) = next {
                let c: i64 = r.get(0)?;
                if c > rowid {
                    break;
                }
                if c == rowid {
                    words.push(r.get::<_, i64>(1)? as u32);
                }
                next = rows.next()?;
            }
            ix.push(rowid, f, &words);
        }
        Ok(ix)
    }

    /// The index saved by the last monitoring run, if it is that run's (it then covers every
    /// customer that is not pending); `None` otherwise, or when it is unreadable (rebuild it
    /// with [`Store::customer_index_rows`]).
    pub fn saved_customer_index(&self) -> Result<Option<CustomerIndex>> {
        // The run it belongs to: the one that wrote it, or a later one that kept it.
        let row: Option<(i64, i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT r.run_id, c.customers, c.data FROM customer_index c \
                 JOIN customer_index_run r ON r.id = 1 WHERE c.id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((run_id, customers, data)) = row else { return Ok(None) };
        let last: Option<i64> =
            self.conn.query_row("SELECT max(id) FROM monitor_run", [], |r| r.get(0))?;
        if last != Some(run_id) {
            return Ok(None);
        }
        // A derived copy: when unreadable, it is rebuilt from the customer tables.
        let Some(ix) = CustomerIndex::from_bytes(&data) else { return Ok(None) };
        if ix.len() as i64 != customers {
            return Ok(None);
        }
        // It holds every customer that is not pending: a run saves it only then
        // (`record_monitor_run`), and every later change of a customer marks it pending.
        Ok(Some(ix))
    }

    /// Saves the customer index of run `run_id` (inside the caller's transaction).
    pub(crate) fn save_customer_index(
        tx: &rusqlite::Transaction<'_>,
        run_id: i64,
        ix: &CustomerIndex,
    ) -> Result<()> {
        tx.execute(
            "INSERT OR REPLACE INTO customer_index (id, run_id, customers, data) VALUES (1, ?1, ?2, ?3)",
            params![run_id, ix.len() as i64, ix.to_bytes()],
        )?;
        Store::keep_customer_index(tx, run_id)
    }

    /// Makes the saved customer index run `run_id`'s, as it is (inside the caller's
    /// transaction; the index's own row is not rewritten).
    pub(crate) fn keep_customer_index(tx: &rusqlite::Transaction<'_>, run_id: i64) -> Result<()> {
        tx.execute(
            "INSERT OR REPLACE INTO customer_index_run (id, run_id) VALUES (1, ?1)",
            [run_id],
        )?;
        Ok(())
    }

    /// The customers with these rowids, in rowid order.
    pub fn customers_by_rowid(&self, rowids: &[i64]) -> Result<Vec<Customer>> {
        Ok(self.customers_at(rowids)?.into_iter().map(|(_, c)| c).collect())
    }

    /// The customers with these rowids, with their rowids, in rowid order (unknown rowids
    /// are skipped).
    pub fn customers_at(&self, rowids: &[i64]) -> Result<Vec<(i64, Customer)>> {
        let mut sorted = rowids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        // One statement for all of them (a JSON array of rowids), not one per customer.
        let list = serde_json::to_string(&sorted).expect("integers serialise");
        let mut st = self.conn.prepare_cached(
            "SELECT c.rowid, c.id, c.name, c.birth_date, c.nationality, c.kind, c.identifiers \
             FROM json_each(?1) AS j JOIN customer AS c ON c.rowid = j.value ORDER BY c.rowid",
        )?;
        let mut rows = st.query([list])?;
        let mut out = Vec::with_capacity(sorted.len());
        while let Some(r) = rows.next()? {
            out.push((r.get(0)?, customer_from_row(r, 1)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ix(rows: &[(i64, u8, &[u32])]) -> CustomerIndex {
        let mut ix = CustomerIndex::default();
        for (r, f, w) in rows {
            ix.push(*r, *f, w);
        }
        ix
    }

    #[test]
    fn bytes_round_trip_and_refuse_garbage() {
        let a = ix(&[(1, 0, &[3, 4]), (2, 5, &[]), (7, 1, &[9])]);
        let b = a.to_bytes();
        assert_eq!(CustomerIndex::from_bytes(&b), Some(a.clone()));
        assert_eq!(CustomerIndex::from_bytes(&b[..b.len() - 1]), None);
        assert_eq!(CustomerIndex::from_bytes(b"SCI0"), None);
        let empty = CustomerIndex::default();
        assert_eq!(CustomerIndex::from_bytes(&empty.to_bytes()).map(|i| i.len()), Some(0));
    }

    #[test]
    fn merge_replaces_and_inserts_by_rowid() {
        let old = ix(&[(1, 0, &[1]), (3, 0, &[3]), (5, 0, &[5])]);
        let new = ix(&[(0, 1, &[10]), (3, 2, &[30, 31]), (6, 4, &[60])]);
        let m = old.merge(&new);
        assert_eq!(m.rowids, [0, 1, 3, 5, 6]);
        assert_eq!(m.flags, [1, 0, 2, 0, 4]);
        assert_eq!(m.words_of(2), [30, 31]);
        assert_eq!(m.words_of(4), [60]);
        assert_eq!(m.words, [10, 1, 30, 31, 5, 60]);
    }
}

//! Whether a query may hit one given entry, without screening the whole index: for delta
//! monitoring, which asks it of the few changed entries a customer's words meet.

use sanctions_score::{Query, WordPattern};

use crate::{Index, SCRATCH, Scratch};

/// A vocabulary word as [`Index::reached_first_words`] compared it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReachedWord<'a> {
    /// The folded word.
    pub text: &'a str,
    /// Its variant key.
    pub key: &'a str,
    /// Compared as a word transliterated from Arabic (seen in such a name).
    pub transliterated: bool,
}

impl Index {
    /// The entries screening's retrieval reaches for `query` at threshold 0, each with the
    /// first word of its first name and the best similarity of a query word (not a glued
    /// pair) with that word, from the comparisons retrieval made. For delta monitoring's index
    /// of one-word entries, which would otherwise compare them again.
    pub fn reached_first_words(&self, query: &Query) -> Vec<(usize, f32, ReachedWord<'_>)> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let candidates = self.candidates_in(query, 0.0, &mut s, true);
            let Scratch { table, pats, .. } = &mut *s;
            let q = &query.name;
            let out = candidates
                .list
                .iter()
                .filter_map(|c| {
                    let wid = *self.records[c.entity].names.first()?.token_words.first()?;
                    let w = &self.words[wid as usize];
                    let row = table.row(wid);
                    let mut best = 0.0f32;
                    for (u, t) in q.tokens.iter().enumerate() {
                        let cell = &mut table.cells[row + u];
                        if cell.value < 0.0 {
                            *cell = sanctions_score::sim_prepared(
                                q.transliterated || w.transliterated,
                                &t.text,
                                &t.key,
                                &pats[u],
                                &w.text,
                                &w.key,
                                w.shape.mask(),
                                w.shape.key_vy(),
                            );
                        }
                        best = best.max(cell.value);
                    }
                    let word = ReachedWord {
                        text: &w.text,
                        key: &w.key,
                        transliterated: w.transliterated,
                    };
                    Some((c.entity, best, word))
                })
                .collect();
            s.spare = candidates;
            out
        })
    }

    /// False when screening `query` at `threshold` certainly does not return `entity`: the
    /// upper bound that [`Index::screen`] applies to every candidate before aligning it (word
    /// similarities, name coverage, attribute effects exact), here over all the entry's names
    /// (screening bounds only the names its retrieval reached, so this is never lower).
    pub fn may_hit(&self, query: &Query, entity: usize, threshold: f32) -> bool {
        let q = &query.name;
        if q.is_empty() || entity >= self.records.len() {
            return false;
        }
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.table.begin(self.words.len(), q.tokens.len() + q.glued.len());
            s.pats.clear();
            for (text, key) in q
                .tokens
                .iter()
                .map(|t| (&t.text, &t.key))
                .chain(q.glued.iter().map(|g| (&g.text, &g.key)))
            {
                s.pats.push(WordPattern::new(text, key));
            }
            let names: Vec<u16> = (0..self.records[entity].names.len() as u16).collect();
            self.may_reach(query, entity, &names, threshold, &mut s)
        })
    }
}

#[cfg(test)]
mod tests {
    use sanctions_model::{Entity, EntityKind, Name, NameQuality, Source};

    use crate::{Index, ScreenRequest};

    fn entity(id: &str, names: &[&str]) -> Entity {
        let mut e = Entity::new(Source::Un, id, id, EntityKind::Person);
        for n in names {
            e.names.push(Name::new(*n, NameQuality::Primary));
        }
        e
    }

    /// Every entry screening returns may be hit; entries far from the query may not.
    #[test]
    fn may_hit_holds_for_every_hit_and_prunes_the_rest() {
        let index = Index::build(vec![
            entity("a", &["Amir Khan Muttaqi", "Amir Khan Motaqi"]),
            entity("b", &["Abdul Kabir Muhammad Jan"]),
            entity("c", &["John Smith"]),
            entity("d", &["Mohammad Hassan Akhund"]),
        ]);
        for (name, threshold) in [
            ("Amir Khan Muttaqi", 0.8),
            ("Amir Mottaki", 0.5),
            ("Jon Smyth", 0.7),
            ("Muhammad Hasan", 0.5),
            ("Abdul Kabir", 0.6),
            ("Kabir", 0.3),
        ] {
            let req =
                ScreenRequest { name: name.into(), threshold, limit: 10, ..Default::default() };
            let q = index.prepare(&req);
            let hits: Vec<usize> = index.screen(&req).iter().map(|h| h.entity).collect();
            for &e in &hits {
                assert!(index.may_hit(&q, e, threshold), "{name}: hit {e} ruled out");
            }
            let pruned = (0..4).filter(|e| !index.may_hit(&q, *e, threshold)).count();
            assert!(pruned >= 2, "{name}: only {pruned} of 4 entries ruled out (hits {hits:?})");
        }
        let req = ScreenRequest { name: "Amir Khan Muttaqi".into(), ..Default::default() };
        assert!(!index.may_hit(&index.prepare(&req), 99, 0.8), "no such entry");
    }
}

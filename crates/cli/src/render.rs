//! Human-readable output.

use std::fmt::Write;

use sanctions_engine::model::diff::FieldChange;
use sanctions_engine::model::{Entity, ListVersion, NameQuality, PartialDate, Source};
use sanctions_engine::{
    Diff, HistoryStep, ImportOutcome, ImportReport, ScreenRequest, ScreenResult, VersionUsed,
    WordMatch,
};

pub fn import_report(r: &ImportReport) -> String {
    match &r.outcome {
        ImportOutcome::Unchanged(v) => format!(
            "{}: unchanged — this file was already imported as version #{} (published {}); nothing stored",
            r.source, v.id, v.published
        ),
        ImportOutcome::Created { version, change } => {
            let mut s = format!(
                "{}: imported version #{} published {} (date from {}): {} entries ({} persons, {} organizations, {} vessels, {} aircraft), {} aliases; parsed in {} ms, stored in {} ms",
                r.source,
                version.id,
                version.published,
                r.published_from,
                version.counts.entities,
                version.counts.persons,
                version.counts.organizations,
                version.counts.vessels,
                version.counts.aircraft,
                version.counts.aliases,
                r.parse_ms,
                r.store_ms
            );
            if let Some(c) = change {
                let _ = write!(
                    s,
                    "\n  compared with version #{} ({}): {} added, {} removed, {} amended, {} unchanged",
                    c.previous.id, c.previous.published, c.added, c.removed, c.amended, c.unchanged
                );
            }
            s
        }
    }
}

pub fn versions(v: &[ListVersion]) -> String {
    if v.is_empty() {
        return "No list version held. Run `sanctions update` or `sanctions import`.\n".into();
    }
    let mut s = format!(
        "{:<5} {:<6} {:<11} {:>8} {:>8} {:>8}  {:<20} {}\n",
        "id", "list", "published", "entries", "persons", "aliases", "imported", "sha256"
    );
    for x in v {
        let _ = writeln!(
            s,
            "#{:<4} {:<6} {:<11} {:>8} {:>8} {:>8}  {:<20} {}",
            x.id,
            x.source,
            x.published.to_string(),
            x.counts.entities,
            x.counts.persons,
            x.counts.aliases,
            x.imported_at.chars().take(19).collect::<String>(),
            &x.sha256[..x.sha256.len().min(12)]
        );
    }
    s
}

/// "un 2026-05-08 (#1), ofac 2021-07-07 (#2)": the list versions a result used.
pub fn versions_used(versions: &[VersionUsed]) -> String {
    versions
        .iter()
        .map(|v| format!("{} {} (#{})", v.source, v.published, v.version_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a name's quality reads in an explanation.
pub fn quality_label(q: NameQuality) -> &'static str {
    match q {
        NameQuality::Primary => "primary name",
        NameQuality::Strong => "alias",
        NameQuality::Weak => "weak alias",
        NameQuality::Former => "former name",
    }
}

/// "muttaqi (exact), mottaki ~ muttaqi (variant 0.90)": the word pairs of an explanation.
pub fn word_matches(words: &[WordMatch]) -> String {
    words
        .iter()
        .map(|w| {
            let how = format!("{:?}", w.how).to_lowercase();
            if w.query == w.listed {
                format!("{} ({how})", w.query)
            } else {
                format!("{} ~ {} ({how} {:.2})", w.query, w.listed, w.similarity)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn bar(score: f32) -> String {
    let n = (score.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!("{}{}", "█".repeat(n), "░".repeat(10 - n))
}

pub fn screen(req: &ScreenRequest, r: &ScreenResult, as_of: Option<PartialDate>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Screening {:?}{} against {}; {} v{}, threshold {:.2}",
        req.name,
        as_of.map(|d| format!(" as of {d}")).unwrap_or_default(),
        versions_used(&r.versions),
        r.algorithm.name,
        r.algorithm.version,
        r.threshold
    );
    if r.hits.is_empty() {
        let _ = writeln!(s, "No hit at or above the threshold.");
        return s;
    }
    for (i, h) in r.hits.iter().enumerate() {
        let _ = writeln!(
            s,
            "\n{:>2}. {:.2} {}  {}:{}  {}  [{}{}]",
            i + 1,
            h.score,
            bar(h.score),
            h.source,
            h.reference,
            h.name,
            h.kind,
            if h.programs.is_empty() {
                String::new()
            } else {
                format!("; {}", h.programs.join(", "))
            }
        );
        for g in &h.regimes {
            let _ = writeln!(s, "    regime: {}", g.summary());
        }
        let e = &h.explanation;
        let _ = writeln!(
            s,
            "    matched {} {:?} (name score {:.2})",
            quality_label(e.name_quality),
            h.matched_name,
            e.name_score
        );
        if !e.words.is_empty() {
            let _ = writeln!(s, "    words: {}", word_matches(&e.words));
        }
        if !e.unmatched_query.is_empty() {
            let _ =
                writeln!(s, "    not found in the listed name: {}", e.unmatched_query.join(", "));
        }
        if !e.unmatched_listed.is_empty() {
            let _ =
                writeln!(s, "    listed words not in the query: {}", e.unmatched_listed.join(", "));
        }
        for a in &e.attributes {
            let _ =
                writeln!(s, "    {}: {:?} ({:+.2}) {}", a.attribute, a.verdict, a.effect, a.detail);
        }
        if let Some(n) = &e.note {
            let _ = writeln!(s, "    note: {n}");
        }
    }
    s
}

pub fn compare(a: &str, b: &str, scored: &sanctions_engine::Scored, list_weights: bool) -> String {
    let mut s = String::new();
    let e = &scored.explanation;
    let _ = writeln!(
        s,
        "{a:?} vs {b:?}: score {:.3} {} ({} the default threshold {:.2})",
        scored.score,
        bar(scored.score),
        if scored.score >= sanctions_engine::DEFAULT_THRESHOLD { "at or above" } else { "below" },
        sanctions_engine::DEFAULT_THRESHOLD
    );
    let _ = writeln!(
        s,
        "  query coverage {:.2}, name coverage {:.2}",
        e.query_coverage, e.name_coverage
    );
    for w in &e.words {
        let _ = writeln!(s, "  {:<20} ~ {:<20} {:?} {:.2}", w.query, w.listed, w.how, w.similarity);
    }
    if !e.unmatched_query.is_empty() {
        let _ = writeln!(s, "  unmatched in name 1: {}", e.unmatched_query.join(", "));
    }
    if !e.unmatched_listed.is_empty() {
        let _ = writeln!(s, "  unmatched in name 2: {}", e.unmatched_listed.join(", "));
    }
    for a in &e.attributes {
        let _ = writeln!(s, "  {}: {:?} ({:+.2}) {}", a.attribute, a.verdict, a.effect, a.detail);
    }
    let _ = writeln!(
        s,
        "  word weights: {}",
        if list_weights { "rarity in the loaded lists" } else { "uniform (no list loaded)" }
    );
    s
}

pub fn entity(e: &Entity, v: &ListVersion) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}:{}  {}  [{}]", e.source, e.reference, e.primary_name(), e.kind);
    let _ = writeln!(s, "  from {} version #{} published {}", v.source, v.id, v.published);
    let _ = writeln!(s, "  source id: {}", e.source_id);
    if !e.programs.is_empty() {
        let _ = writeln!(s, "  programmes/regimes: {}", e.programs.join(", "));
    }
    for g in sanctions_engine::regime_catalogue::regimes_for(e) {
        let _ = writeln!(s, "  regime: {}", g.summary());
        if let Some(c) = &g.committee {
            let _ = writeln!(s, "          {c}; resolutions {}", g.resolutions.join(", "));
        }
    }
    if let Some(d) = e.listed_on {
        let _ = writeln!(s, "  listed on: {d}");
    }
    if !e.amended_on.is_empty() {
        let _ = writeln!(
            s,
            "  amended on: {}",
            e.amended_on.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let _ = writeln!(s, "  names:");
    for n in &e.names {
        let q = format!("{:?}", n.quality).to_lowercase();
        let _ = writeln!(
            s,
            "    - {} ({q}{}{})",
            n.full,
            n.script.map(|x| format!(", {x:?}")).unwrap_or_default(),
            n.source_quality.as_ref().map(|x| format!(", listed as {x:?}")).unwrap_or_default()
        );
    }
    let list = |s: &mut String, label: &str, items: Vec<String>| {
        if !items.is_empty() {
            let _ = writeln!(s, "  {label}: {}", items.join("; "));
        }
    };
    list(&mut s, "titles", e.titles.clone());
    list(&mut s, "designations", e.designations.clone());
    list(&mut s, "dates of birth", e.birth_dates.iter().map(|d| d.to_string()).collect());
    list(&mut s, "places of birth", e.birth_places.iter().map(|d| d.to_string()).collect());
    list(&mut s, "nationalities", e.nationalities.clone());
    list(&mut s, "citizenships", e.citizenships.clone());
    if let Some(g) = e.gender {
        let _ = writeln!(s, "  gender: {g:?}");
    }
    list(
        &mut s,
        "documents",
        e.identifiers
            .iter()
            .map(|i| {
                let mut t = format!("{} {}", i.kind, i.number);
                if let Some(c) = &i.country {
                    let _ = write!(t, " ({c})");
                }
                if let Some(d) = &i.issued {
                    let _ = write!(t, " issued {d}");
                }
                if let Some(n) = &i.note {
                    let _ = write!(t, " — {n}");
                }
                t
            })
            .collect(),
    );
    list(&mut s, "addresses", e.addresses.iter().map(|a| a.to_string()).collect());
    if let Some(r) = &e.remarks {
        let _ = writeln!(s, "  remarks: {r}");
    }
    for (k, vals) in &e.extra {
        let _ = writeln!(s, "  {k}: {}", vals.join("; "));
    }
    s
}

fn changes(s: &mut String, ch: &[FieldChange], indent: &str) {
    for c in ch {
        let _ = write!(s, "{indent}{}:", c.field);
        for r in &c.removed {
            let _ = write!(s, "\n{indent}  - {r}");
        }
        for a in &c.added {
            let _ = write!(s, "\n{indent}  + {a}");
        }
        s.push('\n');
    }
}

pub fn history(source: Source, reference: &str, steps: &[HistoryStep]) -> String {
    let reference = reference.split_once(':').map(|(_, r)| r).unwrap_or(reference);
    let mut s = format!("History of {source}:{reference}\n");
    for st in steps {
        let period = match &st.ended {
            Some(e) => format!(
                "from {} (#{}) until {} (#{})",
                st.first.published, st.first.id, e.published, e.id
            ),
            None => format!(
                "from {} (#{}), still in force in {} (#{})",
                st.first.published, st.first.id, st.last.published, st.last.id
            ),
        };
        let name = st.entity.as_ref().map(|e| e.primary_name().to_string()).unwrap_or_default();
        let _ = writeln!(s, "\n{:?} {period}  {name}", st.event);
        changes(&mut s, &st.changes, "    ");
    }
    s
}

pub fn diff(d: &Diff) -> String {
    let mut s = format!(
        "{} list: version #{} ({}) → version #{} ({}): {} added, {} removed, {} amended, {} unchanged\n",
        d.to.source,
        d.from.id,
        d.from.published,
        d.to.id,
        d.to.published,
        d.added.len(),
        d.removed.len(),
        d.amended.len(),
        d.unchanged
    );
    if !d.schema.is_empty() {
        let _ = writeln!(
            s,
            "Format change: fields added {:?}, removed {:?}; {} entries differ only in those fields (not counted as amended)",
            d.schema.fields_added, d.schema.fields_removed, d.schema.reformatted
        );
    }
    if !d.added.is_empty() {
        let _ = writeln!(s, "\nAdded:");
        for e in &d.added {
            let _ = writeln!(s, "  + {:<12} {}", e.reference, e.name);
        }
    }
    if !d.removed.is_empty() {
        let _ = writeln!(s, "\nRemoved:");
        for e in &d.removed {
            let _ = writeln!(s, "  - {:<12} {}", e.reference, e.name);
        }
    }
    if !d.amended.is_empty() {
        let _ = writeln!(s, "\nAmended:");
        for a in &d.amended {
            let _ = writeln!(s, "  ~ {:<12} {}", a.reference, a.name);
            changes(&mut s, &a.changes, "      ");
        }
    }
    s
}

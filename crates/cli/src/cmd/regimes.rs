//! `exemption add|list` and `check travel|payment`: regimes, measures and exemptions.

use std::fmt::Write;

use anyhow::{Context, Result, bail};
use sanctions_engine::model::{Exemption, ExemptionKind};
use sanctions_engine::{NewExemption, PaymentCheck, TravelCheck, TravelVerdict};

use super::{audit, check_threshold, cli_actor, ensure_loaded, open, out, parse_date, print_json};
use crate::args::{CheckCommand, ExemptionAddArgs, ExemptionCommand};

pub(crate) fn exemption(db: &std::path::Path, c: ExemptionCommand, json: bool) -> Result<()> {
    match c {
        ExemptionCommand::Add(a) => add(db, *a, json),
        ExemptionCommand::List => list(db, json),
    }
}

fn add(db: &std::path::Path, a: ExemptionAddArgs, json: bool) -> Result<()> {
    let kind: ExemptionKind = a.kind.parse().map_err(anyhow::Error::msg)?;
    let from = parse_date(&a.from, "--from")?;
    let to = a.to.as_deref().map(|t| parse_date(t, "--to")).transpose()?;
    let recorded_by =
        a.by.clone()
            .or_else(|| std::env::var("USER").ok())
            .filter(|b| !b.trim().is_empty())
            .context("who records the exemption: pass --by NAME")?;
    let mut engine = open(db)?;
    let ex = engine.add_exemption(NewExemption {
        kind,
        reference: a.reference,
        regime: a.regime,
        from,
        to,
        destinations: a.to_country,
        purpose: a.purpose,
        document: a.document,
        recorded_by,
    })?;
    audit(db, sanctions_server::exemption_event(&ex, cli_actor(), None))?;
    if json {
        return print_json(&ex);
    }
    out(&format!("recorded exemption #{}: {}\n", ex.id, line(&ex)))
}

fn list(db: &std::path::Path, json: bool) -> Result<()> {
    let engine = open(db)?;
    let all = engine.exemptions()?;
    if json {
        return print_json(&all);
    }
    if all.is_empty() {
        return out("No exemption recorded. Record one with `sanctions exemption add`.\n");
    }
    let mut s = String::new();
    for ex in &all {
        let _ = writeln!(s, "#{:<3} {}", ex.id, line(ex));
        let _ = writeln!(s, "     recorded {} by {}", ex.recorded_at, ex.recorded_by);
    }
    out(&s)
}

fn period(ex: &Exemption) -> String {
    match ex.to {
        Some(to) => format!("{} to {}", ex.from, to),
        None => format!("from {} (standing)", ex.from),
    }
}

/// One line: kind, target, period, destinations, purpose, document.
fn line(ex: &Exemption) -> String {
    let target = match (&ex.source, &ex.reference, &ex.regime) {
        (Some(s), Some(r), Some(g)) => format!("{s}:{r} ({g})"),
        (Some(s), Some(r), None) => format!("{s}:{r}"),
        (_, _, Some(g)) => format!("regime {g}"),
        _ => "?".into(),
    };
    let mut s = format!("{} {target}, {}", ex.kind, period(ex));
    if !ex.destinations.is_empty() {
        let _ = write!(s, ", to {}", ex.destinations.join(", "));
    }
    let _ = write!(s, ": {:?}", ex.purpose);
    if let Some(d) = &ex.document {
        let _ = write!(s, " [{d}]");
    }
    s
}

pub(crate) fn check(db: &std::path::Path, c: CheckCommand, json: bool) -> Result<()> {
    match c {
        CheckCommand::Travel(a) => {
            let on = parse_date(&a.on, "--on")?;
            if !on.is_full() {
                bail!("--on must be a full date (YYYY-MM-DD), got {on}");
            }
            let mut engine = open(db)?;
            ensure_loaded(&mut engine)?;
            let r = engine.check_travel(&a.reference, &a.to, on)?;
            if json {
                return print_json(&r);
            }
            out(&travel(&r))
        }
        CheckCommand::Payment(a) => {
            let threshold = check_threshold(a.threshold)?;
            let on = a.on.as_deref().map(|d| parse_date(d, "--on")).transpose()?;
            if a.name.trim().is_empty() {
                bail!("the name to screen is empty");
            }
            let mut engine = open(db)?;
            ensure_loaded(&mut engine)?;
            let r = engine.check_payment(&a.name, &a.purpose, on, threshold)?;
            if json {
                return print_json(&r);
            }
            out(&payment(&r))
        }
    }
}

fn travel(r: &TravelCheck) -> String {
    let mut s = String::new();
    let lists = crate::render::versions_used(&r.versions);
    let _ = writeln!(
        s,
        "Travel of {} to {} on {} (lists in force that day: {})",
        r.reference, r.destination, r.date, lists
    );
    let Some(e) = &r.entry else {
        let _ = writeln!(s, "  not listed on {}: no sanctions measure applies", r.date);
        let _ = writeln!(s, "\n{}", sanctions_engine::NOT_LEGAL_ADVICE);
        return s;
    };
    let _ = writeln!(
        s,
        "  listed: {}:{} {} [{}] in {} version #{} published {}",
        e.source, e.reference, e.name, e.kind, e.source, e.version.version_id, e.version.published
    );
    for g in &r.regimes {
        let _ = writeln!(s, "  regime: {}", g.summary());
        if let Some(c) = &g.committee {
            let _ = writeln!(s, "          {c}; resolutions {}", g.resolutions.join(", "));
        }
    }
    match r.verdict {
        TravelVerdict::NoTravelBan => {
            let _ = writeln!(s, "  no travel ban under these regimes (as catalogued)");
        }
        TravelVerdict::Covered => {
            for ex in &r.covered_by {
                let _ = writeln!(s, "  COVERED by exemption #{}: {}", ex.id, line(ex));
            }
        }
        TravelVerdict::TravelBanApplies => {
            let _ = writeln!(s, "  no exemption: travel ban applies");
        }
        TravelVerdict::NotListed => {}
    }
    for ex in &r.other_exemptions {
        let _ = writeln!(s, "  (does not cover this trip) exemption #{}: {}", ex.id, line(ex));
    }
    let _ = writeln!(s, "\n{}", sanctions_engine::NOT_LEGAL_ADVICE);
    s
}

fn payment(r: &PaymentCheck) -> String {
    let mut s = String::new();
    let lists = crate::render::versions_used(&r.versions);
    let _ = writeln!(
        s,
        "Payment to {:?}, purpose {:?}, on {} (screened against {}; threshold {:.2})",
        r.name, r.purpose, r.date, lists, r.threshold
    );
    if r.hits.is_empty() {
        let _ = writeln!(s, "  no hit at or above the threshold: no listed party found");
    }
    for (i, h) in r.hits.iter().enumerate() {
        let x = &h.hit;
        let _ = writeln!(
            s,
            "\n{:>2}. {:.2} {}:{}  {}  [{}]",
            i + 1,
            x.score,
            x.source,
            x.reference,
            x.name,
            x.kind
        );
        for g in &x.regimes {
            let _ = writeln!(s, "    regime: {}", g.summary());
        }
        if !h.asset_freeze {
            let _ = writeln!(s, "    no asset freeze under these regimes (as catalogued)");
            continue;
        }
        let _ = writeln!(s, "    asset freeze: {}", h.freezing_regimes.join(", "));
        for st in &h.standing {
            let _ = writeln!(
                s,
                "    standing carve-out {} (resolution {}, adopted {}): {}",
                st.id, st.resolution, st.adopted, st.summary
            );
            let _ = writeln!(s, "      conditions: {}", st.conditions);
        }
        if !h.without_carve_out.is_empty() {
            let _ = writeln!(
                s,
                "    no standing carve-out in the catalogue for purpose {:?} under: {} (national licences, e.g. OFAC general licences, are not catalogued)",
                r.purpose,
                h.without_carve_out.join(", ")
            );
        }
        for ex in &h.recorded {
            let _ = writeln!(s, "    recorded exemption #{}: {}", ex.id, line(ex));
        }
    }
    let _ = writeln!(s, "\n{}", sanctions_engine::NOT_LEGAL_ADVICE);
    s
}

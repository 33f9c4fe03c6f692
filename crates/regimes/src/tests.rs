//! Catalogue validity (against every real UN and OFAC file of the shared data folder) and
//! the exemption rules.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;

fn d(s: &str) -> PartialDate {
    s.parse().unwrap()
}

/// The shared data folder; fails loudly (never skips) when it is missing.
fn shared_data() -> PathBuf {
    let dir = std::env::var_os("SANCTIONS_SHARED_DATA")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    assert!(dir.join("un").is_dir(), "shared data not found at {}", dir.display());
    dir
}

fn files(dir: &str, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(shared_data().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(prefix) && n.ends_with(suffix)
        })
        .collect();
    out.sort();
    out
}

/// Every `UN_LIST_TYPE` value of one UN file.
fn un_list_types(path: &std::path::Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("<UN_LIST_TYPE>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap().trim().to_string())
        .collect()
}

/// Splits one CSV line into fields (double-quoted fields may hold commas and `""`).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Every program code of one OFAC sdn.csv (column 4, `] [`-separated; `-0-` is empty).
fn ofac_codes(path: &std::path::Path) -> BTreeSet<String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let f = csv_fields(line);
        let Some(p) = f.get(3).map(|p| p.trim()) else { continue };
        if p.is_empty() || p == "-0-" {
            continue;
        }
        for code in p.split("] [") {
            let code = code.trim().trim_start_matches('[').trim_end_matches(']').trim();
            if !code.is_empty() {
                out.insert(code.to_string());
            }
        }
    }
    out
}

#[test]
fn embedded_catalogue_parses_and_is_consistent() {
    let c = catalogue();
    assert!(c.un.len() >= 15, "{} UN regimes", c.un.len());
    assert!(c.ofac.len() >= 80, "{} OFAC programs", c.ofac.len());
    let taliban = c.un_by_list_type("Taliban").unwrap();
    assert_eq!(taliban.id, "un-taliban");
    assert!(taliban.resolutions.contains(&"1988 (2011)".to_string()));
    assert_eq!(
        taliban.individuals,
        [Measure::AssetFreeze, Measure::TravelBan, Measure::ArmsEmbargo]
    );
    assert_eq!(taliban.travel_exemption_max_months, Some(9));
    let aq = c.un_by_list_type("Al-Qaida").unwrap();
    for r in ["1267 (1999)", "1989 (2011)", "2253 (2015)"] {
        assert!(aq.resolutions.contains(&r.to_string()), "{r}");
    }
    for (lt, r) in [
        ("DPRK", "1718 (2006)"),
        ("Iran", "2231 (2015)"),
        ("Iraq", "1518 (2003)"),
        ("Libya", "1970 (2011)"),
        ("GB", "2048 (2012)"),
    ] {
        assert!(c.un_by_list_type(lt).unwrap().resolutions.contains(&r.to_string()), "{lt} {r}");
    }
    // Guinea-Bissau: travel ban only.
    assert_eq!(c.un_by_list_type("GB").unwrap().individuals, [Measure::TravelBan]);
    assert_eq!(c.ofac("SDGT").unwrap().name, "Specially Designated Global Terrorists (EO 13224)");
}

#[test]
fn catalogue_check_rejects_bad_data() {
    let bad_measure = CATALOGUE_TOML.replacen("\"travel_ban\"", "\"teleport_ban\"", 1);
    assert!(Catalogue::parse(&bad_measure).is_err());
    let dup = format!("{CATALOGUE_TOML}\n[[ofac]]\ncode = \"SDGT\"\nname = \"again\"\n");
    assert!(Catalogue::parse(&dup).unwrap_err().contains("SDGT"));
    let bad_res = CATALOGUE_TOML.replacen("\"1988 (2011)\"", "\"1988/2011\"", 1);
    assert!(Catalogue::parse(&bad_res).unwrap_err().contains("1988/2011"));
    // 2615 carves out the 1988 asset freeze; pointing it at Guinea-Bissau (no freeze) fails.
    let bad_standing = CATALOGUE_TOML.replacen(
        "regimes = [\"un-taliban\"]",
        "regimes = [\"un-guinea-bissau\"]",
        1,
    );
    assert!(Catalogue::parse(&bad_standing).unwrap_err().contains("un-guinea-bissau"));
}

/// Table-driven: every UN file, every UN_LIST_TYPE value in it.
#[test]
fn every_un_list_type_of_every_un_file_is_catalogued() {
    let files = files("un", "consolidated-", ".xml");
    assert_eq!(files.len(), 18, "expected the 18 UN files");
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &files {
        let types = un_list_types(f);
        assert!(!types.is_empty(), "{} has no UN_LIST_TYPE", f.display());
        for t in types {
            if catalogue().un_by_list_type(&t).is_none() {
                missing.push(format!("{}: {t}", f.file_name().unwrap().to_string_lossy()));
            }
            seen.insert(t);
        }
    }
    assert!(missing.is_empty(), "UN_LIST_TYPE values not in regimes.toml: {missing:#?}");
    for t in ["Taliban", "Al-Qaida", "DPRK", "Iran", "Iraq", "Libya", "GB", "Haiti"] {
        assert!(seen.contains(t), "{t} not seen in the UN files");
    }
}

/// Table-driven: every OFAC sdn*.csv file, every program code in it. A code missing here is
/// listed by name so it can be added (or marked `unknown program`).
#[test]
fn every_ofac_program_code_of_every_sdn_file_is_catalogued() {
    let mut files = files("ofac", "sdn-", ".csv");
    files.extend(files_in_mirror());
    assert!(files.len() >= 10, "expected the sdn-*.csv files, found {files:?}");
    let mut missing = BTreeSet::new();
    let mut total = BTreeSet::new();
    for f in &files {
        let codes = ofac_codes(f);
        assert!(codes.len() > 20, "{} has only {} codes", f.display(), codes.len());
        for c in codes {
            if catalogue().ofac(&c).is_none() {
                missing.insert(format!("{c} ({})", f.file_name().unwrap().to_string_lossy()));
            }
            total.insert(c);
        }
    }
    assert!(missing.is_empty(), "OFAC program codes not in regimes.toml: {missing:#?}");
    // No catalogued code is named "unknown program".
    let unnamed: Vec<_> =
        catalogue().ofac.iter().filter(|p| p.name == "unknown program").map(|p| &p.code).collect();
    assert!(unnamed.is_empty(), "OFAC codes without a name: {unnamed:?}");
    assert!(total.contains("SDGT") && total.contains("RUSSIA-EO14024"));
}

fn files_in_mirror() -> Vec<PathBuf> {
    let p = shared_data().join("mirror").join("ofac").join("sdn.csv");
    if p.is_file() { vec![p] } else { Vec::new() }
}

#[test]
fn regimes_of_an_entry_by_kind() {
    let mut e = Entity::new(Source::Un, "111042", "TAi.026", EntityKind::Person);
    e.programs.push("Taliban".into());
    let r = regimes_for(&e);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].id, "un-taliban");
    assert!(r[0].has(Measure::TravelBan) && r[0].has(Measure::AssetFreeze));
    assert!(r[0].committee.as_deref().unwrap().contains("1988 (2011)"));

    e.kind = EntityKind::Organization;
    let r = regimes_for(&e);
    assert!(!r[0].has(Measure::TravelBan) && r[0].has(Measure::ArmsEmbargo));

    let mut o = Entity::new(Source::Ofac, "6636", "6636", EntityKind::Organization);
    o.programs = vec!["SDGT".into(), "NOT-A-CODE".into(), "SDGT".into()];
    let r = regimes_for(&o);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].id, "ofac-SDGT");
    assert_eq!(r[0].measures, [Measure::AssetFreeze]);
    assert!(!r[1].known);
    assert_eq!(r[1].name, "unknown program");
}

#[test]
fn standing_carve_outs() {
    let c = catalogue();
    let ids = |regime: &str, date: Option<&str>| -> Vec<String> {
        c.standing_for(regime, Measure::AssetFreeze, "humanitarian", date.map(d))
            .into_iter()
            .map(|s| s.id.clone())
            .collect()
    };
    assert_eq!(ids("un-taliban", None), ["un-res-2615", "un-res-2664"]);
    assert_eq!(ids("un-taliban", Some("2022-01-01")), ["un-res-2615"]);
    assert!(ids("un-taliban", Some("2021-12-21")).is_empty());
    assert_eq!(ids("un-dprk", None), ["un-res-2664"]);
    assert!(ids("un-guinea-bissau", None).is_empty());
    assert!(ids("ofac-SDGT", None).is_empty());
    assert!(c.standing_for("un-taliban", Measure::AssetFreeze, "commercial", None).is_empty());
}

fn travel(reference: &str, from: &str, to: &str, dest: &[&str]) -> Exemption {
    Exemption {
        id: 0,
        kind: ExemptionKind::Travel,
        source: Some(Source::Un),
        reference: Some(reference.into()),
        regime: None,
        from: d(from),
        to: Some(d(to)),
        destinations: dest.iter().map(|s| s.to_string()).collect(),
        purpose: "talks".into(),
        document: Some("SC/0000".into()),
        recorded_at: String::new(),
        recorded_by: "test".into(),
    }
}

#[test]
fn add_months_clamps_to_month_end() {
    assert_eq!(add_months(d("2021-09-23"), 9), d("2022-06-23"));
    assert_eq!(add_months(d("2021-05-31"), 9), d("2022-02-28"));
    assert_eq!(add_months(d("2023-05-31"), 9), d("2024-02-29"));
    assert_eq!(add_months(d("2021-12-15"), 1), d("2022-01-15"));
}

/// Exemption period rules, table-driven: (from, to, regimes of the entry, expected).
#[test]
fn exemption_period_rules() {
    let taliban = vec!["un-taliban".to_string()];
    let other = vec!["un-libya".to_string()];
    type Case<'a> = (&'a str, &'a str, &'a Vec<String>, Result<(), &'a str>);
    let cases: &[Case] = &[
        ("2021-09-23", "2021-12-22", &taliban, Ok(())),
        ("2021-09-23", "2021-09-23", &taliban, Ok(())),
        ("2021-09-23", "2022-06-22", &taliban, Ok(())),
        ("2021-09-23", "2022-06-23", &taliban, Err("at most 9 months")),
        ("2021-09-23", "2023-01-01", &taliban, Err("at most 9 months")),
        ("2021-09-23", "2023-01-01", &other, Ok(())),
        ("2021-12-22", "2021-09-23", &taliban, Err("ends (2021-09-23) before it starts")),
        ("2021-09", "2021-12-22", &taliban, Err("not a full date")),
    ];
    for (from, to, regimes, want) in cases {
        let got = validate(&travel("TAi.026", from, to, &["RU"]), regimes);
        match (want, got) {
            (Ok(()), Ok(())) => {}
            (Err(needle), Err(e)) => {
                assert!(e.to_string().contains(needle), "{from}..{to}: {e} lacks {needle:?}")
            }
            (w, g) => panic!("{from}..{to} {regimes:?}: expected {w:?}, got {g:?}"),
        }
    }
    // The exemption's own regime counts too.
    let mut ex = travel("TAi.026", "2021-09-23", "2022-09-23", &["RU"]);
    ex.regime = Some("un-taliban".into());
    assert!(matches!(validate(&ex, &[]), Err(ExemptionError::PeriodTooLong { .. })));
}

#[test]
fn exemption_shape_rules() {
    let ok = travel("TAi.026", "2021-09-23", "2021-12-22", &["RU"]);
    assert_eq!(validate(&ok, &[]), Ok(()));
    let mut ex = ok.clone();
    ex.destinations.clear();
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::TravelWithoutDestination));
    let mut ex = ok.clone();
    ex.destinations = vec!["Russia".into()];
    assert!(matches!(validate(&ex, &[]), Err(ExemptionError::BadDestination(_))));
    let mut ex = ok.clone();
    ex.to = None;
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::TravelWithoutEnd));
    let mut ex = ok.clone();
    ex.reference = None;
    ex.regime = Some("un-taliban".into());
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::TravelWithoutReference));
    let mut ex = ok.clone();
    ex.reference = None;
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::NoTarget));
    let mut ex = ok.clone();
    ex.regime = Some("un-atlantis".into());
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::UnknownRegime("un-atlantis".into())));
    let mut ex = ok.clone();
    ex.regime = Some("ofac-SDGT".into());
    assert_eq!(validate(&ex, &[]), Ok(()));
    let mut ex = ok;
    ex.purpose = "  ".into();
    assert_eq!(validate(&ex, &[]), Err(ExemptionError::NoPurpose));
    // A standing humanitarian exemption for a regime: no end, no destination.
    let h = Exemption {
        kind: ExemptionKind::Humanitarian,
        reference: None,
        source: None,
        regime: Some("un-taliban".into()),
        to: None,
        destinations: vec![],
        ..travel("x", "2021-12-22", "2021-12-22", &[])
    };
    assert_eq!(validate(&h, &[]), Ok(()));
}

#[test]
fn trip_coverage() {
    let ex = travel("TAi.026", "2021-09-23", "2021-12-22", &["RU", "QA"]);
    let covers = |reference: &str, dest: &str, on: &str| {
        covers_trip(&ex, Source::Un, reference, dest, d(on))
    };
    assert!(covers("TAi.026", "RU", "2021-10-20"));
    assert!(covers("tai.026", "ru", "2021-09-23"));
    assert!(covers("TAi.026", "QA", "2021-12-22"));
    assert!(!covers("TAi.026", "RU", "2021-12-23"));
    assert!(!covers("TAi.026", "RU", "2021-09-22"));
    assert!(!covers("TAi.026", "CN", "2021-10-20"));
    assert!(!covers("TAi.024", "RU", "2021-10-20"));
    assert!(!covers_trip(&ex, Source::Ofac, "TAi.026", "RU", d("2021-10-20")));
    let mut freeze = ex.clone();
    freeze.kind = ExemptionKind::AssetFreeze;
    assert!(!covers_trip(&freeze, Source::Un, "TAi.026", "RU", d("2021-10-20")));
}

#[test]
fn payment_coverage() {
    let regimes = vec!["un-taliban".to_string()];
    let mut freeze = travel("TAi.026", "2021-09-23", "2021-12-22", &[]);
    freeze.kind = ExemptionKind::AssetFreeze;
    let on = d("2021-10-01");
    assert!(covers_payment(&freeze, Source::Un, "TAi.026", &regimes, false, on));
    assert!(!covers_payment(&freeze, Source::Un, "TAi.026", &regimes, false, d("2022-01-01")));
    assert!(!covers_payment(&freeze, Source::Un, "TAi.027", &regimes, false, on));

    let h = Exemption {
        kind: ExemptionKind::Humanitarian,
        reference: None,
        source: None,
        regime: Some("un-taliban".into()),
        to: None,
        ..freeze.clone()
    };
    assert!(covers_payment(&h, Source::Un, "TAi.999", &regimes, true, d("2030-01-01")));
    assert!(!covers_payment(&h, Source::Un, "TAi.999", &regimes, false, on));
    assert!(!covers_payment(&h, Source::Un, "QDi.001", &["un-al-qaida".into()], true, on));
    let t = travel("TAi.026", "2021-09-23", "2021-12-22", &["RU"]);
    assert!(!covers_payment(&t, Source::Un, "TAi.026", &regimes, true, on));
}

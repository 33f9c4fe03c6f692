//! Integration tests of `sanctions-lists`.
//!
//! Properties checked:
//! * hand-written fixtures: every UN and OFAC quirk maps as documented (padding, "na",
//!   single-quoted attributes, empty aliases, "; "-joined aliases, original script, several
//!   birth dates incl. BETWEEN / APPROXIMATELY, OFAC `-0-`, CRLF + 0x1A, LF-only, quoted
//!   commas, the remarks grammar);
//! * malformed inputs fail with errors naming the file and the line;
//! * every real file in `shared/data/un` and `shared/data/ofac` parses with the counts of
//!   `shared/data/PROVENANCE.md`, plus spot checks of known entries.

use std::path::PathBuf;

use sanctions_lists::{Error, Input, ParsedList, parse_ofac_csv, parse_ofac_remarks, parse_un_xml};
use sanctions_model::{
    BirthDate, Entity, EntityKind, Gender, NamePartKind, NameQuality, PartialDate, Script,
};

fn fixture(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", p.display()))
}

fn shared() -> PathBuf {
    let p = match std::env::var_os("SANCTIONS_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    };
    assert!(
        p.join("PROVENANCE.md").is_file(),
        "shared data folder not found at {} (set SANCTIONS_SHARED_DATA to the folder holding \
         PROVENANCE.md, un/ and ofac/)",
        p.display()
    );
    p
}

fn un(path: &str) -> ParsedList {
    let data = fixture(path);
    parse_un_xml(&data[..], path).unwrap_or_else(|e| panic!("{e}"))
}

fn un_err(path: &str) -> Error {
    let data = fixture(path);
    match parse_un_xml(&data[..], path) {
        Ok(l) => panic!("{path} parsed ({} entities) but must fail", l.entities.len()),
        Err(e) => e,
    }
}

fn by_ref<'a>(l: &'a ParsedList, r: &str) -> &'a Entity {
    l.entities.iter().find(|e| e.reference == r).unwrap_or_else(|| panic!("no entry {r}"))
}

fn names(e: &Entity, q: NameQuality) -> Vec<&str> {
    e.names.iter().filter(|n| n.quality == q).map(|n| n.full.as_str()).collect()
}

fn y(year: i32) -> PartialDate {
    PartialDate::year(year)
}

mod un_fixture {
    use super::*;

    #[test]
    fn header_and_counts() {
        let l = un("un/quirks.xml");
        assert_eq!(l.published_raw.as_deref(), Some("2017-06-20T19:04:40.335-04:00"));
        assert_eq!(l.published, Some("2017-06-20".parse().unwrap()));
        assert_eq!((l.stats.records, l.stats.persons, l.stats.organizations), (2, 1, 1));
        // Empty alias elements don't count; "A; B; C" counts once.
        assert_eq!((l.stats.person_alias_entries, l.stats.organization_alias_entries), (3, 2));
        assert_eq!(l.stats.addresses, 2);
    }

    #[test]
    fn individual_names() {
        let l = un("un/quirks.xml");
        let e = by_ref(&l, "TAi.153");
        assert_eq!(e.source_id, "2975510");
        assert_eq!(e.kind, EntityKind::Person);
        let p = &e.names[0];
        assert_eq!(p.quality, NameQuality::Primary);
        assert_eq!(p.full, "FAIZULLAH KHAN NOORZAI", "padding trimmed, 'na' dropped");
        let kinds: Vec<_> = p.parts.iter().map(|x| (x.kind, x.value.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (NamePartKind::First, "FAIZULLAH"),
                (NamePartKind::Second, "KHAN"),
                (NamePartKind::Third, "NOORZAI")
            ]
        );
        assert_eq!(e.extra["FOURTH_NAME"], ["na"]);
        assert_eq!(p.script, Some(Script::Latin));
        // Original script second, Strong, Arabic.
        assert_eq!(e.names[1].full, "فیض الله خان نورزی");
        assert_eq!(e.names[1].quality, NameQuality::Strong);
        assert_eq!(e.names[1].script, Some(Script::Arabic));
        assert_eq!(
            names(e, NameQuality::Strong),
            [
                "فیض الله خان نورزی",
                "Mortaza Safari",
                "Morteza Saferi",
                "Murtaza Safari",
                "Haji Faizullah Noor"
            ]
        );
        assert_eq!(names(e, NameQuality::Weak), ["حسن غول", "Hassan Ghul", "Hasan Gul"]);
        let weak = e.names.iter().find(|n| n.full == "Hassan Ghul").unwrap();
        assert_eq!(weak.source_quality.as_deref(), Some("Low"));
        assert_eq!(weak.note.as_deref(), Some("previously listed as"));
        let good = e.names.iter().find(|n| n.full == "Morteza Saferi").unwrap();
        assert_eq!(good.source_quality.as_deref(), Some("Good"));
        let noq = e.names.iter().find(|n| n.full == "Haji Faizullah Noor").unwrap();
        assert_eq!(noq.source_quality, None);
        assert_eq!(e.extra["INDIVIDUAL_ALIAS/DATE_OF_BIRTH"], ["1961"]);
        assert_eq!(e.extra["INDIVIDUAL_ALIAS/CITY_OF_BIRTH"], ["Chaman"]);
        assert_eq!(
            e.extra["INDIVIDUAL_ALIAS/ALIAS_NAME"],
            ["Mortaza Safari; Morteza Saferi; Murtaza Safari", "حسن غول (Hassan Ghul; Hasan Gul)"]
        );
    }

    #[test]
    fn individual_fields() {
        let l = un("un/quirks.xml");
        let e = by_ref(&l, "TAi.153");
        assert_eq!(
            e.birth_dates,
            [
                BirthDate::Exact { date: y(1966) },
                BirthDate::Between { from: y(1968), to: y(1970) },
                BirthDate::Approximately { date: y(1962) },
                BirthDate::Exact { date: "1960-01-01".parse().unwrap() },
                BirthDate::Exact { date: "1959-03-04".parse().unwrap() },
                BirthDate::Text { text: "Nov. 1973".into() },
            ]
        );
        assert_eq!(e.extra["INDIVIDUAL_DATE_OF_BIRTH/NOTE"], ["Approximately", "Nov. 1973"]);
        assert_eq!(e.listed_on, Some("2011-10-04".parse().unwrap()));
        assert_eq!(e.amended_on, ["2011-11-29".parse().unwrap(), "2012-06-01".parse().unwrap()]);
        assert_eq!(e.programs, ["Taliban"]);
        assert_eq!(e.extra["LIST_TYPE/VALUE"], ["UN List"]);
        assert_eq!(e.titles, ["Haji"]);
        assert_eq!(e.nationalities, ["Afghanistan", "Pakistan"]);
        assert_eq!(e.gender, Some(Gender::Male));
        assert_eq!(e.extra["GENDER"], ["MALE"]);
        assert_eq!(e.remarks.as_deref(), Some("Prominent Taliban financier."));
        assert_eq!(e.addresses.len(), 1, "empty address element is absent");
        assert_eq!(e.addresses[0].street.as_deref(), Some("Boghra Road"));
        assert_eq!(e.addresses[0].state.as_deref(), Some("Baluchistan Province"));
        assert_eq!(e.birth_places[0].city.as_deref(), Some("Lowy Kariz, Spin Boldak District"));
        assert_eq!(e.identifiers.len(), 1);
        let d = &e.identifiers[0];
        assert_eq!((d.kind.as_str(), d.number.as_str()), ("Passport", "D0009716"));
        assert_eq!(d.country.as_deref(), Some("Afghanistan"));
        assert_eq!(d.issued.as_deref(), Some("2021-09-25"));
        assert_eq!(d.expires.as_deref(), Some("2026-09-25"));
        assert_eq!(
            d.note.as_deref(),
            Some("diplomatic passport; city of issue: Kabul; expires 25 Sep. 2026")
        );
        assert_eq!(e.extra["VERSIONNUM"], ["1"]);
        assert_eq!(e.extra["HAS_INTERPOL_LINK"], ["YES"]);
        assert_eq!(e.extra["NEW_FIELD/VALUE"], ["kept"], "unknown elements kept by path");
        assert!(!e.extra.contains_key("SORT_KEY"), "empty elements are absent");
    }

    #[test]
    fn entity() {
        let l = un("un/quirks.xml");
        let e = by_ref(&l, "QDe.137");
        assert_eq!(e.kind, EntityKind::Organization);
        assert_eq!(e.names[0].full, "AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT & CO");
        assert!(e.names[0].parts.is_empty());
        assert_eq!(names(e, NameQuality::Strong), ["Jabhat al-Nusrah"]);
        assert_eq!(names(e, NameQuality::Former), ["Jabhat Fath al Sham"]);
        assert_eq!(e.remarks.as_deref(), Some("Associated with <Al-Qaida>."), "CDATA");
        assert_eq!(e.addresses[0].country.as_deref(), Some("Syrian Arab Republic"));
        assert_eq!(e.extra["VERSIONNUM"], ["2"]);
    }

    #[test]
    fn hash_is_stable_across_parses() {
        let a = un("un/quirks.xml");
        let b = un("un/quirks.xml");
        assert_eq!(a.entities[0].content_hash(), b.entities[0].content_hash());
    }
}

mod un_malformed {
    use super::*;

    fn check(path: &str, line: u64, needle: &str) {
        let e = un_err(path);
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("{path}:{line}: ")), "{msg}");
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        assert_eq!(e.file(), path);
        assert_eq!(e.line(), Some(line));
    }

    #[test]
    fn wrong_root() {
        check("un/bad-root.xml", 2, "root element is <sdnList>, expected <CONSOLIDATED_LIST>");
    }

    #[test]
    fn doctype_refused() {
        check("un/bad-doctype.xml", 2, "DOCTYPE");
    }

    #[test]
    fn zero_entries() {
        check("un/bad-empty.xml", 6, "no entries");
    }

    #[test]
    fn invalid_utf8() {
        check("un/bad-utf8.xml", 4, "invalid UTF-8");
    }

    #[test]
    fn mismatched_tags() {
        check("un/bad-mismatch.xml", 5, "malformed XML");
    }

    #[test]
    fn missing_reference() {
        check("un/bad-noref.xml", 5, "record DATAID 1: missing REFERENCE_NUMBER");
    }

    #[test]
    fn inline_cases() {
        let cases: &[(&str, &str)] = &[
            ("<CONSOLIDATED_LIST><FOO/></CONSOLIDATED_LIST>", "unexpected element <FOO>"),
            ("<CONSOLIDATED_LIST>text</CONSOLIDATED_LIST>", "unexpected text"),
            (
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><CONSOLIDATED_LIST/>",
                "unsupported encoding",
            ),
            ("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>", "malformed XML"),
            ("<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>&foo;</DATAID>", "malformed"),
            (
                "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><REFERENCE_NUMBER>\
                 X</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
                "no name",
            ),
            (
                "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A\
                 </FIRST_NAME><REFERENCE_NUMBER>X</REFERENCE_NUMBER></INDIVIDUAL><INDIVIDUAL>\
                 <DATAID>1</DATAID><FIRST_NAME>B</FIRST_NAME><REFERENCE_NUMBER>Y\
                 </REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
                "duplicate id DATAID 1",
            ),
            ("<CONSOLIDATED_LIST dateGenerated=\"yesterday\"/>", "dateGenerated"),
            ("", "root element is <(none)>"),
        ];
        for (xml, needle) in cases {
            let err = parse_un_xml(xml.as_bytes(), "t.xml").expect_err(xml).to_string();
            assert!(err.starts_with("t.xml:1: "), "{err}");
            assert!(err.contains(needle), "{xml}: {err:?} lacks {needle:?}");
        }
    }

    #[test]
    fn limits() {
        let deep = format!(
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>{}",
            "<X>\n".repeat(sanctions_lists::MAX_DEPTH)
        );
        let err = parse_un_xml(deep.as_bytes(), "deep.xml").unwrap_err();
        assert!(err.to_string().contains("element nesting depth exceeds the limit of 64"), "{err}");
        assert_eq!(err.line(), Some(62));

        let big = format!(
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><COMMENTS1>{}</COMMENTS1>",
            "a".repeat(3 * sanctions_lists::MAX_FIELD)
        );
        let err = parse_un_xml(big.as_bytes(), "big.xml").unwrap_err();
        assert!(err.to_string().contains("field size in bytes exceeds the limit"), "{err}");
        // Many small text pieces that add up.
        let pieces = format!(
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><COMMENTS1>{}</COMMENTS1>",
            "<![CDATA[aaaaaaaaaaaaaaaa]]>".repeat(sanctions_lists::MAX_FIELD / 16 + 1)
        );
        let err = parse_un_xml(pieces.as_bytes(), "pieces.xml").unwrap_err();
        assert!(err.to_string().contains("field size in bytes exceeds the limit"), "{err}");
    }
}

mod ofac_fixture {
    use super::*;

    fn trio() -> ParsedList {
        let (s, a, d) = (fixture("ofac/sdn.csv"), fixture("ofac/alt.csv"), fixture("ofac/add.csv"));
        parse_ofac_csv(
            Input::new("sdn.csv", &s),
            Some(Input::new("alt.csv", &a)),
            Some(Input::new("add.csv", &d)),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn counts_and_kinds() {
        let l = trio();
        assert_eq!(l.published, None);
        let s = &l.stats;
        assert_eq!((s.records, s.persons, s.organizations, s.vessels, s.aircraft), (4, 1, 2, 1, 0));
        assert_eq!((s.alias_entries, s.addresses, s.empty_addresses), (3, 3, 1));
        let e = by_ref(&l, "36");
        assert_eq!(e.source_id, "36");
        assert_eq!(e.kind, EntityKind::Organization);
        assert_eq!(e.programs, ["CUBA"]);
        assert!(e.remarks.is_none() && e.extra.is_empty() && e.titles.is_empty(), "-0- = empty");
        assert_eq!(names(e, NameQuality::Strong), ["AERO-CARIBBEAN"]);
        assert_eq!(e.names[1].source_quality.as_deref(), Some("nka"));
        assert_eq!(e.addresses[0].city.as_deref(), Some("Havana"));
        assert_eq!(e.addresses[0].street, None);
    }

    #[test]
    fn quoted_commas_and_weak_akas() {
        let l = trio();
        let e = by_ref(&l, "173");
        assert_eq!(e.names[0].full, "ANGLO-CARIBBEAN CO., LTD.");
        // alt.csv names first, then the weak a.k.a. of the remarks.
        assert_eq!(names(e, NameQuality::Strong), ["AVIA IMPORT"]);
        assert_eq!(names(e, NameQuality::Weak), ["BNC", "BANCO"]);
        assert_eq!(e.extra["linked_to"], ["R D I S.A."]);
        assert_eq!(e.addresses.len(), 1, "the all -0- address row is not stored");
        assert_eq!(e.addresses[0].street.as_deref(), Some("Ibex House, The Minories"));
        assert_eq!(e.addresses[0].city.as_deref(), Some("London EC3N 1DY"));
        assert_eq!(e.addresses[0].country.as_deref(), Some("United Kingdom"));
    }

    #[test]
    fn individual_and_remarks() {
        let l = trio();
        let e = by_ref(&l, "2686");
        assert_eq!(e.kind, EntityKind::Person);
        let p = &e.names[0];
        assert_eq!(p.full, "NASRALLAH, Hasan");
        let parts: Vec<_> = p.parts.iter().map(|x| (x.kind, x.value.as_str())).collect();
        assert_eq!(parts, [(NamePartKind::Family, "NASRALLAH"), (NamePartKind::Given, "Hasan")]);
        assert_eq!(e.programs, ["SDGT", "SYRIA"]);
        assert_eq!(e.titles, ["Secretary General of Hizballah"]);
        assert_eq!(
            e.birth_dates,
            [
                BirthDate::Exact { date: "1960-08-31".parse().unwrap() },
                BirthDate::Approximately { date: y(1953) },
                BirthDate::Between { from: y(1955), to: y(1958) },
                BirthDate::Exact { date: "1961-06".parse().unwrap() },
            ]
        );
        assert_eq!(e.birth_places[0].note.as_deref(), Some("Al Basuriyah, Lebanon"));
        assert_eq!(e.nationalities, ["Lebanon"]);
        assert_eq!(e.citizenships, ["Iran"]);
        assert_eq!(e.gender, Some(Gender::Male));
        assert_eq!(e.identifiers.len(), 2);
        let pass = &e.identifiers[0];
        assert_eq!((pass.kind.as_str(), pass.number.as_str()), ("Passport", "A123"));
        assert_eq!(pass.country.as_deref(), Some("Pakistan"));
        assert_eq!(pass.issued.as_deref(), Some("01 Jan 2001"));
        assert_eq!(pass.expires.as_deref(), Some("31 Dec 2005"));
        assert_eq!(e.identifiers[1].kind, "Email Address");
        assert_eq!(e.identifiers[1].number, "a@b.example");
        let former = names(e, NameQuality::Former);
        assert_eq!(former, ["NASRALLAH, Hassan", "SAYYID"], "alt fka, then remarks f.k.a.");
        assert_eq!(e.names[1].note.as_deref(), Some("old spelling"));
        assert_eq!(e.names[1].parts.len(), 2);
        assert_eq!(
            e.extra["remarks_unparsed"],
            ["Additional Sanctions Information - Subject to Secondary Sanctions"]
        );
        assert!(e.remarks.as_deref().unwrap().starts_with("DOB 31 Aug 1960; alt. DOB circa"));
    }

    #[test]
    fn vessel() {
        let l = trio();
        let e = by_ref(&l, "9999");
        assert_eq!(e.kind, EntityKind::Vessel);
        assert_eq!(e.extra["Call_Sign"], ["9BZZ"]);
        assert_eq!(e.extra["Vess_type"], ["Crude Oil Tanker"]);
        assert_eq!(e.extra["GRT"], ["150000"]);
        assert_eq!(e.extra["Vess_flag"], ["Iran"]);
        assert!(!e.extra.contains_key("Tonnage"));
        assert_eq!(e.identifiers[0].kind, "Vessel Registration Identification IMO");
        assert_eq!(e.identifiers[0].number, "9079107");
    }

    #[test]
    fn lf_only_equals_crlf() {
        let s = fixture("ofac/sdn.csv");
        let lf: Vec<u8> = String::from_utf8(s.clone())
            .unwrap()
            .replace("\r\n", "\n")
            .trim_end_matches('\x1a')
            .into();
        let a = parse_ofac_csv(Input::new("a", &s), None, None).unwrap();
        let b = parse_ofac_csv(Input::new("b", &lf), None, None).unwrap();
        assert_eq!(a.entities, b.entities);
    }

    #[test]
    fn malformed() {
        let sdn = fixture("ofac/sdn.csv");
        let check = |r: sanctions_lists::Result<ParsedList>, want: &str| {
            let msg = r.expect_err(want).to_string();
            assert_eq!(msg, want);
        };
        let cols = fixture("ofac/bad-columns.csv");
        check(
            parse_ofac_csv(Input::new("bad-columns.csv", &cols), None, None),
            "bad-columns.csv:2: expected 12 columns, found 11",
        );
        let num = fixture("ofac/bad-entnum.csv");
        check(
            parse_ofac_csv(Input::new("bad-entnum.csv", &num), None, None),
            "bad-entnum.csv:2: ent_num \"X12\" is not a number",
        );
        let alt = fixture("ofac/bad-alt-unknown.csv");
        check(
            parse_ofac_csv(Input::new("sdn.csv", &sdn), Some(Input::new("alt.csv", &alt)), None),
            "alt.csv:1: ent_num 1 does not exist in sdn.csv",
        );
        check(
            parse_ofac_csv(Input::new("x.csv", b"1,\"A\xff\"\n"), None, None),
            "x.csv:1: invalid UTF-8",
        );
        check(
            parse_ofac_csv(Input::new("x.csv", b"\x1a"), None, None),
            "x.csv:1: the file holds no entries",
        );
        check(
            parse_ofac_csv(Input::new("x.csv", b"1,\"A\"B,\n"), None, None),
            "x.csv:1: malformed CSV: text after a closing quote",
        );
        check(
            parse_ofac_csv(Input::new("x.csv", b"1,\"A\n\n"), None, None),
            "x.csv:3: malformed CSV: unterminated quoted field",
        );
        let mut two = sdn[..sdn.len() - 1].to_vec();
        two.extend_from_slice(b"\r\n");
        two.extend_from_slice(&sdn);
        check(
            parse_ofac_csv(Input::new("x.csv", &two), None, None),
            "x.csv:5: malformed CSV: blank line before the end of the file",
        );
        let dup = [&sdn[..sdn.len() - 1], &sdn[..]].concat();
        check(
            parse_ofac_csv(Input::new("x.csv", &dup), None, None),
            "x.csv:5: duplicate id ent_num 36 (first seen on line 1)",
        );
        let kind = b"1,\"A\",\"ship\",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n";
        check(
            parse_ofac_csv(Input::new("x.csv", kind), None, None),
            "x.csv:1: record ent_num 1: unknown SDN_Type \"ship\"",
        );
        let big = format!("1,\"{}\"", "a".repeat(sanctions_lists::MAX_FIELD + 10));
        check(
            parse_ofac_csv(Input::new("x.csv", big.as_bytes()), None, None),
            "x.csv:1: field size in bytes exceeds the limit of 1048576",
        );
    }
}

mod remarks_grammar {
    use super::*;

    #[test]
    fn table() {
        // (remarks, birth dates as text, weak names, unparsed count)
        let cases: &[(&str, &[&str], &[&str], usize)] = &[
            ("DOB 12 Jun 1961", &["1961-06-12"], &[], 0),
            ("DOB 1961.", &["1961"], &[], 0),
            ("DOB circa 1961", &["circa 1961"], &[], 0),
            ("DOB circa 1960-1965", &["between 1960 and 1965"], &[], 0),
            ("DOB 1955 to 1958", &["between 1955 and 1958"], &[], 0),
            ("DOB 01 Jan 1955 to 31 Dec 1958", &["between 1955-01-01 and 1958-12-31"], &[], 0),
            ("DOB Jun 1961; alt. DOB 1962", &["1961-06", "1962"], &[], 0),
            ("DOB 31 Feb 1961", &["31 Feb 1961"], &[], 0),
            ("a.k.a. 'BNC'.", &[], &["BNC"], 0),
            ("a.k.a. \"X Y\"", &[], &["X Y"], 0),
            ("a.k.a. 'AL-HAQ, Haj 'Abd'.", &[], &["AL-HAQ, Haj 'Abd"], 0),
            ("a.k.a. 'ABU-AL-KARKH', 'Yusuf'.", &[], &["ABU-AL-KARKH", "Yusuf"], 0),
            ("a.k.a. 'snowsjo", &[], &["snowsjo"], 0),
            ("Executive Order 13662 Directive Determination - Subject to Directive 1", &[], &[], 1),
            ("Organization Established Date 1969; all offices worldwide", &[], &[], 2),
        ];
        for (text, dobs, weak, unparsed) in cases {
            let r = parse_ofac_remarks(text);
            let got: Vec<String> = r.birth_dates.iter().map(|d| d.to_string()).collect();
            assert_eq!(&got, dobs, "{text}");
            let w: Vec<&str> = r
                .names
                .iter()
                .filter(|n| n.quality == NameQuality::Weak)
                .map(|n| n.full.as_str())
                .collect();
            assert_eq!(&w, weak, "{text}");
            assert_eq!(r.unparsed.len(), *unparsed, "{text}: {:?}", r.unparsed);
        }
    }

    #[test]
    fn parentheses_protect_semicolons() {
        let r = parse_ofac_remarks(
            "Passport 123 (issued by X; renewed); Linked To: A (B; C); Gender Female; SWIFT/BIC BKMTIRTH",
        );
        assert_eq!(r.identifiers.len(), 2);
        assert_eq!(r.identifiers[0].country.as_deref(), Some("issued by X; renewed"));
        assert_eq!(r.identifiers[1].kind, "SWIFT/BIC");
        assert_eq!(r.linked_to, ["A (B; C)"]);
        assert_eq!(r.gender, Some(Gender::Female));
    }

    #[test]
    fn conflicting_gender_is_kept_unparsed() {
        let r = parse_ofac_remarks("Gender Male; Gender Female; Gender Unknown");
        assert_eq!(r.gender, Some(Gender::Male));
        assert_eq!(r.unparsed, ["Gender Female", "Gender Unknown"]);
    }
}

mod real_data {
    use super::*;

    fn un_file(name: &str) -> ParsedList {
        let p = shared().join("un").join(name);
        let f = std::fs::File::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        parse_un_xml(std::io::BufReader::new(f), name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// PROVENANCE.md section 1: file, INDIVIDUAL, ENTITY, TAi, aliases (individuals / entities).
    const UN: &[(&str, usize, usize, usize, usize, usize)] = &[
        ("consolidated-2017-06-20.xml", 653, 371, 135, 1979, 547),
        ("consolidated-2017-06-30.xml", 653, 371, 135, 1979, 547),
        ("consolidated-2017-07-03.xml", 650, 371, 135, 1967, 547),
        ("consolidated-2018-06-07.xml", 693, 405, 135, 2042, 586),
        ("consolidated-2018-06-21.xml", 695, 405, 135, 2047, 586),
        ("consolidated-2018-08-24.xml", 701, 397, 135, 2081, 582),
        ("consolidated-2018-10-29.xml", 703, 390, 135, 2086, 577),
        ("consolidated-2020-03-20.xml", 709, 305, 135, 2087, 566),
        ("consolidated-2020-11-30.xml", 713, 305, 135, 2112, 566),
        ("consolidated-2020-12-01.xml", 712, 294, 135, 2112, 562),
        ("consolidated-2022-09-15.xml", 699, 253, 135, 2114, 582),
        ("consolidated-2024-09-26.xml", 682, 193, 135, 2141, 578),
        ("consolidated-2025-04-19.xml", 684, 193, 135, 2126, 578),
        ("consolidated-2025-12-09.xml", 727, 273, 135, 2140, 613),
        ("consolidated-2025-12-10.xml", 726, 273, 135, 2136, 613),
        ("consolidated-2026-01-28.xml", 726, 273, 135, 2136, 613),
        ("consolidated-2026-02-27.xml", 730, 273, 135, 2139, 613),
        ("consolidated-2026-05-08.xml", 737, 272, 135, 2170, 603),
    ];

    #[test]
    fn un_all_files_match_provenance() {
        let dir = shared().join("un");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".xml"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = UN.iter().map(|r| r.0).collect();
        assert_eq!(on_disk, listed, "the table must cover every file in {}", dir.display());
        for &(name, ind, ent, tai, ali, ale) in UN {
            let l = un_file(name);
            let s = &l.stats;
            assert_eq!((s.persons, s.organizations, s.records), (ind, ent, ind + ent), "{name}");
            assert_eq!(
                (s.person_alias_entries, s.organization_alias_entries),
                (ali, ale),
                "{name}"
            );
            let tai_n = l.entities.iter().filter(|e| e.reference.starts_with("TAi.")).count();
            assert_eq!(tai_n, tai, "{name}");
            // The file is named after the local date of dateGenerated.
            let date = &name["consolidated-".len()..name.len() - 4];
            assert_eq!(l.published.unwrap().to_string(), date, "{name}");
            assert!(l.published_raw.as_deref().unwrap().starts_with(date));
            for e in &l.entities {
                assert!(!e.names[0].full.is_empty() && !e.source_id.is_empty(), "{name}");
                assert!(e.names.iter().all(|n| !n.full.is_empty() && n.full.trim() == n.full));
                assert_eq!(e.programs.len(), 1, "{name} {}", e.reference);
            }
        }
    }

    #[test]
    fn un_2026_05_08_spot_checks() {
        let l = un_file("consolidated-2026-05-08.xml");
        let e = by_ref(&l, "TAi.026");
        assert_eq!(e.source_id, "111042");
        assert_eq!(e.names[0].full, "AMIR KHAN MOTAQI");
        assert_eq!(e.names[1].full, "امیر خان متقی");
        assert_eq!(e.names[1].script, Some(Script::Arabic));
        assert_eq!(names(e, NameQuality::Strong)[1..], ["Amir Khan Muttaqi", "AMIR KHAN MUTAQI"]);
        assert_eq!(
            e.birth_dates,
            [
                BirthDate::Approximately { date: y(1968) },
                BirthDate::Exact { date: "1970-12-25".parse().unwrap() },
                BirthDate::Exact { date: y(1971) },
            ]
        );
        assert_eq!(e.titles, ["Mullah"]);
        assert_eq!(e.programs, ["Taliban"]);
        assert_eq!(e.amended_on.len(), 5);
        assert_eq!(e.identifiers.len(), 2);
        assert_eq!(e.identifiers[0].number, "D0009716");
        assert_eq!(e.birth_places.len(), 2);

        let e = by_ref(&l, "TAi.153");
        assert_eq!(e.names[0].full, "FAIZULLAH KHAN NOORZAI");
        assert_eq!(e.extra["FOURTH_NAME"], ["na"]);
        assert!(e.birth_dates.contains(&BirthDate::Between { from: y(1968), to: y(1970) }));
        assert_eq!(e.birth_dates.len(), 4);

        // "Some name fields are padded with whitespace (27 in 2026-05-08)": none survive.
        let first = &l.entities[0];
        assert_eq!(first.names[0].full, "GEDO HAMDAN AHMED");
        // Splitting of "; "-joined aliases.
        let e = by_ref(&l, "IRi.039");
        assert!(names(e, NameQuality::Weak).contains(&"Sardar Soleimani"));
        let between = l
            .entities
            .iter()
            .flat_map(|e| &e.birth_dates)
            .filter(|d| matches!(d, BirthDate::Between { .. }))
            .count();
        assert!(between > 10, "{between}");
    }

    #[test]
    fn un_identical_content_pair() {
        let a = un_file("consolidated-2025-12-10.xml");
        let b = un_file("consolidated-2026-01-28.xml");
        assert_ne!(a.published_raw, b.published_raw);
        assert_eq!(a.entities, b.entities);
    }

    /// PROVENANCE.md section 2a: file, records, individual, entity, vessel, aircraft.
    const SDN: &[(&str, usize, usize, usize, usize, usize)] = &[
        ("sdn-2021-08-18.csv", 9083, 4688, 3711, 407, 277),
        ("sdn-2021-08-20.csv", 9086, 4691, 3711, 407, 277),
        ("sdn-2022-02-24.csv", 9123, 4660, 3758, 425, 280),
        ("sdn-2022-02-25.csv", 9214, 4675, 3834, 425, 280),
        ("sdn-2022-03-31.csv", 9847, 5162, 3974, 428, 283),
        ("sdn-2022-12-28.csv", 11430, 5879, 4573, 685, 293),
        ("sdn-2023-06-29.csv", 12631, 6285, 5229, 740, 377),
        ("sdn-2023-12-28.csv", 13821, 6646, 6033, 764, 378),
        ("sdn-2024-05-02.csv", 14973, 6854, 6885, 851, 383),
        ("sdn-2024-05-03.csv", 14965, 6854, 6884, 851, 376),
    ];

    fn read(name: &str) -> Vec<u8> {
        let p = shared().join("ofac").join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn ofac_sdn_files_match_provenance() {
        let mut on_disk: Vec<String> = std::fs::read_dir(shared().join("ofac"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("sdn-") && n.ends_with(".csv"))
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, SDN.iter().map(|r| r.0).collect::<Vec<_>>());
        for &(name, n, ind, ent, ves, air) in SDN {
            let data = read(name);
            let l = parse_ofac_csv(Input::new(name, &data), None, None)
                .unwrap_or_else(|e| panic!("{e}"));
            let s = &l.stats;
            assert_eq!(
                (s.records, s.persons, s.organizations, s.vessels, s.aircraft),
                (n, ind, ent, ves, air),
                "{name}"
            );
            // Every remarks item is either structured or kept verbatim.
            for e in &l.entities {
                if let Some(r) = &e.remarks {
                    assert!(!r.is_empty() && r != "-0-");
                }
            }
        }
    }

    fn watchman(date: &str) -> ParsedList {
        let names = [
            format!("watchman-{date}-sdn.csv"),
            format!("watchman-{date}-alt.csv"),
            format!("watchman-{date}-add.csv"),
        ];
        let [s, a, d] = names.clone().map(|n| read(&n));
        parse_ofac_csv(
            Input::new(&names[0], &s),
            Some(Input::new(&names[1], &a)),
            Some(Input::new(&names[2], &d)),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ofac_watchman_trios() {
        for (date, n, ind, ent, ves, air, aliases, addresses) in [
            ("2019-01-04", 7379, 3845, 2994, 323, 217, 9682, 11696),
            ("2021-07-07", 8976, 4620, 3673, 406, 277, 11910, 13837),
        ] {
            let l = watchman(date);
            let s = &l.stats;
            assert_eq!(
                (s.records, s.persons, s.organizations, s.vessels, s.aircraft),
                (n, ind, ent, ves, air),
                "{date}"
            );
            assert_eq!((s.alias_entries, s.addresses), (aliases, addresses), "{date}");
            let stored: usize = l.entities.iter().map(|e| e.addresses.len()).sum();
            assert_eq!(stored + s.empty_addresses, addresses);
        }
    }

    #[test]
    fn ofac_2021_07_07_spot_checks() {
        let l = watchman("2021-07-07");
        let e = by_ref(&l, "6636");
        assert_eq!(e.names[0].full, "TALIBAN");
        assert_eq!(e.kind, EntityKind::Organization);
        assert!(e.programs.iter().any(|p| p == "SDGT"), "{:?}", e.programs);
        // A person with "DOB circa": Approximately.
        let circa = l
            .entities
            .iter()
            .find(|e| e.remarks.as_deref().is_some_and(|r| r.starts_with("DOB circa ")))
            .expect("someone born circa");
        assert_eq!(circa.kind, EntityKind::Person);
        assert!(
            matches!(circa.birth_dates[0], BirthDate::Approximately { .. }),
            "{:?}",
            circa.birth_dates
        );
        // Most structured remarks parse: DOBs as dates, not text.
        let (mut dates, mut text) = (0, 0);
        for d in l.entities.iter().flat_map(|e| &e.birth_dates) {
            match d {
                BirthDate::Text { .. } => text += 1,
                _ => dates += 1,
            }
        }
        assert!(dates > 5000 && text * 100 < dates, "{dates} dates, {text} text");
    }
}

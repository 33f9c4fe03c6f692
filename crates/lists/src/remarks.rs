//! The grammar OFAC uses in the SDN `Remarks` column.
//!
//! Remarks are items separated by `;` (outside parentheses): `DOB 12 Jun 1961; alt. DOB 1958;
//! POB Kandahar, Afghanistan; nationality Iran; Passport A123 (Pakistan) issued 01 Jan 2001;
//! a.k.a. 'BNC'; Linked To: SOME CO.`. Items the grammar below does not cover are kept
//! verbatim in [`Remarks::unparsed`].

use sanctions_model::{BirthDate, Gender, Identifier, Name, NameQuality};

use crate::text::{detect_script, ofac_date};
use crate::un::split_top;

/// What [`parse_ofac_remarks`] found in one Remarks string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Remarks {
    /// `DOB ...` items, in order.
    pub birth_dates: Vec<BirthDate>,
    /// `POB ...` items, verbatim.
    pub birth_places: Vec<String>,
    /// `nationality ...` items.
    pub nationalities: Vec<String>,
    /// `citizen ...` items.
    pub citizenships: Vec<String>,
    /// `Gender Male` / `Gender Female`.
    pub gender: Option<Gender>,
    /// Documents, registration numbers, IMO, SWIFT/BIC, e-mail, website, phone, digital
    /// currency addresses...
    pub identifiers: Vec<Identifier>,
    /// `a.k.a. 'X'` (weak, [`NameQuality::Weak`]) and `f.k.a. 'X'` ([`NameQuality::Former`]).
    pub names: Vec<Name>,
    /// `Linked To: NAME` items (the name).
    pub linked_to: Vec<String>,
    /// Every item not understood above, verbatim (e.g. `Additional Sanctions Information - ...`).
    pub unparsed: Vec<String>,
}

/// Identifier kinds OFAC writes in remarks, verbatim. Matched longest first.
const KINDS: &[&str] = &[
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Tail Number",
    "Alien Registration",
    "Birth Certificate Number",
    "BIK (RU)",
    "Business Number",
    "Business Registration Document #",
    "Business Registration Number",
    "C.R. No.",
    "C.U.I.T.",
    "C.U.R.P.",
    "Cartilla de Servicio Militar Nacional",
    "Cedula No.",
    "Certificate of Incorporation Number",
    "Chamber of Commerce Number",
    "Citizen's Card Number",
    "Commercial Registry Number",
    "Company Number IMO",
    "Company Number",
    "Credencial electoral",
    "D-U-N-S Number",
    "D.N.I.",
    "Diplomatic Passport",
    "Driver's License No.",
    "Economic Register Number (CBLS)",
    "Electoral Registry No.",
    "Email Address",
    "Fax",
    "Folio Mercantil No.",
    "Government Gazette Number",
    "Identification Number IMO",
    "Identification Number",
    "Kenyan ID No.",
    "Legal Entity Number",
    "License",
    "LE Number",
    "Matricula Mercantil No",
    "MMSI",
    "N.I.E.",
    "National Foreign ID Number",
    "National ID No.",
    "NIT #",
    "Passport",
    "Personal ID Card",
    "Phone Number",
    "Public Registration Number",
    "R.F.C.",
    "RIF #",
    "RTN",
    "RUC #",
    "Registration ID",
    "Registration Number",
    "Residency Number",
    "SSN",
    "SWIFT/BIC",
    "Social Security Number",
    "Stateless Person ID Card",
    "Stateless Person Passport",
    "Tax ID No.",
    "Telephone",
    "Trade License No.",
    "Travel Document Number",
    "UAE Identification",
    "Unified Social Credit Code (USCC)",
    "US FEIN",
    "V.A.T. Number",
    "Vessel Registration Identification IMO",
    "Website",
];

/// Last words after which a `<words> <number>` item is taken for an identifier even if its
/// kind is not in the list above.
const ID_WORDS: &[&str] = &["No.", "No", "Number", "#", "ID"];

/// Parses an OFAC SDN Remarks string into its structured parts. Never fails: what it does not
/// understand lands in [`Remarks::unparsed`].
///
/// # Examples
///
/// ```
/// use sanctions_model::BirthDate;
/// let r = sanctions_lists::parse_ofac_remarks(
///     "DOB circa 1961; POB Kandahar, Afghanistan; a.k.a. 'ABU X'; Gender Male.",
/// );
/// assert!(matches!(r.birth_dates[0], BirthDate::Approximately { .. }));
/// assert_eq!(r.birth_places, ["Kandahar, Afghanistan"]);
/// assert_eq!(r.names[0].full, "ABU X");
/// ```
pub fn parse_ofac_remarks(remarks: &str) -> Remarks {
    let mut r = Remarks::default();
    let mut items: Vec<&str> =
        split_top(remarks, ';').into_iter().map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(last) = items.last_mut() {
        *last = strip_final_dot(last);
    }
    for item in items {
        if !parse_item(item, &mut r) {
            r.unparsed.push(item.to_string());
        }
    }
    r
}

/// Drops the full stop that ends the whole Remarks, unless it ends an abbreviation with inner
/// dots (`S.A.`, `S.A.S.`).
fn strip_final_dot(s: &str) -> &str {
    let Some(body) = s.strip_suffix('.') else { return s };
    let last_word = body.rsplit([' ', '\'', '"']).next().unwrap_or("");
    if last_word.contains('.') { s } else { body }
}

fn parse_item(item: &str, r: &mut Remarks) -> bool {
    let body = item.strip_prefix("alt. ").unwrap_or(item).trim();
    if let Some(rest) = body.strip_prefix("DOB ") {
        r.birth_dates.push(parse_dob(rest.trim()));
        return true;
    }
    if let Some(rest) = body.strip_prefix("POB ") {
        r.birth_places.push(rest.trim().to_string());
        return true;
    }
    if let Some(rest) =
        body.strip_prefix("nationality ").or_else(|| body.strip_prefix("Nationality "))
    {
        r.nationalities.push(rest.trim().to_string());
        return true;
    }
    if let Some(rest) = body.strip_prefix("citizen ").or_else(|| body.strip_prefix("Citizen ")) {
        r.citizenships.push(rest.trim().to_string());
        return true;
    }
    if let Some(rest) = body.strip_prefix("Gender ") {
        let g = match rest.trim() {
            "Male" => Gender::Male,
            "Female" => Gender::Female,
            _ => return false,
        };
        if r.gender.is_some_and(|x| x != g) {
            return false;
        }
        r.gender = Some(g);
        return true;
    }
    for (prefix, quality) in [
        ("a.k.a. ", NameQuality::Weak),
        ("n.k.a. ", NameQuality::Weak),
        ("f.k.a. ", NameQuality::Former),
    ] {
        if let Some(rest) = body.strip_prefix(prefix) {
            return parse_names(rest, quality, &prefix[..6], r);
        }
    }
    if let Some(rest) = body.strip_prefix("Linked To: ") {
        let rest = rest.trim();
        if rest.is_empty() {
            return false;
        }
        r.linked_to.push(rest.to_string());
        return true;
    }
    if let Some(id) = parse_identifier(body) {
        r.identifiers.push(id);
        return true;
    }
    false
}

fn parse_dob(s: &str) -> BirthDate {
    let text = || BirthDate::Text { text: s.to_string() };
    let s2 = s.strip_suffix('.').unwrap_or(s);
    if let Some(rest) = s2.strip_prefix("circa ") {
        let rest = rest.trim();
        if let Some(date) = ofac_date(rest) {
            return BirthDate::Approximately { date };
        }
        if let Some((a, b)) = rest.split_once('-').or_else(|| rest.split_once(" to ")) {
            if let (Some(from), Some(to)) = (ofac_date(a), ofac_date(b)) {
                return BirthDate::Between { from, to };
            }
        }
        return text();
    }
    if let Some((a, b)) = s2.split_once(" to ") {
        return match (ofac_date(a), ofac_date(b)) {
            (Some(from), Some(to)) => BirthDate::Between { from, to },
            _ => text(),
        };
    }
    match ofac_date(s2) {
        Some(date) => BirthDate::Exact { date },
        None => text(),
    }
}

fn parse_names(rest: &str, quality: NameQuality, label: &str, r: &mut Remarks) -> bool {
    let rest = rest.trim();
    let mut found = Vec::new();
    for piece in split_quoted_list(rest) {
        let mut p = piece.trim();
        if p.ends_with("'.") || p.ends_with("\".") {
            p = &p[..p.len() - 1];
        }
        let p = p.strip_prefix(['\'', '"']).unwrap_or(p);
        let p = p.strip_suffix(['\'', '"']).unwrap_or(p).trim();
        if p.is_empty() {
            return false;
        }
        found.push(p);
    }
    if found.is_empty() {
        return false;
    }
    for full in found {
        r.names.push(Name {
            full: full.to_string(),
            parts: Vec::new(),
            quality,
            script: detect_script(full),
            source_quality: Some(label.to_string()),
            note: None,
        });
    }
    true
}

/// `'A', 'B'` → [`'A'`, `'B'`]; a single quoted name (which may hold commas and
/// apostrophes: `'AL-HAQ, Haj 'Abd'`) stays whole.
fn split_quoted_list(s: &str) -> Vec<&str> {
    for sep in ["', '", "\", \""] {
        if s.contains(sep) {
            let mut out = Vec::new();
            let mut start = 0;
            for (i, _) in s.match_indices(sep) {
                out.push(&s[start..i + 1]);
                start = i + 3;
            }
            out.push(&s[start..]);
            return out;
        }
    }
    vec![s]
}

fn parse_identifier(body: &str) -> Option<Identifier> {
    let (kind, rest) = if let Some(rest) = body.strip_prefix("Digital Currency Address - ") {
        let code_len = rest.find(' ')?;
        let kind_len = "Digital Currency Address - ".len() + code_len;
        (&body[..kind_len], &body[kind_len..])
    } else if let Some(k) = KINDS
        .iter()
        .filter(|k| {
            body.starts_with(**k) && matches!(body.as_bytes().get(k.len()), Some(b' ' | b':'))
        })
        .max_by_key(|k| k.len())
    {
        (*k, &body[k.len()..])
    } else {
        // `<Some Words> No. 12345 (Country)`: words, then a token with a digit.
        let mut end = None;
        for (i, w) in body.match_indices(' ') {
            let _ = w;
            let next = body[i + 1..].split(' ').next().unwrap_or("");
            if next.bytes().any(|b| b.is_ascii_digit()) {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        let kind = body[..end].trim_end_matches(':');
        let last = kind.rsplit(' ').next().unwrap_or("");
        if !ID_WORDS.contains(&last) || kind.len() > 60 {
            return None;
        }
        (kind, &body[end..])
    };
    let rest = rest.trim_start_matches(':').trim();
    let (head, expires) = match rest.split_once(" expires ") {
        Some((h, e)) => (h, Some(e.trim().to_string())),
        None => (rest, None),
    };
    let (head, issued) = match head.split_once(" issued ") {
        Some((h, i)) => (h, Some(i.trim().to_string())),
        None => (head, None),
    };
    let head = head.trim();
    let (number, country) = match head.strip_suffix(')').and_then(|h| h.rfind('(').map(|i| (h, i)))
    {
        Some((h, i)) if i > 0 => (h[..i].trim(), Some(h[i + 1..].trim().to_string())),
        _ => (head, None),
    };
    if number.is_empty() {
        return None;
    }
    Some(Identifier {
        kind: kind.trim().to_string(),
        number: number.to_string(),
        country,
        issued,
        expires,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let r = parse_ofac_remarks(
            "Passport A123 (Pakistan) issued 01 Jan 2001 expires 31 Dec 2005; alt. Passport C 1415363 - 16/2/1421H issued 21 May 2000; Aircraft Construction Number (also called L/N or S/N or F/N) 8401; Digital Currency Address - XBT 12QtD5; Vessel Registration Identification IMO 7406784; Kenyan Alien Reg No. 12 (Kenya); Executive Order 13662 Directive Determination - Subject to Directive 1; Telephone: 0097282851500.",
        );
        let ids: Vec<_> = r
            .identifiers
            .iter()
            .map(|i| (i.kind.as_str(), i.number.as_str(), i.country.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                ("Passport", "A123", Some("Pakistan")),
                ("Passport", "C 1415363 - 16/2/1421H", None),
                ("Aircraft Construction Number (also called L/N or S/N or F/N)", "8401", None),
                ("Digital Currency Address - XBT", "12QtD5", None),
                ("Vessel Registration Identification IMO", "7406784", None),
                ("Kenyan Alien Reg No.", "12", Some("Kenya")),
                ("Telephone", "0097282851500", None),
            ]
        );
        assert_eq!(r.identifiers[0].issued.as_deref(), Some("01 Jan 2001"));
        assert_eq!(r.identifiers[0].expires.as_deref(), Some("31 Dec 2005"));
        assert_eq!(
            r.unparsed,
            ["Executive Order 13662 Directive Determination - Subject to Directive 1"]
        );
    }

    #[test]
    fn final_dot() {
        assert_eq!(strip_final_dot("Linked To: X S.A."), "Linked To: X S.A.");
        assert_eq!(strip_final_dot("Gender Male."), "Gender Male");
        assert_eq!(strip_final_dot("a.k.a. 'BNC'."), "a.k.a. 'BNC'");
    }
}

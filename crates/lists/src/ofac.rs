//! OFAC SDN list, legacy CSV trio: `sdn.csv`, `alt.csv`, `add.csv` (no header rows).

use std::borrow::Cow;
use std::collections::HashMap;

use sanctions_model::{
    Address, Entity, EntityKind, Name, NamePart, NamePartKind, NameQuality, Source,
};

use crate::remarks::parse_ofac_remarks;
use crate::text::detect_script;
use crate::{Error, MAX_FIELD, ParseStats, ParsedList, Result};

/// One input file: its name (for error messages) and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// File name, used in errors.
    pub name: &'a str,
    /// The file's bytes.
    pub data: &'a [u8],
}

impl<'a> Input<'a> {
    /// An input from a name and bytes.
    pub fn new(name: &'a str, data: &'a [u8]) -> Input<'a> {
        Input { name, data }
    }
}

/// A minimal, strict CSV reader for OFAC's dialect: comma separated, `"` quoting with `""`
/// escapes, CRLF or LF, and a trailing 0x1A (Ctrl-Z) end-of-file byte.
struct Csv<'a> {
    file: &'a str,
    s: &'a str,
    pos: usize,
    line: u64,
}

impl<'a> Csv<'a> {
    fn new(input: Input<'a>) -> Result<Csv<'a>> {
        let mut data = input.data;
        while let [rest @ .., 0x1A] = data {
            data = rest;
        }
        let s = std::str::from_utf8(data).map_err(|e| Error::Utf8 {
            file: input.name.to_string(),
            line: 1 + data[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64,
        })?;
        let s = s.strip_prefix('\u{feff}').unwrap_or(s);
        Ok(Csv { file: input.name, s, pos: 0, line: 1 })
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::Csv { file: self.file.to_string(), line: self.line, message: message.into() }
    }

    /// The next row into `fields`; returns its first line, or `None` at the end.
    fn next_row(&mut self, fields: &mut Vec<Cow<'a, str>>) -> Result<Option<u64>> {
        fields.clear();
        let b = self.s.as_bytes();
        // Blank lines are allowed only at the very end of the file.
        let rest = &self.s[self.pos..];
        if rest.trim().is_empty() {
            return Ok(None);
        }
        if rest.starts_with('\n') || rest.starts_with("\r\n") {
            return Err(self.err("blank line before the end of the file"));
        }
        let start_line = self.line;
        loop {
            let field_start = self.pos;
            let field: Cow<'a, str> = if b.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                let content_start = self.pos;
                let mut escaped = false;
                loop {
                    match b.get(self.pos) {
                        None => return Err(self.err("unterminated quoted field")),
                        Some(b'"') if b.get(self.pos + 1) == Some(&b'"') => {
                            escaped = true;
                            self.pos += 2;
                        }
                        Some(b'"') => break,
                        Some(c) => {
                            if *c == b'\n' {
                                self.line += 1;
                            }
                            self.pos += 1;
                        }
                    }
                }
                let content = &self.s[content_start..self.pos];
                self.pos += 1;
                while matches!(b.get(self.pos), Some(b' ' | b'\t')) {
                    self.pos += 1;
                }
                if !matches!(b.get(self.pos), None | Some(b',' | b'\r' | b'\n')) {
                    return Err(self.err("text after a closing quote"));
                }
                if escaped {
                    Cow::Owned(content.replace("\"\"", "\""))
                } else {
                    Cow::Borrowed(content)
                }
            } else {
                while !matches!(b.get(self.pos), None | Some(b',' | b'\r' | b'\n')) {
                    self.pos += 1;
                }
                let content = &self.s[field_start..self.pos];
                if content.contains('"') {
                    return Err(self.err("quote character inside an unquoted field"));
                }
                Cow::Borrowed(content)
            };
            if self.pos - field_start > MAX_FIELD {
                return Err(Error::Limit {
                    file: self.file.to_string(),
                    line: self.line,
                    what: "field size in bytes",
                    limit: MAX_FIELD,
                });
            }
            fields.push(field);
            match b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') => {
                    if b.get(self.pos + 1) != Some(&b'\n') {
                        return Err(self.err("carriage return without line feed"));
                    }
                    self.pos += 2;
                    self.line += 1;
                    return Ok(Some(start_line));
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(Some(start_line));
                }
                None => return Ok(Some(start_line)),
                Some(_) => unreachable!("fields end at a separator"),
            }
        }
    }
}

/// OFAC's empty marker `-0-` (with any padding) and blanks → `None`.
fn val(f: &str) -> Option<&str> {
    let t = f.trim();
    if t.is_empty() || t == "-0-" { None } else { Some(t) }
}

fn check_cols(file: &str, line: u64, fields: &[Cow<'_, str>], expected: usize) -> Result<()> {
    if fields.len() != expected {
        return Err(Error::ColumnCount {
            file: file.to_string(),
            line,
            expected,
            found: fields.len(),
        });
    }
    Ok(())
}

fn ent_num(file: &str, line: u64, f: &str) -> Result<u64> {
    let t = f.trim();
    if t.is_empty() || t.len() > 18 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadEntNum { file: file.to_string(), line, value: t.to_string() });
    }
    Ok(t.parse().expect("checked digits"))
}

/// "FAMILY, Given" → parts, for persons.
fn person_parts(full: &str) -> Vec<NamePart> {
    match full.split_once(", ") {
        Some((family, given)) if !family.trim().is_empty() && !given.trim().is_empty() => vec![
            NamePart { kind: NamePartKind::Family, value: family.trim().to_string() },
            NamePart { kind: NamePartKind::Given, value: given.trim().to_string() },
        ],
        _ => Vec::new(),
    }
}

/// Parses the OFAC SDN legacy CSV files: `sdn.csv` and, optionally, its `alt.csv` (aliases)
/// and `add.csv` (addresses).
///
/// Strict: invalid UTF-8, a row with the wrong column count, a non-numeric or duplicate
/// ent_num, an unknown SDN_Type or alt_type, or an alt/add row whose ent_num is not in `sdn`
/// fails the whole parse. `published` is `None`: the CSV has no date; the caller supplies it.
///
/// # Examples
///
/// ```
/// use sanctions_lists::{parse_ofac_csv, Input};
/// let sdn = b"6636,\"TALIBAN\",-0- ,\"SDGT] [TALIBAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a";
/// let list = parse_ofac_csv(Input::new("sdn.csv", sdn), None, None).unwrap();
/// assert_eq!(list.entities[0].programs, ["SDGT", "TALIBAN"]);
/// ```
pub fn parse_ofac_csv(
    sdn: Input<'_>,
    alt: Option<Input<'_>>,
    add: Option<Input<'_>>,
) -> Result<ParsedList> {
    let mut stats = ParseStats::default();
    let mut entities: Vec<Entity> = Vec::new();
    let mut weak: Vec<Vec<Name>> = Vec::new();
    let mut index: HashMap<u64, (usize, u64)> = HashMap::new();
    let mut fields = Vec::with_capacity(12);

    let mut csv = Csv::new(sdn)?;
    while let Some(line) = csv.next_row(&mut fields)? {
        let file = sdn.name;
        check_cols(file, line, &fields, 12)?;
        let num = ent_num(file, line, &fields[0])?;
        let record_err = |message: String| Error::Record {
            file: file.to_string(),
            line,
            record: format!("ent_num {num}"),
            message,
        };
        let kind = match val(&fields[2]) {
            None => EntityKind::Organization,
            Some("individual") => EntityKind::Person,
            Some("vessel") => EntityKind::Vessel,
            Some("aircraft") => EntityKind::Aircraft,
            Some(other) => return Err(record_err(format!("unknown SDN_Type {other:?}"))),
        };
        let Some(name) = val(&fields[1]) else {
            return Err(record_err("empty SDN_Name".into()));
        };
        if let Some(&(_, first_line)) = index.get(&num) {
            return Err(Error::Duplicate {
                file: file.to_string(),
                line,
                id: format!("ent_num {num}"),
                first_line,
            });
        }
        let id = num.to_string();
        let mut e = Entity::new(Source::Ofac, id.clone(), id, kind);
        e.names.push(Name {
            full: name.to_string(),
            parts: if kind == EntityKind::Person { person_parts(name) } else { Vec::new() },
            quality: NameQuality::Primary,
            script: detect_script(name),
            source_quality: None,
            note: None,
        });
        if let Some(p) = val(&fields[3]) {
            for prog in p.split("] [") {
                let prog = prog.trim().trim_start_matches('[').trim_end_matches(']').trim();
                if !prog.is_empty() {
                    e.programs.push(prog.to_string());
                }
            }
        }
        if let Some(t) = val(&fields[4]) {
            e.titles.push(t.to_string());
        }
        const VESSEL: [&str; 6] =
            ["Call_Sign", "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner"];
        for (i, key) in VESSEL.iter().enumerate() {
            if let Some(v) = val(&fields[5 + i]) {
                e.push_extra(*key, v);
            }
        }
        let mut pending = Vec::new();
        if let Some(rem) = val(&fields[11]) {
            e.remarks = Some(rem.to_string());
            let r = parse_ofac_remarks(rem);
            e.birth_dates = r.birth_dates;
            e.birth_places = r
                .birth_places
                .into_iter()
                .map(|p| Address { note: Some(p), ..Address::default() })
                .collect();
            e.nationalities = r.nationalities;
            e.citizenships = r.citizenships;
            e.gender = r.gender;
            e.identifiers = r.identifiers;
            pending = r.names;
            for l in r.linked_to {
                e.push_extra("linked_to", l);
            }
            for u in r.unparsed {
                e.push_extra("remarks_unparsed", u);
            }
        }
        index.insert(num, (entities.len(), line));
        stats.records += 1;
        match kind {
            EntityKind::Person => stats.persons += 1,
            EntityKind::Organization => stats.organizations += 1,
            EntityKind::Vessel => stats.vessels += 1,
            EntityKind::Aircraft => stats.aircraft += 1,
            EntityKind::Unknown => {}
        }
        entities.push(e);
        weak.push(pending);
    }
    if entities.is_empty() {
        return Err(Error::Empty { file: sdn.name.to_string(), line: csv.line });
    }

    let lookup = |file: &str, line: u64, f: &str| -> Result<usize> {
        let num = ent_num(file, line, f)?;
        match index.get(&num) {
            Some(&(i, _)) => Ok(i),
            None => Err(Error::UnknownEntNum {
                file: file.to_string(),
                line,
                ent_num: num,
                sdn_file: sdn.name.to_string(),
            }),
        }
    };

    if let Some(alt) = alt {
        let mut csv = Csv::new(alt)?;
        while let Some(line) = csv.next_row(&mut fields)? {
            let file = alt.name;
            check_cols(file, line, &fields, 5)?;
            let i = lookup(file, line, &fields[0])?;
            let alt_type = fields[2].trim();
            let quality = match alt_type.to_ascii_lowercase().as_str() {
                "aka" | "nka" => NameQuality::Strong,
                "fka" => NameQuality::Former,
                _ => {
                    return Err(Error::Record {
                        file: file.to_string(),
                        line,
                        record: format!("ent_num {}", fields[0].trim()),
                        message: format!("unknown alt_type {alt_type:?} (expected aka, fka, nka)"),
                    });
                }
            };
            let Some(name) = val(&fields[3]) else {
                return Err(Error::Record {
                    file: file.to_string(),
                    line,
                    record: format!("ent_num {}", fields[0].trim()),
                    message: "empty alt_name".into(),
                });
            };
            let e = &mut entities[i];
            e.names.push(Name {
                full: name.to_string(),
                parts: if e.kind == EntityKind::Person { person_parts(name) } else { Vec::new() },
                quality,
                script: detect_script(name),
                source_quality: Some(alt_type.to_string()),
                note: val(&fields[4]).map(String::from),
            });
            stats.alias_entries += 1;
            match e.kind {
                EntityKind::Person => stats.person_alias_entries += 1,
                _ => stats.organization_alias_entries += 1,
            }
        }
    }
    for (e, w) in entities.iter_mut().zip(weak) {
        e.names.extend(w);
    }

    if let Some(add) = add {
        let mut csv = Csv::new(add)?;
        while let Some(line) = csv.next_row(&mut fields)? {
            let file = add.name;
            check_cols(file, line, &fields, 6)?;
            let i = lookup(file, line, &fields[0])?;
            let a = Address {
                street: val(&fields[2]).map(String::from),
                // OFAC's one combined "City, State/Province, Postal Code" column.
                city: val(&fields[3]).map(String::from),
                state: None,
                postal_code: None,
                country: val(&fields[4]).map(String::from),
                note: val(&fields[5]).map(String::from),
            };
            stats.addresses += 1;
            if a != Address::default() {
                entities[i].addresses.push(a);
            } else {
                stats.empty_addresses += 1;
            }
        }
    }

    Ok(ParsedList { source: Source::Ofac, published: None, published_raw: None, entities, stats })
}

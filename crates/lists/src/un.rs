//! UN Security Council Consolidated List, official XML (root `CONSOLIDATED_LIST`).
//!
//! Streaming: one pass of quick-xml events; each `INDIVIDUAL` / `ENTITY` is mapped to an
//! [`Entity`] as soon as it ends. Anything the model has no field for goes to
//! [`Entity::extra`] under its element path inside the record (`VERSIONNUM`,
//! `INDIVIDUAL_ALIAS/DATE_OF_BIRTH`, ...).

use std::collections::HashMap;
use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use sanctions_model::{
    Address, BirthDate, Entity, EntityKind, Gender, Identifier, Name, NamePart, NamePartKind,
    NameQuality, PartialDate, Source,
};

use crate::text::{clean, detect_script, iso_date};
use crate::{Error, MAX_DEPTH, MAX_FIELD, ParseStats, ParsedList, Result};

/// A `BufRead` adapter that counts lines as the XML reader consumes bytes, and refuses to
/// hand out more than a bounded number of bytes for a single event.
struct Counted<R> {
    inner: R,
    line: u64,
    since_mark: usize,
    tripped: bool,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let buf = self.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // A single XML event (tag or text run) larger than any real field: stop before the
        // reader buffers it all.
        if self.since_mark > MAX_FIELD + 64 * 1024 {
            self.tripped = true;
            return Err(io::Error::other("event too large"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.line += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.since_mark += amt;
        self.inner.consume(amt);
    }
}

/// Which part of a record an element at depth 4 opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Alias,
    Dob,
    Pob,
    Address,
    Document,
    Title,
    Designation,
    Nationality,
    LastDayUpdated,
    Other,
}

#[derive(Default)]
struct AliasB {
    quality: String,
    name: String,
    note: String,
}

#[derive(Default)]
struct DobB {
    type_of_date: String,
    date: String,
    year: String,
    from: String,
    to: String,
    note: String,
}

#[derive(Default)]
struct DocB {
    kind: String,
    kind2: String,
    number: String,
    issuing_country: String,
    country_of_issue: String,
    issued: String,
    city_of_issue: String,
    note: String,
    expires: String,
}

/// One record being read.
struct Rec {
    kind: EntityKind,
    tag: &'static str,
    dataid: Option<String>,
    reference: Option<String>,
    parts: [String; 4],
    original_script: Vec<String>,
    e: Entity,
    aliases: Vec<Name>,
    alias: AliasB,
    dob: DobB,
    place: Address,
    doc: DocB,
    field: Field,
}

fn set(slot: &mut String, v: &str) {
    slot.clear();
    slot.push_str(v);
}

fn opt(s: &str) -> Option<String> {
    if s.is_empty() { None } else { Some(s.to_string()) }
}

impl Rec {
    fn new(kind: EntityKind, tag: &'static str) -> Rec {
        Rec {
            kind,
            tag,
            dataid: None,
            reference: None,
            parts: Default::default(),
            original_script: Vec::new(),
            e: Entity::new(Source::Un, "", "", kind),
            aliases: Vec::new(),
            alias: AliasB::default(),
            dob: DobB::default(),
            place: Address::default(),
            doc: DocB::default(),
            field: Field::Other,
        }
    }

    fn id(&self) -> String {
        match (&self.reference, &self.dataid) {
            (Some(r), _) => r.clone(),
            (None, Some(d)) => format!("DATAID {d}"),
            (None, None) => "(no id yet)".into(),
        }
    }

    /// A depth-4 element opens.
    fn open(&mut self, name: &str) {
        self.field = match name {
            "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => {
                self.alias = AliasB::default();
                Field::Alias
            }
            "INDIVIDUAL_DATE_OF_BIRTH" => {
                self.dob = DobB::default();
                Field::Dob
            }
            "INDIVIDUAL_PLACE_OF_BIRTH" => {
                self.place = Address::default();
                Field::Pob
            }
            "INDIVIDUAL_ADDRESS" | "ENTITY_ADDRESS" => {
                self.place = Address::default();
                Field::Address
            }
            "INDIVIDUAL_DOCUMENT" => {
                self.doc = DocB::default();
                Field::Document
            }
            "TITLE" => Field::Title,
            "DESIGNATION" => Field::Designation,
            "NATIONALITY" => Field::Nationality,
            "LAST_DAY_UPDATED" => Field::LastDayUpdated,
            _ => Field::Other,
        };
    }

    /// A leaf directly inside the record (depth 4) ends with `v` (cleaned, maybe empty).
    fn leaf4(&mut self, name: &str, v: &str) {
        if v.is_empty() {
            return;
        }
        let e = &mut self.e;
        match name {
            "DATAID" if self.dataid.is_none() => self.dataid = Some(v.to_string()),
            "REFERENCE_NUMBER" if self.reference.is_none() => self.reference = Some(v.to_string()),
            "FIRST_NAME" | "SECOND_NAME" | "THIRD_NAME" | "FOURTH_NAME" => {
                let i = match name {
                    "FIRST_NAME" => 0,
                    "SECOND_NAME" => 1,
                    "THIRD_NAME" => 2,
                    _ => 3,
                };
                if v == "na" || !self.parts[i].is_empty() {
                    // The "na" placeholder (TAi.153) is not a name; keep it verbatim.
                    e.push_extra(name, v);
                } else {
                    self.parts[i] = v.to_string();
                }
            }
            "UN_LIST_TYPE" => e.programs.push(v.to_string()),
            "LISTED_ON" if e.listed_on.is_none() => match iso_date(v) {
                Some(d) => e.listed_on = Some(d),
                None => e.push_extra(name, v),
            },
            "NAME_ORIGINAL_SCRIPT" => {
                self.original_script.push(v.to_string());
                e.push_extra(name, v);
            }
            "COMMENTS1" if e.remarks.is_none() => e.remarks = Some(v.to_string()),
            "GENDER" => {
                let g = if v.eq_ignore_ascii_case("male") {
                    Some(Gender::Male)
                } else if v.eq_ignore_ascii_case("female") {
                    Some(Gender::Female)
                } else {
                    None
                };
                match g {
                    Some(g) if e.gender.is_none() || e.gender == Some(g) => {
                        e.gender = Some(g);
                        if v != "Male" && v != "Female" {
                            e.push_extra(name, v);
                        }
                    }
                    _ => e.push_extra(name, v),
                }
            }
            _ => e.push_extra(name, v),
        }
    }

    /// A leaf inside a depth-4 element ends (`path` is `PARENT/LEAF`).
    fn leaf5(&mut self, path: &str, leaf: &str, v: &str) {
        if v.is_empty() {
            return;
        }
        let e = &mut self.e;
        match (self.field, leaf) {
            (Field::Title, "VALUE") => e.titles.push(v.to_string()),
            (Field::Designation, "VALUE") => e.designations.push(v.to_string()),
            (Field::Nationality, "VALUE") => e.nationalities.push(v.to_string()),
            (Field::LastDayUpdated, "VALUE") => match iso_date(v) {
                Some(d) => e.amended_on.push(d),
                None => e.push_extra(path, v),
            },
            (Field::Alias, "QUALITY") if self.alias.quality.is_empty() => {
                set(&mut self.alias.quality, v)
            }
            (Field::Alias, "ALIAS_NAME") if self.alias.name.is_empty() => {
                set(&mut self.alias.name, v)
            }
            (Field::Alias, "NOTE") if self.alias.note.is_empty() => set(&mut self.alias.note, v),
            (Field::Dob, "TYPE_OF_DATE") if self.dob.type_of_date.is_empty() => {
                set(&mut self.dob.type_of_date, v)
            }
            (Field::Dob, "DATE") if self.dob.date.is_empty() => set(&mut self.dob.date, v),
            (Field::Dob, "YEAR") if self.dob.year.is_empty() => set(&mut self.dob.year, v),
            (Field::Dob, "FROM_YEAR") if self.dob.from.is_empty() => set(&mut self.dob.from, v),
            (Field::Dob, "TO_YEAR") if self.dob.to.is_empty() => set(&mut self.dob.to, v),
            (Field::Dob, "NOTE") if self.dob.note.is_empty() => {
                set(&mut self.dob.note, v);
                e.push_extra(path, v);
            }
            (Field::Pob | Field::Address, _) => {
                let p = &mut self.place;
                let slot = match leaf {
                    "STREET" => &mut p.street,
                    "CITY" => &mut p.city,
                    "STATE_PROVINCE" => &mut p.state,
                    "ZIP_CODE" => &mut p.postal_code,
                    "COUNTRY" => &mut p.country,
                    "NOTE" => &mut p.note,
                    _ => {
                        e.push_extra(path, v);
                        return;
                    }
                };
                if slot.is_none() {
                    *slot = Some(v.to_string());
                } else {
                    e.push_extra(path, v);
                }
            }
            (Field::Document, _) => {
                let d = &mut self.doc;
                let slot = match leaf {
                    "TYPE_OF_DOCUMENT" => &mut d.kind,
                    "TYPE_OF_DOCUMENT2" => &mut d.kind2,
                    "NUMBER" => &mut d.number,
                    "ISSUING_COUNTRY" => &mut d.issuing_country,
                    "COUNTRY_OF_ISSUE" => &mut d.country_of_issue,
                    "DATE_OF_ISSUE" => &mut d.issued,
                    "CITY_OF_ISSUE" => &mut d.city_of_issue,
                    "NOTE" => &mut d.note,
                    "DATE_OF_EXPIRY" => &mut d.expires,
                    _ => {
                        e.push_extra(path, v);
                        return;
                    }
                };
                if slot.is_empty() {
                    set(slot, v);
                } else {
                    e.push_extra(path, v);
                }
            }
            _ => e.push_extra(path, v),
        }
    }

    /// The depth-4 element opened by [`Rec::open`] ends.
    fn close4(&mut self, stats: &mut ParseStats) {
        match self.field {
            Field::Alias => self.finish_alias(stats),
            Field::Dob => self.finish_dob(),
            Field::Pob => {
                let p = std::mem::take(&mut self.place);
                if p != Address::default() {
                    self.e.birth_places.push(p);
                }
            }
            Field::Address => {
                let p = std::mem::take(&mut self.place);
                if p != Address::default() {
                    self.e.addresses.push(p);
                    stats.addresses += 1;
                }
            }
            Field::Document => self.finish_doc(),
            _ => {}
        }
        self.field = Field::Other;
    }

    fn finish_alias(&mut self, stats: &mut ParseStats) {
        let a = std::mem::take(&mut self.alias);
        if a.name.is_empty() {
            // An empty alias element; its QUALITY / NOTE (if any) would describe nothing,
            // but keep them so nothing the list says is lost.
            if !a.quality.is_empty() {
                self.e.push_extra(format!("{}_ALIAS/QUALITY", self.tag), a.quality);
            }
            if !a.note.is_empty() {
                self.e.push_extra(format!("{}_ALIAS/NOTE", self.tag), a.note);
            }
            return;
        }
        stats.alias_entries += 1;
        match self.kind {
            EntityKind::Person => stats.person_alias_entries += 1,
            _ => stats.organization_alias_entries += 1,
        }
        let quality = match a.quality.to_ascii_lowercase().as_str() {
            "low" => NameQuality::Weak,
            "f.k.a." | "fka" => NameQuality::Former,
            // "Good", "a.k.a.", empty and anything unknown (kept verbatim below).
            _ => NameQuality::Strong,
        };
        let names = split_alias(&a.name);
        if names.len() > 1 || names.first().is_some_and(|n| *n != a.name) {
            self.e.push_extra(format!("{}_ALIAS/ALIAS_NAME", self.tag), a.name.clone());
        }
        for full in names {
            self.aliases.push(Name {
                script: detect_script(&full),
                full,
                parts: Vec::new(),
                quality,
                source_quality: opt(&a.quality),
                note: opt(&a.note),
            });
        }
    }

    fn finish_dob(&mut self) {
        let d = std::mem::take(&mut self.dob);
        let year = |s: &str| -> Option<PartialDate> {
            if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok().map(PartialDate::year)
            } else {
                None
            }
        };
        let single = if !d.date.is_empty() {
            if !d.year.is_empty() {
                self.e.push_extra("INDIVIDUAL_DATE_OF_BIRTH/YEAR", d.year.clone());
            }
            Some(iso_date(&d.date).ok_or(&d.date))
        } else if !d.year.is_empty() {
            Some(year(&d.year).ok_or(&d.year))
        } else {
            None
        };
        let range = if d.from.is_empty() && d.to.is_empty() {
            None
        } else {
            match (year(&d.from), year(&d.to)) {
                (Some(from), Some(to)) => Some(Ok((from, to))),
                _ => Some(Err(format!("{}-{}", d.from, d.to))),
            }
        };
        let t = d.type_of_date.to_ascii_uppercase();
        let bd = match (t.as_str(), single, range) {
            (_, Some(Err(raw)), _) => Some(BirthDate::Text { text: raw.clone() }),
            (_, _, Some(Err(raw))) => Some(BirthDate::Text { text: raw }),
            ("APPROXIMATELY", Some(Ok(date)), _) => Some(BirthDate::Approximately { date }),
            ("" | "EXACT" | "BETWEEN", Some(Ok(date)), _) => Some(BirthDate::Exact { date }),
            ("" | "EXACT" | "BETWEEN" | "APPROXIMATELY", None, Some(Ok((from, to)))) => {
                Some(BirthDate::Between { from, to })
            }
            (_, None, None) if !d.note.is_empty() => Some(BirthDate::Text { text: d.note.clone() }),
            (_, None, None) => None,
            (other, single, range) => {
                // An unknown TYPE_OF_DATE: keep what it says as text.
                let mut text = other.to_string();
                if let Some(Ok(date)) = single {
                    text.push_str(&format!(" {date}"));
                }
                if let Some(Ok((f, t))) = range {
                    text.push_str(&format!(" {f}-{t}"));
                }
                Some(BirthDate::Text { text })
            }
        };
        if let (Some(_), false) =
            (&bd, matches!(t.as_str(), "" | "EXACT" | "BETWEEN" | "APPROXIMATELY"))
        {
            self.e.push_extra("INDIVIDUAL_DATE_OF_BIRTH/TYPE_OF_DATE", d.type_of_date.clone());
        }
        if let Some(bd) = bd {
            self.e.birth_dates.push(bd);
        }
    }

    fn finish_doc(&mut self) {
        let d = std::mem::take(&mut self.doc);
        if d.kind.is_empty()
            && d.kind2.is_empty()
            && d.number.is_empty()
            && d.issuing_country.is_empty()
            && d.country_of_issue.is_empty()
            && d.issued.is_empty()
            && d.city_of_issue.is_empty()
            && d.note.is_empty()
            && d.expires.is_empty()
        {
            return;
        }
        let mut note: Vec<String> = Vec::new();
        let kind = if !d.kind.is_empty() {
            if !d.kind2.is_empty() {
                note.push(d.kind2.clone());
            }
            d.kind
        } else if !d.kind2.is_empty() {
            d.kind2
        } else {
            "Document".to_string()
        };
        let country = if !d.issuing_country.is_empty() {
            if !d.country_of_issue.is_empty() && d.country_of_issue != d.issuing_country {
                note.push(format!("country of issue: {}", d.country_of_issue));
            }
            opt(&d.issuing_country)
        } else {
            opt(&d.country_of_issue)
        };
        if !d.city_of_issue.is_empty() {
            note.push(format!("city of issue: {}", d.city_of_issue));
        }
        if !d.note.is_empty() {
            note.push(d.note);
        }
        self.e.identifiers.push(Identifier {
            kind,
            number: d.number,
            country,
            issued: opt(&d.issued),
            expires: opt(&d.expires),
            note: if note.is_empty() { None } else { Some(note.join("; ")) },
        });
    }

    fn finish(mut self, file: &str, line: u64) -> Result<Entity> {
        let record = self.id();
        let err = |message: &str| Error::Record {
            file: file.to_string(),
            line,
            record: record.clone(),
            message: message.to_string(),
        };
        let Some(dataid) = self.dataid.take() else {
            return Err(err("missing DATAID"));
        };
        let Some(reference) = self.reference.take() else {
            return Err(err("missing REFERENCE_NUMBER"));
        };
        const KINDS: [NamePartKind; 4] =
            [NamePartKind::First, NamePartKind::Second, NamePartKind::Third, NamePartKind::Fourth];
        let mut full = String::new();
        let mut parts = Vec::new();
        for (i, p) in self.parts.iter().enumerate() {
            if p.is_empty() {
                continue;
            }
            if !full.is_empty() {
                full.push(' ');
            }
            full.push_str(p);
            parts.push(NamePart { kind: KINDS[i], value: p.clone() });
        }
        if full.is_empty() {
            return Err(err("no name (FIRST_NAME..FOURTH_NAME all empty)"));
        }
        let mut e = self.e;
        e.source_id = dataid;
        e.reference = reference;
        let mut names = Vec::with_capacity(1 + self.original_script.len() + self.aliases.len());
        names.push(Name {
            script: detect_script(&full),
            full,
            // An organisation's name is one string in FIRST_NAME: no parts.
            parts: if self.kind == EntityKind::Person { parts } else { Vec::new() },
            quality: NameQuality::Primary,
            source_quality: None,
            note: None,
        });
        for s in self.original_script {
            names.push(Name {
                script: detect_script(&s),
                full: s,
                parts: Vec::new(),
                quality: NameQuality::Strong,
                source_quality: None,
                note: None,
            });
        }
        names.extend(self.aliases);
        e.names = names;
        Ok(e)
    }
}

/// Splits an ALIAS_NAME that holds several names: on `;` outside parentheses, and
/// `ORIGINAL (Latin one; Latin two)` into the original-script name and each Latin name.
fn split_alias(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in split_top(s, ';') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if let Some(open) = piece.find('(').filter(|&o| o > 0 && piece.ends_with(')')) {
            let head = piece[..open].trim();
            let inner = &piece[open + 1..piece.len() - 1];
            let head_script = detect_script(head);
            if head_script.is_some()
                && head_script != Some(sanctions_model::Script::Latin)
                && detect_script(inner) == Some(sanctions_model::Script::Latin)
                && !inner.contains('(')
            {
                out.push(head.to_string());
                out.extend(
                    inner.split(';').map(str::trim).filter(|x| !x.is_empty()).map(String::from),
                );
                continue;
            }
        }
        out.push(piece.to_string());
    }
    out
}

/// Splits on `sep` where it is not inside parentheses.
pub(crate) fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

struct State<'f> {
    file: &'f str,
    depth: usize,
    root_seen: bool,
    section: Option<EntityKind>,
    rec: Option<Rec>,
    /// Element path inside the record, `/`-joined, and the lengths to pop back to.
    rel: String,
    rel_lens: Vec<usize>,
    text: String,
    out: Vec<Entity>,
    ids: HashMap<String, u64>,
    stats: ParseStats,
    published_raw: Option<String>,
    published: Option<PartialDate>,
}

impl State<'_> {
    fn unexpected(&self, line: u64, what: String) -> Error {
        Error::Unexpected { file: self.file.to_string(), line, what }
    }

    fn start(&mut self, e: &BytesStart<'_>, line: u64) -> Result<()> {
        let name = utf8(e.name().into_inner(), self.file, line)?;
        self.depth += 1;
        self.text.clear();
        if self.depth > MAX_DEPTH {
            return Err(Error::Limit {
                file: self.file.to_string(),
                line,
                what: "element nesting depth",
                limit: MAX_DEPTH,
            });
        }
        match self.depth {
            1 => {
                if self.root_seen {
                    return Err(self.unexpected(line, format!("second root element <{name}>")));
                }
                self.root_seen = true;
                if name != "CONSOLIDATED_LIST" {
                    return Err(Error::UnexpectedRoot {
                        file: self.file.to_string(),
                        line,
                        found: name.to_string(),
                        expected: "CONSOLIDATED_LIST",
                    });
                }
                for a in e.attributes() {
                    let a = a.map_err(|err| Error::Xml {
                        file: self.file.to_string(),
                        line,
                        message: err.to_string(),
                    })?;
                    if a.key.as_ref() == b"dateGenerated" {
                        let raw = utf8(&a.value, self.file, line)?.trim().to_string();
                        let Some(d) = iso_date(&raw) else {
                            return Err(self.unexpected(
                                line,
                                format!("dateGenerated {raw:?} (not an ISO date-time)"),
                            ));
                        };
                        self.published = Some(d);
                        self.published_raw = Some(raw);
                    }
                }
            }
            2 => {
                self.section = match name {
                    "INDIVIDUALS" => Some(EntityKind::Person),
                    "ENTITIES" => Some(EntityKind::Organization),
                    _ => {
                        return Err(self.unexpected(
                            line,
                            format!("element <{name}> in CONSOLIDATED_LIST (expected INDIVIDUALS or ENTITIES)"),
                        ));
                    }
                }
            }
            3 => {
                let (kind, tag) = match (self.section, name) {
                    (Some(EntityKind::Person), "INDIVIDUAL") => (EntityKind::Person, "INDIVIDUAL"),
                    (Some(EntityKind::Organization), "ENTITY") => {
                        (EntityKind::Organization, "ENTITY")
                    }
                    _ => {
                        let parent = if self.section == Some(EntityKind::Person) {
                            "INDIVIDUALS"
                        } else {
                            "ENTITIES"
                        };
                        return Err(self.unexpected(line, format!("element <{name}> in {parent}")));
                    }
                };
                self.rec = Some(Rec::new(kind, tag));
                self.rel.clear();
                self.rel_lens.clear();
            }
            d => {
                self.rel_lens.push(self.rel.len());
                if !self.rel.is_empty() {
                    self.rel.push('/');
                }
                self.rel.push_str(name);
                if d == 4 {
                    if let Some(rec) = &mut self.rec {
                        rec.open(name);
                    }
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, s: &str, line: u64) -> Result<()> {
        if self.depth <= 3 {
            if s.trim().is_empty() {
                return Ok(());
            }
            return Err(self.unexpected(line, format!("text {:?} outside a field", clip(s))));
        }
        if self.text.len() + s.len() > MAX_FIELD {
            return Err(Error::Limit {
                file: self.file.to_string(),
                line,
                what: "field size in bytes",
                limit: MAX_FIELD,
            });
        }
        self.text.push_str(s);
        Ok(())
    }

    fn end(&mut self, line: u64) -> Result<()> {
        let depth = self.depth;
        self.depth -= 1;
        match depth {
            0 => unreachable!("quick-xml checks end tags"),
            1 => {}
            2 => self.section = None,
            3 => {
                let rec = self.rec.take().expect("record open at depth 3");
                let kind = rec.kind;
                let e = rec.finish(self.file, line)?;
                if let Some(first) = self.ids.insert(e.source_id.clone(), line) {
                    return Err(Error::Duplicate {
                        file: self.file.to_string(),
                        line,
                        id: format!("DATAID {}", e.source_id),
                        first_line: first,
                    });
                }
                self.stats.records += 1;
                match kind {
                    EntityKind::Person => self.stats.persons += 1,
                    _ => self.stats.organizations += 1,
                }
                self.out.push(e);
            }
            d => {
                let v = clean(&self.text);
                let rec = self.rec.as_mut().expect("record open below depth 3");
                let start = self.rel_lens.pop().unwrap_or(0);
                let leaf_start = if start == 0 { 0 } else { start + 1 };
                let leaf = &self.rel[leaf_start..];
                match d {
                    4 => {
                        if rec.field == Field::Other {
                            rec.leaf4(leaf, &v);
                        } else if !v.is_empty() {
                            // Text directly in a container element: keep it.
                            rec.e.push_extra(leaf, v.as_ref());
                        }
                        rec.close4(&mut self.stats);
                    }
                    5 => rec.leaf5(&self.rel, leaf, &v),
                    _ => {
                        if !v.is_empty() {
                            rec.e.push_extra(self.rel.as_str(), v.as_ref());
                        }
                    }
                }
                self.rel.truncate(start);
            }
        }
        self.text.clear();
        Ok(())
    }
}

fn clip(s: &str) -> &str {
    let s = s.trim();
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn utf8<'a>(b: &'a [u8], file: &str, line: u64) -> Result<&'a str> {
    std::str::from_utf8(b).map_err(|_| Error::Utf8 { file: file.to_string(), line })
}

/// Parses a UN Security Council Consolidated List XML file.
///
/// Strict: any malformed input (invalid UTF-8, a DOCTYPE, a wrong root, a record without
/// DATAID / REFERENCE_NUMBER / name, a duplicate DATAID, zero entries, absurd sizes) fails the
/// whole parse with an error naming `file_name` and the line.
///
/// # Examples
///
/// ```
/// let xml = r#"<CONSOLIDATED_LIST dateGenerated="2026-05-08T23:00:06.922Z"><INDIVIDUALS>
///   <INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>AMIR KHAN</FIRST_NAME>
///   <SECOND_NAME>MOTAQI</SECOND_NAME><UN_LIST_TYPE>Taliban</UN_LIST_TYPE>
///   <REFERENCE_NUMBER>TAi.026</REFERENCE_NUMBER></INDIVIDUAL>
/// </INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>"#;
/// let list = sanctions_lists::parse_un_xml(xml.as_bytes(), "un.xml").unwrap();
/// assert_eq!(list.entities[0].primary_name(), "AMIR KHAN MOTAQI");
/// assert_eq!(list.published.unwrap().to_string(), "2026-05-08");
/// ```
pub fn parse_un_xml<R: BufRead>(reader: R, file_name: &str) -> Result<ParsedList> {
    let mut xml = quick_xml::Reader::from_reader(Counted {
        inner: reader,
        line: 1,
        since_mark: 0,
        tripped: false,
    });
    xml.config_mut().check_end_names = true;
    let mut st = State {
        file: file_name,
        depth: 0,
        root_seen: false,
        section: None,
        rec: None,
        rel: String::new(),
        rel_lens: Vec::new(),
        text: String::new(),
        out: Vec::new(),
        ids: HashMap::new(),
        stats: ParseStats::default(),
        published_raw: None,
        published: None,
    };
    let mut buf = Vec::with_capacity(8 * 1024);
    loop {
        xml.get_mut().since_mark = 0;
        let ev = match xml.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(err) => {
                let c = xml.get_ref();
                if c.tripped {
                    return Err(Error::Limit {
                        file: file_name.to_string(),
                        line: c.line,
                        what: "field size in bytes",
                        limit: MAX_FIELD,
                    });
                }
                return Err(match err {
                    quick_xml::Error::Io(e) => Error::Io {
                        file: file_name.to_string(),
                        source: io::Error::new(e.kind(), e.to_string()),
                    },
                    quick_xml::Error::Encoding(_) => {
                        Error::Utf8 { file: file_name.to_string(), line: c.line }
                    }
                    other => Error::Xml {
                        file: file_name.to_string(),
                        line: c.line,
                        message: other.to_string(),
                    },
                });
            }
        };
        let line = xml.get_ref().line;
        match ev {
            Event::Decl(d) => {
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| Error::Xml {
                        file: file_name.to_string(),
                        line,
                        message: e.to_string(),
                    })?;
                    if !enc.eq_ignore_ascii_case(b"utf-8") && !enc.eq_ignore_ascii_case(b"utf8") {
                        return Err(Error::Encoding {
                            file: file_name.to_string(),
                            line,
                            encoding: String::from_utf8_lossy(&enc).into_owned(),
                        });
                    }
                }
            }
            Event::DocType(_) => {
                return Err(Error::Doctype { file: file_name.to_string(), line });
            }
            Event::Start(e) => st.start(&e, line)?,
            Event::Empty(e) => {
                st.start(&e, line)?;
                st.end(line)?;
            }
            Event::End(_) => st.end(line)?,
            Event::Text(t) => {
                let raw = utf8(&t, file_name, line)?;
                let s = quick_xml::escape::unescape(raw).map_err(|e| Error::Xml {
                    file: file_name.to_string(),
                    line,
                    message: e.to_string(),
                })?;
                st.text(&s, line)?;
            }
            Event::CData(t) => {
                let s = utf8(&t, file_name, line)?;
                st.text(s, line)?;
            }
            Event::Comment(t) => {
                utf8(&t, file_name, line)?;
            }
            Event::PI(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    let line = xml.get_ref().line;
    if !st.root_seen {
        return Err(Error::UnexpectedRoot {
            file: file_name.to_string(),
            line,
            found: "(none)".into(),
            expected: "CONSOLIDATED_LIST",
        });
    }
    if st.depth != 0 {
        return Err(Error::Xml {
            file: file_name.to_string(),
            line,
            message: "unexpected end of file (unclosed elements)".into(),
        });
    }
    if st.out.is_empty() {
        return Err(Error::Empty { file: file_name.to_string(), line });
    }
    Ok(ParsedList {
        source: Source::Un,
        published: st.published,
        published_raw: st.published_raw,
        entities: st.out,
        stats: st.stats,
    })
}

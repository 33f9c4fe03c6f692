//! Payment messages: SWIFT MT103 (block 4 fields) and ISO 20022 pacs.008 (XML).
//!
//! Both are read into [`FieldText`]s: the party fields (ordering and beneficiary customer,
//! ultimate parties, institutions) and the free-text fields (remittance information, sender
//! to receiver information), each with its tag, what it is, its line and its byte offset in
//! the message. [`crate::Scanner::scan_message`] screens the party names as names (as
//! `sanctions screen` does) and scans every field's text for mentions.
//!
//! Malformed messages are refused with an error that names the line and the field.

use quick_xml::events::Event;
use serde::Serialize;

/// The format of the input to scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    /// Plain text in any script.
    Text,
    /// SWIFT MT103 (single customer credit transfer).
    Mt103,
    /// ISO 20022 pacs.008 (FI to FI customer credit transfer), XML.
    Pacs008,
}

impl std::str::FromStr for MessageFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(MessageFormat::Text),
            "mt103" => Ok(MessageFormat::Mt103),
            "pacs008" | "pacs.008" => Ok(MessageFormat::Pacs008),
            _ => Err(format!("unknown format {s:?}: expected text, mt103 or pacs008")),
        }
    }
}

/// A field of a payment message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The tag (`59`, `50K`) or element path (`CdtTrfTxInf[1]/Cdtr/Nm`).
    pub tag: String,
    /// What the field is ("beneficiary customer").
    pub label: String,
    /// Line of the field in the message (1-based).
    pub line: usize,
}

/// The text of one field.
#[derive(Clone, Debug)]
pub struct FieldText {
    /// The field.
    pub field: Field,
    /// Byte offset of `text` in the message, when `text` is written there as is.
    pub offset: Option<usize>,
    /// Byte range of the field's raw text in the message.
    pub raw: (usize, usize),
    /// The field's text.
    pub text: String,
    /// Ranges of `text` that are a party's name (screened as a name).
    pub names: Vec<(usize, usize)>,
}

/// A malformed payment message.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The message does not have the expected structure.
    #[error("{format}: line {line}: {message}")]
    Malformed {
        /// mt103 or pacs.008.
        format: &'static str,
        /// Line of the problem (1-based).
        line: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A mandatory field is missing.
    #[error("{format}: missing {field}")]
    Missing {
        /// mt103 or pacs.008.
        format: &'static str,
        /// The field and what it is.
        field: String,
    },
}

fn mt_label(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "50A" | "50F" | "50K" => "ordering customer",
        "52A" | "52D" => "ordering institution",
        "53A" | "53B" | "53D" => "sender's correspondent",
        "54A" | "54B" | "54D" => "receiver's correspondent",
        "56A" | "56C" | "56D" => "intermediary institution",
        "57A" | "57B" | "57C" | "57D" => "account with institution",
        "59" | "59A" | "59F" => "beneficiary customer",
        "70" => "remittance information",
        "72" => "sender to receiver information",
        _ => return None,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count()
}

/// Reads the fields of an MT103 message (with or without the `{1:}{2:}{4:...-}` envelope).
pub fn parse_mt103(msg: &str) -> Result<Vec<FieldText>, PaymentError> {
    const F: &str = "mt103";
    let (body_start, body_end) = match msg.find("{4:") {
        Some(i) => {
            let start = i + 3;
            let end = msg[start..]
                .find("\n-}")
                .map(|e| start + e + 1)
                .or_else(|| msg[start..].find("-}").map(|e| start + e));
            match end {
                Some(e) => (start, e),
                None => {
                    return Err(PaymentError::Malformed {
                        format: F,
                        line: line_of(msg, i),
                        message: "block 4 (text block) is not closed by \"-}\"".into(),
                    });
                }
            }
        }
        None => (0, msg.len()),
    };
    // Fields: (tag, line, value start, value end).
    let mut fields: Vec<(String, usize, usize, usize)> = Vec::new();
    let mut offset = body_start;
    for raw_line in msg[body_start..body_end].split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let line_no = line_of(msg, line_start);
        if let Some(rest) = line.strip_prefix(':') {
            let Some(colon) = rest.find(':') else {
                return Err(PaymentError::Malformed {
                    format: F,
                    line: line_no,
                    message: format!("malformed field tag in {line:?} (expected :NNa:)"),
                });
            };
            let tag = &rest[..colon];
            let b = tag.as_bytes();
            let ok = (b.len() == 2 || b.len() == 3)
                && b[0].is_ascii_digit()
                && b[1].is_ascii_digit()
                && (b.len() == 2 || b[2].is_ascii_uppercase());
            if !ok {
                return Err(PaymentError::Malformed {
                    format: F,
                    line: line_no,
                    message: format!(
                        "malformed field tag :{tag}: (expected two digits and an optional letter)"
                    ),
                });
            }
            let vstart = line_start + 1 + colon + 1;
            fields.push((tag.to_string(), line_no, vstart, line_start + line.len()));
        } else if let Some(last) = fields.last_mut() {
            if !line.is_empty() {
                last.3 = line_start + line.len();
            }
        } else if !line.trim().is_empty() {
            return Err(PaymentError::Malformed {
                format: F,
                line: line_no,
                message: format!("text before the first field: {line:?}"),
            });
        }
    }
    if fields.is_empty() {
        return Err(PaymentError::Missing {
            format: F,
            field: "every field (no :NN: tag found)".into(),
        });
    }
    let has = |p: &[&str]| fields.iter().any(|f| p.contains(&f.0.as_str()));
    if !has(&["20"]) {
        return Err(PaymentError::Missing {
            format: F,
            field: "field 20 (sender's reference)".into(),
        });
    }
    if !has(&["32A"]) {
        return Err(PaymentError::Missing {
            format: F,
            field: "field 32A (value date, currency, amount)".into(),
        });
    }
    if !has(&["50A", "50F", "50K"]) {
        return Err(PaymentError::Missing {
            format: F,
            field: "field 50a (ordering customer)".into(),
        });
    }
    if !has(&["59", "59A", "59F"]) {
        return Err(PaymentError::Missing {
            format: F,
            field: "field 59a (beneficiary customer)".into(),
        });
    }
    let mut out = Vec::new();
    for (tag, line, vs, ve) in fields {
        let text = &msg[vs..ve.max(vs)];
        if tag == "32A" {
            let t = text.trim();
            let ok = t.len() > 9
                && t.as_bytes()[..6].iter().all(u8::is_ascii_digit)
                && t.as_bytes()[6..9].iter().all(u8::is_ascii_uppercase)
                && t[9..].bytes().all(|b| b.is_ascii_digit() || b == b',')
                && t[9..].bytes().any(|b| b.is_ascii_digit());
            if !ok {
                return Err(PaymentError::Malformed {
                    format: F,
                    line,
                    message: format!(
                        "field 32A {t:?}: expected YYMMDD, a currency code and an amount (e.g. 250508USD1000,00)"
                    ),
                });
            }
            continue;
        }
        let Some(label) = mt_label(&tag) else { continue };
        let names = mt_names(&tag, text);
        out.push(FieldText {
            field: Field { tag: tag.clone(), label: label.into(), line },
            offset: Some(vs),
            raw: (vs, ve.max(vs)),
            text: text.to_string(),
            names,
        });
    }
    Ok(out)
}

/// The name ranges of a party field: option F lines `1/NAME`; options K, D and no letter, the
/// first line that is not an account (`/...`); option A is a BIC (no name).
fn mt_names(tag: &str, text: &str) -> Vec<(usize, usize)> {
    if matches!(tag, "70" | "72") || tag.ends_with('A') {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        if tag.ends_with('F') {
            if let Some(name) = line.strip_prefix("1/") {
                if !name.trim().is_empty() {
                    out.push((start + 2, start + line.len()));
                }
            }
        } else if !line.starts_with('/') && !line.trim().is_empty() {
            out.push((start, start + line.len()));
            break;
        }
    }
    out
}

fn pacs_label(path: &[String]) -> Option<(&'static str, bool)> {
    let n = path.len();
    let last = |k: usize| -> &str { if n >= k { path[n - k].as_str() } else { "" } };
    Some(match (last(3), last(2), last(1)) {
        (_, "Dbtr", "Nm") => ("debtor", true),
        (_, "Cdtr", "Nm") => ("creditor", true),
        (_, "UltmtDbtr", "Nm") => ("ultimate debtor", true),
        (_, "UltmtCdtr", "Nm") => ("ultimate creditor", true),
        (_, "InitgPty", "Nm") => ("initiating party", true),
        ("DbtrAgt", "FinInstnId", "Nm") => ("debtor agent", true),
        ("CdtrAgt", "FinInstnId", "Nm") => ("creditor agent", true),
        ("IntrmyAgt1" | "IntrmyAgt2" | "IntrmyAgt3", "FinInstnId", "Nm") => {
            ("intermediary agent", true)
        }
        (_, "PstlAdr", "AdrLine") => ("postal address", false),
        (_, "RmtInf", "Ustrd") => ("remittance information", false),
        (_, "InstrForCdtrAgt", "InstrInf") | (_, "InstrForNxtAgt", "InstrInf") => {
            ("instruction", false)
        }
        _ => return None,
    })
}

/// Reads the party and remittance fields of a pacs.008 message.
pub fn parse_pacs008(msg: &str) -> Result<Vec<FieldText>, PaymentError> {
    const F: &str = "pacs.008";
    let err = |pos: usize, message: String| PaymentError::Malformed {
        format: F,
        line: line_of(msg, pos),
        message,
    };
    let mut reader = quick_xml::Reader::from_str(msg);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut tx = 0usize;
    let mut seen_root = false;
    let mut seen_group = false;
    let mut tx_parties: Vec<(usize, usize, bool, bool)> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader.read_event().map_err(|e| {
            let at = reader.error_position() as usize;
            err(
                at,
                format!(
                    "XML error: {e} (inside {})",
                    if path.is_empty() { "the document".to_string() } else { path.join("/") }
                ),
            )
        })?;
        let after = reader.buffer_position() as usize;
        match ev {
            Event::DocType(_) => return Err(err(before, "a DOCTYPE is not accepted".into())),
            Event::Start(s) => {
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                if path.is_empty() {
                    if seen_root || name != "Document" {
                        return Err(err(
                            before,
                            format!("the root element must be Document, found {name}"),
                        ));
                    }
                    seen_root = true;
                }
                if path.len() >= 64 {
                    return Err(err(before, "elements nested too deep".into()));
                }
                if name == "FIToFICstmrCdtTrf" {
                    seen_group = true;
                }
                if name == "CdtTrfTxInf" {
                    tx += 1;
                    tx_parties.push((tx, line_of(msg, before), false, false));
                }
                if path.last().is_some_and(|p| p == "CdtTrfTxInf") {
                    if let Some(t) = tx_parties.last_mut() {
                        if name == "Dbtr" {
                            t.2 = true;
                        }
                        if name == "Cdtr" {
                            t.3 = true;
                        }
                    }
                }
                path.push(name);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Empty(s) => {
                if path.is_empty() {
                    return Err(err(before, "the document is empty".into()));
                }
                let _ = s;
            }
            Event::Text(t) => {
                let Some((label, is_name)) = pacs_label(&path) else { continue };
                let raw =
                    std::str::from_utf8(t.as_ref()).map_err(|e| err(before, e.to_string()))?;
                let text =
                    t.unescape().map_err(|e| err(before, format!("{}: {e}", path.join("/"))))?;
                if text.trim().is_empty() {
                    continue;
                }
                let start = after - raw.len();
                let offset = (text == raw).then_some(start);
                let in_tx = path.iter().position(|p| p == "CdtTrfTxInf");
                let tag = match in_tx {
                    Some(i) => format!("CdtTrfTxInf[{tx}]/{}", path[i + 1..].join("/")),
                    None => path.iter().skip(2).cloned().collect::<Vec<_>>().join("/"),
                };
                let text = text.into_owned();
                let names = if is_name { vec![(0, text.len())] } else { Vec::new() };
                out.push(FieldText {
                    field: Field { tag, label: label.into(), line: line_of(msg, start) },
                    offset,
                    raw: (start, after),
                    text,
                    names,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(err(msg.len(), format!("the document ends inside {}", path.join("/"))));
    }
    if !seen_root {
        return Err(PaymentError::Missing { format: F, field: "the Document element".into() });
    }
    if !seen_group {
        return Err(PaymentError::Missing {
            format: F,
            field: "FIToFICstmrCdtTrf (not a pacs.008 message)".into(),
        });
    }
    if tx == 0 {
        return Err(PaymentError::Missing {
            format: F,
            field: "CdtTrfTxInf (no transaction)".into(),
        });
    }
    for (n, line, dbtr, cdtr) in tx_parties {
        if !dbtr || !cdtr {
            let which = if !dbtr { "Dbtr (debtor)" } else { "Cdtr (creditor)" };
            return Err(PaymentError::Malformed {
                format: F,
                line,
                message: format!("transaction CdtTrfTxInf[{n}] has no {which}"),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt103_fields() {
        let m = "{1:F01BANKBEBBAXXX0000000000}{2:I103BANKDEFFXXXXN}{4:\n:20:REF1\n:32A:250508USD1000,00\n:50K:/12345\nJOHN SMITH\n1 MAIN ST\n:59F:/DE89\n1/ACME GMBH\n2/STRASSE 1\n:70:INVOICE 42\n-}";
        let f = parse_mt103(m).unwrap();
        let tags: Vec<&str> = f.iter().map(|f| f.field.tag.as_str()).collect();
        assert_eq!(tags, ["50K", "59F", "70"]);
        let k = &f[0];
        assert_eq!(&k.text[k.names[0].0..k.names[0].1], "JOHN SMITH");
        assert_eq!(&m[k.offset.unwrap()..][..6], "/12345");
        assert_eq!(k.field.line, 4);
        let b = &f[1];
        assert_eq!(&b.text[b.names[0].0..b.names[0].1], "ACME GMBH");
    }

    #[test]
    fn mt103_errors() {
        let e = parse_mt103(":20:X\n:32A:250508USD1,0\n:59:Y\n").unwrap_err().to_string();
        assert!(e.contains("50a"), "{e}");
        let e = parse_mt103(":20:X\n:3A:1\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains(":3A:"), "{e}");
        let e = parse_mt103(":20:X\n:32A:1000 USD\n:50K:A\n:59:B\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("32A"), "{e}");
        let e = parse_mt103("{4:\n:20:X\n").unwrap_err().to_string();
        assert!(e.contains("not closed"), "{e}");
    }

    #[test]
    fn pacs008_errors() {
        let e = parse_pacs008("<Document><FIToFICstmrCdtTrf><CdtTrfTxInf><Dbtr><Nm>A</Nm></Dbtr>\n</CdtTrfTxInf></FIToFICstmrCdtTrf></Document>").unwrap_err().to_string();
        assert!(e.contains("Cdtr"), "{e}");
        let e =
            parse_pacs008("<Document>\n<FIToFICstmrCdtTrf><CdtTrfTxInf>\n<Dbtr><Nm>A</Nam></Dbtr>")
                .unwrap_err()
                .to_string();
        assert!(e.contains("line 3"), "{e}");
    }
}

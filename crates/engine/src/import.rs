//! Importing official files: by path, from a mirror folder, or from the official addresses.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sanctions_lists::{Input, ParsedList};
use sanctions_model::{PartialDate, Source};
use sanctions_store::{ImportOutcome, ImportRequest};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Engine, Error, Result};

/// What an OFAC file of the CSV trio is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// UN consolidated XML.
    UnXml,
    /// OFAC sdn.csv (main records).
    OfacSdn,
    /// OFAC alt.csv (aliases).
    OfacAlt,
    /// OFAC add.csv (addresses).
    OfacAdd,
}

/// Assigns a role to each file of an import by its name.
pub fn detect_files(source: Source, files: &[PathBuf]) -> Result<Vec<(FileRole, PathBuf)>> {
    if files.is_empty() {
        return Err(Error::Usage(format!("no file given for the {source} list")));
    }
    let mut out = Vec::new();
    match source {
        Source::Un => {
            if files.len() != 1 {
                return Err(Error::Usage(format!(
                    "the UN list is one XML file; got {} files",
                    files.len()
                )));
            }
            out.push((FileRole::UnXml, files[0].clone()));
        }
        Source::Ofac => {
            for f in files {
                let stem = f
                    .file_stem()
                    .map(|s| s.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                let role = if stem.ends_with("alt") {
                    FileRole::OfacAlt
                } else if stem.ends_with("add") {
                    FileRole::OfacAdd
                } else if stem.ends_with("comments") {
                    return Err(Error::Usage(format!(
                        "{}: sdn_comments.csv is not supported; import sdn.csv, alt.csv and add.csv",
                        f.display()
                    )));
                } else {
                    FileRole::OfacSdn
                };
                if out.iter().any(|(r, _)| *r == role) {
                    return Err(Error::Usage(format!(
                        "two files for the same part of the OFAC list ({role:?}): {}",
                        f.display()
                    )));
                }
                out.push((role, f.clone()));
            }
            if !out.iter().any(|(r, _)| *r == FileRole::OfacSdn) {
                return Err(Error::Usage(
                    "the OFAC import needs sdn.csv (alt.csv and add.csv are optional)".into(),
                ));
            }
            out.sort_by_key(|(r, _)| *r as u8);
        }
        other => {
            return Err(Error::Usage(format!(
                "importing the {other} list is not supported yet (supported: un, ofac)"
            )));
        }
    }
    Ok(out)
}

/// What one import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// The list.
    pub source: Source,
    /// The files read.
    pub files: Vec<String>,
    /// Where the publication date came from.
    pub published_from: String,
    /// Entries parsed.
    pub entities: usize,
    /// Milliseconds spent parsing.
    pub parse_ms: u64,
    /// Milliseconds spent storing.
    pub store_ms: u64,
    /// Created, or unchanged because the same file was imported before.
    pub outcome: ImportOutcome,
}

fn date_in_name(name: &str) -> Option<PartialDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = &name[i..i + 10];
        let ok = s
            .bytes()
            .enumerate()
            .all(|(j, c)| if j == 4 || j == 7 { c == b'-' } else { c.is_ascii_digit() });
        if ok { s.parse::<PartialDate>().ok().filter(PartialDate::is_full) } else { None }
    })
}

fn mtime_date(path: &Path) -> Option<PartialDate> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(civil_from_days(secs.div_euclid(86_400)))
}

/// Days since 1970-01-01 to a calendar date.
pub(crate) fn civil_from_days(z: i64) -> PartialDate {
    PartialDate::from_days_since_epoch(z)
}

/// Today's date (UTC).
pub(crate) fn today() -> PartialDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil_from_days(secs.div_euclid(86_400))
}

struct Loaded {
    role: FileRole,
    name: String,
    data: Vec<u8>,
    date_hint: Option<(PartialDate, String)>,
}

fn parse(source: Source, files: &[Loaded]) -> Result<ParsedList> {
    let get = |role| files.iter().find(|f| f.role == role);
    Ok(match source {
        Source::Un => {
            let f = get(FileRole::UnXml).ok_or_else(|| Error::Usage("missing UN XML".into()))?;
            sanctions_lists::parse_un_xml(&f.data[..], &f.name)?
        }
        _ => {
            let sdn =
                get(FileRole::OfacSdn).ok_or_else(|| Error::Usage("missing sdn.csv".into()))?;
            fn input(f: &Loaded) -> Input<'_> {
                Input { name: &f.name, data: &f.data }
            }
            sanctions_lists::parse_ofac_csv(
                input(sdn),
                get(FileRole::OfacAlt).map(input),
                get(FileRole::OfacAdd).map(input),
            )?
        }
    })
}

impl Engine {
    /// Imports the files of one list as a new version (or finds it unchanged).
    ///
    /// The publication date is the list's own (UN `dateGenerated`); for lists without one
    /// (OFAC CSV) it is `published` if given, else a date in the file name
    /// (`sdn-2022-02-25.csv`), else the file's modification date.
    pub fn import_files(
        &mut self,
        source: Source,
        files: &[PathBuf],
        published: Option<PartialDate>,
        force: bool,
    ) -> Result<ImportReport> {
        let roles = detect_files(source, files)?;
        let mut loaded = Vec::new();
        for (role, path) in roles {
            // A hostile or mistaken file (a disk image, a 1 GB dump) is refused before it is
            // read into memory: the official lists are a few MB.
            let len = std::fs::metadata(&path)
                .map_err(|e| Error::Io { path: path.clone(), source: e })?
                .len();
            if len > MAX_DOWNLOAD {
                return Err(Error::Usage(format!(
                    "{} is {len} bytes, larger than any list file ({MAX_DOWNLOAD} bytes at most)",
                    path.display()
                )));
            }
            let data =
                std::fs::read(&path).map_err(|e| Error::Io { path: path.clone(), source: e })?;
            let name = path.display().to_string();
            let date_hint = path
                .file_name()
                .and_then(|n| date_in_name(&n.to_string_lossy()))
                .map(|d| (d, "the file name".to_string()))
                .or_else(|| {
                    mtime_date(&path).map(|d| (d, "the file's modification date".to_string()))
                });
            loaded.push(Loaded { role, name, data, date_hint });
        }
        self.import_loaded(source, loaded, published, force)
    }

    fn import_loaded(
        &mut self,
        source: Source,
        files: Vec<Loaded>,
        published: Option<PartialDate>,
        force: bool,
    ) -> Result<ImportReport> {
        let t0 = Instant::now();
        let parsed = parse(source, &files)?;
        let parse_ms = t0.elapsed().as_millis() as u64;
        let mut hasher = Sha256::new();
        for f in &files {
            hasher.update(format!("{:?}:{}\n", f.role, f.data.len()).as_bytes());
            hasher.update(&f.data);
        }
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let (published, published_raw, published_from) = match (published, parsed.published) {
            (Some(p), _) => (p, p.to_string(), "--published".to_string()),
            (None, Some(p)) => (
                p,
                parsed.published_raw.clone().unwrap_or_else(|| p.to_string()),
                "the list's own date".to_string(),
            ),
            (None, None) => {
                let (d, from) = files
                    .iter()
                    .find(|f| f.role == FileRole::OfacSdn || f.role == FileRole::UnXml)
                    .and_then(|f| f.date_hint.clone())
                    .unwrap_or_else(|| (today(), "today's date".to_string()));
                (d, d.to_string(), from)
            }
        };
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let t1 = Instant::now();
        let outcome = self.store.import(ImportRequest {
            source,
            published,
            published_raw,
            sha256,
            files: names.clone(),
            entities: &parsed.entities,
            force,
        })?;
        Ok(ImportReport {
            source,
            files: names,
            published_from,
            entities: parsed.entities.len(),
            parse_ms,
            store_ms: t1.elapsed().as_millis() as u64,
            outcome,
        })
    }

    /// Imports the official files found in a folder laid out like the official mirror:
    /// `un/consolidated.xml`, `ofac/sdn.csv` (+ `alt.csv`, `add.csv`). Lists whose files are
    /// absent are skipped; at least one must be present.
    pub fn update_from_mirror(&mut self, dir: &Path, force: bool) -> Result<Vec<ImportReport>> {
        if !dir.is_dir() {
            return Err(Error::Usage(format!("mirror folder {} does not exist", dir.display())));
        }
        let mut reports = Vec::new();
        let un = dir.join("un").join("consolidated.xml");
        if un.is_file() {
            reports.push(self.import_files(Source::Un, &[un], None, force)?);
        }
        let sdn = dir.join("ofac").join("sdn.csv");
        if sdn.is_file() {
            let mut files = vec![sdn];
            for extra in ["alt.csv", "add.csv"] {
                let p = dir.join("ofac").join(extra);
                if p.is_file() {
                    files.push(p);
                }
            }
            reports.push(self.import_files(Source::Ofac, &files, None, force)?);
        }
        if reports.is_empty() {
            return Err(Error::Usage(format!(
                "no official list file in {} (expected un/consolidated.xml or ofac/sdn.csv)",
                dir.display()
            )));
        }
        Ok(reports)
    }

    /// Downloads the official files and imports them. Every file of a list is downloaded
    /// before anything is imported, so a failed download changes nothing.
    pub fn update_from_web(&mut self, urls: &SourceUrls, force: bool) -> Result<Vec<ImportReport>> {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(15))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("sanctions/", env!("CARGO_PKG_VERSION")))
            .build();
        let today = today();
        // A truncated XML file never parses; a CSV cut at a line break would, so a CSV whose
        // length the server did not announce must end with the official files' end mark.
        let un = download(&agent, &urls.un)?.0;
        let sdn = download_ofac_csv(&agent, &urls.ofac_sdn)?;
        let alt = download_ofac_csv(&agent, &urls.ofac_alt)?;
        let add = download_ofac_csv(&agent, &urls.ofac_add)?;
        let hint = Some((today, "the download date".to_string()));
        let un_report = self.import_loaded(
            Source::Un,
            vec![Loaded {
                role: FileRole::UnXml,
                name: urls.un.clone(),
                data: un,
                date_hint: hint.clone(),
            }],
            None,
            force,
        )?;
        let ofac_report = self.import_loaded(
            Source::Ofac,
            vec![
                Loaded {
                    role: FileRole::OfacSdn,
                    name: urls.ofac_sdn.clone(),
                    data: sdn,
                    date_hint: hint.clone(),
                },
                Loaded {
                    role: FileRole::OfacAlt,
                    name: urls.ofac_alt.clone(),
                    data: alt,
                    date_hint: hint.clone(),
                },
                Loaded {
                    role: FileRole::OfacAdd,
                    name: urls.ofac_add.clone(),
                    data: add,
                    date_hint: hint,
                },
            ],
            None,
            force,
        )?;
        Ok(vec![un_report, ofac_report])
    }
}

/// Largest list file accepted, from the web or from disk (the lists are a few MB).
const MAX_DOWNLOAD: u64 = 256 * 1024 * 1024;

/// The end-of-file mark (Ctrl-Z) that ends every official OFAC CSV file.
const OFAC_EOF_MARK: u8 = 0x1A;

/// Downloads an OFAC CSV file. When the server announced no length (a chunked or
/// close-delimited body), a connection dropped at a line break would leave a file that parses,
/// so the file must then end with [`OFAC_EOF_MARK`], as the official files do.
fn download_ofac_csv(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>> {
    let (data, length_checked) = download(agent, url)?;
    let end = data.iter().rposition(|b| !b.is_ascii_whitespace()).map(|i| data[i]);
    if !length_checked && end != Some(OFAC_EOF_MARK) {
        return Err(Error::Download {
            url: url.to_string(),
            reason: format!(
                "the server sent no Content-Length and the {} bytes received do not end with \
                 the end mark (0x1A) of the official OFAC files: the connection was probably \
                 cut",
                data.len()
            ),
        });
    }
    Ok(data)
}

/// The body of `url`, and whether its length was checked against a `Content-Length`.
fn download(agent: &ureq::Agent, url: &str) -> Result<(Vec<u8>, bool)> {
    let err = |reason: String| Error::Download { url: url.to_string(), reason };
    let resp = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => err(format!("the server answered HTTP {code}")),
        ureq::Error::Transport(t) => {
            err(format!("{t} (is this machine offline? use `sanctions update --mirror DIR`)"))
        }
    })?;
    let ctype = resp.content_type().to_string();
    if ctype.contains("html") {
        return Err(err(format!("the server sent an HTML page ({ctype}), not a list file")));
    }
    let expected: Option<u64> = resp.header("content-length").and_then(|v| v.parse().ok());
    let mut data = Vec::new();
    resp.into_reader()
        .take(MAX_DOWNLOAD + 1)
        .read_to_end(&mut data)
        .map_err(|e| err(format!("the connection broke after {} bytes: {e}", data.len())))?;
    if data.len() as u64 > MAX_DOWNLOAD {
        return Err(err(format!("the file is larger than {MAX_DOWNLOAD} bytes")));
    }
    if let Some(n) = expected {
        if n != data.len() as u64 {
            return Err(err(format!("truncated: got {} of {n} bytes", data.len())));
        }
    }
    Ok((data, expected.is_some()))
}

/// The addresses `sanctions update` downloads from. Each can be overridden by an environment
/// variable (`SANCTIONS_URL_UN`, `SANCTIONS_URL_OFAC_SDN`, `SANCTIONS_URL_OFAC_ALT`,
/// `SANCTIONS_URL_OFAC_ADD`) or by the caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceUrls {
    /// UN consolidated XML.
    pub un: String,
    /// OFAC sdn.csv.
    pub ofac_sdn: String,
    /// OFAC alt.csv.
    pub ofac_alt: String,
    /// OFAC add.csv.
    pub ofac_add: String,
}

impl Default for SourceUrls {
    fn default() -> Self {
        SourceUrls {
            un: "https://scsanctions.un.org/resources/xml/en/consolidated.xml".into(),
            ofac_sdn: "https://www.treasury.gov/ofac/downloads/sdn.csv".into(),
            ofac_alt: "https://www.treasury.gov/ofac/downloads/alt.csv".into(),
            ofac_add: "https://www.treasury.gov/ofac/downloads/add.csv".into(),
        }
    }
}

impl SourceUrls {
    /// The defaults with environment overrides applied.
    pub fn from_env() -> SourceUrls {
        let mut u = SourceUrls::default();
        for (var, slot) in [
            ("SANCTIONS_URL_UN", &mut u.un),
            ("SANCTIONS_URL_OFAC_SDN", &mut u.ofac_sdn),
            ("SANCTIONS_URL_OFAC_ALT", &mut u.ofac_alt),
            ("SANCTIONS_URL_OFAC_ADD", &mut u.ofac_add),
        ] {
            if let Ok(v) = std::env::var(var) {
                if !v.trim().is_empty() {
                    *slot = v.trim().to_string();
                }
            }
        }
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_in_name("sdn-2022-02-25.csv").unwrap().to_string(), "2022-02-25");
        assert_eq!(date_in_name("watchman-2021-07-07-sdn.csv").unwrap().to_string(), "2021-07-07");
        assert!(date_in_name("sdn.csv").is_none());
        assert!(date_in_name("sdn-2022-13-45.csv").is_none());
        assert_eq!(civil_from_days(0).to_string(), "1970-01-01");
        assert_eq!(civil_from_days(20_454).to_string(), "2026-01-01");
    }

    #[test]
    fn roles() {
        let files: Vec<PathBuf> =
            ["a/sdn.csv", "a/add.csv", "a/alt.csv"].iter().map(PathBuf::from).collect();
        let r = detect_files(Source::Ofac, &files).unwrap();
        assert_eq!(
            r.iter().map(|x| x.0).collect::<Vec<_>>(),
            [FileRole::OfacSdn, FileRole::OfacAlt, FileRole::OfacAdd]
        );
        assert!(detect_files(Source::Ofac, &[PathBuf::from("alt.csv")]).is_err());
        assert!(detect_files(Source::Un, &files).is_err());
        assert!(detect_files(Source::Eu, &files).is_err());
    }

    /// Regression (issue 10): a 1 GB file was read whole into memory before the parser
    /// refused it; it is now refused from its size, before any read.
    #[test]
    fn a_file_larger_than_any_list_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("consolidated.xml");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_DOWNLOAD + 1).unwrap(); // sparse: no disk used
        let mut engine = Engine::in_memory().unwrap();
        let err =
            engine.import_files(Source::Un, std::slice::from_ref(&path), None, false).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("larger than any list file"), "{err}");
        assert!(engine.lists().unwrap().is_empty());
    }
}

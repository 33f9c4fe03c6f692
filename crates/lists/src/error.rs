//! The one error type of this crate.

/// Why a list file could not be parsed. Every variant names the file and the line (or the
/// record) where the problem was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be read.
    #[error("{file}: read error: {source}")]
    Io {
        /// File name.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Bytes that are not UTF-8.
    #[error("{file}:{line}: invalid UTF-8")]
    Utf8 {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
    },
    /// The XML declaration names an encoding other than UTF-8.
    #[error("{file}:{line}: unsupported encoding {encoding:?} (only UTF-8 is accepted)")]
    Encoding {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// The declared encoding.
        encoding: String,
    },
    /// XML that is not well-formed.
    #[error("{file}:{line}: malformed XML: {message}")]
    Xml {
        /// File name.
        file: String,
        /// 1-based line (where the reader stopped).
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// A DOCTYPE (and with it entity declarations) is refused: entity expansion is a
    /// denial-of-service risk and the official lists never use it.
    #[error("{file}:{line}: DOCTYPE / entity declarations are not accepted")]
    Doctype {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
    },
    /// The root element is not the one the format requires.
    #[error("{file}:{line}: root element is <{found}>, expected <{expected}>")]
    UnexpectedRoot {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// The root element found.
        found: String,
        /// The root element expected.
        expected: &'static str,
    },
    /// An element or text where the format has none.
    #[error("{file}:{line}: unexpected {what}")]
    Unexpected {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// What was found, and where.
        what: String,
    },
    /// An input larger or deeper than any real list (a guard against hostile files).
    #[error("{file}:{line}: {what} exceeds the limit of {limit}")]
    Limit {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is too large ("field size in bytes", "element nesting depth").
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A record that lacks something it must have or holds an impossible value.
    #[error("{file}:{line}: record {record}: {message}")]
    Record {
        /// File name.
        file: String,
        /// 1-based line where the record ends (XML) or starts (CSV).
        line: u64,
        /// The record's id or reference, when known.
        record: String,
        /// What was wrong.
        message: String,
    },
    /// Two records with the same id.
    #[error("{file}:{line}: duplicate id {id} (first seen on line {first_line})")]
    Duplicate {
        /// File name.
        file: String,
        /// 1-based line of the second record.
        line: u64,
        /// The id.
        id: String,
        /// Line of the first record.
        first_line: u64,
    },
    /// A CSV row with the wrong number of columns.
    #[error("{file}:{line}: expected {expected} columns, found {found}")]
    ColumnCount {
        /// File name.
        file: String,
        /// 1-based line where the row starts.
        line: u64,
        /// Columns the format has.
        expected: usize,
        /// Columns in the row.
        found: usize,
    },
    /// A CSV field that breaks the quoting rules.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// An OFAC ent_num that is not a number.
    #[error("{file}:{line}: ent_num {value:?} is not a number")]
    BadEntNum {
        /// File name.
        file: String,
        /// 1-based line.
        line: u64,
        /// The value found.
        value: String,
    },
    /// An alt.csv / add.csv row whose ent_num is not in the sdn.csv it came with.
    #[error("{file}:{line}: ent_num {ent_num} does not exist in {sdn_file}")]
    UnknownEntNum {
        /// File name (alt or add file).
        file: String,
        /// 1-based line.
        line: u64,
        /// The ent_num.
        ent_num: u64,
        /// The sdn file it was looked up in.
        sdn_file: String,
    },
    /// A file that holds no entries at all.
    #[error("{file}:{line}: the file holds no entries")]
    Empty {
        /// File name.
        file: String,
        /// Last line of the file.
        line: u64,
    },
}

impl Error {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            Error::Io { file, .. }
            | Error::Utf8 { file, .. }
            | Error::Encoding { file, .. }
            | Error::Xml { file, .. }
            | Error::Doctype { file, .. }
            | Error::UnexpectedRoot { file, .. }
            | Error::Unexpected { file, .. }
            | Error::Limit { file, .. }
            | Error::Record { file, .. }
            | Error::Duplicate { file, .. }
            | Error::ColumnCount { file, .. }
            | Error::Csv { file, .. }
            | Error::BadEntNum { file, .. }
            | Error::UnknownEntNum { file, .. }
            | Error::Empty { file, .. } => file,
        }
    }

    /// The 1-based line the error is about, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::Io { .. } => None,
            Error::Utf8 { line, .. }
            | Error::Encoding { line, .. }
            | Error::Xml { line, .. }
            | Error::Doctype { line, .. }
            | Error::UnexpectedRoot { line, .. }
            | Error::Unexpected { line, .. }
            | Error::Limit { line, .. }
            | Error::Record { line, .. }
            | Error::Duplicate { line, .. }
            | Error::ColumnCount { line, .. }
            | Error::Csv { line, .. }
            | Error::BadEntNum { line, .. }
            | Error::UnknownEntNum { line, .. }
            | Error::Empty { line, .. } => Some(*line),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

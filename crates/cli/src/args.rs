//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Import, version and screen official sanctions lists (UN, OFAC).
#[derive(Debug, Parser)]
#[command(name = "sanctions", version, about, long_about = None)]
pub struct Cli {
    /// The store (SQLite file). Default: $SANCTIONS_DB, else the user's data directory.
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download the official lists (or read them from a mirror folder) and import new versions.
    Update(UpdateArgs),
    /// Import official list files as a new version.
    Import(ImportArgs),
    /// Show the list versions held.
    Lists,
    /// Screen a name (or a batch file) against the lists.
    Screen(ScreenArgs),
    /// Score two names against each other and explain the score.
    Compare(CompareArgs),
    /// Print one list entry in full.
    Show(ShowArgs),
    /// Every revision of an entry across list versions.
    History(HistoryArgs),
    /// What changed between two versions of a list.
    Diff(DiffArgs),
    /// Serve the HTTP API (JSON under /v1, OpenAPI at /v1/openapi.json).
    Serve(ServeArgs),
    /// Check the audit trail of the HTTP server.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API key helpers.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Record and list exemptions from sanctions measures (travel, asset freeze, humanitarian).
    #[command(subcommand)]
    Exemption(ExemptionCommand),
    /// Which measures bind a listed party, and whether an exemption covers a trip or payment.
    #[command(subcommand)]
    Check(CheckCommand),
    /// Monitor a customer base: register customers, re-screen them as the lists change.
    #[command(subcommand)]
    Monitor(MonitorCommand),
    /// Record a decision on a monitoring alert.
    Decide(DecideArgs),
    /// Find mentions of listed names in a text or a payment message (MT103, pacs.008).
    Scan(ScanArgs),
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
    /// Server configuration file (TOML, or JSON when named *.json): API keys, limits, audit log.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Audit log path (default: the store path with `.audit.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

/// `audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log: any edited, deleted, inserted or reordered
    /// record is reported with its line.
    Verify {
        /// The audit log (default: the store path with `.audit.jsonl`).
        #[arg(value_name = "FILE")]
        path: Option<PathBuf>,
    },
}

/// `key`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the SHA-256 hash of an API key, to put in the server configuration (read from
    /// standard input so the key stays out of the shell history).
    Hash,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Read the official files from this folder (`un/consolidated.xml`, `ofac/sdn.csv`...)
    /// instead of downloading them.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// Import even if a list shrinks by more than 20%.
    #[arg(long)]
    pub force: bool,
}

/// `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The list: un or ofac.
    pub source: String,
    /// The file(s): UN consolidated.xml; OFAC sdn.csv [alt.csv] [add.csv].
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Publication date (YYYY-MM-DD) for lists whose files carry none (OFAC CSV).
    #[arg(long, value_name = "DATE")]
    pub published: Option<String>,
    /// Import even if the list shrinks by more than 20%.
    #[arg(long)]
    pub force: bool,
}

/// Batch file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// `screen`.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// The name to screen (any script). Omit with --batch.
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub name: Option<String>,
    /// Date of birth: YYYY or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub dob: Option<String>,
    /// Nationality (country name or ISO code).
    #[arg(long)]
    pub nationality: Option<String>,
    /// Kind: person, organization, vessel or aircraft.
    #[arg(long)]
    pub kind: Option<String>,
    /// A document number (passport, national id); repeatable.
    #[arg(long = "id", value_name = "NUMBER")]
    pub identifiers: Vec<String>,
    /// Most hits per query.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Lowest score reported (0..1). Default: the algorithm's alert threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Screen against the lists as they were on this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Screen every query of a file (JSONL lines {"qid","name","kind","birth_date","nationality"}
    /// or CSV with those columns); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<PathBuf>,
    /// Output format of --batch (and input format when the file name does not tell).
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write batch results here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Include explanations in batch output.
    #[arg(long)]
    pub explain: bool,
    /// Worker threads for --batch (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// First name (the query). Omit with --pairs.
    #[arg(required_unless_present = "pairs")]
    pub name1: Option<String>,
    /// Second name (the listed name). Omit with --pairs.
    #[arg(required_unless_present = "pairs")]
    pub name2: Option<String>,
    /// Kind of both.
    #[arg(long)]
    pub kind: Option<String>,
    /// Score every pair of a file: tab-separated `name1<TAB>name2[<TAB>...]` lines, or `-` for
    /// standard input; writes one JSON line per pair (`{"line", "score"}`), for evaluation on
    /// labelled pairs.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name1", "name2"])]
    pub pairs: Option<PathBuf>,
}

/// `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Reference: `TAi.026`, `6636`, or with the list: `un:TAi.026`, `ofac:6636`.
    pub reference: String,
    /// The entry as listed on this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Reference: `TAi.026`, `un:TAi.026`, `ofac:6636`.
    pub reference: String,
}

/// `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The list: un or ofac.
    pub source: String,
    /// From version: a date (YYYY-MM-DD), #ID, latest or previous. Default: the one before TO.
    pub from: Option<String>,
    /// To version. Default: latest.
    pub to: Option<String>,
}

/// `monitor`.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Register customers from a file (CSV with a header, or JSONL): id, name, and optionally
    /// birth_date, nationality, kind, identifiers. A known id is updated. A file with any
    /// error adds nothing.
    Add {
        /// The customers file (`*.csv`, else JSONL); `-` reads JSONL from standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Screen the customers against the current list versions and record alerts: every
    /// customer the first time, then only what changed since the previous run.
    Run {
        /// Screen every customer against every entry, even if a delta would do.
        #[arg(long)]
        full: bool,
        /// Lowest score that raises an alert (0..1). Default: the algorithm's alert threshold.
        /// A different threshold than the previous run's forces a full run.
        #[arg(long)]
        threshold: Option<f32>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// List alerts (newest first) with their decision history.
    Alerts {
        /// Only open alerts.
        #[arg(long)]
        open: bool,
    },
}

/// `decide`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("verdict").required(true).args(["false_positive", "true_match"])))]
pub struct DecideArgs {
    /// The alert id (from `monitor alerts`).
    pub alert_id: i64,
    /// Not the listed party: the alert stays quiet until the list entry changes.
    #[arg(long)]
    pub false_positive: bool,
    /// The listed party.
    #[arg(long)]
    pub true_match: bool,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// Who decided.
    #[arg(long)]
    pub by: String,
}

/// `exemption`.
#[derive(Debug, Subcommand)]
pub enum ExemptionCommand {
    /// Record a granted exemption (checked against the regime catalogue).
    Add(Box<ExemptionAddArgs>),
    /// List the recorded exemptions.
    List,
}

/// `exemption add`.
#[derive(Debug, Args)]
pub struct ExemptionAddArgs {
    /// What it lifts: travel, asset-freeze or humanitarian.
    #[arg(long)]
    pub kind: String,
    /// The exempted entry: `un:TAi.026` (or a bare reference).
    #[arg(long = "ref", value_name = "REFERENCE", required_unless_present = "regime")]
    pub reference: Option<String>,
    /// The regime (catalogue id such as `un-taliban`); default: the entry's regime.
    #[arg(long)]
    pub regime: Option<String>,
    /// First day covered (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day covered (YYYY-MM-DD); omit for a standing exemption.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// A destination country (ISO code or name); repeatable.
    #[arg(long = "to-country", value_name = "COUNTRY")]
    pub to_country: Vec<String>,
    /// The purpose as granted.
    #[arg(long)]
    pub purpose: String,
    /// The source document, e.g. a committee press release number (`SC/14660`).
    #[arg(long, value_name = "ID")]
    pub document: Option<String>,
    /// Who records it (default: $USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// `check`.
#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// May a listed person travel to a country on a day: listed then, travel ban, exemption.
    Travel(CheckTravelArgs),
    /// Screen a payee and report asset freezes and the carve-outs that apply to the purpose.
    Payment(CheckPaymentArgs),
}

/// `check travel`.
#[derive(Debug, Args)]
pub struct CheckTravelArgs {
    /// Reference: `TAi.026` or `un:TAi.026`.
    pub reference: String,
    /// Destination country (ISO code or name).
    #[arg(long = "to", value_name = "COUNTRY")]
    pub to: String,
    /// Day of travel (YYYY-MM-DD).
    #[arg(long = "on", value_name = "DATE")]
    pub on: String,
}

/// `check payment`.
#[derive(Debug, Args)]
pub struct CheckPaymentArgs {
    /// The payee's name.
    #[arg(long)]
    pub name: String,
    /// The purpose: `humanitarian` brings in the standing humanitarian carve-outs.
    #[arg(long)]
    pub purpose: String,
    /// Day of the payment (YYYY-MM-DD): the lists in force then; default today, latest lists.
    #[arg(long = "on", value_name = "DATE")]
    pub on: Option<String>,
    /// Lowest score reported (0..1). Default: the algorithm's alert threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
}

/// Input formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Plain UTF-8 text in any script.
    Text,
    /// SWIFT MT103 (fields 50a, 52a, 56a, 57a, 59a, 70, 72 are screened).
    Mt103,
    /// ISO 20022 pacs.008 XML (Dbtr, Cdtr, UltmtDbtr, UltmtCdtr, agents, RmtInf/Ustrd).
    Pacs008,
}

/// `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The text or message to scan; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// What the input is.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// Lowest score reported (0..1). Default: the algorithm's alert threshold.
    #[arg(long)]
    pub threshold: Option<f32>,
    /// Most entries reported per mention.
    #[arg(long, default_value_t = 3)]
    pub limit: usize,
    /// Scan against the lists as they were on this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

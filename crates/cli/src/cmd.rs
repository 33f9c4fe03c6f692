//! Subcommands.

mod batch;
mod monitor;
mod regimes;
mod scan;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sanctions_engine::model::{EntityKind, PartialDate, Source};
use sanctions_engine::{DEFAULT_THRESHOLD, Engine, ScreenRequest, SourceUrls};

use crate::args::{
    AuditCommand, Cli, Command, CompareArgs, DiffArgs, HistoryArgs, ImportArgs, KeyCommand,
    ScreenArgs, ServeArgs, ShowArgs, UpdateArgs,
};
use crate::render;

/// The store path: --db, else $SANCTIONS_DB, else the user's data directory.
fn db_path(cli_db: Option<PathBuf>) -> PathBuf {
    if let Some(p) = cli_db {
        return p;
    }
    if let Some(p) = std::env::var_os("SANCTIONS_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("sanctions").join("sanctions.sqlite")
}

pub(crate) fn parse_date(s: &str, what: &str) -> Result<PartialDate> {
    s.parse::<PartialDate>()
        .with_context(|| format!("{what}: expected YYYY, YYYY-MM or YYYY-MM-DD"))
}

fn parse_source(s: &str) -> Result<Source> {
    Ok(s.parse::<Source>()?)
}

pub(crate) fn parse_kind(s: &str) -> Result<EntityKind> {
    s.parse::<EntityKind>().map_err(anyhow::Error::msg)
}

fn check_threshold(t: Option<f32>) -> Result<f32> {
    let t = t.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&t) || t.is_nan() {
        bail!("--threshold must be between 0 and 1, got {t}");
    }
    Ok(t)
}

/// Sends log records to standard error, filtered by `SANCTIONS_LOG` (as `RUST_LOG`), else by
/// `default`; without either, nothing is logged.
///
/// The lines are written by a thread of their own in batches (`logwriter`), so that a request
/// or a run never waits on a write to standard error (a file on a busy disk, a slow pipe) nor
/// wakes a thread for each line; none is dropped (a full buffer makes the logging thread wait
/// instead), warnings and errors are written at once. Keep the returned guard until the
/// command ends: dropping it writes what is left.
fn init_logging(default: Option<&str>) -> Option<crate::logwriter::LogGuard> {
    use tracing_subscriber::EnvFilter;
    let filter = match (EnvFilter::try_from_env("SANCTIONS_LOG"), default) {
        (Ok(f), _) => f,
        (Err(_), Some(d)) => EnvFilter::new(d),
        (Err(_), None) => return None,
    };
    // Colours only for a terminal: a log piped to a file stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = crate::logwriter::LogWriter::spawn(
        "sanctions-log",
        std::io::stderr(),
        crate::logwriter::LogWriter::INTERVAL,
    )
    .ok()?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Runs a command.
pub fn run(cli: Cli) -> Result<()> {
    let db = db_path(cli.db);
    let json = cli.json;
    // The server logs at `info` unless told otherwise; other commands only when asked.
    let _log = init_logging(matches!(cli.command, Command::Serve(_)).then_some("info"));
    match cli.command {
        Command::Update(a) => update(&db, a, json),
        Command::Import(a) => import(&db, a, json),
        Command::Lists => lists(&db, json),
        Command::Screen(a) => screen(&db, a, json),
        Command::Compare(a) => compare(&db, a, json),
        Command::Show(a) => show(&db, a, json),
        Command::History(a) => history(&db, a, json),
        Command::Diff(a) => diff(&db, a, json),
        Command::Serve(a) => serve(&db, a),
        Command::Audit(AuditCommand::Verify { path }) => audit_verify(&db, path, json),
        Command::Key(KeyCommand::Hash) => key_hash(json),
        Command::Exemption(c) => regimes::exemption(&db, c, json),
        Command::Check(c) => regimes::check(&db, c, json),
        Command::Monitor(c) => monitor::command(&db, c, json),
        Command::Decide(a) => monitor::decide(&db, a, json),
        Command::Scan(a) => scan::run(&db, a, json),
    }
}

fn serve(db: &std::path::Path, a: ServeArgs) -> Result<()> {
    let mut config = sanctions_server::ServerConfig::new(db);
    if let Some(path) = &a.config {
        config.apply_file(path).with_context(|| format!("configuration {}", path.display()))?;
    }
    config.apply_env()?;
    if let Some(p) = a.audit_log {
        config.audit_log = Some(p);
    }
    config.validate()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener =
            listen(&a.addr).await.with_context(|| format!("cannot listen on {}", a.addr))?;
        eprintln!(
            "sanctions: serving on http://{} (OpenAPI at /v1/openapi.json)",
            listener.local_addr()?
        );
        sanctions_server::serve(config, listener, sanctions_server::shutdown_signal()).await
    })
}

/// Connections the kernel may hold for `serve` before they are accepted (capped by
/// `net.core.somaxconn`, 4096 by default on Linux).
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` (the first address it resolves to) with a listen backlog of
/// [`LISTEN_BACKLOG`]: clients beyond `max_connections` wait in the backlog, and with tokio's
/// default of 1,024 a crowd of slow clients overflowed it. A connection that overflows the
/// backlog has its handshake dropped and retried with a growing delay, so its request could
/// arrive after the server's idle timeout had started and closed it unanswered (the
/// slow-clients test, docs/reliability.md).
async fn listen(addr: &str) -> Result<tokio::net::TcpListener> {
    let addr = tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{addr} resolves to no address"))?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket.listen(LISTEN_BACKLOG)?)
}

fn audit_verify(db: &std::path::Path, path: Option<PathBuf>, json: bool) -> Result<()> {
    let path = path.unwrap_or_else(|| audit_log_path(db));
    match sanctions_server::verify_audit_log(&path) {
        Ok(report) => {
            if json {
                return print_json(&serde_json::json!({ "ok": true, "report": report }));
            }
            out(&format!(
                "{}: {} records, hash chain intact; head hash {}\n\
                 Keep the head hash elsewhere: records cut from the end can only be detected against it.\n",
                report.path.display(),
                report.records,
                report.head_hash
            ))?;
            Ok(())
        }
        Err(e) => {
            if json {
                print_json(
                    &serde_json::json!({ "ok": false, "error": e.to_string(), "line": e.line() }),
                )?;
            }
            Err(anyhow::Error::new(e)
                .context(format!("audit log {} failed verification", path.display())))
        }
    }
}

fn key_hash(json: bool) -> Result<()> {
    let mut key = String::new();
    std::io::stdin().read_line(&mut key)?;
    let key = key.trim();
    if key.is_empty() {
        bail!("no key on standard input");
    }
    let h = sanctions_server::hash_key(key);
    if json {
        return print_json(&serde_json::json!({ "sha256": h }));
    }
    out(&format!("{h}\n"))?;
    Ok(())
}

/// The audit log the server of this store writes: `$SANCTIONS_AUDIT_LOG`, else
/// `<db>.audit.jsonl`.
pub(crate) fn audit_log_path(db: &std::path::Path) -> PathBuf {
    let mut config = sanctions_server::ServerConfig::new(db);
    // Reading an environment variable into a path cannot fail.
    let _ = config.apply_audit_env();
    config.audit_log_path()
}

/// Who acts on the command line, as the audit log names them: `cli:USER`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER").ok().filter(|u| !u.trim().is_empty());
    format!("cli:{}", user.as_deref().unwrap_or("unknown"))
}

/// Appends an act to the store's audit log, after the store recorded it. A failure says
/// that the store holds the change but the log does not.
pub(crate) fn audit(db: &std::path::Path, event: sanctions_server::AuditEvent) -> Result<()> {
    let path = audit_log_path(db);
    let what = event.event;
    sanctions_server::append_audit_event(&path, event).map(|_| ()).with_context(|| {
        format!(
            "{what} is recorded in the store, but could not be written to the audit log {}",
            path.display()
        )
    })
}

pub(crate) fn open(db: &std::path::Path) -> Result<Engine> {
    Engine::open(db).with_context(|| format!("cannot open the store {}", db.display()))
}

/// Writes text to standard output (errors, such as a closed pipe, are returned, not panics).
pub(crate) fn out(text: &str) -> Result<()> {
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()?;
    Ok(())
}

pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn update(db: &std::path::Path, a: UpdateArgs, json: bool) -> Result<()> {
    let mut engine = open(db)?;
    let reports = match &a.mirror {
        Some(dir) => engine.update_from_mirror(dir, a.force)?,
        None => engine.update_from_web(&SourceUrls::from_env(), a.force)?,
    };
    if json {
        return print_json(&reports);
    }
    for r in &reports {
        out(&format!("{}\n", render::import_report(r)))?;
    }
    Ok(())
}

/// On a store with no list, loads the lists first (from $SANCTIONS_MIRROR, else the web).
pub(crate) fn ensure_loaded(engine: &mut Engine) -> Result<()> {
    if !engine.is_empty()? {
        return Ok(());
    }
    let quiet = !std::io::stderr().is_terminal();
    let reports = match std::env::var_os("SANCTIONS_MIRROR").filter(|m| !m.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if !quiet {
                eprintln!(
                    "No list loaded yet: importing the official files from {} ...",
                    dir.display()
                );
            }
            engine.update_from_mirror(&dir, false)?
        }
        None => {
            if !quiet {
                eprintln!("No list loaded yet: downloading the official lists ...");
            }
            engine.update_from_web(&SourceUrls::from_env(), false).context(
                "no list is loaded and the download failed; set SANCTIONS_MIRROR to a folder of official files, \
                 or run `sanctions update --mirror DIR`",
            )?
        }
    };
    if !quiet {
        for r in &reports {
            eprintln!("{}", render::import_report(r));
        }
    }
    Ok(())
}

fn import(db: &std::path::Path, a: ImportArgs, json: bool) -> Result<()> {
    let source = parse_source(&a.source)?;
    let published = a.published.as_deref().map(|d| parse_date(d, "--published")).transpose()?;
    if let Some(p) = published {
        if !p.is_full() {
            bail!("--published must be a full date (YYYY-MM-DD), got {p}");
        }
    }
    let mut engine = open(db)?;
    let r = engine.import_files(source, &a.files, published, a.force)?;
    if json {
        return print_json(&r);
    }
    out(&format!("{}\n", render::import_report(&r)))?;
    Ok(())
}

fn lists(db: &std::path::Path, json: bool) -> Result<()> {
    let engine = open(db)?;
    let v = engine.lists()?;
    if json {
        return print_json(&v);
    }
    out(&render::versions(&v))?;
    Ok(())
}

pub(crate) fn request_from(
    name: String,
    dob: Option<&str>,
    nationality: Option<String>,
    kind: Option<&str>,
    identifiers: Vec<String>,
    threshold: f32,
    limit: usize,
) -> Result<ScreenRequest> {
    if name.trim().is_empty() {
        bail!("the name to screen is empty");
    }
    if name.len() > 1000 {
        bail!("the name to screen is longer than 1000 bytes");
    }
    let birth_date =
        dob.filter(|d| !d.trim().is_empty()).map(|d| parse_date(d, "birth date")).transpose()?;
    if let Some(d) = birth_date {
        if !(1850..=2100).contains(&d.year) {
            bail!("birth date {d} is out of range (1850..2100)");
        }
    }
    let kind = kind.filter(|k| !k.trim().is_empty()).map(parse_kind).transpose()?;
    Ok(ScreenRequest {
        name,
        birth_date,
        nationality: nationality.filter(|n| !n.trim().is_empty()),
        kind,
        identifiers,
        threshold,
        limit,
    })
}

fn screen(db: &std::path::Path, a: ScreenArgs, json: bool) -> Result<()> {
    let threshold = check_threshold(a.threshold)?;
    if a.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let as_of = a.as_of.as_deref().map(|d| parse_date(d, "--as-of")).transpose()?;
    // Check the input before anything is loaded.
    let req = match &a.batch {
        Some(_) => None,
        None => Some(request_from(
            a.name.clone().unwrap_or_default(),
            a.dob.as_deref(),
            a.nationality.clone(),
            a.kind.as_deref(),
            a.identifiers.clone(),
            threshold,
            a.limit,
        )?),
    };
    let mut engine = open(db)?;
    ensure_loaded(&mut engine)?;
    let snapshot = engine.snapshot(as_of)?;
    let Some(req) = req else {
        let path = a.batch.as_ref().expect("batch path");
        return batch::run(&snapshot, path, &a, threshold);
    };
    let result = snapshot.screen(&req);
    if json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            query: serde_json::Value,
            #[serde(flatten)]
            result: &'a sanctions_engine::ScreenResult,
        }
        let query = serde_json::json!({
            "name": req.name, "birth_date": req.birth_date, "nationality": req.nationality,
            "kind": req.kind, "identifiers": req.identifiers, "as_of": as_of,
        });
        return print_json(&Out { query, result: &result });
    }
    out(&render::screen(&req, &result, as_of))?;
    Ok(())
}

fn compare(db: &std::path::Path, a: CompareArgs, json: bool) -> Result<()> {
    let kind = a.kind.as_deref().map(parse_kind).transpose()?;
    // Word weights come from the loaded lists when there are any, else every word weighs the same.
    let engine = open(db)?;
    let list_weights = !engine.is_empty()?;
    let snapshot = if list_weights {
        engine.snapshot(None)?
    } else {
        std::sync::Arc::new(sanctions_engine::Snapshot::build(Vec::new(), Vec::new(), None))
    };
    if let Some(path) = &a.pairs {
        return compare_pairs(snapshot.index(), path, kind);
    }
    let (name1, name2) = (a.name1.clone().unwrap_or_default(), a.name2.clone().unwrap_or_default());
    if name1.trim().is_empty() || name2.trim().is_empty() {
        bail!("both names must be non-empty");
    }
    compare_with(snapshot.index(), &name1, &name2, kind, json, list_weights)
}

fn compare_pairs(
    index: &sanctions_engine::Index,
    path: &std::path::Path,
    kind: Option<EntityKind>,
) -> Result<()> {
    use std::io::BufRead;
    let label = path.display().to_string();
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {label}"))?,
        ))
    };
    let mut o = std::io::BufWriter::new(std::io::stdout().lock());
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{label}:{}: cannot read the line", i + 1))?;
        let mut cols = line.split('\t');
        let (Some(n1), Some(n2)) = (cols.next(), cols.next()) else {
            bail!("{label}:{}: expected name1<TAB>name2", i + 1);
        };
        let score = if n1.trim().is_empty() || n2.trim().is_empty() {
            0.0
        } else {
            index.compare(n1, n2, kind).score
        };
        writeln!(o, "{{\"line\":{},\"score\":{:.4}}}", i + 1, score)?;
    }
    o.flush()?;
    Ok(())
}

fn compare_with(
    index: &sanctions_engine::Index,
    name1: &str,
    name2: &str,
    kind: Option<EntityKind>,
    json: bool,
    list_weights: bool,
) -> Result<()> {
    let scored = index.compare(name1, name2, kind);
    if json {
        return print_json(&serde_json::json!({
            "name1": name1, "name2": name2, "score": scored.score,
            "threshold": (DEFAULT_THRESHOLD as f64 * 100.0).round() / 100.0, "alert": scored.score >= DEFAULT_THRESHOLD,
            "weights": if list_weights { "word rarity in the loaded lists" } else { "uniform (no list loaded)" },
            "algorithm": sanctions_engine::AlgorithmId::current(),
            "explanation": scored.explanation,
        }));
    }
    out(&render::compare(name1, name2, &scored, list_weights))?;
    Ok(())
}

fn show(db: &std::path::Path, a: ShowArgs, json: bool) -> Result<()> {
    let as_of = a.as_of.as_deref().map(|d| parse_date(d, "--as-of")).transpose()?;
    let engine = open(db)?;
    let (entity, version) = engine.show(&a.reference, as_of)?;
    if json {
        return print_json(&serde_json::json!({ "entity": entity, "version": version }));
    }
    out(&render::entity(&entity, &version))?;
    Ok(())
}

fn history(db: &std::path::Path, a: HistoryArgs, json: bool) -> Result<()> {
    let engine = open(db)?;
    let (source, steps) = engine.history(&a.reference)?;
    if json {
        return print_json(
            &serde_json::json!({ "source": source, "reference": a.reference, "history": steps }),
        );
    }
    out(&render::history(source, &a.reference, &steps))?;
    Ok(())
}

fn diff(db: &std::path::Path, a: DiffArgs, json: bool) -> Result<()> {
    let source = parse_source(&a.source)?;
    let engine = open(db)?;
    let d = engine.diff(source, a.from.as_deref(), a.to.as_deref())?;
    if json {
        return print_json(&d);
    }
    out(&render::diff(&d))?;
    Ok(())
}

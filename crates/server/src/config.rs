//! Server configuration: limits, API keys (as SHA-256 hashes) and the audit log path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The environment variable holding API keys: `id:role:sha256hex,...`.
pub const API_KEYS_ENV: &str = "SANCTIONS_API_KEYS";

/// The environment variable naming the audit log (else `<db>.audit.jsonl`), read by the
/// server and by the commands that record acts in the log (`exemption add`, `decide`,
/// `monitor run`).
pub const AUDIT_LOG_ENV: &str = "SANCTIONS_AUDIT_LOG";

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Screen, read entities, versions, diffs and history.
    Read,
    /// Everything `Read` may, plus the admin endpoints (reload).
    Admin,
}

impl std::str::FromStr for Role {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Role, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Role::Read),
            "admin" => Ok(Role::Admin),
            other => Err(ConfigError::Invalid(format!(
                "unknown role {other:?} (expected read or admin)"
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Role::Read => "read",
            Role::Admin => "admin",
        })
    }
}

/// One API key: an id (logged and written to the audit log), a role, and the SHA-256 of the
/// secret. The secret itself is never configured or stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Name of the key (e.g. the client system); appears in logs and the audit log.
    pub id: String,
    /// What the key may do.
    pub role: Role,
    /// SHA-256 of the secret key.
    pub sha256: [u8; 32],
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("sha256", &"<redacted>")
            .finish()
    }
}

impl ApiKey {
    /// A key from its id, role and the hex SHA-256 of its secret.
    pub fn new(id: &str, role: Role, sha256_hex: &str) -> Result<ApiKey, ConfigError> {
        let id = id.trim();
        if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_control() || c == ':') {
            return Err(ConfigError::Invalid(format!(
                "API key id {id:?} must be 1 to 64 characters, without ':' or control characters"
            )));
        }
        let sha256 = parse_hex32(sha256_hex.trim()).ok_or_else(|| {
            ConfigError::Invalid(format!(
                "API key {id:?}: sha256 must be 64 hex digits (the SHA-256 of the key, not the key)"
            ))
        })?;
        Ok(ApiKey { id: id.to_string(), role, sha256 })
    }
}

/// The hex SHA-256 of a secret key, as it goes in the configuration
/// (the same as `printf %s "$KEY" | sha256sum`).
///
/// # Examples
///
/// ```
/// assert_eq!(
///     sanctions_server::hash_key("secret"),
///     "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
/// );
/// ```
pub fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// A configuration that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML / JSON for the configuration.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A value is out of range or malformed.
    #[error("{0}")]
    Invalid(String),
}

/// Everything the server needs to run.
///
/// Build it with [`ServerConfig::new`] (defaults), then [`ServerConfig::apply_file`] and
/// [`ServerConfig::apply_env`].
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The store (SQLite file) to serve.
    pub db: PathBuf,
    /// API keys. Empty: no authentication, and the admin endpoints are disabled.
    pub keys: Vec<ApiKey>,
    /// Largest request body accepted, in bytes (default 1 MiB); larger gets 413.
    pub max_body_bytes: usize,
    /// Deadline of one request (default 10 s); past it the request gets 503 `timeout`.
    pub request_timeout: Duration,
    /// Most queries in one batch (default 1000); more gets 422 `batch_too_large`.
    pub max_batch: usize,
    /// Largest `limit` (hits per query) a request may ask for (default 100).
    pub max_limit: usize,
    /// How many `as_of` snapshots are kept in memory besides the current one (default 4).
    pub as_of_cache: usize,
    /// The append-only audit log. `None`: `<db>.audit.jsonl`.
    pub audit_log: Option<PathBuf>,
    /// `None` (default): the audit records of a request are synced to disk before it is
    /// answered. `Some(t)` (1 ms to 1 s): they are written before it is answered and synced
    /// within `t` in the background; a power loss can lose the last `t` of records.
    pub audit_sync_interval: Option<Duration>,
    /// Most connections open at once (default 1024); more wait in the listen backlog until one
    /// closes. Bounds the memory that idle or slow clients can hold.
    pub max_connections: usize,
    /// A connection on which nothing has been sent back for this long (default 30 s) is closed
    /// when it next waits for the client: a slow or stalled client (slowloris) or an idle
    /// keep-alive connection frees its place. At least `request_timeout` plus one second is
    /// used, so that a request still running never loses its connection.
    pub idle_timeout: Duration,
}

impl ServerConfig {
    /// Defaults for a store at `db`.
    pub fn new(db: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            db: db.into(),
            keys: Vec::new(),
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(10),
            max_batch: 1000,
            max_limit: 100,
            as_of_cache: 4,
            audit_log: None,
            audit_sync_interval: None,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(30),
        }
    }

    /// The idle timeout in force: [`ServerConfig::idle_timeout`], but at least the request
    /// deadline plus one second.
    pub fn effective_idle_timeout(&self) -> Duration {
        self.idle_timeout.max(self.request_timeout + Duration::from_secs(1))
    }

    /// The audit log path: the configured one, else `<db>.audit.jsonl`.
    pub fn audit_log_path(&self) -> PathBuf {
        match &self.audit_log {
            Some(p) => p.clone(),
            None => {
                let mut s = self.db.as_os_str().to_owned();
                s.push(".audit.jsonl");
                PathBuf::from(s)
            }
        }
    }

    /// Applies a configuration file: TOML, or JSON when the name ends in `.json`.
    /// Keys listed there are added to those already configured.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
        let file: FileConfig = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            serde_json::from_str(&text).map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        } else {
            toml::from_str(&text).map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        };
        self.apply(file)
    }

    /// Adds the keys of `$SANCTIONS_API_KEYS` (`id:role:sha256hex,...`), if set.
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        self.apply_audit_env()?;
        match std::env::var(API_KEYS_ENV) {
            Ok(v) => self.apply_keys_spec(&v),
            Err(std::env::VarError::NotPresent) => Ok(()),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(ConfigError::Invalid(format!("{API_KEYS_ENV} is not valid UTF-8")))
            }
        }
    }

    /// Takes the audit log path from `$SANCTIONS_AUDIT_LOG` when it is set and not empty.
    pub fn apply_audit_env(&mut self) -> Result<(), ConfigError> {
        match std::env::var_os(AUDIT_LOG_ENV) {
            Some(p) if !p.is_empty() => self.audit_log = Some(PathBuf::from(p)),
            _ => {}
        }
        Ok(())
    }

    /// Adds keys given as `id:role:sha256hex,...` (the `$SANCTIONS_API_KEYS` format).
    pub fn apply_keys_spec(&mut self, spec: &str) -> Result<(), ConfigError> {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let mut parts = item.splitn(3, ':');
            let (Some(id), Some(role), Some(hash)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(ConfigError::Invalid(format!(
                    "{API_KEYS_ENV}: expected id:role:sha256hex, got an entry with {} part(s)",
                    item.split(':').count()
                )));
            };
            self.push_key(ApiKey::new(id, role.parse()?, hash)?)?;
        }
        Ok(())
    }

    fn push_key(&mut self, key: ApiKey) -> Result<(), ConfigError> {
        if self.keys.iter().any(|k| k.id == key.id) {
            return Err(ConfigError::Invalid(format!(
                "API key id {:?} is configured twice",
                key.id
            )));
        }
        self.keys.push(key);
        Ok(())
    }

    fn apply(&mut self, f: FileConfig) -> Result<(), ConfigError> {
        if let Some(v) = f.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = f.request_timeout_ms {
            self.request_timeout = Duration::from_millis(v);
        }
        if let Some(v) = f.max_batch {
            self.max_batch = v;
        }
        if let Some(v) = f.max_limit {
            self.max_limit = v;
        }
        if let Some(v) = f.as_of_cache {
            self.as_of_cache = v;
        }
        if let Some(v) = f.audit_log {
            self.audit_log = Some(v);
        }
        if let Some(v) = f.audit_sync_interval_ms {
            self.audit_sync_interval = Some(Duration::from_millis(v));
        }
        if let Some(v) = f.max_connections {
            self.max_connections = v;
        }
        if let Some(v) = f.idle_timeout_ms {
            self.idle_timeout = Duration::from_millis(v);
        }
        for k in f.keys {
            self.push_key(ApiKey::new(&k.id, k.role, &k.sha256)?)?;
        }
        self.validate()
    }

    /// Checks that the limits make sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(format!("{what} must be at least 1")));
        if self.max_body_bytes == 0 {
            return bad("max_body_bytes");
        }
        if self.request_timeout.is_zero() {
            return bad("request_timeout_ms");
        }
        if self.max_batch == 0 {
            return bad("max_batch");
        }
        if self.max_limit == 0 {
            return bad("max_limit");
        }
        if self.max_connections == 0 {
            return bad("max_connections");
        }
        if self.idle_timeout.is_zero() {
            return bad("idle_timeout_ms");
        }
        if let Some(t) = self.audit_sync_interval {
            if t.is_zero() || t > Duration::from_secs(1) {
                return Err(ConfigError::Invalid(
                    "audit_sync_interval_ms must be from 1 to 1000".into(),
                ));
            }
        }
        Ok(())
    }
}

/// The configuration file: every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    max_body_bytes: Option<usize>,
    request_timeout_ms: Option<u64>,
    max_batch: Option<usize>,
    max_limit: Option<usize>,
    as_of_cache: Option<usize>,
    audit_log: Option<PathBuf>,
    audit_sync_interval_ms: Option<u64>,
    max_connections: Option<usize>,
    idle_timeout_ms: Option<u64>,
    #[serde(default)]
    keys: Vec<FileKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    id: String,
    role: Role,
    sha256: String,
}

#[cfg(test)]
mod tests {
    //! Key specs, file formats, and redaction.
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), want);
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn keys_spec() {
        let h = hash_key("k1");
        let mut c = ServerConfig::new("db.sqlite");
        c.apply_keys_spec(&format!("app:read:{h}, ops:admin:{h}")).unwrap();
        assert_eq!(c.keys.len(), 2);
        assert_eq!(c.keys[1].role, Role::Admin);
        assert!(c.apply_keys_spec(&format!("app:read:{h}")).is_err(), "duplicate id");
        assert!(c.apply_keys_spec("x:read:abc").is_err());
        assert!(c.apply_keys_spec(&format!("x:root:{h}")).is_err());
        assert!(c.apply_keys_spec("x:read").is_err());
        assert!(!format!("{:?}", c.keys[0]).contains(&h[..8]));
    }

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let h = hash_key("k1");
        let toml_path = dir.path().join("server.toml");
        std::fs::write(
            &toml_path,
            format!("max_batch = 5\nrequest_timeout_ms = 2000\n[[keys]]\nid = \"a\"\nrole = \"admin\"\nsha256 = \"{h}\"\n"),
        )
        .unwrap();
        let mut c = ServerConfig::new("x.sqlite");
        c.apply_file(&toml_path).unwrap();
        assert_eq!(c.max_batch, 5);
        assert_eq!(c.request_timeout, Duration::from_secs(2));
        assert_eq!(c.keys[0].id, "a");

        let json_path = dir.path().join("server.json");
        std::fs::write(&json_path, r#"{"max_body_bytes": 10, "audit_log": "/tmp/a.jsonl"}"#)
            .unwrap();
        let mut c = ServerConfig::new("x.sqlite");
        c.apply_file(&json_path).unwrap();
        assert_eq!(c.max_body_bytes, 10);
        assert_eq!(c.audit_log_path(), PathBuf::from("/tmp/a.jsonl"));

        std::fs::write(&json_path, r#"{"max_bdy_bytes": 10}"#).unwrap();
        assert!(matches!(c.apply_file(&json_path), Err(ConfigError::Syntax { .. })));
        std::fs::write(&json_path, r#"{"max_batch": 0}"#).unwrap();
        assert!(matches!(c.apply_file(&json_path), Err(ConfigError::Invalid(_))));
        assert_eq!(c.audit_sync_interval, None, "synced before answering by default");
        std::fs::write(&toml_path, "audit_sync_interval_ms = 20\n").unwrap();
        let mut c = ServerConfig::new("x.sqlite");
        c.apply_file(&toml_path).unwrap();
        assert_eq!(c.audit_sync_interval, Some(Duration::from_millis(20)));
        for bad in ["0", "1001"] {
            std::fs::write(&toml_path, format!("audit_sync_interval_ms = {bad}\n")).unwrap();
            let mut c = ServerConfig::new("x.sqlite");
            assert!(matches!(c.apply_file(&toml_path), Err(ConfigError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn default_audit_path() {
        let c = ServerConfig::new("/data/s.sqlite");
        assert_eq!(c.audit_log_path(), PathBuf::from("/data/s.sqlite.audit.jsonl"));
    }
}

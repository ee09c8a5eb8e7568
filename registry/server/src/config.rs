//! Command line, environment and config file, resolved into [`Settings`].
//!
//! Precedence: flag, then environment variable (clap reads both), then the
//! `--config` TOML file (same keys as the flags), then the defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

use crate::api::ApiOptions;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "evreg-data";
/// The SQLite file inside the data directory.
pub const DB_FILE: &str = "evreg.db";
/// Default request body limit: 16 MiB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// `evreg`: a schema registry speaking the Confluent Schema Registry REST API.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "evreg", version, about)]
pub struct Args {
    /// Address to listen on [default: 127.0.0.1:8081].
    #[arg(long, env = "EVREG_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Directory for the SQLite database, created if missing [default: ./evreg-data].
    #[arg(long, env = "EVREG_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite:...`, or `postgres://...` to share one database
    /// between several evreg instances; overrides --data-dir.
    #[arg(long, env = "EVREG_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Give up starting when PostgreSQL stays unreachable this long, in
    /// seconds [default: keep trying].
    #[arg(long, env = "EVREG_DATABASE_STARTUP_TIMEOUT", value_name = "SECONDS")]
    pub database_startup_timeout: Option<u64>,
    /// Optional TOML file with the same keys as these flags (`listen`, `data-dir`, ...).
    #[arg(long, env = "EVREG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Largest request body in bytes; larger requests get 413 [default: 16777216].
    #[arg(long, env = "EVREG_MAX_BODY", value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// `error_code` for an incompatible schema: 409 (classic Confluent) or 40901 (newer) [default: 409].
    #[arg(long, env = "EVREG_INCOMPATIBLE_ERROR_CODE", value_name = "CODE")]
    pub incompatible_error_code: Option<u32>,
}

/// The `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    listen: Option<String>,
    #[serde(alias = "data_dir")]
    data_dir: Option<PathBuf>,
    #[serde(alias = "database_url")]
    database_url: Option<String>,
    #[serde(alias = "database_startup_timeout")]
    database_startup_timeout: Option<u64>,
    #[serde(alias = "max_body")]
    max_body: Option<usize>,
    #[serde(alias = "incompatible_error_code")]
    incompatible_error_code: Option<u32>,
}

/// Where the registry keeps its data.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file in a data directory (created if missing).
    SqliteFile(PathBuf),
    /// A `sqlite:` URL, used as given.
    SqliteUrl(String),
    /// A `postgres://` URL: several instances may share the database.
    Postgres(String),
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::SqliteFile(p) => f.debug_tuple("SqliteFile").field(p).finish(),
            Database::SqliteUrl(u) => f.debug_tuple("SqliteUrl").field(u).finish(),
            // Logged at startup: never show the password.
            Database::Postgres(u) => f.debug_tuple("Postgres").field(&redact(u)).finish(),
        }
    }
}

/// A URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Storage.
    pub database: Database,
    /// HTTP options.
    pub api: ApiOptions,
    /// How long to keep retrying an unreachable PostgreSQL at startup
    /// (`None`: forever).
    pub startup_timeout: Option<Duration>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read or parsed.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A value is invalid.
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Settings for a data directory, with every other option at its default.
    pub fn for_data_dir(dir: impl Into<PathBuf>) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            database: Database::SqliteFile(dir.into().join(DB_FILE)),
            api: ApiOptions::default(),
            startup_timeout: None,
        }
    }

    /// Resolves flags and environment (already in `args`), the config file and defaults.
    pub fn resolve(args: Args) -> Result<Settings, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let listen_raw = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_raw
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("listen address '{listen_raw}': {e}")))?;
        let database = match args.database_url.or(file.database_url) {
            Some(url) => database_from_url(&url)?,
            None => {
                let dir = args
                    .data_dir
                    .or(file.data_dir)
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
                Database::SqliteFile(dir.join(DB_FILE))
            }
        };
        let max_body = args.max_body.or(file.max_body).unwrap_or(DEFAULT_MAX_BODY);
        if max_body == 0 {
            return Err(ConfigError::Invalid(
                "max body must be at least 1 byte".into(),
            ));
        }
        let incompatible_40901 = match args
            .incompatible_error_code
            .or(file.incompatible_error_code)
        {
            None | Some(409) => false,
            Some(40901) => true,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "incompatible error code must be 409 or 40901, not {other}"
                )));
            }
        };
        let startup_timeout = args
            .database_startup_timeout
            .or(file.database_startup_timeout)
            .filter(|s| *s > 0)
            .map(Duration::from_secs);
        Ok(Settings {
            listen,
            database,
            api: ApiOptions {
                max_body,
                incompatible_40901,
                ..ApiOptions::default()
            },
            startup_timeout,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn database_from_url(url: &str) -> Result<Database, ConfigError> {
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Ok(Database::SqliteUrl(url.to_owned())),
        "postgres" | "postgresql" => Ok(Database::Postgres(url.to_owned())),
        _ => Err(ConfigError::Invalid(format!(
            "unsupported database URL scheme '{scheme}' (expected sqlite: or postgres:)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let s = Settings::resolve(Args::default()).unwrap();
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(
            s.database,
            Database::SqliteFile(PathBuf::from("evreg-data/evreg.db"))
        );
        assert_eq!(s.api.max_body, DEFAULT_MAX_BODY);
        assert!(!s.api.incompatible_40901);
    }

    #[test]
    fn postgres_urls_are_accepted_and_never_logged_with_the_password() {
        let args = Args {
            database_url: Some("postgres://u:secret@h:5432/db?sslmode=disable".into()),
            database_startup_timeout: Some(30),
            ..Args::default()
        };
        let s = Settings::resolve(args).unwrap();
        assert!(matches!(&s.database, Database::Postgres(u) if u.contains("secret")));
        let shown = format!("{:?}", s.database);
        assert!(!shown.contains("secret"), "{shown}");
        assert!(
            shown.contains("postgres://u:***@h:5432/db?sslmode=disable"),
            "{shown}"
        );
        assert_eq!(s.startup_timeout, Some(Duration::from_secs(30)));
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        let e = Settings::resolve(Args {
            database_url: Some("mysql://u:secret@h/db".into()),
            ..Args::default()
        })
        .unwrap_err()
        .to_string();
        assert!(!e.contains("secret"));
    }

    #[test]
    fn file_fills_what_flags_leave_out() {
        let dir = std::env::temp_dir().join(format!("evreg-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("evreg.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9999\"\ndata-dir = \"/tmp/x\"\nincompatible-error-code = 40901\n",
        )
        .unwrap();
        let args = Args {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7777".into()),
            ..Args::default()
        };
        let s = Settings::resolve(args).unwrap();
        assert_eq!(s.listen.port(), 7777);
        assert_eq!(
            s.database,
            Database::SqliteFile(PathBuf::from("/tmp/x/evreg.db"))
        );
        assert!(s.api.incompatible_40901);
        std::fs::write(&path, "bogus = 1\n").unwrap();
        let args = Args {
            config: Some(path),
            ..Args::default()
        };
        assert!(
            Settings::resolve(args)
                .unwrap_err()
                .to_string()
                .contains("evreg.toml")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! The one error type of the generator. Every variant names the file and, where
//! the problem is inside a schema, the JSON pointer to it, because the reader of a
//! build failure has only the message to go on.

use std::path::PathBuf;

use crate::ir::Origin;

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A schema did not parse or validate.
    #[error("{origin}: {message}")]
    Schema {
        /// The file and JSON pointer.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A construct the generator cannot type. With the JSON fallback enabled it
    /// becomes `serde_json::Value` instead.
    #[error(
        "{origin}: {message} (evgen cannot type this; Config::json_fallback(true) maps it to serde_json::Value)"
    )]
    Unsupported {
        /// The file and JSON pointer.
        origin: Origin,
        /// What is unsupported.
        message: String,
    },
    /// Two different types claim one name (or one Rust path).
    #[error("{name}: {detail}: first defined in {first}, again in {second}")]
    Conflict {
        /// The contested name.
        name: String,
        /// Where it was defined first (boxed to keep `Result<_, Error>` small).
        first: Box<Origin>,
        /// Where it was defined again.
        second: Box<Origin>,
        /// What differs.
        detail: String,
    },
    /// The catalogue (`catalog.toml`) is malformed or inconsistent.
    #[error("{origin}: {message}")]
    Catalog {
        /// The catalogue file and the TOML key path (as a pointer).
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// The generator produced tokens that do not parse as Rust: a bug in evgen.
    #[error(
        "internal error: generated code for {file} does not parse ({message}); please report it"
    )]
    Internal {
        /// The input being generated.
        file: String,
        /// The parser's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Schema`] at `origin`.
    pub(crate) fn schema(origin: Origin, message: impl Into<String>) -> Error {
        Error::Schema {
            origin,
            message: message.into(),
        }
    }

    /// An [`Error::Catalog`] in `file` at `pointer`.
    pub(crate) fn catalog(
        file: impl Into<String>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::Catalog {
            origin: Origin {
                file: file.into(),
                pointer: pointer.into(),
            },
            message: message.into(),
        }
    }
}

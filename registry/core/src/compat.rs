//! Compatibility levels and the check a registry runs before accepting a version.
//!
//! The result is data, not a boolean: every [`Incompatibility`] says which earlier
//! version it is against, in which direction, where, and why.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::schema::{Body, ParsedSchema};
use crate::{avro, json};

/// A subject's compatibility level (Confluent's seven).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatibilityLevel {
    /// No check.
    None,
    /// The new schema reads data written with the latest version.
    #[default]
    Backward,
    /// The new schema reads data written with every live version.
    BackwardTransitive,
    /// The latest version reads data written with the new schema.
    Forward,
    /// Every live version reads data written with the new schema.
    ForwardTransitive,
    /// Backward and forward against the latest version.
    Full,
    /// Backward and forward against every live version.
    FullTransitive,
}

impl CompatibilityLevel {
    /// Every level, in Confluent's documentation order.
    pub const ALL: [CompatibilityLevel; 7] = [
        CompatibilityLevel::None,
        CompatibilityLevel::Backward,
        CompatibilityLevel::BackwardTransitive,
        CompatibilityLevel::Forward,
        CompatibilityLevel::ForwardTransitive,
        CompatibilityLevel::Full,
        CompatibilityLevel::FullTransitive,
    ];

    /// The wire name, e.g. `BACKWARD_TRANSITIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompatibilityLevel::None => "NONE",
            CompatibilityLevel::Backward => "BACKWARD",
            CompatibilityLevel::BackwardTransitive => "BACKWARD_TRANSITIVE",
            CompatibilityLevel::Forward => "FORWARD",
            CompatibilityLevel::ForwardTransitive => "FORWARD_TRANSITIVE",
            CompatibilityLevel::Full => "FULL",
            CompatibilityLevel::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Whether every live version is checked, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::FullTransitive
        )
    }

    fn backward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Backward
                | CompatibilityLevel::BackwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }

    fn forward(self) -> bool {
        matches!(
            self,
            CompatibilityLevel::Forward
                | CompatibilityLevel::ForwardTransitive
                | CompatibilityLevel::Full
                | CompatibilityLevel::FullTransitive
        )
    }
}

impl fmt::Display for CompatibilityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown compatibility level name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid compatibility level '{0}' (expected one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)"
)]
pub struct InvalidLevel(pub String);

impl FromStr for CompatibilityLevel {
    type Err = InvalidLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CompatibilityLevel::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvalidLevel(s.to_owned()))
    }
}

/// Which way data flows in a failed check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The new schema (reader) cannot read data of the earlier version (writer).
    Backward,
    /// The earlier version (reader) cannot read data of the new schema (writer).
    Forward,
}

/// How strictly JSON Schema changes are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum JsonPolicy {
    /// Confluent's default: every difference must be on the list of compatible changes.
    #[default]
    Strict,
    /// Confluent's `compatibilityPolicy` lenient mode.
    Lenient,
}

/// Options of a check.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// The JSON Schema policy.
    pub json_policy: JsonPolicy,
}

/// The rule an incompatibility breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncompatibilityKind {
    /// An Avro reader/writer resolution failure (Apache Avro's names).
    Avro(avro::IncompatibilityType),
    /// A JSON Schema difference outside the compatible list (Confluent's names).
    Json(json::DifferenceType),
    /// The two schemas are of different formats.
    SchemaTypeMismatch,
}

impl fmt::Display for IncompatibilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IncompatibilityKind::Avro(t) => fmt::Display::fmt(t, f),
            IncompatibilityKind::Json(t) => fmt::Display::fmt(t, f),
            IncompatibilityKind::SchemaTypeMismatch => f.write_str("SCHEMA_TYPE_MISMATCH"),
        }
    }
}

/// One reason a schema may not follow an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatibility {
    /// The rule broken.
    pub kind: IncompatibilityKind,
    /// Index into the `previous` slice given to [`check`] of the version it is against.
    pub previous: usize,
    /// Which way the data flows.
    pub direction: Direction,
    /// The path reported by the format's reference implementation: Avro Java's
    /// `SchemaCompatibility` location, or Confluent's JSON diff path (`#/properties/a`).
    pub location: String,
    /// Logical JSON pointer into the reader schema.
    pub reader_location: String,
    /// Logical JSON pointer into the writer schema.
    pub writer_location: String,
    /// A sentence a person understands, e.g. `field 'amount': reader type string
    /// cannot read writer type long`.
    pub message: String,
}

impl fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at '{}': {}", self.kind, self.location, self.message)
    }
}

/// One finding of a pairwise check, before it is placed in a version history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule broken.
    pub kind: IncompatibilityKind,
    /// See [`Incompatibility::location`].
    pub location: String,
    /// See [`Incompatibility::reader_location`].
    pub reader_location: String,
    /// See [`Incompatibility::writer_location`].
    pub writer_location: String,
    /// See [`Incompatibility::message`].
    pub message: String,
}

/// Checks whether data written with `writer` can be read with `reader`.
pub fn check_pair(
    reader: &ParsedSchema,
    writer: &ParsedSchema,
    options: CheckOptions,
) -> Vec<Finding> {
    // Identical content is always compatible; this also makes re-checks of long
    // unchanged histories cheap.
    if reader.fingerprint() == writer.fingerprint() {
        return Vec::new();
    }
    match (&reader.body, &writer.body) {
        (Body::Avro(r), Body::Avro(w)) => avro::compat::check(r, w),
        (Body::Json(r), Body::Json(w)) => json::compat::check(r, w, options.json_policy),
        _ => vec![Finding {
            kind: IncompatibilityKind::SchemaTypeMismatch,
            location: String::new(),
            reader_location: String::new(),
            writer_location: String::new(),
            message: format!(
                "reader is a {} schema but writer is a {} schema",
                reader.schema_type(),
                writer.schema_type()
            ),
        }],
    }
}

/// Checks `new` against `previous` (live versions, oldest first) under `level`.
///
/// Non-transitive levels look only at the last element of `previous`. An empty
/// result means the new schema is allowed.
pub fn check(
    level: CompatibilityLevel,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
) -> Vec<Incompatibility> {
    check_with(level, new, previous, CheckOptions::default())
}

/// [`check`] with options.
pub fn check_with(
    level: CompatibilityLevel,
    new: &ParsedSchema,
    previous: &[&ParsedSchema],
    options: CheckOptions,
) -> Vec<Incompatibility> {
    if level == CompatibilityLevel::None || previous.is_empty() {
        return Vec::new();
    }
    let first = if level.is_transitive() {
        0
    } else {
        previous.len() - 1
    };
    let mut out = Vec::new();
    // Newest first, like Confluent, so the most relevant findings lead.
    for index in (first..previous.len()).rev() {
        let old = previous[index];
        let mut place = |direction, findings: Vec<Finding>| {
            out.extend(findings.into_iter().map(|f| Incompatibility {
                kind: f.kind,
                previous: index,
                direction,
                location: f.location,
                reader_location: f.reader_location,
                writer_location: f.writer_location,
                message: f.message,
            }))
        };
        if level.backward() {
            place(Direction::Backward, check_pair(new, old, options));
        }
        if level.forward() {
            place(Direction::Forward, check_pair(old, new, options));
        }
    }
    out
}

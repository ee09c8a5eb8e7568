//! The one error type of the core: why a schema could not be accepted.
//!
//! Every error says *where* (a JSON pointer into the schema text, or an Avro
//! field path) and *what*. The registry maps all of them to Confluent's 42201.

use std::fmt;

/// What went wrong with a schema, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SchemaError {
    /// The class of failure, for callers that branch on it.
    pub kind: SchemaErrorKind,
    /// JSON pointer (`/fields/2/type`) into the schema text; empty for the root.
    pub location: String,
    /// A sentence a person understands, naming the field or type at fault.
    pub message: String,
}

/// Classes of schema failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SchemaErrorKind {
    /// The text is not JSON (or nests deeper than the parser's limit).
    MalformedJson,
    /// The text is JSON but not a valid schema of its type.
    Invalid,
    /// A default value does not match its field's type.
    InvalidDefault,
    /// A reference could not be resolved through the caller's lookup.
    UnresolvedReference,
    /// References form a cycle, or nest deeper than [`crate::MAX_REFERENCE_DEPTH`].
    ReferenceCycle,
    /// The schema type (`PROTOBUF`, or an unknown name) is not supported.
    UnsupportedType,
    /// The schema exceeds a size or depth limit.
    TooLarge,
}

impl SchemaErrorKind {
    fn label(self) -> &'static str {
        match self {
            SchemaErrorKind::MalformedJson => "malformed JSON",
            SchemaErrorKind::Invalid => "invalid schema",
            SchemaErrorKind::InvalidDefault => "invalid default",
            SchemaErrorKind::UnresolvedReference => "unresolved reference",
            SchemaErrorKind::ReferenceCycle => "reference cycle",
            SchemaErrorKind::UnsupportedType => "unsupported schema type",
            SchemaErrorKind::TooLarge => "schema too large",
        }
    }
}

impl fmt::Display for SchemaErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl SchemaError {
    /// A new error of `kind` at `location` (a JSON pointer).
    pub fn new(
        kind: SchemaErrorKind,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SchemaError {
            kind,
            location: location.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`SchemaErrorKind::Invalid`].
    pub fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(SchemaErrorKind::Invalid, location, message)
    }

    fn render(&self) -> String {
        let at = if self.location.is_empty() {
            "/"
        } else {
            &self.location
        };
        format!("{} at {}: {}", self.kind, at, self.message)
    }
}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn pointer_push(base: &str, token: impl fmt::Display) -> String {
    let token = token.to_string();
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

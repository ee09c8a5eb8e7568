//! Subject names and contexts.
//!
//! Confluent qualifies a subject with a context as `:.ctx:subject`; a plain name
//! lives in the default context `.`. Schema ids are unique per context, so every
//! lookup is keyed by the pair.

use std::fmt;

/// The default context.
pub const DEFAULT_CONTEXT: &str = ".";

/// Longest subject name accepted, in bytes (Confluent's limit is not documented;
/// this keeps names indexable and log lines readable).
pub const MAX_SUBJECT_BYTES: usize = 1000;

/// A subject name with its context. An empty `name` denotes the context itself
/// (used by config and mode, e.g. `PUT /config/:.staging:`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedSubject {
    /// The context, always starting with `.`.
    pub context: String,
    /// The subject name inside the context.
    pub name: String,
}

/// Why a subject name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSubject(pub String);

impl QualifiedSubject {
    /// Parses and validates a subject as it appears in a path or reference.
    ///
    /// Only a string of the form `:.ctx:name` is context-qualified; any other
    /// string (including one that merely starts with `:`) is a plain name.
    pub fn parse(raw: &str) -> Result<Self, InvalidSubject> {
        if raw.len() > MAX_SUBJECT_BYTES {
            return Err(InvalidSubject(format!(
                "Subject name is longer than {MAX_SUBJECT_BYTES} bytes"
            )));
        }
        if raw.chars().any(char::is_control) {
            return Err(InvalidSubject(format!(
                "Subject name '{}' contains control characters",
                raw.escape_default()
            )));
        }
        if let Some(rest) = raw.strip_prefix(':')
            && rest.starts_with('.')
            && let Some(end) = rest.find(':')
        {
            let context = &rest[..end];
            let name = &rest[end + 1..];
            return Ok(QualifiedSubject {
                context: context.to_owned(),
                name: name.to_owned(),
            });
        }
        Ok(QualifiedSubject {
            context: DEFAULT_CONTEXT.to_owned(),
            name: raw.to_owned(),
        })
    }

    /// Parses a subject that must name a subject, not a context.
    pub fn parse_subject(raw: &str) -> Result<Self, InvalidSubject> {
        let s = Self::parse(raw)?;
        if s.name.is_empty() {
            return Err(InvalidSubject(format!("Subject name '{raw}' is empty")));
        }
        Ok(s)
    }

    /// Resolves a reference's subject relative to the context of `self`:
    /// an unqualified name stays in the referrer's context.
    pub fn relative(&self, raw: &str) -> Result<Self, InvalidSubject> {
        let mut s = Self::parse_subject(raw)?;
        if !is_qualified(raw) {
            s.context.clone_from(&self.context);
        }
        Ok(s)
    }

    /// The scope of the whole context this subject lives in.
    pub fn context_scope(&self) -> QualifiedSubject {
        QualifiedSubject {
            context: self.context.clone(),
            name: String::new(),
        }
    }

    /// The global scope (the default context's own scope).
    pub fn global() -> QualifiedSubject {
        QualifiedSubject {
            context: DEFAULT_CONTEXT.to_owned(),
            name: String::new(),
        }
    }

    /// Whether this is the global scope.
    pub fn is_global(&self) -> bool {
        self.context == DEFAULT_CONTEXT && self.name.is_empty()
    }
}

fn is_qualified(raw: &str) -> bool {
    raw.strip_prefix(':')
        .is_some_and(|rest| rest.starts_with('.') && rest.contains(':'))
}

impl fmt::Display for QualifiedSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.context == DEFAULT_CONTEXT {
            f.write_str(&self.name)
        } else {
            write!(f, ":{}:{}", self.context, self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_qualified() {
        let s = QualifiedSubject::parse("orders-value").unwrap();
        assert_eq!(s.context, ".");
        assert_eq!(s.to_string(), "orders-value");
        let q = QualifiedSubject::parse(":.staging:orders").unwrap();
        assert_eq!(
            (q.context.as_str(), q.name.as_str()),
            (".staging", "orders")
        );
        assert_eq!(q.to_string(), ":.staging:orders");
        let d = QualifiedSubject::parse(":.:orders").unwrap();
        assert_eq!(d.to_string(), "orders");
        assert_eq!(QualifiedSubject::parse(":odd").unwrap().name, ":odd");
        assert!(QualifiedSubject::parse(":.ctx:").unwrap().name.is_empty());
    }

    #[test]
    fn invalid() {
        assert!(QualifiedSubject::parse("a\u{0}b").is_err());
        assert!(QualifiedSubject::parse(&"x".repeat(1001)).is_err());
        assert!(QualifiedSubject::parse_subject("").is_err());
        assert!(QualifiedSubject::parse_subject(":.ctx:").is_err());
    }

    #[test]
    fn relative_references() {
        let referrer = QualifiedSubject::parse(":.ctx:a").unwrap();
        assert_eq!(referrer.relative("b").unwrap().to_string(), ":.ctx:b");
        assert_eq!(
            referrer.relative(":.other:b").unwrap().to_string(),
            ":.other:b"
        );
    }
}

//! Modes and config documents, and how a scope's effective value is resolved:
//! subject, then its context, then global.

use std::fmt;
use std::str::FromStr;

use evreg_core::CompatibilityLevel;
use serde_json::{Map, Value};

/// The config key Confluent returns (it accepts `compatibility` on `PUT`).
pub const LEVEL_KEY: &str = "compatibilityLevel";

/// A scope's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Normal operation.
    #[default]
    ReadWrite,
    /// Writes refused.
    ReadOnly,
    /// Deprecated global read-only that also overrides subject modes.
    ReadOnlyOverride,
    /// Only registrations with explicit ids.
    Import,
}

impl Mode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadWrite => "READWRITE",
            Mode::ReadOnly => "READONLY",
            Mode::ReadOnlyOverride => "READONLY_OVERRIDE",
            Mode::Import => "IMPORT",
        }
    }

    /// Whether writes are refused.
    pub fn is_read_only(self) -> bool {
        matches!(self, Mode::ReadOnly | Mode::ReadOnlyOverride)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT")]
pub struct InvalidMode;

impl FromStr for Mode {
    type Err = InvalidMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "READWRITE" => Ok(Mode::ReadWrite),
            "READONLY" => Ok(Mode::ReadOnly),
            "READONLY_OVERRIDE" => Ok(Mode::ReadOnlyOverride),
            "IMPORT" => Ok(Mode::Import),
            _ => Err(InvalidMode),
        }
    }
}

/// A config document as stored: `compatibilityLevel` plus whatever else was set
/// (`normalize`, `alias`, `compatibilityGroup`, metadata and rule-set defaults,
/// unknown keys), echoed back as given.
pub type ConfigDoc = Map<String, Value>;

/// The config that applies to a scope after resolution.
#[derive(Debug, Clone)]
pub struct EffectiveConfig {
    /// The merged document.
    pub doc: ConfigDoc,
    /// The compatibility level.
    pub level: CompatibilityLevel,
    /// Whether schemas are normalized before storing and matching.
    pub normalize: bool,
    /// `compatibilityGroup`: the metadata property whose value splits a
    /// subject's versions into groups checked separately.
    pub compatibility_group: Option<String>,
}

impl EffectiveConfig {
    /// Merges documents from the widest scope to the narrowest; the narrowest wins
    /// key by key, and the level defaults to `BACKWARD`.
    pub fn merge<'a>(docs: impl IntoIterator<Item = &'a ConfigDoc>) -> Self {
        let mut doc = ConfigDoc::new();
        doc.insert(
            LEVEL_KEY.to_owned(),
            Value::from(CompatibilityLevel::default().as_str()),
        );
        for d in docs {
            for (k, v) in d {
                doc.insert(k.clone(), v.clone());
            }
        }
        let level = doc
            .get(LEVEL_KEY)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let normalize = doc.get("normalize").and_then(Value::as_bool) == Some(true);
        let compatibility_group = doc
            .get("compatibilityGroup")
            .and_then(Value::as_str)
            .filter(|g| !g.is_empty())
            .map(str::to_owned);
        EffectiveConfig {
            doc,
            level,
            normalize,
            compatibility_group,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn narrowest_scope_wins_key_by_key() {
        let global = json!({"compatibilityLevel": "FULL", "normalize": true});
        let subject = json!({"compatibilityLevel": "NONE"});
        let c = EffectiveConfig::merge([global.as_object().unwrap(), subject.as_object().unwrap()]);
        assert_eq!(c.level, CompatibilityLevel::None);
        assert!(c.normalize);
        assert_eq!(
            EffectiveConfig::merge([]).level,
            CompatibilityLevel::Backward
        );
    }

    #[test]
    fn modes_parse_in_any_case() {
        assert_eq!("import".parse::<Mode>(), Ok(Mode::Import));
        assert!("WRITEONLY".parse::<Mode>().is_err());
    }
}

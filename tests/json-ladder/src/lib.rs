//! The JSON Schema ladder: how far evgen gets on each schema of the SchemaStore corpus.
//!
//! Per schema, five levels, each requiring the one before:
//!
//! 1. **parses**: evreg-core accepts the schema (meta-schema, `$ref`s resolve, with
//!    the files under `refs/`);
//! 2. **generates**: `evgen::json::lower` (with the `serde_json::Value` fallback on)
//!    and `evgen::emit` produce code;
//! 3. **compiles**: the code compiles (the build script includes every generated
//!    module in the test crate, except those listed at level 3 in
//!    `known-failures.toml`);
//! 4. **valid samples round-trip**: every `valid/*.json` deserializes into the root
//!    type and serializes back to an [`equivalent`] value;
//! 5. **invalid samples rejected**: every `invalid/*.json` fails to deserialize
//!    (serde plus the checking newtypes). A schema without invalid samples passes.
//!
//! The build script does levels 1 and 2 (it has to, to generate); the test
//! (`tests/ladder.rs`) does the rest and compares with `known-failures.toml`.

pub mod corpus;

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One schema as the build script left it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The folder name.
    pub name: &'static str,
    /// How far the build got.
    pub built: Built,
}

/// What the build script did with a schema.
#[derive(Debug, Clone, Copy)]
pub enum Built {
    /// evreg-core refused it (level 1).
    NotParsed(&'static str),
    /// evgen refused it (level 2).
    NotGenerated(&'static str),
    /// Generated, but listed as not compiling (level 3), with the listed reason.
    NotCompiled(&'static str),
    /// Compiled: `check` round-trips a value through the root type.
    Compiled {
        /// [`round_trip`] for the root type.
        check: fn(&Value) -> Result<Value, Failure>,
        /// How many diagnostics generation reported.
        diagnostics: usize,
    },
}

/// Why a value did not round-trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Deserialization refused it.
    Deserialize(String),
    /// Serialization failed.
    Serialize(String),
}

/// Deserializes `value` into `T` and serializes it back.
pub fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, Failure> {
    let typed = T::deserialize(value).map_err(|e| Failure::Deserialize(e.to_string()))?;
    serde_json::to_value(&typed).map_err(|e| Failure::Serialize(e.to_string()))
}

/// Whether `output` (what the type wrote) is equivalent to `input` (the sample):
///
/// - objects: every key of the input is in the output with an equivalent value; a
///   key only the output has is allowed only when its value is `null`;
/// - arrays: the same length, equivalent element by element;
/// - numbers: equal by value (`1` and `1.0` are equal; integers compare exactly);
/// - everything else: equal.
///
/// So key order and `1` vs `1.0` do not matter; a dropped key, a default filled
/// in, a dropped `null` or a rewritten string (`+00:00` for `Z`) do.
/// The error is the JSON pointer of the first difference and what differs.
pub fn equivalent(input: &Value, output: &Value) -> Result<(), String> {
    fn go(a: &Value, b: &Value, at: &mut String) -> Result<(), String> {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, va) in a {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    match b.get(k) {
                        Some(vb) => go(va, vb, at)?,
                        None => return Err(format!("{at}: dropped")),
                    }
                    at.truncate(len);
                }
                match b.iter().find(|(k, v)| !a.contains_key(*k) && !v.is_null()) {
                    Some((k, v)) => Err(format!("{at}/{k}: added {}", short(v))),
                    None => Ok(()),
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                    let len = at.len();
                    let _ = write!(at, "/{i}");
                    go(va, vb, at)?;
                    at.truncate(len);
                }
                Ok(())
            }
            (Value::Number(x), Value::Number(y)) => {
                let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                    (Some(p), Some(q), _, _) => p == q,
                    (_, _, Some(p), Some(q)) => p == q,
                    _ => x.as_f64() == y.as_f64(),
                };
                if same {
                    Ok(())
                } else {
                    Err(format!("{at}: {x} became {y}"))
                }
            }
            _ if a == b => Ok(()),
            _ => Err(format!("{at}: {} became {}", short(a), short(b))),
        }
    }
    go(input, output, &mut String::new())
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// How far one schema got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The schema.
    pub name: &'static str,
    /// The highest level passed (0 to 5).
    pub passed: u8,
    /// Why the next level failed.
    pub reason: Option<String>,
}

/// Runs levels 4 and 5 of every compiled schema against the samples under `corpus`.
pub fn run(corpus: &Path, entries: &[Entry]) -> Vec<Outcome> {
    entries.iter().map(|e| run_one(corpus, e)).collect()
}

fn run_one(corpus: &Path, entry: &Entry) -> Outcome {
    let fail = |passed: u8, reason: String| Outcome {
        name: entry.name,
        passed,
        reason: Some(reason),
    };
    let check = match entry.built {
        Built::NotParsed(e) => return fail(0, e.to_owned()),
        Built::NotGenerated(e) => return fail(1, e.to_owned()),
        Built::NotCompiled(e) => return fail(2, e.to_owned()),
        Built::Compiled { check, .. } => check,
    };
    let dir = corpus.join(entry.name);
    for path in corpus::samples(&dir, "valid") {
        let sample = match read(&path) {
            Ok(v) => v,
            Err(e) => return fail(3, e),
        };
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let reason = match check(&sample) {
            Ok(back) => match equivalent(&sample, &back) {
                Ok(()) => continue,
                Err(diff) => format!("valid/{file}: not equivalent at {diff}"),
            },
            Err(Failure::Deserialize(e)) => format!("valid/{file}: rejected: {e}"),
            Err(Failure::Serialize(e)) => format!("valid/{file}: does not serialize: {e}"),
        };
        return fail(3, reason);
    }
    for path in corpus::samples(&dir, "invalid") {
        let sample = match read(&path) {
            Ok(v) => v,
            Err(e) => return fail(4, e),
        };
        if let Ok(_) | Err(Failure::Serialize(_)) = check(&sample) {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            return fail(4, format!("invalid/{file}: accepted"));
        }
    }
    Outcome {
        name: entry.name,
        passed: 5,
        reason: None,
    }
}

fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The rate table: schemas passing each level, as counts and percentages.
pub fn rates(outcomes: &[Outcome]) -> [usize; 5] {
    let mut out = [0; 5];
    for o in outcomes {
        for level in out.iter_mut().take(usize::from(o.passed)) {
            *level += 1;
        }
    }
    out
}

/// The report printed by the ladder test.
pub fn report(outcomes: &[Outcome]) -> String {
    let total = outcomes.len();
    let mut s = String::new();
    let _ = writeln!(s, "JSON ladder over {total} SchemaStore schemas:");
    let _ = writeln!(s, "| level | schemas | % |\n| --- | ---: | ---: |");
    for (i, n) in rates(outcomes).iter().enumerate() {
        let pct = if total == 0 {
            0.0
        } else {
            *n as f64 * 100.0 / total as f64
        };
        let _ = writeln!(s, "| {} {} | {n} | {pct:.1} |", i + 1, corpus::LEVELS[i]);
    }
    for level in 1..=5u8 {
        let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.passed + 1 == level).collect();
        if failed.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "\nfailing level {level} ({}):",
            corpus::LEVELS[usize::from(level - 1)]
        );
        for o in failed {
            let _ = writeln!(
                s,
                "  {}: {}",
                o.name,
                o.reason.as_deref().unwrap_or_default()
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equivalence_is_by_value_and_strict_about_keys() {
        assert!(equivalent(&json!({"a": 1, "b": [1.5]}), &json!({"b": [1.5], "a": 1.0})).is_ok());
        assert!(equivalent(&json!({"a": 1}), &json!({"a": 1, "b": null})).is_ok());
        assert_eq!(
            equivalent(&json!({"a": 1}), &json!({"a": 1, "b": 2})),
            Err("/b: added 2".into())
        );
        assert_eq!(
            equivalent(&json!({"a": {"x": null}}), &json!({"a": {}})),
            Err("/a/x: dropped".into())
        );
        assert!(equivalent(&json!([1, 2]), &json!([1])).is_err());
        assert!(
            equivalent(
                &json!("2020-01-01T00:00:00+00:00"),
                &json!("2020-01-01T00:00:00Z")
            )
            .is_err()
        );
        assert!(equivalent(&json!(u64::MAX), &json!(u64::MAX)).is_ok());
        assert!(equivalent(&json!(-1), &json!(1)).is_err());
    }

    #[test]
    fn known_failures_round_trip() {
        let mut k = corpus::KnownFailures {
            floors: [1, 2, 3, 4, 5],
            ..corpus::KnownFailures::default()
        };
        k.schemas
            .insert("a-b".into(), (3, "does \"not\" compile".into()));
        assert_eq!(corpus::KnownFailures::parse(&k.render()), Ok(k));
    }

    #[test]
    fn module_names() {
        assert_eq!(corpus::module_name("dependabot-2.0"), "dependabot_2_0");
        assert_eq!(corpus::module_name("2fa"), "s_2fa");
        assert_eq!(corpus::module_name("mod"), "mod_");
    }
}

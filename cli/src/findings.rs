//! What `check` found, in one shape for both baselines, and the three ways to
//! print it.
//!
//! The JSON format (`--format json`) is a stable contract:
//!
//! ```text
//! {
//!   "catalog": "schemas",          // the catalogue folder as given
//!   "baseline": "git:HEAD~1",      // or "registry:<url>", "folder:<dir>", "none"
//!   "ok": false,                   // exit code 0 iff true
//!   "subjects": [{"subject", "file", "level",
//!                 "status": "unchanged" | "changed" | "new" | "incompatible" | "removed",
//!                 "old_version", "new_version"}],          // versions may be null
//!   "findings": [{"subject", "file", "line", "level", "old_version", "new_version",
//!                 "rule", "direction": "backward" | "forward", "field", "pointer",
//!                 "message", "hint"}],                      // field may be null
//!   "lint": [{"file", "line", "pointer", "message"}]
//! }
//! ```
//!
//! Offline, versions are the catalogue's event versions (null for shared types);
//! against a registry they are registry versions.

use std::fmt::Write as _;
use std::io::Write;

use anstyle::{AnsiColor, Style};
use evreg_core::{CompatibilityLevel, Direction};
use serde::Serialize;

/// What happened to one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Same schema as the baseline.
    Unchanged,
    /// Changed, allowed by the level.
    Changed,
    /// Not in the baseline.
    New,
    /// Changed, refused by the level.
    Incompatible,
    /// In the baseline, gone from the catalogue (a registry keeps it).
    Removed,
}

/// One subject's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectResult {
    /// The subject.
    pub subject: String,
    /// Its schema file, as a path from where evgen runs.
    pub file: String,
    /// The level judged under.
    pub level: CompatibilityLevel,
    /// What happened.
    pub status: Status,
    /// The baseline's version.
    pub old_version: Option<i64>,
    /// The catalogue's version.
    pub new_version: Option<i64>,
}

/// One broken rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// The subject.
    pub subject: String,
    /// Its schema file, as a path from where evgen runs.
    pub file: String,
    /// The line of the field in `file` (1 when it cannot be placed).
    pub line: usize,
    /// The level that refuses the change.
    pub level: CompatibilityLevel,
    /// The version the new schema is incompatible with.
    pub old_version: Option<i64>,
    /// The new schema's version.
    pub new_version: Option<i64>,
    /// The rule (Avro's `READER_FIELD_MISSING_DEFAULT_VALUE`, …).
    pub rule: String,
    /// Which reader fails.
    pub direction: Direction,
    /// The field path (`items.price`), when the rule is about a field.
    pub field: Option<String>,
    /// Where, as the reference implementation reports it (`/fields/3/type`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What would fix it.
    pub hint: String,
}

/// A lint problem, placed.
#[derive(Debug, Clone, Serialize)]
pub struct Lint {
    /// The file, as a path from where evgen runs.
    pub file: String,
    /// Its line.
    pub line: usize,
    /// TOML key path or JSON pointer.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// Everything `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The catalogue folder as given.
    pub catalog: String,
    /// The baseline.
    pub baseline: String,
    /// Whether everything is allowed.
    pub ok: bool,
    /// Every subject.
    pub subjects: Vec<SubjectResult>,
    /// Broken compatibility rules.
    pub findings: Vec<Finding>,
    /// Catalogue lint problems.
    pub lint: Vec<Lint>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people; colored when stdout is a terminal.
    Human,
    /// One JSON document (see the evgen-cli docs of `findings`).
    Json,
    /// GitHub workflow commands (`::error file=…,line=…::…`).
    Github,
}

/// The field a core message is about: core messages start `field 'a.b': `.
pub fn field_of(message: &str) -> Option<String> {
    let rest = message.strip_prefix("field '")?;
    let end = rest.find("': ")?;
    Some(rest[..end].to_owned())
}

/// What would fix a broken rule.
pub fn hint(rule: &str, direction: Direction, field: Option<&str>, message: &str) -> String {
    let f = field.unwrap_or("");
    let at = |s: &str| {
        if f.is_empty() {
            s.to_owned()
        } else {
            format!("{s} of field '{f}'")
        }
    };
    match (rule, direction) {
        ("READER_FIELD_MISSING_DEFAULT_VALUE", Direction::Backward) => {
            format!("add a default to field '{f}'")
        }
        ("READER_FIELD_MISSING_DEFAULT_VALUE", Direction::Forward) => {
            format!("keep field '{f}': the old schema has no default for it")
        }
        ("TYPE_MISMATCH", _) => {
            if f.is_empty() {
                "keep the old type".to_owned()
            } else {
                format!("keep the old type of field '{f}' or add a new field")
            }
        }
        ("MISSING_ENUM_SYMBOLS", _) => {
            let symbols = message
                .rfind('[')
                .and_then(|s| {
                    message[s + 1..]
                        .find(']')
                        .map(|e| &message[s + 1..s + 1 + e])
                })
                .unwrap_or("");
            let quoted: Vec<String> = symbols
                .split(", ")
                .filter(|s| !s.is_empty())
                .map(|s| format!("'{s}'"))
                .collect();
            let word = if quoted.len() == 1 {
                "symbol"
            } else {
                "symbols"
            };
            format!(
                "keep {word} {} or give the enum a default",
                if quoted.is_empty() {
                    "the removed symbols".to_owned()
                } else {
                    quoted.join(", ")
                }
            )
        }
        ("MISSING_UNION_BRANCH", _) => {
            if f.is_empty() {
                "keep a union branch that reads the old type (a removed branch, or a changed named type)".to_owned()
            } else {
                format!(
                    "keep a branch of field '{f}' that reads the old type (a removed branch, or a changed named type)"
                )
            }
        }
        ("NAME_MISMATCH", _) => {
            "keep the type's name, or list the old full name in its aliases".to_owned()
        }
        ("FIXED_SIZE_MISMATCH", _) => at("keep the fixed size, or add a new field"),
        ("SCHEMA_TYPE_MISMATCH", _) => {
            "a subject keeps its schema format; publish the new format under a new subject"
                .to_owned()
        }
        _ => "undo this change, or make it compatible under the subject's level".to_owned(),
    }
}

/// A finding from a rule, a direction, a location and a core message, the same
/// way for the offline check and a registry's verbose answer.
pub struct Raw<'a> {
    /// The rule.
    pub rule: &'a str,
    /// Which reader fails.
    pub direction: Direction,
    /// The location.
    pub pointer: &'a str,
    /// The message.
    pub message: &'a str,
}

impl Report {
    /// The exit status of a report.
    pub fn status(&self) -> crate::Status {
        if self.ok {
            crate::Status::Success
        } else {
            crate::Status::Findings
        }
    }

    /// Prints the report in `format` on `out`; `color` only for [`Format::Human`].
    pub fn print(&self, format: Format, color: bool, out: &mut dyn Write) -> anyhow::Result<()> {
        let text = match format {
            Format::Human => self.human(color),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(self)?;
                s.push('\n');
                s
            }
            Format::Github => self.github(),
        };
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    fn human(&self, color: bool) -> String {
        let style = |s: Style| if color { s } else { Style::new() };
        let error = style(AnsiColor::Red.on_default().bold());
        let bold = style(Style::new().bold());
        let dim = style(AnsiColor::Cyan.on_default());
        let green = style(AnsiColor::Green.on_default().bold());
        let mut s = String::new();
        for l in &self.lint {
            let _ = writeln!(
                s,
                "{error}error[lint]{error:#}{bold}: {}{bold:#}",
                l.message
            );
            let at = if l.pointer.is_empty() {
                String::new()
            } else {
                format!(" ({})", l.pointer)
            };
            let _ = writeln!(s, "  {dim}-->{dim:#} {}:{}{at}\n", l.file, l.line);
        }
        for f in &self.findings {
            let versions = match (f.old_version, f.new_version) {
                (Some(o), Some(n)) if o == n => format!(" version {o}"),
                (Some(o), Some(n)) => format!(" version {o} -> {n}"),
                (Some(o), None) => format!(" against version {o}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "{error}error[{}]{error:#}{bold}: {}{versions} ({}){bold:#}",
                f.rule, f.subject, f.level
            );
            let field = f
                .field
                .as_ref()
                .map(|x| format!(" field '{x}'"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {dim}-->{dim:#} {}:{}{field} at {}",
                f.file, f.line, f.pointer
            );
            let reading = match f.direction {
                Direction::Backward => "the new schema reading data written with the old one",
                Direction::Forward => "the old schema reading data written with the new one",
            };
            let _ = writeln!(s, "  {dim}={dim:#} {} ({reading})", f.message);
            let _ = writeln!(s, "  {dim}={dim:#} {bold}hint{bold:#}: {}\n", f.hint);
        }
        let count = |st: Status| self.subjects.iter().filter(|r| r.status == st).count();
        let summary = format!(
            "{} subjects against {}: {} unchanged, {} changed, {} new, {} incompatible, {} removed; {} lint problem(s)",
            self.subjects
                .iter()
                .filter(|r| r.status != Status::Removed)
                .count(),
            self.baseline,
            count(Status::Unchanged),
            count(Status::Changed),
            count(Status::New),
            count(Status::Incompatible),
            count(Status::Removed),
            self.lint.len()
        );
        if self.ok {
            let _ = writeln!(s, "{green}ok{green:#}: {summary}");
        } else {
            let _ = writeln!(s, "{error}failed{error:#}: {summary}");
        }
        s
    }

    fn github(&self) -> String {
        let mut s = String::new();
        for l in &self.lint {
            let _ = writeln!(
                s,
                "::error file={},line={},title={}::{}",
                property(&l.file),
                l.line,
                property("evgen check: catalogue lint"),
                data(&l.message)
            );
        }
        for f in &self.findings {
            let title = format!("{} {} ({})", f.rule, f.subject, f.level);
            let _ = writeln!(
                s,
                "::error file={},line={},title={}::{}",
                property(&f.file),
                f.line,
                property(&title),
                data(&format!("{} (hint: {})", f.message, f.hint))
            );
        }
        let bad = self.findings.len() + self.lint.len();
        let _ = writeln!(
            s,
            "::notice title=evgen check::{}",
            data(&format!(
                "{} subjects against {}: {}",
                self.subjects.len(),
                self.baseline,
                if bad == 0 {
                    "every change is allowed".to_owned()
                } else {
                    format!("{bad} problem(s)")
                }
            ))
        );
        s
    }
}

/// Escapes a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_field_and_symbol() {
        assert_eq!(
            hint(
                "READER_FIELD_MISSING_DEFAULT_VALUE",
                Direction::Backward,
                Some("coupon"),
                ""
            ),
            "add a default to field 'coupon'"
        );
        assert_eq!(
            hint(
                "MISSING_ENUM_SYMBOLS",
                Direction::Backward,
                Some("status"),
                "field 'status': enum shop.S lacks writer symbols [CANCELLED] and has no default symbol"
            ),
            "keep symbol 'CANCELLED' or give the enum a default"
        );
        assert_eq!(
            field_of("field 'items.price': reader type int cannot read writer type string"),
            Some("items.price".into())
        );
        assert_eq!(field_of("enum lacks symbols"), None);
    }

    #[test]
    fn workflow_escapes() {
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(data("50%\nx"), "50%25%0Ax");
    }
}

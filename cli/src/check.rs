//! `evgen check`: may the catalogue's schemas follow a baseline's, under each
//! subject's compatibility level? And is the catalogue consistent (the lint)?
//!
//! Baselines: a git revision or a folder (offline, judged by `evreg_core::check`
//! under the catalogue's levels), or a running registry (asked over HTTP, under
//! the registry's levels). Both compare self-contained schemas, so they agree.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use evreg_core::{CompatibilityLevel, Direction};

use crate::catalogue::{self, Catalogue, Item, Role};
use crate::findings::{self, Finding, Format, Lint, Raw, Report, Status, SubjectResult};
use crate::rest::{Client, Lookup};

/// `evgen check`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every change is allowed and the catalogue is consistent, \
                  1 a change is not allowed or the lint found a problem, 2 error \
                  (unreadable or invalid file, unknown revision, unreachable registry)."
)]
pub struct Args {
    /// The catalogue folder (with catalog.toml).
    #[arg(long, value_name = "DIR", default_value = "schemas")]
    pub catalog: PathBuf,
    /// Compare with what a running registry would accept, under each subject's
    /// level there.
    #[arg(long, value_name = "URL", conflicts_with = "against")]
    pub registry: Option<String>,
    /// Compare offline with `git:<rev>` (the catalogue at that revision, e.g.
    /// git:origin/main) or with another catalogue folder. Without a baseline only
    /// the lint runs.
    #[arg(long, value_name = "git:REV|DIR")]
    pub against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs `evgen check`.
pub fn run(args: &Args) -> anyhow::Result<crate::Status> {
    let report = report(args)?;
    let mut out = std::io::stdout().lock();
    let color = args.format == Format::Human && std::io::stdout().is_terminal();
    report.print(args.format, color, &mut out)?;
    Ok(report.status())
}

/// Builds the report of `args` without printing it.
pub fn report(args: &Args) -> anyhow::Result<Report> {
    let new = catalogue::load(&args.catalog)
        .with_context(|| format!("loading the catalogue {}", args.catalog.display()))?;
    let shown = args
        .catalog
        .to_string_lossy()
        .trim_end_matches('/')
        .to_owned();
    let (baseline, subjects, findings) = match (&args.registry, &args.against) {
        (Some(url), _) => {
            let (s, f) = against_registry(&new, &shown, &Client::new(url))?;
            (format!("registry:{url}"), s, f)
        }
        (None, Some(spec)) => {
            let (label, old) = load_baseline(spec, &args.catalog)?;
            let (s, f) = against_catalogue(&new, &old, &shown)?;
            (label, s, f)
        }
        (None, None) => ("none".to_owned(), Vec::new(), Vec::new()),
    };
    let lint = new
        .problems
        .iter()
        .map(|p| {
            let text = new.file_text(&p.file).unwrap_or_default();
            Lint {
                file: format!("{shown}/{}", p.file),
                line: p
                    .needle
                    .as_deref()
                    .map_or(1, |n| catalogue::line_of(&text, n)),
                pointer: p.pointer.clone(),
                message: p.message.clone(),
            }
        })
        .collect::<Vec<_>>();
    Ok(Report {
        catalog: shown,
        baseline,
        ok: findings.is_empty() && lint.is_empty(),
        subjects,
        findings,
        lint,
    })
}

/// Where a baseline catalogue lives while it is compared; removed afterwards.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// Loads `git:<rev>` or a folder; returns its label and the catalogue.
fn load_baseline(spec: &str, catalog: &Path) -> anyhow::Result<(String, Catalogue)> {
    let Some(rev) = spec.strip_prefix("git:") else {
        let dir = Path::new(spec);
        let old = catalogue::load(dir)
            .with_context(|| format!("loading the baseline catalogue {spec}"))?;
        return Ok((format!("folder:{spec}"), old));
    };
    let load = || -> anyhow::Result<Catalogue> {
        let top = String::from_utf8(git(catalog, &["rev-parse", "--show-toplevel"])?)?;
        let top = PathBuf::from(top.trim());
        let prefix = String::from_utf8(git(catalog, &["rev-parse", "--show-prefix"])?)?;
        let prefix = prefix.trim().to_owned();
        let commit = format!("{rev}^{{commit}}");
        git(&top, &["rev-parse", "--verify", "--quiet", &commit])
            .with_context(|| format!("unknown revision '{rev}'"))?;
        let listing = git(
            &top,
            &["ls-tree", "-r", "-z", "--name-only", rev, "--", &prefix],
        )?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = TempDir(
            std::env::temp_dir().join(format!("evgen-check-{}-{nanos}", std::process::id())),
        );
        let mut any = false;
        for path in listing.split(|&b| b == 0).filter(|p| !p.is_empty()) {
            let path = String::from_utf8_lossy(path);
            let Some(rel) = path.strip_prefix(&prefix) else {
                continue;
            };
            let blob = git(&top, &["show", &format!("{rev}:{path}")])?;
            let dest = tmp.0.join(rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&dest, blob).with_context(|| format!("writing {}", dest.display()))?;
            any = true;
        }
        if !any {
            // The revision before the catalogue existed: every subject is new.
            eprintln!(
                "note: the catalogue folder '{prefix}' does not exist at {rev}; every subject is new"
            );
            return Ok(Catalogue {
                dir: tmp.0.clone(),
                catalog: Default::default(),
                catalog_text: String::new(),
                items: Vec::new(),
                problems: Vec::new(),
            });
        }
        catalogue::load(&tmp.0)
    };
    let old = load().with_context(|| format!("loading the baseline catalogue at git:{rev}"))?;
    Ok((format!("git:{rev}"), old))
}

fn version_of(item: &Item) -> Option<i64> {
    match item.role {
        Role::Event { version, .. } => Some(i64::from(version)),
        _ => None,
    }
}

fn finding(
    item: &Item,
    file: &str,
    text: &str,
    level: CompatibilityLevel,
    versions: (Option<i64>, Option<i64>),
    raw: Raw<'_>,
) -> Finding {
    let field = findings::field_of(raw.message);
    Finding {
        subject: item.subject.clone(),
        file: file.to_owned(),
        line: match field.as_deref() {
            Some(f) => catalogue::field_line(text, f),
            // Not about a field (an enum's symbols, a fixed size): the pointer's last key.
            None => raw
                .pointer
                .rsplit('/')
                .find(|s| !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()))
                .map_or(1, |key| catalogue::line_of(text, &format!("\"{key}\""))),
        },
        level,
        old_version: versions.0,
        new_version: versions.1,
        rule: raw.rule.to_owned(),
        direction: raw.direction,
        hint: findings::hint(raw.rule, raw.direction, field.as_deref(), raw.message),
        field,
        pointer: raw.pointer.to_owned(),
        message: raw.message.to_owned(),
    }
}

/// The offline check: each subject of `new` against the same subject in `old`,
/// under the level `new` gives it.
pub fn against_catalogue(
    new: &Catalogue,
    old: &Catalogue,
    shown: &str,
) -> anyhow::Result<(Vec<SubjectResult>, Vec<Finding>)> {
    let mut subjects = Vec::new();
    let mut found = Vec::new();
    for item in &new.items {
        let file = format!("{shown}/{}", item.file);
        let mut result = SubjectResult {
            subject: item.subject.clone(),
            file: file.clone(),
            level: item.level,
            status: Status::New,
            old_version: None,
            new_version: version_of(item),
        };
        if let Some(prev) = old.item(&item.subject) {
            result.old_version = version_of(prev);
            let (a, b) = (item.parsed()?, prev.parsed()?);
            result.status = if a.fingerprint() == b.fingerprint() {
                Status::Unchanged
            } else {
                let problems = evreg_core::check(item.level, &a, &[&b]);
                if problems.is_empty() {
                    Status::Changed
                } else {
                    let text = new.file_text(&item.file).unwrap_or_default();
                    for p in &problems {
                        let rule = p.kind.to_string();
                        found.push(finding(
                            item,
                            &file,
                            &text,
                            item.level,
                            (result.old_version, result.new_version),
                            Raw {
                                rule: &rule,
                                direction: p.direction,
                                pointer: &p.location,
                                message: &p.message,
                            },
                        ));
                    }
                    Status::Incompatible
                }
            };
        }
        subjects.push(result);
    }
    for prev in &old.items {
        if new.item(&prev.subject).is_none() {
            subjects.push(SubjectResult {
                subject: prev.subject.clone(),
                file: format!("{shown}/{}", prev.file),
                level: prev.level,
                status: Status::Removed,
                old_version: version_of(prev),
                new_version: None,
            });
        }
    }
    Ok((subjects, found))
}

/// One verbose line of a registry's compatibility answer.
enum Line<'a> {
    Finding {
        rule: &'a str,
        message: &'a str,
        direction: Direction,
        pointer: &'a str,
    },
    OldVersion(i64),
    Other,
}

/// Reads Confluent's verbose lines:
/// `{errorType:'…', description:'… (new schema reading data of the old schema)', additionalInfo:'…'}`,
/// then `{oldSchemaVersion: N}`.
fn parse_line(line: &str) -> Line<'_> {
    if let Some(rest) = line.strip_prefix("{oldSchemaVersion: ") {
        return rest
            .trim_end_matches('}')
            .trim()
            .parse()
            .map_or(Line::Other, Line::OldVersion);
    }
    let Some(rest) = line.strip_prefix("{errorType:'") else {
        return Line::Other;
    };
    let Some((rule, rest)) = rest.split_once("', description:'") else {
        return Line::Other;
    };
    let (description, pointer) = match rest.rfind("', additionalInfo:'") {
        Some(i) => (
            &rest[..i],
            rest[i + "', additionalInfo:'".len()..].trim_end_matches("'}"),
        ),
        None => (rest.trim_end_matches("'}"), ""),
    };
    let (message, direction) =
        if let Some(m) = description.strip_suffix(" (old schema reading data of the new schema)") {
            (m, Direction::Forward)
        } else {
            (
                description
                    .strip_suffix(" (new schema reading data of the old schema)")
                    .unwrap_or(description),
                Direction::Backward,
            )
        };
    Line::Finding {
        rule,
        message,
        direction,
        pointer,
    }
}

/// What the registry holds of each catalogue subject.
pub struct RegistryState {
    /// Per subject, in catalogue order: the level there and the lookup result.
    pub subjects: Vec<(CompatibilityLevel, Lookup)>,
}

/// Asks the registry what it holds of each subject. A subject whose references
/// are not all registered as they are in the catalogue cannot be looked up (its
/// reference versions do not exist yet): it is changed.
pub fn registry_state(new: &Catalogue, client: &Client) -> anyhow::Result<RegistryState> {
    let mut registered: BTreeMap<&str, i32> = BTreeMap::new();
    let mut subjects = Vec::with_capacity(new.items.len());
    for item in &new.items {
        let level = client.effective_level(&item.subject)?;
        let refs: Option<Vec<_>> = item
            .references
            .iter()
            .map(|r| registered.get(r.subject.as_str()).map(|&v| (r.clone(), v)))
            .collect();
        let lookup = match refs {
            Some(refs) => client.lookup(&item.subject, &item.text, &refs)?,
            None if client.versions(&item.subject)?.is_empty() => Lookup::NoSubject,
            None => Lookup::NotInSubject,
        };
        if let Lookup::Found(v) = lookup {
            registered.insert(&item.subject, v);
        }
        subjects.push((level, lookup));
    }
    Ok(RegistryState { subjects })
}

/// The check against a registry: what registering each subject would do.
pub fn against_registry(
    new: &Catalogue,
    shown: &str,
    client: &Client,
) -> anyhow::Result<(Vec<SubjectResult>, Vec<Finding>)> {
    let state = registry_state(new, client)?;
    let mut subjects = Vec::new();
    let mut found = Vec::new();
    for (item, (level, lookup)) in new.items.iter().zip(state.subjects) {
        let file = format!("{shown}/{}", item.file);
        if level != item.level && lookup != Lookup::NoSubject {
            eprintln!(
                "note: subject '{}' is {level} in the registry but {} in the catalogue; judged under {level} (evgen push sets it)",
                item.subject, item.level
            );
        }
        let mut result = SubjectResult {
            subject: item.subject.clone(),
            file: file.clone(),
            level,
            status: Status::New,
            old_version: None,
            new_version: None,
        };
        match lookup {
            Lookup::NoSubject => result.new_version = Some(1),
            Lookup::Found(v) => {
                result.status = Status::Unchanged;
                result.old_version = Some(i64::from(v));
                result.new_version = Some(i64::from(v));
            }
            Lookup::NotInSubject => {
                let latest = client.versions(&item.subject)?.into_iter().max();
                result.old_version = latest.map(i64::from);
                result.new_version = Some(latest.map_or(1, |v| i64::from(v) + 1));
                let verdict = client
                    .test_compatibility(&item.subject, &item.self_contained)
                    .with_context(|| format!("testing subject '{}'", item.subject))?;
                if verdict.is_compatible {
                    result.status = Status::Changed;
                } else {
                    result.status = Status::Incompatible;
                    let text = new.file_text(&item.file).unwrap_or_default();
                    let mut pending: Vec<Finding> = Vec::new();
                    for line in &verdict.messages {
                        match parse_line(line) {
                            Line::Finding {
                                rule,
                                message,
                                direction,
                                pointer,
                            } => pending.push(finding(
                                item,
                                &file,
                                &text,
                                level,
                                (result.old_version, result.new_version),
                                Raw {
                                    rule,
                                    direction,
                                    pointer,
                                    message,
                                },
                            )),
                            Line::OldVersion(v) => {
                                for mut f in pending.drain(..) {
                                    f.old_version = Some(v);
                                    found.push(f);
                                }
                            }
                            Line::Other => {}
                        }
                    }
                    found.append(&mut pending);
                    if !found.iter().any(|f| f.subject == item.subject) {
                        // A registry whose verbose lines say nothing we can read.
                        found.push(finding(
                            item,
                            &file,
                            &text,
                            level,
                            (result.old_version, result.new_version),
                            Raw {
                                rule: "INCOMPATIBLE",
                                direction: Direction::Backward,
                                pointer: "",
                                message: &verdict.messages.join("; "),
                            },
                        ));
                    }
                }
            }
        }
        subjects.push(result);
    }
    Ok((subjects, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_verbose_lines() {
        let l = "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'field 'coupon': reader has this field but the writer does not, and it has no default (new schema reading data of the old schema)', additionalInfo:'/fields/2'}";
        match parse_line(l) {
            Line::Finding {
                rule,
                message,
                direction,
                pointer,
            } => {
                assert_eq!(rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
                assert!(message.starts_with("field 'coupon': reader"), "{message}");
                assert!(message.ends_with("no default"), "{message}");
                assert_eq!(direction, Direction::Backward);
                assert_eq!(pointer, "/fields/2");
            }
            _ => panic!("not a finding"),
        }
        assert!(matches!(
            parse_line("{oldSchemaVersion: 3}"),
            Line::OldVersion(3)
        ));
        assert!(matches!(
            parse_line("{validateFields: 'false', compatibility: 'BACKWARD'}"),
            Line::Other
        ));
    }
}

//! `evgen push`: registers the catalogue in a registry. Referenced subjects go
//! first, each subject gets the catalogue's compatibility level, and a schema
//! the registry already holds is left alone, so pushing twice changes nothing.
//!
//! Nothing is registered unless every changed subject passes the registry's
//! compatibility test first, so a refused change does not leave half a
//! catalogue behind (levels are set before the test, since they decide it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::catalogue::{self, Ref};
use crate::check;
use crate::findings::{Format, Report};
use crate::rest::{Client, Lookup};

/// `evgen push`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Progress goes to stderr, one line per subject. Exit codes: 0 pushed (or \
                  nothing to change), 1 the lint or the registry's compatibility test refused \
                  the catalogue (nothing registered), 2 error."
)]
pub struct Args {
    /// The catalogue folder (with catalog.toml).
    #[arg(long, value_name = "DIR", default_value = "schemas")]
    pub catalog: PathBuf,
    /// The registry's base URL.
    #[arg(long, value_name = "URL")]
    pub registry: String,
    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `evgen push`.
pub fn run(args: &Args) -> anyhow::Result<crate::Status> {
    let cat = catalogue::load(&args.catalog)
        .with_context(|| format!("loading the catalogue {}", args.catalog.display()))?;
    let shown = args
        .catalog
        .to_string_lossy()
        .trim_end_matches('/')
        .to_owned();
    let client = Client::new(&args.registry);
    let mut err = std::io::stderr().lock();
    let mut out = std::io::stdout().lock();
    if !cat.problems.is_empty() {
        let report = check::report(&check::Args {
            catalog: args.catalog.clone(),
            registry: None,
            against: None,
            format: Format::Human,
        })?;
        report.print(Format::Human, false, &mut out)?;
        writeln!(
            err,
            "error: the catalogue has lint problems; nothing was pushed"
        )?;
        return Ok(crate::Status::Findings);
    }
    let n = cat.items.len();
    let verb = if args.dry_run { "would set" } else { "set" };
    let mut changes = 0usize;

    // Levels first: they decide the compatibility test and the registration.
    let mut level_changes = Vec::new();
    for item in &cat.items {
        let current = client.subject_level(&item.subject)?;
        if current != Some(item.level) {
            level_changes.push((item, current));
        }
    }
    for (i, (item, current)) in level_changes.iter().enumerate() {
        if !args.dry_run {
            client.set_level(&item.subject, item.level)?;
        }
        let from = current.map_or("unset".to_owned(), |l| l.to_string());
        writeln!(
            err,
            "[{}/{}] {}: {verb} compatibility {} (was {from})",
            i + 1,
            level_changes.len(),
            item.subject,
            item.level
        )?;
        changes += 1;
    }

    // The same test `check --registry` runs: refuse before registering anything.
    let (_, findings) = check::against_registry(&cat, &shown, &client)?;
    if !findings.is_empty() {
        let report = Report {
            catalog: shown,
            baseline: format!("registry:{}", args.registry),
            ok: false,
            subjects: Vec::new(),
            findings,
            lint: Vec::new(),
        };
        report.print(Format::Human, false, &mut out)?;
        writeln!(
            err,
            "error: the registry would refuse these changes; {}",
            if args.dry_run {
                "nothing was changed"
            } else {
                "no schema was registered"
            }
        )?;
        return Ok(crate::Status::Findings);
    }

    let state = check::registry_state(&cat, &client)?;
    let mut versions: BTreeMap<&str, i32> = BTreeMap::new();
    for (i, (item, (_, lookup))) in cat.items.iter().zip(&state.subjects).enumerate() {
        let at = format!("[{}/{n}] {}", i + 1, item.subject);
        if let Lookup::Found(v) = lookup {
            versions.insert(&item.subject, *v);
            writeln!(err, "{at}: unchanged (version {v})")?;
            continue;
        }
        changes += 1;
        if args.dry_run {
            let what = if *lookup == Lookup::NoSubject {
                "would create the subject (version 1)"
            } else {
                "would register a new version"
            };
            writeln!(err, "{at}: {what}")?;
            continue;
        }
        let refs: Vec<(Ref, i32)> = item
            .references
            .iter()
            .map(|r| {
                versions
                    .get(r.subject.as_str())
                    .map(|&v| (r.clone(), v))
                    .with_context(|| {
                        format!(
                            "subject '{}' references '{}', which is not registered",
                            item.subject, r.subject
                        )
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        let (version, id) = client
            .register(&item.subject, &item.text, &refs)
            .with_context(|| format!("registering {} as subject '{}'", item.file, item.subject))?;
        versions.insert(&item.subject, version);
        writeln!(err, "{at}: registered version {version} (id {id})")?;
    }
    if changes == 0 {
        writeln!(
            out,
            "nothing to change: {n} subjects already in {}",
            args.registry
        )?;
    } else if args.dry_run {
        writeln!(
            out,
            "dry run: {changes} change(s) to {}; nothing was changed",
            args.registry
        )?;
    } else {
        writeln!(out, "pushed {changes} change(s) to {}", args.registry)?;
    }
    Ok(crate::Status::Success)
}

//! `evgen pull`: writes a registry's subjects into a folder in the catalogue's
//! layout, so `evgen push` of that folder changes nothing.
//!
//! What round-trips: every Avro subject's latest schema (one file per subject,
//! referenced types by full name, as in `schemas/`), its subject name, and its
//! compatibility level. What cannot: a registry knows nothing of topic settings,
//! producing services, partition keys or consumer groups. So when `--out` already
//! holds a `catalog.toml`, pull keeps it untouched (and keeps each known
//! subject's file path) and only says what it does not describe; otherwise it
//! writes a minimal `catalog.toml`: `[catalog]` with the registry's global level,
//! one empty `[topics.<name>]` per topic, one event per
//! `<topic>-<record full name>` subject (`source = "unknown"`, the registry
//! version as `version`, the subject's level when it differs), and the envelope
//! when a record carries every field of `evreg_client::Envelope`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use evgen::catalog::CATALOG_FILE;
use evreg_core::CompatibilityLevel;
use serde_json::Value;

use crate::catalogue::{self, ENVELOPE_FIELDS};
use crate::rest::Client;

/// `evgen pull`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "An existing catalog.toml in --out is kept as is; otherwise a minimal one is \
                  written (topic settings, sources, keys and consumer groups are not in a \
                  registry). Progress goes to stderr. Exit codes: 0 done, 2 error."
)]
pub struct Args {
    /// The registry's base URL.
    #[arg(long, value_name = "URL")]
    pub registry: String,
    /// The catalogue folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// One pulled subject.
struct Pulled {
    subject: String,
    version: i32,
    full_name: String,
    doc: Value,
    level: Option<CompatibilityLevel>,
    /// `Some(topic)` for a `<topic>-<full name>` subject.
    topic: Option<String>,
}

fn full_name(doc: &Value) -> Option<String> {
    let name = doc.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_owned());
    }
    match doc.get("namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_owned()),
    }
}

/// `shop.order.OrderCreated` → `order/order_created.avsc`.
fn derived_path(full: &str) -> String {
    let mut parts: Vec<&str> = full.split('.').collect();
    let name = parts.pop().unwrap_or(full);
    let file = format!("{}.avsc", evgen::naming::snake_fragment(name));
    match parts.last() {
        Some(ns) => format!("{}/{file}", evgen::naming::snake_fragment(ns)),
        None => file,
    }
}

/// A TOML basic string (JSON's escapes are TOML's).
fn toml_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// A TOML key: bare when it can be.
fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        s.to_owned()
    } else {
        toml_str(s)
    }
}

/// Runs `evgen pull`.
pub fn run(args: &Args) -> anyhow::Result<crate::Status> {
    let client = Client::new(&args.registry);
    let mut err = std::io::stderr().lock();
    let subjects = client.subjects()?;
    let global = client.global_level()?;
    let mut pulled = Vec::new();
    let n = subjects.len();
    for (i, subject) in subjects.iter().enumerate() {
        let v = client.version(subject, "latest")?;
        let at = format!("[{}/{n}] {subject}", i + 1);
        if v.schema_type.as_deref().is_some_and(|t| t != "AVRO") {
            writeln!(
                err,
                "{at}: skipped: a {} schema (the catalogue holds Avro)",
                v.schema_type.as_deref().unwrap_or_default()
            )?;
            continue;
        }
        let doc: Value = serde_json::from_str(&v.schema)
            .with_context(|| format!("subject '{subject}' version {}: not JSON", v.version))?;
        let Some(full) = full_name(&doc) else {
            writeln!(
                err,
                "{at}: skipped: the schema has no named root type, so it has no place in a catalogue"
            )?;
            continue;
        };
        let topic = subject
            .strip_suffix(&format!("-{full}"))
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if topic.is_none() && *subject != full {
            writeln!(
                err,
                "{at}: note: not named <topic>-{full} or {full}; pulled as a schema file only"
            )?;
        }
        let level = client.subject_level(subject)?;
        writeln!(err, "{at}: version {}", v.version)?;
        pulled.push(Pulled {
            subject: subject.clone(),
            version: v.version,
            full_name: full,
            doc,
            level,
            topic,
        });
    }

    let cat_path = args.out.join(CATALOG_FILE);
    let existing = if cat_path.is_file() {
        Some(catalogue::load(&args.out).with_context(|| {
            format!(
                "reading the existing catalogue in {} (pull keeps its catalog.toml)",
                args.out.display()
            )
        })?)
    } else {
        None
    };

    // File paths: the existing catalogue's where it knows the subject, else derived.
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for p in &pulled {
        let text = pretty(&p.doc)?;
        let known = existing
            .as_ref()
            .and_then(|c| c.item(&p.subject))
            .map(|i| i.file.clone());
        let mut path = known.unwrap_or_else(|| derived_path(&p.full_name));
        // Two subjects with one record (one per topic) share a file when equal.
        let mut k = 2;
        while taken.get(&path).is_some_and(|t| *t != text) {
            path = format!(
                "{}_{k}.avsc",
                derived_path(&p.full_name).trim_end_matches(".avsc")
            );
            k += 1;
        }
        taken.insert(path.clone(), text);
        paths.insert(p.subject.clone(), path);
    }
    let mut written = 0;
    for (path, text) in &taken {
        if evgen::write_if_changed(&args.out.join(path), text)? {
            written += 1;
        }
    }

    match &existing {
        Some(c) => {
            for p in &pulled {
                match c.item(&p.subject) {
                    None => writeln!(
                        err,
                        "note: subject '{}' is not described by {}; add it to the catalogue",
                        p.subject,
                        cat_path.display()
                    )?,
                    Some(item) => {
                        let level = p.level.unwrap_or(global);
                        if item.level != level {
                            writeln!(
                                err,
                                "note: subject '{}' is {level} in the registry but {} in {}",
                                p.subject,
                                item.level,
                                cat_path.display()
                            )?;
                        }
                    }
                }
            }
        }
        None => {
            let toml = catalog_toml(&args.registry, global, &pulled, &paths);
            if evgen::write_if_changed(&cat_path, &toml)? {
                written += 1;
            }
        }
    }
    writeln!(
        std::io::stdout().lock(),
        "pulled {} subject(s) from {} into {}: {written} file(s) written",
        pulled.len(),
        args.registry,
        args.out.display()
    )?;
    Ok(crate::Status::Success)
}

fn pretty(doc: &Value) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(s)
}

fn catalog_toml(
    registry: &str,
    global: CompatibilityLevel,
    pulled: &[Pulled],
    paths: &BTreeMap<String, String>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Written by `evgen pull --registry {registry}`: the registry's subjects and their\n\
         # compatibility levels. A registry does not know topic settings, producing\n\
         # services, partition keys or consumer groups: fill those in.\n"
    );
    let _ = writeln!(s, "[catalog]");
    let _ = writeln!(s, "compatibility = {}", toml_str(global.as_str()));
    let _ = writeln!(s, "subject_name_strategy = \"TopicRecordNameStrategy\"");
    let envelope = pulled.iter().find(|p| {
        p.topic.is_none() && {
            let fields: Vec<&str> = p
                .doc
                .get("fields")
                .and_then(Value::as_array)
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| f.get("name").and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            ENVELOPE_FIELDS.iter().all(|f| fields.contains(f))
        }
    });
    if let Some(path) = envelope.and_then(|e| paths.get(&e.subject)) {
        let _ = writeln!(s, "envelope = {}", toml_str(path));
    }
    let topics: BTreeSet<&str> = pulled.iter().filter_map(|p| p.topic.as_deref()).collect();
    for t in &topics {
        let _ = writeln!(s, "\n[topics.{}]", toml_key(t));
    }
    let mut event_types = BTreeSet::new();
    for p in pulled {
        let (Some(topic), Some(path)) = (&p.topic, paths.get(&p.subject)) else {
            continue;
        };
        let base = derived_path(&p.full_name)
            .trim_end_matches(".avsc")
            .replace('/', ".");
        let event_type = evgen::naming::unique(base, &mut event_types);
        let _ = writeln!(s, "\n[events.{}]", toml_str(&event_type));
        let _ = writeln!(s, "schema = {}", toml_str(path));
        let _ = writeln!(s, "source = \"unknown\"");
        let _ = writeln!(s, "topic = {}", toml_str(topic));
        let _ = writeln!(s, "version = {}", p.version);
        if let Some(level) = p.level.filter(|l| *l != global) {
            let _ = writeln!(s, "compatibility = {}", toml_str(level.as_str()));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_keys() {
        assert_eq!(
            derived_path("shop.order.OrderCreated"),
            "order/order_created.avsc"
        );
        assert_eq!(derived_path("Ping"), "ping.avsc");
        assert_eq!(toml_key("order-events"), "order-events");
        assert_eq!(toml_key("a.b"), "\"a.b\"");
    }
}

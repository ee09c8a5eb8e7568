//! Fetching a schema and its references from a Confluent-compatible registry
//! (`GET /subjects/{subject}/versions/{version}`).

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::Deserialize;

/// The schema languages evgen generates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `schemaType` absent or `AVRO`.
    Avro,
    /// `schemaType` `JSON`.
    Json,
}

impl Kind {
    fn of(schema_type: Option<&str>) -> Option<Kind> {
        match schema_type {
            None | Some("AVRO") => Some(Kind::Avro),
            Some("JSON") => Some(Kind::Json),
            Some(_) => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Avro => "Avro",
            Kind::Json => "JSON Schema",
        }
    }
}

/// A schema fetched from the registry.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// `registry:<subject>/<version>`, how messages name it.
    pub label: String,
    /// The subject it was fetched from.
    pub subject: String,
    /// The version fetched.
    pub version: i64,
    /// The schema text.
    pub text: String,
    /// Its language.
    pub kind: Kind,
    /// The `name`s referrers gave it in their `references` (what a JSON Schema
    /// `$ref` calls it); empty for the subject asked for.
    pub names: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Version {
    subject: String,
    version: i64,
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    name: String,
    subject: String,
    version: i64,
}

/// Percent-encodes a path segment (subjects may contain `/` or spaces).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn get(base: &str, subject: &str, version: &str) -> anyhow::Result<Version> {
    let url = format!(
        "{}/subjects/{}/versions/{}",
        base.trim_end_matches('/'),
        segment(subject),
        segment(version)
    );
    let mut response = ureq::get(&url)
        .header("Accept", "application/vnd.schemaregistry.v1+json")
        .call()
        .with_context(|| format!("GET {url}"))?;
    let body = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the response of GET {url}"))?;
    serde_json::from_str(&body)
        .with_context(|| format!("GET {url} returned something other than a schema version"))
}

/// The schema of `subject` at `version`, preceded by everything it references
/// (transitively, definitions first), so evgen can parse them together.
pub fn fetch(base: &str, subject: &str, version: &str) -> anyhow::Result<Vec<Fetched>> {
    let mut out = Vec::new();
    let mut seen = BTreeMap::new();
    visit(base, subject, version, None, &mut seen, &mut out, 0)?;
    for f in &mut out {
        if let Some(names) = seen.remove(&(f.subject.clone(), f.version)) {
            f.names = names;
        }
    }
    Ok(out)
}

/// Adds the schema of `subject` at `version` and its references to `config`: the
/// subject's own schema gets a root type, which a JSON Schema without a `title`
/// names after the subject; JSON Schemas it references are registered under their
/// reference names, which is what its `$ref`s use.
pub fn add_to(
    config: &mut evgen::Config,
    base: &str,
    subject: &str,
    version: &str,
) -> anyhow::Result<()> {
    let fetched = fetch(base, subject, version)?;
    let last = fetched.len().saturating_sub(1);
    for (i, f) in fetched.into_iter().enumerate() {
        let root = i == last;
        match f.kind {
            Kind::Avro => {
                config.source(f.label, f.text);
            }
            Kind::Json => {
                let stem = match f.names.first() {
                    Some(name) if !root => file_stem(name).to_owned(),
                    _ => f.subject.clone(),
                };
                config.json_source(f.label, f.text, f.names, stem, root);
            }
        }
    }
    Ok(())
}

/// `https://x/common/money.schema.json` -> `money`: what a referenced schema's
/// types are named after when it has no `title`.
fn file_stem(name: &str) -> &str {
    let name = name.rsplit(['/', ':']).next().unwrap_or(name);
    name.strip_suffix(".schema.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(name)
}

/// The referrer's view of a reference: its kind and the name it uses.
struct Referrer<'a> {
    kind: Kind,
    subject: &'a str,
    name: &'a str,
}

fn visit(
    base: &str,
    subject: &str,
    version: &str,
    referrer: Option<Referrer<'_>>,
    seen: &mut BTreeMap<(String, i64), Vec<String>>,
    out: &mut Vec<Fetched>,
    depth: usize,
) -> anyhow::Result<()> {
    if depth > 64 {
        bail!("references of subject '{subject}' nest deeper than 64");
    }
    let v = get(base, subject, version)?;
    let Some(kind) = Kind::of(v.schema_type.as_deref()) else {
        bail!(
            "subject '{}' version {} is a {} schema; evgen generates from Avro and JSON Schema",
            v.subject,
            v.version,
            v.schema_type.as_deref().unwrap_or_default()
        );
    };
    if let Some(r) = &referrer
        && r.kind != kind
    {
        bail!(
            "subject '{}' ({}) references subject '{}' version {} (as '{}'), which is {}; references must be in the same language",
            r.subject,
            r.kind.name(),
            v.subject,
            v.version,
            r.name,
            kind.name()
        );
    }
    // Every name a referrer gives a schema is one its `$ref`s may use.
    let first = !seen.contains_key(&(v.subject.clone(), v.version));
    let names = seen.entry((v.subject.clone(), v.version)).or_default();
    if let Some(r) = &referrer
        && !names.iter().any(|n| n == r.name)
    {
        names.push(r.name.to_owned());
    }
    // Marked seen before its references are visited, so a cycle ends here.
    if !first {
        return Ok(());
    }
    for r in &v.references {
        let referrer = Referrer {
            kind,
            subject: &v.subject,
            name: &r.name,
        };
        visit(
            base,
            &r.subject,
            &r.version.to_string(),
            Some(referrer),
            seen,
            out,
            depth + 1,
        )?;
    }
    out.push(Fetched {
        label: format!("registry:{}/{}", v.subject, v.version),
        subject: v.subject,
        version: v.version,
        text: v.schema,
        kind,
        names: Vec::new(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_names_give_type_stems() {
        assert_eq!(file_stem("customer.json"), "customer");
        assert_eq!(file_stem("common/money.schema.json"), "money");
        assert_eq!(file_stem("https://example.com/schemas/line.json"), "line");
        assert_eq!(file_stem("shop.Address"), "shop.Address");
    }

    #[test]
    fn schema_types() {
        assert_eq!(Kind::of(None), Some(Kind::Avro));
        assert_eq!(Kind::of(Some("AVRO")), Some(Kind::Avro));
        assert_eq!(Kind::of(Some("JSON")), Some(Kind::Json));
        assert_eq!(Kind::of(Some("PROTOBUF")), None);
    }
}

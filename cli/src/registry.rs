//! Fetching a schema and its references from a Confluent-compatible registry
//! (`GET /subjects/{subject}/versions/{version}`).

use anyhow::{Context, bail};
use serde::Deserialize;

/// A schema fetched from the registry.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// `registry:<subject>/<version>`, how messages name it.
    pub label: String,
    /// The schema text.
    pub text: String,
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
    let mut seen = std::collections::BTreeSet::new();
    visit(base, subject, version, &mut seen, &mut out, 0)?;
    Ok(out)
}

fn visit(
    base: &str,
    subject: &str,
    version: &str,
    seen: &mut std::collections::BTreeSet<(String, i64)>,
    out: &mut Vec<Fetched>,
    depth: usize,
) -> anyhow::Result<()> {
    if depth > 64 {
        bail!("references of subject '{subject}' nest deeper than 64");
    }
    let v = get(base, subject, version)?;
    if let Some(t) = v.schema_type.as_deref()
        && t != "AVRO"
    {
        bail!(
            "subject '{}' version {} is a {t} schema; evgen generates from Avro",
            v.subject,
            v.version
        );
    }
    if !seen.insert((v.subject.clone(), v.version)) {
        return Ok(());
    }
    for r in &v.references {
        visit(
            base,
            &r.subject,
            &r.version.to_string(),
            seen,
            out,
            depth + 1,
        )?;
    }
    out.push(Fetched {
        label: format!("registry:{}/{}", v.subject, v.version),
        text: v.schema,
    });
    Ok(())
}

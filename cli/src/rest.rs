//! The registry calls of `check --registry`, `push` and `pull`: a blocking
//! Confluent REST client that keeps error bodies (`{"error_code", "message"}`),
//! because a 404 says whether the subject or only the schema is missing.

use std::time::Duration;

use anyhow::{Context, bail};
use evreg_core::CompatibilityLevel;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::catalogue::Ref;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A registry at a base URL.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

/// A response: the status and the JSON body (`Null` when empty).
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn error_code(&self) -> Option<i64> {
        self.body.get("error_code").and_then(Value::as_i64)
    }

    fn message(&self) -> String {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| self.body.to_string(), str::to_owned)
    }
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

/// A schema version as the registry returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// The version number.
    pub version: i32,
    /// The schema id.
    #[serde(default)]
    pub id: Option<i64>,
    /// The text.
    #[serde(default)]
    pub schema: String,
    /// `AVRO` when absent.
    #[serde(default)]
    pub schema_type: Option<String>,
    /// References.
    #[serde(default)]
    pub references: Vec<evreg_core::SchemaReference>,
}

/// What the registry says about a compatibility test.
#[derive(Debug, Clone, Deserialize)]
pub struct CompatReply {
    /// Whether the schema may be registered.
    pub is_compatible: bool,
    /// Confluent's verbose lines.
    #[serde(default)]
    pub messages: Vec<String>,
}

/// What `lookup` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The schema is registered under the subject, as this version.
    Found(i32),
    /// The subject exists, without this schema.
    NotInSubject,
    /// No such subject.
    NoSubject,
}

impl Client {
    /// A client for the registry at `base`.
    pub fn new(base: &str) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Reply> {
        let url = self.url(path);
        let what = || format!("{method} {url}");
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Accept", CONTENT_TYPE).call(),
            (m, b) => {
                let text = b.map(Value::to_string).unwrap_or_default();
                let req = if m == "PUT" {
                    self.agent.put(&url)
                } else {
                    self.agent.post(&url)
                };
                req.header("Accept", CONTENT_TYPE)
                    .header("Content-Type", CONTENT_TYPE)
                    .send(text)
            }
        };
        let mut response =
            response.with_context(|| format!("{} (is the registry running?)", what()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the response of {}", what()))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} answered {status} with a body that is not JSON: {text:.200}",
                    what()
                )
            })?
        };
        if status >= 500 {
            bail!(
                "{} failed: {status}: {}",
                what(),
                Reply { status, body }.message()
            );
        }
        Ok(Reply { status, body })
    }

    fn expect_ok(&self, method: &str, path: &str, reply: Reply) -> anyhow::Result<Value> {
        if reply.status / 100 != 2 {
            bail!(
                "{method} {} answered {}: {}",
                self.url(path),
                reply.status,
                reply.message()
            );
        }
        Ok(reply.body)
    }

    fn schema_body(schema: &str, references: &[(Ref, i32)]) -> Value {
        let refs: Vec<Value> = references
            .iter()
            .map(|(r, v)| json!({"name": r.name, "subject": r.subject, "version": v}))
            .collect();
        let mut body = json!({"schema": schema, "schemaType": "AVRO"});
        if !refs.is_empty() {
            body["references"] = Value::Array(refs);
        }
        body
    }

    /// The compatibility level that governs `subject` (its own, else the global one).
    pub fn effective_level(&self, subject: &str) -> anyhow::Result<CompatibilityLevel> {
        let path = format!("/config/{}?defaultToGlobal=true", segment(subject));
        let reply = self.call("GET", &path, None)?;
        let body = self.expect_ok("GET", &path, reply)?;
        level_in(&body).with_context(|| format!("GET {}", self.url(&path)))
    }

    /// `subject`'s own level, if one is set.
    pub fn subject_level(&self, subject: &str) -> anyhow::Result<Option<CompatibilityLevel>> {
        let path = format!("/config/{}", segment(subject));
        let reply = self.call("GET", &path, None)?;
        if reply.status == 404 {
            return Ok(None);
        }
        let body = self.expect_ok("GET", &path, reply)?;
        level_in(&body)
            .map(Some)
            .with_context(|| format!("GET {}", self.url(&path)))
    }

    /// The global level.
    pub fn global_level(&self) -> anyhow::Result<CompatibilityLevel> {
        let reply = self.call("GET", "/config", None)?;
        let body = self.expect_ok("GET", "/config", reply)?;
        level_in(&body).with_context(|| format!("GET {}", self.url("/config")))
    }

    /// Sets `subject`'s own level.
    pub fn set_level(&self, subject: &str, level: CompatibilityLevel) -> anyhow::Result<()> {
        let path = format!("/config/{}", segment(subject));
        let reply = self.call(
            "PUT",
            &path,
            Some(&json!({"compatibility": level.as_str()})),
        )?;
        self.expect_ok("PUT", &path, reply).map(drop)
    }

    /// Whether `schema` (with `references`) is registered under `subject`.
    pub fn lookup(
        &self,
        subject: &str,
        schema: &str,
        references: &[(Ref, i32)],
    ) -> anyhow::Result<Lookup> {
        let path = format!("/subjects/{}", segment(subject));
        let reply = self.call("POST", &path, Some(&Self::schema_body(schema, references)))?;
        match (reply.status, reply.error_code()) {
            (404, Some(40401)) => Ok(Lookup::NoSubject),
            (404, _) => Ok(Lookup::NotInSubject),
            _ => {
                let body = self.expect_ok("POST", &path, reply)?;
                let v: Version = serde_json::from_value(body)
                    .with_context(|| format!("POST {} returned no version", self.url(&path)))?;
                Ok(Lookup::Found(v.version))
            }
        }
    }

    /// Asks whether registering `schema` under `subject` would pass the
    /// subject's compatibility check (against the versions registration checks).
    pub fn test_compatibility(&self, subject: &str, schema: &str) -> anyhow::Result<CompatReply> {
        let path = format!(
            "/compatibility/subjects/{}/versions?verbose=true",
            segment(subject)
        );
        let reply = self.call("POST", &path, Some(&Self::schema_body(schema, &[])))?;
        let body = self.expect_ok("POST", &path, reply)?;
        serde_json::from_value(body)
            .with_context(|| format!("POST {} returned no compatibility verdict", self.url(&path)))
    }

    /// Registers `schema` under `subject`; returns `(version, id)`.
    pub fn register(
        &self,
        subject: &str,
        schema: &str,
        references: &[(Ref, i32)],
    ) -> anyhow::Result<(i32, i64)> {
        let path = format!("/subjects/{}/versions", segment(subject));
        let reply = self.call("POST", &path, Some(&Self::schema_body(schema, references)))?;
        let body = self.expect_ok("POST", &path, reply)?;
        let id = body
            .get("id")
            .and_then(Value::as_i64)
            .with_context(|| format!("POST {} returned no id: {body}", self.url(&path)))?;
        // Older registries answer only the id; the lookup gives the version.
        let version = match body.get("version").and_then(Value::as_i64) {
            Some(v) => i32::try_from(v).with_context(|| format!("version {v} out of range"))?,
            None => match self.lookup(subject, schema, references)? {
                Lookup::Found(v) => v,
                _ => bail!(
                    "subject '{subject}': registered as id {id} but the lookup cannot find it"
                ),
            },
        };
        Ok((version, id))
    }

    /// Every subject.
    pub fn subjects(&self) -> anyhow::Result<Vec<String>> {
        let reply = self.call("GET", "/subjects", None)?;
        let body = self.expect_ok("GET", "/subjects", reply)?;
        serde_json::from_value(body)
            .with_context(|| format!("GET {} returned no subject list", self.url("/subjects")))
    }

    /// The live version numbers of `subject` (empty when it does not exist).
    pub fn versions(&self, subject: &str) -> anyhow::Result<Vec<i32>> {
        let path = format!("/subjects/{}/versions", segment(subject));
        let reply = self.call("GET", &path, None)?;
        if reply.status == 404 {
            return Ok(Vec::new());
        }
        let body = self.expect_ok("GET", &path, reply)?;
        serde_json::from_value(body)
            .with_context(|| format!("GET {} returned no version list", self.url(&path)))
    }

    /// `subject` at `version` (`latest` or a number).
    pub fn version(&self, subject: &str, version: &str) -> anyhow::Result<Version> {
        let path = format!(
            "/subjects/{}/versions/{}",
            segment(subject),
            segment(version)
        );
        let reply = self.call("GET", &path, None)?;
        let body = self.expect_ok("GET", &path, reply)?;
        serde_json::from_value(body)
            .with_context(|| format!("GET {} returned no schema version", self.url(&path)))
    }
}

fn level_in(body: &Value) -> anyhow::Result<CompatibilityLevel> {
    let raw = body
        .get("compatibilityLevel")
        .or_else(|| body.get("compatibility"))
        .and_then(Value::as_str)
        .with_context(|| format!("no compatibility level in {body}"))?;
    Ok(raw.parse()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn segments_are_escaped() {
        assert_eq!(super::segment("a b/c-d.e"), "a%20b%2Fc-d.e");
    }
}

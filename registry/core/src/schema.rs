//! Schemas as clients send them: type, text and references, parsed once into
//! a [`ParsedSchema`] that carries its canonical text and fingerprint.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{SchemaError, SchemaErrorKind};
use crate::{avro, json};

/// How deep references may nest (a schema referencing a schema referencing …).
pub const MAX_REFERENCE_DEPTH: usize = 64;
/// How many schemas one schema may pull in through references, transitively.
pub const MAX_REFERENCED_SCHEMAS: usize = 10_000;

/// The formats a schema may be written in (`schemaType` on the wire).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum SchemaType {
    /// Apache Avro; the default when a request names no type.
    #[default]
    Avro,
    /// JSON Schema, drafts 4 to 2020-12.
    Json,
    /// Protocol Buffers. Recognised by name; parsing it is not supported yet.
    Protobuf,
}

impl SchemaType {
    /// The wire name: `AVRO`, `JSON` or `PROTOBUF`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Json => "JSON",
            SchemaType::Protobuf => "PROTOBUF",
        }
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchemaType {
    type Err = SchemaError;

    /// Parses a wire name. Confluent accepts any letter case here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "AVRO" => Ok(SchemaType::Avro),
            "JSON" => Ok(SchemaType::Json),
            "PROTOBUF" => Ok(SchemaType::Protobuf),
            _ => Err(SchemaError::new(
                SchemaErrorKind::UnsupportedType,
                "",
                format!("unknown schema type '{s}' (expected AVRO, JSON or PROTOBUF)"),
            )),
        }
    }
}

/// A reference from one schema to a named schema registered under another subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaReference {
    /// Avro full name of the referenced type, or the JSON Schema `$ref` URL.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version of that subject.
    pub version: i32,
}

/// What the caller's lookup answers for one reference.
#[derive(Debug, Clone)]
pub struct ReferencedSchema {
    /// The format of the referenced schema.
    pub schema_type: SchemaType,
    /// Its text, as registered.
    pub schema: String,
    /// Its own references, resolved by the same lookup.
    pub references: Vec<SchemaReference>,
}

/// Resolves references; supplied by the caller (the registry's store, a folder of files, …).
pub trait ReferenceLookup {
    /// The schema registered as `reference.subject` version `reference.version`, if any.
    fn lookup(&self, reference: &SchemaReference) -> Option<ReferencedSchema>;
}

impl<F> ReferenceLookup for F
where
    F: Fn(&SchemaReference) -> Option<ReferencedSchema>,
{
    fn lookup(&self, reference: &SchemaReference) -> Option<ReferencedSchema> {
        self(reference)
    }
}

/// A lookup for schemas that have no references: every lookup fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoReferences;

impl ReferenceLookup for NoReferences {
    fn lookup(&self, _reference: &SchemaReference) -> Option<ReferencedSchema> {
        None
    }
}

/// One schema that a schema depends on, transitively, with the name it is referenced by.
/// [`resolve_references`] returns these in dependency order: a schema comes after all it uses.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The reference name (Avro full name or JSON Schema `$ref` URL).
    pub name: String,
    /// The format of the dependency.
    pub schema_type: SchemaType,
    /// Its text.
    pub schema: String,
}

/// SHA-256 over a schema's type, canonical text and references.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    fn of(schema_type: SchemaType, text: &str, references: &[SchemaReference]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(schema_type.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        for r in references {
            // Length-prefixed, so no two reference lists hash alike by concatenation.
            for part in [r.name.as_bytes(), r.subject.as_bytes()] {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part);
            }
            hasher.update(r.version.to_be_bytes());
        }
        Fingerprint(hasher.finalize().into())
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// The parsed form of one format.
#[derive(Debug)]
pub(crate) enum Body {
    // Boxed: the Avro form carries apache-avro's schema and is much the larger.
    Avro(Box<avro::AvroSchema>),
    Json(json::JsonSchema),
}

/// A schema that parsed and validated, with its identity.
///
/// Parse once and share (`Arc<ParsedSchema>`): compatibility checks take parsed
/// forms, so a registry never parses a stored version twice.
#[derive(Debug)]
pub struct ParsedSchema {
    schema_type: SchemaType,
    canonical: String,
    normalized: String,
    fingerprint: Fingerprint,
    normalized_fingerprint: Fingerprint,
    references: Vec<SchemaReference>,
    pub(crate) body: Body,
}

impl ParsedSchema {
    /// The format.
    pub fn schema_type(&self) -> SchemaType {
        self.schema_type
    }

    /// The canonical text: what a registry stores and serves. Two texts that differ
    /// only in layout have the same canonical text (see the format modules for the rule).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The normalized text (Confluent's `normalize=true`): the canonical text with
    /// semantically irrelevant differences removed as well.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Identity of the canonical text plus references.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Identity of the normalized text plus references.
    pub fn normalized_fingerprint(&self) -> Fingerprint {
        self.normalized_fingerprint
    }

    /// The references the schema was registered with.
    pub fn references(&self) -> &[SchemaReference] {
        &self.references
    }

    /// The Avro form, for Avro schemas.
    pub fn as_avro(&self) -> Option<&avro::AvroSchema> {
        match &self.body {
            Body::Avro(a) => Some(a),
            Body::Json(_) => None,
        }
    }

    /// The JSON Schema form, for JSON schemas.
    pub fn as_json(&self) -> Option<&json::JsonSchema> {
        match &self.body {
            Body::Json(j) => Some(j),
            Body::Avro(_) => None,
        }
    }
}

/// Parses and validates `text` as a schema of `schema_type`, resolving `references`
/// through `lookup`.
///
/// Errors name the location in the text (a JSON pointer) and what is wrong.
pub fn parse(
    schema_type: SchemaType,
    text: &str,
    references: &[SchemaReference],
    lookup: &dyn ReferenceLookup,
) -> Result<ParsedSchema, SchemaError> {
    let deps = resolve_references(references, lookup)?;
    let (body, canonical, normalized) = match schema_type {
        SchemaType::Avro => {
            let schema = avro::AvroSchema::parse(text, &deps)?;
            let canonical = schema.canonical_form(false);
            let normalized = schema.canonical_form(true);
            (Body::Avro(Box::new(schema)), canonical, normalized)
        }
        SchemaType::Json => {
            let schema = json::JsonSchema::parse(text, &deps)?;
            let canonical = schema.canonical_form(false);
            let normalized = schema.canonical_form(true);
            (Body::Json(schema), canonical, normalized)
        }
        SchemaType::Protobuf => {
            return Err(SchemaError::new(
                SchemaErrorKind::UnsupportedType,
                "",
                "PROTOBUF schemas are not supported by this registry yet",
            ));
        }
    };
    let mut refs = references.to_vec();
    // Reference order is not part of a schema's meaning.
    refs.sort();
    Ok(ParsedSchema {
        schema_type,
        fingerprint: Fingerprint::of(schema_type, &canonical, &refs),
        normalized_fingerprint: Fingerprint::of(schema_type, &normalized, &refs),
        canonical,
        normalized,
        references: references.to_vec(),
        body,
    })
}

/// Parses a schema that has no references.
pub fn parse_standalone(schema_type: SchemaType, text: &str) -> Result<ParsedSchema, SchemaError> {
    parse(schema_type, text, &[], &NoReferences)
}

/// Shares a parsed schema.
pub type SharedSchema = Arc<ParsedSchema>;

/// Flattens `references` (and theirs, transitively) into dependency order, each
/// schema once, refusing cycles and unresolvable references.
pub fn resolve_references(
    references: &[SchemaReference],
    lookup: &dyn ReferenceLookup,
) -> Result<Vec<Dependency>, SchemaError> {
    let mut out = Vec::new();
    let mut done = HashSet::new();
    let mut stack = Vec::new();
    for (i, r) in references.iter().enumerate() {
        visit(
            r,
            &format!("/references/{i}"),
            lookup,
            &mut stack,
            &mut done,
            &mut out,
        )?;
    }
    Ok(out)
}

fn visit(
    reference: &SchemaReference,
    location: &str,
    lookup: &dyn ReferenceLookup,
    stack: &mut Vec<(String, i32)>,
    done: &mut HashSet<(String, i32)>,
    out: &mut Vec<Dependency>,
) -> Result<(), SchemaError> {
    let key = (reference.subject.clone(), reference.version);
    if done.contains(&key) {
        return Ok(());
    }
    if stack.contains(&key) {
        return Err(SchemaError::new(
            SchemaErrorKind::ReferenceCycle,
            location,
            format!(
                "reference '{}' (subject '{}' version {}) refers back to itself",
                reference.name, reference.subject, reference.version
            ),
        ));
    }
    if stack.len() >= MAX_REFERENCE_DEPTH || out.len() >= MAX_REFERENCED_SCHEMAS {
        return Err(SchemaError::new(
            SchemaErrorKind::TooLarge,
            location,
            format!(
                "references nest deeper than {MAX_REFERENCE_DEPTH} or pull in more than {MAX_REFERENCED_SCHEMAS} schemas"
            ),
        ));
    }
    let found = lookup.lookup(reference).ok_or_else(|| {
        SchemaError::new(
            SchemaErrorKind::UnresolvedReference,
            location,
            format!(
                "reference '{}' names subject '{}' version {}, which does not exist",
                reference.name, reference.subject, reference.version
            ),
        )
    })?;
    stack.push(key.clone());
    for (i, r) in found.references.iter().enumerate() {
        visit(
            r,
            &format!("{location}/references/{i}"),
            lookup,
            stack,
            done,
            out,
        )?;
    }
    stack.pop();
    done.insert(key);
    out.push(Dependency {
        name: reference.name.clone(),
        schema_type: found.schema_type,
        schema: found.schema,
    });
    Ok(())
}

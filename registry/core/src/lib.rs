//! The schema core of evreg: parsing, identity and compatibility, with no IO.
//!
//! ```
//! use evreg_core::{parse_standalone, check, CompatibilityLevel, SchemaType};
//!
//! let v1 = parse_standalone(SchemaType::Avro,
//!     r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#).unwrap();
//! let v2 = parse_standalone(SchemaType::Avro,
//!     r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},
//!                                                   {"name":"amount","type":"long"}]}"#).unwrap();
//! // A new field without a default cannot be filled in when reading old data.
//! let problems = check(CompatibilityLevel::Backward, &v2, &[&v1]);
//! assert_eq!(problems.len(), 1);
//! assert!(problems[0].message.contains("amount"));
//! ```
//!
//! Everything here is pure: the registry supplies stored schemas and a
//! [`ReferenceLookup`]; this crate answers.

pub mod avro;
pub mod compat;
pub mod error;
pub mod json;
pub mod schema;

pub use compat::{
    CheckOptions, CompatibilityLevel, Direction, Finding, Incompatibility, IncompatibilityKind,
    InvalidLevel, JsonPolicy, check, check_pair, check_with,
};
pub use error::{SchemaError, SchemaErrorKind};
pub use schema::{
    Dependency, Fingerprint, MAX_REFERENCE_DEPTH, MAX_REFERENCED_SCHEMAS, NoReferences,
    ParsedSchema, ReferenceLookup, ReferencedSchema, SchemaReference, SchemaType, SharedSchema,
    parse, parse_standalone, resolve_references,
};

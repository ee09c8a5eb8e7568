//! Serializers that produce only what the registry allows, and deserializers
//! that read any registered writer schema into the reader's type.
//!
//! The first event of a type costs registry round trips (look the schema up in
//! its subject, check it against the subject's latest version, or register it
//! when asked to); every later event of that type is encoded with no network.
//!
//! Avro events are written as Avro binary datums. JSON events are written as
//! UTF-8 JSON (Confluent's JSON Schema wire format: the same 5-byte header, then
//! the document), validated against the event's schema on the way out and
//! against the reader's schema on the way in, as Confluent's serializers do.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use apache_avro::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::EventMeta;
use crate::registry::{RegistryClient, RegistryError, RegistrySchema};
use crate::wire::{self, WireError};

/// Why an event was not produced or not read.
#[derive(Debug, thiserror::Error)]
pub enum SerdeError {
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The event's schema is not a version of its subject (and auto-registration is off).
    #[error(
        "refusing to produce {event_type}: its schema is not registered under subject '{subject}' (register it first, or enable auto-registration)"
    )]
    NotRegistered {
        /// The event type.
        event_type: &'static str,
        /// Its subject.
        subject: &'static str,
    },
    /// The event's schema may not follow the subject's latest version.
    #[error("refusing to produce {event_type}: its schema is incompatible with the latest version of subject '{subject}': {}", reasons.join("; "))]
    Incompatible {
        /// The event type.
        event_type: &'static str,
        /// Its subject.
        subject: &'static str,
        /// The registry's reasons.
        reasons: Vec<String>,
    },
    /// A schema (the event's own, or a writer's from the registry) did not parse.
    #[error("schema of {what} does not parse: {message}")]
    Schema {
        /// Which schema.
        what: String,
        /// Why.
        message: String,
    },
    /// The value could not be encoded with its schema.
    #[error("cannot encode {event_type}: {message}")]
    Encode {
        /// The event type.
        event_type: &'static str,
        /// Why.
        message: String,
    },
    /// A JSON event does not conform to its schema.
    #[error("{event_type} does not conform to its JSON schema: {}", problems.join("; "))]
    Invalid {
        /// The event type.
        event_type: &'static str,
        /// Each violation, with the JSON pointer of the value at fault.
        problems: Vec<String>,
    },
    /// The bytes are not Confluent-framed.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The payload could not be read into the reader's type.
    #[error("cannot decode a message of schema id {id} as {event_type}: {message}")]
    Decode {
        /// The writer's schema id.
        id: u32,
        /// The reader's event type.
        event_type: &'static str,
        /// Why.
        message: String,
    },
}

fn read<K: std::hash::Hash + Eq, V: Clone>(map: &RwLock<HashMap<K, V>>, key: &K) -> Option<V> {
    map.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(key)
        .cloned()
}

fn write<K: std::hash::Hash + Eq, V>(map: &RwLock<HashMap<K, V>>, key: K, value: V) {
    map.write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, value);
}

fn own_schema<T: EventMeta>() -> RegistrySchema {
    RegistrySchema {
        schema_type: T::SCHEMA_TYPE.to_owned(),
        schema: T::SCHEMA.to_owned(),
        references: Vec::new(),
    }
}

/// An event type's own schema, compiled for encoding or checking.
#[derive(Clone)]
enum Own {
    Avro(Arc<crate::avro::Prepared>),
    Json(Arc<jsonschema::Validator>),
}

fn parse_own<T: EventMeta>() -> Result<Own, SerdeError> {
    let failed = |message: String| SerdeError::Schema {
        what: T::EVENT_TYPE.to_owned(),
        message,
    };
    if T::SCHEMA_TYPE.eq_ignore_ascii_case("JSON") {
        let doc: serde_json::Value =
            serde_json::from_str(T::SCHEMA).map_err(|e| failed(e.to_string()))?;
        let validator = jsonschema::validator_for(&doc).map_err(|e| failed(e.to_string()))?;
        return Ok(Own::Json(Arc::new(validator)));
    }
    Schema::parse_str(T::SCHEMA)
        .and_then(crate::avro::Prepared::new)
        .map(|s| Own::Avro(Arc::new(s)))
        .map_err(|e| failed(e.to_string()))
}

/// Checks a JSON value against `T`'s schema, naming every violation.
fn validate<T: EventMeta>(
    validator: &jsonschema::Validator,
    value: &serde_json::Value,
) -> Result<(), SerdeError> {
    // Enough to fix the value; a hostile document could carry thousands.
    const SHOWN: usize = 8;
    let problems: Vec<String> = validator
        .iter_errors(value)
        .take(SHOWN)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SerdeError::Invalid {
            event_type: T::EVENT_TYPE,
            problems,
        })
    }
}

/// What the serializer learned about one event type.
#[derive(Clone)]
struct Resolved {
    id: u32,
    own: Own,
}

/// Encodes events in the Confluent wire format, refusing schemas the registry
/// would not accept.
#[derive(Debug)]
pub struct Serializer {
    registry: Arc<RegistryClient>,
    auto_register: bool,
    resolved: RwLock<HashMap<TypeId, Resolved>>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Serializer {
    /// A serializer that looks schemas up and never registers them.
    pub fn new(registry: Arc<RegistryClient>) -> Serializer {
        Serializer {
            registry,
            auto_register: false,
            resolved: RwLock::new(HashMap::new()),
        }
    }

    /// Registers an event's schema on first use when it is not registered yet
    /// (the registry still refuses an incompatible one).
    pub fn auto_register(mut self, on: bool) -> Serializer {
        self.auto_register = on;
        self
    }

    /// The schema id of `T`, asking the registry on first use.
    pub async fn schema_id<T: EventMeta + 'static>(&self) -> Result<u32, SerdeError> {
        Ok(self.resolve::<T>().await?.id)
    }

    async fn resolve<T: EventMeta + 'static>(&self) -> Result<Resolved, SerdeError> {
        if let Some(hit) = read(&self.resolved, &TypeId::of::<T>()) {
            return Ok(hit);
        }
        let own = parse_own::<T>()?;
        let schema = own_schema::<T>();
        let id = match self.registry.lookup(T::SUBJECT, &schema).await? {
            Some(found) => {
                let reasons = self
                    .registry
                    .incompatibilities_with_latest(T::SUBJECT, &schema)
                    .await?;
                if !reasons.is_empty() {
                    return Err(SerdeError::Incompatible {
                        event_type: T::EVENT_TYPE,
                        subject: T::SUBJECT,
                        reasons,
                    });
                }
                found.id
            }
            None if self.auto_register => match self.registry.register(T::SUBJECT, &schema).await {
                Ok(r) => r.id,
                Err(RegistryError::Api {
                    status: 409,
                    message,
                    ..
                }) => {
                    return Err(SerdeError::Incompatible {
                        event_type: T::EVENT_TYPE,
                        subject: T::SUBJECT,
                        reasons: vec![message],
                    });
                }
                Err(e) => return Err(e.into()),
            },
            None => {
                return Err(SerdeError::NotRegistered {
                    event_type: T::EVENT_TYPE,
                    subject: T::SUBJECT,
                });
            }
        };
        let resolved = Resolved { id, own };
        write(&self.resolved, TypeId::of::<T>(), resolved.clone());
        Ok(resolved)
    }

    fn encode<T: EventMeta + Serialize>(
        resolved: &Resolved,
        event: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), SerdeError> {
        let failed = |e: &dyn std::fmt::Display| SerdeError::Encode {
            event_type: T::EVENT_TYPE,
            message: e.to_string(),
        };
        match &resolved.own {
            Own::Avro(prepared) => {
                let start = out.len();
                if let Some(Ok(())) = event.write_avro_datum(out) {
                    return Ok(());
                }
                // The plan writes it again, or names the field it refuses.
                out.truncate(start);
                prepared.encode(event, out).map_err(|e| failed(&e))?
            }
            Own::Json(validator) => {
                let value = serde_json::to_value(event).map_err(|e| failed(&e))?;
                validate::<T>(validator, &value)?;
                serde_json::to_writer(out, &value).map_err(|e| failed(&e))?
            }
        }
        Ok(())
    }

    /// `event` in the Confluent wire format: magic byte, schema id, payload.
    pub async fn serialize<T: EventMeta + Serialize + 'static>(
        &self,
        event: &T,
    ) -> Result<Vec<u8>, SerdeError> {
        let resolved = self.resolve::<T>().await?;
        let mut out = wire::frame(resolved.id, 128);
        Self::encode(&resolved, event, &mut out)?;
        Ok(out)
    }

    /// Header mode: the schema id (for the [`wire::SCHEMA_ID_HEADER`] header) and the bare payload.
    pub async fn serialize_bare<T: EventMeta + Serialize + 'static>(
        &self,
        event: &T,
    ) -> Result<(u32, Vec<u8>), SerdeError> {
        let resolved = self.resolve::<T>().await?;
        let mut out = Vec::with_capacity(128);
        Self::encode(&resolved, event, &mut out)?;
        Ok((resolved.id, out))
    }
}

/// A writer schema fetched by id.
#[derive(Debug)]
enum Writer {
    /// With the schema compiled for reading its data straight into a type
    /// whose schema is the same (`None`: only the general path reads it).
    Avro(Box<Schema>, Option<crate::avro::Plan>),
    Json,
}

/// Decodes Confluent-framed messages into the reader's type, resolving the
/// writer's schema (fetched by id, once) against the reader's.
#[derive(Debug)]
pub struct Deserializer {
    registry: Arc<RegistryClient>,
    writers: RwLock<HashMap<u32, Arc<Writer>>>,
    /// Per writer id and reader type: how to read the one into the other.
    readers: RwLock<HashMap<(u32, TypeId), ReadAs>>,
}

/// What a reader type brings to a writer's data: for JSON, the reader's
/// schema to validate against; for Avro, see [`AvroRead`].
#[derive(Clone, Debug)]
enum ReadAs {
    Avro(AvroRead),
    Json(Arc<jsonschema::Validator>),
}

/// How Avro data of one writer schema is read into one reader type.
#[derive(Clone, Debug)]
struct AvroRead {
    /// The reader's schema to resolve into on the general path (`None` when it
    /// is the writer's, so resolution is skipped).
    resolve_into: Option<Arc<Schema>>,
    /// Whether the writer's plan reads the data straight into the type: the
    /// two schemas are the same once named references are inlined (a writer
    /// registered with references, a reader with its types inline).
    direct: bool,
}

/// Reads `payload` (written with schema `id`, `writer`) as a `T`, as `read_as` says.
fn decode_with<T: EventMeta + DeserializeOwned>(
    id: u32,
    writer: &Writer,
    read_as: &ReadAs,
    mut payload: &[u8],
) -> Result<T, SerdeError> {
    let failed = |e: &dyn std::fmt::Display| SerdeError::Decode {
        id,
        event_type: T::EVENT_TYPE,
        message: e.to_string(),
    };
    match (writer, read_as) {
        (Writer::Avro(writer, plan), ReadAs::Avro(read)) => {
            if let (true, Some(plan)) = (read.direct, plan) {
                // On failure the general path reads it again: its errors
                // are the ones reported (the datum is bad either way).
                if let Some(Ok(event)) = T::read_avro_datum(&mut { payload }) {
                    return Ok(event);
                }
                if let Ok(event) = plan.decode(&mut { payload }) {
                    return Ok(event);
                }
            }
            let value =
                apache_avro::from_avro_datum(writer, &mut payload, read.resolve_into.as_deref())
                    .map_err(|e| failed(&e))?;
            crate::avro::from_owned(value).map_err(|e| failed(&e))
        }
        (Writer::Json, ReadAs::Json(validator)) => {
            let value: serde_json::Value =
                serde_json::from_slice(payload).map_err(|e| failed(&e))?;
            validate::<T>(validator, &value)?;
            serde_json::from_value(value).map_err(|e| failed(&e))
        }
        (writer, _) => Err(failed(&format_args!(
            "the writer's schema is {} and the reader's is {}",
            match writer {
                Writer::Avro(..) => "AVRO",
                Writer::Json => "JSON",
            },
            T::SCHEMA_TYPE
        ))),
    }
}

impl Deserializer {
    /// A deserializer over `registry`.
    pub fn new(registry: Arc<RegistryClient>) -> Deserializer {
        Deserializer {
            registry,
            writers: RwLock::new(HashMap::new()),
            readers: RwLock::new(HashMap::new()),
        }
    }

    /// Reads a Confluent-framed message as a `T`.
    pub async fn deserialize<T: EventMeta + DeserializeOwned + 'static>(
        &self,
        bytes: &[u8],
    ) -> Result<T, SerdeError> {
        let (id, payload) = wire::split(bytes)?;
        self.deserialize_bare(id, payload).await
    }

    /// Header mode: reads a bare payload written with schema `id`.
    pub async fn deserialize_bare<T: EventMeta + DeserializeOwned + 'static>(
        &self,
        id: u32,
        payload: &[u8],
    ) -> Result<T, SerdeError> {
        if let Some(done) = self.deserialize_cached(id, payload) {
            return done;
        }
        let writer = self.writer(id).await?;
        let read_as = self.reader::<T>(id, &writer)?;
        decode_with(id, &writer, &read_as, payload)
    }

    /// [`Deserializer::deserialize_bare`] without waiting: `None` until schema
    /// `id` has been fetched and prepared for `T` (by a call of
    /// `deserialize_bare`), which is what lets a consumer's hot path skip
    /// building a future per message.
    pub fn deserialize_cached<T: EventMeta + DeserializeOwned + 'static>(
        &self,
        id: u32,
        payload: &[u8],
    ) -> Option<Result<T, SerdeError>> {
        let writers = self.writers.read().unwrap_or_else(PoisonError::into_inner);
        let readers = self.readers.read().unwrap_or_else(PoisonError::into_inner);
        let writer = writers.get(&id)?;
        let read_as = readers.get(&(id, TypeId::of::<T>()))?;
        Some(decode_with(id, writer, read_as, payload))
    }

    fn reader<T: EventMeta + 'static>(
        &self,
        id: u32,
        writer: &Writer,
    ) -> Result<ReadAs, SerdeError> {
        let key = (id, TypeId::of::<T>());
        if let Some(hit) = read(&self.readers, &key) {
            return Ok(hit);
        }
        let read_as = match (parse_own::<T>()?, writer) {
            (Own::Avro(own), Writer::Avro(w, plan)) => {
                let same = own.schema() == &**w;
                ReadAs::Avro(AvroRead {
                    resolve_into: (!same).then(|| Arc::new(own.schema().clone())),
                    direct: plan.is_some()
                        && (same || crate::avro::decode_plan(own.schema(), &[]) == *plan),
                })
            }
            (Own::Avro(_), Writer::Json) => ReadAs::Avro(AvroRead {
                resolve_into: None,
                direct: false,
            }),
            (Own::Json(v), _) => ReadAs::Json(v),
        };
        write(&self.readers, key, read_as.clone());
        Ok(read_as)
    }

    async fn writer(&self, id: u32) -> Result<Arc<Writer>, SerdeError> {
        if let Some(hit) = read(&self.writers, &id) {
            return Ok(hit);
        }
        let found = self.registry.schema_by_id(id).await?;
        let writer = if found.schema_type.eq_ignore_ascii_case("JSON") {
            Writer::Json
        } else {
            // Referenced schemas come first, each once, depth first.
            let mut deps: Vec<String> = Vec::new();
            let mut pending = found.references.clone();
            let mut seen = std::collections::HashSet::new();
            while let Some(r) = pending.pop() {
                if !seen.insert((r.subject.clone(), r.version)) {
                    continue;
                }
                let dep = self.registry.version(&r.subject, r.version).await?;
                pending.extend(dep.references.iter().cloned());
                deps.insert(0, dep.schema);
            }
            let parsed = if deps.is_empty() {
                Schema::parse_str(&found.schema).map(|s| (s, Vec::new()))
            } else {
                Schema::parse_str_with_list(&found.schema, &deps)
            };
            let (parsed, deps) = parsed.map_err(|e| SerdeError::Schema {
                what: format!("schema id {id}"),
                message: e.to_string(),
            })?;
            let plan = crate::avro::decode_plan(&parsed, &deps);
            Writer::Avro(Box::new(parsed), plan)
        };
        let writer = Arc::new(writer);
        write(&self.writers, id, writer.clone());
        Ok(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONEY: &str = r#"{"type":"record","name":"Money","namespace":"shop.common",
        "fields":[{"name":"amount","type":"string"},{"name":"currency","type":"string"}]}"#;
    /// As registered: `Money` named, defined by a referenced subject.
    const WRITER: &str = r#"{"type":"record","name":"Paid","namespace":"shop.payment",
        "fields":[{"name":"id","type":"string"},{"name":"total","type":"shop.common.Money"}]}"#;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Money {
        amount: String,
        currency: String,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Paid {
        id: String,
        total: Money,
    }

    impl EventMeta for Paid {
        const EVENT_TYPE: &'static str = "payment.paid";
        const SCHEMA_VERSION: u32 = 1;
        const SOURCE: &'static str = "payment-service";
        const TOPIC: &'static str = "payment-events";
        const SUBJECT: &'static str = "payment.paid";
        const PARTITION_KEY_FIELD: Option<&'static str> = None;
        const SCHEMA_TYPE: &'static str = "AVRO";
        /// The reader's own schema: `Money` inline, as evgen embeds it.
        const SCHEMA: &'static str = r#"{"type":"record","name":"Paid","namespace":"shop.payment",
            "fields":[{"name":"id","type":"string"},{"name":"total","type":{"type":"record",
            "name":"Money","namespace":"shop.common","fields":[{"name":"amount","type":"string"},
            {"name":"currency","type":"string"}]}}]}"#;

        fn partition_key(&self) -> Option<String> {
            None
        }
    }

    /// A writer registered with references and a reader with the same types
    /// inline read straight from the bytes, not through schema resolution.
    #[tokio::test]
    async fn writer_with_references_reads_directly_into_the_inline_reader() {
        let registry = Arc::new(RegistryClient::new("http://127.0.0.1:9").expect("a client"));
        let de = Deserializer::new(registry);
        let (writer, deps) = Schema::parse_str_with_list(WRITER, [MONEY]).expect("parses");
        let plan = crate::avro::decode_plan(&writer, &deps);
        assert!(plan.is_some(), "the writer compiles with its references");
        let bytes = {
            let mut all: Vec<&Schema> = deps.iter().collect();
            all.push(&writer);
            let value = apache_avro::types::Value::Record(vec![
                ("id".into(), apache_avro::types::Value::String("p1".into())),
                (
                    "total".into(),
                    apache_avro::types::Value::Record(vec![
                        (
                            "amount".into(),
                            apache_avro::types::Value::String("9.50".into()),
                        ),
                        (
                            "currency".into(),
                            apache_avro::types::Value::String("EUR".into()),
                        ),
                    ]),
                ),
            ]);
            apache_avro::to_avro_datum_schemata(&writer, all, value).expect("encodes")
        };
        write(
            &de.writers,
            7,
            Arc::new(Writer::Avro(Box::new(writer), plan)),
        );
        let writer = de.writer(7).await.expect("cached");
        match de.reader::<Paid>(7, &writer).expect("reader") {
            ReadAs::Avro(read) => assert!(read.direct, "{read:?}"),
            other => panic!("{other:?}"),
        }
        let paid: Paid = de.deserialize_bare(7, &bytes).await.expect("decodes");
        assert_eq!(paid.total.currency, "EUR");
    }
}

//! Serializers that produce only what the registry allows, and deserializers
//! that read any registered writer schema into the reader's type.
//!
//! The first event of a type costs registry round trips (look the schema up in
//! its subject, check it against the subject's latest version, or register it
//! when asked to); every later event of that type is encoded with no network.

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

fn parse_own<T: EventMeta>() -> Result<Option<Arc<Schema>>, SerdeError> {
    if T::SCHEMA_TYPE != "AVRO" {
        return Ok(None);
    }
    Schema::parse_str(T::SCHEMA)
        .map(|s| Some(Arc::new(s)))
        .map_err(|e| SerdeError::Schema {
            what: T::EVENT_TYPE.to_owned(),
            message: e.to_string(),
        })
}

/// What the serializer learned about one event type.
#[derive(Clone)]
struct Resolved {
    id: u32,
    /// `None` for JSON events.
    avro: Option<Arc<Schema>>,
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
        let avro = parse_own::<T>()?;
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
        let resolved = Resolved { id, avro };
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
        match &resolved.avro {
            Some(schema) => {
                out.extend(crate::avro::to_datum(schema, event).map_err(|e| failed(&e))?)
            }
            None => serde_json::to_writer(out, event).map_err(|e| failed(&e))?,
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
    Avro(Schema),
    Json,
}

/// Decodes Confluent-framed messages into the reader's type, resolving the
/// writer's schema (fetched by id, once) against the reader's.
#[derive(Debug)]
pub struct Deserializer {
    registry: Arc<RegistryClient>,
    writers: RwLock<HashMap<u32, Arc<Writer>>>,
    /// Per writer id and reader type: the schema to resolve into, `None` when
    /// the reader's schema is the writer's (decoding then skips resolution).
    readers: RwLock<HashMap<(u32, TypeId), ReadAs>>,
}

/// The reader schema to resolve a writer's data into; `None` to skip resolution.
type ReadAs = Option<Arc<Schema>>;

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
        mut payload: &[u8],
    ) -> Result<T, SerdeError> {
        let failed = |e: &dyn std::fmt::Display| SerdeError::Decode {
            id,
            event_type: T::EVENT_TYPE,
            message: e.to_string(),
        };
        match &*self.writer(id).await? {
            Writer::Avro(writer) => {
                let reader = self.reader::<T>(id, writer)?;
                let value = apache_avro::from_avro_datum(writer, &mut payload, reader.as_deref())
                    .map_err(|e| failed(&e))?;
                crate::avro::from_value(&value).map_err(|e| failed(&e))
            }
            Writer::Json => serde_json::from_slice(payload).map_err(|e| failed(&e)),
        }
    }

    fn reader<T: EventMeta + 'static>(
        &self,
        id: u32,
        writer: &Schema,
    ) -> Result<Option<Arc<Schema>>, SerdeError> {
        let key = (id, TypeId::of::<T>());
        if let Some(hit) = read(&self.readers, &key) {
            return Ok(hit);
        }
        let schema = parse_own::<T>()?.filter(|r| **r != *writer);
        write(&self.readers, key, schema.clone());
        Ok(schema)
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
                Schema::parse_str(&found.schema)
            } else {
                Schema::parse_str_with_list(&found.schema, &deps).map(|(s, _)| s)
            };
            Writer::Avro(parsed.map_err(|e| SerdeError::Schema {
                what: format!("schema id {id}"),
                message: e.to_string(),
            })?)
        };
        let writer = Arc::new(writer);
        write(&self.writers, id, writer.clone());
        Ok(writer)
    }
}

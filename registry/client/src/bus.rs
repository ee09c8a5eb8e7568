//! What the Kafka and RabbitMQ clients share: the error type of the bus layer,
//! the envelope check on the way out, and the table that turns a received
//! message into the topic's enum on the way in.
//!
//! A consumer reads a topic's enum (`OrderEvents`), but the bytes were written
//! with one event type's schema, and resolving them needs the *reader's* schema
//! of that event type. [`TopicEvents`] does not carry per-variant schemas, so a
//! consumer is given one decoder per event type ([`EventDecoders::event`]), each
//! typed by the event's own [`EventMeta`]; [`EventDecoders::check`] refuses a
//! table that misses one of the topic's event types or names another topic's.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;

use crate::envelope::HeaderFields;
use crate::{Deserializer, Envelope, EventMeta, SerdeError, TopicEvents};

/// Why an event was not sent or not received.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The schema layer refused the event (unregistered, incompatible, not encodable),
    /// or the registry could not be asked. Nothing was sent.
    #[error(transparent)]
    Serde(#[from] SerdeError),
    /// The envelope's `eventType` is not its data's event type.
    #[error("envelope {event_id} carries {expected} but says its event type is '{found}'")]
    EventTypeMismatch {
        /// The envelope's event id.
        event_id: String,
        /// The data's event type.
        expected: &'static str,
        /// The envelope's.
        found: String,
    },
    /// The consumer's decoder table does not fit its topic.
    #[error("consumer of topic '{topic}': {problem}")]
    Decoders {
        /// The topic.
        topic: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The broker did not take the event.
    #[error("broker did not accept {event_type} {event_id} on topic '{topic}': {reason}")]
    NotAccepted {
        /// The event type.
        event_type: String,
        /// The event id.
        event_id: String,
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
    /// A received message could not be read into the topic's enum. Kafka consumers
    /// return this and move past the message; RabbitMQ consumers dead-letter it.
    #[error("cannot read the message at {location}: {reason}")]
    Undecodable {
        /// Topic, partition and offset (Kafka) or queue and delivery tag (AMQP).
        location: String,
        /// Why.
        reason: String,
    },
    /// A background task of the client failed (it panicked or was cancelled).
    #[error("{context}: the background task failed: {message}")]
    Task {
        /// What was being done.
        context: String,
        /// The task's failure.
        message: String,
    },
    /// An AMQP operation failed.
    #[cfg(feature = "rabbitmq")]
    #[error("amqp: {context}: {source}")]
    Amqp {
        /// What was being done.
        context: String,
        /// The client's error.
        #[source]
        source: lapin::Error,
    },
    /// A Kafka operation failed.
    #[cfg(feature = "kafka")]
    #[error("kafka: {context}: {source}")]
    Kafka {
        /// What was being done.
        context: String,
        /// The client's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
}

/// Refuses an envelope whose `eventType` would route it as another event.
pub(crate) fn check_envelope<E: EventMeta>(envelope: &Envelope<E>) -> Result<(), BusError> {
    if envelope.event_type == E::EVENT_TYPE {
        Ok(())
    } else {
        Err(BusError::EventTypeMismatch {
            event_id: envelope.event_id.to_string(),
            expected: E::EVENT_TYPE,
            found: envelope.event_type.clone(),
        })
    }
}

/// The MIME type of a payload of schema type `schema_type` (`AVRO` or `JSON`).
pub(crate) fn content_type(schema_type: &str) -> &'static str {
    if schema_type.eq_ignore_ascii_case("JSON") {
        "application/json"
    } else {
        "application/vnd.apache.avro"
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// Decodes with the schemas already prepared; `None` when they are not yet.
type DecodeNow<T> = fn(&Deserializer, u32, &[u8]) -> Option<Result<T, SerdeError>>;
/// Decodes, fetching the writer's schema first if need be.
type DecodeFn<T> =
    for<'a> fn(&'a Deserializer, u32, &'a [u8]) -> BoxFuture<'a, Result<T, SerdeError>>;

fn decode_now<E, T>(
    deserializer: &Deserializer,
    id: u32,
    payload: &[u8],
) -> Option<Result<T, SerdeError>>
where
    E: EventMeta + DeserializeOwned + 'static,
    T: From<E>,
{
    deserializer
        .deserialize_cached::<E>(id, payload)
        .map(|r| r.map(T::from))
}

fn decode_as<'a, E, T>(
    deserializer: &'a Deserializer,
    id: u32,
    payload: &'a [u8],
) -> BoxFuture<'a, Result<T, SerdeError>>
where
    E: EventMeta + DeserializeOwned + 'static,
    T: From<E>,
{
    Box::pin(async move {
        deserializer
            .deserialize_bare::<E>(id, payload)
            .await
            .map(T::from)
    })
}

/// One decoder per event type of topic enum `T`: how a consumer reads each
/// event with that event's reader schema, whatever version the writer used.
pub struct EventDecoders<T> {
    by_type: BTreeMap<&'static str, (DecodeNow<T>, DecodeFn<T>)>,
    foreign: Vec<(&'static str, &'static str)>,
}

impl<T> std::fmt::Debug for EventDecoders<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventDecoders")
            .field("event_types", &self.by_type.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<T: TopicEvents + 'static> Default for EventDecoders<T> {
    fn default() -> Self {
        EventDecoders::new()
    }
}

impl<T: TopicEvents + 'static> EventDecoders<T> {
    /// An empty table.
    pub fn new() -> EventDecoders<T> {
        EventDecoders {
            by_type: BTreeMap::new(),
            foreign: Vec::new(),
        }
    }

    /// Reads events of type `E` (with `E`'s schema as the reader's) into `T`.
    pub fn event<E>(mut self) -> EventDecoders<T>
    where
        E: EventMeta + DeserializeOwned + 'static,
        T: From<E>,
    {
        if E::TOPIC != T::TOPIC {
            self.foreign.push((E::EVENT_TYPE, E::TOPIC));
        }
        self.by_type
            .insert(E::EVENT_TYPE, (decode_now::<E, T>, decode_as::<E, T>));
        self
    }

    /// Refuses a table that misses one of the topic's event types, or has one
    /// published to another topic.
    pub fn check(&self) -> Result<(), BusError> {
        let problem = |problem: String| BusError::Decoders {
            topic: T::TOPIC,
            problem,
        };
        if let Some((event_type, topic)) = self.foreign.first() {
            return Err(problem(format!(
                "event type '{event_type}' is published to topic '{topic}'"
            )));
        }
        let missing: Vec<&str> = T::EVENT_TYPES
            .iter()
            .copied()
            .filter(|t| !self.by_type.contains_key(t))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(problem(format!(
                "no decoder for event type(s) {} (add `.event::<..>()` for each)",
                missing.join(", ")
            )))
        }
    }

    /// Decodes a payload written with schema `id` as event type `event_type`.
    pub(crate) async fn decode(
        &self,
        deserializer: &Deserializer,
        event_type: &str,
        id: u32,
        payload: &[u8],
    ) -> Result<T, String> {
        let (now, later) = self
            .by_type
            .get(event_type)
            .ok_or_else(|| format!("topic '{}' has no event type '{event_type}'", T::TOPIC))?;
        // Once the schemas are prepared, no future is boxed per message.
        let decoded = match now(deserializer, id, payload) {
            Some(done) => done,
            None => later(deserializer, id, payload).await,
        };
        decoded.map_err(|e| e.to_string())
    }

    /// Decodes a message into an envelope, given its envelope headers and its
    /// schema id and payload.
    pub(crate) async fn decode_envelope(
        &self,
        deserializer: &Deserializer,
        headers: HeaderFields<'_>,
        id: u32,
        payload: &[u8],
    ) -> Result<Envelope<T>, String> {
        let event_type = headers
            .event_type
            .ok_or_else(|| format!("no '{}' header", crate::headers::EVENT_TYPE))?;
        let data = self.decode(deserializer, event_type, id, payload).await?;
        let meta = headers.meta().ok_or_else(|| {
            format!(
                "envelope headers ({}) missing or malformed",
                [
                    crate::headers::EVENT_ID,
                    crate::headers::TIMESTAMP,
                    crate::headers::SOURCE,
                    crate::headers::VERSION
                ]
                .join(", ")
            )
        })?;
        Ok(meta.wrap(data))
    }
}

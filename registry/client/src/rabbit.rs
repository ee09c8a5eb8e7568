//! Catalogue events over RabbitMQ (AMQP 0-9-1, through lapin on tokio).
//!
//! The topology mirrors Kafka's: one durable *topic* exchange per catalogue
//! topic, routing key = event type, and one durable queue per consumer group
//! bound with `#` (every event type of the topic). Each group queue is
//! single-active-consumer, so the group's events are processed in publish order
//! (RabbitMQ has no partitions; per-key order needs one active reader), and
//! dead-letters into `<group>.dead-letter`.
//!
//! On the wire the payload is the bare Avro datum (or JSON); the schema id rides
//! in the [`wire::SCHEMA_ID_HEADER`] header and the envelope's metadata in the
//! [`crate::headers`] headers. Producers publish persistent messages with
//! `mandatory` set and publisher confirms on, and return only once the broker
//! has confirmed (so a confirmed message survives a broker restart), or fail
//! when no queue took the message. Consumers acknowledge a message once it has
//! decoded; one that does not decode is republished to the group's dead-letter
//! queue with the reason in [`DEAD_LETTER_REASON_HEADER`], then acknowledged,
//! so it is neither lost nor redelivered forever.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use lapin::{Confirmation, PublisherConfirm};
use serde::Serialize;

use crate::bus::{BusError, EventDecoders, check_envelope, content_type};
use crate::envelope::HeaderFields;
use crate::{Deserializer, Envelope, EventMeta, Serializer, TopicEvents, wire};

/// The header a dead-lettered message carries its reason in.
pub const DEAD_LETTER_REASON_HEADER: &str = "x-evreg-dead-letter-reason";
/// The header a dead-lettered message carries the queue it was read from in.
pub const DEAD_LETTER_QUEUE_HEADER: &str = "x-evreg-dead-letter-queue";
/// How many unacknowledged messages a consumer holds at once.
const PREFETCH: u16 = 256;

fn amqp(context: impl Into<String>) -> impl FnOnce(lapin::Error) -> BusError {
    let context = context.into();
    move |source| BusError::Amqp { context, source }
}

/// The dead-letter queue of consumer group `group`.
pub fn dead_letter_queue(group: &str) -> String {
    format!("{group}.dead-letter")
}

/// Opens a connection (`amqp://user:pass@host:port/vhost`).
pub async fn connect(url: &str) -> Result<Connection, BusError> {
    Connection::connect(url, ConnectionProperties::default())
        .await
        .map_err(amqp(format!("connecting to {}", redact(url))))
}

/// `url` without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Declares topic `topic`'s exchange: durable, of kind `topic`. Declaring what
/// exists with the same settings is a no-op; with other settings the broker
/// refuses (`PRECONDITION_FAILED`) and closes the channel.
pub async fn declare_topic(channel: &Channel, topic: &str) -> Result<(), BusError> {
    channel
        .exchange_declare(
            topic.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(amqp(format!("declaring exchange '{topic}'")))
}

/// The arguments of a group queue: single active consumer (ordered
/// processing), and a dead-letter route for what the broker itself rejects.
fn group_queue_arguments(group: &str) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(dead_letter_queue(group).into()),
    );
    args
}

/// Declares consumer group `group` of `topic`: the topic's exchange, the group's
/// durable queue bound to every event type, and its dead-letter queue.
pub async fn declare_group(channel: &Channel, topic: &str, group: &str) -> Result<(), BusError> {
    declare_topic(channel, topic).await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let dlq = dead_letter_queue(group);
    channel
        .queue_declare(dlq.as_str().into(), durable, FieldTable::default())
        .await
        .map_err(amqp(format!("declaring queue '{dlq}'")))?;
    channel
        .queue_declare(group.into(), durable, group_queue_arguments(group))
        .await
        .map_err(amqp(format!("declaring queue '{group}'")))?;
    channel
        .queue_bind(
            group.into(),
            topic.into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(amqp(format!(
            "binding queue '{group}' to exchange '{topic}'"
        )))
}

/// Whether the broker refused a declaration because what exists differs from
/// it (`PRECONDITION_FAILED`): the topology has drifted from the catalogue.
pub fn is_drift(e: &BusError) -> bool {
    use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
    matches!(
        e,
        BusError::Amqp { source, .. } if matches!(
            source.kind(),
            lapin::ErrorKind::ProtocolError(p)
                if *p.kind() == AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED)
        )
    )
}

fn long_string(s: impl Into<String>) -> AMQPValue {
    AMQPValue::LongString(s.into().into())
}

/// One encoded event, ready to publish.
struct Outgoing {
    topic: &'static str,
    event_type: &'static str,
    event_id: uuid::Uuid,
    payload: Vec<u8>,
    /// Moved into the publish.
    properties: BasicProperties,
}

/// An event published by [`RabbitProducer::enqueue`], awaiting the broker's
/// confirm.
#[must_use = "a published event may still be refused: await `confirmed`"]
pub struct RabbitPending {
    out: Outgoing,
    confirm: PublisherConfirm,
}

impl std::fmt::Debug for RabbitPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitPending")
            .field("event_type", &self.out.event_type)
            .field("event_id", &self.out.event_id)
            .finish_non_exhaustive()
    }
}

impl RabbitPending {
    /// Waits for the broker's confirm (or its refusal).
    pub async fn confirmed(self) -> Result<(), BusError> {
        RabbitProducer::confirmed(&self.out, self.confirm).await
    }
}

/// Publishes catalogue events to their topic's exchange, after the schema layer
/// has accepted them.
pub struct RabbitProducer {
    _connection: Connection,
    channel: Channel,
    serializer: Arc<Serializer>,
    declared: Mutex<HashSet<&'static str>>,
}

impl std::fmt::Debug for RabbitProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitProducer").finish_non_exhaustive()
    }
}

impl RabbitProducer {
    /// Connects to `url` and opens a channel with publisher confirms on.
    pub async fn connect(
        url: &str,
        serializer: Arc<Serializer>,
    ) -> Result<RabbitProducer, BusError> {
        let connection = connect(url).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(amqp("opening a channel"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(amqp("enabling publisher confirms"))?;
        Ok(RabbitProducer {
            _connection: connection,
            channel,
            serializer,
            declared: Mutex::new(HashSet::new()),
        })
    }

    /// Sends one event and waits for the broker's confirm.
    pub async fn send<E>(&self, envelope: &Envelope<E>) -> Result<(), BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        self.enqueue(envelope).await?.confirmed().await
    }

    /// Encodes one event and publishes it without waiting for the confirm;
    /// await [`RabbitPending::confirmed`] for that. The way to stream events
    /// fast: encoding the next event overlaps the broker taking the last ones.
    /// An event the schema layer refuses is not published (those before it may be).
    pub async fn enqueue<E>(&self, envelope: &Envelope<E>) -> Result<RabbitPending, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        let mut out = self.encode(envelope).await?;
        self.ensure_exchange(E::TOPIC).await?;
        let confirm = self.publish(&mut out).await?;
        Ok(RabbitPending { out, confirm })
    }

    /// Sends events in order and waits for every confirm. Every event is
    /// encoded first, so when the schema layer refuses one, none is sent
    /// (use [`enqueue`](Self::enqueue) to stream instead).
    pub async fn send_all<E>(&self, envelopes: &[Envelope<E>]) -> Result<(), BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        let mut outgoing = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            outgoing.push(self.encode(envelope).await?);
        }
        self.ensure_exchange(E::TOPIC).await?;
        let mut pending = Vec::with_capacity(outgoing.len());
        for mut out in outgoing {
            let confirm = self.publish(&mut out).await?;
            pending.push((out, confirm));
        }
        for (out, confirm) in pending {
            Self::confirmed(&out, confirm).await?;
        }
        Ok(())
    }

    async fn encode<E>(&self, envelope: &Envelope<E>) -> Result<Outgoing, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        check_envelope(envelope)?;
        let (id, payload) = self.serializer.serialize_bare(&envelope.data).await?;
        let mut headers = FieldTable::default();
        for (name, value) in envelope.headers() {
            headers.insert(name.into(), long_string(value));
        }
        headers.insert(
            wire::SCHEMA_ID_HEADER.into(),
            AMQPValue::LongLongInt(i64::from(id)),
        );
        if let Some(key) = envelope.data.partition_key() {
            headers.insert("partitionKey".into(), long_string(key));
        }
        let millis = envelope.timestamp.timestamp_millis();
        let properties = BasicProperties::default()
            .with_headers(headers)
            .with_delivery_mode(2) // persistent
            .with_content_type(content_type(E::SCHEMA_TYPE).into())
            .with_message_id(envelope.event_id.to_string().into())
            .with_type(envelope.event_type.as_str().into())
            .with_app_id(envelope.source.as_str().into())
            .with_timestamp(u64::try_from(millis / 1000).unwrap_or(0));
        Ok(Outgoing {
            topic: E::TOPIC,
            event_type: E::EVENT_TYPE,
            event_id: envelope.event_id,
            payload,
            properties,
        })
    }

    async fn ensure_exchange(&self, topic: &'static str) -> Result<(), BusError> {
        let known = self
            .declared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(topic);
        if !known {
            declare_topic(&self.channel, topic).await?;
            self.declared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(topic);
        }
        Ok(())
    }

    async fn publish(&self, out: &mut Outgoing) -> Result<PublisherConfirm, BusError> {
        self.channel
            .basic_publish(
                out.topic.into(),
                out.event_type.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &out.payload,
                std::mem::take(&mut out.properties),
            )
            .await
            .map_err(|e| {
                amqp(format!(
                    "publishing {} {} to exchange '{}'",
                    out.event_type, out.event_id, out.topic
                ))(e)
            })
    }

    async fn confirmed(out: &Outgoing, confirm: PublisherConfirm) -> Result<(), BusError> {
        let refused = |reason: String| BusError::NotAccepted {
            event_type: out.event_type.to_owned(),
            event_id: out.event_id.to_string(),
            topic: out.topic.to_owned(),
            reason,
        };
        match confirm.await.map_err(|e| {
            amqp(format!(
                "waiting for the confirm of {} {}",
                out.event_type, out.event_id
            ))(e)
        })? {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => {
                Err(refused(format!(
                    "returned unroutable ({}): no queue is bound to the exchange for this event type; declare the consumer groups first (evgen topics --amqp)",
                    returned.reply_text
                )))
            }
            Confirmation::Nack(None) => Err(refused("the broker nacked it".to_owned())),
            Confirmation::NotRequested => {
                Err(refused("the channel is not in confirm mode".to_owned()))
            }
        }
    }
}

/// A header's value as text (strings as they are, integers in decimal).
fn header_text(value: &AMQPValue) -> Option<Cow<'_, str>> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes())),
        AMQPValue::ShortString(s) => Some(Cow::Borrowed(s.as_str())),
        AMQPValue::LongLongInt(n) => Some(n.to_string().into()),
        AMQPValue::LongInt(n) => Some(n.to_string().into()),
        AMQPValue::LongUInt(n) => Some(n.to_string().into()),
        AMQPValue::ShortInt(n) => Some(n.to_string().into()),
        AMQPValue::ShortUInt(n) => Some(n.to_string().into()),
        _ => None,
    }
}

/// Reads one consumer group's queue as topic enum `T`.
pub struct RabbitConsumer<T> {
    _connection: Connection,
    channel: Channel,
    consumer: lapin::Consumer,
    group: String,
    decoders: EventDecoders<T>,
    deserializer: Arc<Deserializer>,
    dead_lettered: u64,
}

impl<T> std::fmt::Debug for RabbitConsumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitConsumer")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl<T: TopicEvents + 'static> RabbitConsumer<T> {
    /// Connects to `url`, declares group `group` of `T`'s topic (see
    /// [`declare_group`]) and starts consuming it.
    pub async fn connect(
        url: &str,
        group: &str,
        decoders: EventDecoders<T>,
        deserializer: Arc<Deserializer>,
    ) -> Result<RabbitConsumer<T>, BusError> {
        decoders.check()?;
        let connection = connect(url).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(amqp("opening a channel"))?;
        // Dead-lettering publishes, and must know the dead letter is stored
        // before it acknowledges the original.
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(amqp("enabling publisher confirms"))?;
        declare_group(&channel, T::TOPIC, group).await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .map_err(amqp("setting the prefetch count"))?;
        let consumer = channel
            .basic_consume(
                group.into(),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(amqp(format!("consuming queue '{group}'")))?;
        Ok(RabbitConsumer {
            _connection: connection,
            channel,
            consumer,
            group: group.to_owned(),
            decoders,
            deserializer,
            dead_lettered: 0,
        })
    }

    /// How many messages this consumer has dead-lettered.
    pub fn dead_lettered(&self) -> u64 {
        self.dead_lettered
    }

    /// The next event, acknowledged; `None` once the broker cancelled the
    /// consumer. Messages that do not decode are dead-lettered on the way.
    pub async fn recv(&mut self) -> Result<Option<Envelope<T>>, BusError> {
        loop {
            let delivery = match self.consumer.next().await {
                None => return Ok(None),
                Some(d) => d.map_err(|e| amqp(format!("reading queue '{}'", self.group))(e))?,
            };
            match self.decode(&delivery).await {
                Ok(envelope) => {
                    delivery
                        .ack(BasicAckOptions::default())
                        .await
                        .map_err(|e| {
                            amqp(format!("acknowledging a message of '{}'", self.group))(e)
                        })?;
                    return Ok(Some(envelope));
                }
                Err(reason) => self.dead_letter(&delivery, &reason).await?,
            }
        }
    }

    async fn decode(&self, delivery: &lapin::message::Delivery) -> Result<Envelope<T>, String> {
        let table = delivery
            .properties
            .headers()
            .as_ref()
            .ok_or_else(|| "the message has no headers".to_owned())?;
        let texts: Vec<(&str, Cow<'_, str>)> = table
            .inner()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), header_text(v)?)))
            .collect();
        let id = texts
            .iter()
            .find(|(k, _)| *k == wire::SCHEMA_ID_HEADER)
            .ok_or_else(|| format!("no '{}' header", wire::SCHEMA_ID_HEADER))?
            .1
            .as_ref();
        let id: u32 = id.parse().map_err(|_| {
            format!(
                "header '{}' is not a schema id: '{id}'",
                wire::SCHEMA_ID_HEADER
            )
        })?;
        self.decoders
            .decode_envelope(
                &self.deserializer,
                HeaderFields::read(texts.iter().map(|(k, v)| (*k, v.as_ref()))),
                id,
                &delivery.data,
            )
            .await
    }

    /// Moves an undecodable message to the dead-letter queue, with its reason.
    async fn dead_letter(
        &mut self,
        delivery: &lapin::message::Delivery,
        reason: &str,
    ) -> Result<(), BusError> {
        let dlq = dead_letter_queue(&self.group);
        let mut headers = delivery.properties.headers().clone().unwrap_or_default();
        headers.insert(DEAD_LETTER_REASON_HEADER.into(), long_string(reason));
        headers.insert(DEAD_LETTER_QUEUE_HEADER.into(), long_string(&self.group));
        let properties = delivery
            .properties
            .clone()
            .with_headers(headers)
            .with_delivery_mode(2);
        let stored = async {
            let confirm = self
                .channel
                .basic_publish(
                    "".into(),
                    dlq.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &delivery.data,
                    properties,
                )
                .await?;
            confirm.await
        }
        .await
        .map_err(amqp(format!("dead-lettering a message to '{dlq}'")))?;
        if !matches!(stored, Confirmation::Ack(None)) {
            // Leave it on the group queue rather than lose it.
            delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await
                .map_err(amqp(format!("returning a message to '{}'", self.group)))?;
            return Err(BusError::Undecodable {
                location: format!("queue '{}' delivery {}", self.group, delivery.delivery_tag),
                reason: format!("{reason}; and the dead-letter queue '{dlq}' did not take it"),
            });
        }
        delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(amqp(format!("acknowledging a message of '{}'", self.group)))?;
        self.dead_lettered += 1;
        Ok(())
    }
}

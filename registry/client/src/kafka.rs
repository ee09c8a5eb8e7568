//! Catalogue events over Kafka (rdkafka, librdkafka bundled, on tokio).
//!
//! A record's value is the event in the Confluent wire format (so Confluent's
//! own consumers read it unchanged), its key is the event's partition key (so
//! all events of one order or customer land in one partition, in order), and
//! the envelope's metadata rides in record headers ([`crate::headers`]).
//!
//! The producer is idempotent with `acks=all`, so retries neither duplicate nor
//! reorder records within a partition; it compresses with LZ4, as the catalogue
//! sets for every topic, and partitions keys with murmur2 as Java clients do, so
//! a key lands in the same partition whichever client produced it.
//!
//! The consumer commits at least once: a record's offset is stored for the
//! periodic commit only when the *next* `recv` is called, that is once the
//! caller is done with it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use crate::bus::{BusError, EventDecoders, check_envelope, content_type};
use crate::envelope::HeaderFields;
use crate::{Deserializer, Envelope, EventMeta, Serializer, TopicEvents, wire};

fn kafka(context: impl Into<String>) -> impl FnOnce(KafkaError) -> BusError {
    let context = context.into();
    move |source| BusError::Kafka { context, source }
}

/// The header that names the payload's MIME type.
pub const CONTENT_TYPE_HEADER: &str = "content-type";

/// The producer settings this module relies on, for `bootstrap` (`host:port,..`).
/// Add to them (security, client id) and pass them to [`KafkaProducer::with_config`].
pub fn producer_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("compression.type", "lz4")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5");
    config
}

/// The consumer settings this module relies on, for group `group`.
/// Add to them and pass them to [`KafkaConsumer::with_config`].
pub fn consumer_config(bootstrap: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "true")
        // Offsets are stored by hand once the caller is done with a record.
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest");
    config
}

/// How long a record may wait for the broker before it fails (librdkafka's
/// default is five minutes, too long for a caller to be kept waiting).
const DEFAULT_DELIVERY_TIMEOUT_MS: u64 = 30_000;

/// Where a record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The partition.
    pub partition: i32,
    /// The offset in it.
    pub offset: i64,
}

/// One encoded event, ready to produce.
struct Outgoing {
    topic: &'static str,
    event_type: &'static str,
    event_id: uuid::Uuid,
    key: Option<String>,
    value: Vec<u8>,
    /// Handed to the client with the record (and back when its queue is
    /// full), so headers are never copied.
    headers: Option<OwnedHeaders>,
}

impl Outgoing {
    fn record(&mut self) -> FutureRecord<'_, String, Vec<u8>> {
        let mut record = FutureRecord::to(self.topic).payload(&self.value);
        record.headers = self.headers.take();
        match &self.key {
            Some(key) => record.key(key),
            None => record,
        }
    }

    fn refused(&self, reason: String) -> BusError {
        BusError::NotAccepted {
            event_type: self.event_type.to_owned(),
            event_id: self.event_id.to_string(),
            topic: self.topic.to_owned(),
            reason,
        }
    }

    fn failed(&self, e: KafkaError) -> BusError {
        kafka(format!(
            "producing {} {} to topic '{}'",
            self.event_type, self.event_id, self.topic
        ))(e)
    }
}

/// An event handed to the client by [`KafkaProducer::enqueue`], on its way to
/// the broker.
#[must_use = "an enqueued event may still fail: await `delivered`"]
pub struct Pending {
    out: Outgoing,
    future: DeliveryFuture,
    timeout: Duration,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("event_type", &self.out.event_type)
            .field("event_id", &self.out.event_id)
            .finish_non_exhaustive()
    }
}

impl Pending {
    /// Waits until the broker has the event (or it failed).
    pub async fn delivered(self) -> Result<Delivered, BusError> {
        delivered(&self.out, self.future, self.timeout).await
    }
}

/// Produces catalogue events to their topic, after the schema layer has
/// accepted them.
pub struct KafkaProducer {
    producer: FutureProducer,
    serializer: Arc<Serializer>,
    timeout: Duration,
}

impl std::fmt::Debug for KafkaProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaProducer").finish_non_exhaustive()
    }
}

impl KafkaProducer {
    /// A producer for `bootstrap` with [`producer_config`].
    pub fn new(bootstrap: &str, serializer: Arc<Serializer>) -> Result<KafkaProducer, BusError> {
        KafkaProducer::with_config(&producer_config(bootstrap), serializer)
    }

    /// A producer with `config` (start from [`producer_config`]).
    /// The delivery timeout comes from `message.timeout.ms` (default 30 s here).
    pub fn with_config(
        config: &ClientConfig,
        serializer: Arc<Serializer>,
    ) -> Result<KafkaProducer, BusError> {
        let mut config = config.clone();
        let ms = match config.get("message.timeout.ms") {
            Some(ms) => ms.parse().unwrap_or(DEFAULT_DELIVERY_TIMEOUT_MS),
            None => {
                config.set(
                    "message.timeout.ms",
                    DEFAULT_DELIVERY_TIMEOUT_MS.to_string(),
                );
                DEFAULT_DELIVERY_TIMEOUT_MS
            }
        };
        let producer = config.create().map_err(kafka("creating the producer"))?;
        Ok(KafkaProducer {
            producer,
            serializer,
            timeout: Duration::from_millis(ms),
        })
    }

    /// Sends one event and waits until the broker has it.
    pub async fn send<E>(&self, envelope: &Envelope<E>) -> Result<Delivered, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        self.enqueue(envelope).await?.delivered().await
    }

    /// Encodes one event and hands it to the client without waiting for the
    /// broker; await [`Pending::delivered`] for that. The way to stream events
    /// fast: encoding the next event overlaps the client sending the last ones,
    /// and events enqueued in order reach their partition in order. An event the
    /// schema layer refuses is not enqueued (those before it may be). When the
    /// client's queue is full this waits for room, up to the delivery timeout.
    pub async fn enqueue<E>(&self, envelope: &Envelope<E>) -> Result<Pending, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        let mut out = self.encode(envelope).await?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            if let Some(future) = self.try_enqueue(&mut out)? {
                return Ok(Pending {
                    out,
                    future,
                    timeout: self.timeout,
                });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(out.refused("the client's queue stayed full".to_owned()));
            }
            // Deliveries free the queue in the client's own threads.
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Sends events in order and waits until the broker has every one. Every
    /// event is encoded first, so when the schema layer refuses one, none is sent
    /// (use [`enqueue`](Self::enqueue) to stream instead).
    pub async fn send_all<E>(&self, envelopes: &[Envelope<E>]) -> Result<Vec<Delivered>, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        let mut outgoing = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            outgoing.push(self.encode(envelope).await?);
        }
        let mut pending: VecDeque<(usize, DeliveryFuture)> = VecDeque::new();
        let mut done: Vec<Option<Delivered>> = vec![None; outgoing.len()];
        for i in 0..outgoing.len() {
            loop {
                if let Some(future) = self.try_enqueue(&mut outgoing[i])? {
                    pending.push_back((i, future));
                    break;
                }
                // The client's queue is full: wait for the oldest record.
                match pending.pop_front() {
                    Some((j, future)) => {
                        done[j] = Some(delivered(&outgoing[j], future, self.timeout).await?)
                    }
                    None => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }
        for (j, future) in pending {
            done[j] = Some(delivered(&outgoing[j], future, self.timeout).await?);
        }
        Ok(done.into_iter().flatten().collect())
    }

    async fn encode<E>(&self, envelope: &Envelope<E>) -> Result<Outgoing, BusError>
    where
        E: EventMeta + Serialize + 'static,
    {
        check_envelope(envelope)?;
        let value = self.serializer.serialize(&envelope.data).await?;
        // `insert` takes the list and hands it back (rdkafka's builder).
        let mut list = Some(OwnedHeaders::new_with_capacity(6));
        envelope.each_header(|name, value| {
            list = list.take().map(|l| {
                l.insert(Header {
                    key: name,
                    value: Some(value.as_bytes()),
                })
            });
        });
        let mut headers = list.unwrap_or_default();
        headers = headers.insert(Header {
            key: CONTENT_TYPE_HEADER,
            value: Some(content_type(E::SCHEMA_TYPE).as_bytes()),
        });
        Ok(Outgoing {
            topic: E::TOPIC,
            event_type: E::EVENT_TYPE,
            event_id: envelope.event_id,
            key: envelope.data.partition_key(),
            value,
            headers: Some(headers),
        })
    }

    /// Hands a record to the client; `None` when its queue is full.
    fn try_enqueue(&self, out: &mut Outgoing) -> Result<Option<DeliveryFuture>, BusError> {
        match self.producer.send_result(out.record()) {
            Ok(future) => Ok(Some(future)),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), record)) => {
                let headers = record.headers;
                out.headers = headers;
                Ok(None)
            }
            Err((e, _)) => Err(out.failed(e)),
        }
    }

    /// Waits until every queued record has been delivered or has failed.
    pub fn flush(&self, timeout: Duration) -> Result<(), BusError> {
        rdkafka::producer::Producer::flush(&self.producer, timeout)
            .map_err(kafka("flushing the producer"))
    }
}

async fn delivered(
    out: &Outgoing,
    future: DeliveryFuture,
    timeout: Duration,
) -> Result<Delivered, BusError> {
    match tokio::time::timeout(timeout + REPORT_SLACK, future).await {
        Err(_) => Err(out.refused("no delivery report in time".to_owned())),
        Ok(Err(_)) => Err(out.refused("the producer was dropped".to_owned())),
        Ok(Ok(Err((e, _)))) => Err(out.refused(e.to_string())),
        Ok(Ok(Ok(d))) => Ok(Delivered {
            partition: d.partition,
            offset: d.offset,
        }),
    }
}

/// librdkafka fails a record after `message.timeout.ms`, which the producer
/// sets to its delivery timeout; the wait for the report is bounded a little
/// above that, so a lost report cannot hang a caller.
const REPORT_SLACK: Duration = Duration::from_secs(5);

/// A received event and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Received<T> {
    /// The event in its envelope.
    pub envelope: Envelope<T>,
    /// The partition it was read from.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
    /// The record's key.
    pub key: Option<Vec<u8>>,
}

/// Reads topic enum `T`'s topic in a consumer group.
pub struct KafkaConsumer<T> {
    consumer: StreamConsumer,
    decoders: EventDecoders<T>,
    deserializer: Arc<Deserializer>,
    /// The record the caller has last been given: processed once it asks
    /// for the next.
    last: Option<(i32, i64)>,
    /// Processed records' offsets not yet stored with the client, the latest
    /// per partition. Stored every [`STORE_EVERY`] records, whenever the
    /// consumer has caught up (before it waits for the broker), on `commit`
    /// and on drop: one call per batch instead of one per record.
    unstored: Vec<(i32, i64)>,
    /// Records processed since offsets were last stored.
    since_store: usize,
    /// `T::TOPIC` (for `Drop`, which cannot name `T`'s bounds).
    topic: &'static str,
}

/// Records processed between offset stores while a consumer is busy.
const STORE_EVERY: usize = 64;

/// Stores `unstored` offsets (each the last processed record of its
/// partition) for the next commit.
fn store_offsets(
    consumer: &StreamConsumer,
    topic: &str,
    unstored: &mut Vec<(i32, i64)>,
) -> Result<(), BusError> {
    if unstored.is_empty() {
        return Ok(());
    }
    let mut list = TopicPartitionList::with_capacity(unstored.len());
    for (partition, offset) in unstored.iter() {
        list.add_partition_offset(topic, *partition, Offset::Offset(offset + 1))
            .map_err(kafka(format!("storing offsets of topic '{topic}'")))?;
    }
    unstored.clear();
    match consumer.store_offsets(&list) {
        // None of the partitions is assigned to this member any more (a
        // rebalance): their new owners read on from the last commit.
        Err(KafkaError::StoreOffset(RDKafkaErrorCode::State)) => Ok(()),
        other => other.map_err(kafka(format!("storing offsets of topic '{topic}'"))),
    }
}

impl<T> std::fmt::Debug for KafkaConsumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaConsumer").finish_non_exhaustive()
    }
}

impl<T: TopicEvents + 'static> KafkaConsumer<T> {
    /// A member of group `group` on `bootstrap`, subscribed to `T`'s topic.
    pub fn new(
        bootstrap: &str,
        group: &str,
        decoders: EventDecoders<T>,
        deserializer: Arc<Deserializer>,
    ) -> Result<KafkaConsumer<T>, BusError> {
        KafkaConsumer::with_config(&consumer_config(bootstrap, group), decoders, deserializer)
    }

    /// A consumer with `config` (start from [`consumer_config`]).
    pub fn with_config(
        config: &ClientConfig,
        decoders: EventDecoders<T>,
        deserializer: Arc<Deserializer>,
    ) -> Result<KafkaConsumer<T>, BusError> {
        decoders.check()?;
        let consumer: StreamConsumer = config.create().map_err(kafka("creating the consumer"))?;
        consumer
            .subscribe(&[T::TOPIC])
            .map_err(kafka(format!("subscribing to topic '{}'", T::TOPIC)))?;
        Ok(KafkaConsumer {
            consumer,
            decoders,
            deserializer,
            last: None,
            unstored: Vec::new(),
            since_store: 0,
            topic: T::TOPIC,
        })
    }

    /// The next event. A record that cannot be read into `T` comes back as
    /// [`BusError::Undecodable`] and is passed over (its offset is stored).
    pub async fn recv(&mut self) -> Result<Received<T>, BusError> {
        self.processed();
        if self.since_store >= STORE_EVERY {
            self.store()?;
        }
        // Read in place (no `detach` copy); only the key is copied out.
        let message = match self.consumer.recv().now_or_never() {
            Some(ready) => ready,
            None => {
                // Caught up: store what is processed before waiting.
                self.since_store = 0;
                store_offsets(&self.consumer, T::TOPIC, &mut self.unstored)?;
                self.consumer.recv().await
            }
        }
        .map_err(|e| kafka(format!("reading topic '{}'", T::TOPIC))(e))?;
        let (partition, offset) = (message.partition(), message.offset());
        let headers = HeaderFields::read(message.headers().into_iter().flat_map(|h| {
            h.iter()
                .filter_map(|h| Some((h.key, std::str::from_utf8(h.value?).ok()?)))
        }));
        let decoded = match wire::split(message.payload().unwrap_or_default()) {
            Ok((id, payload)) => {
                self.decoders
                    .decode_envelope(&self.deserializer, headers, id, payload)
                    .await
            }
            Err(e) => Err(e.to_string()),
        };
        let key = message.key().map(<[u8]>::to_vec);
        drop(message);
        self.last = Some((partition, offset));
        match decoded {
            Ok(envelope) => Ok(Received {
                envelope,
                partition,
                offset,
                key,
            }),
            Err(reason) => Err(BusError::Undecodable {
                location: format!("topic '{}' partition {partition} offset {offset}", T::TOPIC),
                reason,
            }),
        }
    }

    /// Commits the offsets of every record handed out so far, now, and waits
    /// for the broker (the periodic commit does this in the background).
    pub fn commit(&mut self) -> Result<(), BusError> {
        self.store()?;
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            // Nothing consumed yet: nothing to commit.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => Ok(()),
            other => other.map_err(kafka(format!("committing offsets of '{}'", T::TOPIC))),
        }
    }
}

impl<T> KafkaConsumer<T> {
    /// Marks the record last handed out as processed.
    fn processed(&mut self) {
        if let Some((partition, offset)) = self.last.take() {
            match self.unstored.iter_mut().find(|(p, _)| *p == partition) {
                Some(entry) => entry.1 = offset,
                None => self.unstored.push((partition, offset)),
            }
            self.since_store += 1;
        }
    }

    /// Stores the offsets of every processed record.
    fn store(&mut self) -> Result<(), BusError> {
        self.processed();
        self.since_store = 0;
        store_offsets(&self.consumer, self.topic, &mut self.unstored)
    }
}

impl<T> Drop for KafkaConsumer<T> {
    /// Stores the processed records' offsets, which the client commits as it
    /// closes. The record handed out last is not among them: the caller may
    /// have been dropped while handling it, so the group reads it again (a
    /// failure to store only means more of that: at least once).
    fn drop(&mut self) {
        let _ = store_offsets(&self.consumer, self.topic, &mut self.unstored);
    }
}

/// How a topic should be set up (from the catalogue's `[topics.*]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The topic.
    pub name: String,
    /// Partitions.
    pub partitions: i32,
    /// Wanted replication factor; capped at the number of brokers.
    pub replication_factor: i32,
    /// `retention.ms`.
    pub retention_ms: Option<u64>,
    /// `compression.type`.
    pub compression: Option<String>,
}

/// What [`ensure_topics`] found or did for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicOutcome {
    /// The topic did not exist and was created, with this replication factor.
    Created {
        /// The replication factor used (the wanted one, capped at the cluster's brokers).
        replication_factor: i32,
    },
    /// It exists as specified.
    Matches,
    /// It exists and differs: one line per difference.
    Drifted(Vec<String>),
}

/// Creates the topics of `specs` that are missing, and compares the others
/// (partitions, replication factor, retention, compression) with their specs.
/// Existing topics are never changed: drift is reported for a person to decide.
pub async fn ensure_topics(
    bootstrap: &str,
    specs: &[TopicSpec],
) -> Result<Vec<(String, TopicOutcome)>, BusError> {
    use rdkafka::admin::{
        AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication,
    };
    use rdkafka::client::DefaultClientContext;

    let timeout = Duration::from_secs(10);
    let admin: Arc<AdminClient<DefaultClientContext>> = Arc::new(
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .map_err(kafka(format!("creating an admin client for {bootstrap}")))?,
    );
    // Metadata calls block; keep them off the async workers.
    let fetch = admin.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        fetch.inner().fetch_metadata(None, timeout).map(|m| {
            let brokers = i32::try_from(m.brokers().len()).unwrap_or(i32::MAX);
            let topics: Vec<(String, i32, i32)> = m
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .map(|t| {
                    let partitions = i32::try_from(t.partitions().len()).unwrap_or(i32::MAX);
                    let replicas = t
                        .partitions()
                        .iter()
                        .map(|p| i32::try_from(p.replicas().len()).unwrap_or(i32::MAX))
                        .min()
                        .unwrap_or(0);
                    (t.name().to_owned(), partitions, replicas)
                })
                .collect();
            (brokers, topics)
        })
    })
    .await
    .map_err(|e| BusError::Task {
        context: format!("reading the cluster metadata from {bootstrap}"),
        message: e.to_string(),
    })?
    .map_err(kafka(format!(
        "reading the cluster metadata from {bootstrap}"
    )))?;
    let (brokers, existing) = metadata;
    let options = AdminOptions::new().request_timeout(Some(timeout));

    let mut outcomes = Vec::with_capacity(specs.len());
    for spec in specs {
        let replication = spec.replication_factor.min(brokers.max(1));
        let retention = spec.retention_ms.map(|r| r.to_string());
        match existing.iter().find(|(name, ..)| *name == spec.name) {
            None => {
                let mut topic = NewTopic::new(
                    &spec.name,
                    spec.partitions,
                    TopicReplication::Fixed(replication),
                );
                if let Some(r) = &retention {
                    topic = topic.set("retention.ms", r);
                }
                if let Some(c) = &spec.compression {
                    topic = topic.set("compression.type", c);
                }
                let results = admin
                    .create_topics([&topic], &options)
                    .await
                    .map_err(kafka(format!("creating topic '{}'", spec.name)))?;
                for result in results {
                    result.map_err(|(name, code)| {
                        kafka(format!("creating topic '{name}'"))(KafkaError::AdminOp(code))
                    })?;
                }
                outcomes.push((
                    spec.name.clone(),
                    TopicOutcome::Created {
                        replication_factor: replication,
                    },
                ));
            }
            Some((_, partitions, replicas)) => {
                let mut drift = Vec::new();
                if *partitions != spec.partitions {
                    drift.push(format!(
                        "partitions: {partitions}, catalogue says {}",
                        spec.partitions
                    ));
                }
                if *replicas < replication {
                    drift.push(format!(
                        "replication factor: {replicas}, catalogue says {} (capped at {brokers} broker(s): {replication})",
                        spec.replication_factor
                    ));
                }
                let described = admin
                    .describe_configs([&ResourceSpecifier::Topic(&spec.name)], &options)
                    .await
                    .map_err(kafka(format!("describing topic '{}'", spec.name)))?;
                let config = described.into_iter().next().and_then(Result::ok);
                for (key, wanted) in [
                    ("retention.ms", retention.as_deref()),
                    ("compression.type", spec.compression.as_deref()),
                ] {
                    let Some(wanted) = wanted else { continue };
                    let actual = config
                        .as_ref()
                        .and_then(|c| c.get(key))
                        .and_then(|e| e.value.clone());
                    if actual.as_deref() != Some(wanted) {
                        drift.push(format!(
                            "{key}: {}, catalogue says {wanted}",
                            actual.as_deref().unwrap_or("(unknown)")
                        ));
                    }
                }
                outcomes.push((
                    spec.name.clone(),
                    if drift.is_empty() {
                        TopicOutcome::Matches
                    } else {
                        TopicOutcome::Drifted(drift)
                    },
                ));
            }
        }
    }
    Ok(outcomes)
}

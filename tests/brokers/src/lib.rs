//! What the broker tests and the broker benchmark share: the catalogue
//! (generated from `schemas/` by build.rs, as a service would), two versions of
//! one evolving event, an in-process evreg, random events of any catalogue type,
//! and the rule for a broker that is not there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use evreg_client::apache_avro::Schema;
use evreg_client::apache_avro::types::Value;
use evreg_client::{Envelope, EventMeta, TopicEvents};
use evreg_tests::random::{self, Rng};
use serde::de::DeserializeOwned;

/// The shop's events.
pub mod catalog {
    include!(concat!(env!("OUT_DIR"), "/evgen.rs"));
}

/// One event in two compatible versions and an incompatible third, on a test
/// topic: for old readers of new writers and the reverse, and for refusals.
pub mod evolving {
    use evreg_client::{Event, TopicEvents, Uuid};
    use serde::{Deserialize, Serialize};

    /// The topic the versions are published to.
    pub const TOPIC: &str = "evreg-test-placed";

    macro_rules! topic_enum {
        ($name:ident, $event:ty) => {
            /// The test topic's events, as this version's readers see them.
            #[derive(Debug, Clone, PartialEq)]
            pub enum $name {
                /// `placed`.
                Placed($event),
            }
            impl TopicEvents for $name {
                const TOPIC: &'static str = TOPIC;
                const EVENT_TYPES: &'static [&'static str] = &["placed"];
                fn event_type(&self) -> &'static str {
                    "placed"
                }
                fn partition_key(&self) -> Option<String> {
                    match self {
                        $name::Placed(p) => Some(p.order_id.to_string()),
                    }
                }
            }
            impl From<$event> for $name {
                fn from(e: $event) -> Self {
                    $name::Placed(e)
                }
            }
        };
    }

    /// The first version.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "placed",
        source = "test-service",
        schema = "schemas/placed_v1.avsc",
        topic = "evreg-test-placed",
        key = "orderId",
        version = 1
    )]
    #[serde(rename_all = "camelCase")]
    pub struct PlacedV1 {
        /// The key.
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        /// An amount.
        pub amount: i64,
    }
    topic_enum!(EventsV1, PlacedV1);

    /// Adds an optional field with a default: compatible both ways.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "placed",
        source = "test-service",
        schema = "schemas/placed_v2.avsc",
        topic = "evreg-test-placed",
        key = "orderId",
        version = 2
    )]
    #[serde(rename_all = "camelCase")]
    pub struct PlacedV2 {
        /// The key.
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        /// An amount.
        pub amount: i64,
        /// New in v2.
        pub coupon: Option<String>,
    }
    topic_enum!(EventsV2, PlacedV2);

    /// Changes a field's type: incompatible with v1 and v2.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "placed",
        source = "test-service",
        schema = "schemas/placed_v3_bad.avsc",
        topic = "evreg-test-placed",
        key = "orderId",
        version = 3
    )]
    #[serde(rename_all = "camelCase")]
    pub struct PlacedV3 {
        /// The key.
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        /// Now text.
        pub amount: String,
    }
}

/// An evreg running in this process on 127.0.0.1, on a fresh SQLite file;
/// stopped and removed on drop.
pub struct Registry {
    /// Its base URL.
    pub url: String,
    dir: PathBuf,
    server: Option<evreg_server::Background>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Dropping the server asks it to stop.
        self.server.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts an evreg (panics on failure: for tests and the benchmark only).
pub async fn start_registry() -> Registry {
    let dir = std::env::temp_dir().join(format!("evreg-bus-{}", unique()));
    std::fs::create_dir_all(&dir).expect("create the registry's data dir");
    let server = evreg_server::serve_in_background(&evreg_server::Settings::for_data_dir(&dir))
        .await
        .expect("start the registry");
    Registry {
        url: server.url.clone(),
        dir,
        server: Some(server),
    }
}

/// A suffix unique to this process and moment, for queue and group names.
pub fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// Whether a test that needs the broker at `addr` may run: `true` when it
/// answers; when it does not, panics if `EVREG_REQUIRE_BROKERS=1` (CI), and
/// otherwise prints a loud SKIP line and returns `false`.
pub fn broker_available(test: &str, broker: &str, addr: &str) -> bool {
    let up = addr
        .parse()
        .ok()
        .and_then(|a| {
            std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).ok()
        })
        .is_some();
    if up {
        return true;
    }
    let required = std::env::var("EVREG_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: {broker} is not reachable on {addr} and EVREG_REQUIRE_BROKERS=1"
    );
    eprintln!(
        "SKIP {test}: {broker} is not reachable on {addr} (set EVREG_REQUIRE_BROKERS=1 to make this a failure)"
    );
    false
}

/// Random events of one topic, with keys drawn from a small pool shared by the
/// topic's event types, so one key's events span several types.
pub struct EventSource {
    rng: Rng,
    /// Per topic, the key values (Avro) drawn so far.
    keys: BTreeMap<&'static str, Vec<Value>>,
    /// Distinct keys per topic.
    pub keys_per_topic: usize,
}

impl EventSource {
    /// A source seeded with `seed`.
    pub fn new(seed: u64, keys_per_topic: usize) -> EventSource {
        EventSource {
            rng: Rng::new(seed),
            keys: BTreeMap::new(),
            keys_per_topic,
        }
    }

    /// A random, valid `E` in a fresh envelope.
    pub fn envelope<E: EventMeta + DeserializeOwned>(&mut self) -> Envelope<E> {
        let schema = Schema::parse_str(E::SCHEMA).expect("catalogue schemas parse");
        let mut value = random::value(&schema, &mut self.rng);
        if let (Some(field), Value::Record(fields)) = (E::PARTITION_KEY_FIELD, &mut value) {
            let pool = self.keys.entry(E::TOPIC).or_default();
            if let Some((_, v)) = fields.iter_mut().find(|(name, _)| name == field) {
                if pool.len() < self.keys_per_topic {
                    pool.push(v.clone());
                } else {
                    let pick = self.rng.below(pool.len() as u64) as usize;
                    *v = pool[pick].clone();
                }
            }
        }
        let data = evreg_client::avro::from_value(&value)
            .unwrap_or_else(|e| panic!("a random {} does not decode: {e}", E::EVENT_TYPE));
        Envelope::new(data)
    }
}

/// What a consumer is checked against: per key, the event ids in the order
/// they were sent, and every event by id.
pub struct Sent<T> {
    /// Per key, ids in send order.
    pub by_key: BTreeMap<String, Vec<String>>,
    /// Every event by id.
    pub events: BTreeMap<String, T>,
}

impl<T> Default for Sent<T> {
    fn default() -> Self {
        Sent {
            by_key: BTreeMap::new(),
            events: BTreeMap::new(),
        }
    }
}

impl<T: TopicEvents> Sent<T> {
    /// Records `envelope` as sent.
    pub fn record<E: Clone + Into<T>>(&mut self, envelope: &Envelope<E>) {
        let data: T = envelope.data.clone().into();
        let id = envelope.event_id.to_string();
        self.by_key
            .entry(data.partition_key().unwrap_or_default())
            .or_default()
            .push(id.clone());
        self.events.insert(id, data);
    }

    /// Checks that `received` (in receive order) is exactly what was sent, with
    /// each key's events in send order. Returns a description of the first
    /// difference.
    pub fn check(&self, group: &str, received: &[Envelope<T>]) -> Result<(), String>
    where
        T: PartialEq + std::fmt::Debug,
    {
        if received.len() != self.events.len() {
            return Err(format!(
                "group {group}: received {} events, sent {}",
                received.len(),
                self.events.len()
            ));
        }
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for envelope in received {
            let id = envelope.event_id.to_string();
            let sent = self
                .events
                .get(&id)
                .ok_or_else(|| format!("group {group}: received unknown event {id}"))?;
            if *sent != envelope.data {
                return Err(format!(
                    "group {group}: event {id} differs: sent {sent:?}, received {:?}",
                    envelope.data
                ));
            }
            if envelope.event_type != envelope.data.event_type() {
                return Err(format!(
                    "group {group}: event {id} has envelope type {} but data of type {}",
                    envelope.event_type,
                    envelope.data.event_type()
                ));
            }
            by_key
                .entry(envelope.data.partition_key().unwrap_or_default())
                .or_default()
                .push(id);
        }
        if by_key != self.by_key {
            return Err(format!(
                "group {group}: per-key order differs from send order"
            ));
        }
        Ok(())
    }
}

/// Where a test sends batches of one event type; implemented by both typed
/// producers, so one scenario runs on either broker.
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
#[allow(async_fn_in_trait)] // Used only here, never as `dyn` or across threads.
pub trait Sink {
    /// Sends `batch` in order and waits for the broker to have all of it.
    async fn send<E>(&self, batch: &[Envelope<E>]) -> Result<(), evreg_client::bus::BusError>
    where
        E: EventMeta + serde::Serialize + 'static;
}

#[cfg(feature = "rabbitmq")]
impl Sink for evreg_client::rabbit::RabbitProducer {
    async fn send<E>(&self, batch: &[Envelope<E>]) -> Result<(), evreg_client::bus::BusError>
    where
        E: EventMeta + serde::Serialize + 'static,
    {
        self.send_all(batch).await
    }
}

#[cfg(feature = "kafka")]
impl Sink for evreg_client::kafka::KafkaProducer {
    async fn send<E>(&self, batch: &[Envelope<E>]) -> Result<(), evreg_client::bus::BusError>
    where
        E: EventMeta + serde::Serialize + 'static,
    {
        self.send_all(batch).await.map(drop)
    }
}

/// A producer used through its `enqueue` (Kafka's or RabbitMQ's): every event
/// of the batch is handed over as soon as it is encoded, then the deliveries
/// are awaited.
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
pub struct Streaming<'a, P>(pub &'a P);

/// `Sink` for a streaming producer whose pending handles settle with `$settle`.
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
macro_rules! streaming_sink {
    ($producer:ty, $settle:ident) => {
        impl Sink for Streaming<'_, $producer> {
            async fn send<E>(
                &self,
                batch: &[Envelope<E>],
            ) -> Result<(), evreg_client::bus::BusError>
            where
                E: EventMeta + serde::Serialize + 'static,
            {
                let mut pending = Vec::with_capacity(batch.len());
                for envelope in batch {
                    pending.push(self.0.enqueue(envelope).await?);
                }
                for p in pending {
                    p.$settle().await?;
                }
                Ok(())
            }
        }
    };
}

#[cfg(feature = "kafka")]
streaming_sink!(evreg_client::kafka::KafkaProducer, delivered);
#[cfg(feature = "rabbitmq")]
streaming_sink!(evreg_client::rabbit::RabbitProducer, confirmed);

/// Runs `$one_topic(setup, source, decoders, produce)` for each catalogue
/// topic, producing `$rounds` rounds of `$batch` events of each event type;
/// the payment topic goes through the producer's streaming `enqueue`.
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
#[macro_export]
macro_rules! every_topic {
    ($one_topic:ident, $setup:expr, $source:expr, $rounds:expr, $batch:expr) => {{
        use $crate::topics;
        let (rounds, batch) = ($rounds, $batch);
        $one_topic(
            $setup,
            $source,
            topics::order_decoders,
            async |p, s, sent| topics::produce_orders(p, s, rounds, batch, sent).await,
        )
        .await;
        $one_topic(
            $setup,
            $source,
            topics::inventory_decoders,
            async |p, s, sent| topics::produce_inventory(p, s, rounds, batch, sent).await,
        )
        .await;
        $one_topic(
            $setup,
            $source,
            topics::customer_decoders,
            async |p, s, sent| topics::produce_customers(p, s, rounds, batch, sent).await,
        )
        .await;
        $one_topic(
            $setup,
            $source,
            topics::payment_decoders,
            async |p, s, sent| {
                topics::produce_payments(&$crate::Streaming(p), s, rounds, batch, sent).await
            },
        )
        .await;
    }};
}

/// Per catalogue topic: the consumer's decoder table, and a producer of
/// `rounds` rounds of `batch` random events of every event type of the topic.
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
pub mod topics {
    use super::catalog::shop::{customer, inventory, order, payment};
    use super::catalog::topics::{CustomerEvents, InventoryEvents, OrderEvents, PaymentEvents};
    use super::{EventSource, Sent, Sink};
    use evreg_client::bus::{BusError, EventDecoders};

    macro_rules! topic {
        ($decoders:ident, $produce:ident, $enum:ty, [$($event:ty),*]) => {
            /// Decoders for every event type of the topic.
            pub fn $decoders() -> EventDecoders<$enum> {
                EventDecoders::new()$(.event::<$event>())*
            }

            /// Sends `rounds` rounds of `batch` events of each event type, recording them in `sent`.
            pub async fn $produce<S: Sink>(
                sink: &S,
                source: &mut EventSource,
                rounds: usize,
                batch: usize,
                sent: &mut Sent<$enum>,
            ) -> Result<(), BusError> {
                for _ in 0..rounds {
                    $(
                        let events: Vec<_> = (0..batch).map(|_| source.envelope::<$event>()).collect();
                        sink.send(&events).await?;
                        for e in &events {
                            sent.record(e);
                        }
                    )*
                }
                Ok(())
            }
        };
    }

    topic!(
        order_decoders,
        produce_orders,
        OrderEvents,
        [
            order::OrderCreated,
            order::OrderUpdated,
            order::OrderCancelled,
            order::OrderCompleted
        ]
    );
    topic!(
        inventory_decoders,
        produce_inventory,
        InventoryEvents,
        [
            inventory::InventoryReserved,
            inventory::InventoryReleased,
            inventory::InventoryUpdated
        ]
    );
    topic!(
        customer_decoders,
        produce_customers,
        CustomerEvents,
        [customer::CustomerRegistered, customer::CustomerUpdated]
    );
    topic!(
        payment_decoders,
        produce_payments,
        PaymentEvents,
        [
            payment::PaymentProcessed,
            payment::PaymentFailed,
            payment::PaymentRefunded
        ]
    );
}

//! Load through a broker: N `order.created` events produced and then consumed,
//! either through evreg-client's typed producer and consumer (schema checks on
//! the way out, registry lookups and reader resolution on the way in), or with
//! the plain broker client sending the very same bytes and headers and reading
//! them back without decoding. Prints one line of events per second.
//!
//! ```text
//! cargo run --release -p evreg-broker-tests --features rabbitmq,kafka --example bus_load -- \
//!     <rabbitmq|kafka> <typed|plain> [events]
//! ```
//!
//! RabbitMQ: `EVREG_AMQP_URL` (default the local guest account). Kafka:
//! `EVREG_KAFKA_BOOTSTRAP` (default 127.0.0.1:9092), on a broker whose
//! `order-events` topic is empty (.ci/bench/brokers.sh starts a fresh tansu per
//! run), since a consumer group reads the topic from its start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use evreg_broker_tests::catalog::shop::order::OrderCreated;
use evreg_broker_tests::{EventSource, start_registry, topics, unique};
use evreg_client::{Deserializer, Envelope, EventMeta, RegistryClient, Serializer, wire};

/// One event as both paths put it on the wire.
struct Encoded {
    headers: Vec<(&'static str, String)>,
    key: Option<String>,
    schema_id: u32,
    bare: Vec<u8>,
    framed: Vec<u8>,
}

async fn encode(serializer: &Serializer, events: &[Envelope<OrderCreated>]) -> Vec<Encoded> {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let (schema_id, bare) = serializer.serialize_bare(&e.data).await.unwrap();
        let mut framed = wire::frame(schema_id, bare.len());
        framed.extend_from_slice(&bare);
        out.push(Encoded {
            headers: e.headers().to_vec(),
            key: e.data.partition_key(),
            schema_id,
            bare,
            framed,
        });
    }
    out
}

fn report(broker: &str, mode: &str, n: usize, produce: Duration, consume: Duration) {
    let total = produce + consume;
    println!(
        "{broker} {mode}: {n} events, produce {:.0}/s, consume {:.0}/s, end to end {:.0}/s",
        n as f64 / produce.as_secs_f64(),
        (n - 1) as f64 / consume.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (broker, mode) = match (args.first(), args.get(1)) {
        (Some(b), Some(m)) => (b.clone(), m.clone()),
        _ => {
            eprintln!("usage: bus_load <rabbitmq|kafka> <typed|plain> [events]");
            std::process::exit(2);
        }
    };
    let n: usize = args
        .get(2)
        .map_or(20_000, |s| s.parse().expect("events is a number"));
    let registry = start_registry().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    let serializer = Arc::new(Serializer::new(client.clone()).auto_register(true));
    let deserializer = Arc::new(Deserializer::new(client.clone()));
    let mut source = EventSource::new(5, 64);
    let events: Vec<Envelope<OrderCreated>> = (0..n).map(|_| source.envelope()).collect();
    // Registers the schema, outside the timings.
    let encoded = encode(&serializer, &events).await;
    // The schema layer's own CPU cost per event, without a broker.
    let start = Instant::now();
    std::hint::black_box(encode(&serializer, &events).await);
    let encode_time = start.elapsed();
    let start = Instant::now();
    for e in &encoded {
        let back: OrderCreated = deserializer
            .deserialize_bare(e.schema_id, &e.bare)
            .await
            .unwrap();
        std::hint::black_box(back);
    }
    let decode_time = start.elapsed();
    println!(
        "schema layer alone: encode {:.1} µs/event (with headers, framing), decode {:.1} µs/event",
        encode_time.as_secs_f64() * 1e6 / n as f64,
        decode_time.as_secs_f64() * 1e6 / n as f64
    );

    let (produce, consume) = match (broker.as_str(), mode.as_str()) {
        ("rabbitmq", "typed") => rabbit::typed(serializer, deserializer, &events).await,
        ("rabbitmq", "plain") => rabbit::plain(&encoded).await,
        ("kafka", "typed") => kafka::typed(serializer, deserializer, &events).await,
        ("kafka", "plain") => kafka::plain(&encoded).await,
        _ => {
            eprintln!("usage: bus_load <rabbitmq|kafka> <typed|plain> [events]");
            std::process::exit(2);
        }
    };
    report(&broker, &mode, n, produce, consume);
}

/// Events per batch handed to a producer before waiting for the broker.
const BATCH: usize = 1000;

mod rabbit {
    use super::*;
    use evreg_client::rabbit::{RabbitConsumer, RabbitProducer, connect, declare_group};
    use futures_util::StreamExt;
    use lapin::BasicProperties;
    use lapin::options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
        ConfirmSelectOptions, QueueDeleteOptions,
    };
    use lapin::types::{AMQPValue, FieldTable};

    fn url() -> String {
        std::env::var("EVREG_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
    }

    async fn delete(group: &str) {
        let connection = connect(&url()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        for q in [group.to_owned(), format!("{group}.dead-letter")] {
            channel
                .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                .await
                .unwrap();
        }
    }

    pub async fn typed(
        serializer: Arc<Serializer>,
        deserializer: Arc<Deserializer>,
        events: &[Envelope<OrderCreated>],
    ) -> (Duration, Duration) {
        let group = format!("bench-typed-{}", unique());
        let mut consumer =
            RabbitConsumer::connect(&url(), &group, topics::order_decoders(), deserializer)
                .await
                .unwrap();
        let producer = RabbitProducer::connect(&url(), serializer).await.unwrap();
        let start = Instant::now();
        // As the plain path does: publish every event of a batch as it is
        // ready, then await the batch's confirms.
        for batch in events.chunks(BATCH) {
            let mut pending = Vec::with_capacity(batch.len());
            for e in batch {
                pending.push(producer.enqueue(e).await.unwrap());
            }
            for p in pending {
                p.confirmed().await.unwrap();
            }
        }
        let produced = start.elapsed();
        // As on Kafka, the clock starts at the first event.
        consumer.recv().await.unwrap().unwrap();
        let start = Instant::now();
        for _ in 1..events.len() {
            consumer.recv().await.unwrap().unwrap();
        }
        let consumed = start.elapsed();
        drop(consumer);
        delete(&group).await;
        (produced, consumed)
    }

    pub async fn plain(encoded: &[Encoded]) -> (Duration, Duration) {
        let group = format!("bench-plain-{}", unique());
        let connection = connect(&url()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        declare_group(&channel, OrderCreated::TOPIC, &group)
            .await
            .unwrap();
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        let start = Instant::now();
        for batch in encoded.chunks(BATCH) {
            let mut pending = Vec::with_capacity(batch.len());
            for e in batch {
                let mut headers = FieldTable::default();
                for (k, v) in &e.headers {
                    headers.insert((*k).into(), AMQPValue::LongString(v.as_str().into()));
                }
                headers.insert(
                    wire::SCHEMA_ID_HEADER.into(),
                    AMQPValue::LongLongInt(i64::from(e.schema_id)),
                );
                if let Some(key) = &e.key {
                    headers.insert(
                        "partitionKey".into(),
                        AMQPValue::LongString(key.as_str().into()),
                    );
                }
                let properties = BasicProperties::default()
                    .with_headers(headers)
                    .with_delivery_mode(2)
                    .with_content_type("application/vnd.apache.avro".into())
                    .with_type(OrderCreated::EVENT_TYPE.into());
                let confirm = channel
                    .basic_publish(
                        OrderCreated::TOPIC.into(),
                        OrderCreated::EVENT_TYPE.into(),
                        BasicPublishOptions {
                            mandatory: true,
                            ..BasicPublishOptions::default()
                        },
                        &e.bare,
                        properties,
                    )
                    .await
                    .unwrap();
                pending.push(confirm);
            }
            for confirm in pending {
                assert!(confirm.await.unwrap().is_ack());
            }
        }
        let produced = start.elapsed();

        let reader = connection.create_channel().await.unwrap();
        reader
            .basic_qos(256, BasicQosOptions::default())
            .await
            .unwrap();
        let mut consumer = reader
            .basic_consume(
                group.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let first = consumer.next().await.unwrap().unwrap();
        first.ack(BasicAckOptions::default()).await.unwrap();
        let start = Instant::now();
        for _ in 1..encoded.len() {
            let delivery = consumer.next().await.unwrap().unwrap();
            delivery.ack(BasicAckOptions::default()).await.unwrap();
        }
        let consumed = start.elapsed();
        drop(consumer);
        delete(&group).await;
        (produced, consumed)
    }
}

mod kafka {
    use super::*;
    use evreg_client::kafka::{
        KafkaConsumer, KafkaProducer, TopicSpec, consumer_config, ensure_topics, producer_config,
    };
    use rdkafka::Message;
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::message::{Header, Headers, OwnedHeaders};
    use rdkafka::producer::{FutureProducer, FutureRecord};

    fn bootstrap() -> String {
        std::env::var("EVREG_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
    }

    async fn topic() {
        ensure_topics(
            &bootstrap(),
            &[TopicSpec {
                name: OrderCreated::TOPIC.to_owned(),
                partitions: 12,
                replication_factor: 1,
                retention_ms: None,
                compression: Some("lz4".to_owned()),
            }],
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    fn group_config(group: &str) -> rdkafka::ClientConfig {
        let mut config = consumer_config(&bootstrap(), group);
        config.set("session.timeout.ms", "6000");
        config.set("heartbeat.interval.ms", "500");
        config
    }

    pub async fn typed(
        serializer: Arc<Serializer>,
        deserializer: Arc<Deserializer>,
        events: &[Envelope<OrderCreated>],
    ) -> (Duration, Duration) {
        topic().await;
        let producer = KafkaProducer::new(&bootstrap(), serializer).unwrap();
        let start = Instant::now();
        // As the plain path does: hand every event of a batch to the client as
        // it is ready, then await the batch's delivery reports.
        for batch in events.chunks(BATCH) {
            let mut pending = Vec::with_capacity(batch.len());
            for e in batch {
                pending.push(producer.enqueue(e).await.unwrap());
            }
            for p in pending {
                p.delivered().await.unwrap();
            }
        }
        let produced = start.elapsed();
        let group = format!("bench-typed-{}", unique());
        let mut consumer = KafkaConsumer::with_config(
            &group_config(&group),
            topics::order_decoders(),
            deserializer,
        )
        .unwrap();
        // Joining the group takes seconds: the clock starts at the first record.
        consumer.recv().await.unwrap();
        let start = Instant::now();
        for _ in 1..events.len() {
            consumer.recv().await.unwrap();
        }
        consumer.commit().unwrap();
        (produced, start.elapsed())
    }

    pub async fn plain(encoded: &[Encoded]) -> (Duration, Duration) {
        topic().await;
        let producer: FutureProducer = producer_config(&bootstrap())
            .set("message.timeout.ms", "30000")
            .create()
            .unwrap();
        let start = Instant::now();
        for batch in encoded.chunks(BATCH) {
            let mut pending = Vec::with_capacity(batch.len());
            for e in batch {
                let mut headers = OwnedHeaders::new_with_capacity(6);
                for (k, v) in &e.headers {
                    headers = headers.insert(Header {
                        key: k,
                        value: Some(v.as_bytes()),
                    });
                }
                headers = headers.insert(Header {
                    key: "content-type",
                    value: Some("application/vnd.apache.avro".as_bytes()),
                });
                let mut record = FutureRecord::to(OrderCreated::TOPIC)
                    .payload(&e.framed)
                    .headers(headers);
                if let Some(key) = &e.key {
                    record = record.key(key);
                }
                pending.push(producer.send_result(record).map_err(|(e, _)| e).unwrap());
            }
            for p in pending {
                p.await.unwrap().unwrap();
            }
        }
        let produced = start.elapsed();
        let group = format!("bench-plain-{}", unique());
        let consumer: StreamConsumer = group_config(&group).create().unwrap();
        consumer.subscribe(&[OrderCreated::TOPIC]).unwrap();
        // Joining the group takes seconds: the clock starts at the first record.
        let first = consumer.recv().await.unwrap();
        consumer.store_offset_from_message(&first).unwrap();
        drop(first);
        let start = Instant::now();
        for _ in 1..encoded.len() {
            let m = consumer.recv().await.unwrap();
            std::hint::black_box(m.payload());
            // Any consumer of the envelope reads its headers (librdkafka parses
            // them on first access); decoding them is the typed path's work.
            if let Some(headers) = m.headers() {
                for h in headers.iter() {
                    std::hint::black_box(h);
                }
            }
            consumer.store_offset_from_message(&m).unwrap();
        }
        consumer
            .commit_consumer_state(rdkafka::consumer::CommitMode::Sync)
            .unwrap();
        (produced, start.elapsed())
    }
}

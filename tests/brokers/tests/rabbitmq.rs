//! Catalogue events through the RabbitMQ on 127.0.0.1:5672 (guest/guest) and an
//! in-process evreg: every event type to two consumer groups in per-key order,
//! old and new readers, dead letters, refusals, and a broker restart.
//!
//! Skipped loudly when the broker is not there, unless `EVREG_REQUIRE_BROKERS=1`.
//! The restart test stops and starts the broker's app (`rabbitmqctl`), so it runs
//! only with `EVREG_REQUIRE_BROKERS=1` or `EVREG_RABBITMQ_RESTART=1`, and holds a
//! lock the other tests share, so none of them runs through it.

use std::sync::Arc;
use std::time::Duration;

use evreg_broker_tests::evolving::{EventsV1, EventsV2, PlacedV1, PlacedV2, PlacedV3};
use evreg_broker_tests::{
    EventSource, Sent, broker_available, every_topic, start_registry, unique,
};
use evreg_client::bus::{BusError, EventDecoders};
use evreg_client::rabbit::{
    DEAD_LETTER_REASON_HEADER, RabbitConsumer, RabbitProducer, connect, dead_letter_queue,
    declare_group, is_drift,
};
use evreg_client::{
    Deserializer, Envelope, RegistryClient, SerdeError, Serializer, TopicEvents, Uuid,
};
use lapin::BasicProperties;
use lapin::options::{BasicGetOptions, BasicPublishOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const ADDR: &str = "127.0.0.1:5672";

/// The tests of the `evolving` topic share its exchange, so they and the
/// restart test hold this alone; the catalogue test holds it shared.
static BROKER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

struct Setup {
    _registry: evreg_broker_tests::Registry,
    client: Arc<RegistryClient>,
}

async fn setup() -> Setup {
    let registry = start_registry().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    Setup {
        _registry: registry,
        client,
    }
}

impl Setup {
    fn producer_serializer(&self) -> Arc<Serializer> {
        Arc::new(Serializer::new(self.client.clone()).auto_register(true))
    }
    fn deserializer(&self) -> Arc<Deserializer> {
        Arc::new(Deserializer::new(self.client.clone()))
    }
}

/// Receives `n` events, failing after a generous timeout.
async fn take<T: TopicEvents + 'static>(
    consumer: &mut RabbitConsumer<T>,
    n: usize,
) -> Vec<Envelope<T>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(30), consumer.recv()).await {
            Ok(Ok(Some(e))) => out.push(e),
            Ok(Ok(None)) => panic!("consumer cancelled after {} of {n} events", out.len()),
            Ok(Err(e)) => panic!("receiving: {e}"),
            Err(_) => panic!("timed out after {} of {n} events", out.len()),
        }
    }
    out
}

async fn delete_groups(groups: &[&str]) {
    let connection = connect(URL).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    for g in groups {
        for q in [g.to_string(), dead_letter_queue(g)] {
            channel
                .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                .await
                .unwrap();
        }
    }
}

/// One topic: two groups declared, every event type produced, both groups
/// read everything, each key in send order.
async fn one_topic<T, P>(
    setup: &Setup,
    source: &mut EventSource,
    decoders: fn() -> EventDecoders<T>,
    produce: P,
) where
    T: TopicEvents + PartialEq + std::fmt::Debug + 'static,
    P: AsyncFnOnce(&RabbitProducer, &mut EventSource, &mut Sent<T>) -> Result<(), BusError>,
{
    let (a, b) = (
        format!("{}-a-{}", T::TOPIC, unique()),
        format!("{}-b-{}", T::TOPIC, unique()),
    );
    let mut ga = RabbitConsumer::connect(URL, &a, decoders(), setup.deserializer())
        .await
        .unwrap();
    let mut gb = RabbitConsumer::connect(URL, &b, decoders(), setup.deserializer())
        .await
        .unwrap();
    let producer = RabbitProducer::connect(URL, setup.producer_serializer())
        .await
        .unwrap();
    let mut sent = Sent::default();
    produce(&producer, source, &mut sent).await.unwrap();
    let n = sent.events.len();
    assert!(n >= T::EVENT_TYPES.len() * 2, "produced only {n}");
    let got_a = take(&mut ga, n).await;
    let got_b = take(&mut gb, n).await;
    sent.check(&a, &got_a).unwrap();
    sent.check(&b, &got_b).unwrap();
    assert_eq!(ga.dead_lettered() + gb.dead_lettered(), 0);
    drop((ga, gb));
    delete_groups(&[&a, &b]).await;
}

#[tokio::test]
async fn every_catalogue_event_reaches_two_groups_in_key_order() {
    if !broker_available("rabbitmq::every_catalogue_event", "RabbitMQ", ADDR) {
        return;
    }
    let _shared = BROKER.read().await;
    let setup = setup().await;
    let mut source = EventSource::new(11, 3);
    let (rounds, batch) = (3, 4);
    every_topic!(one_topic, &setup, &mut source, rounds, batch);
}

fn v1(n: u128) -> PlacedV1 {
    PlacedV1 {
        order_id: Uuid::from_u128(n),
        amount: n as i64,
    }
}

fn v2(n: u128) -> PlacedV2 {
    PlacedV2 {
        order_id: Uuid::from_u128(n),
        amount: n as i64,
        coupon: Some(format!("C{n}")),
    }
}

#[tokio::test]
async fn old_readers_read_new_writers_and_the_reverse() {
    if !broker_available("rabbitmq::old_and_new_readers", "RabbitMQ", ADDR) {
        return;
    }
    let _alone = BROKER.write().await;
    let setup = setup().await;
    let (old, new) = (
        format!("placed-old-{}", unique()),
        format!("placed-new-{}", unique()),
    );
    let mut old_reader = RabbitConsumer::connect(
        URL,
        &old,
        EventDecoders::<EventsV1>::new().event::<PlacedV1>(),
        setup.deserializer(),
    )
    .await
    .unwrap();
    let mut new_reader = RabbitConsumer::connect(
        URL,
        &new,
        EventDecoders::<EventsV2>::new().event::<PlacedV2>(),
        setup.deserializer(),
    )
    .await
    .unwrap();
    let producer = RabbitProducer::connect(URL, setup.producer_serializer())
        .await
        .unwrap();
    // A v1 writer, then a v2 writer (v2 registers as the subject's second version).
    producer.send(&Envelope::new(v1(1))).await.unwrap();
    producer.send(&Envelope::new(v2(2))).await.unwrap();

    let seen_old: Vec<_> = take(&mut old_reader, 2)
        .await
        .into_iter()
        .map(|e| e.data)
        .collect();
    assert_eq!(
        seen_old,
        [EventsV1::Placed(v1(1)), EventsV1::Placed(v1(2))],
        "the v1 reader drops v2's new field"
    );
    let seen_new: Vec<_> = take(&mut new_reader, 2)
        .await
        .into_iter()
        .map(|e| e.data)
        .collect();
    assert_eq!(
        seen_new,
        [
            EventsV2::Placed(PlacedV2 {
                coupon: None,
                ..v2(1)
            }),
            EventsV2::Placed(v2(2))
        ],
        "the v2 reader fills the default for v1's events"
    );
    drop((old_reader, new_reader));
    delete_groups(&[&old, &new]).await;
}

#[tokio::test]
async fn undecodable_messages_are_dead_lettered_with_their_reason() {
    if !broker_available("rabbitmq::dead_letter", "RabbitMQ", ADDR) {
        return;
    }
    let _alone = BROKER.write().await;
    let setup = setup().await;
    let group = format!("placed-dlq-{}", unique());
    let mut consumer = RabbitConsumer::connect(
        URL,
        &group,
        EventDecoders::<EventsV2>::new().event::<PlacedV2>(),
        setup.deserializer(),
    )
    .await
    .unwrap();

    // Junk, published with the plain client: no schema id header, then an unknown id.
    let connection = connect(URL).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let junk: [(&[u8], Option<i64>); 2] = [(b"not avro", None), (b"\x02\x04", Some(987_654))];
    for (payload, id) in junk {
        let mut headers = FieldTable::default();
        headers.insert("eventType".into(), AMQPValue::LongString("placed".into()));
        if let Some(id) = id {
            headers.insert("evreg-schema-id".into(), AMQPValue::LongLongInt(id));
        }
        channel
            .basic_publish(
                evreg_broker_tests::evolving::TOPIC.into(),
                "placed".into(),
                BasicPublishOptions::default(),
                payload,
                BasicProperties::default().with_headers(headers),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }
    // A good event after them: recv returns it, having dead-lettered the junk.
    let producer = RabbitProducer::connect(URL, setup.producer_serializer())
        .await
        .unwrap();
    producer.send(&Envelope::new(v2(9))).await.unwrap();
    let got = take(&mut consumer, 1).await;
    assert_eq!(got[0].data, EventsV2::Placed(v2(9)));
    assert_eq!(consumer.dead_lettered(), 2);

    let mut reasons = Vec::new();
    for expected in [&b"not avro"[..], b"\x02\x04"] {
        let message = channel
            .basic_get(
                dead_letter_queue(&group).as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap()
            .expect("a dead letter");
        assert_eq!(message.delivery.data, expected);
        let headers = message.delivery.properties.headers().clone().unwrap();
        match headers.inner().get(DEAD_LETTER_REASON_HEADER) {
            Some(AMQPValue::LongString(s)) => {
                reasons.push(String::from_utf8_lossy(s.as_bytes()).into_owned())
            }
            other => panic!("no reason header: {other:?}"),
        }
    }
    assert!(reasons[0].contains("evreg-schema-id"), "{}", reasons[0]);
    assert!(reasons[1].contains("987654"), "{}", reasons[1]);
    drop(consumer);
    delete_groups(&[&group]).await;
}

#[tokio::test]
async fn refused_events_send_nothing() {
    if !broker_available("rabbitmq::refusals", "RabbitMQ", ADDR) {
        return;
    }
    let _alone = BROKER.write().await;
    let setup = setup().await;
    let group = format!("placed-refused-{}", unique());
    let mut consumer = RabbitConsumer::connect(
        URL,
        &group,
        EventDecoders::<EventsV2>::new().event::<PlacedV2>(),
        setup.deserializer(),
    )
    .await
    .unwrap();

    // Unregistered, and no auto-registration: refused.
    let strict = RabbitProducer::connect(URL, Arc::new(Serializer::new(setup.client.clone())))
        .await
        .unwrap();
    match strict.send(&Envelope::new(v1(1))).await {
        Err(BusError::Serde(SerdeError::NotRegistered { subject, .. })) => {
            assert_eq!(subject, "evreg-test-placed-bus.Placed")
        }
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    // Registered v1, then an incompatible v3: refused, and so is the whole batch
    // it is part of.
    let auto = RabbitProducer::connect(URL, setup.producer_serializer())
        .await
        .unwrap();
    auto.send(&Envelope::new(v1(1))).await.unwrap();
    match auto
        .send(&Envelope::new(PlacedV3 {
            order_id: Uuid::from_u128(3),
            amount: "three".into(),
        }))
        .await
    {
        Err(BusError::Serde(SerdeError::Incompatible { .. })) => {}
        other => panic!("expected Incompatible, got {other:?}"),
    }
    let streamed = auto
        .enqueue(&Envelope::new(PlacedV3 {
            order_id: Uuid::from_u128(4),
            amount: "four".into(),
        }))
        .await;
    match streamed {
        Err(BusError::Serde(SerdeError::Incompatible { .. })) => {}
        other => panic!("expected Incompatible from enqueue, got {other:?}"),
    }
    // Only the one accepted event is on the queue.
    let got = take(&mut consumer, 1).await;
    assert_eq!(
        got[0].data,
        EventsV2::Placed(PlacedV2 {
            coupon: None,
            ..v2(1)
        })
    );
    let queue = consumer_queue_depth(&group).await;
    assert_eq!(
        queue, 0,
        "nothing but the accepted event reached the broker"
    );
    drop(consumer);
    delete_groups(&[&group]).await;
}

async fn consumer_queue_depth(group: &str) -> u32 {
    let connection = connect(URL).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = channel
        .queue_declare(
            group.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    queue.message_count()
}

fn rabbitmqctl(arg: &str) {
    let status = std::process::Command::new("rabbitmqctl")
        .arg(arg)
        .status()
        .unwrap_or_else(|e| panic!("rabbitmqctl {arg}: {e}"));
    assert!(status.success(), "rabbitmqctl {arg}: {status}");
}

#[tokio::test]
async fn a_broker_restart_loses_no_confirmed_event() {
    let allowed = ["EVREG_REQUIRE_BROKERS", "EVREG_RABBITMQ_RESTART"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == "1"));
    if !allowed {
        eprintln!(
            "SKIP rabbitmq::broker_restart: it restarts the broker; set EVREG_RABBITMQ_RESTART=1 (or EVREG_REQUIRE_BROKERS=1) to run it"
        );
        return;
    }
    if !broker_available("rabbitmq::broker_restart", "RabbitMQ", ADDR) {
        return;
    }
    let _alone = BROKER.write().await;
    let setup = setup().await;
    let group = format!("placed-restart-{}", unique());
    let decoders = || EventDecoders::<EventsV2>::new().event::<PlacedV2>();
    // Declare the group, then stop reading: the events wait in the queue.
    drop(
        RabbitConsumer::connect(URL, &group, decoders(), setup.deserializer())
            .await
            .unwrap(),
    );
    let producer = RabbitProducer::connect(URL, setup.producer_serializer())
        .await
        .unwrap();
    let events: Vec<_> = (0..200).map(|n| Envelope::new(v2(n))).collect();
    producer.send_all(&events).await.unwrap();
    drop(producer);

    rabbitmqctl("stop_app");
    rabbitmqctl("start_app");
    tokio::task::spawn_blocking(|| rabbitmqctl("await_startup"))
        .await
        .unwrap();

    let mut consumer = RabbitConsumer::connect(URL, &group, decoders(), setup.deserializer())
        .await
        .unwrap();
    let got: Vec<_> = take(&mut consumer, events.len()).await;
    let ids: Vec<_> = got.iter().map(|e| e.event_id).collect();
    let sent: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(
        ids, sent,
        "every confirmed event, in order, after the restart"
    );
    drop(consumer);
    delete_groups(&[&group]).await;
}

#[tokio::test]
async fn a_queue_declared_otherwise_is_drift() {
    if !broker_available("rabbitmq::drift", "RabbitMQ", ADDR) {
        return;
    }
    let _shared = BROKER.read().await;
    let group = format!("placed-drift-{}", unique());
    let connection = connect(URL).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    // The group's queue, as someone declared it by hand: durable, no arguments.
    channel
        .queue_declare(
            group.as_str().into(),
            lapin::options::QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let err = declare_group(&channel, evreg_broker_tests::evolving::TOPIC, &group)
        .await
        .expect_err("the arguments differ");
    assert!(is_drift(&err), "{err}");
    // The same declaration of a fresh group is accepted.
    let channel = connection.create_channel().await.unwrap();
    declare_group(
        &channel,
        evreg_broker_tests::evolving::TOPIC,
        &format!("{group}-ok"),
    )
    .await
    .unwrap();
    delete_groups(&[&group, &format!("{group}-ok")]).await;
}

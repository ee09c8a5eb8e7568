//! Catalogue events through a Kafka-protocol broker (`EVREG_KAFKA_BOOTSTRAP`,
//! default 127.0.0.1:9092; .ci/kafka.sh starts tansu for it) and an in-process
//! evreg: the catalogue's topics created from its settings, every event type to
//! two consumer groups with each key in one partition and in order, old and new
//! readers, and refusals that leave the topic untouched.
//!
//! Skipped loudly when the broker is not there, unless `EVREG_REQUIRE_BROKERS=1`.
//! A broker kept between runs keeps earlier runs' records: the consumers here
//! read only the events their own test sent and pass over the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use evreg_broker_tests::catalog::topics::{
    CustomerEvents, InventoryEvents, OrderEvents, PaymentEvents,
};
use evreg_broker_tests::evolving::{self, EventsV1, EventsV2, PlacedV1, PlacedV2, PlacedV3};
use evreg_broker_tests::{
    EventSource, Sent, broker_available, every_topic, start_registry, unique,
};
use evreg_client::bus::{BusError, EventDecoders};
use evreg_client::kafka::{
    KafkaConsumer, KafkaProducer, Received, TopicOutcome, TopicSpec, consumer_config, ensure_topics,
};
use evreg_client::{
    Deserializer, Envelope, RegistryClient, SerdeError, Serializer, TopicEvents, Uuid,
};
use rdkafka::consumer::{BaseConsumer, Consumer};

/// The tests share the `evolving` topic and watch its offsets, so they run one at a time.
static BROKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn bootstrap() -> String {
    std::env::var("EVREG_KAFKA_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

fn available(test: &str) -> bool {
    let addr = bootstrap();
    let first = addr.split(',').next().unwrap_or_default().to_owned();
    broker_available(test, "the Kafka broker", &first)
}

struct Setup {
    _registry: evreg_broker_tests::Registry,
    client: Arc<RegistryClient>,
}

impl Setup {
    async fn new() -> Setup {
        let registry = start_registry().await;
        let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
        Setup {
            _registry: registry,
            client,
        }
    }
    fn producer(&self) -> KafkaProducer {
        KafkaProducer::new(
            &bootstrap(),
            Arc::new(Serializer::new(self.client.clone()).auto_register(true)),
        )
        .unwrap()
    }
    fn consumer<T: TopicEvents + 'static>(
        &self,
        group: &str,
        decoders: EventDecoders<T>,
    ) -> KafkaConsumer<T> {
        let mut config = consumer_config(&bootstrap(), group);
        // A short session: a group forms in a few seconds, not in tens.
        config.set("session.timeout.ms", "6000");
        config.set("heartbeat.interval.ms", "500");
        KafkaConsumer::with_config(
            &config,
            decoders,
            Arc::new(Deserializer::new(self.client.clone())),
        )
        .unwrap()
    }
}

/// Receives until every id in `ours` has arrived, passing over other runs'
/// records; fails after a generous timeout.
async fn take_ours<T: TopicEvents + 'static>(
    consumer: &mut KafkaConsumer<T>,
    ours: &BTreeSet<String>,
) -> Vec<Received<T>> {
    let mut out = Vec::with_capacity(ours.len());
    let mut others = 0usize;
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while out.len() < ours.len() {
        match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(r)) if ours.contains(&r.envelope.event_id.to_string()) => out.push(r),
            Ok(Ok(_) | Err(BusError::Undecodable { .. })) => others += 1,
            Ok(Err(e)) => panic!("receiving {}: {e}", T::TOPIC),
            Err(_) => panic!(
                "{}: timed out after {} of {} events ({others} of other runs passed over)",
                T::TOPIC,
                out.len(),
                ours.len()
            ),
        }
    }
    consumer.commit().unwrap();
    eprintln!(
        "{}: {} events consumed in {:?}",
        T::TOPIC,
        out.len(),
        started.elapsed()
    );
    out
}

fn spec<T: TopicEvents>(partitions: u32, retention_ms: u64) -> TopicSpec {
    TopicSpec {
        name: T::TOPIC.to_owned(),
        partitions: partitions as i32,
        replication_factor: 3,
        retention_ms: Some(retention_ms),
        compression: Some("lz4".to_owned()),
    }
}

fn catalogue_specs() -> Vec<TopicSpec> {
    vec![
        spec::<OrderEvents>(OrderEvents::PARTITIONS, OrderEvents::RETENTION_MS),
        spec::<InventoryEvents>(InventoryEvents::PARTITIONS, InventoryEvents::RETENTION_MS),
        spec::<CustomerEvents>(CustomerEvents::PARTITIONS, CustomerEvents::RETENTION_MS),
        spec::<PaymentEvents>(PaymentEvents::PARTITIONS, PaymentEvents::RETENTION_MS),
        TopicSpec {
            name: evolving::TOPIC.to_owned(),
            partitions: 3,
            replication_factor: 1,
            retention_ms: None,
            compression: None,
        },
    ]
}

async fn create_topics() {
    let outcomes = ensure_topics(&bootstrap(), &catalogue_specs())
        .await
        .unwrap();
    for (name, outcome) in &outcomes {
        match outcome {
            TopicOutcome::Created { replication_factor } => {
                assert!(*replication_factor >= 1, "{name}")
            }
            TopicOutcome::Matches => {}
            TopicOutcome::Drifted(d) => {
                eprintln!("note: topic {name} differs from the catalogue: {d:?}")
            }
        }
    }
    // Metadata reaches every client a moment after creation.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// One topic: two groups, every event type produced, both groups read every
/// event once, each key's events from one partition and in send order.
async fn one_topic<T, P>(
    setup: &Setup,
    source: &mut EventSource,
    decoders: fn() -> EventDecoders<T>,
    produce: P,
) where
    T: TopicEvents + PartialEq + std::fmt::Debug + 'static,
    P: AsyncFnOnce(&KafkaProducer, &mut EventSource, &mut Sent<T>) -> Result<(), BusError>,
{
    let groups = [
        format!("{}-a-{}", T::TOPIC, unique()),
        format!("{}-b-{}", T::TOPIC, unique()),
    ];
    let producer = setup.producer();
    let mut sent = Sent::default();
    produce(&producer, source, &mut sent).await.unwrap();
    let ours: BTreeSet<String> = sent.events.keys().cloned().collect();
    assert!(ours.len() >= T::EVENT_TYPES.len() * 2);
    for group in &groups {
        let mut consumer = setup.consumer(group, decoders());
        let got = take_ours(&mut consumer, &ours).await;
        let mut partition_of: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
        for r in &got {
            let key = r.envelope.data.partition_key().unwrap_or_default();
            assert_eq!(
                r.key.as_deref(),
                Some(key.as_bytes()),
                "record key is the partition key"
            );
            partition_of.entry(key).or_default().insert(r.partition);
        }
        for (key, partitions) in &partition_of {
            assert_eq!(
                partitions.len(),
                1,
                "{}: key {key} spread over {partitions:?}",
                T::TOPIC
            );
        }
        let used: BTreeSet<i32> = partition_of.values().flatten().copied().collect();
        assert!(
            used.len() > 1,
            "{}: every key landed in one partition: {used:?}",
            T::TOPIC
        );
        let envelopes: Vec<_> = got.into_iter().map(|r| r.envelope).collect();
        sent.check(group, &envelopes).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalogue_event_reaches_two_groups_in_key_order() {
    if !available("kafka::every_catalogue_event") {
        return;
    }
    let _alone = BROKER.lock().await;
    create_topics().await;
    let setup = Setup::new().await;
    // Eight keys per topic, so keys spread over several partitions.
    let mut source = EventSource::new(21, 8);
    let (rounds, batch) = (3, 6);
    every_topic!(one_topic, &setup, &mut source, rounds, batch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_topics_are_created_then_match() {
    if !available("kafka::catalogue_topics") {
        return;
    }
    let _alone = BROKER.lock().await;
    create_topics().await;
    let again = ensure_topics(&bootstrap(), &catalogue_specs())
        .await
        .unwrap();
    for (name, outcome) in again {
        assert!(
            !matches!(outcome, TopicOutcome::Created { .. }),
            "{name} was created twice"
        );
        if let TopicOutcome::Drifted(d) = &outcome {
            // Only the broker's report of configs may differ (some brokers do
            // not describe them); partitions and replicas must match.
            assert!(
                d.iter()
                    .all(|l| !l.starts_with("partitions") && !l.starts_with("replication")),
                "{name}: {d:?}"
            );
        }
    }
    // Fewer partitions than a topic has is drift.
    let mut shrunk = catalogue_specs();
    shrunk.truncate(1);
    shrunk[0].partitions = 2;
    let outcome = ensure_topics(&bootstrap(), &shrunk).await.unwrap();
    match &outcome[0].1 {
        TopicOutcome::Drifted(d) => {
            assert!(d.iter().any(|l| l.starts_with("partitions: 12")), "{d:?}")
        }
        other => panic!("expected drift, got {other:?}"),
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_readers_read_new_writers_and_the_reverse() {
    if !available("kafka::old_and_new_readers") {
        return;
    }
    let _alone = BROKER.lock().await;
    create_topics().await;
    let setup = Setup::new().await;
    let producer = setup.producer();
    let old_event = Envelope::new(v1(1));
    let new_event = Envelope::new(v2(1));
    producer.send(&old_event).await.unwrap();
    producer.send(&new_event).await.unwrap();
    let ours = BTreeSet::from([
        old_event.event_id.to_string(),
        new_event.event_id.to_string(),
    ]);

    let mut old_reader = setup.consumer(
        &format!("placed-old-{}", unique()),
        EventDecoders::<EventsV1>::new().event::<PlacedV1>(),
    );
    let got: Vec<_> = take_ours(&mut old_reader, &ours)
        .await
        .into_iter()
        .map(|r| r.envelope.data)
        .collect();
    assert_eq!(
        got,
        [EventsV1::Placed(v1(1)), EventsV1::Placed(v1(1))],
        "v1 reads v2, dropping the new field"
    );

    let mut new_reader = setup.consumer(
        &format!("placed-new-{}", unique()),
        EventDecoders::<EventsV2>::new().event::<PlacedV2>(),
    );
    let got: Vec<_> = take_ours(&mut new_reader, &ours)
        .await
        .into_iter()
        .map(|r| r.envelope.data)
        .collect();
    assert_eq!(
        got,
        [
            EventsV2::Placed(PlacedV2 {
                coupon: None,
                ..v2(1)
            }),
            EventsV2::Placed(v2(1))
        ],
        "v2 reads v1, filling the default"
    );
}

/// The sum of the topic's high watermarks: what has ever been written to it.
fn written(topic: &str) -> i64 {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let partitions = metadata.topics()[0].partitions().len();
    (0..partitions as i32)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap()
                .1
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_events_send_nothing() {
    if !available("kafka::refusals") {
        return;
    }
    let _alone = BROKER.lock().await;
    create_topics().await;
    let setup = Setup::new().await;
    let before = written(evolving::TOPIC);

    let strict = KafkaProducer::new(
        &bootstrap(),
        Arc::new(Serializer::new(setup.client.clone())),
    )
    .unwrap();
    match strict.send(&Envelope::new(v1(5))).await {
        Err(BusError::Serde(SerdeError::NotRegistered { .. })) => {}
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    let auto = setup.producer();
    // Register v1 without sending anything, then try v3.
    Serializer::new(setup.client.clone())
        .auto_register(true)
        .schema_id::<PlacedV1>()
        .await
        .unwrap();
    let bad = Envelope::new(PlacedV3 {
        order_id: Uuid::from_u128(6),
        amount: "six".into(),
    });
    match auto.send(&bad).await {
        Err(BusError::Serde(SerdeError::Incompatible { .. })) => {}
        other => panic!("expected Incompatible, got {other:?}"),
    }
    match auto.enqueue(&bad).await {
        Err(BusError::Serde(SerdeError::Incompatible { .. })) => {}
        other => panic!("expected Incompatible from enqueue, got {other:?}"),
    }
    assert_eq!(
        written(evolving::TOPIC),
        before,
        "a refused event reached the broker"
    );

    // The same check can fail: an accepted event moves the watermark.
    auto.send(&Envelope::new(v1(7))).await.unwrap();
    assert_eq!(written(evolving::TOPIC), before + 1);
}

/// A member that goes away after taking three records leaves its group to
/// resume after the two it finished, not after the one it was handed last:
/// offsets are stored in batches, but only for records the caller moved past.
#[tokio::test]
async fn a_group_resumes_after_what_its_member_finished() {
    if !available("a_group_resumes_after_what_its_member_finished") {
        return;
    }
    let _one_at_a_time = BROKER.lock().await;
    create_topics().await;
    let setup = Setup::new().await;
    let producer = setup.producer();
    let mut source = EventSource::new(11, 4);
    let mut ours = BTreeSet::new();
    for _ in 0..30 {
        let e: Envelope<evreg_broker_tests::catalog::shop::order::OrderCreated> = source.envelope();
        ours.insert(e.event_id.to_string());
        producer.send(&e).await.unwrap();
    }
    let group = format!("resume-{}", unique());
    let mut member = setup.consumer(&group, evreg_broker_tests::topics::order_decoders());
    let mut taken = Vec::new();
    while taken.len() < 3 {
        let r = tokio::time::timeout(Duration::from_secs(60), member.recv())
            .await
            .expect("the first member receives")
            .unwrap();
        taken.push(r.envelope.event_id.to_string());
    }
    drop(member);
    let (finished, handed_last) = (&taken[..2], &taken[2]);
    let mut wanted: BTreeSet<String> = ours
        .difference(&finished.iter().cloned().collect())
        .cloned()
        .collect();
    wanted.insert(handed_last.clone());
    let mut next = setup.consumer(&group, evreg_broker_tests::topics::order_decoders());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !wanted.is_empty() {
        let r = tokio::time::timeout_at(deadline, next.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out; still waiting for {wanted:?}"))
            .unwrap();
        let id = r.envelope.event_id.to_string();
        assert!(
            !finished.contains(&id),
            "{id} was finished by the first member, yet read again"
        );
        wanted.remove(&id);
    }
}

//! The runtime against a real evreg (in-process, on 127.0.0.1:0): produce and
//! consume through the registry, old and new readers of one subject, and the
//! refusals that keep unregistered or incompatible schemas off the wire.

use std::sync::Arc;

use evreg_client::wire;
use evreg_client::{
    Deserializer, Envelope, Event, EventMeta, RegistryClient, SerdeError, Serializer, Uuid,
};
use serde::{Deserialize, Serialize};

mod v1 {
    use super::*;
    /// The first version of the event.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "order.placed",
        source = "order-service",
        schema = "tests/schemas/order_v1.avsc",
        topic = "orders",
        key = "orderId",
        version = 1
    )]
    #[serde(rename_all = "camelCase")]
    pub struct OrderPlaced {
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        pub amount: i64,
    }
}

mod v2 {
    use super::*;
    /// Adds an optional field with a default: BACKWARD compatible.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "order.placed",
        source = "order-service",
        schema = "tests/schemas/order_v2.avsc",
        topic = "orders",
        key = "orderId",
        version = 2
    )]
    #[serde(rename_all = "camelCase")]
    pub struct OrderPlaced {
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        pub amount: i64,
        pub coupon: Option<String>,
    }
}

mod v3 {
    use super::*;
    /// Changes a field's type: incompatible.
    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "order.placed",
        source = "order-service",
        schema = "tests/schemas/order_v3_bad.avsc",
        topic = "orders",
        key = "orderId",
        version = 3
    )]
    #[serde(rename_all = "camelCase")]
    pub struct OrderPlaced {
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        pub amount: String,
    }
}

struct Registry {
    url: String,
    _dir: tempdir::Dir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

async fn start() -> Registry {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("evreg-client-e2e-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = evreg_server::open(&evreg_server::Settings::for_data_dir(&dir))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(evreg_server::serve(listener, state, async {
        let _ = rx.await;
    }));
    Registry {
        url,
        _dir: tempdir::Dir(dir),
        shutdown: Some(tx),
    }
}

fn order_v1() -> v1::OrderPlaced {
    v1::OrderPlaced {
        order_id: Uuid::from_u128(7),
        amount: 1250,
    }
}

#[tokio::test]
async fn produce_consume_and_evolve() {
    let registry = start().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    let producer = Serializer::new(client.clone()).auto_register(true);
    let consumer = Deserializer::new(client.clone());

    // v1 round trip, in the Confluent wire format.
    let bytes = producer.serialize(&order_v1()).await.unwrap();
    let (id, _) = wire::split(&bytes).unwrap();
    assert_eq!(
        consumer
            .deserialize::<v1::OrderPlaced>(&bytes)
            .await
            .unwrap(),
        order_v1()
    );

    // A v2 producer: an old (v1) consumer reads its events, dropping the new field...
    let new = v2::OrderPlaced {
        order_id: Uuid::from_u128(8),
        amount: 99,
        coupon: Some("WELCOME".into()),
    };
    let bytes2 = producer.serialize(&new).await.unwrap();
    let (id2, _) = wire::split(&bytes2).unwrap();
    assert_ne!(id, id2);
    let old_reader = consumer
        .deserialize::<v1::OrderPlaced>(&bytes2)
        .await
        .unwrap();
    assert_eq!(
        old_reader,
        v1::OrderPlaced {
            order_id: new.order_id,
            amount: 99
        }
    );
    // ...and a new consumer reads old events, filling the default.
    let new_reader = consumer
        .deserialize::<v2::OrderPlaced>(&bytes)
        .await
        .unwrap();
    assert_eq!(
        new_reader,
        v2::OrderPlaced {
            order_id: Uuid::from_u128(7),
            amount: 1250,
            coupon: None
        }
    );

    // Header mode: the id outside, the payload bare.
    let (hid, payload) = producer.serialize_bare(&new).await.unwrap();
    assert_eq!(hid, id2);
    assert_eq!(payload, bytes2[wire::HEADER_LEN..]);
    assert_eq!(
        consumer
            .deserialize_bare::<v2::OrderPlaced>(hid, &payload)
            .await
            .unwrap(),
        new
    );

    // An incompatible schema is refused before anything is produced.
    let bad = v3::OrderPlaced {
        order_id: Uuid::nil(),
        amount: "a lot".into(),
    };
    match producer.serialize(&bad).await {
        Err(SerdeError::Incompatible {
            subject, reasons, ..
        }) => {
            assert_eq!(subject, "orders-e2e.OrderPlaced");
            assert!(reasons.iter().any(|r| r.contains("amount")), "{reasons:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn unregistered_and_incompatible_schemas_are_refused() {
    let registry = start().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    // Lookup only (the default): nothing is registered yet.
    let producer = Serializer::new(client.clone());
    match producer.serialize(&order_v1()).await {
        Err(SerdeError::NotRegistered { subject, .. }) => {
            assert_eq!(subject, v1::OrderPlaced::SUBJECT)
        }
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    // Register v1 and v2; a producer still on v1 is then compatible with latest
    // under BACKWARD only if v2 reads v1 (it does).
    let registering = Serializer::new(client.clone()).auto_register(true);
    registering.serialize(&order_v1()).await.unwrap();
    registering
        .serialize(&v2::OrderPlaced {
            order_id: Uuid::nil(),
            amount: 1,
            coupon: None,
        })
        .await
        .unwrap();
    assert!(
        Serializer::new(client.clone())
            .serialize(&order_v1())
            .await
            .is_ok()
    );

    // A registered version that the latest cannot read is refused: v3 is forced
    // in under NONE, then the level goes back to BACKWARD.
    let http = reqwest::Client::new();
    let config = |level: &str| {
        http.put(format!(
            "{}/config/{}",
            registry.url,
            v3::OrderPlaced::SUBJECT
        ))
        .json(&serde_json::json!({ "compatibility": level }))
    };
    assert!(config("NONE").send().await.unwrap().status().is_success());
    Serializer::new(client.clone())
        .auto_register(true)
        .serialize(&v3::OrderPlaced {
            order_id: Uuid::nil(),
            amount: "x".into(),
        })
        .await
        .unwrap();
    assert!(
        config("BACKWARD")
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    match Serializer::new(client.clone()).serialize(&order_v1()).await {
        Err(SerdeError::Incompatible { reasons, .. }) => assert!(!reasons.is_empty()),
        other => panic!("expected Incompatible, got {other:?}"),
    }
}

#[test]
fn envelope_stamps_metadata() {
    let e = Envelope::new(order_v1());
    assert_eq!(e.event_type, "order.placed");
    assert_eq!(e.source, "order-service");
    assert_eq!(e.version, 1);
    assert_ne!(e.event_id, Uuid::nil());
    let headers = e.headers();
    let back =
        Envelope::from_headers(headers.iter().map(|(k, v)| (*k, v.as_str())), order_v1()).unwrap();
    assert_eq!(back.event_id, e.event_id);
    assert_eq!(
        back.timestamp.timestamp_millis(),
        e.timestamp.timestamp_millis()
    );
    let json = serde_json::to_value(&e).unwrap();
    assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(json["eventType"], "order.placed");
}

/// An in-process evreg whose router counts the requests it serves.
async fn start_counting() -> (Registry, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("evreg-client-count-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = evreg_server::open(&evreg_server::Settings::for_data_dir(&dir))
        .await
        .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = evreg_server::app(state).layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            counter.fetch_add(1, Ordering::SeqCst);
            next.run(request)
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    (
        Registry {
            url,
            _dir: tempdir::Dir(dir),
            shutdown: Some(tx),
        },
        hits,
    )
}

#[tokio::test]
async fn no_registry_round_trip_after_the_first_event_of_a_type() {
    use std::sync::atomic::Ordering;
    let (registry, hits) = start_counting().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    let producer = Serializer::new(client.clone()).auto_register(true);
    let consumer = Deserializer::new(client.clone());
    let event = |n: u128| v1::OrderPlaced {
        order_id: Uuid::from_u128(n),
        amount: n as i64,
    };

    let first = producer.serialize(&event(0)).await.unwrap();
    let after_first = hits.load(Ordering::SeqCst);
    assert!(after_first > 0, "the first event asks the registry");
    let mut produced = Vec::new();
    for n in 1..=100 {
        produced.push(producer.serialize(&event(n)).await.unwrap());
        producer.serialize_bare(&event(n)).await.unwrap();
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        after_first,
        "later events of the type are encoded without the registry"
    );

    assert_eq!(
        consumer
            .deserialize::<v1::OrderPlaced>(&first)
            .await
            .unwrap(),
        event(0)
    );
    let after_read = hits.load(Ordering::SeqCst);
    assert!(
        after_read > after_first,
        "the first read fetches the writer schema"
    );
    for (n, bytes) in (1..).zip(&produced) {
        assert_eq!(
            consumer
                .deserialize::<v1::OrderPlaced>(bytes)
                .await
                .unwrap(),
            event(n)
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        after_read,
        "later reads of that schema id are decoded without the registry"
    );

    // A new type is a new first event: the counter does see traffic.
    producer
        .serialize(&v2::OrderPlaced {
            order_id: Uuid::nil(),
            amount: 1,
            coupon: None,
        })
        .await
        .unwrap();
    assert!(hits.load(Ordering::SeqCst) > after_read);
}

/// A JSON Schema event (the wire example's schema).
#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[event(
    type = "customer.registered",
    source = "customer-service",
    schema = "examples/schemas/customer_registered.json",
    topic = "customers",
    key = "customerId"
)]
#[serde(rename_all = "camelCase")]
struct CustomerRegistered {
    customer_id: Uuid,
    email: String,
    age: u32,
    tags: Vec<String>,
    referrer: Option<String>,
    marketing_opt_in: bool,
    registered_at: evreg_client::chrono::DateTime<evreg_client::chrono::Utc>,
}

fn customer(email: &str) -> CustomerRegistered {
    CustomerRegistered {
        customer_id: Uuid::from_u128(42),
        email: email.into(),
        age: 36,
        tags: vec!["vip".into()],
        referrer: None,
        marketing_opt_in: true,
        registered_at: evreg_client::chrono::DateTime::from_timestamp_millis(1_714_979_289_123)
            .unwrap(),
    }
}

#[tokio::test]
async fn json_events_are_validated_both_ways() {
    let registry = start().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    let producer = Serializer::new(client.clone()).auto_register(true);
    let consumer = Deserializer::new(client.clone());

    let bytes = producer
        .serialize(&customer("ada@example.com"))
        .await
        .unwrap();
    let (id, payload) = wire::split(&bytes).unwrap();
    let registered = client.schema_by_id(id).await.unwrap();
    assert_eq!(registered.schema_type, "JSON");
    // Confluent's JSON wire format: the header, then plain UTF-8 JSON.
    let doc: serde_json::Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(doc["email"], "ada@example.com");
    assert_eq!(doc["customerId"], "00000000-0000-0000-0000-00000000002a");
    assert_eq!(
        consumer
            .deserialize::<CustomerRegistered>(&bytes)
            .await
            .unwrap(),
        customer("ada@example.com")
    );

    // The schema says minLength 3: refused on the way out, naming the value.
    match producer.serialize(&customer("x")).await {
        Err(SerdeError::Invalid { problems, .. }) => {
            assert!(
                problems.iter().any(|p| p.starts_with("/email")),
                "{problems:?}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    // And on the way in: a document another producer framed with that id.
    let mut forged = bytes[..wire::HEADER_LEN].to_vec();
    forged.extend_from_slice(serde_json::to_string(&customer("x")).unwrap().as_bytes());
    match consumer.deserialize::<CustomerRegistered>(&forged).await {
        Err(SerdeError::Invalid { problems, .. }) => {
            assert!(
                problems.iter().any(|p| p.starts_with("/email")),
                "{problems:?}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    // A JSON payload is not read as an Avro event.
    assert!(matches!(
        consumer.deserialize::<v1::OrderPlaced>(&bytes).await,
        Err(SerdeError::Decode { .. })
    ));
}

/// v1 with its own serde-free reader and writer (`#[event(datum)]`), which
/// count their calls and can be told to fail.
mod fast {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use evreg_client::avro::datum::{ReadAs, ReadDatum, WriteAs, WriteDatum};
    use evreg_client::avro::{DecodeError, EncodeError};

    use super::*;

    pub static READS: AtomicUsize = AtomicUsize::new(0);
    pub static WRITES: AtomicUsize = AtomicUsize::new(0);

    #[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[event(
        type = "order.placed",
        source = "order-service",
        schema = "tests/schemas/order_v1.avsc",
        topic = "orders",
        key = "orderId",
        version = 1,
        datum
    )]
    #[serde(rename_all = "camelCase")]
    pub struct OrderPlaced {
        #[serde(with = "evreg_client::codec::As::<evreg_client::avro::Uuid>")]
        pub order_id: Uuid,
        pub amount: i64,
    }

    impl ReadDatum for OrderPlaced {
        fn read_datum(input: &mut &[u8]) -> Result<Self, DecodeError> {
            READS.fetch_add(1, Ordering::SeqCst);
            let order_id = evreg_client::avro::Uuid::read_as(input)?;
            let amount = i64::read_datum(input)?;
            if amount == 13 {
                return Err(<DecodeError as serde::de::Error>::custom("unlucky"));
            }
            Ok(OrderPlaced { order_id, amount })
        }
    }

    impl WriteDatum for OrderPlaced {
        fn write_datum(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
            WRITES.fetch_add(1, Ordering::SeqCst);
            evreg_client::avro::Uuid::write_as(&self.order_id, out)?;
            if self.amount == 13 {
                // Half written: the serializer must not keep it.
                return Err(<EncodeError as serde::ser::Error>::custom("unlucky"));
            }
            self.amount.write_datum(out)
        }
    }
}

#[tokio::test]
async fn serde_free_paths_are_taken_and_fall_back_on_failure() {
    use std::sync::atomic::Ordering;
    let registry = start().await;
    let client = Arc::new(RegistryClient::new(&registry.url).unwrap());
    let producer = Serializer::new(client.clone()).auto_register(true);
    let consumer = Deserializer::new(client.clone());
    let plain = producer.serialize(&order_v1()).await.unwrap();
    let event = fast::OrderPlaced {
        order_id: order_v1().order_id,
        amount: order_v1().amount,
    };
    // Written by WriteDatum, to the plan's bytes; read back by ReadDatum.
    let bytes = producer.serialize(&event).await.unwrap();
    assert_eq!(bytes, plain);
    assert_eq!(fast::WRITES.load(Ordering::SeqCst), 1);
    let back: fast::OrderPlaced = consumer.deserialize(&bytes).await.unwrap();
    assert_eq!(back, event);
    assert_eq!(fast::READS.load(Ordering::SeqCst), 1);
    // Each refuses 13 halfway: the serde paths write and read it instead.
    let unlucky = fast::OrderPlaced {
        amount: 13,
        ..event
    };
    let bytes = producer.serialize(&unlucky).await.unwrap();
    assert_eq!(fast::WRITES.load(Ordering::SeqCst), 2);
    let via_plan = producer
        .serialize(&v1::OrderPlaced {
            order_id: unlucky.order_id,
            amount: 13,
        })
        .await
        .unwrap();
    assert_eq!(bytes, via_plan, "the half-written datum was dropped");
    let back: fast::OrderPlaced = consumer.deserialize(&bytes).await.unwrap();
    assert_eq!(back, unlucky);
    assert_eq!(fast::READS.load(Ordering::SeqCst), 2);
}

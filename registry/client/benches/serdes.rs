//! The serializer and deserializer against bare apache-avro, on an
//! `order.created` event (uuid, enum, array of records, decimals, nullables,
//! timestamp: `examples/schemas/order_created.avsc`) with its schema id cached.
//!
//! `cargo bench -p evreg-client --bench serdes`. The target: evreg's
//! path at most 1.15x the bare encode/decode of the same value. Results and
//! the machine they were taken on are in BENCHMARKS.md.

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;

use apache_avro::Schema;
use criterion::{Criterion, criterion_group, criterion_main};
use evreg_client::avro::{Decimal, TimestampMillis, Uuid as AvroUuid};
use evreg_client::chrono::{DateTime, Utc};
use evreg_client::codec::{As, Opt};
use evreg_client::{
    BigDecimal, Deserializer, Envelope, Event, EventMeta, RegistryClient, Serializer, Uuid, wire,
};
use serde::{Deserialize, Serialize};

#[derive(Event, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[event(
    schema = "examples/schemas/order_created.avsc",
    name = "wire.OrderStatus"
)]
#[allow(clippy::upper_case_acronyms)]
enum OrderStatus {
    PENDING,
    PAID,
    SHIPPED,
}

#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[event(schema = "examples/schemas/order_created.avsc", name = "wire.LineItem")]
#[serde(rename_all = "camelCase")]
struct LineItem {
    sku: String,
    quantity: i32,
    #[serde(with = "As::<Decimal<4>>")]
    unit_price: BigDecimal,
}

#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[event(
    type = "order.created",
    source = "order-service",
    schema = "examples/schemas/order_created.avsc",
    topic = "orders",
    key = "orderId"
)]
#[serde(rename_all = "camelCase")]
struct OrderCreated {
    #[serde(with = "As::<AvroUuid>")]
    order_id: Uuid,
    status: OrderStatus,
    items: Vec<LineItem>,
    #[serde(with = "As::<Decimal<4>>")]
    total: BigDecimal,
    #[serde(with = "As::<Opt<Decimal<4>>>", default)]
    discount: Option<BigDecimal>,
    #[serde(default)]
    coupon_code: Option<String>,
    #[serde(with = "As::<TimestampMillis>")]
    placed_at: DateTime<Utc>,
}

fn decimal(s: &str) -> BigDecimal {
    BigDecimal::from_str(s).expect("a decimal literal")
}

fn order() -> OrderCreated {
    OrderCreated {
        order_id: Uuid::from_u128(0x6f1c_2b9e_3a47_4d8e_9b0a_1c2d_3e4f_5a6b),
        status: OrderStatus::PAID,
        items: (1..=3)
            .map(|n| LineItem {
                sku: format!("SKU-{n:04}"),
                quantity: n,
                unit_price: decimal("19.9900"),
            })
            .collect(),
        total: decimal("119.9400"),
        discount: Some(decimal("5.0000")),
        coupon_code: Some("WELCOME".into()),
        placed_at: DateTime::from_timestamp_millis(1_714_979_289_123).expect("a valid timestamp"),
    }
}

/// An in-process evreg with the event's schema registered, and a serializer
/// and deserializer that have each seen the event once (ids cached).
fn setup(rt: &tokio::runtime::Runtime) -> (Serializer, Deserializer, Vec<u8>) {
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("evreg-bench-serdes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let server = evreg_server::serve_in_background(&evreg_server::Settings::for_data_dir(&dir))
            .await
            .expect("evreg starts");
        let client = Arc::new(RegistryClient::new(&server.url).expect("a client"));
        // Serves for the whole run.
        std::mem::forget(server);
        let serializer = Serializer::new(client.clone()).auto_register(true);
        let deserializer = Deserializer::new(client);
        let bytes = serializer
            .serialize(&order())
            .await
            .expect("first serialize");
        let back: OrderCreated = deserializer
            .deserialize(&bytes)
            .await
            .expect("first deserialize");
        assert_eq!(back, order());
        (serializer, deserializer, bytes)
    })
}

fn bench(c: &mut Criterion) {
    // The server runs on its own threads; the benchmark drives the client on
    // a current-thread runtime, as a single producer task would.
    let server = tokio::runtime::Runtime::new().expect("a runtime");
    let (serializer, deserializer, bytes) = setup(&server);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let schema = Schema::parse_str(OrderCreated::SCHEMA).expect("the schema parses");
    let envelope = Envelope::new(order());
    // The same event as apache-avro's own value, ready to encode.
    let value = evreg_client::avro::to_value(&schema, &envelope.data).expect("a value");
    let (_, datum) = wire::split(&bytes).expect("framed");
    assert_eq!(
        apache_avro::to_avro_datum(&schema, value.clone()).expect("encodes"),
        datum,
        "both sides write the same bytes"
    );

    let mut g = c.benchmark_group("serialize order.created");
    g.bench_function("evreg Serializer (id cached)", |b| {
        b.iter(|| {
            rt.block_on(serializer.serialize(black_box(&envelope.data)))
                .expect("serializes")
        })
    });
    g.bench_function("apache_avro::to_avro_datum (same Value)", |b| {
        b.iter(|| apache_avro::to_avro_datum(&schema, black_box(value.clone())).expect("encodes"))
    });
    // The one-off helper: compiles the schema on every call.
    g.bench_function(
        "evreg_client::avro::to_datum (schema compiled per call)",
        |b| {
            b.iter(|| {
                evreg_client::avro::to_datum(&schema, black_box(&envelope.data)).expect("encodes")
            })
        },
    );
    g.finish();

    let mut g = c.benchmark_group("deserialize order.created");
    g.bench_function("evreg Deserializer (id cached)", |b| {
        b.iter(|| {
            rt.block_on(deserializer.deserialize::<OrderCreated>(black_box(&bytes)))
                .expect("deserializes")
        })
    });
    g.bench_function("apache_avro from_avro_datum + from_value", |b| {
        b.iter(|| {
            let mut payload = black_box(datum);
            let v = apache_avro::from_avro_datum(&schema, &mut payload, None).expect("decodes");
            apache_avro::from_value::<OrderCreated>(&v).expect("reads")
        })
    });
    g.finish();

    // The harness's own cost inside the evreg figures: driving a future to
    // completion on the current-thread runtime.
    c.bench_function("tokio block_on of a ready future", |b| {
        b.iter(|| rt.block_on(async { black_box(1) }))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

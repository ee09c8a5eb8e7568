//! Wire compatibility with Confluent's own clients, driven by
//! `tests/confluent/test_wire_compat.py` (run by `.ci/confluent.sh`).
//!
//! ```text
//! EVREG_URL=http://127.0.0.1:8081 wire encode avro|json <value.json> <out.bin>
//! EVREG_URL=http://127.0.0.1:8081 wire decode avro|json <in.bin> <out.json>
//! ```
//!
//! `encode` reads an event in its JSON form (the serde form of the types
//! below), serializes it with [`Serializer`] (registering its schema on first
//! use) and writes the Confluent-framed bytes. `decode` reads Confluent-framed
//! bytes (written by anyone) with [`Deserializer`] and writes the event's JSON
//! form. The Python side compares both against the values it started from.

use std::process::ExitCode;
use std::sync::Arc;

use evreg_client::avro::{Decimal, TimestampMillis, Uuid as AvroUuid};
use evreg_client::chrono::{DateTime, Utc};
use evreg_client::codec::{As, Opt};
use evreg_client::{BigDecimal, Deserializer, Event, RegistryClient, Serializer, Uuid};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Where an order is.
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

/// One line of an order.
#[derive(Event, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[event(schema = "examples/schemas/order_created.avsc", name = "wire.LineItem")]
#[serde(rename_all = "camelCase")]
struct LineItem {
    sku: String,
    quantity: i32,
    #[serde(with = "As::<Decimal<4>>")]
    unit_price: BigDecimal,
}

/// The Avro event: uuid, enum, array of records, decimals, nullables, timestamp.
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

/// The JSON Schema event.
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
    registered_at: DateTime<Utc>,
}

type Error = Box<dyn std::error::Error>;

fn read(path: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}").into())
}

fn write(path: &str, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {path}: {e}").into())
}

async fn encode<T>(serializer: &Serializer, input: &str, output: &str) -> Result<(), Error>
where
    T: evreg_client::EventMeta + Serialize + DeserializeOwned + 'static,
{
    let event: T = serde_json::from_slice(&read(input)?)
        .map_err(|e| format!("{input} is not a {}: {e}", T::EVENT_TYPE))?;
    write(output, &serializer.serialize(&event).await?)
}

async fn decode<T>(deserializer: &Deserializer, input: &str, output: &str) -> Result<(), Error>
where
    T: evreg_client::EventMeta + Serialize + DeserializeOwned + 'static,
{
    let event: T = deserializer.deserialize(&read(input)?).await?;
    write(output, &serde_json::to_vec_pretty(&event)?)
}

async fn run(args: &[String]) -> Result<(), Error> {
    let [command, format, input, output] = args else {
        return Err("usage: wire encode|decode avro|json <input> <output>".into());
    };
    let url = std::env::var("EVREG_URL").map_err(|_| "EVREG_URL is not set")?;
    let registry = Arc::new(RegistryClient::new(&url)?);
    let serializer = Serializer::new(registry.clone()).auto_register(true);
    let deserializer = Deserializer::new(registry);
    match (command.as_str(), format.as_str()) {
        ("encode", "avro") => encode::<OrderCreated>(&serializer, input, output).await,
        ("encode", "json") => encode::<CustomerRegistered>(&serializer, input, output).await,
        ("decode", "avro") => decode::<OrderCreated>(&deserializer, input, output).await,
        ("decode", "json") => decode::<CustomerRegistered>(&deserializer, input, output).await,
        _ => Err(
            format!("unknown command `{command} {format}`; expected encode|decode avro|json")
                .into(),
        ),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

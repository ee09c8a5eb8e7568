use evreg_client::chrono::{DateTime, Utc};
use evreg_client::{Event, Uuid};

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(schema = "schemas/status.avsc")]
#[allow(clippy::upper_case_acronyms)]
enum Status {
    NEW,
    PAID,
    SHIPPED,
}

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(type = "order.created", source = "order-service", schema = "schemas/order.avsc", topic = "orders")]
#[serde(rename_all = "camelCase")]
struct Order {
    order_id: Uuid,
    amount: i64,
    coupon: Option<String>,
    status: Wrapper,
    placed_at: DateTime<Utc>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wrapper;
impl evreg_client::SchemaName for Wrapper {
    const FULL_NAME: &'static str = "ui.NotStatus";
}

fn main() {}

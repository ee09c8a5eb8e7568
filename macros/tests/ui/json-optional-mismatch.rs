use evreg_client::chrono::{DateTime, Utc};
use evreg_client::{Event, Uuid};

#[derive(Event, serde::Serialize, serde::Deserialize)]
#[event(type = "customer.registered", source = "customer-service", schema = "schemas/customer.json", topic = "customers")]
#[serde(rename_all = "camelCase")]
struct CustomerRegistered {
    customer_id: Uuid,
    email: String,
    age: i64,
    tags: Vec<String>,
    referrer: String,
    address: Option<serde_json::Value>,
    registered_at: DateTime<Utc>,
}

fn main() {}

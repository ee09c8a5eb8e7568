use evreg_client::chrono::{DateTime, Utc};
use evreg_client::{Envelope, Event, EventMeta, SchemaName, Uuid};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Address {
    city: String,
}

#[derive(Event, Debug, serde::Serialize, serde::Deserialize)]
#[event(type = "customer.registered", source = "customer-service", schema = "../schemas/customer.json", topic = "customers", key = "customerId")]
#[serde(rename_all = "camelCase")]
struct CustomerRegistered {
    customer_id: Uuid,
    email: String,
    age: u32,
    tags: Vec<String>,
    referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<Address>,
    registered_at: DateTime<Utc>,
}

fn main() {
    assert_eq!(CustomerRegistered::SCHEMA_TYPE, "JSON");
    assert_eq!(CustomerRegistered::SCHEMA_VERSION, 1);
    assert_eq!(CustomerRegistered::SUBJECT, "customers-CustomerRegistered");
    assert_eq!(<CustomerRegistered as SchemaName>::FULL_NAME, "CustomerRegistered");
    assert!(CustomerRegistered::SCHEMA.contains(r#""format":"uuid""#), "the schema rides along, compact");
    let event = CustomerRegistered {
        customer_id: Uuid::from_u128(1),
        email: "a@example.com".into(),
        age: 30,
        tags: vec![],
        referrer: None,
        address: Some(Address { city: "Berlin".into() }),
        registered_at: DateTime::default(),
    };
    assert_eq!(event.partition_key().as_deref(), Some("00000000-0000-0000-0000-000000000001"));
    assert_eq!(Envelope::new(event).event_type, "customer.registered");
}

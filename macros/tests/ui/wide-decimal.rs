use evreg_client::avro::Decimal as AvroDecimal;
use evreg_client::codec::As;
use evreg_client::rust_decimal::Decimal;
use evreg_client::Event;

// 38 digits do not fit rust_decimal's 96 bits: only a BigDecimal holds them.
#[derive(serde::Serialize, serde::Deserialize, Event)]
#[event(
    type = "ledger.posted",
    source = "ledger-service",
    topic = "ledger",
    schema_text = "{\"type\":\"record\",\"name\":\"ui.Posting\",\"fields\":[{\"name\":\"amount\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":38,\"scale\":10}}]}",
)]
struct Posting {
    #[serde(with = "As::<AvroDecimal<10>>")]
    amount: Decimal,
}

fn main() {}

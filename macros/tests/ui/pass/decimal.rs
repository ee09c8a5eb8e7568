// Decimals of at most 28 digits may be rust_decimal's `Decimal` (what evgen
// generates) or a `BigDecimal`; wider ones only a `BigDecimal`.
use evreg_client::avro::{Decimal as AvroDecimal, DecimalFixed};
use evreg_client::codec::As;
use evreg_client::rust_decimal::Decimal;
use evreg_client::{BigDecimal, Event, EventMeta};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, Event)]
#[event(
    type = "invoice.issued",
    source = "billing-service",
    topic = "invoices",
    schema_text = "{\"type\":\"record\",\"name\":\"ui.Invoice\",\"fields\":[{\"name\":\"net\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":19,\"scale\":4}},{\"name\":\"gross\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":19,\"scale\":4}},{\"name\":\"fee\",\"type\":{\"type\":\"fixed\",\"name\":\"ui.Fee\",\"size\":8,\"logicalType\":\"decimal\",\"precision\":18,\"scale\":2}},{\"name\":\"ledger\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":38,\"scale\":10}}]}",
)]
struct Invoice {
    #[serde(with = "As::<AvroDecimal<4>>")]
    net: Decimal,
    #[serde(with = "As::<AvroDecimal<4>>")]
    gross: BigDecimal,
    #[serde(with = "As::<DecimalFixed<2, 8>>")]
    fee: Decimal,
    #[serde(with = "As::<AvroDecimal<10>>")]
    ledger: BigDecimal,
}

fn main() {
    assert_eq!(Invoice::EVENT_TYPE, "invoice.issued");
}

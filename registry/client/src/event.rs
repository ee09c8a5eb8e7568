//! What generated event types and topic enums implement, so producers and consumers
//! can route, key and register them without knowing the concrete type.
//!
//! `#[derive(Event)]` writes the impls, on hand-written types and on the types
//! evgen generates (which carry the derive with every attribute spelled out),
//! so the two are one kind of thing.

/// Metadata of one catalogue event type.
pub trait EventMeta {
    /// The event type name carried in the envelope's `eventType` (`order.created`).
    const EVENT_TYPE: &'static str;
    /// The version of the event's schema in the catalogue.
    const SCHEMA_VERSION: u32;
    /// The service that produces it (the envelope's `source`).
    const SOURCE: &'static str;
    /// The topic it is published to.
    const TOPIC: &'static str;
    /// The registry subject its schema is registered under.
    const SUBJECT: &'static str;
    /// The field (by its name on the wire) whose value is the partition key.
    const PARTITION_KEY_FIELD: Option<&'static str>;
    /// `AVRO` or `JSON`, as the registry names schema types.
    const SCHEMA_TYPE: &'static str;
    /// The schema, self-contained (referenced named types written inline).
    const SCHEMA: &'static str;

    /// The partition key of this event, if the catalogue names a key field.
    fn partition_key(&self) -> Option<String>;

    /// Reads one Avro datum of [`EventMeta::SCHEMA`] without serde, when the
    /// type implements [`crate::avro::datum::ReadDatum`] (`#[event(datum)]`,
    /// which evgen writes with `WriteDatum`); `None` otherwise.
    fn read_avro_datum(_input: &mut &[u8]) -> Option<Result<Self, crate::avro::DecodeError>>
    where
        Self: Sized,
    {
        None
    }

    /// Appends this event as one Avro datum of [`EventMeta::SCHEMA`] without
    /// serde, when the type implements [`crate::avro::datum::WriteDatum`]
    /// (`#[event(datum)]`); `None` otherwise.
    fn write_avro_datum(&self, _out: &mut Vec<u8>) -> Option<Result<(), crate::avro::EncodeError>> {
        None
    }
}

/// A topic's enum over its event types, for consumers to `match` on.
pub trait TopicEvents {
    /// The topic name.
    const TOPIC: &'static str;
    /// Every event type the topic carries, in catalogue order.
    const EVENT_TYPES: &'static [&'static str];

    /// The event type of this event.
    fn event_type(&self) -> &'static str;

    /// The partition key of this event.
    fn partition_key(&self) -> Option<String>;
}

/// The full name of the schema type a Rust type was derived from
/// (`#[derive(Event)]`, or evgen). A field whose schema type is a named record,
/// enum or fixed is checked at compile time through this: the field's Rust type
/// must implement it with the same name.
pub trait SchemaName {
    /// The schema's full name, e.g. `shop.common.Money`.
    const FULL_NAME: &'static str;
}

/// `a == b` in a const context (what `#[derive(Event)]`'s checks run in).
#[doc(hidden)]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

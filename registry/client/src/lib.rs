//! What services link to use evreg, and what evgen-generated code builds on.
//!
//! Today this is the runtime of generated code:
//!
//! - [`EventMeta`] and [`TopicEvents`]: `#[derive(Event)]` implements
//!   `EventMeta` on hand-written and evgen-generated event types alike, checking
//!   each against its Avro or JSON schema at compile time; evgen implements
//!   `TopicEvents` on its topic enums;
//! - [`avro`]: codecs that map Avro's logical types to proper Rust types
//!   (`uuid::Uuid`, `rust_decimal::Decimal` or `BigDecimal`, `chrono` dates and
//!   times) and the [`avro::to_datum`] / [`avro::from_datum`] helpers;
//! - [`codec`]: the composable `As::<Codec>` machinery those codecs plug into;
//! - re-exports of the crates generated code names, so a service needs only
//!   `evreg-client`, `serde` and `serde_json` in its `Cargo.toml`.
//!
//! ```
//! use evreg_client::avro::{from_datum, to_datum};
//! use evreg_client::codec::As;
//! use evreg_client::chrono::{DateTime, Utc};
//!
//! #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
//! struct Ping {
//!     #[serde(with = "As::<evreg_client::avro::TimestampMillis>")]
//!     at: DateTime<Utc>,
//! }
//!
//! let schema = evreg_client::apache_avro::Schema::parse_str(r#"{"type":"record","name":"Ping",
//!     "fields":[{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#)?;
//! let ping = Ping { at: DateTime::from_timestamp_millis(1_700_000_000_000).unwrap() };
//! let datum = to_datum(&schema, &ping)?;
//! assert_eq!(from_datum::<Ping>(&schema, &datum)?, ping);
//! // Human-readable formats get RFC 3339.
//! assert_eq!(serde_json::to_string(&ping)?, r#"{"at":"2023-11-14T22:13:20.000Z"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod avro;
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
pub mod bus;
pub mod codec;
mod envelope;
mod event;
#[cfg(feature = "kafka")]
pub mod kafka;
#[cfg(feature = "rabbitmq")]
pub mod rabbit;
pub mod registry;
pub mod serdes;
pub mod validate;
pub mod wire;

pub use envelope::{Envelope, headers};
pub use event::{EventMeta, SchemaName, TopicEvents};
/// `#[derive(Event)]`: see the [crate docs](crate).
pub use evreg_macros::Event;
pub use registry::{RegistryClient, RegistryError};
pub use serdes::{Deserializer, SerdeError, Serializer};
pub use validate::{Email, Uri, ValidationError};

pub use apache_avro;
pub use bigdecimal;
pub use bigdecimal::BigDecimal;
pub use chrono;
pub use regex;
pub use rust_decimal;
pub use uuid;
pub use uuid::Uuid;

/// What generated code refers to. Not a stable API: only evgen's output uses it,
/// and evgen and this crate are released together.
#[doc(hidden)]
pub mod __private {
    pub use crate::avro;
    pub use crate::codec::{
        As, Boxed, DeserializeAsWrap, Map, Opt, OptLast, Same, Seq, SerializeAsWrap,
    };
    pub use crate::event::str_eq;
    pub use crate::validate;
    pub use crate::{EventMeta, SchemaName, TopicEvents, ValidationError};
    pub use bigdecimal::BigDecimal;
    pub use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
    pub use regex::Regex;
    pub use uuid::Uuid;

    use bigdecimal::num_bigint::BigInt;

    // Constructors for default values. evgen checks each constant when it generates
    // the call, so the fallbacks are never taken; they exist so that generated code
    // has no panicking path.

    /// A decimal from its unscaled two's complement bytes.
    pub fn decimal(unscaled: &[u8], scale: i64) -> BigDecimal {
        BigDecimal::new(BigInt::from_signed_bytes_be(unscaled), scale)
    }

    /// A decimal of at most 28 digits from its unscaled two's complement bytes.
    pub fn small_decimal(unscaled: &[u8], scale: u32) -> rust_decimal::Decimal {
        crate::avro::DecimalValue::from_unscaled(unscaled, scale).unwrap_or_default()
    }

    /// A timestamp from milliseconds since the epoch.
    pub fn timestamp_millis(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(n).unwrap_or_default()
    }

    /// A timestamp from microseconds since the epoch.
    pub fn timestamp_micros(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(n).unwrap_or_default()
    }

    /// A timestamp from nanoseconds since the epoch.
    pub fn timestamp_nanos(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(n)
    }

    /// A date from days since the epoch.
    pub fn date(days: i64) -> NaiveDate {
        chrono::TimeDelta::try_days(days)
            .and_then(|d| NaiveDate::default().checked_add_signed(d))
            .unwrap_or_default()
    }

    /// A time of day from microseconds after midnight.
    pub fn time_micros(n: i64) -> NaiveTime {
        let secs = u32::try_from(n.div_euclid(1_000_000)).unwrap_or(0);
        let nanos = u32::try_from(n.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
        NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).unwrap_or_default()
    }

    /// A UUID from its 128-bit value.
    pub const fn uuid(v: u128) -> Uuid {
        Uuid::from_u128(v)
    }

    /// A duration from its 12-byte Avro form.
    pub fn duration(b: [u8; 12]) -> avro::Duration {
        avro::Duration::from_bytes(b)
    }

    /// Parses a JSON constant (the opt-in `serde_json::Value` fallback's defaults).
    pub fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_default()
    }
}

//! The envelope every event travels in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::EventMeta;

/// `eventId`, `eventType`, `timestamp`, `source`, `version` and the event itself.
///
/// In JSON it is one object (`timestamp` in RFC 3339, UTC). On a broker the
/// metadata rides in message headers ([`Envelope::headers`]) and the payload is
/// the event alone in the Confluent wire format, so Confluent's own consumers
/// read it unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    /// Unique per event; consumers deduplicate on it.
    pub event_id: Uuid,
    /// The catalogue event type, e.g. `order.created`.
    pub event_type: String,
    /// When the event happened.
    pub timestamp: DateTime<Utc>,
    /// The producing service.
    pub source: String,
    /// The version of the event's schema.
    pub version: u32,
    /// The event.
    pub data: T,
}

/// Header names of the envelope's metadata on a broker.
pub mod headers {
    /// `eventId`.
    pub const EVENT_ID: &str = "eventId";
    /// `eventType`.
    pub const EVENT_TYPE: &str = "eventType";
    /// `timestamp`, RFC 3339.
    pub const TIMESTAMP: &str = "timestamp";
    /// `source`.
    pub const SOURCE: &str = "source";
    /// `version`.
    pub const VERSION: &str = "version";
}

impl<T: EventMeta> Envelope<T> {
    /// Wraps `data`, stamping a fresh event id, the time now, and the event's
    /// type, source and schema version.
    pub fn new(data: T) -> Envelope<T> {
        Envelope {
            event_id: Uuid::new_v4(),
            event_type: T::EVENT_TYPE.to_owned(),
            timestamp: Utc::now(),
            source: T::SOURCE.to_owned(),
            version: T::SCHEMA_VERSION,
            data,
        }
    }
}

impl<T> Envelope<T> {
    /// The metadata as header name/value pairs.
    pub fn headers(&self) -> [(&'static str, String); 5] {
        [
            (headers::EVENT_ID, self.event_id.to_string()),
            (headers::EVENT_TYPE, self.event_type.clone()),
            (
                headers::TIMESTAMP,
                self.timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ),
            (headers::SOURCE, self.source.clone()),
            (headers::VERSION, self.version.to_string()),
        ]
    }

    /// Rebuilds an envelope from headers and a decoded payload; `None` when a
    /// header is missing or malformed.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        data: T,
    ) -> Option<Envelope<T>> {
        let (mut id, mut ty, mut ts, mut source, mut version) = (None, None, None, None, None);
        for (k, v) in headers {
            match k {
                headers::EVENT_ID => id = Uuid::parse_str(v).ok(),
                headers::EVENT_TYPE => ty = Some(v.to_owned()),
                headers::TIMESTAMP => {
                    ts = DateTime::parse_from_rfc3339(v)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                }
                headers::SOURCE => source = Some(v.to_owned()),
                headers::VERSION => version = v.parse().ok(),
                _ => {}
            }
        }
        Some(Envelope {
            event_id: id?,
            event_type: ty?,
            timestamp: ts?,
            source: source?,
            version: version?,
            data,
        })
    }
}

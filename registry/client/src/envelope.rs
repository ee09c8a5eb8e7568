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
    /// The metadata as header name/value pairs ([`each_header`](Self::each_header), owned).
    pub fn headers(&self) -> [(&'static str, String); 5] {
        let mut out = <[(&'static str, String); 5]>::default();
        let mut slots = out.iter_mut();
        self.each_header(|name, value| {
            if let Some(slot) = slots.next() {
                *slot = (name, value.to_owned());
            }
        });
        out
    }

    /// Rebuilds an envelope from headers and a decoded payload; `None` when a
    /// header is missing or malformed.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        data: T,
    ) -> Option<Envelope<T>> {
        Some(HeaderFields::read(headers).meta()?.wrap(data))
    }

    /// Calls `f` with each of the five metadata headers, in order, formatted on
    /// the stack: no `String` per header for a producer that copies them into
    /// its message anyway.
    pub fn each_header(&self, mut f: impl FnMut(&'static str, &str)) {
        let mut id = Uuid::encode_buffer();
        f(
            headers::EVENT_ID,
            self.event_id.hyphenated().encode_lower(&mut id),
        );
        f(headers::EVENT_TYPE, &self.event_type);
        let mut ts = [0; 24];
        match write_millis_utc(&self.timestamp, &mut ts) {
            Some(text) => f(headers::TIMESTAMP, text),
            None => f(headers::TIMESTAMP, &format_timestamp(&self.timestamp)),
        }
        f(headers::SOURCE, &self.source);
        let mut version = itoa::Buffer::new();
        f(headers::VERSION, version.format(self.version));
    }
}

/// The envelope's header values as a message carries them, not yet parsed.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HeaderFields<'h> {
    event_id: Option<&'h str>,
    pub(crate) event_type: Option<&'h str>,
    timestamp: Option<&'h str>,
    source: Option<&'h str>,
    version: Option<&'h str>,
}

impl<'h> HeaderFields<'h> {
    /// Picks the envelope's headers out of a message's (name, value) pairs.
    pub(crate) fn read(headers: impl IntoIterator<Item = (&'h str, &'h str)>) -> HeaderFields<'h> {
        let mut fields = HeaderFields::default();
        for (k, v) in headers {
            let slot = match k {
                headers::EVENT_ID => &mut fields.event_id,
                headers::EVENT_TYPE => &mut fields.event_type,
                headers::TIMESTAMP => &mut fields.timestamp,
                headers::SOURCE => &mut fields.source,
                headers::VERSION => &mut fields.version,
                _ => continue,
            };
            *slot = Some(v);
        }
        fields
    }

    /// The parsed metadata; `None` when a header is missing or malformed.
    pub(crate) fn meta(&self) -> Option<Meta> {
        Some(Meta {
            event_id: Uuid::parse_str(self.event_id?).ok()?,
            event_type: self.event_type?.to_owned(),
            timestamp: parse_timestamp(self.timestamp?)?,
            source: self.source?.to_owned(),
            version: self.version?.parse().ok()?,
        })
    }
}

/// An envelope without its event: what the headers say.
#[derive(Debug)]
pub(crate) struct Meta {
    event_id: Uuid,
    event_type: String,
    timestamp: DateTime<Utc>,
    source: String,
    version: u32,
}

impl Meta {
    pub(crate) fn wrap<T>(self, data: T) -> Envelope<T> {
        Envelope {
            event_id: self.event_id,
            event_type: self.event_type,
            timestamp: self.timestamp,
            source: self.source,
            version: self.version,
            data,
        }
    }
}

/// `t` in RFC 3339 with milliseconds, UTC (`2024-05-01T12:00:00.123Z`): what
/// chrono's `to_rfc3339_opts(Millis, true)` writes, without its general
/// formatter in the usual case (every event's headers go through here).
fn format_timestamp(t: &DateTime<Utc>) -> String {
    let mut out = [0; 24];
    match write_millis_utc(t, &mut out) {
        Some(text) => text.to_owned(),
        None => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in `out`; `None` for wider or signed
/// years and leap seconds, which chrono's general formatter writes.
fn write_millis_utc<'o>(t: &DateTime<Utc>, out: &'o mut [u8; 24]) -> Option<&'o str> {
    use chrono::{Datelike, Timelike};
    let nanos = t.nanosecond();
    let year = match u32::try_from(t.year()) {
        Ok(year @ 0..=9999) if nanos < 1_000_000_000 => year,
        _ => return None,
    };
    push_digits(&mut out[0..4], year);
    for (at, before, n) in [
        (4, b'-', t.month()),
        (7, b'-', t.day()),
        (10, b'T', t.hour()),
        (13, b':', t.minute()),
        (16, b':', t.second()),
    ] {
        out[at] = before;
        push_digits(&mut out[at + 1..at + 3], n);
    }
    out[19] = b'.';
    push_digits(&mut out[20..23], nanos / 1_000_000);
    out[23] = b'Z';
    std::str::from_utf8(out).ok()
}

/// `n`'s last `out.len()` decimal digits, zero-padded, into `out`.
fn push_digits(out: &mut [u8], mut n: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Reads a `timestamp` header: the form [`format_timestamp`] writes directly,
/// anything else (offsets, leap seconds, other precisions) through chrono.
fn parse_timestamp(v: &str) -> Option<DateTime<Utc>> {
    parse_millis_utc(v).or_else(|| {
        DateTime::parse_from_rfc3339(v)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, or `None`.
fn parse_millis_utc(v: &str) -> Option<DateTime<Utc>> {
    let b = v.as_bytes();
    let shape = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    if !shape {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?;
    let time = chrono::NaiveTime::from_hms_milli_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        number(20, 23)?,
    )?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Unit;

    impl EventMeta for Unit {
        const EVENT_TYPE: &'static str = "order.created";
        const SOURCE: &'static str = "order-service";
        const SCHEMA_VERSION: u32 = 7;
        const TOPIC: &'static str = "order-events";
        const SCHEMA_TYPE: &'static str = "AVRO";
        const SUBJECT: &'static str = "order.created-value";
        const PARTITION_KEY_FIELD: Option<&'static str> = None;
        const SCHEMA: &'static str = "\"null\"";

        fn partition_key(&self) -> Option<String> {
            None
        }
    }

    #[test]
    fn headers_are_written_as_chrono_and_uuid_would_and_read_back() {
        let mut envelope = Envelope::new(Unit);
        // The second is a leap second, which chrono formats.
        for timestamp in ["2024-05-01T12:00:00.123Z", "2016-12-31T23:59:60.500Z"] {
            envelope.timestamp = DateTime::parse_from_rfc3339(timestamp)
                .expect("a timestamp")
                .with_timezone(&Utc);
            let written = envelope.headers();
            assert_eq!(
                written,
                [
                    (headers::EVENT_ID, envelope.event_id.to_string()),
                    (headers::EVENT_TYPE, "order.created".to_owned()),
                    (
                        headers::TIMESTAMP,
                        envelope
                            .timestamp
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    ),
                    (headers::SOURCE, "order-service".to_owned()),
                    (headers::VERSION, "7".to_owned()),
                ]
            );
            let back = Envelope::from_headers(written.iter().map(|(k, v)| (*k, v.as_str())), ())
                .expect("reads back");
            assert_eq!(
                (back.event_id, back.event_type.as_str(), back.timestamp),
                (envelope.event_id, "order.created", envelope.timestamp)
            );
            assert_eq!((back.source.as_str(), back.version), ("order-service", 7));
        }
        let mut missing = envelope.headers().to_vec();
        missing.retain(|(k, _)| *k != headers::SOURCE);
        assert!(
            Envelope::from_headers(missing.iter().map(|(k, v)| (*k, v.as_str())), ()).is_none()
        );
    }

    #[test]
    fn timestamps_read_and_write_as_chrono_does() {
        let mut millis: i64 = -62_135_596_800_000; // 0001-01-01
        let end: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999
        // A prime step visits every field's range many times over.
        while millis <= end {
            let t = DateTime::from_timestamp_millis(millis).expect("in range");
            let text = format_timestamp(&t);
            assert_eq!(text, t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            assert_eq!(parse_timestamp(&text), Some(t), "{text}");
            millis += 9_876_543_211;
        }
        // Other RFC 3339 forms go through chrono.
        let t = parse_timestamp("2024-05-01T14:00:00+02:00").expect("an offset");
        assert_eq!(format_timestamp(&t), "2024-05-01T12:00:00.000Z");
        assert!(parse_timestamp("2024-05-01T12:00:00.12xZ").is_none());
        assert!(parse_timestamp("2024-13-01T12:00:00.123Z").is_none());
        assert!(parse_timestamp("2024-02-30T12:00:00.123Z").is_none());
        assert!(parse_timestamp("not a time").is_none());
        // What the direct form refuses, chrono decides (a leap second here).
        assert_eq!(
            parse_timestamp("2016-12-31T23:59:60.500Z"),
            DateTime::parse_from_rfc3339("2016-12-31T23:59:60.500Z")
                .ok()
                .map(|t| t.with_timezone(&Utc))
        );
    }
}

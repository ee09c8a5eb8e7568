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
            (headers::TIMESTAMP, format_timestamp(&self.timestamp)),
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
                headers::TIMESTAMP => ts = parse_timestamp(v),
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

/// `t` in RFC 3339 with milliseconds, UTC (`2024-05-01T12:00:00.123Z`): what
/// chrono's `to_rfc3339_opts(Millis, true)` writes, without its general
/// formatter in the usual case (every event's headers go through here).
fn format_timestamp(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let nanos = t.nanosecond();
    let year = match u32::try_from(t.year()) {
        // Wider or signed years, and leap seconds: chrono's own form.
        Ok(year @ 0..=9999) if nanos < 1_000_000_000 => year,
        _ => return t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    let mut out = String::with_capacity(24);
    push_digits(&mut out, year, 4);
    for (before, n) in [
        ('-', t.month()),
        ('-', t.day()),
        ('T', t.hour()),
        (':', t.minute()),
        (':', t.second()),
        ('.', nanos / 1_000_000),
    ] {
        out.push(before);
        push_digits(&mut out, n, if before == '.' { 3 } else { 2 });
    }
    out.push('Z');
    out
}

/// `n`'s last `width` decimal digits, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = n / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
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

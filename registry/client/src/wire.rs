//! The Confluent wire format: magic byte `0`, the schema id as a 4-byte
//! big-endian signed integer, then the payload (an Avro datum, or UTF-8 JSON).
//!
//! In header mode (AMQP) the id travels outside the payload, in the
//! [`SCHEMA_ID_HEADER`] message header, and the payload stays bare.

/// The magic byte of the Confluent v0 format.
pub const MAGIC: u8 = 0;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 5;
/// The message header that carries the schema id in header mode.
pub const SCHEMA_ID_HEADER: &str = "evreg-schema-id";

/// Bytes that are not a Confluent-framed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer than five bytes.
    #[error("message is {0} bytes long; a Confluent-framed message has at least 5")]
    TooShort(usize),
    /// The first byte is not the magic byte.
    #[error("unknown magic byte {0:#04x} (expected 0x00, the Confluent wire format)")]
    BadMagic(u8),
}

/// Writes the 5-byte header for schema `id` followed by room for the payload.
pub fn frame(id: u32, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload_len);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// Splits a framed message into its schema id and payload.
pub fn split(bytes: &[u8]) -> Result<(u32, &[u8]), WireError> {
    if bytes.len() < HEADER_LEN {
        return Err(WireError::TooShort(bytes.len()));
    }
    if bytes[0] != MAGIC {
        return Err(WireError::BadMagic(bytes[0]));
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    Ok((id, &bytes[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_splits() {
        let mut framed = frame(258, 3);
        framed.extend_from_slice(b"abc");
        assert_eq!(framed, [0, 0, 0, 1, 2, b'a', b'b', b'c']);
        assert_eq!(split(&framed), Ok((258, &b"abc"[..])));
        assert_eq!(split(&[0, 0, 0]), Err(WireError::TooShort(3)));
        assert_eq!(split(&[1, 0, 0, 0, 1]), Err(WireError::BadMagic(1)));
    }
}

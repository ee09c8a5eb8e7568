//! The round trip: random Avro bytes → generated type → the same bytes.

use evreg_client::apache_avro::types::Value;
use evreg_client::apache_avro::{self, Schema};
use evreg_client::avro::datum::{ReadDatum, WriteDatum};
use evreg_client::avro::{DecodeError, EncodeError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::random::{self, Rng};

/// A round trip of `n` random samples of a schema through a generated type.
pub type RoundTrip = fn(&Schema, &mut Rng, usize) -> Result<Outcome, String>;

/// A type's serde-free Avro reader and writer (its generated `ReadDatum` and
/// `WriteDatum`), when it has them.
pub type DatumReader<T> = Option<(
    fn(&mut &[u8]) -> Result<T, DecodeError>,
    fn(&T, &mut Vec<u8>) -> Result<(), EncodeError>,
)>;

/// Finds a type's `ReadDatum` and `WriteDatum` at a call site that names the
/// type: `(&Probe::<T>::new()).reader()` is `Some` exactly when it has both.
pub struct Probe<T>(std::marker::PhantomData<T>);

impl<T> Probe<T> {
    /// A probe for `T`.
    pub fn new() -> Probe<T> {
        Probe(std::marker::PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// Picked first, when `T` has both.
pub trait ViaDatum<T> {
    /// The type's reader and writer.
    fn reader(&self) -> DatumReader<T>;
}

impl<T: ReadDatum + WriteDatum> ViaDatum<T> for Probe<T> {
    fn reader(&self) -> DatumReader<T> {
        Some((T::read_datum, T::write_datum))
    }
}

/// Picked otherwise (one auto-reference further).
pub trait NoDatum<T> {
    /// No reader.
    fn reader(&self) -> DatumReader<T> {
        None
    }
}

impl<T> NoDatum<T> for &Probe<T> {}

/// One schema to round-trip, with its generated root type.
pub struct Case {
    /// `fixtures/x.avsc` or `avro/x.avsc`.
    pub name: &'static str,
    /// The schema text.
    pub schema: &'static str,
    /// The round trip through the generated type, when evgen generated one.
    pub run: Option<RoundTrip>,
    /// Why evgen generated nothing.
    pub error: Option<&'static str>,
}

/// What happened to the samples of one schema.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Random values tried.
    pub samples: usize,
    /// Re-encoded with `evreg_client::avro::to_datum` to the original bytes exactly
    /// (the rest re-encoded to the same value with map entries in another order:
    /// apache-avro keeps maps in a `HashMap`).
    pub byte_identical: usize,
    /// Decoded by plain `apache_avro::from_value` (without evreg-client's help).
    pub plain_decode: usize,
    /// Re-encoded to an equal value by plain `apache_avro::to_value` + `to_avro_datum`.
    pub plain_encode: usize,
    /// Read by the type's `ReadDatum` to the value serde reads, and written
    /// by its `WriteDatum` to the bytes serde writes.
    pub datum_read: usize,
}

fn decode(schema: &Schema, bytes: &[u8]) -> Result<Value, String> {
    apache_avro::from_avro_datum(schema, &mut &bytes[..], None).map_err(|e| e.to_string())
}

/// Encodes `samples` random values of `schema`, decodes each into `T`, re-encodes it
/// and checks the result decodes to the same value. Errors describe the first
/// sample that failed.
/// With `datum`, also reads each sample with it and checks it reads all of the
/// bytes, into the value serde reads, and writes the bytes serde writes.
pub fn roundtrip<T: Serialize + DeserializeOwned>(
    schema: &Schema,
    rng: &mut Rng,
    samples: usize,
    datum: DatumReader<T>,
) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    for _ in 0..samples {
        let value = random::value(schema, rng);
        let bytes = apache_avro::to_avro_datum(schema, value.clone())
            .map_err(|e| format!("random value does not encode ({e}): {value:?}"))?;
        let decoded = decode(schema, &bytes)?;
        let typed: T = match apache_avro::from_value::<T>(&decoded) {
            Ok(t) => {
                out.plain_decode += 1;
                t
            }
            Err(_) => evreg_client::avro::from_value(&decoded)
                .map_err(|e| format!("decoding into the generated type: {e}; value {decoded:?}"))?,
        };
        let plain = apache_avro::to_value(&typed)
            .and_then(|v| apache_avro::to_avro_datum(schema, v))
            .ok()
            .and_then(|b| decode(schema, &b).ok());
        if plain.as_ref() == Some(&decoded) {
            out.plain_encode += 1;
        }
        let again = evreg_client::avro::to_datum(schema, &typed)
            .map_err(|e| format!("re-encoding the generated type: {e}; value {decoded:?}"))?;
        // Reading straight from the bytes (the deserializer's path) gives the same value.
        let direct: T = evreg_client::avro::from_datum(schema, &bytes)
            .map_err(|e| format!("decoding from bytes: {e}; value {decoded:?}"))?;
        let direct_again = evreg_client::avro::to_datum(schema, &direct)
            .map_err(|e| format!("re-encoding the directly read value: {e}"))?;
        if decode(schema, &direct_again)? != decode(schema, &again)? {
            return Err(format!(
                "reading from bytes and reading through a Value disagree for {decoded:?}"
            ));
        }
        if let Some((read, write)) = datum {
            let mut written = Vec::new();
            write(&typed, &mut written)
                .map_err(|e| format!("writing with WriteDatum: {e}; value {decoded:?}"))?;
            if written != again {
                return Err(format!(
                    "WriteDatum and serde write different bytes for {decoded:?}"
                ));
            }
            let mut input = &bytes[..];
            let fast = read(&mut input)
                .map_err(|e| format!("reading with ReadDatum: {e}; value {decoded:?}"))?;
            if !input.is_empty() {
                return Err(format!(
                    "ReadDatum left {} of {} bytes unread; value {decoded:?}",
                    input.len(),
                    bytes.len()
                ));
            }
            let fast_again = evreg_client::avro::to_datum(schema, &fast)
                .map_err(|e| format!("re-encoding the value ReadDatum read: {e}"))?;
            if fast_again != direct_again {
                return Err(format!(
                    "ReadDatum and serde read different values from {decoded:?}"
                ));
            }
            out.datum_read += 1;
        }
        if again == bytes {
            out.byte_identical += 1;
        } else {
            let back = decode(schema, &again)?;
            if back != decoded {
                return Err(format!(
                    "re-encoded value differs:\n  was {decoded:?}\n  now {back:?}"
                ));
            }
            // Equal values with different bytes are only acceptable from map order.
            if !has_multi_entry_map(&decoded) {
                return Err(format!(
                    "re-encoded bytes differ for an equal value {decoded:?}"
                ));
            }
        }
        out.samples += 1;
    }
    Ok(out)
}

fn has_multi_entry_map(v: &Value) -> bool {
    match v {
        Value::Map(m) => m.len() > 1 || m.values().any(has_multi_entry_map),
        Value::Array(items) => items.iter().any(has_multi_entry_map),
        Value::Record(fields) => fields.iter().any(|(_, f)| has_multi_entry_map(f)),
        Value::Union(_, inner) => has_multi_entry_map(inner),
        _ => false,
    }
}

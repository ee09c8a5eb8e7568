//! Random `apache_avro::types::Value`s of a schema, for round-trip tests.
//!
//! Values stay inside what the Rust types can hold (chrono's date range, finite
//! floats so values compare equal, decimals that fit their precision) and recursion
//! is cut off by preferring `null` branches and empty collections past a depth.

use std::collections::HashMap;

use evreg_client::apache_avro::schema::{Name, Namespace, ResolvedSchema, Schema};
use evreg_client::apache_avro::types::Value;
use evreg_client::apache_avro::{Days, Decimal, Duration, Millis, Months};
use evreg_client::bigdecimal::num_bigint::BigInt;

/// A small deterministic generator (xorshift64*), so failures reproduce from a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (u128::from(self.next_u64()) % span) as i128) as i64
    }

    /// Often a boundary value, otherwise anything in range.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        match self.below(6) {
            0 => lo,
            1 => hi,
            2 => 0.clamp(lo, hi),
            3 => self.range(-100, 100).clamp(lo, hi),
            _ => self.range(lo, hi),
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &["a", "Z", "0", " ", "é", "€", "日本", "🦀", "\"", "\\", "\n"];
        let n = self.below(6);
        (0..n)
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
}

/// Past this depth, unions pick `null` where they can and collections are empty.
const DEEP: usize = 6;

/// A random value of `schema`.
pub fn value(schema: &Schema, rng: &mut Rng) -> Value {
    let resolved = ResolvedSchema::try_from(schema).expect("the schema resolves");
    gen_value(schema, resolved.get_names(), &schema.namespace(), rng, 0)
}

fn gen_value(
    s: &Schema,
    names: &HashMap<Name, &Schema>,
    ns: &Namespace,
    rng: &mut Rng,
    depth: usize,
) -> Value {
    let deep = depth > DEEP;
    let next = depth + 1;
    match s {
        Schema::Ref { name } => {
            let full = name.fully_qualified_name(ns);
            let target = names.get(&full).expect("references resolve");
            gen_value(target, names, &full.namespace, rng, next)
        }
        Schema::Null => Value::Null,
        Schema::Boolean => Value::Boolean(rng.below(2) == 1),
        Schema::Int => Value::Int(rng.int(i32::MIN.into(), i32::MAX.into()) as i32),
        Schema::Long => Value::Long(rng.int(i64::MIN, i64::MAX)),
        Schema::Float => Value::Float(rng.range(-1_000_000, 1_000_000) as f32 / 8.0),
        Schema::Double => Value::Double(rng.range(-1_000_000_000, 1_000_000_000) as f64 / 1024.0),
        Schema::Bytes => {
            let n = rng.below(6) as usize;
            Value::Bytes(rng.bytes(n))
        }
        Schema::String => Value::String(rng.string()),
        Schema::Array(a) => {
            let n = if deep { 0 } else { rng.below(4) };
            Value::Array(
                (0..n)
                    .map(|_| gen_value(&a.items, names, ns, rng, next))
                    .collect(),
            )
        }
        Schema::Map(m) => {
            let n = if deep { 0 } else { rng.below(4) };
            Value::Map(
                (0..n)
                    .map(|i| {
                        (
                            format!("k{i}{}", rng.string()),
                            gen_value(&m.types, names, ns, rng, next),
                        )
                    })
                    .collect(),
            )
        }
        Schema::Union(u) => {
            let branches = u.variants();
            let null = branches.iter().position(|b| matches!(b, Schema::Null));
            let i = match null {
                Some(n) if deep => n,
                _ => rng.below(branches.len() as u64) as usize,
            };
            Value::Union(
                i as u32,
                Box::new(gen_value(&branches[i], names, ns, rng, next)),
            )
        }
        Schema::Record(r) => {
            let ns = r.name.namespace.clone().or_else(|| ns.clone());
            Value::Record(
                r.fields
                    .iter()
                    .map(|f| (f.name.clone(), gen_value(&f.schema, names, &ns, rng, next)))
                    .collect(),
            )
        }
        Schema::Enum(e) => {
            let i = rng.below(e.symbols.len() as u64) as usize;
            Value::Enum(i as u32, e.symbols[i].clone())
        }
        Schema::Fixed(f) => Value::Fixed(f.size, rng.bytes(f.size)),
        Schema::Decimal(d) => {
            // Unscaled values small enough for the precision and (for fixed) the size.
            let digits = d.precision.min(18) as u32;
            let size_cap = match d.inner.as_ref() {
                Schema::Fixed(f) if f.size < 8 => (1i64 << (8 * f.size - 1)) - 1,
                _ => i64::MAX,
            };
            let cap = (10i64.pow(digits) - 1).min(size_cap);
            let unscaled = BigInt::from(rng.int(-cap, cap));
            Value::Decimal(Decimal::from(unscaled.to_signed_bytes_be()))
        }
        Schema::BigDecimal => Value::BigDecimal(evreg_client::BigDecimal::new(
            BigInt::from(rng.int(i64::MIN, i64::MAX)),
            rng.range(-20, 20),
        )),
        Schema::Uuid => Value::Uuid(evreg_client::Uuid::from_u64_pair(
            rng.next_u64(),
            rng.next_u64(),
        )),
        Schema::Date => Value::Date(rng.int(-100_000, 100_000) as i32),
        Schema::TimeMillis => Value::TimeMillis(rng.int(0, 86_399_999) as i32),
        Schema::TimeMicros => Value::TimeMicros(rng.int(0, 86_399_999_999)),
        Schema::TimestampMillis => {
            Value::TimestampMillis(rng.int(-10_000_000_000_000, 10_000_000_000_000))
        }
        Schema::TimestampMicros => {
            Value::TimestampMicros(rng.int(-10_000_000_000_000_000, 10_000_000_000_000_000))
        }
        Schema::TimestampNanos => Value::TimestampNanos(rng.int(i64::MIN, i64::MAX)),
        Schema::LocalTimestampMillis => {
            Value::LocalTimestampMillis(rng.int(-10_000_000_000_000, 10_000_000_000_000))
        }
        Schema::LocalTimestampMicros => {
            Value::LocalTimestampMicros(rng.int(-10_000_000_000_000_000, 10_000_000_000_000_000))
        }
        Schema::LocalTimestampNanos => Value::LocalTimestampNanos(rng.int(i64::MIN, i64::MAX)),
        Schema::Duration => Value::Duration(Duration::new(
            Months::new(rng.next_u64() as u32),
            Days::new(rng.next_u64() as u32),
            Millis::new(rng.next_u64() as u32),
        )),
    }
}

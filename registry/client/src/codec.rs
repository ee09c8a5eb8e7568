//! Composable serde codecs, so a field of type `Vec<Option<DateTime<Utc>>>` can be
//! written as Avro `array<union{null, timestamp-millis}>` without a newtype per shape.
//!
//! Generated code says `#[serde(with = "As::<Seq<Opt<TimestampMillis>>>")]`: the
//! codec type mirrors the field type, with [`Same`] for parts that use their own
//! serde impls. This is the `serde_with::As` idea, cut down to what Avro needs, so
//! services do not pull in another serde framework.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serializes a `T` in the codec's way.
pub trait SerializeAs<T: ?Sized> {
    /// Writes `source` to `serializer`.
    fn serialize_as<S: Serializer>(source: &T, serializer: S) -> Result<S::Ok, S::Error>;
}

/// Deserializes a `T` in the codec's way.
pub trait DeserializeAs<'de, T>: Sized {
    /// Reads a `T` from `deserializer`.
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error>;
}

/// The entry point for `#[serde(with = "As::<Codec>")]`.
pub struct As<C: ?Sized>(PhantomData<C>);

impl<C: ?Sized> As<C> {
    /// Serializes `value` with codec `C`.
    pub fn serialize<S, T>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: ?Sized,
        C: SerializeAs<T>,
    {
        C::serialize_as(value, serializer)
    }

    /// Deserializes a value with codec `C`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        C: DeserializeAs<'de, T>,
    {
        C::deserialize_as(deserializer)
    }
}

/// A borrowed value that serializes through codec `C` (for hand-written impls).
pub struct SerializeAsWrap<'a, T: ?Sized, C: ?Sized> {
    value: &'a T,
    codec: PhantomData<C>,
}

impl<'a, T: ?Sized, C: ?Sized> SerializeAsWrap<'a, T, C> {
    /// Wraps `value`.
    pub fn new(value: &'a T) -> Self {
        SerializeAsWrap {
            value,
            codec: PhantomData,
        }
    }
}

impl<T: ?Sized, C: ?Sized + SerializeAs<T>> Serialize for SerializeAsWrap<'_, T, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        C::serialize_as(self.value, serializer)
    }
}

/// An owned value that deserialized through codec `C`.
pub struct DeserializeAsWrap<T, C: ?Sized> {
    value: T,
    codec: PhantomData<C>,
}

impl<T, C: ?Sized> DeserializeAsWrap<T, C> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> Deserialize<'de> for DeserializeAsWrap<T, C> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        C::deserialize_as(deserializer).map(|value| DeserializeAsWrap {
            value,
            codec: PhantomData,
        })
    }
}

/// The type's own serde impls.
pub struct Same;

impl<T: Serialize + ?Sized> SerializeAs<T> for Same {
    fn serialize_as<S: Serializer>(source: &T, serializer: S) -> Result<S::Ok, S::Error> {
        source.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeAs<'de, T> for Same {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer)
    }
}

/// `Vec<T>`, each element through `C`.
pub struct Seq<C>(PhantomData<C>);

impl<T, C: SerializeAs<T>> SerializeAs<Vec<T>> for Seq<C> {
    fn serialize_as<S: Serializer>(source: &Vec<T>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(source.len()))?;
        for item in source {
            seq.serialize_element(&SerializeAsWrap::<T, C>::new(item))?;
        }
        seq.end()
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> DeserializeAs<'de, Vec<T>> for Seq<C> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
        struct V<T, C>(PhantomData<(T, C)>);
        impl<'de, T, C: DeserializeAs<'de, T>> Visitor<'de> for V<T, C> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                // Cap the preallocation: the length comes from the input.
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element::<DeserializeAsWrap<T, C>>()? {
                    out.push(item.into_inner());
                }
                Ok(out)
            }
        }
        deserializer.deserialize_seq(V::<T, C>(PhantomData))
    }
}

/// `BTreeMap<String, T>`, each value through `C`.
pub struct Map<C>(PhantomData<C>);

impl<T, C: SerializeAs<T>> SerializeAs<BTreeMap<String, T>> for Map<C> {
    fn serialize_as<S: Serializer>(
        source: &BTreeMap<String, T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(source.len()))?;
        for (k, v) in source {
            map.serialize_entry(k, &SerializeAsWrap::<T, C>::new(v))?;
        }
        map.end()
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> DeserializeAs<'de, BTreeMap<String, T>> for Map<C> {
    fn deserialize_as<D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, T>, D::Error> {
        struct V<T, C>(PhantomData<(T, C)>);
        impl<'de, T, C: DeserializeAs<'de, T>> Visitor<'de> for V<T, C> {
            type Value = BTreeMap<String, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((k, v)) = map.next_entry::<String, DeserializeAsWrap<T, C>>()? {
                    out.insert(k, v.into_inner());
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(V::<T, C>(PhantomData))
    }
}

/// `Box<T>` through `C`.
pub struct Boxed<C>(PhantomData<C>);

impl<T, C: SerializeAs<T>> SerializeAs<Box<T>> for Boxed<C> {
    fn serialize_as<S: Serializer>(source: &Box<T>, serializer: S) -> Result<S::Ok, S::Error> {
        C::serialize_as(source, serializer)
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> DeserializeAs<'de, Box<T>> for Boxed<C> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Box<T>, D::Error> {
        C::deserialize_as(deserializer).map(Box::new)
    }
}

/// `Option<T>` for a union whose `null` branch comes first (or for any format
/// that is not Avro): `Some` and `None` as serde writes them.
pub struct Opt<C>(PhantomData<C>);

impl<T, C: SerializeAs<T>> SerializeAs<Option<T>> for Opt<C> {
    fn serialize_as<S: Serializer>(source: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match source {
            Some(v) => serializer.serialize_some(&SerializeAsWrap::<T, C>::new(v)),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> DeserializeAs<'de, Option<T>> for Opt<C> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        deserialize_option::<D, T, C>(deserializer)
    }
}

/// `Option<T>` for an Avro union whose `null` is not the first branch.
///
/// apache-avro's serde writes `Some(v)` as branch 1 whatever the schema says, so for
/// `["string", "null"]` it would pick `null` for a string. This codec writes the bare
/// value (or a bare null) instead and lets apache-avro find the branch by kind.
/// Human-readable formats see a plain option.
pub struct OptLast<C>(PhantomData<C>);

impl<T, C: SerializeAs<T>> SerializeAs<Option<T>> for OptLast<C> {
    fn serialize_as<S: Serializer>(source: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match (source, serializer.is_human_readable()) {
            (Some(v), true) => serializer.serialize_some(&SerializeAsWrap::<T, C>::new(v)),
            (None, true) => serializer.serialize_none(),
            (Some(v), false) => C::serialize_as(v, serializer),
            (None, false) => serializer.serialize_unit(),
        }
    }
}

impl<'de, T, C: DeserializeAs<'de, T>> DeserializeAs<'de, Option<T>> for OptLast<C> {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
        deserialize_option::<D, T, C>(deserializer)
    }
}

fn deserialize_option<'de, D, T, C>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    C: DeserializeAs<'de, T>,
{
    struct V<T, C>(PhantomData<(T, C)>);
    impl<'de, T, C: DeserializeAs<'de, T>> Visitor<'de> for V<T, C> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an optional value")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<T>, D2::Error> {
            C::deserialize_as(d).map(Some)
        }
    }
    deserializer.deserialize_option(V::<T, C>(PhantomData))
}

//! Hand-written types shaped like evgen's output, checked byte for byte against
//! apache-avro, so the runtime codecs are tested without the generator.

use std::collections::BTreeMap;

use apache_avro::Schema;
use apache_avro::types::Value;
use evreg_client::avro::{self, Duration};
use evreg_client::codec::{As, Opt, OptLast, Same, Seq};
use evreg_client::{BigDecimal, Uuid};
use serde::{Deserialize, Serialize};

const SCHEMA: &str = r#"{"type":"record","name":"All","namespace":"t","fields":[
 {"name":"id","type":{"type":"string","logicalType":"uuid"}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}},
 {"name":"famount","type":{"type":"fixed","name":"F8","size":8,"logicalType":"decimal","precision":12,"scale":2}},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
 {"name":"dur","type":{"type":"fixed","name":"D","size":12,"logicalType":"duration"}},
 {"name":"md5","type":{"type":"fixed","name":"Md5","size":4}},
 {"name":"raw","type":"bytes"},
 {"name":"first","type":["null","string"]},
 {"name":"last","type":["string","null"]},
 {"name":"lasts","type":{"type":"array","items":["long","null"]}},
 {"name":"u","type":["null","string","long",{"type":"enum","name":"E","symbols":["A","B"]}]},
 {"name":"m","type":{"type":"map","values":"int"}},
 {"name":"e","type":"E"}
]}"#;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Md5(#[serde(with = "As::<avro::Fixed>")] [u8; 4]);

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum E {
    A,
    B,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
enum U {
    #[serde(rename = "null")]
    Null,
    #[serde(rename = "string")]
    String(String),
    #[serde(rename = "long")]
    Long(i64),
    #[serde(rename = "t.E")]
    E(E),
}

impl Serialize for U {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            match self {
                U::Null => s.serialize_unit_variant("U", 0, "null"),
                U::String(v) => s.serialize_newtype_variant("U", 1, "string", v),
                U::Long(v) => s.serialize_newtype_variant("U", 2, "long", v),
                U::E(v) => s.serialize_newtype_variant("U", 3, "t.E", v),
            }
        } else {
            // `string` and enum `E` are ambiguous by value: evgen writes this union
            // tagged, and `avro::to_value` turns the tag into the branch index.
            match self {
                U::Null => s.serialize_unit(),
                U::String(v) => s.serialize_newtype_variant("U", 1, "string", v),
                U::Long(v) => s.serialize_newtype_variant("U", 2, "long", v),
                U::E(v) => s.serialize_newtype_variant("U", 3, "t.E", v),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct All {
    #[serde(with = "As::<avro::Uuid>")]
    id: Uuid,
    #[serde(with = "As::<avro::Decimal<2>>")]
    amount: BigDecimal,
    #[serde(with = "As::<avro::DecimalFixed<2, 8>>")]
    famount: BigDecimal,
    #[serde(with = "As::<avro::TimestampMillis>")]
    at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "As::<avro::Date>")]
    day: chrono::NaiveDate,
    #[serde(with = "As::<avro::TimeMillis>")]
    tm: chrono::NaiveTime,
    dur: Duration,
    md5: Md5,
    #[serde(with = "As::<avro::Bytes>")]
    raw: Vec<u8>,
    first: Option<String>,
    #[serde(with = "As::<OptLast<Same>>")]
    last: Option<String>,
    #[serde(with = "As::<Seq<OptLast<Same>>>")]
    lasts: Vec<Option<i64>>,
    u: U,
    m: BTreeMap<String, i32>,
    e: E,
}

fn sample(u: U) -> All {
    All {
        id: Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        amount: "-1234.50".parse().unwrap(),
        famount: "99.99".parse().unwrap(),
        at: chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
        day: chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        tm: chrono::NaiveTime::from_hms_milli_opt(13, 14, 15, 167).unwrap(),
        dur: Duration {
            months: 1,
            days: 2,
            millis: 3,
        },
        md5: Md5([1, 2, 3, 4]),
        raw: vec![0, 255, 7],
        first: Some("f".into()),
        last: Some("l".into()),
        lasts: vec![Some(5), None, Some(-1)],
        u,
        m: BTreeMap::from([("k".into(), 1)]),
        e: E::B,
    }
}

#[test]
fn plain_and_resolved_paths() {
    let schema = Schema::parse_str(SCHEMA).unwrap();
    for u in [U::Null, U::String("s".into()), U::Long(42), U::E(E::A)] {
        let value = sample(u.clone());
        let via_helper = avro::to_datum(&schema, &value).unwrap();
        let back: All = avro::from_datum(&schema, &via_helper).unwrap();
        assert_eq!(back, value, "{u:?}");
        // The decoded value, read by plain apache-avro, picks the right union branch.
        let decoded = apache_avro::from_avro_datum(&schema, &mut &via_helper[..], None).unwrap();
        let Value::Record(fields) = &decoded else {
            panic!()
        };
        let (_, uval) = fields.iter().find(|(n, _)| n == "u").unwrap();
        let want = match u {
            U::Null => 0,
            U::String(_) => 1,
            U::Long(_) => 2,
            U::E(_) => 3,
        };
        assert!(matches!(uval, Value::Union(i, _) if *i == want), "{uval:?}");
        let (_, last) = fields.iter().find(|(n, _)| n == "last").unwrap();
        assert!(matches!(last, Value::Union(0, _)), "{last:?}");
        // JSON is readable.
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(json["at"], "2023-11-14T22:13:20.123Z");
        assert_eq!(json["amount"], "-1234.50");
        let from_json: All = serde_json::from_value(json).unwrap();
        assert_eq!(from_json, value);
    }
}

#[test]
fn plain_to_avro_datum_without_resolve() {
    let schema = Schema::parse_str(SCHEMA).unwrap();
    let value = apache_avro::to_value(sample(U::Long(1))).unwrap();
    let plain = apache_avro::to_avro_datum(&schema, value);
    eprintln!("plain to_avro_datum: {:?}", plain.as_ref().map(|v| v.len()));
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Opts {
    #[serde(with = "As::<Opt<avro::TimestampMillis>>", default)]
    t: Option<chrono::DateTime<chrono::Utc>>,
}

#[test]
fn optional_logical() {
    let schema = Schema::parse_str(
        r#"{"type":"record","name":"O","fields":[{"name":"t","type":["null",{"type":"long","logicalType":"timestamp-millis"}]}]}"#,
    )
    .unwrap();
    for t in [
        None,
        Some(chrono::DateTime::from_timestamp_millis(5).unwrap()),
    ] {
        let v = Opts { t };
        let d = avro::to_datum(&schema, &v).unwrap();
        assert_eq!(avro::from_datum::<Opts>(&schema, &d).unwrap(), v);
        let plain =
            apache_avro::to_avro_datum(&schema, apache_avro::to_value(&v).unwrap()).unwrap();
        assert_eq!(plain, d);
    }
}

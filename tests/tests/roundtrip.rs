//! Random data of every fixture and corpus schema, encoded by apache-avro, decodes
//! into the evgen-generated type and re-encodes to the same value (byte-identical
//! unless a map holds several entries, which apache-avro orders by hash).
//!
//! Corpus schemas come from `$EVGEN_CORPORA/avro` at build time; without it the
//! corpus part prints SKIPPED and passes. Failures must be listed, with a reason, in
//! `corpus-known-failures.txt`; a listed schema that passes fails the test too, so
//! the list stays honest.

use std::collections::BTreeMap;

use evreg_client::apache_avro::Schema;
use evreg_tests::cases::{CASES, CORPORA_SET};
use evreg_tests::harness::Case;
use evreg_tests::random::Rng;

const SAMPLES: usize = 200;

/// apache-avro knows no `error` type; on the wire an error is a record (evreg-core
/// parses it the same way).
fn errors_as_records(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            if o.get("type").and_then(|t| t.as_str()) == Some("error") {
                o.insert("type".into(), "record".into());
            }
            o.values_mut().for_each(errors_as_records);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(errors_as_records),
        _ => {}
    }
}

fn run(case: &Case) -> Result<evreg_tests::harness::Outcome, String> {
    let Some(run) = case.run else {
        return Err(case.error.unwrap_or("no generated type").to_owned());
    };
    let mut json: serde_json::Value =
        serde_json::from_str(case.schema).map_err(|e| e.to_string())?;
    errors_as_records(&mut json);
    let schema = Schema::parse_str(&json.to_string()).map_err(|e| format!("apache-avro: {e}"))?;
    let mut rng = Rng::new(0x5eed ^ case.name.len() as u64);
    run(&schema, &mut rng, SAMPLES)
}

fn known_failures() -> BTreeMap<String, String> {
    include_str!("../corpus-known-failures.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(name, reason)| (name.to_owned(), reason.trim().to_owned()))
        .collect()
}

#[test]
fn fixtures_round_trip() {
    let fixtures: Vec<&Case> = CASES
        .iter()
        .filter(|c| c.name.starts_with("fixtures/"))
        .collect();
    assert!(
        fixtures.len() >= 6,
        "expected the codegen fixtures, found {}",
        fixtures.len()
    );
    for case in fixtures {
        match run(case) {
            Ok(o) => {
                assert_eq!(o.samples, SAMPLES);
                println!(
                    "{}: {} samples, {} byte-identical, plain apache-avro decode {} / encode {}, \
                     read and written by ReadDatum/WriteDatum {}",
                    case.name,
                    o.samples,
                    o.byte_identical,
                    o.plain_decode,
                    o.plain_encode,
                    o.datum_read
                );
            }
            Err(e) => panic!("{}: {e}", case.name),
        }
    }
}

#[test]
fn corpus_round_trips() {
    if !CORPORA_SET {
        eprintln!("SKIPPED corpus round trips: EVGEN_CORPORA not set when evreg-tests was built");
        eprintln!("SKIPPED (set EVGEN_CORPORA=/path/to/corpora and rebuild to run them)");
        return;
    }
    let known = known_failures();
    let corpus: Vec<&Case> = CASES
        .iter()
        .filter(|c| c.name.starts_with("avro/"))
        .collect();
    assert!(
        !corpus.is_empty(),
        "EVGEN_CORPORA is set but holds no avro/*.avsc"
    );
    let mut passed = 0;
    let (mut samples, mut identical, mut plain_decode, mut plain_encode) = (0, 0, 0, 0);
    let mut datum_read = 0;
    let mut unexpected = Vec::new();
    for case in &corpus {
        match (run(case), known.get(case.name)) {
            (Ok(o), None) => {
                passed += 1;
                samples += o.samples;
                identical += o.byte_identical;
                plain_decode += o.plain_decode;
                plain_encode += o.plain_encode;
                datum_read += o.datum_read;
                println!("pass  {}", case.name);
            }
            (Ok(_), Some(_)) => unexpected.push(format!(
                "{} passes: remove it from corpus-known-failures.txt",
                case.name
            )),
            (Err(e), Some(reason)) => println!("known {}: {reason}\n      ({e})", case.name),
            (Err(e), None) => unexpected.push(format!("{}: {e}", case.name)),
        }
    }
    let total = corpus.len();
    println!(
        "\nAvro corpus: {passed}/{total} schemas round-trip ({:.1}%), {} known failures; \
         {samples} samples, {identical} byte-identical ({:.1}%), \
         plain apache-avro decode {plain_decode} ({:.1}%), encode {plain_encode} ({:.1}%), \
         read and written by ReadDatum/WriteDatum {datum_read} ({:.1}%)",
        100.0 * passed as f64 / total as f64,
        total - passed,
        100.0 * identical as f64 / samples.max(1) as f64,
        100.0 * plain_decode as f64 / samples.max(1) as f64,
        100.0 * plain_encode as f64 / samples.max(1) as f64,
        100.0 * datum_read as f64 / samples.max(1) as f64,
    );
    assert!(
        unexpected.is_empty(),
        "unexpected results:\n{}",
        unexpected.join("\n")
    );
}

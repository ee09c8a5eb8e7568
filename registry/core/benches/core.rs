//! Criterion benchmarks of the core's hot paths (figures in BENCHMARKS.md).
//!
//! `cargo bench -p evreg-core --bench core`

use std::hint::black_box;

use apache_avro::schema_compatibility::SchemaCompatibility;
use criterion::{Criterion, criterion_group, criterion_main};
use evreg_core::{CompatibilityLevel, ParsedSchema, SchemaType, check, parse_standalone};

/// A 50-field record, version `v`: 50 shared fields of assorted types plus one
/// optional field of its own, so every version differs from every other and
/// each pairwise check walks all fields.
fn record(v: usize) -> String {
    let types = [
        r#""long""#,
        r#""string""#,
        r#"["null","string"]"#,
        r#"{"type":"long","logicalType":"timestamp-millis"}"#,
        r#"{"type":"enum","name":"E{i}","symbols":["A","B","C"],"default":"A"}"#,
    ];
    let mut fields: Vec<String> = (0..50)
        .map(|i| {
            let ty = types[i % types.len()].replace("{i}", &i.to_string());
            let default = if ty.starts_with(r#"["null""#) {
                r#","default":null"#
            } else {
                ""
            };
            format!(r#"{{"name":"field_{i}","type":{ty}{default},"doc":"field number {i}"}}"#)
        })
        .collect();
    fields.push(format!(
        r#"{{"name":"only_in_v{v}","type":["null","long"],"default":null}}"#
    ));
    format!(
        r#"{{"type":"record","name":"Order","namespace":"shop.events","fields":[{}]}}"#,
        fields.join(",")
    )
}

fn parse(text: &str) -> ParsedSchema {
    parse_standalone(SchemaType::Avro, text).expect("benchmark schema parses")
}

fn benches(c: &mut Criterion) {
    let text = record(0);
    c.bench_function("avro_parse_canonicalize_fingerprint_50_fields", |b| {
        b.iter(|| {
            let p = parse(black_box(&text));
            black_box((p.canonical().len(), p.fingerprint()));
        })
    });
    c.bench_function("baseline_apache_avro_parse_only_50_fields", |b| {
        b.iter(|| black_box(apache_avro::Schema::parse_str(black_box(&text)).expect("parses")))
    });

    let history: Vec<ParsedSchema> = (0..1000).map(|v| parse(&record(v))).collect();
    let refs: Vec<&ParsedSchema> = history.iter().collect();
    let new = parse(&record(1000));
    assert!(
        check(CompatibilityLevel::FullTransitive, &new, &refs).is_empty(),
        "the benchmark history is compatible"
    );
    c.bench_function("full_transitive_50_fields_vs_1000_versions", |b| {
        b.iter(|| {
            black_box(check(
                CompatibilityLevel::FullTransitive,
                black_box(&new),
                black_box(&refs),
            ))
        })
    });
    // The same 2,000 pairwise checks through apache-avro's own (boolean) checker.
    let apache_new = new.as_avro().expect("avro").apache().clone();
    let apache_history: Vec<apache_avro::Schema> = history
        .iter()
        .map(|p| p.as_avro().expect("avro").apache().clone())
        .collect();
    c.bench_function("baseline_apache_avro_mutual_read_vs_1000_versions", |b| {
        b.iter(|| {
            for old in &apache_history {
                black_box(SchemaCompatibility::mutual_read(old, &apache_new).is_ok());
            }
        })
    });
}

criterion_group!(core, benches);
criterion_main!(core);

//! Generation speed: 1,000 schemas in one run (target: under 2 s), and the build.rs
//! path over the real catalogue when nothing changed (target: under 100 ms).
//!
//! `cargo bench -p evgen --bench generate`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

/// A realistic event schema: a dozen fields over every kind of type.
fn schema(i: usize) -> String {
    format!(
        r#"{{"type":"record","name":"Event{i}","namespace":"bench.ns{ns}","doc":"Event {i}.",
        "fields":[
          {{"name":"id","type":{{"type":"string","logicalType":"uuid"}},"doc":"Id."}},
          {{"name":"at","type":{{"type":"long","logicalType":"timestamp-millis"}}}},
          {{"name":"amount","type":{{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}}}},
          {{"name":"status","type":{{"type":"enum","name":"Status{i}","symbols":["A","B","C"],"default":"A"}},"default":"B"}},
          {{"name":"note","type":["null","string"],"default":null}},
          {{"name":"tags","type":{{"type":"array","items":"string"}},"default":[]}},
          {{"name":"attrs","type":{{"type":"map","values":["long","null"]}}}},
          {{"name":"choice","type":["null","string","long",{{"type":"record","name":"Inner{i}","fields":[
              {{"name":"x","type":"int"}},{{"name":"y","type":["null","Inner{i}"],"default":null}}]}}]}},
          {{"name":"day","type":{{"type":"int","logicalType":"date"}}}},
          {{"name":"digest","type":{{"type":"fixed","name":"Digest{i}","size":16}}}},
          {{"name":"count","type":"long","default":0}},
          {{"name":"ratio","type":"double"}}
        ]}}"#,
        ns = i % 20
    )
}

fn thousand(c: &mut Criterion) {
    let schemas: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("bench/e{i}.avsc"), schema(i)))
        .collect();
    let mut group = c.benchmark_group("generate");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("1000 schemas", |b| {
        b.iter(|| {
            let mut config = evgen::Config::new();
            for (label, text) in &schemas {
                config.source(label.clone(), text.clone());
            }
            black_box(config.generate().unwrap())
        })
    });
    group.finish();
}

fn noop_build(c: &mut Criterion) {
    let out = std::env::temp_dir().join("evgen-bench-noop");
    let compile = || {
        evgen::Config::new()
            .catalog(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas"))
            .out_dir(&out)
            .compile()
            .unwrap()
    };
    compile();
    c.bench_function("catalogue build.rs, nothing changed", |b| {
        b.iter(|| black_box(compile()))
    });
}

criterion_group!(benches, thousand, noop_build);
criterion_main!(benches);

//! Avro compatibility against the shared test vectors (`$EVREG_VECTORS/avro-compat.json`).
//!
//! Each case is a reader/writer pair with the verdict of Apache Avro Java (or of
//! an implementation that agrees with it); where the vector lists the expected
//! incompatibilities, their type, message and location must match too.

use std::collections::BTreeMap;

use evreg_core::avro::compat::check_detailed;
use evreg_core::{SchemaType, parse_standalone};
use serde_json::Value;

#[derive(Default)]
struct Tally {
    cases: usize,
    failed: Vec<String>,
}

fn judge(case: &Value) -> Result<(), String> {
    let text = |k: &str| {
        case[k]
            .as_str()
            .ok_or_else(|| format!("case has no string '{k}'"))
    };
    let reader = parse_standalone(SchemaType::Avro, text("reader")?)
        .map_err(|e| format!("reader does not parse: {e}"))?;
    let writer = parse_standalone(SchemaType::Avro, text("writer")?)
        .map_err(|e| format!("writer does not parse: {e}"))?;
    let (Some(r), Some(w)) = (reader.as_avro(), writer.as_avro()) else {
        return Err("not parsed as Avro".into());
    };
    let found = check_detailed(r, w);
    let expected = case["compatible"]
        .as_bool()
        .ok_or("case has no 'compatible'")?;
    if found.is_empty() != expected {
        return Err(format!("expected compatible={expected}, found {found:?}"));
    }
    let Some(want) = case.get("incompatibilities").and_then(Value::as_array) else {
        return Ok(());
    };
    if case["incompatibilities_complete"].as_bool() == Some(true) && want.len() != found.len() {
        return Err(format!(
            "expected {} incompatibilities, found {found:?}",
            want.len()
        ));
    }
    for (i, w) in want.iter().enumerate() {
        let got = found
            .get(i)
            .ok_or_else(|| format!("missing incompatibility {i}: {w}"))?;
        let checks = [
            ("type", got.kind.as_str()),
            ("message", &got.java_message),
            ("location", &got.location),
        ];
        for (key, ours) in checks {
            if let Some(theirs) = w.get(key).and_then(Value::as_str)
                && theirs != ours
            {
                return Err(format!(
                    "incompatibility {i}: expected {key} '{theirs}', found '{ours}'"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn avro_vectors() {
    let Ok(dir) = std::env::var("EVREG_VECTORS") else {
        eprintln!("SKIPPED avro_vectors: EVREG_VECTORS not set (CI sets it to ../shared/vectors)");
        return;
    };
    let path = std::path::Path::new(&dir).join("avro-compat.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("vectors are JSON");
    let mut by_oracle: BTreeMap<String, Tally> = BTreeMap::new();
    for case in &cases {
        let oracle = case["oracle"].as_str().unwrap_or("unknown").to_owned();
        let tally = by_oracle.entry(oracle).or_default();
        tally.cases += 1;
        if let Err(why) = judge(case) {
            let id = case["id"].as_str().unwrap_or("?");
            eprintln!("FAIL {id}: {why}");
            tally.failed.push(id.to_owned());
        }
    }
    println!("\navro-compat.json");
    println!(
        "{:<75} {:>6} {:>7} {:>7}",
        "oracle", "cases", "passed", "failed"
    );
    let mut total_failed = 0;
    for (oracle, t) in &by_oracle {
        println!(
            "{:<75} {:>6} {:>7} {:>7}  {}",
            oracle,
            t.cases,
            t.cases - t.failed.len(),
            t.failed.len(),
            t.failed.join(" ")
        );
        total_failed += t.failed.len();
    }
    assert_eq!(total_failed, 0, "{total_failed} Avro vector case(s) failed");
    assert_eq!(
        by_oracle.values().map(|t| t.cases).sum::<usize>(),
        cases.len()
    );
}

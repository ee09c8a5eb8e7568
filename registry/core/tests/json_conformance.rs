//! JSON Schema compatibility against the shared conformance vectors.
//!
//! Reads `$EVREG_VECTORS/json-schema-compat.json` (see the vectors' README). Without
//! `EVREG_VECTORS` the test says so loudly and passes, so the plain test command
//! needs nothing outside the repository.
//!
//! Every `confluent-schema-registry` case must reach Confluent's verdict; the
//! Karapace figure may not drop below [`KARAPACE_FLOOR`].

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use evreg_core::json::JsonSchema;
use evreg_core::json::compat::{check, differences};
use evreg_core::{Dependency, JsonPolicy, SchemaType};
use serde_json::Value;

/// Karapace cases passed when this floor was set; raise it when more pass.
const KARAPACE_FLOOR: usize = 167;
/// How long one case may take (cases marked `performance_case` included).
const CASE_BUDGET: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Tally {
    cases: usize,
    passed: usize,
    failed: Vec<String>,
    changes_checked: usize,
    changes_matched: usize,
    changes_mismatched: Vec<String>,
    lenient_checked: usize,
    lenient_failed: Vec<String>,
}

fn references(case: &Value, key: &str) -> Vec<Dependency> {
    let dependency = |name: &str, schema: &Value| Dependency {
        name: name.to_owned(),
        schema_type: SchemaType::Json,
        schema: schema
            .as_str()
            .map_or_else(|| schema.to_string(), str::to_owned),
    };
    match case.get(key) {
        Some(Value::Object(map)) => map.iter().map(|(n, s)| dependency(n, s)).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| Some(dependency(r.get("name")?.as_str()?, r.get("schema")?)))
            .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn json_schema_conformance() {
    let Some(dir) = std::env::var_os("EVREG_VECTORS") else {
        // Written past the test harness's capture, so it shows in a plain `cargo test`.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED: EVREG_VECTORS not set (json-schema-compat.json not checked)\n",
        );
        return;
    };
    let path = std::path::Path::new(&dir).join("json-schema-compat.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let show_messages = std::env::var_os("EVREG_SHOW_MESSAGES").is_some();

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?").to_owned();
        let oracle = case["oracle"].as_str().unwrap_or("?").to_owned();
        let tally = tallies.entry(oracle).or_default();
        tally.cases += 1;
        let old = JsonSchema::parse(
            case["old"].as_str().unwrap(),
            &references(case, "old_references"),
        );
        let new = JsonSchema::parse(
            case["new"].as_str().unwrap(),
            &references(case, "new_references"),
        );
        let (old, new) = match (old, new) {
            (Ok(old), Ok(new)) => (old, new),
            (old, new) => {
                let error = old
                    .err()
                    .or(new.err())
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                tally.failed.push(format!("{id} (parse: {error})"));
                continue;
            }
        };
        let started = Instant::now();
        let findings = check(&new, &old, JsonPolicy::Strict);
        let elapsed = started.elapsed();
        let expected = case["compatible"].as_bool().unwrap();
        if show_messages {
            for f in &findings {
                eprintln!("  {id}: {f:?}");
            }
        }
        if findings.is_empty() == expected && elapsed < CASE_BUDGET {
            tally.passed += 1;
        } else if elapsed >= CASE_BUDGET {
            tally.failed.push(format!("{id} (took {elapsed:?})"));
        } else {
            let got: Vec<String> = findings
                .iter()
                .map(|f| format!("{} {}", f.kind, f.location))
                .collect();
            tally.failed.push(format!(
                "{id} (expected compatible={expected}, findings {got:?})"
            ));
        }
        if let Some(Value::Array(changes)) = case.get("changes") {
            tally.changes_checked += 1;
            let mut want: Vec<String> = changes
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            let mut got: Vec<String> = differences(&old, &new, JsonPolicy::Strict)
                .iter()
                .map(ToString::to_string)
                .collect();
            want.sort();
            got.sort();
            if want == got {
                tally.changes_matched += 1;
            } else {
                tally
                    .changes_mismatched
                    .push(format!("{id}: want {want:?}, got {got:?}"));
            }
        }
        if let Some(lenient) = case.get("compatible_lenient").and_then(Value::as_bool) {
            tally.lenient_checked += 1;
            if check(&new, &old, JsonPolicy::Lenient).is_empty() != lenient {
                tally.lenient_failed.push(id.clone());
            }
        }
    }

    eprintln!(
        "\nJSON Schema compatibility conformance ({})",
        path.display()
    );
    eprintln!(
        "{:<28} {:>6} {:>7} {:>7}   {:>15}   {:>15}",
        "oracle", "cases", "passed", "failed", "changes equal", "lenient agrees"
    );
    for (oracle, t) in &tallies {
        eprintln!(
            "{:<28} {:>6} {:>7} {:>7}   {:>7}/{:<7}   {:>7}/{:<7}",
            oracle,
            t.cases,
            t.passed,
            t.failed.len(),
            t.changes_matched,
            t.changes_checked,
            t.lenient_checked - t.lenient_failed.len(),
            t.lenient_checked
        );
    }
    for (oracle, t) in &tallies {
        for f in &t.failed {
            eprintln!("  FAILED [{oracle}] {f}");
        }
        for f in &t.changes_mismatched {
            eprintln!("  CHANGES DIFFER [{oracle}] {f}");
        }
        for f in &t.lenient_failed {
            eprintln!("  LENIENT DIFFERS [{oracle}] {f}");
        }
    }

    if let Some(t) = tallies.get("confluent-schema-registry") {
        assert!(
            t.failed.is_empty(),
            "{} confluent-schema-registry case(s) failed",
            t.failed.len()
        );
        assert!(
            t.changes_mismatched.is_empty(),
            "{} difference list(s) differ",
            t.changes_mismatched.len()
        );
        assert!(
            t.lenient_failed.is_empty(),
            "{} lenient verdict(s) differ",
            t.lenient_failed.len()
        );
    }
    let karapace = tallies.get("karapace").map(|t| t.passed).unwrap_or(0);
    assert!(
        karapace >= KARAPACE_FLOOR,
        "karapace cases passed {karapace} < floor {KARAPACE_FLOOR}"
    );
}

//! The ladder over `$EVGEN_CORPORA/schemastore`; see the crate docs.
//!
//! ```text
//! EVGEN_CORPORA=/work/shared/corpora cargo test -p evgen-json-ladder -- --nocapture
//! ```

use std::io::Write as _;
use std::path::Path;

use evgen_json_ladder::corpus::KnownFailures;

use evgen_json_ladder::Entry;
use evgen_json_ladder_shard_0 as shard_0;
use evgen_json_ladder_shard_1 as shard_1;
use evgen_json_ladder_shard_2 as shard_2;
use evgen_json_ladder_shard_3 as shard_3;

/// Every schema of every shard, by name.
fn schemas() -> Vec<Entry> {
    let mut all: Vec<Entry> = [
        shard_0::SCHEMAS,
        shard_1::SCHEMAS,
        shard_2::SCHEMAS,
        shard_3::SCHEMAS,
    ]
    .concat();
    all.sort_by_key(|e| e.name);
    all
}

/// The checked-in expectations.
const KNOWN: &str = include_str!("../known-failures.toml");

#[test]
fn ladder() {
    let Some(corpus) = shard_0::CORPUS else {
        // Straight to the stream, not `eprintln!`: the test harness would swallow it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED evgen-json-ladder: EVGEN_CORPORA not set \
             (set it to the folder that holds schemastore/ and rebuild)"
        );
        return;
    };
    // Deserializing deeply nested samples through deeply nested types takes stack.
    let outcomes = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || evgen_json_ladder::run(Path::new(corpus), &schemas()))
        .expect("spawn the ladder thread")
        .join()
        .expect("the ladder thread");
    println!("{}", evgen_json_ladder::report(&outcomes));
    if shard_0::PARTIAL {
        eprintln!("EVGEN_LADDER_ONLY is set: not comparing with known-failures.toml");
        return;
    }

    let known = KnownFailures::parse(KNOWN).expect("known-failures.toml parses");
    let rates = evgen_json_ladder::rates(&outcomes);
    let mut problems = Vec::new();
    for (i, (n, floor)) in rates.iter().zip(known.floors).enumerate() {
        if *n < floor {
            problems.push(format!(
                "level {} ({}): {n} schemas, below the floor of {floor}",
                i + 1,
                evgen_json_ladder::corpus::LEVELS[i]
            ));
        }
    }
    for o in &outcomes {
        let expected = known.schemas.get(o.name).map(|(level, _)| *level);
        let seen = (o.passed < 5).then_some(o.passed + 1);
        if expected != seen {
            problems.push(format!(
                "{}: expected to fail at level {}, fails at level {} ({})",
                o.name,
                expected.map_or("none".into(), |l| l.to_string()),
                seen.map_or("none".into(), |l| l.to_string()),
                o.reason.as_deref().unwrap_or("passes every level")
            ));
        }
    }
    if std::env::var_os("EVGEN_LADDER_BLESS").is_some() {
        let mut blessed = known.clone();
        blessed.floors = rates;
        blessed.schemas.retain(|_, (level, _)| *level == 3);
        for o in outcomes.iter().filter(|o| o.passed < 5 && o.passed != 2) {
            let level = o.passed + 1;
            // A reason written by hand survives as long as the level is the same.
            let reason = match known.schemas.get(o.name) {
                Some((old, reason)) if *old == level => reason.clone(),
                _ => o
                    .reason
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect(),
            };
            blessed.schemas.insert(o.name.to_owned(), (level, reason));
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("known-failures.toml");
        std::fs::write(&path, blessed.render()).expect("write known-failures.toml");
        eprintln!("blessed {}", path.display());
        return;
    }
    assert!(
        problems.is_empty(),
        "the ladder differs from known-failures.toml (EVGEN_LADDER_BLESS=1 rewrites it):\n  {}",
        problems.join("\n  ")
    );
}

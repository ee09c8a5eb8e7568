//! `evgen check`, `push` and `pull` end to end: the real catalogue committed in a
//! temporary git repository, changed the ways people change it, checked offline
//! (`--against git:HEAD`) and against a real evreg started in this process.
//!
//! Snapshots: re-bless with `EVGEN_BLESS=1 cargo test -p evgen-cli --test check`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{Registry, text, tmp};

/// Runs `evgen` in `dir`.
fn evgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evgen"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("evgen runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=evgen tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A git repository holding the workspace's catalogue in `schemas/`, committed.
fn repo(name: &str) -> PathBuf {
    let dir = tmp(name);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"),
        &dir.join("schemas"),
    );
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "catalogue"]);
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

const COUPON_LINE: &str = r#"{"name": "couponCode", "type": ["null", "string"], "default": null, "doc": "Coupon applied at checkout, if any."},"#;

/// A compatible change: a new optional field with a default.
fn compatible_change(repo: &Path) {
    edit(
        &repo.join("schemas/order/created.avsc"),
        COUPON_LINE,
        &format!(
            "{COUPON_LINE}\n    {}",
            r#"{"name": "giftNote", "type": ["null", "string"], "default": null},"#
        ),
    );
}

/// Three changes BACKWARD refuses: a field type change (customerId), a new
/// field without a default (coupon) and a removed enum symbol (CANCELLED, from
/// an enum without a default).
fn incompatible_changes(repo: &Path) {
    let created = repo.join("schemas/order/created.avsc");
    edit(
        &created,
        r#"{"name": "customerId", "type": {"type": "string", "logicalType": "uuid"}"#,
        r#"{"name": "customerId", "type": "long""#,
    );
    edit(
        &created,
        COUPON_LINE,
        &format!(
            "{COUPON_LINE}\n    {}",
            r#"{"name": "coupon", "type": "string"},"#
        ),
    );
    let status = repo.join("schemas/order/status.avsc");
    edit(&status, r#", "CANCELLED""#, "");
    edit(&status, ",\n  \"default\": \"UNKNOWN\"", "");
}

/// `(subject, rule, field)` of each finding of a `--format json` report.
fn findings(out: &Output) -> BTreeSet<(String, String, String)> {
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["subject"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("EVGEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{} is stale (re-bless with EVGEN_BLESS=1)",
        path.display()
    );
}

#[test]
fn help_is_stable() {
    let dir = tmp("help");
    for cmd in ["check", "push", "pull"] {
        let out = evgen(&dir, &[cmd, "--help"]);
        assert_eq!(code(&out), 0);
        snapshot(&format!("{cmd}-help.txt"), &text(&out.stdout));
    }
}

#[test]
fn the_unchanged_catalogue_passes() {
    let repo = repo("unchanged");
    let out = evgen(&repo, &["check", "--against", "git:HEAD"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("22 unchanged"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_compatible_change_passes() {
    let repo = repo("compatible");
    compatible_change(&repo);
    let out = evgen(
        &repo,
        &["check", "--catalog", "schemas", "--against", "git:HEAD"],
    );
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 changed"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn incompatible_changes_fail_and_name_the_field() {
    let repo = repo("incompatible");
    incompatible_changes(&repo);
    let out = evgen(
        &repo,
        &["check", "--against", "git:HEAD", "--format", "json"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let found = findings(&out);
    let created = "order-events-shop.order.OrderCreated";
    for (rule, field) in [
        ("TYPE_MISMATCH", "customerId"),
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "coupon"),
        ("MISSING_ENUM_SYMBOLS", "status"),
    ] {
        assert!(
            found.contains(&(created.into(), rule.into(), field.into())),
            "no {rule} on '{field}' in {found:?}"
        );
    }
    // The enum's own subject fails too, and so do the other events using it.
    assert!(found.contains(&(
        "shop.order.OrderStatus".into(),
        "MISSING_ENUM_SYMBOLS".into(),
        String::new()
    )));
    let human = evgen(&repo, &["check", "--against", "git:HEAD"]);
    assert_eq!(code(&human), 1);
    let h = text(&human.stdout);
    assert!(h.contains("hint: add a default to field 'coupon'"), "{h}");
    assert!(
        h.contains("keep symbol 'CANCELLED' or give the enum a default"),
        "{h}"
    );
    assert!(
        h.contains("schemas/order/created.avsc:18 field 'coupon'"),
        "{h}"
    );
}

#[test]
fn a_per_event_level_decides() {
    let repo = repo("levels");
    incompatible_changes(&repo);
    // Under NONE for the event (and the enum's subject via the default), nothing fails.
    edit(
        &repo.join("schemas/catalog.toml"),
        "compatibility = \"BACKWARD\"",
        "compatibility = \"NONE\"",
    );
    let out = evgen(&repo, &["check", "--against", "git:HEAD"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    // FORWARD on one event: a new required field is fine for old readers, a type
    // change is not.
    edit(
        &repo.join("schemas/catalog.toml"),
        "key = \"orderId\"\nversion = 1\n",
        "key = \"orderId\"\nversion = 2\ncompatibility = \"FORWARD\"\n",
    );
    let out = evgen(
        &repo,
        &["check", "--against", "git:HEAD", "--format", "json"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out.stdout));
    let found = findings(&out);
    assert!(
        found
            .iter()
            .all(|(s, _, _)| s == "order-events-shop.order.OrderCreated")
    );
    assert!(
        found
            .iter()
            .any(|(_, r, f)| r == "TYPE_MISMATCH" && f == "customerId")
    );
    assert!(!found.iter().any(|(_, _, f)| f == "coupon"), "{found:?}");
}

#[test]
fn a_broken_file_exits_2() {
    let repo = repo("broken");
    std::fs::write(
        repo.join("schemas/order/created.avsc"),
        "{\"type\": \"record\",",
    )
    .unwrap();
    let out = evgen(&repo, &["check", "--against", "git:HEAD"]);
    assert_eq!(code(&out), 2);
    let err = text(&out.stderr);
    assert!(
        err.contains("order/created.avsc") && err.contains("malformed JSON"),
        "{err}"
    );

    let repo = self::repo("unknown-rev");
    let out = evgen(&repo, &["check", "--against", "git:no-such-branch"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("unknown revision 'no-such-branch'"));
}

#[test]
fn the_lint_reports_every_problem() {
    let repo = repo("lint");
    let cat = repo.join("schemas/catalog.toml");
    edit(
        &cat,
        "topic = \"customer-events\"\nmembers",
        "topic = \"nowhere\"\nmembers",
    );
    edit(&cat, "key = \"productId\"", "key = \"productCode\"");
    edit(
        &cat,
        "topic = \"payment-events\"\nkey = \"orderId\"\nversion = 1\n\n[events.\"payment.failed\"]",
        "topic = \"payments\"\nkey = \"orderId\"\nversion = 1\n\n[events.\"payment.failed\"]",
    );
    edit(
        &repo.join("schemas/envelope.avsc"),
        r#"{"name": "source", "type": "string", "doc": "The producing service, e.g. order-service."},"#,
        "",
    );
    let out = evgen(&repo, &["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lint: Vec<String> = report["lint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}:{}: {}",
                l["file"].as_str().unwrap(),
                l["line"],
                l["message"].as_str().unwrap()
            )
        })
        .collect();
    let all = lint.join("\n");
    assert_eq!(lint.len(), 4, "{all}");
    assert!(
        all.contains("consumer group 'customer-analytics': topic 'nowhere'"),
        "{all}"
    );
    assert!(
        all.contains("partition key 'productCode' is not a field"),
        "{all}"
    );
    assert!(
        all.contains("event 'payment.processed': topic 'payments' is not defined"),
        "{all}"
    );
    assert!(
        all.contains("schemas/envelope.avsc") && all.contains("'source'"),
        "{all}"
    );

    // A nullable key, and two events on one subject.
    let repo = self::repo("lint2");
    let cat = repo.join("schemas/catalog.toml");
    edit(&cat, "key = \"customerId\"", "key = \"email\"");
    edit(
        &repo.join("schemas/customer/registered.avsc"),
        r#""name": "email", "type": "string""#,
        r#""name": "email", "type": ["null", "string"], "default": null"#,
    );
    edit(
        &cat,
        "subject_name_strategy = \"TopicRecordNameStrategy\"",
        "subject_name_strategy = \"TopicNameStrategy\"",
    );
    let out = evgen(&repo, &["check"]);
    assert_eq!(code(&out), 1);
    let h = text(&out.stdout);
    assert!(h.contains("partition key 'email' may be null"), "{h}");
    assert!(h.contains("share the subject 'order-events-value'"), "{h}");
}

#[test]
fn output_formats_are_stable() {
    let repo = repo("formats");
    incompatible_changes(&repo);
    for (format, file) in [
        ("human", "check-human.txt"),
        ("json", "check-json.txt"),
        ("github", "check-github.txt"),
    ] {
        let out = evgen(
            &repo,
            &["check", "--against", "git:HEAD", "--format", format],
        );
        assert_eq!(code(&out), 1, "{}", text(&out.stderr));
        // Not a terminal: no color codes.
        assert!(!text(&out.stdout).contains('\u{1b}'));
        snapshot(file, &text(&out.stdout));
    }
}

#[test]
fn the_registry_baseline_agrees_with_git() {
    let registry = Registry::start("agree");
    let url = registry.url.as_str();
    let repo = repo("agree");
    let push = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(
        code(&push),
        0,
        "{}{}",
        text(&push.stdout),
        text(&push.stderr)
    );

    let out = evgen(&repo, &["check", "--registry", url]);
    assert_eq!(code(&out), 0, "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("22 unchanged"),
        "{}",
        text(&out.stdout)
    );

    compatible_change(&repo);
    for baseline in [["--registry", url], ["--against", "git:HEAD"]] {
        let out = evgen(&repo, &["check", baseline[0], baseline[1]]);
        assert_eq!(code(&out), 0, "{baseline:?}: {}", text(&out.stdout));
        assert!(
            text(&out.stdout).contains("1 changed"),
            "{}",
            text(&out.stdout)
        );
    }

    git(&repo, &["checkout", "-q", "--", "schemas"]);
    incompatible_changes(&repo);
    let online = evgen(&repo, &["check", "--registry", url, "--format", "json"]);
    let offline = evgen(
        &repo,
        &["check", "--against", "git:HEAD", "--format", "json"],
    );
    assert_eq!(code(&online), 1, "{}", text(&online.stderr));
    assert_eq!(code(&offline), 1);
    assert_eq!(findings(&online), findings(&offline));
    let report: Value = serde_json::from_slice(&online.stdout).unwrap();
    let coupon = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "coupon")
        .unwrap();
    assert_eq!(coupon["old_version"], 1);
    assert_eq!(coupon["new_version"], 2);
    assert_eq!(coupon["hint"], "add a default to field 'coupon'");

    // push refuses the whole change, registering nothing.
    let push = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(code(&push), 1, "{}", text(&push.stderr));
    assert!(text(&push.stderr).contains("no schema was registered"));
    git(&repo, &["checkout", "-q", "--", "schemas"]);
    let again = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(code(&again), 0);
    assert!(
        text(&again.stdout).contains("nothing to change"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn unreachable_registry_exits_2() {
    let repo = repo("unreachable");
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = evgen(&repo, &["check", "--registry", &url]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("is the registry running?"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn push_then_pull_reproduces_the_catalogue() {
    let registry = Registry::start("roundtrip");
    let url = registry.url.as_str();
    let repo = repo("roundtrip");

    // A dry run changes nothing.
    let dry = evgen(&repo, &["push", "--registry", url, "--dry-run"]);
    assert_eq!(code(&dry), 0, "{}", text(&dry.stderr));
    assert!(
        text(&dry.stderr).contains("would create the subject"),
        "{}",
        text(&dry.stderr)
    );
    let pulled = repo.join("empty");
    let out = evgen(&repo, &["pull", "--registry", url, "--out", "empty"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("pulled 0 subject(s)"),
        "{}",
        text(&out.stdout)
    );
    let _ = std::fs::remove_dir_all(&pulled);

    let push = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(code(&push), 0, "{}", text(&push.stderr));
    let progress = text(&push.stderr);
    // References first: the shared types and the envelope come before any event.
    let first_event = progress
        .find("order-events-shop.order.OrderCreated: registered")
        .unwrap();
    assert!(progress.find("shop.common.Money: registered").unwrap() < first_event);
    assert!(progress.contains("[22/22]"), "{progress}");
    assert!(progress.contains("registered version 1 (id "), "{progress}");

    let again = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(code(&again), 0);
    assert!(
        text(&again.stdout).contains("nothing to change"),
        "{}",
        text(&again.stdout)
    );

    let out = evgen(&repo, &["pull", "--registry", url, "--out", "pulled"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // The pulled catalogue loads, lints clean, and every subject has the same
    // canonical schema as the original.
    let same = evgen(
        &repo,
        &[
            "check",
            "--catalog",
            "pulled",
            "--against",
            "schemas",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&same), 0, "{}", text(&same.stdout));
    let report: Value = serde_json::from_slice(&same.stdout).unwrap();
    let subjects = report["subjects"].as_array().unwrap();
    assert_eq!(subjects.len(), 22);
    assert!(
        subjects.iter().all(|s| s["status"] == "unchanged"),
        "{subjects:?}"
    );
    // evgen generates from it.
    let generated = evgen(&repo, &["generate", "pulled", "--out", "gen/events.rs"]);
    assert_eq!(code(&generated), 0, "{}", text(&generated.stderr));
    // Pushing the pulled catalogue changes nothing; pulling again writes nothing.
    let back = evgen(&repo, &["push", "--catalog", "pulled", "--registry", url]);
    assert_eq!(code(&back), 0, "{}", text(&back.stderr));
    assert!(
        text(&back.stdout).contains("nothing to change"),
        "{}",
        text(&back.stdout)
    );
    let out = evgen(&repo, &["pull", "--registry", url, "--out", "pulled"]);
    assert!(
        text(&out.stdout).contains("0 file(s) written"),
        "{}",
        text(&out.stdout)
    );

    // A per-event level round-trips too.
    edit(
        &repo.join("schemas/catalog.toml"),
        "key = \"orderId\"\nversion = 1\n",
        "key = \"orderId\"\nversion = 1\ncompatibility = \"FULL\"\n",
    );
    let push = evgen(&repo, &["push", "--registry", url]);
    assert_eq!(code(&push), 0, "{}", text(&push.stderr));
    assert!(
        text(&push.stderr).contains(
            "order-events-shop.order.OrderCreated: set compatibility FULL (was BACKWARD)"
        ),
        "{}",
        text(&push.stderr)
    );
    let out = evgen(&repo, &["pull", "--registry", url, "--out", "pulled2"]);
    assert_eq!(code(&out), 0);
    let toml = std::fs::read_to_string(repo.join("pulled2/catalog.toml")).unwrap();
    assert!(toml.contains("compatibility = \"FULL\""), "{toml}");
    let back = evgen(&repo, &["push", "--catalog", "pulled2", "--registry", url]);
    assert!(
        text(&back.stdout).contains("nothing to change"),
        "{}",
        text(&back.stderr)
    );
}

#[test]
fn a_revision_without_the_catalogue_makes_everything_new() {
    let dir = tmp("first-commit");
    std::fs::write(dir.join("README"), "before the catalogue\n").unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "start"]);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"),
        &dir.join("schemas"),
    );
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "catalogue"]);
    let out = evgen(&dir, &["check", "--against", "git:HEAD~1"]);
    assert_eq!(code(&out), 0, "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        text(&out.stdout).contains("22 new"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("every subject is new"));
}

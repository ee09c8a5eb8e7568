//! The corpus layout and the known-failures list, shared by `build.rs` (which
//! includes this file by path) and the ladder test.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The environment variable naming the folder that holds `schemastore/`.
pub const CORPORA_VAR: &str = "EVGEN_CORPORA";

/// One schema of the corpus.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The folder name (`tsconfig`).
    pub name: String,
    /// The folder.
    pub dir: PathBuf,
    /// Files under `refs/` the schema references.
    pub refs: Vec<RefFile>,
}

/// A referenced file.
#[derive(Debug, Clone)]
pub struct RefFile {
    /// Its path.
    pub path: PathBuf,
    /// The names `$ref`s use for it (from `MANIFEST.json`), plus its file name.
    pub names: Vec<String>,
}

/// Reads `MANIFEST.json` of the corpus folder `root` (`.../schemastore`).
pub fn schemas(root: &Path) -> Result<Vec<Schema>, String> {
    let path = root.join("MANIFEST.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let list = manifest
        .get("schemas")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}: no 'schemas' array", path.display()))?;
    let mut out = Vec::with_capacity(list.len());
    for entry in list {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: a schema without 'name'", path.display()))?;
        let dir = root.join(name);
        let mut refs = Vec::new();
        for r in entry
            .get("ref_files")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(file) = r.get("file").and_then(Value::as_str) else {
                continue;
            };
            let file_name = file.rsplit('/').next().unwrap_or(file).to_owned();
            let mut names: Vec<String> = r
                .get("ref_uris")
                .and_then(Value::as_array)
                .map(|u| {
                    u.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if !names.contains(&file_name) {
                names.push(file_name);
            }
            refs.push(RefFile {
                path: dir.join(file),
                names,
            });
        }
        out.push(Schema {
            name: name.to_owned(),
            dir,
            refs,
        });
    }
    Ok(out)
}

/// How many crates the generated code is split into (`shards/0` to `shards/3`).
pub const SHARDS: usize = 4;

/// Assigns each schema to one of `n` shards so their sizes (schema plus referenced
/// files, a fair proxy for the code generated) are about even: biggest first, each
/// to the lightest shard so far. The same corpus always gives the same split.
pub fn shards(schemas: &[Schema], n: usize) -> Vec<usize> {
    let size = |s: &Schema| -> u64 {
        let file = |p: &Path| fs::metadata(p).map_or(0, |m| m.len());
        file(&s.dir.join("schema.json")) + s.refs.iter().map(|r| file(&r.path)).sum::<u64>()
    };
    let mut order: Vec<(u64, usize)> = schemas
        .iter()
        .enumerate()
        .map(|(i, s)| (size(s), i))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut load = vec![0u64; n.max(1)];
    let mut out = vec![0; schemas.len()];
    for (bytes, i) in order {
        let lightest = (0..load.len()).min_by_key(|&k| (load[k], k)).unwrap_or(0);
        load[lightest] += bytes;
        out[i] = lightest;
    }
    out
}

/// The sample files of `dir/{valid,invalid}`, sorted by their number.
pub fn samples(dir: &Path, kind: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir.join(kind)) else {
        return Vec::new();
    };
    let mut files: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let k = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse().ok())
                .unwrap_or(u64::MAX);
            (k, p)
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p)| p).collect()
}

/// A Rust module name for a schema folder name (`dependabot-2.0` → `dependabot_2_0`).
pub fn module_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "s_");
    }
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
        "match", "mod", "move", "mut", "priv", "pub", "ref", "return", "self", "static", "struct",
        "super", "trait", "true", "try", "type", "unsafe", "use", "where", "while", "yield",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// The ladder's levels, in order.
pub const LEVELS: [&str; 5] = [
    "parses",
    "generates",
    "compiles",
    "valid samples round-trip",
    "invalid samples rejected",
];

/// The checked-in expectations: floors per level and the known failures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownFailures {
    /// The minimum number of schemas that must pass each level.
    pub floors: [usize; 5],
    /// Schema name → (first level it fails, 1-based; why).
    pub schemas: BTreeMap<String, (u8, String)>,
}

impl KnownFailures {
    /// Parses `known-failures.toml`.
    pub fn parse(text: &str) -> Result<KnownFailures, String> {
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("known-failures.toml: {e}"))?;
        let mut out = KnownFailures::default();
        if let Some(floor) = table.get("floor").and_then(toml::Value::as_table) {
            for (i, key) in ["parses", "generates", "compiles", "round_trips", "rejects"]
                .iter()
                .enumerate()
            {
                let n = floor
                    .get(*key)
                    .and_then(toml::Value::as_integer)
                    .unwrap_or(0);
                out.floors[i] = usize::try_from(n).unwrap_or(0);
            }
        }
        if let Some(schemas) = table.get("schemas").and_then(toml::Value::as_table) {
            for (name, entry) in schemas {
                let level = entry
                    .get("level")
                    .and_then(toml::Value::as_integer)
                    .and_then(|l| u8::try_from(l).ok())
                    .filter(|l| (1..=5).contains(l))
                    .ok_or_else(|| format!("known-failures.toml: '{name}' needs a level 1..=5"))?;
                let reason = entry
                    .get("reason")
                    .and_then(toml::Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                out.schemas.insert(name.clone(), (level, reason));
            }
        }
        Ok(out)
    }

    /// The file text (the inverse of [`KnownFailures::parse`]).
    pub fn render(&self) -> String {
        let mut s = String::from(
            "# The JSON ladder's expectations (see README.md next to this file).\n\
             #\n\
             # [floor]: the fewest schemas that must pass each level; the ladder fails below.\n\
             # [schemas]: every schema that does not pass all five levels, with the first\n\
             # level it fails. Level 3 entries are left out of the compiled crate (their\n\
             # generated code does not compile); the others are checked: a listed schema that\n\
             # now gets further, or an unlisted one that fails, fails the ladder.\n\
             # `EVGEN_LADDER_BLESS=1` rewrites levels 1, 2, 4 and 5 from what the ladder saw.\n\n",
        );
        let _ = writeln!(s, "[floor]");
        for (key, n) in ["parses", "generates", "compiles", "round_trips", "rejects"]
            .iter()
            .zip(self.floors)
        {
            let _ = writeln!(s, "{key} = {n}");
        }
        let _ = writeln!(s, "\n[schemas]");
        for (name, (level, reason)) in &self.schemas {
            let _ = writeln!(
                s,
                "{} = {{ level = {level}, reason = {} }}",
                toml_string(name),
                toml_string(reason)
            );
        }
        s
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

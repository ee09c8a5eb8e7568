// The build script of every `shards/<n>` crate (each `build.rs` sets `SHARD` and
// includes this file).
//
// It runs levels 1 and 2 of the ladder (parse with evreg-core, generate with evgen)
// over this shard's share of `$EVGEN_CORPORA/schemastore`, writes one module per
// generated schema into `OUT_DIR/schemas/`, and `OUT_DIR/shard.rs`: the modules plus
// the table the ladder test walks for levels 3 to 5. Schemas listed at level 3 in
// `known-failures.toml` are generated but left out of the compiled crate
// (`EVGEN_LADDER_ALL=1` puts them back, to see their errors);
// `EVGEN_LADDER_ONLY=a,b` builds just those schemas.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use evgen::json::{JsonFile, JsonSettings};
use evgen_json_ladder::corpus;
use evreg_core::json::JsonSchema;
use evreg_core::{Dependency, SchemaType};

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

/// The file the test crate and the shards read expectations from.
const KNOWN_FAILURES: &str = "../../known-failures.toml";

fn main() -> Result<()> {
    println!("cargo:rerun-if-env-changed={}", corpus::CORPORA_VAR);
    println!("cargo:rerun-if-env-changed=EVGEN_LADDER_ALL");
    println!("cargo:rerun-if-env-changed=EVGEN_LADDER_ONLY");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../../shard.rs");
    println!("cargo:rerun-if-changed={KNOWN_FAILURES}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let Some(corpora) = std::env::var_os(corpus::CORPORA_VAR) else {
        write(
            &out.join("shard.rs"),
            "/// The corpus folder (`None`: `EVGEN_CORPORA` was not set).\n\
             pub const CORPUS: Option<&str> = None;\n\
             /// Whether only some schemas were built (`EVGEN_LADDER_ONLY`).\n\
             pub const PARTIAL: bool = false;\n\
             /// This part's schemas and how far the build got.\n\
             pub static SCHEMAS: &[evgen_json_ladder::Entry] = &[];\n",
        )?;
        return Ok(());
    };
    let root = PathBuf::from(corpora).join("schemastore");
    println!("cargo:rerun-if-changed={}", root.display());
    let known = fs::read_to_string(KNOWN_FAILURES).map_err(|e| format!("{KNOWN_FAILURES}: {e}"))?;
    let known = corpus::KnownFailures::parse(&known)?;
    let all = std::env::var_os("EVGEN_LADDER_ALL").is_some();
    let mut schemas = corpus::schemas(&root)?;
    let shard = corpus::shards(&schemas, corpus::SHARDS);
    let mut i = 0;
    schemas.retain(|_| {
        i += 1;
        shard[i - 1] == SHARD
    });
    let only = std::env::var("EVGEN_LADDER_ONLY").unwrap_or_default();
    if !only.is_empty() {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        schemas.retain(|s| only.contains(&s.name.as_str()));
    }

    let mut modules = String::new();
    let mut table = String::new();
    let mut diagnostics = String::new();
    for schema in &schemas {
        let module = corpus::module_name(&schema.name);
        let name = &schema.name;
        let outcome = match generate(schema) {
            Err(Failure::Parse(e)) => format!("NotParsed({})", lit(&e)),
            Err(Failure::Generate(e)) => format!("NotGenerated({})", lit(&e)),
            Ok((code, root_type, notes)) => {
                let file = out.join("schemas").join(format!("{module}.rs"));
                write(&file, &code)?;
                for d in &notes {
                    let _ = writeln!(diagnostics, "{name}: {d}");
                }
                match known.schemas.get(name) {
                    Some((3, reason)) if !all => format!("NotCompiled({})", lit(reason)),
                    _ => {
                        let _ = writeln!(
                            modules,
                            "    pub mod {module} {{ include!(concat!(env!(\"OUT_DIR\"), \"/schemas/{module}.rs\")); }}"
                        );
                        format!(
                            "Compiled {{ check: evgen_json_ladder::round_trip::<schemas::{module}::{root_type}>, diagnostics: {} }}",
                            notes.len()
                        )
                    }
                }
            }
        };
        let _ = writeln!(
            table,
            "    evgen_json_ladder::Entry {{ name: {}, built: evgen_json_ladder::Built::{outcome} }},",
            lit(name)
        );
    }
    let text = format!(
        "/// The corpus folder.\n\
         pub const CORPUS: Option<&str> = Some({corpus});\n\n\
         /// Whether only some schemas were built (`EVGEN_LADDER_ONLY`).\n\
         pub const PARTIAL: bool = {partial};\n\n\
         /// The generated modules, one per schema.\n\
         #[allow(dead_code, missing_docs, unused_imports, clippy::all, clippy::pedantic, rustdoc::all)]\n\
         pub mod schemas {{\n{modules}}}\n\n\
         /// This part's schemas and how far the build got.\n\
         pub static SCHEMAS: &[evgen_json_ladder::Entry] = &[\n{table}];\n",
        corpus = lit(&root.to_string_lossy()),
        partial = !only.is_empty(),
    );
    write(&out.join("shard.rs"), &text)?;
    write(&out.join("diagnostics.txt"), &diagnostics)?;
    Ok(())
}

enum Failure {
    Parse(String),
    Generate(String),
}

/// Levels 1 and 2 for one schema: the generated code, its root type's name and the
/// diagnostics.
fn generate(schema: &corpus::Schema) -> Result<(String, String, Vec<String>), Failure> {
    let main_path = schema.dir.join("schema.json");
    let text = fs::read_to_string(&main_path).map_err(|e| Failure::Parse(e.to_string()))?;
    let mut files = vec![JsonFile {
        label: format!("{}/schema.json", schema.name),
        stem: schema.name.clone(),
        names: Vec::new(),
        text: text.clone(),
        root: true,
        root_name: None,
    }];
    let mut deps = Vec::new();
    for r in &schema.refs {
        let ref_text = fs::read_to_string(&r.path).map_err(|e| Failure::Parse(e.to_string()))?;
        for name in &r.names {
            deps.push(Dependency {
                name: name.clone(),
                schema_type: SchemaType::Json,
                schema: ref_text.clone(),
            });
        }
        let file_name = r.names.last().cloned().unwrap_or_default();
        files.push(JsonFile {
            label: format!("{}/refs/{file_name}", schema.name),
            stem: file_name.trim_end_matches(".json").to_owned(),
            names: r.names.clone(),
            text: ref_text,
            root: false,
            root_name: None,
        });
    }
    JsonSchema::parse(&text, &deps).map_err(|e| Failure::Parse(e.to_string()))?;
    let settings = JsonSettings {
        json_fallback: true,
        ..JsonSettings::default()
    };
    let out =
        evgen::json::lower(&files, &settings).map_err(|e| Failure::Generate(e.to_string()))?;
    let root = out
        .roots
        .first()
        .ok_or_else(|| Failure::Generate("no root type".to_owned()))?;
    let code = evgen::emit::to_file(&out.space, &files[0].label)
        .map_err(|e| Failure::Generate(e.to_string()))?;
    let notes = out.diagnostics.iter().map(ToString::to_string).collect();
    Ok((code, root.name.clone(), notes))
}

/// A Rust string literal.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn write(path: &Path, text: &str) -> Result<()> {
    evgen::write_if_changed(path, text)?;
    Ok(())
}

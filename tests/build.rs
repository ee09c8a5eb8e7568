//! Runs evgen over the real catalogue exactly as a service's build.rs would, then
//! builds the round-trip table (`$OUT_DIR/cases.rs`):
//!
//! - every codegen golden fixture, compiled from its checked-in snapshot, so the
//!   snapshots are reviewed *and* compiled *and* round-tripped;
//! - when `EVGEN_CORPORA` is set at build time, every Avro schema of
//!   `$EVGEN_CORPORA/avro`, generated into `$OUT_DIR/corpus/`. A schema evgen
//!   refuses becomes a case that records the error, so the test reports it.

use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn avsc_files(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    out.retain(|p| p.extension().is_some_and(|e| e == "avsc"));
    out.sort();
    Ok(out)
}

fn module_name(prefix: &str, stem: &str) -> String {
    let mut cleaned = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            cleaned.push(c.to_ascii_lowercase());
        } else if !cleaned.ends_with('_') {
            cleaned.push('_');
        }
    }
    format!("{prefix}_{}", cleaned.trim_end_matches('_'))
}

fn rust_path(module: &str, root: &evgen::ir::TypePath) -> String {
    let mut p = format!("{module}::");
    for m in &root.module {
        p.push_str(m);
        p.push_str("::");
    }
    p.push_str(&root.name);
    p
}

fn case(name: &str, schema: &Path, run: Option<&str>, error: Option<&str>) -> String {
    let run = run.map_or("None".to_owned(), |p| {
        // The probe is resolved here, where the type is named: `Some` reader
        // exactly for the types evgen gave a `ReadDatum`.
        format!(
            "Some(|s, r, n| {{ #[allow(unused_imports)] use crate::harness::{{NoDatum as _, ViaDatum as _}}; \
             #[allow(clippy::needless_borrow)] let reader = (&crate::harness::Probe::<{p}>::new()).reader(); \
             crate::harness::roundtrip::<{p}>(s, r, n, reader) }})"
        )
    });
    format!(
        "    crate::harness::Case {{ name: {name:?}, schema: include_str!({:?}), run: {run}, error: {:?} }},\n",
        schema.display(),
        error
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    // The real catalogue, the way services use evgen.
    evgen::Config::new().catalog("../schemas").compile()?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut modules = String::new();
    let mut cases = String::new();

    let fixtures = fs::canonicalize("../codegen/tests/fixtures")?;
    println!("cargo:rerun-if-changed={}", fixtures.display());
    for avsc in avsc_files(&fixtures)? {
        let snapshot = avsc.with_extension("rs");
        println!("cargo:rerun-if-changed={}", avsc.display());
        println!("cargo:rerun-if-changed={}", snapshot.display());
        let stem = avsc
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let module = module_name("fixture", &stem);
        let loaded = evgen::Config::new().input(&avsc).load()?;
        let root = loaded.roots.first().and_then(|(_, r)| r.clone());
        writeln!(
            modules,
            "/// Snapshot of `{stem}.avsc`.\npub mod {module} {{ include!({:?}); }}",
            snapshot.display()
        )?;
        let run = root.map(|r| rust_path(&module, &r));
        cases.push_str(&case(
            &format!("fixtures/{stem}.avsc"),
            &avsc,
            run.as_deref(),
            None,
        ));
    }

    // IR shapes only a JSON Schema front end produces, emitted from hand-built IR.
    let constructs = fs::canonicalize("../codegen/tests/ir/constructs.rs")?;
    println!("cargo:rerun-if-changed={}", constructs.display());
    writeln!(
        modules,
        "/// Snapshot of codegen's IR emission test.\npub mod ir_constructs {{ include!({:?}); }}",
        constructs.display()
    )?;

    println!("cargo:rerun-if-env-changed=EVGEN_CORPORA");
    let corpora = std::env::var_os("EVGEN_CORPORA").map(PathBuf::from);
    if let Some(dir) = &corpora {
        let avro = dir.join("avro");
        println!("cargo:rerun-if-changed={}", avro.display());
        let gen_dir = out_dir.join("corpus");
        fs::create_dir_all(&gen_dir)?;
        for avsc in avsc_files(&avro)? {
            let stem = avsc
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let module = module_name("corpus", &stem);
            let name = format!("avro/{stem}.avsc");
            let generate = |root_name: Option<&str>| {
                let mut config = evgen::Config::new();
                config.input(&avsc);
                if let Some(r) = root_name {
                    config.root_name(r);
                }
                config
                    .load()
                    .and_then(|l| Ok((evgen::emit::to_file(&l.space, &l.source)?, l.roots)))
            };
            let mut generated = generate(None);
            // A file that only lists types has no root; name one to round-trip it.
            if matches!(&generated, Ok((_, roots)) if roots.iter().all(|(_, r)| r.is_none())) {
                generated = generate(Some("Root"));
            }
            match generated {
                Ok((text, roots)) => {
                    let file = gen_dir.join(format!("{module}.rs"));
                    evgen::write_if_changed(&file, &text)?;
                    writeln!(
                        modules,
                        "/// Generated from corpus schema `{stem}.avsc`.\npub mod {module} {{ include!({:?}); }}",
                        file.display()
                    )?;
                    let run = roots
                        .first()
                        .and_then(|(_, r)| r.as_ref())
                        .map(|r| rust_path(&module, r));
                    let error = run
                        .is_none()
                        .then_some("the schema has no root type to round-trip");
                    cases.push_str(&case(&name, &avsc, run.as_deref(), error));
                }
                Err(e) => cases.push_str(&case(&name, &avsc, None, Some(&e.to_string()))),
            }
        }
    }
    let table = format!(
        "{modules}\n/// Whether `EVGEN_CORPORA` was set when this crate was built.\n\
         pub const CORPORA_SET: bool = {};\n\n\
         /// Every schema to round-trip.\npub const CASES: &[crate::harness::Case] = &[\n{cases}];\n",
        corpora.is_some()
    );
    evgen::write_if_changed(&out_dir.join("cases.rs"), &table)?;
    Ok(())
}

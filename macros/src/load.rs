//! Reading a schema file at compile time, with the catalogue around it.
//!
//! The file's path is relative to the crate being compiled. Types it uses from
//! other files are found in the catalogue folder (the nearest ancestor holding
//! `catalog.toml`, else the file's own folder); the catalogue also supplies an
//! event's topic, key, version and subject when the attribute leaves them out.

use std::path::{Path, PathBuf};

use evgen::avro::{SourceFile, parse_all};
use evgen::ir::EventDef;
use evreg_core::avro::AvroSchema;

/// A schema file, parsed.
pub(crate) struct Loaded {
    /// The absolute path (for `include_str!`, so Cargo rebuilds on change).
    pub path: PathBuf,
    /// The schema, with types from other files resolved.
    pub schema: AvroSchema,
    /// The schema with those types written inline: what the registry gets.
    pub self_contained: String,
    /// The catalogue's entry for the event type, if it lists it.
    pub event: Option<CatalogEvent>,
}

/// What the catalogue says of an event.
pub(crate) struct CatalogEvent {
    pub source: String,
    pub topic: String,
    pub version: u32,
    pub key: Option<String>,
}

fn catalogue_root(file: &Path) -> PathBuf {
    let start = file.parent().unwrap_or(Path::new("."));
    start
        .ancestors()
        .find(|d| d.join(evgen::catalog::CATALOG_FILE).is_file())
        .unwrap_or(start)
        .to_path_buf()
}

fn avsc_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            avsc_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "avsc") {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads `relative` (to the crate's manifest folder, else to `source_dir`, the
/// folder of the file holding the derive) and, for an event, its catalogue
/// entry. Errors are sentences naming the file.
pub(crate) fn load(
    relative: &str,
    source_dir: Option<&Path>,
    event_type: Option<&str>,
) -> Result<Loaded, String> {
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut path = base.join(relative);
    if !path.exists()
        && let Some(beside) = source_dir.map(|d| d.join(relative)).filter(|p| p.exists())
    {
        path = beside;
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read schema file {}: {e}", path.display()))?;
    let root = catalogue_root(&path);
    let mut files = Vec::new();
    avsc_files(&root, &mut files)
        .map_err(|e| format!("cannot list schema files in {}: {e}", root.display()))?;
    let label = |p: &Path| {
        p.strip_prefix(&base)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut sources = vec![SourceFile {
        label: label(&path),
        stem: stem(&path),
        text,
    }];
    for f in files.iter().filter(|f| !same_file(f, &path)) {
        let text = std::fs::read_to_string(f)
            .map_err(|e| format!("cannot read schema file {}: {e}", f.display()))?;
        sources.push(SourceFile {
            label: label(f),
            stem: stem(f),
            text,
        });
    }
    let mut parsed = parse_all(sources).map_err(|e| e.to_string())?;
    let first = parsed.swap_remove(0);
    let event = match event_type {
        Some(t) if root.join(evgen::catalog::CATALOG_FILE).is_file() => catalogue_event(&root, t)?,
        _ => None,
    };
    let path = path.canonicalize().unwrap_or(path);
    Ok(Loaded {
        path,
        schema: first.schema,
        self_contained: first.self_contained,
        event,
    })
}

fn catalogue_event(root: &Path, event_type: &str) -> Result<Option<CatalogEvent>, String> {
    let loaded = evgen::Config::new()
        .catalog(root)
        .load()
        .map_err(|e| e.to_string())?;
    Ok(loaded
        .space
        .events
        .get(event_type)
        .map(|e: &EventDef| CatalogEvent {
            source: e.source.clone(),
            topic: e.topic.clone(),
            version: e.version,
            key: e.partition_key.clone(),
        }))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

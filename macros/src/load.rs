//! Reading a schema at compile time: a file with the catalogue around it, or
//! text given inline.
//!
//! A file's path is relative to the crate being compiled. An Avro file's types
//! from other files are found in the catalogue folder (the nearest ancestor
//! holding `catalog.toml`, else the file's own folder); the catalogue also
//! supplies an event's topic, key, version and subject when the attribute
//! leaves them out. A `.json` file is a JSON Schema, read on its own.
//!
//! Inline text (`schema_text`) is what evgen emits: the schema already
//! self-contained, with every piece of metadata in the attribute, so the
//! generated type does not depend on where its file ended up.

use std::path::{Path, PathBuf};

use evgen::avro::{SourceFile, parse_all};
use evgen::ir::EventDef;
use evreg_core::avro::AvroSchema;
use evreg_core::schema::{SchemaType, parse_standalone};

/// A parsed schema of either format.
pub(crate) enum Body {
    /// An Avro schema, with types from other files resolved.
    Avro(Box<AvroSchema>),
    /// A JSON Schema document.
    Json(serde_json::Value),
}

/// A schema, parsed.
pub(crate) struct Loaded {
    /// The file's absolute path (for `include_str!`, so Cargo rebuilds on
    /// change); `None` for inline text.
    pub path: Option<PathBuf>,
    /// The schema.
    pub body: Body,
    /// The self-contained text: what the registry gets.
    pub text: String,
    /// The catalogue's entry for the event type, if it lists it.
    pub event: Option<CatalogEvent>,
}

impl Loaded {
    /// `AVRO` or `JSON`, as the registry names the format.
    pub(crate) fn schema_type(&self) -> &'static str {
        match self.body {
            Body::Avro(_) => "AVRO",
            Body::Json(_) => "JSON",
        }
    }
}

/// What the catalogue says of an event.
pub(crate) struct CatalogEvent {
    pub source: String,
    pub topic: String,
    pub version: u32,
    pub key: Option<String>,
}

/// Parses schema text given in the attribute (`what` names it in errors).
pub(crate) fn load_inline(text: &str, json: bool, what: &str) -> Result<Loaded, String> {
    let body = if json {
        json_body(text, what)?.0
    } else {
        let mut parsed = parse_all(vec![SourceFile {
            label: what.to_owned(),
            stem: what.to_owned(),
            text: text.to_owned(),
        }])
        .map_err(|e| e.to_string())?;
        Body::Avro(Box::new(parsed.swap_remove(0).schema))
    };
    Ok(Loaded {
        path: None,
        body,
        text: text.to_owned(),
        event: None,
    })
}

/// A JSON Schema: checked against its meta-schema (by evreg-core, as the
/// registry would), and its canonical text.
fn json_body(text: &str, what: &str) -> Result<(Body, String), String> {
    let parsed = parse_standalone(SchemaType::Json, text)
        .map_err(|e| format!("{what} is not a valid JSON Schema: {e}"))?;
    let value = serde_json::from_str(text)
        .map_err(|e| format!("{what} is not a valid JSON Schema: {e}"))?;
    Ok((Body::Json(value), parsed.canonical().to_owned()))
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
/// folder of the file holding the derive) and, for an Avro event, its catalogue
/// entry. Errors are sentences naming the file.
pub(crate) fn load_file(
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
    if path.extension().is_some_and(|e| e == "json") {
        let (body, canonical) = json_body(&text, &format!("schema file {relative}"))?;
        return Ok(Loaded {
            path: Some(path.canonicalize().unwrap_or(path)),
            body,
            text: canonical,
            event: None,
        });
    }
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
        path: Some(path),
        body: Body::Avro(Box::new(first.schema)),
        text: first.self_contained,
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

//! The front door: which inputs, which options, where the output goes.
//!
//! [`Config::load`] parses and lowers (inspect the IR before generating, like
//! prost-build's `load_fds`); [`Config::generate`] returns the Rust source;
//! [`Config::compile`] is the build.rs path: it writes into `OUT_DIR` only when the
//! output changed and prints `cargo:rerun-if-changed` for every input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::avro::{self, SourceFile};
use crate::catalog::{CATALOG_FILE, Catalog, FileInfo};
use crate::error::Error;
use crate::ir::TypeSpace;
use crate::json::files::{self as json_files, JsonSource};

/// Generator settings and inputs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    inputs: Vec<PathBuf>,
    sources: Vec<SourceFile>,
    json_sources: Vec<JsonSource>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    json_fallback: bool,
    root_name: Option<String>,
}

/// A loaded input set: the IR plus what was read, for inspection or emission.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The types, events and topics.
    pub space: TypeSpace,
    /// Every file and folder read, for `cargo:rerun-if-changed`.
    pub read: Vec<PathBuf>,
    /// How the inputs are named in the generated header.
    pub source: String,
    /// Each schema file (by label) with the path of its root type, if it has one.
    pub roots: Vec<(String, Option<crate::ir::TypePath>)>,
    /// What the JSON Schema files' types do not express exactly (constructs typed as
    /// `serde_json::Value` with [`Config::json_fallback`], checks not enforced).
    pub diagnostics: Vec<crate::json::Diagnostic>,
}

/// How a path is named in messages, `$ref`s and the generated header.
pub(crate) fn label(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Schema files (`*.avsc`, `*.json`) under `dir`, sorted, plus every folder visited.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) -> Result<(), Error> {
    dirs.push(dir.to_path_buf());
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, files, dirs)?;
        } else if p.extension().is_some_and(|e| e == "avsc") || json_files::is_schema_file(&p) {
            files.push(p);
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What was read, before parsing.
struct Inputs {
    sources: Vec<SourceFile>,
    /// JSON Schema files, inputs first, then the files they reference.
    json: Vec<JsonSource>,
    read_paths: Vec<PathBuf>,
    catalogs: Vec<CatalogInput>,
    source: String,
}

/// One catalogue: its file and the schema files it can name, by relative path.
struct CatalogInput {
    label: String,
    text: String,
    catalog: Catalog,
    /// Relative path to index into the source list.
    files: BTreeMap<String, usize>,
}

impl Config {
    /// No inputs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a catalogue folder: every `.avsc` and `.json` (JSON Schema) under it,
    /// and its `catalog.toml` if present (events, topics, consumer groups).
    pub fn catalog(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.inputs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Adds a schema file (`.avsc`, or JSON Schema: `.json`, `.schema.json`) or a
    /// folder (same as [`Config::catalog`] for folders). A JSON Schema `$ref` to a
    /// relative file (`common.json#/$defs/Money`) reads that file too.
    pub fn input(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.inputs.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds one schema file: `.avsc`, or JSON Schema (`.json`, `.schema.json`).
    /// Adds a JSON Schema held in memory whatever its label (a registry subject,
    /// say). `names` are what other in-memory schemas' `$ref`s call it (a registry
    /// reference's `name`), `stem` what its root type is named after when it has
    /// no `title`, and `root` whether its root type is generated (`false` for a
    /// schema that is only referenced: its definitions still are).
    pub fn json_source(
        &mut self,
        label: impl Into<String>,
        text: impl Into<String>,
        names: Vec<String>,
        stem: impl Into<String>,
        root: bool,
    ) -> &mut Self {
        self.json_sources.push(JsonSource {
            label: label.into(),
            path: None,
            text: text.into(),
            root,
            names,
            stem: Some(stem.into()),
        });
        self
    }

    /// The same as [`Config::input`], named for what it takes.
    pub fn schema(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.input(path)
    }

    /// Adds a schema held in memory (fetched from a registry, say), named `label`
    /// in messages. A label ending in `.json` is a JSON Schema (other in-memory
    /// JSON Schemas can `$ref` it by its label); anything else is Avro.
    pub fn source(&mut self, label: impl Into<String>, text: impl Into<String>) -> &mut Self {
        let label = label.into();
        if label.ends_with(".json") {
            self.json_sources.push(JsonSource {
                label,
                path: None,
                text: text.into(),
                root: true,
                names: Vec::new(),
                stem: None,
            });
            return self;
        }
        let stem = label
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(&label)
            .trim_end_matches(".avsc")
            .to_owned();
        self.sources.push(SourceFile {
            label,
            stem,
            text: text.into(),
        });
        self
    }

    /// Where [`Config::compile`] writes (default: `$OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The output file name (default `evgen.rs`).
    pub fn output_file(&mut self, name: impl Into<String>) -> &mut Self {
        self.file_name = Some(name.into());
        self
    }

    /// Map constructs evgen cannot type to `serde_json::Value` instead of failing.
    pub fn json_fallback(&mut self, on: bool) -> &mut Self {
        self.json_fallback = on;
        self
    }

    /// Names the root type of the (single) input schema, overriding its own name
    /// (an Avro name, a JSON Schema `title` or the file name).
    pub fn root_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.root_name = Some(name.into());
        self
    }

    /// The output file name.
    pub fn file_name(&self) -> &str {
        self.file_name.as_deref().unwrap_or("evgen.rs")
    }

    /// Reads, parses and lowers every input.
    pub fn load(&self) -> Result<Loaded, Error> {
        let inputs = self.read_inputs()?;
        self.build(inputs)
    }

    /// Reads every input file (nothing is parsed but `catalog.toml`).
    fn read_inputs(&self) -> Result<Inputs, Error> {
        let mut sources = Vec::new();
        let mut json = Vec::new();
        let mut read_paths = Vec::new();
        let mut catalogs = Vec::new();
        for input in &self.inputs {
            let (dir, files) = if input.is_dir() {
                let mut files = Vec::new();
                walk(input, &mut files, &mut read_paths)?;
                (Some(input.clone()), files)
            } else if input.file_name().is_some_and(|n| n == CATALOG_FILE) {
                let dir = input.parent().map(Path::to_path_buf).unwrap_or_default();
                let mut files = Vec::new();
                walk(&dir, &mut files, &mut read_paths)?;
                (Some(dir), files)
            } else if input.extension().is_some_and(|e| e == "avsc")
                || json_files::is_schema_file(input)
            {
                (None, vec![input.clone()])
            } else if !input.exists() {
                return Err(Error::io(
                    input,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
                ));
            } else {
                return Err(Error::schema(
                    crate::ir::Origin {
                        file: label(input),
                        pointer: String::new(),
                    },
                    "unsupported input: expected a .avsc or .json (JSON Schema) file, or a folder",
                ));
            };
            let mut rel_index = BTreeMap::new();
            for f in files {
                let text = read(&f)?;
                if json_files::is_schema_file(&f) {
                    read_paths.push(f.clone());
                    json.push(JsonSource {
                        label: label(&f),
                        path: Some(f),
                        text,
                        root: true,
                        names: Vec::new(),
                        stem: None,
                    });
                    continue;
                }
                if let Some(d) = &dir
                    && let Ok(rel) = f.strip_prefix(d)
                {
                    rel_index.insert(label(rel), sources.len());
                }
                read_paths.push(f.clone());
                sources.push(SourceFile {
                    label: label(&f),
                    stem: stem(&f),
                    text,
                });
            }
            if let Some(d) = dir {
                let cat_path = d.join(CATALOG_FILE);
                if cat_path.is_file() {
                    let cat_label = label(&cat_path);
                    let text = read(&cat_path)?;
                    read_paths.push(cat_path);
                    catalogs.push(CatalogInput {
                        catalog: Catalog::parse(&cat_label, &text)?,
                        label: cat_label,
                        text,
                        files: rel_index,
                    });
                }
            }
        }
        sources.extend(self.sources.iter().cloned());
        json.extend(self.json_sources.iter().cloned());
        json_files::link(&mut json, &mut read_paths)?;
        let mut source_labels: Vec<String> = self.inputs.iter().map(|p| label(p)).collect();
        source_labels.extend(self.sources.iter().map(|s| s.label.clone()));
        source_labels.extend(self.json_sources.iter().map(|s| s.label.clone()));
        Ok(Inputs {
            sources,
            json,
            read_paths,
            catalogs,
            source: source_labels.join(", "),
        })
    }

    /// Parses and lowers what [`Config::read_inputs`] read.
    fn build(&self, inputs: Inputs) -> Result<Loaded, Error> {
        let Inputs {
            sources,
            json,
            read_paths,
            catalogs,
            source,
        } = inputs;
        let root_name = self.root_name.as_deref();
        let schema_files = sources.len() + json.iter().filter(|j| j.root).count();
        if root_name.is_some() && schema_files > 1 {
            return Err(Error::schema(
                crate::ir::Origin {
                    file: source.clone(),
                    pointer: String::new(),
                },
                format!(
                    "a root name names the root type of one schema, but {schema_files} schema files were given"
                ),
            ));
        }
        let parsed = avro::parse_all(sources)?;
        let mut space = avro::lower_all(&parsed, self.json_fallback, root_name)?;
        let mut diagnostics = Vec::new();
        let mut json_roots = Vec::new();
        if !json.is_empty() {
            let files: Vec<crate::json::JsonFile> =
                json.iter().map(|j| j.to_file(root_name)).collect();
            let settings = crate::json::JsonSettings {
                json_fallback: self.json_fallback,
                ..Default::default()
            };
            let out = crate::json::lower(&files, &settings)?;
            // One type space for both languages: a JSON type and an Avro type that
            // claim one Rust path are a conflict naming both files.
            for def in out.space.types.into_values() {
                space.insert(def)?;
            }
            for (module, doc) in out.space.module_docs {
                space.module_docs.entry(module).or_insert(doc);
            }
            let labels = json.iter().filter(|j| j.root).map(|j| j.label.clone());
            json_roots.extend(labels.zip(out.roots.into_iter().map(Some)));
            diagnostics = out.diagnostics;
        }
        for c in &catalogs {
            let infos: BTreeMap<String, FileInfo> = c
                .files
                .iter()
                .map(|(rel, &i)| {
                    let p = &parsed[i];
                    let model = p.schema.model();
                    let info = FileInfo {
                        root: avro::root_path(p, None),
                        full_name: model.node(model.root).name().map(|n| n.fullname()),
                        self_contained: p.self_contained.clone(),
                    };
                    (rel.clone(), info)
                })
                .collect();
            c.catalog.apply(&c.label, &infos, &mut space)?;
        }
        let roots = parsed
            .iter()
            .map(|p| {
                let path = avro::root_path(p, root_name).or_else(|| {
                    // An unnamed root became an alias or enum named after the file.
                    let name = crate::naming::type_name(root_name.unwrap_or(&p.file.stem));
                    let path = crate::ir::TypePath {
                        module: Vec::new(),
                        name,
                    };
                    space.types.contains_key(&path).then_some(path)
                });
                (p.file.label.clone(), path)
            })
            .chain(json_roots)
            .collect();
        Ok(Loaded {
            space,
            read: read_paths,
            source,
            roots,
            diagnostics,
        })
    }

    /// The generated Rust source.
    pub fn generate(&self) -> Result<String, Error> {
        let loaded = self.load()?;
        crate::emit::to_file(&loaded.space, &loaded.source)
    }

    /// Generates into the output folder (default `$OUT_DIR`), writing only when the
    /// content changed, and (when run by cargo as a build script) prints
    /// `cargo:rerun-if-changed` for every file and folder read.
    /// Returns the path of the generated file.
    pub fn compile(&self) -> Result<PathBuf, Error> {
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or_else(|| {
                Error::io(
                    "OUT_DIR",
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "OUT_DIR is not set: call compile() from build.rs, or set Config::out_dir",
                    ),
                )
            })?,
        };
        let inputs = self.read_inputs()?;
        // Only a build script (which cargo gives OUT_DIR) talks to cargo.
        if std::env::var_os("OUT_DIR").is_some() {
            for p in &inputs.read_paths {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
        let out = out_dir.join(self.file_name());
        // Same inputs, same generator binary: the output is already right. This keeps
        // a build script that cargo reruns for an unrelated reason cheap.
        let fingerprint = self.fingerprint(&inputs);
        let stamp = out_dir.join(format!("{}.fingerprint", self.file_name()));
        if out.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint) {
            return Ok(out);
        }
        let loaded = self.build(inputs)?;
        if std::env::var_os("OUT_DIR").is_some() {
            // What became `serde_json::Value` (the user opted in) is worth a warning;
            // unenforced checks are many and stay in `Loaded::diagnostics`.
            for d in &loaded.diagnostics {
                if d.kind == crate::json::DiagnosticKind::Fallback {
                    println!("cargo:warning=evgen: {d}");
                }
            }
        }
        let text = crate::emit::to_file(&loaded.space, &loaded.source)?;
        write_if_changed(&out, &text)?;
        write_if_changed(&stamp, &fingerprint)?;
        Ok(out)
    }

    /// A hash of everything the output depends on: the inputs, the options, and the
    /// generator itself (its version, and the running binary's modification time, so
    /// a rebuilt build script regenerates).
    fn fingerprint(&self, inputs: &Inputs) -> String {
        let mut h = Fnv::default();
        h.add(env!("CARGO_PKG_VERSION").as_bytes());
        let exe = std::env::current_exe()
            .and_then(fs::metadata)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.add(&exe.to_le_bytes());
        h.add(&[u8::from(self.json_fallback)]);
        h.add(self.root_name.as_deref().unwrap_or("").as_bytes());
        h.add(inputs.source.as_bytes());
        for s in &inputs.sources {
            h.add(s.label.as_bytes());
            h.add(s.text.as_bytes());
        }
        for j in &inputs.json {
            h.add(j.label.as_bytes());
            h.add(j.text.as_bytes());
            h.add(&[u8::from(j.root)]);
        }
        for c in &inputs.catalogs {
            h.add(c.label.as_bytes());
            h.add(c.text.as_bytes());
        }
        format!("{:016x}", h.0)
    }
}

/// Writes `text` to `path` unless it already holds exactly that, so an unchanged
/// output keeps its mtime and dependants do not rebuild.
pub fn write_if_changed(path: &Path, text: &str) -> Result<bool, Error> {
    if fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(false);
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    fs::write(path, text).map_err(|e| Error::io(path, e))?;
    Ok(true)
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`. Each part
/// is length-prefixed so concatenations cannot collide.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

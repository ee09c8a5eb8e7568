//! `evgen generate`: files, folders or a registry subject to one Rust file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{Status, registry};

/// Arguments of `evgen generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Schema files (.avsc, or JSON Schema .json / .schema.json) or folders (every
    /// .avsc and .json below, plus catalog.toml if present). JSON Schema $refs to
    /// relative files read those files too.
    pub inputs: Vec<PathBuf>,

    /// Where to write: a .rs file, or a folder (gets evgen.rs). Standard output when absent.
    #[arg(long, short)]
    pub out: Option<PathBuf>,

    /// Name of the root type of a single schema (default: the Avro name or JSON
    /// Schema title, else the file name).
    #[arg(long, value_name = "Name")]
    pub root_name: Option<String>,

    /// Map constructs evgen cannot type to serde_json::Value instead of failing.
    #[arg(long)]
    pub json_fallback: bool,

    /// Do not write; exit 1 if --out is missing or differs from what would be generated.
    #[arg(long, requires = "out")]
    pub check: bool,

    /// Fetch the schema from this Confluent-compatible registry instead of files.
    #[arg(
        long,
        value_name = "URL",
        requires = "subject",
        conflicts_with = "inputs"
    )]
    pub registry: Option<String>,

    /// The registry subject to fetch.
    #[arg(long, requires = "registry")]
    pub subject: Option<String>,

    /// The subject version to fetch (a number or `latest`).
    #[arg(long, default_value = "latest", requires = "registry")]
    pub version: String,
}

fn out_file(out: &Path) -> PathBuf {
    if out.is_dir() || out.extension().is_none() {
        out.join("evgen.rs")
    } else {
        out.to_path_buf()
    }
}

/// Runs `evgen generate`.
pub fn run(args: &Args) -> anyhow::Result<Status> {
    let mut config = evgen::Config::new();
    config.json_fallback(args.json_fallback);
    if let Some(name) = &args.root_name {
        config.root_name(name);
    }
    match (&args.registry, &args.subject) {
        (Some(url), Some(subject)) => {
            registry::add_to(&mut config, url, subject, &args.version)?;
        }
        _ => {
            if args.inputs.is_empty() {
                bail!(
                    "nothing to generate from: give schema files or folders, or --registry and --subject"
                );
            }
            for i in &args.inputs {
                config.input(i);
            }
        }
    }
    let loaded = config.load().context("generating Rust types")?;
    // What the types do not express exactly is worth knowing, but not a failure.
    for d in &loaded.diagnostics {
        eprintln!("warning: {d}");
    }
    let text =
        evgen::emit::to_file(&loaded.space, &loaded.source).context("generating Rust types")?;
    let Some(out) = &args.out else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .context("writing to standard output")?;
        return Ok(Status::Success);
    };
    let path = out_file(out);
    if args.check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            return Ok(Status::Success);
        }
        eprintln!(
            "{} is stale: regenerate it with `evgen generate {} --out {}`",
            path.display(),
            args.inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            out.display()
        );
        return Ok(Status::Findings);
    }
    evgen::write_if_changed(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    Ok(Status::Success)
}

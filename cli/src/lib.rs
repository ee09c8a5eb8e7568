//! The `evgen` command.
//!
//! ```text
//! evgen generate schemas/ --out src/events.rs
//! evgen generate order.avsc --root-name Order
//! evgen generate --registry http://localhost:8081 --subject order-events-shop.order.OrderCreated
//! ```
//!
//! Exit codes, as ripgrep's: **0** success; **1** findings (`--check` found the
//! output stale); **2** an error (unreadable or invalid schema, registry
//! unreachable, …), printed with its full context chain. A closed pipe on stdout
//! counts as success.

use clap::{Parser, Subcommand};

pub mod generate;
pub mod registry;

/// Generate Rust types from Avro schemas, catalogue folders or a schema registry.
#[derive(Debug, Parser)]
#[command(
    name = "evgen",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success, 1 findings (--check found the output stale), 2 error."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate Rust types.
    Generate(generate::Args),
}

/// How a run ended, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: done.
    Success,
    /// 1: the run worked and found something (a stale output with `--check`).
    Findings,
    /// 2: the run failed.
    Error,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Success => 0.into(),
            Status::Findings => 1.into(),
            Status::Error => 2.into(),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> anyhow::Result<Status> {
    match &cli.command {
        Command::Generate(args) => generate::run(args),
    }
}

/// Whether `e` is a write to a closed pipe (`evgen generate x | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

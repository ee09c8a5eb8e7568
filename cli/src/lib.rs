//! The `evgen` command.
//!
//! ```text
//! evgen generate schemas/ --out src/events.rs
//! evgen generate order.avsc --root-name Order
//! evgen generate --registry http://localhost:8081 --subject order-events-shop.order.OrderCreated
//! evgen check --catalog schemas --against git:origin/main
//! evgen check --catalog schemas --registry http://localhost:8081 --format github
//! evgen push --catalog schemas --registry http://localhost:8081 --dry-run
//! evgen pull --registry http://localhost:8081 --out pulled/
//! evgen topics --catalog schemas --bootstrap localhost:9092 --amqp amqp://localhost:5672/%2f
//! ```
//!
//! Exit codes, as ripgrep's: **0** success; **1** findings (`--check` found the
//! output stale, `check` found a change the level refuses or a lint problem,
//! `push` was refused); **2** an error (unreadable or invalid schema, registry
//! unreachable, …), printed with its full context chain. A closed pipe on stdout
//! counts as success.

use clap::{Parser, Subcommand};

pub mod catalogue;
pub mod check;
pub mod findings;
pub mod generate;
pub mod pull;
pub mod push;
pub mod registry;
pub mod rest;
pub mod topics;

/// Generate Rust types from Avro schemas, catalogue folders or a schema registry.
#[derive(Debug, Parser)]
#[command(
    name = "evgen",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success, 1 findings (generate --check found the output stale, \
                  check found a refused change or a lint problem, push was refused), 2 error."
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
    /// Check the catalogue against a baseline (git revision, folder or registry) and lint it.
    Check(check::Args),
    /// Register the catalogue in a schema registry.
    Push(push::Args),
    /// Write a registry's subjects into a catalogue folder.
    Pull(pull::Args),
    /// Create or check the catalogue's Kafka topics and RabbitMQ exchanges and queues.
    Topics(topics::Args),
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
        Command::Check(args) => check::run(args),
        Command::Push(args) => push::run(args),
        Command::Pull(args) => pull::run(args),
        Command::Topics(args) => topics::run(args),
    }
}

/// Whether `e` is a write to a closed pipe (`evgen generate x | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
